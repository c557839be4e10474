/**
 * The Node driver of a WebSocket's current connection: it joins the
 * transport {@link Connection} (socket events, pausing, timers) to the
 * sans-I/O {@link Protocol}, inflates compressed frames in order, sends
 * through the {@link Sender}, runs the keep-alive and bounds the closing
 * handshake. What outlives one connection — the reader queue, reconnecting,
 * the public state — belongs to its {@link DriverOwner} (the WebSocket).
 * @module
 */
import { attachRequest, type WebSocketError } from '../errors.js';
import type { Connection, ConnectionSink } from '../transport/connection.js';
import { buildFrame } from './build.js';
import { PerMessageDeflate } from './deflate.js';
import type { WebSocketMessage } from './events.js';
import type { Opened } from './opening.js';
import type { Settings } from './options.js';
import { joinKeepAlive, type KeepAliveMember, leaveKeepAlive } from './keepalive.js';
import { Pings } from './pings.js';
import { Protocol, type ProtocolEvents } from './protocol.js';
import { Sender, type SenderOwner } from './sender.js';

/** What the driver reports to the WebSocket that owns it. */
export interface DriverOwner {
  /** The WebSocket URL (for errors). @internal */
  readonly url: string;
  /** An error naming the request. @internal */
  wsError(message: string, code?: number, cause?: unknown): WebSocketError;
  /** Why a send cannot go out now (closing, closed). @internal */
  sendStateError(): Error;
  /** A message arrived. @internal */
  driverMessage(msg: WebSocketMessage): void;
  /** A ping or a pong arrived (a copy of its payload). @internal */
  driverControl(kind: 'ping' | 'pong', payload: Buffer): void;
  /** The peer's close frame arrived (and was answered). @internal */
  driverPeerClosed(code: number, reason: string): void;
  /** We failed the connection with `err.code` (a close frame carrying it went out). @internal */
  driverFailed(err: WebSocketError): void;
  /** Our close frame (of `close()`) went out. @internal */
  driverClosing(): void;
  /** The connection is gone (TCP closed); the driver is ready for the next one. @internal */
  driverGone(err: Error | null): void;
}

const PAUSE_QUEUE = 1;
const PAUSE_INFLATE = 2;
const EMPTY = Buffer.alloc(0);

/** Drives one connection at a time for its WebSocket. */
export class Driver implements ConnectionSink, ProtocolEvents, SenderOwner, KeepAliveMember {
  readonly #owner: DriverOwner;
  readonly #s: Settings;
  readonly #proto: Protocol;
  readonly #sender: Sender;
  /** Created by the first `ping()`. */
  #pings: Pings | null;
  #conn: Connection | null;
  #deflate: PerMessageDeflate | null;
  #pause: number;
  #closeTimer: NodeJS.Timeout | null;
  /** Something came from the peer since the last keep-alive ping. */
  #alive: boolean;

  constructor(owner: DriverOwner, s: Settings) {
    this.#owner = owner;
    this.#s = s;
    this.#proto = new Protocol(this, s.maxFrameBytes, s.maxMessageBytes);
    this.#sender = new Sender(this);
    this.#pings = null;
    this.#conn = null;
    this.#deflate = null;
    this.#pause = 0;
    this.#closeTimer = null;
    this.#alive = true;
  }

  /** Whether a connection is attached. */
  get connected(): boolean {
    return this.#conn !== null;
  }

  /** Our close frame was sent (no data may follow). */
  get closeSent(): boolean {
    return this.#proto.closeSent;
  }

  /** The peer's close frame was received on the last connection. */
  get closeReceived(): boolean {
    return this.#proto.closeReceived;
  }

  /** The last connection was failed by us. */
  get failed(): boolean {
    return this.#proto.failed;
  }

  /** Bytes of messages sent but not yet flushed to the network: waiting for compression (or behind one), then in the socket's buffer. */
  get bufferedAmount(): number {
    return this.#conn === null ? 0 : this.#sender.waitingBytes + this.#conn.socket.writableLength;
  }

  /** Take over a connection whose handshake is done; reading starts with {@link begin}. */
  start(o: Opened, queueFull: boolean): void {
    const conn = o.conn;
    this.#conn = conn;
    this.#proto.open(o.deflate !== null);
    if (queueFull) this.#proto.hold(true);
    this.#deflate = o.deflate === null ? null : new PerMessageDeflate(o.deflate, this.#s.deflate!, this.#s.maxMessageBytes);
    this.#sender.attach(conn.socket, this.#deflate);
    this.#pause = queueFull ? PAUSE_QUEUE : 0;
    this.#alive = true;
    conn.sink = this;
    const ms = this.#s.pingIntervalMs;
    if (ms > 0 && ms !== Number.POSITIVE_INFINITY) {
      // Ticked by the shared keep-alive timer of its interval (keepalive.ts).
      joinKeepAlive(this, ms);
    }
  }

