/**
 * WebSocket frame codec (RFC 6455 §5), sans-I/O: a {@link FrameParser} fed
 * bytes split anywhere, and static builders for client frames.
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
 * - limits `maxFrameBytes` (per frame) and `maxMessageBytes` (sum of an
 *          uncompressed message's frames) are checked from the header, before
 *          a payload byte is buffered.
 *
 * The builders mask every client frame (§5.3) with a fresh key drawn from
 * node:crypto; random bytes are taken from an 8 KiB pool refilled when used
 * up, so a frame costs no syscall.
 * @module
 */
import { randomFillSync } from 'node:crypto';
import { WebSocketError } from '../errors.js';

/** Frame opcodes (RFC 6455 §5.2). */
export const enum Opcode {
  Continuation = 0,
  Text = 1,
  Binary = 2,
  Close = 8,
  Ping = 9,
  Pong = 10,
}

/** Close codes (RFC 6455 §7.4.1) reqivo sends or reports. */
export const CloseCode = Object.freeze({
  /** The purpose of the connection was fulfilled. */
  Normal: 1000,
  /** An endpoint is going away (server shutdown, client leaving). */
  GoingAway: 1001,
  /** The peer broke the protocol. */
  ProtocolError: 1002,
  /** A data type the endpoint cannot accept. */
  UnsupportedData: 1003,
  /** A close frame without a status code (never sent on the wire). */
  NoStatus: 1005,
  /** The connection dropped without a close frame (never sent on the wire). */
  Abnormal: 1006,
  /** A text message was not valid UTF-8 (or other inconsistent data). */
  InvalidPayload: 1007,
  /** A message violated the endpoint's policy. */
  PolicyViolation: 1008,
  /** A frame or message exceeded `maxFrameBytes` / `maxMessageBytes`. */
  MessageTooBig: 1009,
  /** The server did not negotiate an extension the client requires. */
  MandatoryExtension: 1010,
  /** The server hit an unexpected condition. */
  InternalError: 1011,
});

/** Whether `code` may appear in a close frame (§7.4.1, §7.4.2 and the IANA registry). */
export function isValidCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999))
  );
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
  onDataFrame(opcode: number, fin: boolean, compressed: boolean, payload: Buffer): void;
  /** A close, ping or pong frame (always complete, ≤ 125 bytes). @internal */
  onControlFrame(opcode: number, payload: Buffer): void;
}

const EMPTY = Buffer.alloc(0);

/** A protocol violation: close code 1002. */
export function protocolError(message: string): WebSocketError {
  return new WebSocketError(message, { code: 1002 });
}

function tooBig(message: string): WebSocketError {
  return new WebSocketError(message, { code: 1009 });
}

/** Options of a {@link FrameParser}. */
export interface FrameParserOptions {
  /** Largest frame payload accepted, in bytes. */
  maxFrameBytes: number;
  /** Largest message accepted (sum of its frames' payloads), in bytes; compressed messages are limited after inflating, by the caller. */
  maxMessageBytes: number;
  /** Frames are expected masked (a server's view); default false (a client's view: masked frames are an error). */
  expectMasked?: boolean;
}

/** Incremental WebSocket frame parser; one per connection. */
export class FrameParser {
  /** Whether RSV1 may start a message (permessage-deflate negotiated). */
  rsv1Allowed: boolean;
  /** Largest frame payload accepted. */
  maxFrameBytes: number;
  /** Largest uncompressed message accepted. */
  maxMessageBytes: number;
  /** Set (by the handler) to make {@link execute} return after the current frame. */
  paused: boolean;
  readonly #expectMasked: boolean;
  readonly #handler: FrameHandler;
  readonly #head: Buffer;
  #headLen: number;
  #inPayload: boolean;
  #fin: boolean;
  #opcode: number;
  #masked: boolean;
  #length: number;
  #payload: Buffer | null;
  #received: number;
  #msgOpcode: number;
  #msgCompressed: boolean;
  #msgBytes: number;

