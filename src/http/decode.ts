/**
 * Content decoding (RFC 9110 §8.4): gzip / x-gzip, deflate (zlib-wrapped or
 * raw, as servers send both), br, and chains of them, decoded chunk by chunk
 * with node:zlib streams as the body arrives.
 *
 * A stream that ends short (truncated data, a missing gzip or zlib trailer)
 * fails with InvalidResponseError: it is never a silently shorter body.
 *
 * A decompression bomb is stopped early: every zlib output chunk (at most
 * zlib's 16 KiB chunk size) is counted as it is produced, and the body fails
 * with LimitExceededError as soon as the decoded size passes the limit — the
 * producer is aborted, so the connection is destroyed, never pooled.
 * @module
 */
import zlib from 'node:zlib';
import { InvalidResponseError, LimitExceededError } from '../errors.js';

/** A content coding reqivo decodes. */
export type ContentCoding = 'gzip' | 'deflate' | 'br';

/** Most codings in one Content-Encoding chain; more is hostile, not real. */
const MAX_CODINGS = 5;

/** The `Accept-Encoding` value a Session sends by default. */
export const ACCEPT_ENCODING = 'gzip, deflate, br';

/**
 * The decoders to run for a Content-Encoding value, in decoding order (the
 * coding applied last is undone first). Empty when there is nothing to
 * decode, null when a coding is not one reqivo knows (the body is then
 * passed through as it is). Throws InvalidResponseError for a chain longer
 * than {@link MAX_CODINGS}.
 */
export function decodingsOf(contentEncoding: string | null): ContentCoding[] | null {
  if (contentEncoding === null) return [];
  const out: ContentCoding[] = [];
  for (const part of contentEncoding.split(',')) {
    const c = part.trim().toLowerCase();
    if (c === '' || c === 'identity') continue;
    if (c === 'gzip' || c === 'x-gzip') out.push('gzip');
    else if (c === 'deflate') out.push('deflate');
    else if (c === 'br') out.push('br');
    else return null;
  }
  if (out.length > MAX_CODINGS) {
    throw new InvalidResponseError(`Content-Encoding has ${out.length} codings; at most ${MAX_CODINGS} are decoded`);
  }
  return out.reverse();
}

/** Where decoded bytes go (the same shape as the client's BodySink). */
export interface ChunkSink {
  /** A chunk of decoded body. */
  onChunk(chunk: Buffer): void;
  /** The body ended. */
  onEnd(): void;
  /** The body failed. */
  onError(err: Error): void;
}

/** Pause and resume of the producer below the decoder (the socket). */
export interface WireFlow {
  /** Stop reading. */
  pause(): void;
  /** Read again. */
  resume(): void;
}

type ZStream = zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress;

// Each write is flushed (decoded bytes flow as they arrive); the end is a
// FINISH (zlib's default finishFlush), so a compressed stream that stops
// short — mid-data, or a gzip / zlib trailer missing — is an "unexpected end
// of file" error rather than a silently shorter body. Framing only proves
// the wire bytes are all there, not that the server sent a whole stream.
const ZLIB_OPTS: zlib.ZlibOptions = { flush: zlib.constants.Z_SYNC_FLUSH };
const BROTLI_OPTS: zlib.BrotliOptions = { flush: zlib.constants.BROTLI_OPERATION_FLUSH };

/** Whether two bytes open a zlib (RFC 1950) stream rather than raw deflate (RFC 1951). */
function isZlibHeader(b0: number, b1: number): boolean {
  return (b0 & 0x0f) === 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 === 0;
}

/** One decoder of the chain; created lazily (deflate needs its first two bytes to pick zlib or raw). */
class Stage {
  readonly coding: ContentCoding;
  z: ZStream | null;
  /** Input held back until a deflate stage has two bytes. */
  prefix: Buffer | null;
  /** Decoded bytes produced so far. */
  produced: number;
  /** Whether any input arrived. */
  fed: boolean;
  constructor(coding: ContentCoding) {
    this.coding = coding;
    this.z = null;
    this.prefix = null;
    this.produced = 0;
    this.fed = false;
  }
}

/**
 * A sink that decodes a body on its way to `inner`. `abortWire` stops the
 * producer (the connection is destroyed); it is called at most once, on a
 * decoding failure or when the decoded size passes `maxBytes` (the error
 * names `limitName`, the option that set it).
 *
 * When the producer supports it, the end of the wire body is signalled with
 * {@link onWireEnd}: the connection stays out of the pool until decoding
 * finished, so a failure found while flushing still closes it.
 */
export class ContentDecoder implements ChunkSink {
  readonly #inner: ChunkSink;
  readonly #stages: Stage[];
  readonly #maxBytes: number;
  readonly #limitName: string;
  readonly #abortWire: (err: Error) => void;
  #settle: ((reusable: boolean) => void) | null;
  #state: 0 | 1 | 2 | 3; // 0 open, 1 wire ended (flushing), 2 done, 3 failed
  #pendingError: Error | null;
  #wire: WireFlow | null;
  #paused: boolean;

  /** Decode `codings` (in decoding order, see {@link decodingsOf}) on the way to `inner`. */
  constructor(
    inner: ChunkSink,
    codings: readonly ContentCoding[],
    maxBytes: number,
    abortWire: (err: Error) => void,
    wire: WireFlow | null = null,
    limitName = 'maxBodyBytes',
  ) {
    this.#inner = inner;
    this.#stages = codings.map((c) => new Stage(c));
    this.#maxBytes = maxBytes;
    this.#limitName = limitName;
    this.#abortWire = abortWire;
    this.#settle = null;
    this.#state = 0;
    this.#pendingError = null;
    this.#wire = wire;
    this.#paused = false;
  }

