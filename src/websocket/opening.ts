/**
 * Run the opening handshake over a fresh connection: connect (TCP, TLS,
 * through a CONNECT tunnel when a proxy applies), write the Upgrade request,
 * parse the answer with the HTTP/1.1 response parser, and hand back the
 * connection with the bytes that followed the 101 head (the first frames).
 * @module
 */
import { AbortError, ConnectTimeout, WebSocketError } from '../errors.js';
import { type ExchangedHead, exchangeHead } from '../http1/head-exchange.js';
import type { Connection, TlsOptions } from '../transport/connection.js';
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
 * Write the Upgrade request on `conn` and read the response head, whatever
 * its status (see {@link exchangeHead}: on success the connection is paused
 * and the caller's). Rejects with ConnectTimeout, AbortError or
 * WebSocketError; on failure the connection is destroyed.
 */
export function exchangeUpgrade(conn: Connection, req: UpgradeRequest, o: UpgradeExchangeOptions): Promise<ExchangedHead> {
  return exchangeHead(conn, {
    method: 'GET',
    head: buildUpgradeRequest(req),
    limits: { maxHeaderBytes: o.maxHeaderBytes, maxHeaderCount: 100, maxBodyBytes: Number.POSITIVE_INFINITY },
    timeoutMs: o.timeoutMs,
    started: o.started,
    signal: o.signal,
    errors: {
      timeout: timedOut,
      aborted: (reason) => new AbortError('WebSocket connect aborted', { cause: reason }),
      closed: (err) => new WebSocketError(`connection closed during the WebSocket handshake${err ? `: ${err.message}` : ''}`, { cause: err ?? undefined }),
      invalid: (err) => new WebSocketError(`invalid WebSocket handshake response: ${err.message}`, { cause: err }),
    },
  });
}

/**
 * Check the answer `head` to `req` (RFC 6455 §4.1) and make the connection
 * an {@link Opened}; throws WebSocketError (the connection destroyed) for a
 * refused or invalid upgrade.
 */
export function acceptUpgrade(conn: Connection, head: ExchangedHead, req: UpgradeRequest, deflate: Required<PerMessageDeflateOptions> | null): Opened {
  let result: ReturnType<typeof checkUpgradeResponse>;
  try {
    result = checkUpgradeResponse(head.status, head.reason, head.headers, req, deflate);
  } catch (err) {
    conn.destroy();
    throw err;
  }
  return { conn, rest: head.rest, protocol: result.protocol, extensions: result.extensions, deflate: result.deflate, headers: internFields(head.headers) };
}

/**
 * The Upgrade head exchange on an open connection: write the request head,
 * read the response head, check it, and hand back the connection (paused)
 * with the bytes after the head. Rejects with ConnectTimeout, AbortError or
 * WebSocketError; on failure the connection is destroyed.
 */
export async function upgradeOver(conn: Connection, req: UpgradeRequest, o: UpgradeExchangeOptions): Promise<Opened> {
  const head = await exchangeUpgrade(conn, req, o);
  try {
    o.onResponse?.(head.status, head.headers);
  } catch (err) {
    conn.destroy();
    throw err;
  }
  return acceptUpgrade(conn, head, req, o.deflate);
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
    // Frames are parsed as bytes arrive and whatever is kept is copied (protocol.ts): no Buffer per read.
    borrowedReads: true,
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
