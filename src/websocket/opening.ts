/**
 * Run the opening handshake over a fresh connection: connect (TCP, TLS,
 * through a CONNECT tunnel when a proxy applies), write the Upgrade request,
 * parse the answer with the HTTP/1.1 response parser, and hand back the
 * connection with the bytes that followed the 101 head (the first frames).
 * @module
 */
import { AbortError, ConnectTimeout, WebSocketError } from '../errors.js';
import { type ParserHandler, ResponseParser } from '../http1/parser.js';
import type { Connection, ConnectionSink, TlsOptions } from '../transport/connection.js';
import { connectVia } from '../transport/proxy.js';
import type { DeflateParams, PerMessageDeflateOptions } from './negotiate.js';
import { Headers } from '../http/headers.js';
import { buildUpgradeRequest, checkUpgradeResponse, createKey, internFields, prepareHeaders, type UpgradeRequest } from './handshake.js';
import type { Settings } from './options.js';

/** What {@link openWebSocket} needs. */
export interface OpeningOptions {
  url: URL;
  protocols: readonly string[];
  /** Caller's fields, flat and validated. */
  headers: readonly string[];
  /** permessage-deflate offer, or null. */
  deflate: Required<PerMessageDeflateOptions> | null;
  /** The `Sec-WebSocket-Extensions` offer matching `deflate`. */
  extensionsOffer: string | null;
  tls: TlsOptions | null;
  /** Proxy to tunnel through, or null. */
  proxy: URL | null;
  /** Time allowed for connect + TLS + Upgrade exchange (ms; 0 or Infinity for none). */
  timeoutMs: number;
  signal: AbortSignal | null;
  /** Largest response head accepted. */
  maxHeaderBytes: number;
  /** Told about the handshake response (whatever its status) before it is checked. */
  onResponse: ((status: number, headers: string[]) => void) | null;
}

/** An open WebSocket connection, handshake done. */
export interface Opened {
  conn: Connection;
  /** Bytes received after the 101 head: the start of the first frames. */
  rest: Buffer | null;
  protocol: string;
  extensions: string;
  deflate: DeflateParams | null;
  /** Response fields of the 101, flat. */
  headers: string[];
}

class Upgrade implements ParserHandler, ConnectionSink {
  readonly parser: ResponseParser;
  readonly req: UpgradeRequest;
  readonly opts: UpgradeExchangeOptions;
  done: boolean;
  headSeen: boolean;
  timer: NodeJS.Timeout | null;
  onAbort: (() => void) | null;
  readonly resolve: (o: Opened) => void;
  readonly reject: (err: Error) => void;

  constructor(req: UpgradeRequest, opts: UpgradeExchangeOptions, resolve: (o: Opened) => void, reject: (err: Error) => void) {
    this.parser = new ResponseParser(this, { maxHeaderBytes: opts.maxHeaderBytes, maxHeaderCount: 100, maxBodyBytes: Number.POSITIVE_INFINITY });
    this.parser.reset('GET');
    this.req = req;
    this.opts = opts;
    this.done = false;
    this.headSeen = false;
    this.timer = null;
    this.onAbort = null;
    this.resolve = resolve;
    this.reject = reject;
  }

  onHead(): void {
    this.headSeen = true;
  }

  onBody(): void {}

  onComplete(): void {}

  settle(): void {
    this.done = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.onAbort !== null) this.opts.signal?.removeEventListener('abort', this.onAbort);
  }

  fail(conn: Connection, err: Error): void {
    if (this.done) return;
    this.settle();
    conn.sink = null;
    conn.destroy();
    this.reject(err);
  }

  onData(conn: Connection, data: Buffer): void {
    if (this.done) return;
    let n: number;
    try {
      n = this.parser.execute(data);
    } catch (err) {
      this.fail(conn, new WebSocketError(`invalid WebSocket handshake response: ${(err as Error).message}`, { cause: err }));
      return;
    }
    if (!this.headSeen) return;
    const p = this.parser;
    let result: ReturnType<typeof checkUpgradeResponse>;
    try {
      this.opts.onResponse?.(p.status, p.headers);
      result = checkUpgradeResponse(p.status, p.reason, p.headers, this.req, this.opts.deflate);
    } catch (err) {
      this.fail(conn, err as Error);
      return;
    }
    this.settle();
    // Hold further bytes in the socket until the WebSocket takes the connection over.
    conn.socket.pause();
    this.resolve({
      conn,
      rest: n < data.length ? data.subarray(n) : null,
      protocol: result.protocol,
      extensions: result.extensions,
      deflate: result.deflate,
      headers: internFields(p.headers),
    });
  }

  onClose(conn: Connection, err: Error | null): void {
    this.fail(
      conn,
      new WebSocketError(`connection closed during the WebSocket handshake${err ? `: ${err.message}` : ''}`, { cause: err ?? undefined }),
    );
  }

  onTimeout(): void {}
}

