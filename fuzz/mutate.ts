/**
 * Byte-level mutations of a valid input: bit flips, byte overwrites,
 * inserts, deletes, duplicated spans, splices of another input, truncation.
 * @module
 */
import type { Rng } from './prng.js';

/** Bytes the HTTP and cookie grammars care about, tried more often than random ones. */
const INTERESTING = [0x00, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x30, 0x3a, 0x3b, 0x3d, 0x5c, 0x7f, 0x80, 0xff];

/** Apply 1..`most` random mutations to a copy of `input`; `other` is spliced from. */
export function mutate(rng: Rng, input: Uint8Array, other: Uint8Array | null = null, most = 4): Buffer {
  let b = Buffer.from(input);
  const n = 1 + rng.int(most);
  for (let k = 0; k < n; k++) {
    const len = b.length;
    const at = rng.int(len + 1);
    const byte = rng.chance(0.5) ? rng.pick(INTERESTING) : rng.u32() & 0xff;
    switch (rng.int(7)) {
      case 0:
        if (len > 0) b[Math.min(at, len - 1)]! ^= 1 << rng.int(8);
        break;
      case 1:
        if (len > 0) b[Math.min(at, len - 1)] = byte;
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(len, at + 1 + rng.int(8)))]);
        break;
      case 4: {
        const e = Math.min(len, at + 1 + rng.int(16));
        b = Buffer.concat([b.subarray(0, e), b.subarray(at, e), b.subarray(e)]);
        break;
      }
      case 5: {
        if (other === null || other.length === 0) break;
        const s = rng.int(other.length);
        const piece = other.subarray(s, Math.min(other.length, s + 1 + rng.int(32)));
        b = Buffer.concat([b.subarray(0, at), piece, b.subarray(at)]);
        break;
      }
      default:
        b = b.subarray(0, at);
    }
  }
  return b;
}