  /**
   * Stop producing decoded bytes until {@link resume}: the zlib streams and
   * the wire are paused, so a slow reader of a streamed response bounds how
   * much a small compressed input can expand into memory.
   */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    for (const st of this.#stages) st.z?.pause();
    this.#wire?.pause();
  }

  /** Produce again after {@link pause}. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const st of this.#stages) st.z?.resume();
    this.#wire?.resume();
  }

  /** Give up: the wire is aborted (its connection destroyed) and decoding stops. */
  abort(err: Error): void {
    if (this.#state >= 2) return;
    this.#state = 3;
    this.#destroy();
    const settle = this.#settle;
    this.#settle = null;
    if (settle !== null) settle(false);
    else this.#abortWire(err);
  }

  /** A decoder that fails the body with `err` on its first event (for a head that cannot be decoded). */
  static failing(inner: ChunkSink, err: Error, abortWire: (err: Error) => void): ContentDecoder {
    const d = new ContentDecoder(inner, [], Number.POSITIVE_INFINITY, abortWire);
    d.#pendingError = err;
    return d;
  }

  /** Decoded bytes delivered so far. */
  get decodedBytes(): number {
    const n = this.#stages.length;
    return n === 0 ? 0 : this.#stages[n - 1]!.produced;
  }

  /** A chunk of encoded body from the wire. */
  onChunk(chunk: Buffer): void {
    if (this.#pendingError !== null) {
      this.#fail(this.#pendingError);
      return;
    }
    if (this.#state !== 0 || chunk.length === 0) return;
    this.#write(0, chunk);
  }

  /** The wire body ended (no connection to hold back). */
  onEnd(): void {
    this.onWireEnd(null);
  }

  /**
   * The wire body ended; `settle(reusable)` is called once decoding finished
   * (true) or failed (false), before `inner` hears of it.
   */
  onWireEnd(settle: ((reusable: boolean) => void) | null): void {
    if (this.#pendingError !== null) {
      this.#settle = settle;
      this.#fail(this.#pendingError);
      return;
    }
    if (this.#state !== 0) {
      settle?.(false);
      return;
    }
    this.#state = 1;
    this.#settle = settle;
    this.#end(0);
  }

  /** The wire failed. */
  onError(err: Error): void {
    if (this.#state >= 2) return;
    this.#state = 3;
    this.#destroy();
    const settle = this.#settle;
    this.#settle = null;
    settle?.(false);
    this.#inner.onError(err);
  }

  #write(i: number, buf: Buffer): void {
    if (i === this.#stages.length) {
      this.#inner.onChunk(buf);
      return;
    }
    const st = this.#stages[i]!;
    st.fed = true;
    if (st.z === null) {
      if (st.coding === 'deflate') {
        const have = st.prefix === null ? buf : Buffer.concat([st.prefix, buf]);
        if (have.length < 2) {
          st.prefix = have;
          return;
        }
        st.prefix = null;
        buf = have;
      }
      this.#open(i, st, buf);
    }
    st.z!.write(buf);
  }

  #open(i: number, st: Stage, first: Buffer): void {
    let z: ZStream;
    if (st.coding === 'gzip') z = zlib.createGunzip(ZLIB_OPTS);
    else if (st.coding === 'br') z = zlib.createBrotliDecompress(BROTLI_OPTS);
    else z = first.length >= 2 && isZlibHeader(first[0]!, first[1]!) ? zlib.createInflate(ZLIB_OPTS) : zlib.createInflateRaw(ZLIB_OPTS);
    st.z = z;
    if (this.#paused) z.pause();
    z.on('data', (out: Buffer) => {
      if (this.#state >= 2) return;
      st.produced += out.length;
      // Checked per zlib output chunk, so a bomb is stopped within one chunk of the limit.
      if (st.produced > this.#maxBytes) {
        this.#fail(
          new LimitExceededError(`decoded response body exceeds ${this.#limitName} (${this.#maxBytes}); Content-Encoding ${st.coding}`, {
            limit: this.#limitName,
          }),
        );
        return;
      }
      this.#write(i + 1, out);
    });
    z.on('end', () => {
      if (this.#state >= 2) return;
      this.#end(i + 1);
    });
    z.on('error', (err: Error) => {
      this.#fail(new InvalidResponseError(`cannot decode the ${st.coding} response body: ${err.message}`, { cause: err }));
    });
  }

  /** End stage `i` (its input is complete); the last stage's end finishes the body. */
  #end(i: number): void {
    if (this.#state >= 2) return;
    if (i === this.#stages.length) {
      this.#state = 2;
      const settle = this.#settle;
      this.#settle = null;
      settle?.(true);
      this.#inner.onEnd();
      return;
    }
    const st = this.#stages[i]!;
    if (!st.fed) {
      // No input at all (an empty body, a HEAD, a 204): nothing to decode.
      this.#end(i + 1);
      return;
    }
    if (st.z === null) this.#open(i, st, st.prefix ?? Buffer.alloc(0));
    if (st.prefix !== null) {
      st.z!.write(st.prefix);
      st.prefix = null;
    }
    st.z!.end();
  }

  #fail(err: Error): void {
    if (this.#state >= 2) return;
    const wireEnded = this.#state === 1 || this.#settle !== null;
    this.#state = 3;
    this.#pendingError = null;
    this.#destroy();
    const settle = this.#settle;
    this.#settle = null;
    if (settle !== null) settle(false);
    else if (!wireEnded) this.#abortWire(err);
    this.#inner.onError(err);
  }

  #destroy(): void {
    for (const st of this.#stages) {
      if (st.z !== null) {
        st.z.removeAllListeners('data');
        st.z.on('error', () => {});
        st.z.destroy();
      }
    }
  }
}
