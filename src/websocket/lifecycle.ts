/**
 * The life of a {@link WebSocket} (client.ts): the transitions between
 * connecting, open, closing and closed — opening each connection (through
 * its opener), the events of the driver, reconnecting, the end of the
 * reader queue and the closing handshake. The state they change is
 * state.ts's; the reading and sending API is the subclass's.
 * @module
 */
import { AbortError, attachRequest, ReqivoError, WebSocketError } from '../errors.js';
import { encodeClosePayload } from './close.js';
import { Driver, type DriverOwner } from './driver.js';
import type { WebSocketMessage } from './events.js';
import { Inbox } from './inbox.js';
import { type Opened, openWithSettings } from './opening.js';
import type { WebSocketOptions } from './options.js';
import { reconnectable, type ReconnectOwner, Reconnector } from './reconnect.js';
import { CLOSED, CLOSING, CONNECTING, OPEN, WebSocketState } from './state.js';

const RESOLVED: Promise<void> = Promise.resolve();
/** A closed-before-open marker passed as the internal abort reason. */
const CLOSED_BEFORE_OPEN = Symbol('closed before open');

/** `#flags`: `connect()` was called. */
const STARTED = 1;
/** `#flags`: `close()` was called. */
const USER_CLOSED = 2;

/** The closing handshake `close()` waits for: its promise, resolved (and `resolve` dropped) once closed. */
interface Closing {
  readonly promise: Promise<void>;
  resolve: (() => void) | null;
}

/** The abort listener of a WebSocket given a `signal` (most are not: no field on every WebSocket for it). */
const abortListeners = new WeakMap<object, () => void>();

/** Close codes that end an iteration quietly. */
function normalClose(code: number): boolean {
  return code === 1000 || code === 1001 || code === 1005;
}

/** The state and lifecycle of a WebSocket; see {@link WebSocket}. */
export abstract class WebSocketBase extends WebSocketState implements DriverOwner, ReconnectOwner {
  readonly #driver: Driver;
  readonly #inbox: Inbox;
  /** {@link STARTED}, {@link USER_CLOSED}. */
  #flags: number;
  #connecting: Promise<this> | null;
  #opening: AbortController | null;
  /** Created when first needed (a wait for a connection, a drop). */
  #reconnector: Reconnector | null;
  #closing: Closing | null;

