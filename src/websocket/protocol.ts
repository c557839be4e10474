/**
 * The WebSocket protocol of one connection, sans-I/O (the model is
 * python-websockets' `Protocol`): bytes in through {@link Protocol.receive},
 * events and bytes out through a {@link ProtocolEvents}. No socket, no timer:
 * every case is a unit test that feeds bytes.
 *
 * - Messages (RFC 6455 §5.4, §5.6): fragments are joined, text is checked
 *   as UTF-8 as it arrives (1007 at the first bad byte), also within a frame
 *   still arriving over several reads.
 * - Compressed messages (RFC 7692): inflating is asynchronous in node:zlib,
 *   so each compressed frame is handed out with `onCompressed` and parsing
 *   stops until the driver gives the output back with {@link
 *   Protocol.inflated}; bytes that arrive meanwhile are kept, in order. So
 *   messages come out in wire order whatever zlib's timing.
 * - Control frames: a ping is answered with a pong carrying its payload
 *   (§5.5.2), also after our close frame, until the peer's arrives; a close
 *   frame is echoed with its code (§5.5.1) unless ours was already sent;
 *   after the peer's close frame nothing more is read (§1.4).
 * - Failing (§7.1.7): a violation sends a close frame with the code the
 *   error carries (1002, 1007, 1009), stops reading and reports `onFail`.
 * @module
 */
import { WebSocketError } from '../errors.js';
import { buildFrame } from './build.js';
import { decodeClosePayload, encodeClosePayload } from './close.js';
import type { WebSocketMessage } from './events.js';
import { FrameParser, type FrameHandler } from './frame.js';
import { isValidUtf8, Utf8Validator } from './utf8.js';

/** What a {@link Protocol} reports; the connection driver implements it. */
export interface ProtocolEvents {
  /** A whole message: a string for text, a Buffer for binary. @internal */
  onMessage(msg: WebSocketMessage): void;
  /** A frame of a compressed message to inflate; call {@link Protocol.inflated} (or {@link Protocol.fail}) with its output. @internal */
  onCompressed(opcode: number, fin: boolean, payload: Buffer): void;
  /** A ping (already answered with a pong through `onSend`). @internal */
  onPing(payload: Buffer): void;
  /** A pong. @internal */
  onPong(payload: Buffer): void;
  /** The peer's close frame arrived (our echo, when due, went out through `onSend`). @internal */
  onCloseFrame(code: number, reason: string): void;
  /** The connection failed; a close frame carrying `err.code` went out through `onSend` when none had been sent. @internal */
  onFail(err: WebSocketError): void;
  /**
   * Bytes to write to the peer. `pong` marks the answer to a ping, which may
   * be held back while the peer does not read ours and replaced by a later
   * one (§5.5.3 lets an endpoint answer only the most recent ping). @internal
   */
  onSend(frame: Buffer, pong?: boolean): void;
}

const EMPTY = Buffer.alloc(0);

/** A small binary payload that is a view of a much larger buffer is copied, so it does not pin that buffer. */
function ownBytes(b: Buffer): Buffer {
  const extra = b.buffer.byteLength - b.length;
  return extra > 1024 && extra > b.length ? Buffer.from(b) : b;
}

function failReason(code: number): string {
  return code === 1002 ? 'protocol error' : code === 1007 ? 'invalid UTF-8' : code === 1009 ? 'message too big' : '';
}

/**
 * Pieces of a fragmented message shorter than this are copied into a shared
 * buffer rather than kept as views, so a message sent as millions of 1-byte
 * fragments costs its bytes, not a Buffer object (~100 bytes) per byte.
 */
const SMALL_PIECE = 1024;
/** The buffer small pieces are copied into, and its used part (from `start`: not yet a piece of the message). */
interface Stage {
  buf: Buffer;
  start: number;
  end: number;
}

/** Size of that buffer once a message has this many bytes (before: {@link SMALL_PIECE}). */
const STAGE_BYTES = 16 * 1024;

