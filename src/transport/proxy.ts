/**
 * HTTP proxies: CONNECT tunnels ({@link openTunnel}) for https and
 * WebSocket traffic, SOCKS5 through socks.ts, and {@link connectVia} (a
 * connection straight or through a tunnel). Which proxy applies is
 * proxy-env.ts (re-exported here).
 *
 * Plain-http requests through a proxy are not tunnelled: the client layer
 * sends them to the proxy in absolute-form (`GET http://host/path HTTP/1.1`,
 * RFC 9112 §3.2.2) with a `Proxy-Authorization` header built by
 * {@link proxyAuthorization}.
 * @module
 */
import net from 'node:net';
import { AbortError, ConnectTimeout, InvalidRequestError, ProxyError, timeoutAdvice } from '../errors.js';
import { exchangeHead } from '../http1/head-exchange.js';
import { isValidHeaderValue } from '../http/syntax.js';
import type { ConnectOptions, Connection, TlsOptions } from './connection.js';
import { connect } from './dial.js';
import { bareHost, isSocks, parseProxyUrl, portOf, proxyAuthorization, proxyDisplay } from './proxy-env.js';
import { openSocksTunnel } from './socks.js';

export { ProxyError };
export * from './proxy-env.js';

/** Options of {@link openTunnel}. */
export interface TunnelOptions {
  /** Time allowed to reach the proxy and get its answer to CONNECT (ms; 0 or Infinity for none). */
  connectTimeoutMs?: number;
  /** Abort the attempt. */
  signal?: AbortSignal | null;
  /** TLS settings for an `https://` proxy (the hop to the proxy itself). */
  proxyTls?: TlsOptions | null;
  /** Extra header fields for the CONNECT request, e.g. `{ 'user-agent': 'x' }`. */
  headers?: Readonly<Record<string, string>>;
  /** DNS and socket options for the hop to the proxy. */
  dial?: Pick<ConnectOptions, 'lookup' | 'family' | 'localAddress' | 'autoSelectFamily'>;
}

