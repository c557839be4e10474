/**
 * Outgoing data messages of one WebSocket, in order. permessage-deflate
 * compresses asynchronously (node:zlib), so a message that needs no
 * compression — short, or on a connection without the extension — must
 * still wait behind one being compressed: the sender keeps a FIFO of what
 * waits, starts one compression at a time, and writes each frame in its
 * turn. A step that must come after every queued message (our close frame)
 * is queued with {@link Sender.afterQueued}, not faked as an empty
 * compression. Frames go out through the {@link FrameWriter} (batching and
 * backpressure).
 * @module
 */
import type { Socket } from 'node:net';
import { buildFrame, buildTextFrame } from './build.js';
import type { PerMessageDeflate } from './deflate.js';
import { FrameWriter } from './writer.js';

/** Who the sender asks whether data may still go out. */
export interface SenderOwner {
  /** Null while data frames may be sent; else the error a send still queued rejects with (closing, closed). @internal */
  sendBlocked(): Error | null;
  /** Whether a pong may no longer go out: the peer's close frame arrived, or the connection failed or is gone (RFC 6455 §5.5.2). @internal */
  pongBlocked(): boolean;
}

/** A message (or a step) waiting for its turn. */
interface Queued {
  opcode: number;
  /** The message bytes; null for a step of {@link Sender.afterQueued}. */
  data: Buffer | null;
  compress: boolean;
  resolve: () => void;
  reject: (e: Error) => void;
  step: (() => void) | null;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** The pong a {@link Sender} holds back while its socket's buffer is full (only the latest ping's: §5.5.3): an entry only during a flood, no field on every connection. */
const owedPongs = new WeakMap<Sender, Buffer>();

function noop(): void {}

/**
 * Sends the data messages of one WebSocket, whichever connection it
 * currently has. It is its {@link FrameWriter} (a subclass, not a field: one
 * object per connection instead of two).
 */
export class Sender extends FrameWriter {
  readonly #owner: SenderOwner;
  #socket: Socket | null;
  #deflate: PerMessageDeflate | null;
  /** Allocated when something first has to wait. */
  #queue: Queued[] | null;
  /** The message being compressed. */
  #inFlight: Queued | null;

  constructor(owner: SenderOwner) {
    super();
    this.#owner = owner;
    this.#socket = null;
    this.#deflate = null;
    this.#queue = null;
    this.#inFlight = null;
  }

  /** Bytes of messages `send()` took that wait for compression or for their turn behind one (part of `bufferedAmount`). */
  get waitingBytes(): number {
    // Counted when asked (rarely), so an idle connection carries no counter.
    let n = this.#inFlight?.data?.length ?? 0;
    const q = this.#queue;
    if (q !== null) for (let i = 0; i < q.length; i++) n += q[i]!.data?.length ?? 0;
    return n;
  }

  /** Send on a new connection (`deflate` when permessage-deflate was agreed). */
  attach(socket: Socket, deflate: PerMessageDeflate | null): void {
    this.#socket = socket;
    this.#deflate = deflate;
    this.#inFlight = null;
  }

  /** The connection is gone: everything waiting (for its turn or for `drain`) rejects with `err`. */
  detach(err: Error): void {
    this.#socket = null;
    this.#deflate = null;
    owedPongs.delete(this);
    const inFlight = this.#inFlight;
    this.#inFlight = null;
    this.abandon(err);
    const q = this.#queue;
    this.#queue = null;
    if (inFlight !== null) inFlight.reject(err);
    if (q !== null) for (const item of q) item.reject(err);
  }

  #idle(): boolean {
    return this.#inFlight === null && (this.#queue === null || this.#queue.length === 0);
  }

  /** Write a control frame now (pings do not wait behind data: RFC 6455 §5.4 lets them interleave). */
  writeControl(frame: Buffer): void {
    if (this.#socket !== null) this.write(this.#socket, frame);
  }

  /**
   * Write the pong answering a ping. While the socket's buffer is over its
   * high-water mark (the peer is not reading), it is held back until `drain`,
   * and a later ping's pong replaces it (RFC 6455 §5.5.3): a peer that floods
   * pings without reading the answers cannot grow our buffer without bound.
   */
  writePong(frame: Buffer): void {
    const socket = this.#socket;
    if (socket === null) return;
    if (owedPongs.has(this)) {
      owedPongs.set(this, frame);
      return;
    }
    if (socket.writableLength < socket.writableHighWaterMark) {
      this.write(socket, frame);
      return;
    }
    owedPongs.set(this, frame);
    this.waitDrain(socket).then(() => {
      const owed = owedPongs.get(this);
      owedPongs.delete(this);
      // Still due after our close frame, not once the peer's arrived (§5.5.2).
      if (owed !== undefined && this.#socket === socket && !this.#owner.pongBlocked()) this.write(socket, owed);
    }, noop);
  }

  /** Send a text message. Call only while the connection is open. */
  sendText(text: string): Promise<void> {
    const deflate = this.#deflate;
    // At most 3 bytes per UTF-16 unit: a string surely under the threshold skips the deflate path.
    if (deflate === null || (!deflate.shouldCompress(text.length * 3) && this.#idle())) return this.#write(buildTextFrame(text));
    return this.#send(1, Buffer.from(text, 'utf8'));
  }

  /** Send a binary message. Call only while the connection is open. */
  sendBinary(bytes: Uint8Array): Promise<void> {
    if (this.#deflate === null && this.#idle()) return this.#write(buildFrame(2, bytes));
    return this.#send(2, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  #write(frame: Buffer): Promise<void> {
    const socket = this.#socket!;
    if (this.write(socket, frame)) return RESOLVED;
    return this.waitDrain(socket);
  }

  #send(opcode: number, data: Buffer): Promise<void> {
    const compress = this.#deflate !== null && this.#deflate.shouldCompress(data.length);
    if (this.#idle()) {
      if (!compress) return this.#write(buildFrame(opcode, data));
      return new Promise<void>((resolve, reject) => this.#compress({ opcode, data, compress, resolve, reject, step: null }));
    }
    return new Promise<void>((resolve, reject) => (this.#queue ??= []).push({ opcode, data, compress, resolve, reject, step: null }));
  }

  /** Run `step` once every message queued before it went out (at once when none waits). */
  afterQueued(step: () => void): void {
    if (this.#idle()) step();
    else (this.#queue ??= []).push({ opcode: 0, data: null, compress: false, resolve: noop, reject: noop, step });
  }

  #compress(item: Queued): void {
    this.#inFlight = item;
    this.#deflate!.compress(item.data!, (err, payload) => {
      if (this.#inFlight !== item) return; // detached: the item was rejected there
      this.#inFlight = null;
      if (err !== null) item.reject(err);
      else this.#emit(item, buildFrame(item.opcode, payload, true, true));
      this.#next();
    });
  }

  #emit(item: Queued, frame: Buffer): void {
    const blocked = this.#owner.sendBlocked();
    if (blocked !== null) {
      item.reject(blocked);
      return;
    }
    this.#write(frame).then(item.resolve, item.reject);
  }

  /** Send what waited, in order, until a compression has to be awaited again. */
  #next(): void {
    const q = this.#queue;
    while (q !== null && q.length > 0 && this.#inFlight === null && this.#socket !== null) {
      const item = q.shift()!;
      if (item.step !== null) item.step();
      else if (item.compress) this.#compress(item);
      else this.#emit(item, buildFrame(item.opcode, item.data!));
    }
  }
}