const CLOSE_SENT = 1;
const CLOSE_RECEIVED = 2;
const FAILED = 4;
const READING = 8;
const FRAGMENTING = 16;
/** Parsing is held: the reader's queue is full ({@link Protocol.hold}). */
const HELD = 32;
/** A compressed frame is out for inflating (until {@link Protocol.inflated}). */
const INFLATING = 64;
/** The bytes being parsed are borrowed (valid only during {@link Protocol.receive}): anything kept is copied. */
const BORROWED = 128;

/** The protocol state of one WebSocket connection (a client's view). */
export class Protocol implements FrameHandler {
  /** The close code received, or sent when failing; null before. */
  closeCode: number | null;
  /** The close reason that came with {@link closeCode}. */
  closeReason: string;
  readonly #events: ProtocolEvents;
  readonly #parser: FrameParser;
  /** Validates a fragmented text message; created by the first one. */
  #utf8: Utf8Validator | null;
  /** CLOSE_SENT | CLOSE_RECEIVED | FAILED | READING | FRAGMENTING: five booleans in one field. */
  #flags: number;
  #frags: Buffer[] | null;
  #fragBytes: number;
  /** Small pieces of a message are copied here (a bump buffer), not kept as views: see {@link SMALL_PIECE}. */
  #stage: Stage | null;
  /** Bytes received while parsing waited for an inflate. */
  #pending: Buffer | null;

  /**
   * @param events where events and outgoing bytes go
   * @param maxFrameBytes largest frame (see {@link FrameParser})
   * @param maxMessageBytes largest uncompressed message (the inflated size is the inflater's limit)
   */
  constructor(events: ProtocolEvents, maxFrameBytes: number, maxMessageBytes: number) {
    this.#flags = 0;
    this.closeCode = null;
    this.closeReason = '';
    this.#events = events;
    this.#parser = new FrameParser(this, { maxFrameBytes, maxMessageBytes });
    this.#utf8 = null;
    this.#frags = null;
    this.#fragBytes = 0;
    this.#stage = null;
    this.#pending = null;
  }

