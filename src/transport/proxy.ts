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
import { type ParserHandler, ResponseParser } from '../http1/parser.js';
import { isValidHeaderValue } from '../http/syntax.js';
import type { ConnectOptions, Connection, ConnectionSink, TlsOptions } from './connection.js';
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

/** Runs one CONNECT exchange on a connection to the proxy. */
class TunnelExchange implements ParserHandler, ConnectionSink {
  readonly parser: ResponseParser;
  status: number;
  reason: string;
  done: boolean;
  readonly #proxy: URL;
  readonly #target: string;
  readonly #resolve: (socket: net.Socket) => void;
  readonly #reject: (err: Error) => void;
  #onAbort: (() => void) | null;
  #signal: AbortSignal | null;
  #deadline: NodeJS.Timeout | null;

  constructor(proxy: URL, target: string, resolve: (socket: net.Socket) => void, reject: (err: Error) => void) {
    this.parser = new ResponseParser(this);
    this.parser.reset('CONNECT');
    this.status = 0;
    this.reason = '';
    this.done = false;
    this.#proxy = proxy;
    this.#target = target;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#onAbort = null;
    this.#signal = null;
    this.#deadline = null;
  }

  /**
   * Fail with ConnectTimeout when the answer is not complete after `ms`: a
   * deadline, not an idle timer, so a proxy trickling bytes cannot hold the
   * request past the connect timeout (`timeoutMs`, for the message).
   */
  expireAfter(conn: Connection, ms: number, timeoutMs: number): void {
    this.#deadline = setTimeout(() => {
      this.fail(conn, new ConnectTimeout(`proxy ${proxyDisplay(this.#proxy)} did not answer CONNECT ${this.#target} within the ${timeoutMs} ms connect timeout${timeoutAdvice('connect', timeoutMs)}`, { timeoutMs }));
    }, ms);
  }

  watch(signal: AbortSignal | null, conn: Connection): void {
    if (signal === null) return;
    this.#signal = signal;
    this.#onAbort = () => this.fail(conn, new AbortError('request aborted while opening the proxy tunnel', { cause: signal.reason }));
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  #settle(): void {
    this.done = true;
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    if (this.#signal !== null && this.#onAbort !== null) this.#signal.removeEventListener('abort', this.#onAbort);
  }

  fail(conn: Connection, err: Error): void {
    if (this.done) return;
    this.#settle();
    conn.destroy();
    this.#reject(err);
  }

  onHead(p: ResponseParser): void {
    this.status = p.status;
    this.reason = p.reason;
  }

  onBody(): void {}

  onComplete(): void {}

  onData(conn: Connection, data: Buffer): void {
    if (this.done) return;
    let n: number;
    try {
      n = this.parser.execute(data);
    } catch (err) {
      this.fail(conn, new ProxyError(`proxy ${proxyDisplay(this.#proxy)} sent an invalid answer to CONNECT ${this.#target}: ${(err as Error).message}`, proxyDisplay(this.#proxy), 0, { cause: err }));
      return;
    }
    const status = this.status;
    if (status === 0) return; // head not complete yet
    const who = proxyDisplay(this.#proxy);
    if (status >= 200 && status < 300) {
      this.#settle();
      const socket = conn.detach();
      if (n < data.length) socket.unshift(data.subarray(n));
      this.#resolve(socket);
      return;
    }
    if (status === 407) {
      const msg =
        proxyAuthorization(this.#proxy) !== null
          ? `proxy ${who} refused the credentials (407 Proxy Authentication Required) for CONNECT ${this.#target}`
          : `proxy ${who} requires authentication (407 Proxy Authentication Required) and the proxy URL has no credentials`;
      this.fail(conn, new ProxyError(msg, who, 407));
      return;
    }
    this.fail(conn, new ProxyError(`proxy ${who} refused to tunnel to ${this.#target}: ${status} ${this.reason}`.trimEnd(), who, status));
  }

  onClose(conn: Connection, err: Error | null): void {
    const who = proxyDisplay(this.#proxy);
    this.fail(conn, new ProxyError(`proxy ${who} closed the connection before answering CONNECT ${this.#target}${err ? `: ${err.message}` : ''}`, who, 0, { cause: err ?? undefined }));
  }

  /** Never called: no read timeout is set on the proxy connection ({@link expireAfter} bounds the exchange). */
  onTimeout(): void {}
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
  return new Promise<net.Socket>((resolve, reject) => {
    const ex = new TunnelExchange(p, target, resolve, reject);
    if (signal?.aborted) {
      ex.fail(conn, new AbortError('request aborted while opening the proxy tunnel', { cause: signal.reason }));
      return;
    }
    ex.watch(signal, conn);
    conn.sink = ex;
    if (timeoutMs > 0 && timeoutMs !== Number.POSITIVE_INFINITY) {
      ex.expireAfter(conn, Math.max(1, timeoutMs - (performance.now() - started)), timeoutMs);
    }
    conn.socket.write(head, 'latin1');
  });
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