/** Host part of an authority: IPv6 in brackets. */
function authorityOf(host: string, port: number): string {
  return `${net.isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** Characters no URL host name holds (WHATWG URL's forbidden domain code points, and anything not ASCII). */
const NOT_A_HOST = /[^\x21-\x7e]|[#%/:<>?@[\\\]^|]/;

/**
 * Check the target of a tunnel: it goes into the CONNECT request line and Host field (or a SOCKS5 request) as given,
 * so a CR or LF in it would add fields to the request (RFC 9112 §3.2.3 authority-form is host ":" port, nothing else).
 * @throws InvalidRequestError for a host that is neither an IP address nor a name a URL could hold, or a port outside 1-65535.
 */
function checkTarget(host: string, port: number): void {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (net.isIP(bare) === 0 && (bare === '' || NOT_A_HOST.test(bare))) throw new InvalidRequestError(`invalid tunnel target host ${JSON.stringify(host)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidRequestError(`invalid tunnel target port ${String(port)}`);
}

/**
 * Open a CONNECT tunnel through `proxy` to `host:port` (RFC 9110 §9.3.6),
 * or a SOCKS5 one for a `socks5:` / `socks5h:` proxy, and resolve with the raw socket, ready for TLS (https, wss) or plain
 * bytes (ws). The socket is handed over paused, with any bytes the proxy
 * sent after its answer pushed back into it: attach listeners, then
 * `resume()` it (or give it to `tls.connect({ socket })`). Credentials in the proxy URL are sent as `Proxy-Authorization`.
 * Rejects with {@link ProxyError} (a NetworkError) when the proxy refuses —
 * status 407 means it refused the credentials — and with ConnectTimeout,
 * AbortError, NetworkError or TlsError otherwise.
 */
export async function openTunnel(proxy: string | URL, host: string, port: number, opts: TunnelOptions = {}): Promise<net.Socket> {
  const p = parseProxyUrl(proxy);
  checkTarget(host, port);
  if (isSocks(p)) return openSocksTunnel(p, host, port, { ...opts.dial, ...opts });
  const started = performance.now();
  const timeoutMs = opts.connectTimeoutMs ?? 0;
  const signal = opts.signal ?? null;
  const proxyHost = bareHost(p.hostname);
  const conn = await connect({
    secure: p.protocol === 'https:',
    host: proxyHost,
    port: portOf(p),
    tls: opts.proxyTls ?? null,
    alpn: p.protocol === 'https:' ? ['http/1.1'] : null,
    connectTimeoutMs: timeoutMs,
    signal,
    ...opts.dial,
  });
  const target = authorityOf(bareHost(host), port);
  let head = `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n`;
  const auth = proxyAuthorization(p);
  if (auth !== null) head += `Proxy-Authorization: ${auth}\r\n`;
  if (opts.headers) {
    for (const [name, value] of Object.entries(opts.headers)) {
      if (!/^[!#$%&'*+\-.^_`|~\dA-Za-z]+$/.test(name) || !isValidHeaderValue(value)) {
        conn.destroy();
        throw new InvalidRequestError(`invalid CONNECT header ${JSON.stringify(name)}`);
      }
      const l = name.toLowerCase();
      if (l === 'host' || l === 'proxy-authorization') continue;
      head += `${name}: ${value}\r\n`;
    }
  }
  head += '\r\n';
  const who = proxyDisplay(p);
  const answer = await exchangeHead(conn, {
    method: 'CONNECT',
    head,
    timeoutMs,
    started,
    signal,
    errors: {
      timeout: (ms) => new ConnectTimeout(`proxy ${who} did not answer CONNECT ${target} within the ${ms} ms connect timeout${timeoutAdvice('connect', ms)}`, { timeoutMs: ms }),
      aborted: (reason) => new AbortError('request aborted while opening the proxy tunnel', { cause: reason }),
      closed: (err) => new ProxyError(`proxy ${who} closed the connection before answering CONNECT ${target}${err ? `: ${err.message}` : ''}`, who, 0, { cause: err ?? undefined }),
      invalid: (err) => new ProxyError(`proxy ${who} sent an invalid answer to CONNECT ${target}: ${err.message}`, who, 0, { cause: err }),
    },
  });
  const status = answer.status;
  if (status >= 200 && status < 300) {
    const socket = conn.detach();
    if (answer.rest !== null) socket.unshift(answer.rest);
    return socket;
  }
  conn.destroy();
  if (status === 407) {
    throw new ProxyError(
      auth !== null
        ? `proxy ${who} refused the credentials (407 Proxy Authentication Required) for CONNECT ${target}`
        : `proxy ${who} requires authentication (407 Proxy Authentication Required) and the proxy URL has no credentials`,
      who,
      407,
    );
  }
  throw new ProxyError(`proxy ${who} refused to tunnel to ${target}: ${status} ${answer.reason}`.trimEnd(), who, status);
}

/** Connect options that may name a proxy to tunnel through. */
export interface ProxiedConnectOptions extends ConnectOptions {
  /** Tunnel to `host:port` through this proxy (CONNECT, or SOCKS5 for a `socks5:` / `socks5h:` URL), then speak TLS (or not) over the tunnel. */
  proxy?: URL | null;
  /** TLS settings for an `https://` proxy itself. */
  proxyTls?: TlsOptions | null;
}

/**
 * A Pool connector: {@link connect}, through a CONNECT or SOCKS5 tunnel
 * when `opts.proxy` is set. The connect timeout covers the proxy hop, the
 * tunnel exchange and the TLS handshake with the target together.
 */
export async function connectVia(opts: ProxiedConnectOptions): Promise<Connection> {
  const proxy = opts.proxy ?? null;
  if (proxy === null) return connect(opts);
  const started = performance.now();
  const timeoutMs = opts.connectTimeoutMs ?? 0;
  const dial = { lookup: opts.lookup, family: opts.family, localAddress: opts.localAddress, autoSelectFamily: opts.autoSelectFamily };
  const socket = await openTunnel(proxy, opts.host, opts.port, {
    connectTimeoutMs: timeoutMs,
    signal: opts.signal ?? null,
    proxyTls: opts.proxyTls ?? null,
    dial,
  });
  const left = timeoutMs > 0 && timeoutMs !== Number.POSITIVE_INFINITY ? Math.max(1, timeoutMs - (performance.now() - started)) : timeoutMs;
  try {
    const conn = await connect({ ...opts, socket, connectTimeoutMs: left });
    // The tunnel hands its socket over paused; plain bytes flow now (TLS reads it itself).
    if (!opts.secure) conn.socket.resume();
    return conn;
  } catch (err) {
    socket.destroy();
    throw err;
  }
}
