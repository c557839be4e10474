/**
 * The HPACK Huffman code (RFC 7541 §5.2, Appendix B): a table-driven
 * decoder that reads four bits at a time through a precomputed state machine
 * (no per-bit tree walk), and an encoder that packs codes into a buffer.
 * Strings are latin1: one char code 0..255 per octet.
 * @module
 */
import { latin1 } from '../http/syntax.js';

/** The Huffman code of each symbol 0..255 and of EOS (256), right-aligned (RFC 7541 Appendix B). */
const CODES = new Uint32Array([
  0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7,
  0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec,
  0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3,
  0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb,
  0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa,
  0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18,
  0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
  0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc,
  0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62,
  0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
  0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
  0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22,
  0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
  0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7,
  0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78,
  0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc,
  0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
  0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
  0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3,
  0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef,
  0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde,
  0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec,
  0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef,
  0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
  0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec,
  0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed,
  0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2,
  0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5,
  0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3,
  0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4,
  0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea,
  0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
  0x3fffffff,
]);

/** The bit length of each code in {@link CODES} (RFC 7541 Appendix B). */
const LENGTHS = new Uint8Array([
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
]);

/** The EOS symbol: 30 one bits, never valid inside a string (RFC 7541 §5.2). */
const EOS = 256;

/** Set in a {@link STEPS} entry when its nibble completes a symbol (the symbol is bits 8..15). */
const EMIT = 0x10000;
/** Set in a {@link STEPS} entry when its nibble completes EOS: the string is malformed. */
const FAIL = 0x20000;

/**
 * The decoding state machine. A state is an inner node of the code tree (0
 * is the root; the tree of 257 leaves has 256 inner nodes). Entry
 * `STEPS[state << 4 | nibble]` holds the state after reading those four bits
 * (bits 0..7), plus {@link EMIT} and the decoded symbol when a code ended
 * within them (codes are at least 5 bits long, so at most one does), or
 * {@link FAIL} when the code read was EOS.
 */
const STEPS = new Uint32Array(256 * 16);

/**
 * 1 for each state where a string may end: the root (the last code ended on
 * an octet boundary), or an inner node reached by at most 7 one bits, which
 * is valid padding, a prefix of EOS (RFC 7541 §5.2).
 */
const ACCEPTS = new Uint8Array(256);

buildDecoder();

/** Builds the code tree from {@link CODES} and {@link LENGTHS}, then {@link STEPS} and {@link ACCEPTS} from it. */
function buildDecoder(): void {
  // children[node * 2 + bit]: an inner node (> 0), a leaf as ~symbol (< 0), or 0 when not yet made.
  const children = new Int32Array(256 * 2);
  const depth = new Uint8Array(256);
  const allOnes = new Uint8Array(256);
  allOnes[0] = 1;
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const code = CODES[sym]!;
    const len = LENGTHS[sym]!;
    let node = 0;
    for (let i = len - 1; i > 0; i--) {
      const bit = (code >>> i) & 1;
      let next = children[node * 2 + bit]!;
      if (next === 0) {
        next = nodes++;
        children[node * 2 + bit] = next;
        depth[next] = depth[node]! + 1;
        allOnes[next] = allOnes[node]! & bit;
      }
      node = next;
    }
    children[node * 2 + (code & 1)] = ~sym;
  }
  if (nodes !== 256) throw new Error(`HPACK Huffman table is not a complete code (${nodes} inner nodes)`);
  for (let state = 0; state < 256; state++) {
    ACCEPTS[state] = allOnes[state]! === 1 && depth[state]! <= 7 ? 1 : 0;
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let i = 3; i >= 0; i--) {
        const next = children[node * 2 + ((nibble >>> i) & 1)]!;
        if (next >= 0) {
          node = next;
          continue;
        }
        const sym = ~next;
        if (sym === EOS) {
          entry = FAIL;
          break;
        }
        entry = EMIT | (sym << 8);
        node = 0;
      }
      STEPS[(state << 4) | nibble] = entry === FAIL ? FAIL : entry | node;
    }
  }
}

/** Where {@link huffmanDecode} collects octets; grown when a longer string comes. */
let scratch = Buffer.allocUnsafeSlow(512);

/**
 * Decode the Huffman-coded octets `buf[start, end)` (RFC 7541 §5.2) into a
 * latin1 string, one char code per decoded octet. Throws a plain `Error`
 * (the caller turns it into its own) when the EOS symbol appears in the
 * string, when the padding is longer than 7 bits, or when it is not all one
 * bits.
 */
export function huffmanDecode(buf: Uint8Array, start: number, end: number): string {
  // Every code is at least 5 bits: no more octets out than this.
  const most = (((end - start) * 8) / 5) | 0;
  if (most > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(most, scratch.length * 2));
  const out = scratch;
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const octet = buf[i]!;
    let step = STEPS[(state << 4) | (octet >>> 4)]!;
    if (step >= EMIT) {
      if (step & FAIL) throw new Error('HPACK Huffman string contains EOS');
      out[n++] = step >>> 8;
    }
    step = STEPS[((step & 0xff) << 4) | (octet & 0xf)]!;
    if (step >= EMIT) {
      if (step & FAIL) throw new Error('HPACK Huffman string contains EOS');
      out[n++] = step >>> 8;
    }
    state = step & 0xff;
  }
  if (ACCEPTS[state] !== 1) throw new Error('HPACK Huffman string has invalid padding');
  return shortLatin1(out, 0, n);
}

/**
 * Bytes `buf[start, end)` as a latin1 string: built char by char when short
 * (cheaper than the native slice's call overhead, and V8 keeps strings
 * under 13 chars flat), else through the native slice.
 */
export function shortLatin1(buf: Buffer, start: number, end: number): string {
  if (end - start > 8) return latin1(buf, start, end);
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

/**
 * The number of octets `s` takes Huffman-coded (padding included). Each
 * char code is taken as one octet (its low 8 bits), as latin1 would.
 */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += LENGTHS[s.charCodeAt(i) & 0xff]!;
  return (bits + 7) >>> 3;
}

/**
 * Write `s` Huffman-coded (RFC 7541 §5.2) into `out` at `offset`, padded
 * with one bits to an octet boundary; returns the offset after it. `out`
 * must have room for {@link huffmanEncodedLength}`(s)` octets.
 */
export function huffmanEncode(s: string, out: Buffer, offset: number): number {
  let o = offset;
  let acc = 0; // pending bits, fewer than 8 between symbols
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    let code = CODES[sym]!;
    let len = LENGTHS[sym]!;
    if (len > 24) {
      // Keep acc within 31 bits: put the high part first.
      const high = len - 16;
      acc = (acc << high) | (code >>> 16);
      bits += high;
      while (bits >= 8) {
        bits -= 8;
        out[o++] = acc >>> bits;
      }
      acc &= (1 << bits) - 1;
      code &= 0xffff;
      len = 16;
    }
    acc = (acc << len) | code;
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      out[o++] = acc >>> bits;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out[o++] = (acc << (8 - bits)) | (0xff >>> bits);
  return o;
}
