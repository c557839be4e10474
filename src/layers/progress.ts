/**
 * Progress, both ways. Upload: a {@link RequestBody} that reports how many
 * bytes were handed to the connection — HTTP/1.1 and HTTP/2 alike, because
 * it wraps the body's chunks rather than the writer. Download: a
 * {@link ProgressSink} between the driver and the response. Each is set up
 * only for a request that asked for it.
 * @module
 */
import type { Headers } from '../http/headers.js';
import type { BodySink } from '../core/sink.js';
import { pieceBytes, RequestBody } from '../core/body.js';
import type { Progress } from '../client/options.js';

/** Bodies known up front are sent in slices of this size so progress moves. */
const SLICE = 64 * 1024;

/**
 * Wrap `body` so that `onProgress({ loaded, total })` is called after each
 * chunk was taken by the writer (which waits for the socket to drain), and
 * once more at the end. `total` is the body length, or null when unknown
 * (a chunked stream). A replay (redirect 307/308, retry) starts again at 0.
 */
export function withUploadProgress(body: RequestBody, onProgress: (p: Progress) => void): RequestBody {
  const total = body.length >= 0 ? body.length : null;
  const bytes = body.bytes;
  const source: () => AsyncIterable<Uint8Array | string> = bytes !== null ? () => slices(bytes) : () => body.open();
  return new RequestBody(null, () => counted(source(), total, onProgress), body.length, body.contentType, body.replayable);
}

async function* slices(bytes: Buffer): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += SLICE) yield bytes.subarray(i, Math.min(bytes.length, i + SLICE));
}

async function* counted(
  source: AsyncIterable<Uint8Array | string>,
  total: number | null,
  onProgress: (p: Progress) => void,
): AsyncIterable<Uint8Array> {
  let loaded = 0;
  for await (const piece of source) {
    const buf = pieceBytes(piece);
    if (buf.length === 0) continue;
    yield buf;
    // The writer asks for the next chunk once this one is written (and drained).
    loaded += buf.length;
    onProgress({ loaded, total });
  }
  if (loaded === 0) onProgress({ loaded, total });
}

/** Counts body bytes for `onDownloadProgress`. */
export class ProgressSink implements BodySink {
  readonly #inner: BodySink;
  readonly #cb: (p: Progress) => void;
  readonly #total: number | null;
  #loaded: number;
  constructor(inner: BodySink, cb: (p: Progress) => void, headers: Headers) {
    this.#inner = inner;
    this.#cb = cb;
    const cl = headers.get('content-length');
    this.#total = cl !== null && /^\d+$/.test(cl) && !headers.has('content-encoding') ? Number(cl) : null;
    this.#loaded = 0;
  }
  /** Counting keeps nothing: views are fine when they are for the sink inside. */
  get borrowsChunks(): boolean {
    return this.#inner.borrowsChunks === true;
  }
  onChunk(chunk: Buffer): void {
    this.#loaded += chunk.length;
    this.#inner.onChunk(chunk);
    this.#cb({ loaded: this.#loaded, total: this.#total });
  }
  onEnd(): void {
    this.#inner.onEnd();
  }
  onError(err: Error): void {
    this.#inner.onError(err);
  }
}
