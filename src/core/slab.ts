/**
 * {@link Slab}: copies of small byte runs cut from shared ArrayBuffers, as
 * Node's `Buffer.allocUnsafe` pool does, but for our bodies only: many kept
 * small bodies share one ArrayBuffer (and its bookkeeping) instead of one
 * each. A kept piece keeps its whole slab alive.
 * @module
 */

/** A bump allocator of small Buffers in slabs of a fixed size. @internal */
export class Slab {
  readonly #size: number;
  /** The slab being filled (made on the first copy: an unused Slab allocates nothing). */
  #buf: ArrayBuffer | null;
  #used: number;

  /** @param size bytes per slab; copies must be no larger. */
  constructor(size: number) {
    this.#size = size;
    this.#buf = null;
    this.#used = 0;
  }

  /** A Buffer of its own (in the current slab) holding a copy of `src`. */
  copy(src: Uint8Array): Buffer {
    const n = src.byteLength;
    let buf = this.#buf;
    if (buf === null || this.#used + n > this.#size) {
      buf = this.#buf = Buffer.allocUnsafeSlow(this.#size).buffer;
      this.#used = 0;
    }
    const out = Buffer.from(buf, this.#used, n);
    // Eight-byte aligned, as Node's pool keeps its pieces.
    this.#used = (this.#used + n + 7) & ~7;
    out.set(src);
    return out;
  }
}
