/**
 * WebSocket frame parser (RFC 6455 §5), sans-I/O: a {@link FrameParser} fed
 * bytes split anywhere.
 *
 * Rules the parser enforces, each failure a {@link WebSocketError} whose
 * `code` is the close code to send (1002 protocol error, 1009 too big):
 * - §5.2   RSV2/RSV3 never set; RSV1 only on the first frame of a data message
 *          and only when an extension (permessage-deflate) negotiated it.
 * - §5.2   opcodes 3–7 and 11–15 are reserved.
 * - §5.1   a server never masks its frames (a client must; `expectMasked` flips
 *          this so the same parser can check client frames in tests).
 * - §5.2   a 64-bit length has its most significant bit clear.
 * - §5.4   a continuation needs a message in progress; a new text/binary frame
 *          may not start before the previous message's FIN.
 * - §5.5   control frames are never fragmented and carry ≤ 125 bytes.
 * - §8.1   a text frame cut across reads hands its bytes so far to
 *          `onTextBytes` (when the handler has it), so invalid UTF-8 can fail
 *          before the frame completes.
 * - limits `maxFrameBytes` (per frame) and `maxMessageBytes` (sum of an
 *          uncompressed message's frames) are checked from the header, before
 *          a payload byte is buffered. A frame of a compressed message may be
 *          larger than `maxFrameBytes` by DEFLATE's worst-case growth
 *          ({@link compressedFrameLimit}): incompressible data grows when
 *          deflated, and a message that fits uncompressed must fit compressed.
 *          Its inflated size is bounded by `maxMessageBytes`, by the caller.
 *
 * Client frames are built in `build.ts`; close codes and payloads are in `close.ts`.
 * @module
 */
import { WebSocketError } from '../errors.js';
import { maskInPlace } from './build.js';

/** Frame opcodes (RFC 6455 §5.2). */
export const enum Opcode {
  Continuation = 0,
  Text = 1,
  Binary = 2,
  Close = 8,
  Ping = 9,
  Pong = 10,
}

/** Receives complete frames from a {@link FrameParser}. */
export interface FrameHandler {
  /**
   * A text or binary frame, or a continuation of one. `opcode` is the
   * message's opcode (1 text, 2 binary) for continuations too; `compressed`
   * is the RSV1 bit of the message's first frame. `payload` may be a view of
   * the bytes given to `execute`.
   * @internal (like its implementation in WebSocket, which stripInternal drops from the .d.ts)
   */
  onDataFrame(opcode: number, fin: boolean, compressed: boolean, payload: Buffer, early: number): void;
  /**
   * Bytes of an unfinished frame of an uncompressed text message, as they
   * arrive (unmasked frames only): lets UTF-8 be checked before the frame
   * completes (fail fast, RFC 6455 §8.1). The frame's `onDataFrame` then says
   * how many of its first bytes were given here (`early`). @internal
   */
  onTextBytes?(chunk: Buffer): void;
  /** A close, ping or pong frame (always complete, ≤ 125 bytes). @internal */
  onControlFrame(opcode: number, payload: Buffer): void;
}

const EMPTY = Buffer.alloc(0);

/** A protocol violation: close code 1002. */
export function protocolError(message: string): WebSocketError {
  return new WebSocketError(message, { code: 1002 });
}

/**
 * Largest payload accepted for one frame of a compressed (RSV1) message when
 * `maxFrameBytes` is `n`: `n` plus the most DEFLATE can grow `n` bytes —
 * zlib's conservative `deflateBound()` (n/8 + n/64 + 5, for any memLevel and
 * window) plus the few bytes of a sync flush.
 */
export function compressedFrameLimit(n: number): number {
  return n + Math.ceil(n / 8) + Math.ceil(n / 64) + 11;
}

function tooBig(message: string): WebSocketError {
  return new WebSocketError(message, { code: 1009 });
}

/** Options of a {@link FrameParser}. */
export interface FrameParserOptions {
  /** Largest frame payload accepted, in bytes (a compressed frame: up to {@link compressedFrameLimit} of it). */
  maxFrameBytes: number;
  /** Largest message accepted (sum of its frames' payloads), in bytes; compressed messages are limited after inflating, by the caller. */
  maxMessageBytes: number;
  /** Frames are expected masked (a server's view); default false (a client's view: masked frames are an error). */
  expectMasked?: boolean;
}

/** {@link FrameParser} flag bits: one number instead of seven boolean fields (8 bytes each, on every idle connection). */
const F_PAYLOAD = 1;
const F_FIN = 2;
const F_MASKED = 4;
const F_MSG_COMPRESSED = 8;
const F_EXPECT_MASKED = 16;
const F_RSV1_ALLOWED = 32;
const F_PAUSED = 64;
const F_EMITTED_OWN = 128;

/** Incremental WebSocket frame parser; one per connection. */
export class FrameParser {
  /** Largest frame payload accepted. */
  maxFrameBytes: number;
  /** Largest uncompressed message accepted. */
  maxMessageBytes: number;
  /** The F_* bits. */
  #flags: number;
  readonly #handler: FrameHandler;
  /** A header split across chunks is gathered here; allocated the first time one is. */
  #head: Buffer | null;
  #headLen: number;
  #opcode: number;
  #length: number;
  #payload: Buffer | null;
  #received: number;
  #msgOpcode: number;
  #msgBytes: number;

