/**
 * A small seeded PRNG (sfc32, seeded through splitmix32) so every fuzz input
 * is reproducible from a seed and an input index, with no dependency.
 * @module
 */

/** splitmix32 step: spreads a seed over 32 bits. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Seeded pseudo-random numbers (sfc32). */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** A generator for input `index` of a run seeded with `seed`. */
  constructor(seed: number, index = 0) {
    this.#a = splitmix32(seed);
    this.#b = splitmix32(this.#a ^ index);
    this.#c = splitmix32(this.#b + 0x632be5ab);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** An integer in `[0, n)`. */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }

  /** An integer in `[lo, hi]`. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  /** One element of `list`. */
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }

  /** `n` random bytes. */
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }

  /** A size skewed to small values (most inputs are small, a few are large), at most `max`. */
  size(max: number): number {
    return Math.min(max, this.int(1 << this.int(Math.ceil(Math.log2(max + 1)) + 1)));
  }

  /** Sorted cut positions in `[0, len]`: 1..`most` of them. */
  splits(len: number, most = 8): number[] {
    const n = 1 + this.int(most);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.int(len + 1));
    return out.sort((x, y) => x - y);
  }
}
