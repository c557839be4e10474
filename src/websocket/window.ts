/**
 * The last bytes a peer's DEFLATE stream produced: the LZ77 window
 * (RFC 1951 §2, at most 2^windowBits bytes) kept outside zlib.
 *
 * A server may end a message with a block marked BFINAL (RFC 7692
 * §7.2.3.3), which finishes zlib's inflate stream. With context takeover the
 * next message may still point back into the earlier ones, so its inflater
 * is started with this window as its preset dictionary. node:zlib cannot
 * read the window back out of an inflater, so the bytes are copied here as
 * they are produced (a ring: no memmove per message).
 * @module
 */

/** A ring holding the last `size` bytes written to it. */
export class SlidingWindow {
  /** Allocated on the first write (1 KiB, doubled as needed up to the window size), so a connection that never inflates pays nothing. */
  #buf: Buffer | null;
  readonly #size: number;
  #pos: number;
  #full: boolean;

  /** @param windowBits the window size as a power of two (8–15). */
  constructor(windowBits: number) {
    this.#buf = null;
    this.#size = 2 ** windowBits;
    this.#pos = 0;
    this.#full = false;
  }

  /** Append bytes (only the last `size` of them matter). */
  write(chunk: Buffer): void {
    const size = this.#size;
    const n = chunk.length;
    let buf = this.#buf;
    if (n < size && (buf === null || (buf.length < size && this.#pos + n > buf.length))) {
      // Grow by doubling up to the window size: a connection of small messages keeps a small window.
      let cap = buf === null ? 1024 : buf.length * 2;
      while (cap < this.#pos + n && cap < size) cap *= 2;
      const grown = Buffer.allocUnsafe(Math.min(cap, size));
      if (buf !== null) buf.copy(grown, 0, 0, this.#pos);
      buf = this.#buf = grown;
    }
    if (n >= size) {
      buf = this.#buf = buf !== null && buf.length === size ? buf : Buffer.allocUnsafe(size);
      chunk.copy(buf, 0, n - size);
      this.#pos = 0;
      this.#full = true;
      return;
    }
    buf = buf!;
    const first = Math.min(n, size - this.#pos);
    chunk.copy(buf, this.#pos, 0, first);
    if (first < n) chunk.copy(buf, 0, first);
    const end = this.#pos + n;
    if (end >= size) this.#full = true;
    this.#pos = end % size;
  }

  /** The window's bytes, oldest first (a copy), or null when nothing was written. */
  contents(): Buffer | null {
    const buf = this.#buf;
    if (buf === null) return null;
    if (!this.#full) return this.#pos === 0 ? null : Buffer.from(buf.subarray(0, this.#pos));
    return Buffer.concat([buf.subarray(this.#pos), buf.subarray(0, this.#pos)], this.#size);
  }
}