  /**
   * @param url a ws:// or wss:// URL (http:// and https:// are taken as such)
   * @param options see {@link WebSocketOptions}
   * @throws WebSocketError for an invalid URL or option.
   */
  constructor(url: string | URL, options: WebSocketOptions = {}) {
    super(url, options);
    const s = this._settings;
    this.#driver = new Driver(this, s);
    this.#inbox = new Inbox(s.highWaterMark, this.#driver);
    this.#flags = 0;
    this.#connecting = null;
    this.#opening = null;
    this.#reconnector = null;
    this.#closing = null;
    const signal = s.signal;
    if (signal !== null && !signal.aborted) {
      const onAbort = (): void => this.#aborted();
      abortListeners.set(this, onAbort);
      signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  /** @internal the driver of the current connection */
  protected get _driver(): Driver {
    return this.#driver;
  }

  /** @internal the reader queue */
  protected get _inbox(): Inbox {
    return this.#inbox;
  }

  /** @internal whether `connect()` was called */
  protected get _started(): boolean {
    return (this.#flags & STARTED) !== 0;
  }

  /** @internal whether `close()` was called */
  protected get _userClosed(): boolean {
    return (this.#flags & USER_CLOSED) !== 0;
  }

  /** @internal resolves when the (re)connection in progress is open */
  protected _waitOpen(): Promise<void> {
    return this.#reconnect().waitOpen();
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
    if ((this.#flags & USER_CLOSED) !== 0 || this.#inbox.ended || this.readyState === CLOSED) {
      return Promise.reject(this.wsError('the WebSocket is closed; create a new one to connect again'));
    }
    const signal = this._settings.signal;
    if (signal?.aborted) {
      const err = attachRequest(new AbortError('WebSocket connect aborted', { cause: signal.reason }), 'GET', this.url);
      this.#flags |= STARTED;
      this.#end(false, err);
      this.#finalize();
      return Promise.reject(err);
    }
    if ((this.#flags & STARTED) !== 0) {
      // Reconnecting (or closing before a reconnect): resolve with the new connection.
      return this.#reconnect().waitOpen().then(() => this);
    }
    this.#flags |= STARTED;
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
      const s = this._settings;
      opened = await (s.opener ?? openWithSettings)(new URL(this._href), this.url, s, ctrl.signal);
    } catch (err) {
      if (ctrl.signal.aborted && ctrl.signal.reason === CLOSED_BEFORE_OPEN) throw this.wsError('the WebSocket was closed before the connection opened', 1006);
      if (err instanceof ReqivoError) throw attachRequest(err, 'GET', this.url);
      throw this.wsError(`could not open the WebSocket: ${(err as Error)?.message ?? String(err)}`, undefined, err);
    } finally {
      if (this.#opening === ctrl) this.#opening = null;
    }
    if ((this.#flags & USER_CLOSED) !== 0 || this.#inbox.ended) {
      opened.conn.destroy();
      throw this.wsError('the WebSocket was closed before the connection opened', 1006);
    }
    this.#attach(opened);
  }

  #attach(o: Opened): void {
    this._opened(o.protocol, o.extensions, o.headers);
    this.#driver.start(o, this.#inbox.full);
    this.emit('open');
    this.#driver.begin(o);
  }

  // -------------------------------------------------------------------------
  // Driver events (DriverOwner)

  /** @internal */
  driverMessage(msg: WebSocketMessage): void {
    // After close(), reading goes on past a full queue so the peer's close frame is seen: what
    // arrives then beyond receiveHighWaterMark is dropped (a browser drops every message after close()).
    if (this.#inbox.full && this.#driver.closeSent) return;
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
    if (!this.#willReconnect(code)) this.#end((this.#flags & USER_CLOSED) !== 0 || normalClose(code), this._closedError(code, reason));
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
    return this._settings.autoReconnect && (this.#flags & USER_CLOSED) === 0 && !this.#inbox.ended && reconnectable(code);
  }

  /** @internal The TCP connection is gone: decide between done, failed and reconnecting. */
  driverGone(err: Error | null): void {
    const failed = this.#driver.failed;
    if (!this.#driver.closeReceived && !failed) {
      this.closeCode = 1006;
      this.closeReason = '';
    }
    if ((this.#flags & USER_CLOSED) !== 0 || failed || this.#inbox.ended) {
      this.#end(true, this._closedError(this.closeCode ?? 1006, this.closeReason));
      this.#finalize();
      return;
    }
    const code = this.closeCode ?? 1006;
    const cause = this.#driver.closeReceived
      ? this._closedError(code, this.closeReason)
      : this.wsError(`the WebSocket connection dropped without a close frame (1006)${err !== null ? `: ${err.message}` : ''}`, 1006, err ?? undefined);
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
    const onAbort = abortListeners.get(this);
    if (onAbort !== undefined) {
      this._settings.signal?.removeEventListener('abort', onAbort);
      abortListeners.delete(this);
    }
    const err = this.#inbox.endError ?? this._closedError(this.closeCode, this.closeReason);
    this.#reconnector?.release(err);
    this.emit('close', this.closeCode, this.closeReason);
    const closing = this.#closing;
    const resolve = closing?.resolve ?? null;
    if (resolve !== null) {
      closing!.resolve = null;
      resolve();
    }
  }

  // -------------------------------------------------------------------------
  // Reconnecting

  #reconnect(): Reconnector {
    return (this.#reconnector ??= new Reconnector(this, this._settings));
  }

  /** @internal */
  reconnectStopped(): boolean {
    return (this.#flags & USER_CLOSED) !== 0 || this.#inbox.ended;
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

  /** @internal */
  sendStateError(): Error {
    return this.#sendStateError();
  }

  #sendStateError(): Error {
    if (this.#inbox.endError !== null && !(this.#inbox.endError instanceof WebSocketError && this.#inbox.endedClean)) return this.#inbox.endError;
    return this.wsError(`cannot send: the WebSocket is ${this.readyState === CLOSED ? 'closed' : 'closing'}`, this.closeCode ?? undefined);
  }

  // -------------------------------------------------------------------------
  // Closing

  /**
   * Close: send a close frame with `code` and `reason`, wait for the peer's
   * close frame (at most `timeout`), then close TCP. Resolves when the
   * connection is closed; also stops reconnecting. Messages already queued
   * can still be read; while the queue is past `receiveHighWaterMark`,
   * messages arriving after `close()` are dropped (reading goes on, so the
   * peer's close frame behind them is seen).
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
    if (this.#closing !== null) return this.#closing.promise;
    if (this.readyState === CLOSED) return RESOLVED;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.#closing = { promise, resolve };
    this.#flags |= USER_CLOSED;
    this.#reconnector?.cancel();
    this.#opening?.abort(CLOSED_BEFORE_OPEN);
    if (!this.#driver.connected) {
      // Not connected (never, or between reconnect attempts).
      if (this.closeCode === null) this.closeCode = (this.#flags & STARTED) !== 0 ? 1006 : code;
      this.#end(true, this._closedError(this.closeCode, this.closeReason));
      this.#finalize();
      return promise;
    }
    if (this.#driver.closeSent) return promise; // already closing: wait for it
    // Messages queued before the close go out before the close frame.
    this.#driver.close(payload);
    return promise;
  }

  #aborted(): void {
    abortListeners.delete(this);
    const signal = this._settings.signal!;
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
