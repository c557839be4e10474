/**
 * One hop of a request: get a connection from the pool, run the HTTP/1.1
 * exchange on it, and build a {@link Response} (buffered) or a
 * {@link StreamResponse}. A Call lives for one `session.request()`, across
 * redirects and retries, and carries the total timeout and the abort signal,
 * so a request allocates one Call, one promise per hop and its response.
 * @module
 */
import { AbortError, attachRequest, ConnectTimeout, LimitExceededError, ReadTimeout, ReqivoError, RequestError, TimeoutError } from '../errors.js';
import { Headers } from '../http/headers.js';
import type { Connection } from '../transport/connection.js';
import type { OriginPool } from '../transport/pool.js';
import type { RequestBody } from './body.js';
import { type Exchange, H1Conn } from './h1.js';
import type { Progress, ResponseLimits, Timeout } from './options.js';
import { Response } from './response.js';
import { type BodySink, type FlowControl, StreamResponse } from './stream-response.js';

/**
 * A hop served by a multiplexed transport (an HTTP/2 stream). It drives the
 * call as its {@link Exchange} and is the call's FlowControl while in flight.
 */
export interface MuxHop extends FlowControl {
  /** Begin; `h1` runs the hop over HTTP/1.1 instead (the origin turned out not to speak h2). */
  start(exchange: Exchange, h1: () => void): void;
}

/** What the body of a hop is wrapped in before it reaches the response (decoding, progress). */
export type BodyWrapper = (sink: BodySink, headers: Headers, limits: ResponseLimits, flow: FlowControl, buffered: boolean) => BodySink;

/** A request in flight; see the module doc. */
export class Call implements Exchange, BodySink {
  /** Method of the current hop. */
  method: string;
  /** Display URL of the current hop (no credentials). */
  url: string;
  readonly timeout: Timeout;
  readonly limits: ResponseLimits;
  readonly signal: AbortSignal | null;
  /** Whether the caller wants a StreamResponse. */
  readonly streaming: boolean;
  /** Per-request proxy override (`RequestOptions.proxy`); undefined uses the session's. */
  proxy: string | false | undefined;
  /** Decide per head whether to buffer a streaming hop (e.g. a redirect to follow). */
  bufferStatus: ((status: number, headers: Headers) => boolean) | null;
  wrapBody: BodyWrapper | null;
  onDownloadProgress: ((p: Progress) => void) | null;
  /** The current hop's request says `Connection: close`: its connection is not reused. */
  closeConnection: boolean;
  #resolve: ((res: Response | StreamResponse) => void) | null;
  #reject: ((err: Error) => void) | null;
  #flow: FlowControl | null;
  /** First body chunk of a buffered hop; most small bodies arrive in one. */
  #first: Buffer | null;
  /** Further chunks, allocated only when a body comes in several. */
  #more: Buffer[] | null;
  #size: number;
  #status: number;
  #reason: string;
  #version: string;
  #headers: Headers | null;
  #timer: NodeJS.Timeout | null;
  #failure: Error | null;
  /** When the total timeout started, and when the current hop began opening a connection (-1: it took an idle one). */
  #started: number;
  #connectStart: number;
  #onAbort: (() => void) | null;
  #stream: StreamResponse | null;

  constructor(
    method: string,
    url: string,
    timeout: Timeout,
    limits: ResponseLimits,
    signal: AbortSignal | null,
    streaming: boolean,
  ) {
    this.method = method;
    this.url = url;
    this.timeout = timeout;
    this.limits = limits;
    this.signal = signal;
    this.streaming = streaming;
    this.proxy = undefined;
    this.bufferStatus = null;
    this.wrapBody = null;
    this.onDownloadProgress = null;
    this.closeConnection = false;
    this.#resolve = null;
    this.#reject = null;
    this.#flow = null;
    this.#first = null;
    this.#more = null;
    this.#size = 0;
    this.#status = 0;
    this.#reason = '';
    this.#version = '1.1';
    this.#headers = null;
    this.#timer = null;
    this.#failure = null;
    this.#started = performance.now();
    this.#connectStart = -1;
    this.#onAbort = null;
    this.#stream = null;
    if (signal !== null) {
      if (signal.aborted) this.#failure = this.#abortError();
      else {
        this.#onAbort = () => this.cancel(this.#abortError());
        signal.addEventListener('abort', this.#onAbort, { once: true });
      }
    }
    const total = timeout.total;
    if (total !== Number.POSITIVE_INFINITY) {
      this.#timer = setTimeout(() => this.cancel(this.#totalTimeout(total)), total);
    }
  }

  #abortError(): AbortError {
    const reason: unknown = this.signal!.reason;
    const text = reason instanceof Error ? `: ${reason.message}` : '';
    return new AbortError(`request aborted${text}`, { cause: reason });
  }

