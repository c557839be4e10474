/**
 * {@link StreamResponse}: a response whose body is read as it arrives.
 * Chunks queue up to a high-water mark, then the socket is paused until the
 * reader catches up, so a 64 MiB download never sits in memory.
 *
 * The read path costs little per chunk: a reader waiting for the next chunk
 * is a {@link BodyTap} the chunk is handed to straight from the socket's data
 * event (it only queues when nobody waits); the async iterator is a plain
 * object, not a generator, so a chunk costs one promise; `bytes()` collects
 * the whole body with one promise (body-tap.ts), and fetch's body stream
 * enqueues chunks as they come (fetch-response.ts).
 * @module
 */
import { attachRequest, InvalidResponseError, LimitExceededError, NetworkError, ReqivoError } from '../errors.js';
import type { Headers } from '../http/headers.js';
import type { Cancellable, Deadline } from '../core/deadline.js';
import type { BodySink, FlowControl } from '../core/sink.js';
import { charsetOf, decodeText, ResponseExtras } from './response.js';
import { parseEvents, type ServerSentEvent, SseParser, type SseParserOptions } from './sse.js';
import { BodyCollector, BodyIterator, type BodyTap } from './body-tap.js';

export type { BodySink, FlowControl } from '../core/sink.js';

const HIGH_WATER_MARK = 256 * 1024;
/**
 * Default `maxLineBytes` of {@link StreamResponse.lines}: 1 MiB. Far above
 * real NDJSON / log / SSE lines, yet it keeps a server that never sends a
 * newline from growing one string without bound; raise it per call.
 */
export const DEFAULT_MAX_LINE_BYTES = 2 ** 20;
/** Decodes whole lines (never a partial character: lines end on 0x0A); keeps a BOM inside the body. */
const LINE_DECODER = new TextDecoder('utf-8', { ignoreBOM: true });
const EMPTY_REDIRECTS: readonly string[] = Object.freeze([]);

/** A response whose body is streamed: iterate it, or read it whole with `text()`, `json()`, `bytes()`. */
export class StreamResponse extends ResponseExtras implements BodySink, AsyncIterable<Uint8Array> {
  /** Status code. */
  readonly status: number;
  /** Reason phrase. */
  readonly reason: string;
  /** `'1.1'`, `'1.0'` or `'2'`. */
  readonly httpVersion: string;
  /** Response headers. */
  readonly headers: Headers;
  /** Final URL, after redirects. */
  readonly url: string;
  /** Method of the request. */
  readonly method: string;
  /** URLs of the redirect chain before {@link url}. */
  redirects: readonly string[];
  #flow: FlowControl | null;
  #queue: Buffer[];
  #queued: number;
  #ended: boolean;
  #error: Error | null;
  #paused: boolean;
  /** Who takes chunks as they arrive: a waiting iterator, `bytes()`, fetch's body stream. */
  #tap: BodyTap | null;
  #consumed: boolean;
  /** close() came before any read, with body left unread: a read now rejects. */
  #closedUnread: boolean;
  /** The exchange's deadline while the body is read: released (or finished, for the final response) when it settles. */
  #deadline: Deadline | null;
  #hop: Cancellable | null;
  #finishDeadline: boolean;

  /** @internal built by the Session. */
  constructor(status: number, reason: string, httpVersion: string, headers: Headers, url: string, method: string) {
    super();
    this.status = status;
    this.reason = reason;
    this.httpVersion = httpVersion;
    this.headers = headers;
    this.url = url;
    this.method = method;
    this.redirects = EMPTY_REDIRECTS;
    this.#flow = null;
    this.#queue = [];
    this.#queued = 0;
    this.#ended = false;
    this.#error = null;
    this.#paused = false;
    this.#tap = null;
    this.#consumed = false;
    this.#closedUnread = false;
    this.#deadline = null;
    this.#hop = null;
    this.#finishDeadline = false;
  }

  /** @internal connect the producer; `hop` stays bound to `deadline` until the body settles. */
  _attach(flow: FlowControl, deadline: Deadline | null, hop: Cancellable | null): void {
    this.#flow = flow;
    this.#deadline = deadline;
    this.#hop = hop;
  }

