/**
 * HTTP/2 frames (RFC 9113 §4, §6): the numbers of the protocol, the writers
 * of the frames a client sends, and {@link FrameReader}, a sans-I/O reader
 * that turns socket bytes into frames — DATA payload handed over piece by
 * piece as it arrives (no copy of a frame split over reads), every other
 * frame whole.
 * @module
 */

/** Frame types (RFC 9113 §6). */
export const enum Type {
  DATA = 0x0,
  HEADERS = 0x1,
  PRIORITY = 0x2,
  RST_STREAM = 0x3,
  SETTINGS = 0x4,
  PUSH_PROMISE = 0x5,
  PING = 0x6,
  GOAWAY = 0x7,
  WINDOW_UPDATE = 0x8,
  CONTINUATION = 0x9,
}

/** Frame flags (RFC 9113 §6). */
export const enum Flag {
  END_STREAM = 0x1,
  END_HEADERS = 0x4,
  PADDED = 0x8,
  PRIORITY = 0x20,
}

/** The ACK flag of SETTINGS and PING (the bit END_STREAM is on other frames). */
export const ACK = 0x1;

/** SETTINGS identifiers (RFC 9113 §6.5.2). */
export const enum Setting {
  HEADER_TABLE_SIZE = 0x1,
  ENABLE_PUSH = 0x2,
  MAX_CONCURRENT_STREAMS = 0x3,
  INITIAL_WINDOW_SIZE = 0x4,
  MAX_FRAME_SIZE = 0x5,
  MAX_HEADER_LIST_SIZE = 0x6,
}

/** Error codes (RFC 9113 §7). */
export const enum Code {
  NO_ERROR = 0x0,
  PROTOCOL_ERROR = 0x1,
  INTERNAL_ERROR = 0x2,
  FLOW_CONTROL_ERROR = 0x3,
  SETTINGS_TIMEOUT = 0x4,
  STREAM_CLOSED = 0x5,
  FRAME_SIZE_ERROR = 0x6,
  REFUSED_STREAM = 0x7,
  CANCEL = 0x8,
  COMPRESSION_ERROR = 0x9,
  CONNECT_ERROR = 0xa,
  ENHANCE_YOUR_CALM = 0xb,
  INADEQUATE_SECURITY = 0xc,
  HTTP_1_1_REQUIRED = 0xd,
}

/** The default and smallest SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2). */
export const DEFAULT_MAX_FRAME = 16384;
/** The largest flow-control window (RFC 9113 §6.9.1). */
export const MAX_WINDOW = 0x7fffffff;
/** The initial flow-control window of streams and connection (RFC 9113 §6.9.2). */
export const DEFAULT_WINDOW = 65535;

/** The client connection preface (RFC 9113 §3.4). */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Write a frame header at `off` of `buf`. @internal */
export function writeFrameHead(buf: Buffer, off: number, length: number, type: number, flags: number, stream: number): void {
  buf[off] = length >>> 16;
  buf[off + 1] = (length >>> 8) & 0xff;
  buf[off + 2] = length & 0xff;
  buf[off + 3] = type;
  buf[off + 4] = flags;
  buf.writeUInt32BE(stream & 0x7fffffff, off + 5);
}

/** A frame with an empty payload. @internal */
export function emptyFrame(type: number, flags: number, stream: number): Buffer {
  const b = Buffer.allocUnsafe(9);
  writeFrameHead(b, 0, 0, type, flags, stream);
  return b;
}

/** SETTINGS with `[id, value, id, value…]` (RFC 9113 §6.5). @internal */
export function settingsFrame(pairs: readonly number[]): Buffer {
  const n = pairs.length >>> 1;
  const b = Buffer.allocUnsafe(9 + 6 * n);
  writeFrameHead(b, 0, 6 * n, Type.SETTINGS, 0, 0);
  for (let i = 0; i < n; i++) {
    b.writeUInt16BE(pairs[2 * i]!, 9 + 6 * i);
    b.writeUInt32BE(pairs[2 * i + 1]! >>> 0, 11 + 6 * i);
  }
  return b;
}

