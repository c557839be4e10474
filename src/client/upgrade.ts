/**
 * The WebSocket handshake as a hop of a Session's dispatch chain
 * (`Reqivo.websocket()`): the Upgrade is a {@link PreparedRequest} (GET on
 * the http(s) form of the URL) that goes through hooks, Digest auth, cookies,
 * interceptors and an installed MockAgent like any request, so proxies,
 * auth, cookies and hooks apply to it; the transport performs the head
 * exchange on a fresh, unpooled connection and hands the socket to the
 * WebSocket. An answer other than 101 goes back up the chain as a response
 * (a Digest layer answers a 401 once); if no layer acts on it the WebSocket
 * fails with the refusal (a redirect names its Location: it is not followed).
 * @module
 */
import { Headers } from '../http/headers.js';
import type { TlsOptions } from '../transport/connection.js';
import { connectVia } from '../transport/proxy.js';
import { WebSocketError } from '../errors.js';
import type { AnyResponse } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import { checkUpgradeResponse, createKey, prepareHeaders, type UpgradeRequest } from '../websocket/handshake.js';
import { acceptUpgrade, exchangeUpgrade, hostPort, type Opened } from '../websocket/opening.js';
import type { Opener, Settings } from '../websocket/options.js';
import type { DialSettings } from './route.js';
import { StreamResponse } from './stream-response.js';

/** Fields the handshake writes itself (or that make no sense on it): never taken from the session's or a hook's headers. */
const OWN_FIELDS = new Set(['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-accept', 'sec-websocket-protocol', 'sec-websocket-extensions', 'content-length', 'transfer-encoding', 'accept-encoding']);

/** What the transport needs to upgrade one request, and where it leaves the opened connection. */
export class UpgradeHop {
  /** The ws:/wss: URL (the request's URL is its http(s) form). */
  readonly wsUrl: URL;
  readonly s: Settings;
  readonly signal: AbortSignal;
  /** The WebSocket URL as the user sees it (for `onResponse`). */
  readonly href: string;
  readonly started: number;
  /** Set by the transport when the 101 was accepted. */
  opened: Opened | null;
  /** Set by the transport when the server answered with another status: the error the WebSocket fails with if no layer acts on that answer. */
  refused: Error | null;

  constructor(wsUrl: URL, s: Settings, signal: AbortSignal, href: string) {
    this.wsUrl = wsUrl;
    this.s = s;
    this.signal = signal;
    this.href = href;
    this.started = performance.now();
    this.opened = null;
    this.refused = null;
  }
}

/** What a Session gives {@link sessionOpener}. */
export interface UpgradeSession {
  /** Send `req`-to-be through the Session's upgrade chain; resolves with the opened connection. @internal */
  _upgrade(url: URL, headers: Headers, proxy: string | false | 'env' | undefined, up: UpgradeHop): Promise<Opened>;
}

/** The {@link Opener} of a WebSocket made by `Reqivo.websocket()`: each attempt (reconnects too) is a request on `session`. */
export function sessionOpener(session: UpgradeSession, proxy: string | URL | false | 'env' | undefined): Opener {
  const p = proxy === undefined || proxy === false || proxy === 'env' ? proxy : String(proxy);
  return async (url, href, s, signal) => {
    const init = typeof s.headers === 'function' ? await s.headers() : s.headers;
    if (signal.aborted) throw signal.reason;
    // The caller's own fields are checked as for any WebSocket (no handshake field may be set).
    const headers = Headers._fromList(prepareHeaders(init));
    const httpUrl = new URL(url.href.replace(/^ws/, 'http'));
    return session._upgrade(httpUrl, headers, p, new UpgradeHop(url, s, signal, href));
  };
}

/**
 * The transport's side: connect (through `proxy` with CONNECT when one
 * applies), run the Upgrade head exchange with the request's fields, and
 * answer with the 101 as an empty StreamResponse; the connection is left on
 * `up.opened`.
 */
export async function upgradeHop(req: PreparedRequest, up: UpgradeHop, proxy: URL | null, tls: TlsOptions | null, dial: DialSettings): Promise<AnyResponse> {
  const s = up.s;
  const { secure, host, port } = hostPort(up.wsUrl);
  // One bound for the whole handshake: a second connection (a Digest answer) gets what is left.
  const ms = s.timeoutMs;
  const left = ms > 0 && ms !== Number.POSITIVE_INFINITY ? Math.max(1, ms - (performance.now() - up.started)) : ms;
  const conn = await connectVia({
    secure,
    host,
    port,
    tls: s.tls ?? tls,
    alpn: secure ? ['http/1.1'] : null,
    connectTimeoutMs: left,
    signal: up.signal,
    proxy,
    proxyTls: proxy !== null && proxy.protocol === 'https:' && tls !== null ? { ca: tls.ca, rejectUnauthorized: tls.rejectUnauthorized, minVersion: tls.minVersion } : null,
    path: req.socketPath,
    lookup: dial.lookup,
    family: dial.family,
    localAddress: dial.localAddress,
    autoSelectFamily: dial.autoSelectFamily,
    keepTimes: false,
    // As opening.ts: the WebSocket protocol copies what it keeps of each read.
    borrowedReads: true,
  });
  const list = req.headers._list;
  const fields: string[] = [];
  for (let i = 0; i < list.length; i += 2) if (!OWN_FIELDS.has(list[i]!.toLowerCase())) fields.push(list[i]!, list[i + 1]!);
  const onResponse = s.onResponse;
  // A fresh key for each connection (RFC 6455 §4.1), a Digest retry's too.
  const upgrade: UpgradeRequest = { url: up.wsUrl, key: createKey(), protocols: s.protocols, extensions: s.extensionsOffer, headers: fields };
  const head = await exchangeUpgrade(conn, upgrade, {
    deflate: s.deflate,
    timeoutMs: s.timeoutMs,
    started: up.started,
    signal: up.signal,
    maxHeaderBytes: s.maxHeaderBytes,
    onResponse: null,
  });
  try {
    onResponse?.({ status: head.status, headers: Headers._fromList(head.headers.slice()), url: up.href });
  } catch (err) {
    conn.destroy();
    throw err;
  }
  if (head.status !== 101) {
    // Not an upgrade: the answer goes back up the chain as a response (a Digest layer may answer a 401, hooks and cookies see it); its body is not read.
    conn.destroy();
    try {
      checkUpgradeResponse(head.status, head.reason, head.headers, upgrade, s.deflate);
    } catch (err) {
      up.refused = err as Error;
    }
  } else {
    up.refused = null;
    up.opened = acceptUpgrade(conn, head, upgrade, s.deflate);
  }
  const res = new StreamResponse(head.status, head.reason, head.version, Headers._fromList(head.headers.slice()), req._display, 'GET');
  res.onEnd();
  return res;
}

/** The connection the chain's answer `res` stands for; a WebSocketError when something answered without one. */
export async function openedBy(res: AnyResponse, up: UpgradeHop): Promise<Opened> {
  if (up.opened !== null) return up.opened;
  if (res instanceof StreamResponse) await res.close();
  if (up.refused !== null) throw up.refused;
  throw new WebSocketError(`the WebSocket handshake was answered with ${res.status} without a connection (by an interceptor or a hook)`);
}
