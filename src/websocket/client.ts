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
 *   is paused and bytes already received wait unparsed (a compressed message
 *   is not inflated into a full queue), until the reader has drained half of
 *   it. While a compressed frame is inflated the socket is paused too.
 * - Writing: the {@link Sender} keeps messages in order through compression;
 *   `send()` resolves at once when the socket took the frame under its
 *   high-water mark, else on `drain` — the backpressure `ws` lacks.
 * - Closing (§7): `close()` sends a close frame after the messages queued
 *   before it and waits for the peer's; then the server closes TCP first
 *   (§7.1.1). All of it takes at most `timeout`, after which TCP is dropped.
 *   Violations fail the connection with 1002, 1007 or 1009 and reject
 *   `receive()` with a {@link WebSocketError} carrying the code.
 * - Keep-alive (`pingIntervalMs`, default 30 s): a silent peer is failed
 *   locally with 1006 (not judged while reading is paused).
 * - Reconnecting (`autoReconnect`): after a drop (no close frame) or a server
 *   close meaning "come back later" (see {@link reconnectable}), never after
 *   `close()` or a 1000, with exponential backoff and jitter; `receive()`
 *   keeps waiting across it and `send()` waits for the new connection.
 * @module
 */
import { WebSocketBase } from './lifecycle.js';
import { CLOSED, CLOSING, CONNECTING, OPEN } from './state.js';
import type { WebSocketMessage } from './events.js';
import type { WebSocketError } from '../errors.js';
import type { WebSocketOptions } from './options.js';

/** What `send()` takes: a string goes as text, bytes as binary. */
export type WebSocketData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

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
export class WebSocket extends WebSocketBase {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;

  /**
   * @param url a ws:// or wss:// URL (http:// and https:// are taken as such)
   * @param options see {@link WebSocketOptions}
   * @throws WebSocketError for an invalid URL or option.
   */
  constructor(url: string | URL, options: WebSocketOptions = {}) {
    super(url, options);
  }

  /** Bytes of messages sent but not yet flushed to the network (waiting for compression, or in the socket's buffer); 0 without a connection. */
  get bufferedAmount(): number {
    return this._driver.bufferedAmount;
  }

  /** Messages received and not yet read with `receive()` or the iterator. */
  get queuedMessages(): number {
    return this._inbox.size;
  }

  // -------------------------------------------------------------------------
  // Receiving

  /**
   * The next message: a string for text, a `Uint8Array` (a Buffer) for
   * binary. Queued messages come first; after the close, rejects with a
   * WebSocketError carrying the close code (or the error that failed the
   * connection: 1002, 1007, 1009, 1006 for a drop).
   */
  receive(): Promise<WebSocketMessage> {
    return this._inbox.receive(this._started ? null : this.#notConnected());
  }

  #next(): Promise<IteratorResult<WebSocketMessage>> {
    return this._inbox.next(this._started ? null : this.#notConnected());
  }

  #notConnected(): WebSocketError {
    return this.wsError('the WebSocket is not connected: call connect() first');
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
    if (!this._driver.connected || this.readyState !== OPEN || this._driver.closeSent) return this.#sendLater(data);
    if (typeof data === 'string') return this._driver.sendText(data);
    const bytes = toBytes(data);
    if (bytes === null) return Promise.reject(this.wsError('send() takes a string, a Uint8Array, an ArrayBuffer or an ArrayBuffer view'));
    return this._driver.sendBinary(bytes);
  }

  #sendLater(data: WebSocketData): Promise<void> {
    if (this._inbox.ended || this._userClosed || this.readyState === CLOSED) return Promise.reject(this.sendStateError());
    if (!this._started) return Promise.reject(this.#notConnected());
    // Connecting or reconnecting: go out on the new connection.
    return this._waitOpen().then(() => this.send(data));
  }

  /**
   * Send a ping and resolve with the round-trip time in ms when its pong
   * arrives. Rejects when no pong came within `timeout`, or the connection closed.
   * @param data up to 125 bytes of payload (default: a sequence number)
   */
  ping(data?: string | Uint8Array): Promise<number> {
    if (!this._driver.connected || this.readyState !== OPEN || this._driver.closeSent) return Promise.reject(this.sendStateError());
    const payload = data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    if (payload !== undefined && payload.length > 125) return Promise.reject(this.wsError(`ping payload of ${payload.length} bytes is too long (at most 125)`));
    return this._driver.ping(payload);
  }}
