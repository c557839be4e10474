/**
 * Readers that take a {@link StreamResponse}'s chunks as they arrive, called
 * synchronously from the socket's data event instead of one promise per
 * chunk: {@link BodyTap} is what the response hands chunks to, and
 * {@link BodyCollector} is the tap behind `bytes()` (and so `text()`,
 * `json()`, fetch's `arrayBuffer()`), which gathers the whole body with one
 * promise in all and, when the length is declared, copies each chunk into one
 * buffer as it arrives (no list of chunks to join at the end).
 * @module
 */

/**
 * Where a claimed body's chunks go as they arrive. Chunks already queued
 * when the tap is attached are handed over first, in order.
 * @internal
 */
export interface BodyTap {
  /** A chunk of the body; return false to leave it queued in the response (its high-water mark then applies). */
  chunk(chunk: Buffer): boolean;
  /** The body ended (called once, after the last chunk was taken). */
  end(): void;
  /** The body failed. */
  error(err: Error): void;
  /** The response was closed by its reader before the body ended. */
  closed(): void;
}

/** Bodies declared longer than this are joined at the end rather than allocated up front. */
const PREALLOC_LIMIT = 256 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * The `bytes()` tap: gathers the body and settles one promise. A body that
 * arrives in one chunk is returned as that chunk (no copy). From the second
 * chunk on, when the declared length (`hint`, -1 when unknown) covers what
 * arrived, the chunks are copied into one buffer of that length, allocated
 * on its own (byteOffset 0), as they come; a body that turns out longer than
 * declared falls back to joining, one shorter is returned as a view. The
 * hint only picks the strategy: the bytes are always exactly the ones taken.
 * @internal
 */
export class BodyCollector implements BodyTap {
  readonly #hint: number;
  readonly #resolve: (body: Buffer) => void;
  readonly #reject: (err: Error) => void;
  readonly #closedError: () => Error;
  /** The only chunk so far. */
  #first: Buffer | null;
  /** The buffer chunks are copied into (hint bytes). */
  #buf: Buffer | null;
  /** Chunks to join at the end (no usable hint). */
  #parts: Buffer[] | null;
  #size: number;

  constructor(hint: number, resolve: (body: Buffer) => void, reject: (err: Error) => void, closedError: () => Error) {
    this.#hint = hint >= 0 && hint <= PREALLOC_LIMIT ? hint : -1;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#closedError = closedError;
    this.#first = null;
    this.#buf = null;
    this.#parts = null;
    this.#size = 0;
  }

  chunk(c: Buffer): boolean {
    const at = this.#size;
    const size = at + c.length;
    this.#size = size;
    const buf = this.#buf;
    if (buf !== null) {
      if (size <= buf.length) buf.set(c, at);
      else {
        this.#buf = null;
        this.#parts = [buf.subarray(0, at), c];
      }
    } else if (this.#parts !== null) this.#parts.push(c);
    else if (this.#first === null) this.#first = c;
    else {
      const first = this.#first;
      this.#first = null;
      if (size <= this.#hint) {
        const b = Buffer.allocUnsafeSlow(this.#hint);
        b.set(first, 0);
        b.set(c, first.length);
        this.#buf = b;
      } else this.#parts = [first, c];
    }
    return true;
  }

  end(): void {
    this.#resolve(this.#result());
  }

  error(err: Error): void {
    this.#release();
    this.#reject(err);
  }

  closed(): void {
    this.error(this.#closedError());
  }

  #result(): Buffer {
    const size = this.#size;
    let out: Buffer;
    if (this.#buf !== null) out = size === this.#buf.length ? this.#buf : this.#buf.subarray(0, size);
    else if (this.#parts !== null) out = Buffer.concat(this.#parts, size);
    else out = this.#first ?? EMPTY;
    this.#release();
    return out;
  }

  #release(): void {
    this.#first = null;
    this.#buf = null;
    this.#parts = null;
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** What {@link BodyIterator} reads from: a StreamResponse's internal side. @internal */
export interface TapSource {
  _tap(tap: BodyTap): void;
  _untap(tap: BodyTap): void;
  _read(): Buffer | null | undefined;
  close(): Promise<void>;
}

/**
 * The async iterator of a StreamResponse: `next()` takes a queued chunk, or
 * leaves a promise the next chunk resolves straight from the socket's data
 * event (one promise per chunk, no generator). The body is claimed on the
 * first `next()`; a failed body rejects and closes the response; `return()`
 * (breaking out of `for await`) closes it.
 * @internal
 */
export class BodyIterator implements BodyTap, AsyncIterableIterator<Uint8Array> {
  readonly #res: TapSource;
  /** 0: not started, 1: reading, 2: over. */
  #state: number;
  #resolve: ((r: IteratorResult<Uint8Array>) => void) | null;
  #reject: ((err: Error) => void) | null;

  constructor(res: TapSource) {
    this.#res = res;
    this.#state = 0;
    this.#resolve = null;
    this.#reject = null;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#state === 2) return Promise.resolve(DONE);
    const res = this.#res;
    if (this.#state === 0) {
      this.#state = 1;
      try {
        res._tap(this);
      } catch (err) {
        this.#state = 2;
        return Promise.reject(err as Error);
      }
    }
    let chunk: Buffer | null | undefined;
    try {
      chunk = res._read();
    } catch (err) {
      this.#finish();
      void res.close();
      return Promise.reject(err as Error);
    }
    if (chunk === undefined) {
      return new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
    }
    if (chunk === null) {
      this.#finish();
      return Promise.resolve(DONE);
    }
    return Promise.resolve({ done: false, value: chunk });
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    if (this.#state === 1) {
      const pending = this.#resolve;
      this.#finish();
      void this.#res.close();
      pending?.(DONE);
    }
    this.#state = 2;
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }

  /** @internal taken only by a waiting `next()`; otherwise the response queues it. */
  chunk(chunk: Buffer): boolean {
    const resolve = this.#resolve;
    if (resolve === null) return false;
    this.#resolve = null;
    this.#reject = null;
    resolve({ done: false, value: chunk });
    return true;
  }

  /** @internal with no `next()` waiting, the next one finds the end itself. */
  end(): void {
    const resolve = this.#resolve;
    if (resolve === null) return;
    this.#finish();
    resolve(DONE);
  }

  /** @internal with no `next()` waiting, the next one finds the error itself. */
  error(err: Error): void {
    const reject = this.#reject;
    if (reject === null) return;
    this.#finish();
    void this.#res.close();
    reject(err);
  }

  /** @internal the response was closed: a waiting `next()` ends the loop. */
  closed(): void {
    this.end();
  }

  #finish(): void {
    this.#state = 2;
    this.#resolve = null;
    this.#reject = null;
    this.#res._untap(this);
  }
}
