/**
 * The WebSocket client (RFC 6455, RFC 7692): the Node driver that joins a
 * transport {@link Connection} to the sans-I/O {@link Protocol}.
 *
 * ```ts
 * await using ws = await new WebSocket('ws://127.0.0.1:9000/echo').connect();
 * await ws.send('hi');
 * for await (const msg of ws) console.log(msg);
 * ```
 *
 * - Reading: socket bytes go to the {@link Protocol}; a message is delivered
 *   to a pending `receive()` (or iterator), else to `message` listeners, else
 *   queued. The queue is bounded: past `receiveHighWaterMark` bytes the socket
 *   is paused, and it resumes once the reader has drained half of it. While a
 *   compressed frame is inflated the socket is paused too.
 * - Writing: the {@link Sender} keeps messages in order through compression;
 *   `send()` resolves at once when the socket took the frame under its
 *   high-water mark, else on `drain` — the backpressure `ws` lacks.
 * - Closing (§7): `close()` sends a close frame after the messages queued
 *   before it, waits for the peer's (at most `timeout`), then ends TCP.
 *   Violations fail the connection with 1002, 1007 or 1009 and reject
 *   `receive()` with a {@link WebSocketError} carrying the code.
 * - Keep-alive (`pingIntervalMs`, default 30 s): a silent peer is failed
 *   locally with 1006.
 * - Reconnecting (`autoReconnect`): after a drop (no close frame) or a server
 *   close meaning "come back later" (see {@link reconnectable}), never after
 *   `close()` or a 1000, with exponential backoff and jitter; `receive()`
 *   keeps waiting across it and `send()` waits for the new connection.
 * @module
 */
import { AbortError, attachRequest, ReqivoError, redactUrl, WebSocketError } from '../errors.js';
import { Headers } from '../http/headers.js';
import { encodeClosePayload } from './close.js';
import { Driver, type DriverOwner } from './driver.js';
import { type EventName, Emitter, type WebSocketEventMap, type WebSocketMessage } from './events.js';
import { websocketClose, websocketError, websocketOpen } from '../core/diagnostics.js';
import { websocketUrl } from './handshake.js';
import { Inbox } from './inbox.js';
import { type Opened, openWithSettings } from './opening.js';
import { Settings, type WebSocketOptions } from './options.js';
import { reconnectable, type ReconnectOwner, Reconnector } from './reconnect.js';

/** What `send()` takes: a string goes as text, bytes as binary. */
export type WebSocketData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

const RESOLVED: Promise<void> = Promise.resolve();
/** A closed-before-open marker passed as the internal abort reason. */
const CLOSED_BEFORE_OPEN = Symbol('closed before open');

/** Close codes that end an iteration quietly. */
function normalClose(code: number): boolean {
  return code === 1000 || code === 1001 || code === 1005;
}

function toBytes(data: WebSocketData): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

/**
 * A WebSocket client connection. Create it, `connect()`, then `send()`,
 * `receive()` / `for await`, `ping()`, `close()`.
 */
export class WebSocket extends Emitter implements DriverOwner, ReconnectOwner {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;

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
  readonly #s: Settings;
  readonly #driver: Driver;
  readonly #inbox: Inbox;
  #started: boolean;
  #connecting: Promise<this> | null;
  #opening: AbortController | null;
  /** Created when first needed (a wait for a connection, a drop). */
  #reconnector: Reconnector | null;
  #closePromise: Promise<void> | null;
  #closeResolve: (() => void) | null;
  #userClosed: boolean;
  #onAbort: (() => void) | null;
  /** Fields of the last 101, flat, as the parser gave them; {@link responseHeaders} wraps them on first read. */
  #responseFields: string[] | null;
  #responseHeaders: Headers | null;