  constructor(handler: FrameHandler, options: FrameParserOptions) {
    this.rsv1Allowed = false;
    this.maxFrameBytes = options.maxFrameBytes;
    this.maxMessageBytes = options.maxMessageBytes;
    this.paused = false;
    this.#expectMasked = options.expectMasked === true;
    this.#handler = handler;
    this.#head = Buffer.alloc(14);
    this.#headLen = 0;
    this.#inPayload = false;
    this.#fin = false;
    this.#opcode = 0;
    this.#masked = false;
    this.#length = 0;
    this.#payload = null;
    this.#received = 0;
    this.#msgOpcode = 0;
    this.#msgCompressed = false;
    this.#msgBytes = 0;
  }

  /** Forget any partial frame and message (a new connection). */
  reset(): void {
    this.paused = false;
    this.#headLen = 0;
    this.#inPayload = false;
    this.#payload = null;
    this.#received = 0;
    this.#msgOpcode = 0;
    this.#msgCompressed = false;
    this.#msgBytes = 0;
  }

  /** Whether a data message has started and not yet ended. */
  get inMessage(): boolean {
    return this.#msgOpcode !== 0;
  }

  /** Whether bytes of an unfinished frame are held. */
  get partial(): boolean {
    return this.#headLen !== 0 || this.#inPayload;
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
    while (pos < len && !this.paused) {
      if (this.#inPayload) {
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
      const head = this.#head;
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
    if (masked !== this.#expectMasked) {
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
        if (rsv1 && !this.rsv1Allowed) throw protocolError('frame has RSV1 set, and no extension was negotiated');
        this.#msgOpcode = opcode;
        this.#msgCompressed = rsv1;
        this.#msgBytes = 0;
      } else {
        throw protocolError(`reserved opcode 0x${opcode.toString(16)}`);
      }
      if (length > this.maxFrameBytes) throw tooBig(`frame of ${length} bytes exceeds maxFrameBytes (${this.maxFrameBytes})`);
      const total = this.#msgBytes + length;
      if (!this.#msgCompressed && total > this.maxMessageBytes) {
        throw tooBig(`message of ${total}+ bytes exceeds maxMessageBytes (${this.maxMessageBytes})`);
      }
      this.#msgBytes = total;
    }
    if (masked) {
      // Keep the key at the end of #head (bytes 10..13): never overwritten by a header copy in flight.
      if (b !== this.#head || p !== 10) b.copy(this.#head, 10, p, p + 4);
    }
    this.#fin = fin;
    this.#opcode = opcode;
    this.#masked = masked;
    this.#length = length;
    this.#received = 0;
    this.#inPayload = true;
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
    this.#received += n;
    if (this.#received === this.#length) this.#emit(payload);
    return pos + n;
  }

  #emit(payload: Buffer): void {
    const own = payload === this.#payload;
    this.#inPayload = false;
    this.#payload = null;
    this.#received = 0;
    if (this.#masked && payload.length > 0) {
      // Unmasking writes into the payload: copy a view so the caller's bytes stay untouched.
      if (!own) payload = Buffer.from(payload);
      maskInPlace(payload, 0, payload.length, this.#head, 10);
    }
    const opcode = this.#opcode;
    if (opcode >= 8) {
      this.#handler.onControlFrame(opcode, payload);
      return;
    }
    const msgOpcode = this.#msgOpcode;
    const compressed = this.#msgCompressed;
    const fin = this.#fin;
    if (fin) this.#msgOpcode = 0;
    this.#handler.onDataFrame(msgOpcode, fin, compressed, payload);
  }
}

/** Header length (without a mask key for a server frame, with one otherwise) from the second header byte. */
function headerLength(b1: number): number {
  const l = b1 & 0x7f;
  return (l < 126 ? 2 : l === 126 ? 4 : 10) + (b1 & 0x80 ? 4 : 0);
}

// ---------------------------------------------------------------------------
// Building frames

const POOL_SIZE = 8192;
const randomPool = Buffer.allocUnsafeSlow(POOL_SIZE);
let randomPos = POOL_SIZE;

/** Write a fresh 4-byte masking key at `dst[off]`. */
function writeMaskKey(dst: Buffer, off: number): void {
  if (randomPos === POOL_SIZE) {
    randomFillSync(randomPool);
    randomPos = 0;
  }
  const p = randomPos;
  dst[off] = randomPool[p]!;
  dst[off + 1] = randomPool[p + 1]!;
  dst[off + 2] = randomPool[p + 2]!;
  dst[off + 3] = randomPool[p + 3]!;
  randomPos = p + 4;
}

const keyWordBytes = new Uint8Array(4);
const keyWord = new Int32Array(keyWordBytes.buffer);
/** Below this many bytes the byte loop beats making a 32-bit view (measured on Node 20). */
const WORD_MASK_MIN = 96;
/** A 32-bit view over the last small (pool-slab sized) ArrayBuffer masked: frames built from Buffer's pool share it. */
let slab: ArrayBufferLike | null = null;
let slabWords: Int32Array<ArrayBufferLike> = new Int32Array(0);

/**
 * XOR `buf[start, end)` with the 4-byte key at `key[keyOff]` (RFC 6455 §5.3).
 * Large spans go 32 bits at a time over the 4-byte-aligned middle.
 */
export function maskInPlace(buf: Uint8Array, start: number, end: number, key: Uint8Array, keyOff: number): void {
  const k0 = key[keyOff]!;
  const k1 = key[keyOff + 1]!;
  const k2 = key[keyOff + 2]!;
  const k3 = key[keyOff + 3]!;
  let i = start;
  if (end - i >= WORD_MASK_MIN) {
    const lead = (4 - ((buf.byteOffset + i) & 3)) & 3;
    for (let j = 0; j < lead; j++, i++) buf[i] = buf[i]! ^ key[keyOff + (j & 3)]!;
    // The key as seen from the aligned position, read in the platform's byte order.
    keyWordBytes[0] = key[keyOff + (lead & 3)]!;
    keyWordBytes[1] = key[keyOff + ((lead + 1) & 3)]!;
    keyWordBytes[2] = key[keyOff + ((lead + 2) & 3)]!;
    keyWordBytes[3] = key[keyOff + ((lead + 3) & 3)]!;
    const k = keyWord[0]!;
    const words = (end - i) >>> 2;
    const ab = buf.buffer;
    let w32: Int32Array<ArrayBufferLike>;
    let w = 0;
    if (ab.byteLength <= 8192) {
      // Never cache a view over a big buffer: it would keep that memory alive.
      if (ab !== slab) {
        slab = ab;
        slabWords = new Int32Array(ab, 0, ab.byteLength >>> 2);
      }
      w32 = slabWords;
      w = (buf.byteOffset + i) >>> 2;
    } else w32 = new Int32Array(ab, buf.byteOffset + i, words);
    for (const last = w + words; w < last; w++) w32[w] ^= k;
    i += words << 2;
    // The aligned block is a multiple of 4, so the key phase is `lead` again.
    for (let j = lead; i < end; j++, i++) buf[i] = buf[i]! ^ key[keyOff + (j & 3)]!;
    return;
  }
  for (; i + 3 < end; i += 4) {
    buf[i] = buf[i]! ^ k0;
    buf[i + 1] = buf[i + 1]! ^ k1;
    buf[i + 2] = buf[i + 2]! ^ k2;
    buf[i + 3] = buf[i + 3]! ^ k3;
  }
  if (i < end) buf[i] = buf[i++]! ^ k0;
  if (i < end) buf[i] = buf[i++]! ^ k1;
  if (i < end) buf[i] = buf[i]! ^ k2;
}

/** Bytes of a masked client frame header for a payload of `n` bytes. */
function maskedHeaderLength(n: number): number {
  return n < 126 ? 6 : n < 65536 ? 8 : 14;
}

/** Write a masked header for an `n`-byte payload at `dst[0]`; returns the payload offset. */
function writeHeader(dst: Buffer, b0: number, n: number): number {
  dst[0] = b0;
  let p: number;
  if (n < 126) {
    dst[1] = 0x80 | n;
    p = 2;
  } else if (n < 65536) {
    dst[1] = 0x80 | 126;
    dst[2] = n >>> 8;
    dst[3] = n & 0xff;
    p = 4;
  } else {
    dst[1] = 0x80 | 127;
    dst.writeUInt32BE(Math.floor(n / 0x100000000), 2);
    dst.writeUInt32BE(n >>> 0, 6);
    p = 10;
  }
  writeMaskKey(dst, p);
  return p + 4;
}

/**
 * Build one masked client frame carrying `payload` (copied; the caller's
 * bytes are never modified).
 * @param opcode frame opcode
 * @param payload the payload (a view is fine)
 * @param fin last frame of the message (default true)
 * @param rsv1 set RSV1 (permessage-deflate compressed message, first frame only)
 */
export function buildFrame(opcode: number, payload: Uint8Array, fin = true, rsv1 = false): Buffer {
  const n = payload.length;
  const hl = maskedHeaderLength(n);
  const frame = Buffer.allocUnsafe(hl + n);
  const p = writeHeader(frame, (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode, n);
  frame.set(payload, p);
  maskInPlace(frame, p, p + n, frame, p - 4);
  return frame;
}

/** Longest string encoded in one pass into a worst-case buffer (3 bytes per UTF-16 unit) that Buffer's pool still serves. */
const ONE_PASS_TEXT = 1360;

/** Build one masked text frame from a string, encoding UTF-8 straight into the frame. */
export function buildTextFrame(text: string): Buffer {
  const len = text.length;
  if (len <= ONE_PASS_TEXT) {
    // One pass, no length scan: encode at offset 8, then put the header right
    // before the payload — 8 bytes (16-bit length) or 6 bytes (7-bit length).
    const buf = Buffer.allocUnsafe(8 + len * 3);
    const n = buf.write(text, 8, 'utf8');
    let h: number;
    if (n < 126) {
      h = 2;
      buf[2] = 0x81;
      buf[3] = 0x80 | n;
    } else {
      h = 0;
      buf[0] = 0x81;
      buf[1] = 0x80 | 126;
      buf[2] = n >>> 8;
      buf[3] = n & 0xff;
    }
    writeMaskKey(buf, 4);
    maskInPlace(buf, 8, 8 + n, buf, 4);
    return buf.subarray(h, 8 + n);
  }
  const n = Buffer.byteLength(text, 'utf8');
  const hl = maskedHeaderLength(n);
  const frame = Buffer.allocUnsafe(hl + n);
  const p = writeHeader(frame, 0x81, n);
  frame.write(text, p, 'utf8');
  maskInPlace(frame, p, p + n, frame, p - 4);
  return frame;
}

/**
 * Payload of a close frame: the code (big-endian) and the UTF-8 reason, or
 * empty for code 1005 (no status).
 * @throws WebSocketError when the code may not be sent or the reason exceeds 123 bytes.
 */
export function encodeClosePayload(code: number, reason: string): Buffer {
  if (code === 1005) {
    if (reason !== '') throw new WebSocketError('a close reason needs a close code');
    return EMPTY;
  }
  if (!isValidCloseCode(code)) throw new WebSocketError(`invalid close code ${code}: use 1000, 1001, 1002, 1003, 1007-1014 or 3000-4999`);
  const len = Buffer.byteLength(reason, 'utf8');
  if (len > 123) throw new WebSocketError(`close reason of ${len} bytes is too long (at most 123 bytes of UTF-8)`);
  const b = Buffer.allocUnsafe(2 + len);
  b.writeUInt16BE(code, 0);
  b.write(reason, 2, 'utf8');
  return b;
}

/**
 * Decode a received close frame's payload (§5.5.1, §7.1.5): empty means 1005.
 * @param isUtf8 validator for the reason bytes
 * @throws WebSocketError 1002 for a 1-byte payload or an invalid code, 1007 for a reason that is not UTF-8.
 */
export function decodeClosePayload(payload: Buffer, isUtf8: (b: Buffer) => boolean): { code: number; reason: string } {
  if (payload.length === 0) return { code: 1005, reason: '' };
  if (payload.length === 1) throw protocolError('close frame with a 1-byte payload');
  const code = payload.readUInt16BE(0);
  if (!isValidCloseCode(code)) throw protocolError(`close frame with invalid code ${code}`);
  const reason = payload.subarray(2);
  if (!isUtf8(reason)) throw new WebSocketError('close reason is not valid UTF-8', { code: 1007 });
  return { code, reason: reason.toString('utf8') };
}
