/**
 * The options a {@link WebSocket} takes (`WebSocketOptions`, with the
 * `HandshakeResponse` its `onResponse` sees) and their checked, defaulted
 * form (`Settings`).
 * @module
 */
import { WebSocketError } from '../errors.js';
import type { Headers, HeadersInit } from '../http/headers.js';
import type { TlsOptions } from '../transport/connection.js';
import { parseProxyUrl, proxyFor } from '../transport/proxy.js';
import { pinsProblem } from '../transport/pins.js';
import { deflateOffer, normalizeDeflateOptions, type PerMessageDeflateOptions } from './negotiate.js';
import { checkProtocols } from './handshake.js';

/** What the handshake response looked like (given to `onResponse`). */
export interface HandshakeResponse {
  /** The status (101 when the upgrade succeeded). */
  status: number;
  /** The response fields. */
  headers: Headers;
  /** The WebSocket URL. */
  url: string;
}

/** Options of `new WebSocket(url, options)`. All times are milliseconds. */
export interface WebSocketOptions {
  /** Subprotocols to offer, in order of preference (`Sec-WebSocket-Protocol`). */
  protocols?: string | readonly string[];
  /**
   * Extra handshake header fields (cookies, auth, origin…). A function is
   * called before every connection attempt, reconnects included, so
   * credentials can be refreshed.
   */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  /** Bound on the opening handshake (TCP + TLS + Upgrade) and on the wait for the peer's close frame (default 10000; 0 for none). */
  timeout?: number;
  /** Largest message accepted, in bytes, after inflating (default 16 MiB); exactly this many pass, a larger one closes with 1009. */
  maxMessageBytes?: number;
  /**
   * Largest frame payload accepted as it comes off the wire, in bytes (default
   * 16 MiB); a larger one closes with 1009. A frame of a compressed message
   * may exceed it by DEFLATE's worst-case growth (n/8 + n/64 + 11), so an
   * incompressible message that fits uncompressed fits compressed too.
   */
  maxFrameBytes?: number;
  /** Offer permessage-deflate (RFC 7692); `true` (default) with defaults, or settings. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Reconnect after an unexpected drop (default false). */
  autoReconnect?: boolean;
  /** Reconnect attempts per outage before giving up (default 5). */
  maxReconnectAttempts?: number;
  /** First reconnect delay; doubles per attempt, with jitter (default 500). */
  reconnectDelayMs?: number;
  /** Cap of the reconnect delay (default 30000). */
  maxReconnectDelayMs?: number;
  /**
   * Keep-alive: send a ping every this many ms; when nothing at all (no pong,
   * no other frame) came back for a whole interval after one, the connection
   * is failed locally with 1006, so a pending `receive()` rejects with a
   * WebSocketError instead of waiting forever on a silent peer or a dead
   * path (with `autoReconnect`, it reconnects). Default 30000 (a dead peer is
   * noticed within 60 s); 0 turns it off.
   */
  pingIntervalMs?: number;
  /** Received bytes queued unread before reading from the socket pauses (default 4 MiB); reading resumes below half. */
  receiveHighWaterMark?: number;
  /** Largest handshake response head, in bytes (default 16384). */
  maxHeaderBytes?: number;
  /** TLS settings for wss:// (the same as a Session's). */
  tls?: TlsOptions;
  /** Proxy to tunnel through with CONNECT: a URL, `'env'` (default: http_proxy / HTTPS_PROXY / NO_PROXY, as curl reads them) or `false`. */
  proxy?: string | URL | 'env' | false;
  /** Abort connecting, or close an open connection (pending operations reject with AbortError). */
  signal?: AbortSignal;
  /** Called after each successful reconnect, before sends waiting for it go out; may return a Promise (e.g. to resubscribe). */
  onReconnect?: (attempt: number) => void | Promise<void>;
  /** Called with every handshake response (e.g. to store cookies), before it is checked. */
  onResponse?: (res: HandshakeResponse) => void;
}

const MiB = 2 ** 20;

/**
 * How a WebSocket opens each connection (TCP/TLS, proxy, Upgrade exchange):
 * by default on its own (`openWithSettings`); `Reqivo.websocket()` gives one
 * that sends the Upgrade through its Session's dispatch chain. Not for
 * users: reqivo's own seam.
 */
export type Opener = (url: URL, href: string, s: Settings, signal: AbortSignal) => Promise<import('./opening.js').Opened>;

/** The options key that carries an {@link Opener} (a symbol: not an option a user can name). */
export const kOpener: unique symbol = Symbol('reqivo.websocket.opener');

/** Options plus reqivo's own {@link Opener}. */
export type OptionsWithOpener = WebSocketOptions & { [kOpener]?: Opener };

function nonNegative(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) throw new WebSocketError(`option ${name} must be a number ≥ 0, got ${String(v)}`);
  return v;
}

function positive(name: string, v: unknown, dflt: number): number {
  const n = nonNegative(name, v, dflt);
  if (n === 0) throw new WebSocketError(`option ${name} must be > 0`);
  return n;
}

