/**
 * What a {@link WebSocket} shows of itself: its URL (credentials left out),
 * `readyState` and its values, what the last handshake agreed (subprotocol,
 * extensions, the 101's fields), the close code and reason; its events,
 * published to the `reqivo:websocket:*` diagnostics channels as well; and
 * its errors, stamped with its URL. The transitions are lifecycle.ts's.
 * @module
 */
import { websocketClose, websocketError, websocketOpen } from '../core/diagnostics.js';
import { attachRequest, redactUrl, WebSocketError } from '../errors.js';
import { Headers } from '../http/headers.js';
import { type EventName, Emitter, type WebSocketEventMap } from './events.js';
import { websocketUrl } from './handshake.js';
import { Settings, type WebSocketOptions } from './options.js';

/** `readyState` values. */
export const CONNECTING = 0;
/** `readyState`: open. */
export const OPEN = 1;
/** `readyState`: closing. */
export const CLOSING = 2;
/** `readyState`: closed. */
export const CLOSED = 3;

/** The state a WebSocket shows; see {@link WebSocket}. */
export abstract class WebSocketState extends Emitter {
  /** The WebSocket URL (ws: or wss:), without credentials (they go in the handshake's Authorization). */
  readonly url: string;
  /** 0 connecting (also before `connect()` and while reconnecting), 1 open, 2 closing, 3 closed. */
  readyState: number;
  /** The subprotocol the server selected, or `''`. */
  protocol: string;
  /** The extensions the server accepted (`Sec-WebSocket-Extensions`), or `''`. */
  extensions: string;
  /** The close code: received in the peer's close frame, sent when reqivo failed the connection, 1006 for a drop; null while open. */
  closeCode: number | null;
  /** The close reason that came with {@link closeCode}. */
  closeReason: string;

  /** The URL with its credentials, if any (they go in the handshake's Authorization). */
  readonly #href: string;
  readonly #settings: Settings;
  /**
   * Fields of the last 101 as one string, names and values joined by NUL
   * (a parsed field never holds one), until {@link responseHeaders} is first
   * read and makes Headers of them: one short string on an idle connection
   * instead of an array and its strings.
   */
  #response: string | Headers | null;

  /**
   * @param url a ws:// or wss:// URL (http:// and https:// are taken as such)
   * @param options see {@link WebSocketOptions}
   * @throws WebSocketError for an invalid URL or option.
   */
  constructor(url: string | URL, options: WebSocketOptions) {
    super();
    const parsed = websocketUrl(url);
    // Only the string is kept (the URL object is made again for each handshake); one string when it holds no credentials.
    this.#href = typeof url === 'string' && url === parsed.href ? url : parsed.href;
    this.url = redactUrl(this.#href);
    try {
      this.#settings = Settings.of(parsed, options);
    } catch (err) {
      throw attachRequest(err as WebSocketError, 'GET', this.url);
    }
    this.readyState = CONNECTING;
    this.protocol = '';
    this.extensions = '';
    this.closeCode = null;
    this.closeReason = '';
    this.#response = null;
  }

  /** Fields of the last handshake response (101), or null before the first connection. */
  get responseHeaders(): Headers | null {
    const r = this.#response;
    if (typeof r !== 'string') return r;
    const h = Headers._fromList(r === '' ? [] : r.split('\0'));
    this.#response = h;
    return h;
  }

  /** @internal the URL with its credentials */
  protected get _href(): string {
    return this.#href;
  }

  /** @internal the options, checked */
  protected get _settings(): Settings {
    return this.#settings;
  }

  /** @internal a handshake succeeded: what it agreed, and open. */
  protected _opened(protocol: string, extensions: string, fields: string[]): void {
    this.protocol = protocol;
    this.extensions = extensions;
    this.#response = fields.join('\0');
    this.closeCode = null;
    this.closeReason = '';
    this.readyState = OPEN;
  }

  /** Listeners first, then diagnostics subscribers (`reqivo:websocket:*`), when there are any. @internal */
  protected override emit<K extends EventName>(event: K, ...args: WebSocketEventMap[K]): void {
    super.emit(event, ...args);
    if (event === 'open') {
      if (websocketOpen.hasSubscribers) websocketOpen.publish({ url: this.url, protocol: this.protocol, extensions: this.extensions });
    } else if (event === 'close') {
      if (websocketClose.hasSubscribers) websocketClose.publish({ url: this.url, code: args[0], reason: args[1] });
    } else if (event === 'error' && websocketError.hasSubscribers) websocketError.publish({ url: this.url, error: args[0] });
  }

  /** @internal a WebSocketError stamped with this WebSocket's URL */
  wsError(message: string, code?: number, cause?: unknown): WebSocketError {
    return new WebSocketError(message, { code, cause, method: 'GET', url: this.url });
  }

  /** @internal the error of a connection closed with `code` and `reason` */
  protected _closedError(code: number, reason: string): WebSocketError {
    return this.wsError(`the WebSocket connection is closed (${code}${reason !== '' ? ` ${reason}` : ''})`, code);
  }
}