  /** The error that ended the call (abort or total timeout), if any. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Throw the call's failure, if any. */
  check(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  /** Milliseconds left of the total timeout (Infinity when none). */
  remaining(started: number): number {
    return this.timeout.total === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : this.timeout.total - (performance.now() - started);
  }

  /** Stop the call with `err`: the hop in flight is aborted (its connection destroyed). */
  cancel(err: Error): void {
    if (this.#failure !== null) return;
    this.#failure = err;
    const flow = this.#flow;
    if (flow !== null) flow.abort(err);
    else if (this.#stream !== null) this.#stream.onError(this.#stamp(err));
    else this.#settleError(err);
  }

  /** Release the timer and signal listener. Called when the call is over. */
  finish(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#onAbort !== null) {
      this.signal!.removeEventListener('abort', this.#onAbort);
      this.#onAbort = null;
    }
  }

  /**
   * Run one hop on `origin`: write `head` (+ `body`) on a pooled connection
   * and resolve with the response.
   */
  hop(origin: OriginPool, head: string, body: RequestBody | null, fresh: boolean, mux: MuxHop | null = null): Promise<Response | StreamResponse> {
    return new Promise<Response | StreamResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      this.#first = null;
      this.#more = null;
      this.#size = 0;
      this.#headers = null;
      this.#stream = null;
        if (this.#failure !== null) {
        this.#settleError(this.#failure);
        return;
      }
      if (mux !== null) {
        // HTTP/2: the stream drives this call; it falls back to HTTP/1.1 when the origin turns out not to speak h2.
        this.#flow = mux;
        this.#connectStart = performance.now();
        mux.start(this, () => this.#h1(origin, head, body, fresh));
        return;
      }
      this.#h1(origin, head, body, fresh);
    });
  }

  #h1(origin: OriginPool, head: string, body: RequestBody | null, fresh: boolean): void {
    this.#flow = null;
    if (this.#failure !== null) {
      this.#settleError(this.#failure);
      return;
    }
    const conn = fresh ? null : origin.takeIdle();
    if (conn !== null) this.#send(conn, origin, head, body);
    else {
      this.#connectStart = performance.now();
      origin.acquire(this.signal, this.timeout.connect, fresh).then(
        (c) => {
          if (this.#failure !== null) {
            origin.release(c, true);
            this.#settleError(this.#failure);
          } else this.#send(c, origin, head, body);
        },
        (err: Error) => this.#settleError(err),
      );
    }
  }

  /**
   * The error for a total timeout. When a phase timeout would have expired
   * at the same moment (e.g. `timeout: 500` sets every phase to 500 ms),
   * the phase is named: ConnectTimeout while connecting, ReadTimeout when
   * nothing arrived for the read timeout. Otherwise a plain TimeoutError.
   */
  #totalTimeout(total: number): TimeoutError {
    const deadline = this.#started + total + PHASE_SLACK_MS;
    const flow = this.#flow;
    // Still opening a connection: no exchange yet, or an HTTP/2 stream waiting for its session.
    const connecting = (flow === null && this.#stream === null) || (flow !== null && (flow as { stream?: unknown }).stream === null);
    if (connecting) {
      const connect = this.timeout.connect;
      if (this.#connectStart >= 0 && this.#connectStart + connect <= deadline) {
        return new ConnectTimeout(`connect timed out after ${connect} ms`, { timeoutMs: connect });
      }
    } else if (flow instanceof H1Conn) {
      const read = this.timeout.read;
      if (flow.lastActivity + read <= deadline) return new ReadTimeout(`no data from the server for ${read} ms`, { timeoutMs: read });
    }
    return new TimeoutError(`request timed out after ${total} ms (total timeout)`, { timeoutMs: total });
  }

  #send(conn: Connection, origin: OriginPool, head: string, body: RequestBody | null): void {
    this.#connectStart = -1;
    const h1 = H1Conn.of(conn, origin);
    this.#flow = h1;
    h1.dispatch(this, this.method, head, body, this.timeout.read, this.limits, this.closeConnection);
  }

