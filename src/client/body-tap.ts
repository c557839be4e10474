/**
 * Readers that take a {@link StreamResponse}'s chunks as they arrive, called
 * synchronously from the socket's data event instead of one promise per
 * chunk: {@link BodyTap} is what the response hands chunks to, and
 * {@link BodyCollector} is the tap behind `bytes()` (and so `text()`,
 * `json()`, fetch's `arrayBuffer()`), which gathers the whole body with one
 * promise in all; {@link BodyIterator} is the async iterator.
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

const EMPTY = Buffer.alloc(0);

/**
 * The `bytes()` tap: gathers the body and settles one promise. A body that
 * arrives in one chunk is returned as that chunk (no copy); more chunks are
 * joined once, at the end. (Copying each chunk into a buffer of the declared
 * length as it arrives was measured slower on a 64 MiB body: more page-fault
 * time in the kernel, BENCHMARKS.md.)
 * @internal
 */
export class BodyCollector implements BodyTap {
  readonly #resolve: (body: Buffer) => void;
  readonly #reject: (err: Error) => void;
  readonly #closedError: () => Error;
  /** The only chunk so far. */
  #first: Buffer | null;
  /** Every chunk, once there is more than one. */
  #parts: Buffer[] | null;
  #size: number;

  constructor(resolve: (body: Buffer) => void, reject: (err: Error) => void, closedError: () => Error) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#closedError = closedError;
    this.#first = null;
    this.#parts = null;
    this.#size = 0;
  }

  chunk(c: Buffer): boolean {
    this.#size += c.length;
    if (this.#parts !== null) this.#parts.push(c);
    else if (this.#first === null) this.#first = c;
    else {
      this.#parts = [this.#first, c];
      this.#first = null;
    }
    return true;
  }

  end(): void {
    const parts = this.#parts;
    const out = parts !== null ? Buffer.concat(parts, this.#size) : (this.#first ?? EMPTY);
    this.#release();
    this.#resolve(out);
  }

  error(err: Error): void {
    this.#release();
    this.#reject(err);
  }

  closed(): void {
    this.error(this.#closedError());
  }

  #release(): void {
    this.#first = null;
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