/** WINDOW_UPDATE (RFC 9113 §6.9). @internal */
export function windowUpdateFrame(stream: number, increment: number): Buffer {
  const b = Buffer.allocUnsafe(13);
  writeFrameHead(b, 0, 4, Type.WINDOW_UPDATE, 0, stream);
  b.writeUInt32BE(increment & 0x7fffffff, 9);
  return b;
}

/** RST_STREAM (RFC 9113 §6.4). @internal */
export function rstStreamFrame(stream: number, code: number): Buffer {
  const b = Buffer.allocUnsafe(13);
  writeFrameHead(b, 0, 4, Type.RST_STREAM, 0, stream);
  b.writeUInt32BE(code >>> 0, 9);
  return b;
}

/** GOAWAY (RFC 9113 §6.8). @internal */
export function goawayFrame(lastStream: number, code: number): Buffer {
  const b = Buffer.allocUnsafe(17);
  writeFrameHead(b, 0, 8, Type.GOAWAY, 0, 0);
  b.writeUInt32BE(lastStream & 0x7fffffff, 9);
  b.writeUInt32BE(code >>> 0, 13);
  return b;
}

/** PING, or its ACK, with the 8 octets of `data` from `start` (RFC 9113 §6.7). @internal */
export function pingFrame(data: Buffer, start: number, ack: boolean): Buffer {
  const b = Buffer.allocUnsafe(17);
  writeFrameHead(b, 0, 8, Type.PING, ack ? ACK : 0, 0);
  data.copy(b, 9, start, start + 8);
  return b;
}

/**
 * A header block as HEADERS (+ CONTINUATION) frames no larger than
 * `maxFrame`, with `prefix` (a dynamic table size update, or empty) before
 * the block, in one buffer. @internal
 */
export function headersFrames(stream: number, prefix: Buffer | null, block: Buffer, endStream: boolean, maxFrame: number): Buffer {
  const total = (prefix === null ? 0 : prefix.length) + block.length;
  if (total <= maxFrame) {
    const b = Buffer.allocUnsafe(9 + total);
    writeFrameHead(b, 0, total, Type.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), stream);
    let off = 9;
    if (prefix !== null) off += prefix.copy(b, off);
    block.copy(b, off);
    return b;
  }
  const all = prefix === null ? block : Buffer.concat([prefix, block]);
  const frames = Math.ceil(total / maxFrame);
  const b = Buffer.allocUnsafe(9 * frames + total);
  let off = 0;
  for (let i = 0; i < frames; i++) {
    const start = i * maxFrame;
    const len = Math.min(maxFrame, total - start);
    const last = i === frames - 1;
    const type = i === 0 ? Type.HEADERS : Type.CONTINUATION;
    const flags = (last ? Flag.END_HEADERS : 0) | (i === 0 && endStream ? Flag.END_STREAM : 0);
    writeFrameHead(b, off, len, type, flags, stream);
    all.copy(b, off + 9, start, start + len);
    off += 9 + len;
  }
  return b;
}

/** What a {@link FrameReader} reports to. */
export interface FrameSink {
  /** A whole frame other than DATA; `payload` may share memory with the socket's chunk. */
  onFrame(type: number, flags: number, stream: number, payload: Buffer): void;
  /**
   * A DATA frame begins: `length` is its whole payload, padding included (what
   * flow control counts, RFC 9113 §6.9.1). Return false to stop reading (the
   * connection failed).
   */
  onDataStart(flags: number, stream: number, length: number): boolean;
  /** A piece of the DATA frame's payload, padding removed (never empty). */
  onData(stream: number, piece: Buffer): void;
  /** The DATA frame ended. */
  onDataEnd(flags: number, stream: number): void;
  /** The bytes are no valid frame: a connection error with `code`. */
  onFrameError(code: number, message: string): void;
}

const enum Mode {
  /** Between frames. */
  Head = 0,
  /** Inside a DATA frame's payload. */
  Data = 1,
  /** Inside a DATA frame's padding. */
  Pad = 2,
  /** Failed: every byte is ignored. */
  Dead = 3,
}

/**
 * Reads frames from the bytes a server sends, however they are split.
 * Frames larger than {@link maxFrameSize} are a FRAME_SIZE_ERROR (RFC 9113
 * §4.2); a DATA frame's pad length at or past its length a PROTOCOL_ERROR
 * (§6.1).
 */
