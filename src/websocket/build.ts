/**
 * Building client frames (RFC 6455 §5.2): every frame is masked (§5.3) with
 * a fresh key drawn from node:crypto; random bytes are taken from an 8 KiB
 * pool refilled when used up, so a frame costs no syscall.
 * @module
 */
import { randomFillSync } from 'node:crypto';
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
    for (const last = w + words; w < last; w++) w32[w] = w32[w]! ^ k;
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

/**
 * A short all-ASCII string's frame, encoded and masked in one JS pass (for
 * a few dozen characters this beats a call into the native UTF-8 encoder
 * followed by a masking pass); null at the first non-ASCII unit (the
 * caller then encodes it the general way).
 */
function shortAsciiFrame(text: string, len: number): Buffer | null {
  const buf = Buffer.allocUnsafe(6 + len);
  buf[0] = 0x81;
  buf[1] = 0x80 | len;
  writeMaskKey(buf, 2);
  const k0 = buf[2]!;
  const k1 = buf[3]!;
  const k2 = buf[4]!;
  const k3 = buf[5]!;
  let i = 0;
  for (; i + 3 < len; i += 4) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    const c = text.charCodeAt(i + 2);
    const d = text.charCodeAt(i + 3);
    if ((a | b | c | d) > 0x7f) return null;
    buf[6 + i] = a ^ k0;
    buf[7 + i] = b ^ k1;
    buf[8 + i] = c ^ k2;
    buf[9 + i] = d ^ k3;
  }
  for (; i < len; i++) {
    const a = text.charCodeAt(i);
    if (a > 0x7f) return null;
    buf[6 + i] = a ^ buf[2 + (i & 3)]!;
  }
  return buf;
}

/** Longest string tried on the ASCII path: one byte per unit keeps the 7-bit length. */
const SHORT_TEXT = 125;

/** Build one masked text frame from a string, encoding UTF-8 straight into the frame. */
export function buildTextFrame(text: string): Buffer {
  const len = text.length;
  if (len <= SHORT_TEXT) {
    const frame = shortAsciiFrame(text, len);
    if (frame !== null) return frame;
  }
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