  /** Listeners first, then diagnostics subscribers (`reqivo:websocket:*`), when there are any. @internal */
  protected override emit<K extends EventName>(event: K, ...args: WebSocketEventMap[K]): void {
    super.emit(event, ...args);
    if (event === 'open') {
      if (websocketOpen.hasSubscribers) websocketOpen.publish({ url: this.url, protocol: this.protocol, extensions: this.extensions });
    } else if (event === 'close') {
      if (websocketClose.hasSubscribers) websocketClose.publish({ url: this.url, code: args[0], reason: args[1] });
    } else if (event === 'error' && websocketError.hasSubscribers) websocketError.publish({ url: this.url, error: args[0] });
  }
  /**
   * @param url a ws:// or wss:// URL (http:// and https:// are taken as such)
   * @param options see {@link WebSocketOptions}
   * @throws WebSocketError for an invalid URL or option.
   */
  constructor(url: string | URL, options: WebSocketOptions = {}) {
    super();
    const parsed = websocketUrl(url);
    // Only the string is kept (the URL object is made again for each handshake); one string when it holds no credentials.
    this.#href = typeof url === 'string' && url === parsed.href ? url : parsed.href;
    this.url = redactUrl(this.#href);
    try {
      this.#s = Settings.of(parsed, options);
    } catch (err) {
      throw attachRequest(err as WebSocketError, 'GET', this.url);
    }
    this.readyState = CONNECTING;
    this.protocol = '';
    this.extensions = '';
    this.closeCode = null;
    this.closeReason = '';
    this.#responseFields = null;
    this.#responseHeaders = null;
    this.#driver = new Driver(this, this.#s);
    this.#inbox = new Inbox(this.#s.highWaterMark, this.#driver);
    this.#started = false;
    this.#connecting = null;
    this.#opening = null;
    this.#reconnector = null;
    this.#closePromise = null;
    this.#closeResolve = null;
    this.#userClosed = false;
    this.#onAbort = null;
    const signal = this.#s.signal;
    if (signal !== null && !signal.aborted) {
      this.#onAbort = () => this.#aborted();
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Fields of the last handshake response (101), or null before the first connection. */
  get responseHeaders(): Headers | null {
    const fields = this.#responseFields;
    if (fields === null) return null;
    return (this.#responseHeaders ??= Headers._fromList(fields.slice()));
  }

  /** Bytes written but not yet flushed to the network. */
  get bufferedAmount(): number {
    return this.#driver.bufferedAmount;
  }

  /** Messages received and not yet read with `receive()` or the iterator. */
  get queuedMessages(): number {
    return this.#inbox.size;
  }

  #error(message: string, code?: number, cause?: unknown): WebSocketError {
    return new WebSocketError(message, { code, cause, method: 'GET', url: this.url });
  }

  /** @internal */
  wsError(message: string, code?: number, cause?: unknown): WebSocketError {
    return this.#error(message, code, cause);
  }

  // -------------------------------------------------------------------------
  // Opening

  /**
   * Open the connection: TCP, TLS for wss://, the Upgrade handshake. Resolves
   * with this WebSocket. Rejects with ConnectTimeout (handshake longer than
   * `timeout`), NetworkError / TlsError, AbortError, or WebSocketError (the
   * server refused or answered wrongly; a redirect is not followed).
   */
  connect(): Promise<this> {
    if (this.readyState === OPEN) return Promise.resolve(this);
    if (this.#connecting !== null) return this.#connecting;
    if (this.#userClosed || this.#inbox.ended || this.readyState === CLOSED) {
      return Promise.reject(this.#error('the WebSocket is closed; create a new one to connect again'));
    }
    if (this.#s.signal?.aborted) {
      const err = attachRequest(new AbortError('WebSocket connect aborted', { cause: this.#s.signal.reason }), 'GET', this.url);
      this.#started = true;
      this.#end(false, err);
      this.#finalize();
      return Promise.reject(err);
    }
    if (this.#started) {
      // Reconnecting (or closing before a reconnect): resolve with the new connection.
      return this.#reconnect().waitOpen().then(() => this);
    }
    this.#started = true;
    const p = this.#open().then(
      () => {
        this.#connecting = null;
        this.#reconnector?.release(null);
        return this;
      },
      (err: Error) => {
        this.#connecting = null;
        if (!this.#inbox.ended) {
          this.closeCode = 1006;
          this.#end(false, err);
          this.emit('error', err);
        }
        this.#finalize();
        throw err;
      },
    );
    this.#connecting = p;
    return p;
  }

  async #open(): Promise<void> {
    const ctrl = new AbortController();
    this.#opening = ctrl;
    let opened: Opened;
    try {
      const s = this.#s;
      opened = await (s.opener ?? openWithSettings)(new URL(this.#href), this.url, s, ctrl.signal);
    } catch (err) {
      if (ctrl.signal.aborted && ctrl.signal.reason === CLOSED_BEFORE_OPEN) throw this.#error('the WebSocket was closed before the connection opened', 1006);
      if (err instanceof ReqivoError) throw attachRequest(err, 'GET', this.url);
      throw this.#error(`could not open the WebSocket: ${(err as Error)?.message ?? String(err)}`, undefined, err);
    } finally {
      if (this.#opening === ctrl) this.#opening = null;
    }
    if (this.#userClosed || this.#inbox.ended) {
      opened.conn.destroy();
      throw this.#error('the WebSocket was closed before the connection opened', 1006);
    }
    this.#attach(opened);
  }

  #attach(o: Opened): void {
    this.protocol = o.protocol;
    this.extensions = o.extensions;
    this.#responseFields = o.headers;
    this.#responseHeaders = null;
    this.closeCode = null;
    this.closeReason = '';
    this.readyState = OPEN;
    this.#driver.start(o, this.#inbox.full);
    this.emit('open');
    this.#driver.begin(o);
  }

  // -------------------------------------------------------------------------
  // Driver events (DriverOwner)

  /** @internal */
  driverMessage(msg: WebSocketMessage): void {
    this.#deliver(msg);
  }

  /** @internal */
  driverControl(kind: 'ping' | 'pong', payload: Buffer): void {
    if (this.hasListeners(kind)) this.emit(kind, Buffer.from(payload));
  }

  /** @internal */
  driverPeerClosed(code: number, reason: string): void {
    this.closeCode = code;
    this.closeReason = reason;
    this.readyState = CLOSING;
    if (!this.#willReconnect(code)) this.#end(this.#userClosed || normalClose(code), this.#closedError(code, reason));
  }

  /** @internal */
  driverFailed(err: WebSocketError): void {
    this.closeCode = err.code ?? 1002;
    this.closeReason = '';
    this.readyState = CLOSING;
    this.#end(false, err);
    this.emit('error', err);
  }

  /** @internal */
  driverClosing(): void {
    this.readyState = CLOSING;
  }

  #willReconnect(code: number): boolean {
    return this.#s.autoReconnect && !this.#userClosed && !this.#inbox.ended && reconnectable(code);
  }

  #closedError(code: number, reason: string): WebSocketError {
    return this.#error(`the WebSocket connection is closed (${code}${reason !== '' ? ` ${reason}` : ''})`, code);
  }

  /** @internal The TCP connection is gone: decide between done, failed and reconnecting. */
  driverGone(err: Error | null): void {
    const failed = this.#driver.failed;
    if (!this.#driver.closeReceived && !failed) {
      this.closeCode = 1006;
      this.closeReason = '';
    }
    if (this.#userClosed || failed || this.#inbox.ended) {
      this.#end(true, this.#closedError(this.closeCode ?? 1006, this.closeReason));
      this.#finalize();
      return;
    }
    const code = this.closeCode ?? 1006;
    const cause = this.#driver.closeReceived
      ? this.#closedError(code, this.closeReason)
      : this.#error(`the WebSocket connection dropped without a close frame (1006)${err !== null ? `: ${err.message}` : ''}`, 1006, err ?? undefined);
    if (this.#willReconnect(code)) {
      this.readyState = CONNECTING;
      this.#reconnect().schedule(cause);
      return;
    }
    this.#end(false, cause);
    this.emit('error', cause);
    this.#finalize();
  }

  /** No more messages will come: settle every reader. */
  #end(clean: boolean, err: Error): void {
    this.#inbox.end(clean, err);
  }

  /** Closed for good. */
  #finalize(): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    if (this.closeCode === null) this.closeCode = 1006;
    this.#reconnector?.cancel();
    if (this.#onAbort !== null) {
      this.#s.signal?.removeEventListener('abort', this.#onAbort);
      this.#onAbort = null;
    }
    const err = this.#inbox.endError ?? this.#closedError(this.closeCode, this.closeReason);
    this.#reconnector?.release(err);
    this.emit('close', this.closeCode, this.closeReason);
    const resolve = this.#closeResolve;
    this.#closeResolve = null;
    if (resolve !== null) resolve();
  }

  // -------------------------------------------------------------------------
  // Reconnecting

  #reconnect(): Reconnector {
    return (this.#reconnector ??= new Reconnector(this, this.#s));
  }

  /** @internal */
  reconnectStopped(): boolean {
    return this.#userClosed || this.#inbox.ended;
  }

  /** @internal */
  reopen(): Promise<void> {
    return this.#open();
  }

  /** @internal */
  reconnecting(attempt: number, delayMs: number, cause: Error): void {
    this.emit('reconnecting', attempt, delayMs, cause);
  }

  /** @internal */
  reconnected(attempt: number): void {
    this.emit('reconnect', attempt);
  }

  /** @internal */
  reconnectHookFailed(err: Error): void {
    this.emit('error', err);
  }

  /** @internal */
  reconnectGaveUp(err: Error): void {
    this.closeCode = 1006;
    this.#end(false, err);
    this.emit('error', err);
    this.#finalize();
  }

  /** @internal */
  reconnectAborted(err: Error): void {
    this.#end(false, err);
    this.#finalize();
  }

  // -------------------------------------------------------------------------
  // Receiving

  #deliver(msg: WebSocketMessage): void {
    if (this.hasListeners('message')) {
      // Listeners get every message; a reader already waiting gets it too, nothing is queued.
      this.#inbox.handToWaiter(msg);
      this.emit('message', msg);
      return;
    }
    this.#inbox.push(msg);
  }

  /**
   * The next message: a string for text, a `Uint8Array` (a Buffer) for
   * binary. Queued messages come first; after the close, rejects with a
   * WebSocketError carrying the close code (or the error that failed the
   * connection: 1002, 1007, 1009, 1006 for a drop).
   */
  receive(): Promise<WebSocketMessage> {
    return this.#inbox.receive(this.#started ? null : this.#notConnected());
  }

  #next(): Promise<IteratorResult<WebSocketMessage>> {
    return this.#inbox.next(this.#started ? null : this.#notConnected());
  }

  #notConnected(): WebSocketError {
    return this.#error('the WebSocket is not connected: call connect() first');
  }

  /**
   * Iterate over messages until the connection closes: the loop ends after a
   * close with 1000, 1001 or 1005 (or one `close()` asked for) and throws a
   * WebSocketError otherwise. Breaking out of the loop leaves the connection open.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<WebSocketMessage> {
    const it: AsyncIterableIterator<WebSocketMessage> = {
      next: () => this.#next(),
      return: () => Promise.resolve({ done: true, value: undefined }),
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  // -------------------------------------------------------------------------
  // Sending

  /**
   * Send a message: a string as text, bytes (`Uint8Array`, `ArrayBuffer`,
   * any view) as binary. Resolves once the frame is handed to the socket
   * without going over its buffer (else after `drain`); while reconnecting,
   * waits for the new connection. Rejects when the connection is closing or closed.
   */
  send(data: WebSocketData): Promise<void> {
    if (!this.#driver.connected || this.readyState !== OPEN || this.#driver.closeSent) return this.#sendLater(data);
    if (typeof data === 'string') return this.#driver.sendText(data);
    const bytes = toBytes(data);
    if (bytes === null) return Promise.reject(this.#error('send() takes a string, a Uint8Array, an ArrayBuffer or an ArrayBuffer view'));
    return this.#driver.sendBinary(bytes);
  }

  #sendLater(data: WebSocketData): Promise<void> {
    if (this.#inbox.ended || this.#userClosed || this.readyState === CLOSED) return Promise.reject(this.#sendStateError());
    if (!this.#started) return Promise.reject(this.#notConnected());
    // Connecting or reconnecting: go out on the new connection.
    return this.#reconnect().waitOpen().then(() => this.send(data));
  }

  /** @internal */
  sendStateError(): Error {
    return this.#sendStateError();
  }

  #sendStateError(): Error {
    if (this.#inbox.endError !== null && !(this.#inbox.endError instanceof WebSocketError && this.#inbox.endedClean)) return this.#inbox.endError;
    return this.#error(`cannot send: the WebSocket is ${this.readyState === CLOSED ? 'closed' : 'closing'}`, this.closeCode ?? undefined);
  }

  /**
   * Send a ping and resolve with the round-trip time in ms when its pong
   * arrives. Rejects when no pong came within `timeout`, or the connection closed.
   * @param data up to 125 bytes of payload (default: a sequence number)
   */
  ping(data?: string | Uint8Array): Promise<number> {
    if (!this.#driver.connected || this.readyState !== OPEN || this.#driver.closeSent) return Promise.reject(this.#sendStateError());
    const payload = data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    if (payload !== undefined && payload.length > 125) return Promise.reject(this.#error(`ping payload of ${payload.length} bytes is too long (at most 125)`));
    return this.#driver.ping(payload);
  }

  // -------------------------------------------------------------------------
  // Closing

  /**
   * Close: send a close frame with `code` and `reason`, wait for the peer's
   * close frame (at most `timeout`), then close TCP. Resolves when the
   * connection is closed; also stops reconnecting. Messages already queued
   * can still be read.
   * @param code 1000 (default), 1001–1003, 1007–1014 or 3000–4999
   * @param reason at most 123 bytes of UTF-8
   */
  close(code = 1000, reason = ''): Promise<void> {
    let payload: Buffer;
    try {
      payload = encodeClosePayload(code, reason);
    } catch (err) {
      return Promise.reject(attachRequest(err as WebSocketError, 'GET', this.url));
    }
    if (this.#closePromise !== null) return this.#closePromise;
    if (this.readyState === CLOSED) return RESOLVED;
    this.#closePromise = new Promise<void>((resolve) => {
      this.#closeResolve = resolve;
    });
    this.#userClosed = true;
    this.#reconnector?.cancel();
    this.#opening?.abort(CLOSED_BEFORE_OPEN);
    if (!this.#driver.connected) {
      // Not connected (never, or between reconnect attempts).
      if (this.closeCode === null) this.closeCode = this.#started ? 1006 : code;
      this.#end(true, this.#closedError(this.closeCode, this.closeReason));
      this.#finalize();
      return this.#closePromise;
    }
    if (this.#driver.closeSent) return this.#closePromise; // already closing: wait for it
    // Messages queued before the close go out before the close frame.
    this.#driver.close(payload);
    return this.#closePromise;
  }

  #aborted(): void {
    this.#onAbort = null;
    const signal = this.#s.signal!;
    const err = attachRequest(new AbortError('WebSocket aborted', { cause: signal.reason }), 'GET', this.url);
    this.#opening?.abort(signal.reason);
    this.#end(false, err);
    this.close(1001).catch(() => {});
  }

  /** `await using ws = …`: closes with 1000. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