  #stamp(err: Error): Error {
    return err instanceof ReqivoError ? attachRequest(err, this.method, this.url) : new RequestError(String(err), { cause: err, method: this.method, url: this.url });
  }

  #settleError(err: Error): void {
    const reject = this.#reject;
    this.#resolve = null;
    this.#reject = null;
    this.#flow = null;
    if (reject !== null) reject(this.#stamp(err));
  }

  // ---- Exchange ----

  /** @internal */
  onHead(status: number, reason: string, httpVersion: string, headers: string[], flow: FlowControl): BodySink {
    const h = Headers._fromList(headers);
    let sink: BodySink;
    if (this.streaming && (this.bufferStatus === null || !this.bufferStatus(status, h))) {
      // A copy: the parser's list may be shared with earlier responses, and users may mutate these headers.
      const res = new StreamResponse(status, reason, httpVersion, Headers._fromList(headers.slice()), this.url, this.method);
      res._attach(flow, () => {
        this.#stream = null;
        this.#flow = null;
        this.finish();
      });
      this.#stream = res;
      sink = res;
      const resolve = this.#resolve!;
      this.#resolve = null;
      this.#reject = null;
      resolve(res);
    } else {
      this.#status = status;
      this.#reason = reason;
      this.#version = httpVersion;
      this.#headers = h;
      sink = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the Call is the buffered body sink
    }
    if (this.onDownloadProgress !== null) sink = new ProgressSink(sink, this.onDownloadProgress, h);
    if (this.wrapBody !== null) {
      sink = this.wrapBody(sink, h, this.limits, flow, this.#stream === null);
      // A streamed body read through a decoder pauses the decoder, not just the socket.
      const stream = this.#stream;
      if (stream !== null && isFlowControl(sink)) stream._setFlow(sink);
    }
    return sink;
  }

  /** @internal Failure before the head (Exchange) or of a buffered body (BodySink). */
  onError(err: Error, retryable = false): void {
    if (retryable) (err as Error & { retryable?: boolean }).retryable = true;
    this.#settleError(err);
  }

  // ---- BodySink (buffered) ----

  /** @internal */
  onChunk(chunk: Buffer): void {
    if (this.#first === null) this.#first = chunk;
    else if (this.#more === null) this.#more = [chunk];
    else this.#more.push(chunk);
    this.#size += chunk.length;
    if (this.#size > this.limits.maxBodyBytes) {
      this.#flow?.abort(
        new LimitExceededError(`response body exceeds maxBodyBytes (${this.limits.maxBodyBytes})`, { limit: 'maxBodyBytes' }),
      );
    }
  }

  /** @internal */
  onEnd(): void {
    const resolve = this.#resolve;
    this.#resolve = null;
    this.#reject = null;
    this.#flow = null;
    if (resolve === null) return;
    const first = this.#first;
    const more = this.#more;
    let body: Buffer;
    if (first === null) body = EMPTY;
    else if (more === null) body = ownBody(first);
    else {
      more.unshift(first);
      body = Buffer.concat(more, this.#size);
    }
    this.#first = null;
    this.#more = null;
    resolve(new Response(this.#status, this.#reason, this.#version, this.#headers!._list, this.url, body, this.method));
  }
}

const EMPTY = Buffer.alloc(0);
/** A phase deadline this close after the total deadline counts as the same moment. */
const PHASE_SLACK_MS = 20;

function isFlowControl(v: unknown): v is FlowControl {
  const f = v as FlowControl;
  return typeof f.pause === 'function' && typeof f.resume === 'function' && typeof f.abort === 'function';
}
/** Bodies below this size are copied into Node's shared 8 KiB slabs (Buffer.allocUnsafe). */
const SLAB_BODY = 4096;

/**
 * The body a Response keeps. A single chunk is a view of a socket read that
 * also holds the response head (and maybe more): keep the view only when it
 * covers nearly all of that read; otherwise copy — small bodies into Node's
 * shared slab (several bodies per ArrayBuffer, like Buffer.allocUnsafe),
 * large ones into their own buffer.
 */
function ownBody(c: Buffer): Buffer {
  const n = c.length;
  if (n >= SLAB_BODY) return c.buffer.byteLength - n <= n >>> 4 ? c : Buffer.from(c);
  const out = Buffer.allocUnsafe(n);
  out.set(c);
  return out;
}

/** Counts body bytes for `onDownloadProgress`. */
class ProgressSink implements BodySink {
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
