/**
 * UTF-8 validation for text messages (RFC 6455 §8.1), also across fragment
 * boundaries. Whole spans go to Node's native `buffer.isUtf8` (simdutf); only
 * the ≤ 3 bytes of a code point cut by a fragment boundary are carried over,
 * and checked as a prefix right away so a bad sequence fails fast.
 * @module
 */
import { isUtf8 } from 'node:buffer';

/** Whether `b` is entirely valid UTF-8 (no surrogates, no overlongs, ≤ U+10FFFF). */
export function isValidUtf8(b: Uint8Array): boolean {
  return b.length === 0 || isUtf8(b);
}

/** Length of the sequence a lead byte starts, or 0 when it cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead < 0xc2) return 0;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  if (lead < 0xf5) return 4;
  return 0;
}

/** Whether the first `n` bytes of `b` can begin a valid sequence (Unicode Table 3-7). */
function isValidPrefix(b: Uint8Array, n: number): boolean {
  const lead = b[0]!;
  if (sequenceLength(lead) < 2) return false;
  if (n >= 2) {
    const c = b[1]!;
    let lo = 0x80;
    let hi = 0xbf;
    if (lead === 0xe0) lo = 0xa0;
    else if (lead === 0xed) hi = 0x9f;
    else if (lead === 0xf0) lo = 0x90;
    else if (lead === 0xf4) hi = 0x8f;
    if (c < lo || c > hi) return false;
  }
  if (n >= 3 && (b[2]! & 0xc0) !== 0x80) return false;
  return true;
}

/** Incremental UTF-8 validator: {@link push} each fragment, then {@link end}. */
export class Utf8Validator {
  /** The bytes of a sequence cut at a fragment's end; allocated the first time one is. */
  #carry: Uint8Array | null;
  #carryLen: number;
  #need: number;

  constructor() {
    this.#carry = null;
    this.#carryLen = 0;
    this.#need = 0;
  }

  /** Start a new message. */
  reset(): void {
    this.#carryLen = 0;
    this.#need = 0;
  }

  /** Validate the next piece; false as soon as the bytes seen cannot be UTF-8. */
  push(chunk: Uint8Array): boolean {
    let start = 0;
    const len = chunk.length;
    let carry = this.#carry;
    if (carry !== null && this.#carryLen > 0) {
      const take = Math.min(this.#need - this.#carryLen, len);
      for (let i = 0; i < take; i++) carry[this.#carryLen++] = chunk[i]!;
      if (this.#carryLen < this.#need) return isValidPrefix(carry, this.#carryLen);
      if (!isUtf8(carry.subarray(0, this.#carryLen))) return false;
      this.#carryLen = 0;
      this.#need = 0;
      start = take;
    }
    let end = len;
    // A sequence cut at the end: find its lead byte among the last 3 bytes.
    const stop = Math.max(start, len - 3);
    for (let i = len - 1; i >= stop; i--) {
      const c = chunk[i]!;
      if (c < 0x80) break;
      if (c >= 0xc0) {
        const sl = sequenceLength(c);
        if (sl === 0) return false;
        if (len - i < sl) {
          const n = len - i;
          carry ??= this.#carry = new Uint8Array(4);
          for (let j = 0; j < n; j++) carry[j] = chunk[i + j]!;
          if (!isValidPrefix(carry, n)) return false;
          this.#carryLen = n;
          this.#need = sl;
          end = i;
        }
        break;
      }
    }
    return start === end || isUtf8(chunk.subarray(start, end));
  }

  /** Whether the message ended on a code point boundary. */
  end(): boolean {
    const ok = this.#carryLen === 0;
    this.reset();
    return ok;
  }
}