  /** @internal this is the exchange's final response: its deadline ends when the body settles. */
  _finishDeadline(deadline: Deadline): void {
    if (this.#ended && this.#deadline === null) deadline.finish();
    else {
      this.#deadline = deadline;
      this.#finishDeadline = true;
    }
  }

  /** Same as {@link headers}; matches Response's internal read-only look. @internal */
  _peekHeaders(): Headers {
    return this.headers;
  }

  /** @internal read through `flow` instead (a decoder between the socket and this response). */
  _setFlow(flow: FlowControl): void {
    this.#flow = flow;
  }

  /** Whether the whole body has arrived (it may still be queued for reading). */
  get complete(): boolean {
    return this.#ended;
  }

  /** @internal */
  onChunk(chunk: Buffer): void {
    if (this.#ended || chunk.length === 0) return;
    const tap = this.#tap;
    if (tap !== null && this.#queue.length === 0 && tap.chunk(chunk)) return;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued >= HIGH_WATER_MARK) this._setPaused(true);
  }

  /** @internal */
  onEnd(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#settled();
    const tap = this.#tap;
    this.#tap = null;
    tap?.end();
  }

  /** @internal */
  onError(err: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    const e = err instanceof ReqivoError ? attachRequest(err, this.method, this.url) : err;
    this.#error = e;
    this.#settled();
    const tap = this.#tap;
    this.#tap = null;
    tap?.error(e);
  }

  /** @internal stop (true) or restart (false) the producer; a no-op once the body settled. */
  _setPaused(paused: boolean): void {
    const flow = this.#flow;
    if (paused === this.#paused || flow === null) return;
    this.#paused = paused;
    if (paused) flow.pause();
    else flow.resume();
  }

  /**
   * @internal Claim the body for `tap`: the chunks queued so far are offered
   * to it in order (it may leave them queued), then each chunk as it arrives
   * while nothing is queued, then the end or the error. Throws when the body
   * was already consumed.
   */
  _tap(tap: BodyTap): void {
    this.#claim();
    // Restart the producer first (its data comes on a later tick), so a tap that is full after the queued chunks can pause it again.
    this._setPaused(false);
    const queue = this.#queue;
    let taken = 0;
    while (taken < queue.length && tap.chunk(queue[taken]!)) this.#queued -= queue[taken++]!.length;
    if (taken > 0) queue.splice(0, taken);
    if (queue.length > 0) {
      if (this.#queued >= HIGH_WATER_MARK) this._setPaused(true);
      this.#tap = tap;
    } else if (this.#error !== null) tap.error(this.#error);
    else if (this.#ended) tap.end();
    else this.#tap = tap;
  }

  /** @internal `tap` stops taking chunks. */
  _untap(tap: BodyTap): void {
    if (this.#tap === tap) this.#tap = null;
  }

  /** @internal The next queued chunk, null at the end, undefined when none arrived yet; throws the body's error. */
  _read(): Buffer | null | undefined {
    if (this.#queue.length > 0) return this.#take();
    if (this.#error !== null) throw this.#error;
    return this.#ended ? null : undefined;
  }

  /** The first queued chunk, taken off the queue; the producer restarts once the queue is half empty. */
  #take(): Buffer {
    const chunk = this.#queue.shift()!;
    this.#queued -= chunk.length;
    if (this.#paused && this.#queued < HIGH_WATER_MARK / 2) this._setPaused(false);
    return chunk;
  }

  #settled(): void {
    // The body is over: let go of the producer. Its connection may already
    // carry another request, which this reader must not pause or resume.
    this.#flow = null;
    this.#paused = false;
    const d = this.#deadline;
    this.#deadline = null;
    if (d === null) return;
    if (this.#hop !== null) d.release(this.#hop);
    this.#hop = null;
    if (this.#finishDeadline) d.finish();
  }

  #claim(): void {
    if (this.#closedUnread) throw new NetworkError('response closed before the body was read', { method: this.method, url: this.url });
    if (this.#consumed) throw new NetworkError('the response body was already consumed', { method: this.method, url: this.url });
    this.#consumed = true;
  }

  /**
   * Iterate the body as Uint8Array chunks. Breaking out of the loop closes
   * the response; so does a failed body (the loop throws its error). The
   * body is claimed on the first `next()`, as by a generator.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return new BodyIterator(this);
  }

  /** The whole body as bytes. */
  bytes(): Promise<Uint8Array> {
    return new Promise<Buffer>((resolve, reject) => {
      const closed = (): Error => new NetworkError('response closed before the body was read', { method: this.method, url: this.url });
      this._tap(new BodyCollector(resolve, reject, closed));
    });
  }

  /** The whole body decoded by its charset (default UTF-8). */
  async text(): Promise<string> {
    return decodeText(await this.bytes(), charsetOf(this.headers.get('content-type')));
  }

  /** The whole body parsed as JSON. */
  async json<T = unknown>(): Promise<T> {
    const text = await this.text();
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new InvalidResponseError(`response body is not valid JSON: ${(err as Error).message}`, {
        cause: err,
        method: this.method,
        url: this.url,
      });
    }
  }

  /**
   * The body as lines of text (UTF-8), without their `\n` or `\r\n`; a last
   * line without a newline is yielded too, and a BOM opening the body is
   * dropped. Linear in the body: only newly arrived bytes are searched for
   * `\n` (0x0A never occurs inside a UTF-8 sequence, so lines are cut on
   * bytes and each decoded once). A line longer than `maxLineBytes` (default
   * `DEFAULT_MAX_LINE_BYTES`; counted without its line ending) fails
   * with LimitExceededError (`limit: 'maxLineBytes'`) before it is held
   * whole, and the response is closed.
   */
  async *lines(options: { maxLineBytes?: number } = {}): AsyncGenerator<string> {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!(max >= 0)) throw new RangeError('maxLineBytes must be a non-negative number');
    // Bytes of the line in progress, in arrival order (no newline among them).
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    let first = true;
    const line = (tail: Buffer | null): string => {
      let buf = tail;
      if (pending.length > 0) {
        if (tail !== null) pending.push(tail);
        buf = Buffer.concat(pending, pendingBytes + (tail === null ? 0 : tail.length));
        pending.length = 0;
        pendingBytes = 0;
      }
      let end = buf === null ? 0 : buf.length;
      if (end > 0 && buf![end - 1] === 13) end--;
      if (end > max) throw this.#lineTooLong(max);
      let start = 0;
      if (first) {
        first = false;
        if (end >= 3 && buf![0] === 0xef && buf![1] === 0xbb && buf![2] === 0xbf) start = 3;
      }
      return end === 0 ? '' : LINE_DECODER.decode(buf!.subarray(start, end));
    };
    for await (const chunk of this) {
      const buf = chunk as Buffer;
      let from = 0;
      let nl = buf.indexOf(10, from);
      while (nl !== -1) {
        yield line(buf.subarray(from, nl));
        from = nl + 1;
        nl = buf.indexOf(10, from);
      }
      if (from < buf.length) {
        pending.push(from === 0 ? buf : buf.subarray(from));
        pendingBytes += buf.length - from;
        // One byte over: a CR that a CRLF split across chunks left at the end.
        if (pendingBytes > max + 1) throw this.#lineTooLong(max);
      }
    }
    if (pendingBytes > 0) yield line(null);
  }

  #lineTooLong(max: number): LimitExceededError {
    return new LimitExceededError(`a line of the response body exceeds maxLineBytes (${max})`, {
      limit: 'maxLineBytes',
      method: this.method,
      url: this.url,
    });
  }

  /**
   * The body as server-sent events, parsed by the WHATWG EventSource rules
   * (client/sse.ts); breaking out of the loop closes the response.
   */
  events(options?: SseParserOptions): AsyncGenerator<ServerSentEvent> {
    return parseEvents(this, new SseParser(options));
  }

  /**
   * Stop reading. If the body has fully arrived the connection already went
   * back to the pool; otherwise it is destroyed (never pooled half-read).
   * A read begun after it, of a body nothing read yet, rejects (never an
   * empty body); an iteration under way ends.
   */
  close(): Promise<void> {
    const unread = !this.#ended || this.#queue.length > 0;
    if (!this.#ended) {
      this.#ended = true;
      this.#flow?.abort(new NetworkError('response closed before the body was read', { method: this.method, url: this.url }));
      this.#settled();
    }
    // A read begun after this rejects; one already under way (a loop that calls close()) just ends.
    if (unread && !this.#consumed) this.#closedUnread = true;
    this.#queue.length = 0;
    this.#queued = 0;
    const tap = this.#tap;
    this.#tap = null;
    tap?.closed();
    return Promise.resolve();
  }

  /** Closes the response (`await using res = await session.stream(...)`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