  /** Read: first the bytes that came with the 101 head, then the socket. */
  begin(o: Opened): void {
    const conn = o.conn;
    if (o.rest !== null && this.#conn === conn) this.onData(conn, o.rest);
    if (this.#conn !== conn) return;
    if (conn.closed) {
      // The socket ended while the handshake's sink still held it.
      this.onClose(conn, conn.error);
      return;
    }
    if (this.#pause === 0) conn.socket.resume();
  }

  /** The reader queue crossed its high-water mark (pause reading) or drained below half (resume). */
  setQueueFull(full: boolean): void {
    // Once our close frame is out, reading never stops for the queue: the peer's close must be seen.
    if (full && this.#proto.closeSent) return;
    this.#setPause(PAUSE_QUEUE, full);
    // Also the bytes already received wait unparsed (and uninflated) until the reader catches up.
    this.#proto.hold(full);
  }

  #setPause(flag: number, on: boolean): void {
    const before = this.#pause;
    const after = on ? before | flag : before & ~flag;
    this.#pause = after;
    const conn = this.#conn;
    if (conn === null) return;
    if (before === 0 && after !== 0) conn.socket.pause();
    else if (before !== 0 && after === 0) conn.socket.resume();
  }

  // -------------------------------------------------------------------------
  // Socket events (ConnectionSink)

  /** The protocol copies what it keeps of the bytes it is given: views of the shared read buffer will do. @internal */
  get borrowsReads(): boolean {
    return true;
  }

  /** @internal */
  onData(conn: Connection, data: Buffer): void {
    if (conn !== this.#conn) return;
    this.#alive = true;
    this.#proto.receive(data, conn.readsBorrowed);
  }

  /** @internal */
  onClose(conn: Connection, err: Error | null): void {
    if (conn !== this.#conn) return;
    this.#teardown(conn, err);
  }

  /** @internal */
  onTimeout(): void {}

  // -------------------------------------------------------------------------
  // Protocol events (ProtocolEvents)

  /** @internal */
  onMessage(msg: WebSocketMessage): void {
    this.#owner.driverMessage(msg);
  }

  /** @internal */
  onCompressed(opcode: number, fin: boolean, payload: Buffer): void {
    const conn = this.#conn;
    // Stop reading until zlib is done: memory stays bounded.
    this.#setPause(PAUSE_INFLATE, true);
    this.#deflate!.decompress(payload, fin, (err, chunks) => {
      if (this.#conn !== conn) return;
      if (err !== null) {
        this.#proto.fail(err);
        return;
      }
      this.#proto.inflated(opcode, fin, chunks);
      if (this.#proto.reading && !this.#proto.waiting) this.#setPause(PAUSE_INFLATE, false);
    });
  }

  /** @internal */
  onPing(payload: Buffer): void {
    this.#owner.driverControl('ping', payload);
  }

  /** @internal */
  onPong(payload: Buffer): void {
    this.#pings?.pong(payload);
    this.#owner.driverControl('pong', payload);
  }

  /** @internal */
  onSend(frame: Buffer, pong?: boolean): void {
    if (pong === true) this.#sender.writePong(frame);
    else this.#sender.writeControl(frame);
  }

  /** @internal */
  onCloseFrame(code: number, reason: string): void {
    const conn = this.#conn!;
    this.#drainSocket();
    this.#owner.driverPeerClosed(code, reason);
    // §7.1.1: the server SHOULD close TCP first (it then holds TIME_WAIT, not us): wait for its FIN,
    // at most `timeout`. Without a timeout, close now (once our echo is out) rather than wait forever:
    // end() alone would still wait for the server's FIN, which a server may never send.
    if (!this.#armCloseTimer(conn)) conn.socket.destroySoon();
  }

  /** @internal */
  onFail(err: WebSocketError): void {
    this.#drainSocket();
    this.#owner.driverFailed(attachRequest(err, 'GET', this.#owner.url));
    const conn = this.#conn;
    if (conn !== null) {
      // §7.1.7: nothing more is read; the server may close TCP first, within `timeout`. Without
      // a timeout, close once our close frame is out: end() alone would wait for the server's FIN.
      if (this.#armCloseTimer(conn)) conn.socket.end();
      else conn.socket.destroySoon();
    }
  }

  /** @internal */
  sendBlocked(): Error | null {
    return this.#conn === null || this.#proto.closeSent ? this.#owner.sendStateError() : null;
  }

  /** @internal */
  pongBlocked(): boolean {
    return this.#conn === null || !this.#proto.reading;
  }

  /** Nothing more is read: keep draining the socket (bytes are dropped) so the peer's FIN and the close are seen. */
  #drainSocket(): void {
    if (this.#pause !== 0) {
      this.#pause = 0;
      this.#conn?.socket.resume();
    }
  }

  // -------------------------------------------------------------------------
  // Sending (the owner checked that the connection is open)

  /** Send a text message. */
  sendText(text: string): Promise<void> {
    return this.#sender.sendText(text);
  }

  /** Send a binary message. */
  sendBinary(bytes: Uint8Array): Promise<void> {
    return this.#sender.sendBinary(bytes);
  }

  /** Send a ping; resolves with the round-trip time when its pong comes (`payload` undefined: a sequence number). */
  ping(payload: Buffer | undefined): Promise<number> {
    const pings = (this.#pings ??= new Pings());
    const data = payload ?? pings.nextPayload();
    const ms = this.#s.timeoutMs;
    const pong = pings.wait(data, ms, () => this.#owner.wsError(`no pong within ${ms} ms`));
    this.#sender.writeControl(buildFrame(9, data));
    return pong;
  }

  /** Send our close frame after the messages queued before it, then wait (at most `timeout`) for the peer's. */
  close(payload: Buffer): void {
    const conn = this.#conn;
    if (conn === null) return;
    this.#sender.afterQueued(() => {
      if (this.#conn !== conn || !this.#proto.sendClose(payload)) return;
      this.#owner.driverClosing();
      this.#armCloseTimer(conn);
      // A full reader queue held reading: the peer's close frame may wait behind messages
      // nobody reads. Read on (the owner drops messages past the queue's mark from now on).
      if ((this.#pause & PAUSE_QUEUE) !== 0) this.setQueueFull(false);
    });
  }

  /** Bound the closing handshake by `timeout`; false when there is no timeout. */
  #armCloseTimer(conn: Connection): boolean {
    if (this.#closeTimer !== null) return true;
    const ms = this.#s.timeoutMs;
    if (ms <= 0 || ms === Number.POSITIVE_INFINITY) return false;
    this.#closeTimer = setTimeout(closeTimedOut, ms, this, conn);
    return true;
  }

  /** @internal The closing handshake took longer than `timeout`. */
  _closeTimedOut(conn: Connection): void {
    this.#closeTimer = null;
    conn.destroy();
  }

  /** @internal One keep-alive interval passed. */
  keepAliveTick(): void {
    const conn = this.#conn;
    if (conn === null || this.#proto.closeSent) return;
    if (this.#pause !== 0) {
      // We are not reading (an unread queue, or waiting for zlib): the peer's bytes, pongs too, wait
      // unread in the kernel, so its silence says nothing. Judge again once reading resumes.
      this.#alive = true;
      return;
    }
    if (!this.#alive) {
      // Nothing (not even the pong) came back for a whole interval: the peer or the path is gone —
      // unless our own event loop was stalled and the bytes wait in the poll phase: look again after it.
      setImmediate(() => {
        if (this.#conn === conn && !this.#alive && this.#pause === 0 && !this.#proto.closeSent) conn.destroy(new Error(`no data and no pong for ${this.#s.pingIntervalMs} ms`));
      });
      return;
    }
    this.#alive = false;
    this.#sender.writeControl(buildFrame(9, EMPTY));
  }

  /** TCP is gone: release everything of this connection, then tell the owner. */
  #teardown(conn: Connection, err: Error | null): void {
    this.#conn = null;
    if (!conn.socket.destroyed) conn.socket.destroy();
    if (this.#closeTimer !== null) {
      clearTimeout(this.#closeTimer);
      this.#closeTimer = null;
    }
    leaveKeepAlive(this, this.#s.pingIntervalMs);
    this.#proto.stop();
    this.#pause = 0;
    const gone = this.#owner.wsError(`the WebSocket connection closed${err !== null ? `: ${err.message}` : ''}`, 1006, err ?? undefined);
    this.#sender.detach(gone);
    if (this.#deflate !== null) {
      this.#deflate.close(gone);
      this.#deflate = null;
    }
    this.#pings?.rejectAll(gone);
    this.#owner.driverGone(err);
  }
}

/** setTimeout callback of the close timer (no closure per connection). */
function closeTimedOut(d: Driver, conn: Connection): void {
  d._closeTimedOut(conn);
}
