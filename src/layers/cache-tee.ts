/**
 * Streamed misses into the HTTP cache: a {@link BodyTap} that copies a
 * storable `session.stream()` response's body as it comes off the wire
 * (still content-coded, as a buffered miss is stored) and stores it when
 * the whole body has arrived — and, when it is content-coded, decoded
 * without error. A body cut short, aborted, closed by its reader before
 * it all arrived, or larger than the bound, stores nothing; the reader
 * sees the body exactly as without a cache.
 * @module
 */
import { Headers } from '../http/headers.js';
import type { PreparedRequest } from '../core/request.js';
import type { BodySink, BodyTap } from '../core/sink.js';
import { type Directives, parseCacheControl, storable } from './cache-control.js';
import { put, toStored } from './cache-entry.js';
import type { CacheStore } from './cache-store.js';

const EMPTY = Buffer.alloc(0);

/** A tap storing the streamed response to `req` under `key`, if storable and at most `maxBytes` on the wire. */
export function storeStream(store: CacheStore, key: string, req: PreparedRequest, reqCc: Directives, maxBytes: number): BodyTap {
  const requestTime = Date.now();
  return (status, reason, httpVersion, headers, sink) => {
    const h = Headers._fromList(headers as string[]);
    if (status === 304 || !storable(status, h, parseCacheControl(h.get('cache-control')), reqCc)) return sink;
    // Vary'd request headers as they are now, when the response is for them (not at the end, after the layer's conditionals came off).
    const head = toStored(req, status, reason, httpVersion, headers, EMPTY, requestTime);
    const keep = (body: Buffer): void => {
      void put(store, key, { ...head, body, responseTime: Date.now() }).catch(() => {});
    };
    return sink.onWireEnd !== undefined ? new WireTee(sink, maxBytes, keep) : new Tee(sink, maxBytes, keep);
  };
}

/** Copies chunks on their way to `inner`; keeps them when the body ends. */
class Tee implements BodySink {
  protected readonly inner: BodySink;
  readonly #max: number;
  readonly #keep: (body: Buffer) => void;
  #parts: Buffer[] | null;
  #size: number;

  constructor(inner: BodySink, max: number, keep: (body: Buffer) => void) {
    this.inner = inner;
    this.#max = max;
    this.#keep = keep;
    this.#parts = [];
    this.#size = 0;
  }

  onChunk(chunk: Buffer): void {
    const parts = this.#parts;
    if (parts !== null) {
      this.#size += chunk.length;
      // Past the bound: give up on storing, keep streaming.
      if (this.#size > this.#max) this.#parts = null;
      else parts.push(chunk);
    }
    this.inner.onChunk(chunk);
  }

  onEnd(): void {
    this.commit();
    this.inner.onEnd();
  }

  onError(err: Error): void {
    this.#parts = null;
    this.inner.onError(err);
  }

  /** The body is complete: store it (once). */
  protected commit(): void {
    const parts = this.#parts;
    this.#parts = null;
    if (parts !== null) this.#keep(Buffer.concat(parts, this.#size));
  }

  /** Nothing to store after all. */
  protected forget(): void {
    this.#parts = null;
  }
}

/** A {@link Tee} in front of a decoder: stored only once decoding finished without error. */
class WireTee extends Tee {
  onWireEnd(settle: ((reusable: boolean) => void) | null): void {
    this.inner.onWireEnd!((ok) => {
      if (ok) this.commit();
      else this.forget();
      settle?.(ok);
    });
  }
}