  constructor(handler: FrameHandler, options: FrameParserOptions) {
    this.maxFrameBytes = options.maxFrameBytes;
    this.maxMessageBytes = options.maxMessageBytes;
    this.#flags = options.expectMasked === true ? F_EXPECT_MASKED : 0;
    this.#handler = handler;
    this.#head = null;
    this.#headLen = 0;
    this.#opcode = 0;
    this.#length = 0;
    this.#payload = null;
    this.#received = 0;
    this.#msgOpcode = 0;
    this.#msgBytes = 0;
  }

  /** Whether RSV1 may start a message (permessage-deflate negotiated). */
  get rsv1Allowed(): boolean {
    return (this.#flags & F_RSV1_ALLOWED) !== 0;
  }

  set rsv1Allowed(on: boolean) {
    this.#flags = on ? this.#flags | F_RSV1_ALLOWED : this.#flags & ~F_RSV1_ALLOWED;
  }

  /** Set (by the handler) to make {@link execute} return after the current frame. */
  get paused(): boolean {
    return (this.#flags & F_PAUSED) !== 0;
  }

  set paused(on: boolean) {
    this.#flags = on ? this.#flags | F_PAUSED : this.#flags & ~F_PAUSED;
  }

  /** Whether the payload last handed out is the parser's own buffer (a frame gathered across chunks), not a view of the caller's bytes. */
  get emittedOwn(): boolean {
    return (this.#flags & F_EMITTED_OWN) !== 0;
  }

  /** Forget any partial frame and message (a new connection). */
  reset(): void {
    this.#flags &= F_EXPECT_MASKED | F_RSV1_ALLOWED;
    this.#headLen = 0;
    this.#payload = null;
    this.#received = 0;
    this.#msgOpcode = 0;
    this.#msgBytes = 0;
  }

  /** Whether a data message has started and not yet ended. */
  get inMessage(): boolean {
    return this.#msgOpcode !== 0;
  }

  /** Whether bytes of an unfinished frame are held. */
  get partial(): boolean {
    return this.#headLen !== 0 || (this.#flags & F_PAYLOAD) !== 0;
  }

  /**
   * Feed bytes. Complete frames go to the handler as they are found. Returns
   * the number of bytes consumed: all of them unless the handler set
   * {@link paused}, in which case the caller keeps the rest and feeds it later.
   * @throws WebSocketError (code 1002 or 1009) on a violation; the parser is then unusable.
   */
  execute(buf: Buffer): number {
    const len = buf.length;
    let pos = 0;
    while (pos < len && (this.#flags & F_PAUSED) === 0) {
      if ((this.#flags & F_PAYLOAD) !== 0) {
        pos = this.#readPayload(buf, pos);
        continue;
      }
      if (this.#headLen === 0 && len - pos >= 2) {
        // Fast path: the whole header is in this chunk.
        const hl = headerLength(buf[pos + 1]!);
        if (len - pos >= hl) {
          this.#decodeHeader(buf, pos);
          pos += hl;
          if (this.#length === 0) this.#emit(EMPTY);
          continue;
        }
      }
      // Slow path: gather the header in #head across chunks.
      const head = (this.#head ??= Buffer.alloc(14));
      if (this.#headLen < 2) {
        head[this.#headLen++] = buf[pos++]!;
        if (this.#headLen < 2) continue;
      }
      const hl = headerLength(head[1]!);
      if (this.#headLen < hl) {
        const n = Math.min(hl - this.#headLen, len - pos);
        buf.copy(head, this.#headLen, pos, pos + n);
        this.#headLen += n;
        pos += n;
      }
      if (this.#headLen === hl) {
        this.#headLen = 0;
        this.#decodeHeader(head, 0);
        if (this.#length === 0) this.#emit(EMPTY);
      }
    }
    return pos;
  }

  #decodeHeader(b: Buffer, off: number): void {
    const b0 = b[off]!;
    const b1 = b[off + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    if ((b0 & 0x30) !== 0) throw protocolError('frame has RSV2 or RSV3 set, and no extension defines them');
    if (masked !== ((this.#flags & F_EXPECT_MASKED) !== 0)) {
      throw protocolError(masked ? 'the server sent a masked frame (RFC 6455 §5.1)' : 'the client sent an unmasked frame (RFC 6455 §5.1)');
    }
    let length = b1 & 0x7f;
    let p = off + 2;
    if (length === 126) {
      length = (b[p]! << 8) | b[p + 1]!;
      p += 2;
    } else if (length === 127) {
      const hi = b.readUInt32BE(p);
      if (hi >= 0x80000000) throw protocolError('frame length has its most significant bit set (RFC 6455 §5.2)');
      // Beyond 2^53 - 1 a JS number loses precision; any such frame is over every limit anyway.
      length = hi > 0x1fffff ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + b.readUInt32BE(p + 4);
      p += 8;
    }
    if (opcode >= 8) {
      if (opcode > 10) throw protocolError(`reserved opcode 0x${opcode.toString(16)}`);
      if (!fin) throw protocolError('fragmented control frame (RFC 6455 §5.5)');
      if (length > 125) throw protocolError(`control frame of ${length} bytes (at most 125 allowed, RFC 6455 §5.5)`);
      if (rsv1) throw protocolError('control frame has RSV1 set');
    } else {
      if (opcode === 0) {
        if (this.#msgOpcode === 0) throw protocolError('continuation frame without a message to continue');
        if (rsv1) throw protocolError('continuation frame has RSV1 set (RFC 7692 §6.1)');
      } else if (opcode <= 2) {
        if (this.#msgOpcode !== 0) throw protocolError('new data frame before the previous message ended');
        if (rsv1 && (this.#flags & F_RSV1_ALLOWED) === 0) throw protocolError('frame has RSV1 set, and no extension was negotiated');
        this.#msgOpcode = opcode;
        this.#flags = rsv1 ? this.#flags | F_MSG_COMPRESSED : this.#flags & ~F_MSG_COMPRESSED;
        this.#msgBytes = 0;
      } else {
        throw protocolError(`reserved opcode 0x${opcode.toString(16)}`);
      }
      const compressed = (this.#flags & F_MSG_COMPRESSED) !== 0;
      if (length > this.maxFrameBytes && (!compressed || length > compressedFrameLimit(this.maxFrameBytes))) {
        throw tooBig(`frame of ${length} bytes exceeds maxFrameBytes (${this.maxFrameBytes}${compressed ? ', compressed' : ''})`);
      }
      const total = this.#msgBytes + length;
      if (!compressed && total > this.maxMessageBytes) {
        throw tooBig(`message of ${total}+ bytes exceeds maxMessageBytes (${this.maxMessageBytes})`);
      }
      this.#msgBytes = total;
    }
    if (masked) {
      // Keep the key at the end of #head (bytes 10..13): never overwritten by a header copy in flight.
      const head = (this.#head ??= Buffer.alloc(14));
      if (b !== head || p !== 10) b.copy(head, 10, p, p + 4);
    }
    this.#flags = (this.#flags & ~(F_FIN | F_MASKED)) | F_PAYLOAD | (fin ? F_FIN : 0) | (masked ? F_MASKED : 0);
    this.#opcode = opcode;
    this.#length = length;
    this.#received = 0;
  }

  #readPayload(buf: Buffer, pos: number): number {
    const len = buf.length;
    const need = this.#length - this.#received;
    const avail = len - pos;
    if (this.#received === 0 && avail >= need) {
      // Whole payload in this chunk: hand out a view, no copy.
      const end = pos + need;
      this.#emit(pos === 0 && end === len ? buf : buf.subarray(pos, end));
      return end;
    }
    let payload = this.#payload;
    if (payload === null) payload = this.#payload = Buffer.allocUnsafe(this.#length);
    const n = Math.min(need, avail);
    buf.copy(payload, this.#received, pos, pos + n);
    const from = this.#received;
    this.#received += n;
    // A text frame cut across reads: its bytes are checked as they come (each piece but the last
    // through onTextBytes), not when the frame ends. Nothing of the frame is kept for this.
    const early = this.#msgOpcode === 1 && (this.#flags & (F_MSG_COMPRESSED | F_MASKED)) === 0 && this.#opcode < 8 && this.#handler.onTextBytes !== undefined;
    if (this.#received === this.#length) this.#emit(payload, early ? from : 0);
    else if (early) this.#handler.onTextBytes!(payload.subarray(from, this.#received));
    return pos + n;
  }

  /** @param early bytes of the payload already given to `onTextBytes` */
  #emit(payload: Buffer, early = 0): void {
    const own = payload === this.#payload;
    const flags = this.#flags;
    this.#flags = (flags & ~(F_PAYLOAD | F_EMITTED_OWN)) | (own || (flags & F_MASKED) !== 0 ? F_EMITTED_OWN : 0);
    this.#payload = null;
    this.#received = 0;
    if ((flags & F_MASKED) !== 0 && payload.length > 0) {
      // Unmasking writes into the payload: copy a view so the caller's bytes stay untouched.
      if (!own) payload = Buffer.from(payload);
      maskInPlace(payload, 0, payload.length, this.#head!, 10);
    }
    const opcode = this.#opcode;
    if (opcode >= 8) {
      this.#handler.onControlFrame(opcode, payload);
      return;
    }
    const msgOpcode = this.#msgOpcode;
    const compressed = (flags & F_MSG_COMPRESSED) !== 0;
    const fin = (flags & F_FIN) !== 0;
    if (fin) this.#msgOpcode = 0;
    this.#handler.onDataFrame(msgOpcode, fin, compressed, payload, early);
  }
}

/** Header length (without a mask key for a server frame, with one otherwise) from the second header byte. */
function headerLength(b1: number): number {
  const l = b1 & 0x7f;
  return (l < 126 ? 2 : l === 126 ? 4 : 10) + (b1 & 0x80 ? 4 : 0);
}