/** Options whose values are functions or objects given by the user: a Settings holding one is never shared. */
const OWN_VALUED = ['headers', 'tls', 'signal', 'onReconnect', 'onResponse'] as const;
/** Shared Settings by their fields (at most {@link MAX_SHARED} kinds). */
const shared = new Map<string, Settings>();
const MAX_SHARED = 64;

/** The checked options of one WebSocket. */
export class Settings {
  /**
   * The Settings for `o` on `url`: WebSockets created with the same plain
   * options (numbers, booleans, strings, no function or object of the user's)
   * share one frozen instance instead of holding a copy each.
   * @throws WebSocketError for an invalid option.
   */
  static of(url: URL, o: OptionsWithOpener): Settings {
    const s = new Settings(url, o);
    if (s.opener !== null) return s;
    for (const k of OWN_VALUED) if (o[k] !== undefined) return s;
    const key = JSON.stringify([
      s.protocols,
      s.timeoutMs,
      s.maxMessageBytes,
      s.maxFrameBytes,
      s.deflate,
      s.autoReconnect,
      s.maxReconnectAttempts,
      s.reconnectDelayMs,
      s.maxReconnectDelayMs,
      s.pingIntervalMs,
      s.highWaterMark,
      s.maxHeaderBytes,
      s.proxy?.href ?? null,
    ]);
    const found = shared.get(key);
    if (found !== undefined) return found;
    if (shared.size < MAX_SHARED) shared.set(key, Object.freeze(s));
    return s;
  }

  readonly protocols: readonly string[];
  readonly headers: HeadersInit | (() => HeadersInit | Promise<HeadersInit>) | null;
  readonly timeoutMs: number;
  readonly maxMessageBytes: number;
  readonly maxFrameBytes: number;
  readonly deflate: Required<PerMessageDeflateOptions> | null;
  readonly extensionsOffer: string | null;
  readonly autoReconnect: boolean;
  readonly maxReconnectAttempts: number;
  readonly reconnectDelayMs: number;
  readonly maxReconnectDelayMs: number;
  readonly pingIntervalMs: number;
  readonly highWaterMark: number;
  readonly maxHeaderBytes: number;
  readonly tls: TlsOptions | null;
  readonly proxy: URL | null;
  readonly signal: AbortSignal | null;
  readonly onReconnect: ((attempt: number) => void | Promise<void>) | null;
  readonly onResponse: ((res: HandshakeResponse) => void) | null;
  /** Opens the connections; null: the WebSocket's own (`openWithSettings`). */
  readonly opener: Opener | null;

  /** @throws WebSocketError for an invalid option. */
  constructor(url: URL, o: OptionsWithOpener) {
    const protocols = o.protocols === undefined ? [] : typeof o.protocols === 'string' ? [o.protocols] : [...o.protocols];
    checkProtocols(protocols);
    this.protocols = protocols;
    this.headers = o.headers ?? null;
    this.timeoutMs = nonNegative('timeout', o.timeout, 10_000);
    this.maxMessageBytes = positive('maxMessageBytes', o.maxMessageBytes, 16 * MiB);
    this.maxFrameBytes = positive('maxFrameBytes', o.maxFrameBytes, 16 * MiB);
    this.deflate = normalizeDeflateOptions(o.perMessageDeflate);
    this.extensionsOffer = this.deflate === null ? null : deflateOffer(this.deflate);
    this.autoReconnect = o.autoReconnect === true;
    const attempts = nonNegative('maxReconnectAttempts', o.maxReconnectAttempts, 5);
    if (!Number.isInteger(attempts) && attempts !== Number.POSITIVE_INFINITY) throw new WebSocketError('option maxReconnectAttempts must be an integer');
    this.maxReconnectAttempts = attempts;
    this.reconnectDelayMs = nonNegative('reconnectDelayMs', o.reconnectDelayMs, 500);
    this.maxReconnectDelayMs = nonNegative('maxReconnectDelayMs', o.maxReconnectDelayMs, 30_000);
    this.pingIntervalMs = nonNegative('pingIntervalMs', o.pingIntervalMs, 30_000);
    this.highWaterMark = positive('receiveHighWaterMark', o.receiveHighWaterMark, 4 * MiB);
    this.maxHeaderBytes = positive('maxHeaderBytes', o.maxHeaderBytes, 16384);
    const pins = pinsProblem(o.tls?.pins);
    if (pins !== null) throw new WebSocketError(pins);
    this.tls = o.tls ?? null;
    const proxy = o.proxy ?? 'env';
    try {
      if (proxy === false) this.proxy = null;
      else if (proxy === 'env') {
        const p = proxyFor(url);
        this.proxy = p === null ? null : new URL(p);
      } else this.proxy = parseProxyUrl(proxy);
    } catch (err) {
      throw new WebSocketError(`invalid proxy: ${(err as Error).message}`, { cause: err });
    }
    this.signal = o.signal ?? null;
    this.onReconnect = o.onReconnect ?? null;
    this.onResponse = o.onResponse ?? null;
    this.opener = o[kOpener] ?? null;
  }
}