export class FrameReader {
  /** Our SETTINGS_MAX_FRAME_SIZE. */
  maxFrameSize: number;
  readonly #sink: FrameSink;
  /** Bytes of an unfinished frame head or non-DATA frame. */
  #rest: Buffer | null;
  #mode: Mode;
  /** The DATA frame being read. */
  #stream: number;
  #flags: number;
  /** Payload octets left in the DATA frame (padding excluded), then padding octets left. */
  #left: number;
  #pad: number;

  constructor(sink: FrameSink, maxFrameSize = DEFAULT_MAX_FRAME) {
    this.maxFrameSize = maxFrameSize;
    this.#sink = sink;
    this.#rest = null;
    this.#mode = Mode.Head;
    this.#stream = 0;
    this.#flags = 0;
    this.#left = 0;
    this.#pad = 0;
  }

  /** Stop reading: later bytes are ignored. */
  kill(): void {
    this.#mode = Mode.Dead;
    this.#rest = null;
  }

  /** Feed bytes from the socket. */
  push(chunk: Buffer): void {
    let buf = chunk;
    let off = 0;
    const sink = this.#sink;
    for (;;) {
      const mode = this.#mode;
      if (mode === Mode.Dead) return;
      if (mode === Mode.Data) {
        const n = Math.min(this.#left, buf.length - off);
        if (n > 0) {
          this.#left -= n;
          sink.onData(this.#stream, off === 0 && n === buf.length ? buf : buf.subarray(off, off + n));
          off += n;
        }
        if (this.#left > 0) return;
        this.#mode = Mode.Pad;
        continue;
      }
      if (mode === Mode.Pad) {
        const n = Math.min(this.#pad, buf.length - off);
        this.#pad -= n;
        off += n;
        if (this.#pad > 0) return;
        this.#mode = Mode.Head;
        sink.onDataEnd(this.#flags, this.#stream);
        continue;
      }
      // Mode.Head: a frame head (and a non-DATA frame's payload) must be whole.
      if (this.#rest !== null) {
        buf = off === buf.length ? this.#rest : Buffer.concat([this.#rest, off === 0 ? buf : buf.subarray(off)]);
        off = 0;
        this.#rest = null;
      }
      const avail = buf.length - off;
      if (avail === 0) return;
      if (avail < 9) {
        this.#rest = buf.subarray(off);
        return;
      }
      const length = (buf[off]! << 16) | (buf[off + 1]! << 8) | buf[off + 2]!;
      const type = buf[off + 3]!;
      const flags = buf[off + 4]!;
      const stream = buf.readUInt32BE(off + 5) & 0x7fffffff;
      if (length > this.maxFrameSize) {
        this.kill();
        sink.onFrameError(0x6, `a frame of ${length} octets, over our SETTINGS_MAX_FRAME_SIZE ${this.maxFrameSize} (RFC 9113 §4.2)`);
        return;
      }
      if (type === Type.DATA) {
        let padLen = 0;
        if ((flags & Flag.PADDED) !== 0) {
          if (length === 0) {
            this.kill();
            sink.onFrameError(0x6, 'a PADDED DATA frame without its Pad Length (RFC 9113 §6.1)');
            return;
          }
          if (avail < 10) {
            this.#rest = buf.subarray(off);
            return;
          }
          padLen = buf[off + 9]!;
          if (padLen >= length) {
            this.kill();
            sink.onFrameError(0x1, `DATA padding of ${padLen} octets in a frame of ${length} (RFC 9113 §6.1)`);
            return;
          }
          off += 1;
        }
        off += 9;
        if (!sink.onDataStart(flags, stream, length)) {
          this.kill();
          return;
        }
        this.#stream = stream;
        this.#flags = flags;
        this.#left = length - padLen - ((flags & Flag.PADDED) !== 0 ? 1 : 0);
        this.#pad = padLen;
        this.#mode = Mode.Data;
        continue;
      }
      if (avail < 9 + length) {
        this.#rest = buf.subarray(off);
        return;
      }
      const payload = buf.subarray(off + 9, off + 9 + length);
      off += 9 + length;
      sink.onFrame(type, flags, stream, payload);
    }
  }
}