function timedOut(ms: number): ConnectTimeout {
  return new ConnectTimeout(`WebSocket opening handshake did not complete within ${ms} ms`, { timeoutMs: ms });
}

/** What {@link upgradeOver} needs besides the connection and the request. */
export interface UpgradeExchangeOptions {
  /** permessage-deflate offer, or null. */
  deflate: Required<PerMessageDeflateOptions> | null;
  /** Bound on the exchange (ms; 0 or Infinity for none), counted from `started`. */
  timeoutMs: number;
  /** `performance.now()` when the attempt began (the connect counts against the timeout too). */
  started: number;
  signal: AbortSignal | null;
  /** Largest response head accepted. */
  maxHeaderBytes: number;
  /** Told about the handshake response (whatever its status) before it is checked. */
  onResponse: ((status: number, headers: string[]) => void) | null;
}

/**
 * The Upgrade head exchange on an open connection: write the request head,
 * read the response head, check it, and hand back the connection (paused)
 * with the bytes after the head. Rejects with ConnectTimeout, AbortError or
 * WebSocketError; on failure the connection is destroyed.
 */
export function upgradeOver(conn: Connection, req: UpgradeRequest, o: UpgradeExchangeOptions): Promise<Opened> {
  const ms = o.timeoutMs;
  const bounded = ms > 0 && ms !== Number.POSITIVE_INFINITY;
  return new Promise<Opened>((resolve, reject) => {
    const up = new Upgrade(req, o, resolve, reject);
    const signal = o.signal;
    if (signal !== null) {
      if (signal.aborted) {
        up.fail(conn, new AbortError('WebSocket connect aborted', { cause: signal.reason }));
        return;
      }
      up.onAbort = () => up.fail(conn, new AbortError('WebSocket connect aborted', { cause: signal.reason }));
      signal.addEventListener('abort', up.onAbort, { once: true });
    }
    if (bounded) {
      const left = Math.max(1, ms - (performance.now() - o.started));
      up.timer = setTimeout(() => up.fail(conn, timedOut(ms)), left);
    }
    if (conn.closed) {
      up.onClose(conn, conn.error);
      return;
    }
    conn.sink = up;
    // A plain socket out of a proxy tunnel comes paused (openTunnel's contract).
    conn.socket.resume();
    conn.socket.write(buildUpgradeRequest(req), 'latin1');
  });
}

/** Host and port of a ws:/wss: URL. */
export function hostPort(url: URL): { secure: boolean; host: string; port: number } {
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { secure, host, port: url.port !== '' ? Number(url.port) : secure ? 443 : 80 };
}

/**
 * Connect and upgrade. Rejects with ConnectTimeout (the whole handshake is
 * bounded by `timeoutMs`), AbortError, NetworkError/TlsError from the
 * transport, or WebSocketError for a refused or invalid upgrade. Never leaves
 * a socket behind.
 */
export async function openWebSocket(opts: OpeningOptions): Promise<Opened> {
  const started = performance.now();
  const url = opts.url;
  const { secure, host, port } = hostPort(url);
  const conn = await connectVia({
    secure,
    host,
    port,
    tls: opts.tls,
    alpn: secure ? ['http/1.1'] : null,
    connectTimeoutMs: opts.timeoutMs,
    signal: opts.signal,
    proxy: opts.proxy,
    keepTimes: false,
  });
  const req: UpgradeRequest = {
    url,
    key: createKey(),
    protocols: opts.protocols,
    extensions: opts.extensionsOffer,
    headers: opts.headers,
  };
  return upgradeOver(conn, req, {
    deflate: opts.deflate,
    timeoutMs: opts.timeoutMs,
    started,
    signal: opts.signal,
    maxHeaderBytes: opts.maxHeaderBytes,
    onResponse: opts.onResponse,
  });
}

/**
 * {@link openWebSocket} with a WebSocket's settings: the header fields are
 * computed for this attempt (a function is called each time), and
 * `onResponse` sees every handshake response.
 * @param href the URL as the user sees it (given to `onResponse`)
 */
export async function openWithSettings(url: URL, href: string, s: Settings, signal: AbortSignal): Promise<Opened> {
  const init = typeof s.headers === 'function' ? await s.headers() : s.headers;
  if (signal.aborted) throw signal.reason;
  const onResponse = s.onResponse;
  return openWebSocket({
    url,
    protocols: s.protocols,
    headers: prepareHeaders(init),
    deflate: s.deflate,
    extensionsOffer: s.extensionsOffer,
    tls: s.tls,
    proxy: s.proxy,
    timeoutMs: s.timeoutMs,
    signal,
    maxHeaderBytes: s.maxHeaderBytes,
    onResponse: onResponse === null ? null : (status, headers) => onResponse({ status, headers: Headers._fromList(headers.slice()), url: href }),
  });
}