  /** Our close frame was sent: no data frame may follow (§5.5.1). */
  get closeSent(): boolean {
    return (this.#flags & CLOSE_SENT) !== 0;
  }

  /** The peer's close frame was received. */
  get closeReceived(): boolean {
    return (this.#flags & CLOSE_RECEIVED) !== 0;
  }

  /** The connection was failed (by us). */
  get failed(): boolean {
    return (this.#flags & FAILED) !== 0;
  }

  get #reading(): boolean {
    return (this.#flags & READING) !== 0;
  }

  get #fragmenting(): boolean {
    return (this.#flags & FRAGMENTING) !== 0;
  }

  /** Start a new connection (also after a reconnect); `compressed` when permessage-deflate was agreed. */
  open(compressed: boolean): void {
    this.#flags = READING;
    this.closeCode = null;
    this.closeReason = '';
    this.#parser.reset();
    this.#parser.rsv1Allowed = compressed;
    this.#utf8?.reset();
    this.#frags = null;
    this.#fragBytes = 0;
    this.#stage = null;
    this.#pending = null;
  }

  /** Whether parsing waits for an inflate (the driver should stop reading the socket meanwhile). */
  get waiting(): boolean {
    return this.#reading && (this.#flags & INFLATING) !== 0;
  }

  /**
   * Hold parsing (the reader's queue is full) or go on. Held, no further
   * frame is parsed — nor inflated — and bytes received are kept as they
   * are: the queue cannot outgrow its high-water mark by the messages of
   * bytes already received (compressed ones could each inflate to
   * `maxMessageBytes`). Going on parses what was kept.
   */
  hold(on: boolean): void {
    if (on) {
      this.#flags |= HELD;
      if (this.#reading) this.#parser.paused = true;
      return;
    }
    if ((this.#flags & HELD) === 0) return;
    this.#flags &= ~HELD;
    if (!this.#reading || (this.#flags & INFLATING) !== 0) return;
    this.#parser.paused = false;
    const rest = this.#pending;
    this.#pending = null;
    if (rest !== null) this.#parse(rest);
  }

  /** Whether received bytes are still read (false once a close frame was received or the connection failed). */
  get reading(): boolean {
    return this.#reading;
  }

  /**
   * Feed received bytes, split anywhere.
   * @param borrowed `data` is valid only during this call (a shared read buffer): what is kept of it is copied
   */
  receive(data: Buffer, borrowed = false): void {
    if (!this.#reading) return;
    if (this.#pending !== null) {
      this.#pending = Buffer.concat([this.#pending, data]);
      return;
    }
    this.#parse(data, borrowed);
  }

  #parse(data: Buffer, borrowed = false): void {
    // Saved and restored: a handler may feed held bytes (owned ones) while borrowed ones are parsed.
    const outer = this.#flags & BORROWED;
    this.#flags = borrowed ? this.#flags | BORROWED : this.#flags & ~BORROWED;
    try {
      const n = this.#parser.execute(data);
      if (n < data.length && this.#reading) this.#pending = borrowed ? Buffer.from(data.subarray(n)) : data.subarray(n);
    } catch (err) {
      this.fail(err);
    } finally {
      this.#flags = (this.#flags & ~BORROWED) | outer;
    }
  }

  /** The output of the frame last given to `onCompressed`; parsing goes on with the bytes received meanwhile. */
  inflated(opcode: number, fin: boolean, chunks: readonly Buffer[]): void {
    if (!this.#reading) return;
    this.#flags &= ~INFLATING;
    try {
      for (let i = 0; i < chunks.length; i++) this.#piece(opcode, chunks[i]!, 0);
      if (fin) this.#completeMessage(opcode);
    } catch (e) {
      this.fail(e);
      return;
    }
    // The message may have filled the reader's queue: then parsing stays held.
    if ((this.#flags & HELD) !== 0) return;
    this.#parser.paused = false;
    const rest = this.#pending;
    this.#pending = null;
    if (rest !== null) this.#parse(rest);
  }

  /** Whether the payload just handed out by the parser is a view of borrowed bytes (to copy if kept). */
  #borrowed(): boolean {
    return (this.#flags & BORROWED) !== 0 && !this.#parser.emittedOwn;
  }

  /** @internal */
  onDataFrame(opcode: number, fin: boolean, compressed: boolean, payload: Buffer, early: number): void {
    if (compressed) {
      // Wait for zlib: messages stay in order and memory stays bounded.
      this.#parser.paused = true;
      this.#flags |= FRAGMENTING | INFLATING;
      // zlib reads the input later, after this read's buffer was reused.
      this.#events.onCompressed(opcode, fin, this.#borrowed() ? Buffer.from(payload) : payload);
      return;
    }
    if (fin && !this.#fragmenting && early === 0) {
      // The common case: a whole message in one frame.
      if (opcode === 1) {
        if (!isValidUtf8(payload)) throw new WebSocketError('text message is not valid UTF-8', { code: 1007 });
        this.#events.onMessage(payload.toString('utf8'));
      } else this.#events.onMessage(this.#borrowed() ? Buffer.from(payload) : ownBytes(payload));
      return;
    }
    this.#flags |= FRAGMENTING;
    this.#piece(opcode, payload, early);
    if (fin) this.#completeMessage(opcode);
  }

  /** @internal Part of a text frame still arriving: checked now, so an invalid prefix fails at once (§8.1). */
  onTextBytes(chunk: Buffer): void {
    if (!(this.#utf8 ??= new Utf8Validator()).push(chunk)) throw new WebSocketError('text message is not valid UTF-8', { code: 1007 });
  }

  /** Add a chunk of the message; for text, its bytes from `checked` on are validated (those before were, by {@link onTextBytes}). */
  #piece(opcode: number, chunk: Buffer, checked: number): void {
    if (opcode === 1 && !(this.#utf8 ??= new Utf8Validator()).push(checked === 0 ? chunk : chunk.subarray(checked))) {
      throw new WebSocketError('text message is not valid UTF-8', { code: 1007 });
    }
    const n = chunk.length;
    if (n === 0) return;
    this.#fragBytes += n;
    if (n >= SMALL_PIECE) {
      this.#flushStage();
      (this.#frags ??= []).push(this.#borrowed() ? Buffer.from(chunk) : chunk);
      return;
    }
    let stage = this.#stage;
    if (stage === null || stage.end + n > stage.buf.length) {
      this.#flushStage();
      // Small at first (a short fragmented message stays cheap), then in 16 KiB blocks.
      const buf = Buffer.allocUnsafe(this.#fragBytes <= STAGE_BYTES ? SMALL_PIECE : STAGE_BYTES);
      if (stage === null) stage = this.#stage = { buf, start: 0, end: 0 };
      else {
        stage.buf = buf;
        stage.start = 0;
        stage.end = 0;
      }
    }
    chunk.copy(stage.buf, stage.end);
    stage.end += n;
  }

  /** The staged small pieces become one piece of the message. */
  #flushStage(): void {
    const stage = this.#stage;
    if (stage !== null && stage.end > stage.start) {
      (this.#frags ??= []).push(stage.buf.subarray(stage.start, stage.end));
      stage.start = stage.end;
    }
  }

  #completeMessage(opcode: number): void {
    this.#flushStage();
    const frags = this.#frags;
    const n = this.#fragBytes;
    this.#frags = null;
    this.#fragBytes = 0;
    this.#stage = null;
    this.#flags &= ~FRAGMENTING;
    if (opcode === 1 && this.#utf8 !== null && !this.#utf8.end()) throw new WebSocketError('text message ends inside a UTF-8 sequence', { code: 1007 });
    const buf = frags === null ? EMPTY : frags.length === 1 ? frags[0]! : Buffer.concat(frags, n);
    this.#events.onMessage(opcode === 1 ? buf.toString('utf8') : ownBytes(buf));
  }

  /** @internal */
  onControlFrame(opcode: number, payload: Buffer): void {
    if (opcode === 8) {
      this.#onCloseFrame(payload);
      return;
    }
    if (opcode === 9) {
      // §5.5.2: a pong is due unless a close frame was received (nothing is read after one), also
      // after our own close frame: only data frames may not follow it (§5.5.1).
      this.#events.onSend(buildFrame(10, payload), true);
      this.#events.onPing(payload);
      return;
    }
    this.#events.onPong(payload);
  }

  #onCloseFrame(payload: Buffer): void {
    const { code, reason } = decodeClosePayload(payload, isValidUtf8);
    this.#flags |= CLOSE_RECEIVED;
    this.#stopReading();
    this.closeCode = code;
    this.closeReason = reason;
    if (!this.closeSent) {
      // §5.5.1: echo the status code.
      this.#flags |= CLOSE_SENT;
      this.#events.onSend(buildFrame(8, code === 1005 ? EMPTY : encodeClosePayload(code, '')));
    }
    this.#events.onCloseFrame(code, reason);
  }

  /**
   * Send our close frame (§5.5.1) unless one was sent; false when one was.
   * @param payload from `encodeClosePayload`
   */
  sendClose(payload: Buffer): boolean {
    if (this.closeSent) return false;
    this.#flags |= CLOSE_SENT;
    this.#events.onSend(buildFrame(8, payload));
    return true;
  }

  /** Fail the connection (§7.1.7) with the close code the error carries (a non-WebSocketError: 1011). */
  fail(e: unknown): void {
    if (this.failed || !this.#reading) return;
    const err = e instanceof WebSocketError ? e : new WebSocketError(`WebSocket failure: ${(e as Error)?.message ?? String(e)}`, { code: 1011, cause: e });
    const code = err.code ?? 1002;
    this.#flags |= FAILED;
    this.#stopReading();
    this.closeCode = code;
    this.closeReason = '';
    if (!this.closeSent) {
      this.#flags |= CLOSE_SENT;
      this.#events.onSend(buildFrame(8, encodeClosePayload(code, failReason(code))));
    }
    this.#events.onFail(err);
  }

  /** The transport is gone: read nothing more. */
  stop(): void {
    this.#stopReading();
    this.#flags &= ~FRAGMENTING;
    this.#utf8?.reset();
  }

  #stopReading(): void {
    this.#flags &= ~READING;
    this.#parser.paused = true;
    this.#pending = null;
    this.#frags = null;
    this.#fragBytes = 0;
    this.#stage = null;
  }
}
