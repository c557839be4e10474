/**
 * {@link ResponseBuilder}: turns what a driver reports for one hop — head,
 * body chunks, end or failure — into a buffered {@link Response} (the body
 * gathered, kept lean) or a {@link StreamResponse} handed out at the head,
 * with the request's body layers (decoding, download progress) between.
 * {@link HopExchange} extends it with the wire; responses made without a
 * network use it directly.
 * @module
 */
import { attachRequest, LimitExceededError, ReqivoError, RequestError, StaleConnectionError } from '../errors.js';
import { Headers } from '../http/headers.js';
import type { Cancellable, Deadline } from '../core/deadline.js';
import type { AnyResponse } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import type { ConnectTimes, Timings } from '../core/timings.js';
import { type DiagnosticRequest, type DiagnosticResponse, requestEnd, requestError, requestHeaders } from '../core/diagnostics.js';
import { type BodySink, bodyTaps, type Exchange, type FlowControl } from '../core/sink.js';
import { decodeBody } from '../layers/decode.js';
import { ProgressSink } from '../layers/progress.js';
import { Response, setTimings } from './response.js';
import { StreamResponse } from './stream-response.js';
import { Slab } from '../core/slab.js';

/**
 * Builds a hop's response from what a driver reports: a StreamResponse
 * handed out at the head, or a buffered Response at the end of the body,
 * with the request's body layers (decoding, download progress) between.
 * Also used for responses made without a network ({@link createResponse}).
 */
export class ResponseBuilder implements Exchange, BodySink {
  protected readonly req: PreparedRequest;
  protected readonly deadline: Deadline | null;
  protected resolve: ((res: AnyResponse) => void) | null;
  protected reject: ((err: Error) => void) | null;
  /** What reads the response body off the wire, while it does. */
  protected flow: FlowControl | null;
  protected stream: StreamResponse | null;
  /** The request's timings, when it asked for them. */
  protected readonly timings: Timings | null;
  /** The round trip as diagnostics subscribers see it, while someone subscribes. */
  protected diag: DiagnosticRequest | null;
  #diagResponse: DiagnosticResponse | null;
  /** First body chunk of a buffered hop; most small bodies arrive in one. */
  #first: Buffer | null;
  /** Further chunks, allocated only when a body comes in several. */
  #more: Buffer[] | null;
  #size: number;
  /** The buffered body's own buffer, of its Content-Length, while chunks are copied into it. */
  #block: Buffer | null;
  /** Chunks are views of a shared read buffer ({@link FlowControl.lendsChunks}): keep copies. */
  #copies: boolean;
  #status: number;
  #reason: string;
  #version: string;
  #headers: Headers | null;

  constructor(req: PreparedRequest, resolve: (res: AnyResponse) => void, reject: (err: Error) => void) {
    this.req = req;
    this.deadline = req.deadline;
    this.resolve = resolve;
    this.reject = reject;
    this.flow = null;
    this.stream = null;
    this.timings = req.timings;
    this.diag = null;
    this.#diagResponse = null;
    this.#first = null;
    this.#more = null;
    this.#size = 0;
    this.#block = null;
    this.#copies = false;
    this.#status = 0;
    this.#reason = '';
    this.#version = '1.1';
    this.#headers = null;
  }

  /** The error with the request's method and URL on it. */
  protected stamp(err: Error): Error {
    const req = this.req;
    return err instanceof ReqivoError
      ? attachRequest(err, req.method, req._display)
      : new RequestError(String(err), { cause: err, method: req.method, url: req._display });
  }

  protected settleError(err: Error): void {
    const reject = this.reject;
    this.resolve = null;
    this.reject = null;
    this.flow = null;
    this.released();
    if (reject === null) return;
    const e = this.stamp(err);
    if (this.diag !== null && requestError.hasSubscribers) requestError.publish({ request: this.diag, error: e });
    reject(e);
  }

  /** A streamed body ended: its timings and the end event. @internal */
  _bodyEnded(): void {
    const t = this.timings;
    if (t !== null) t.end = performance.now();
    if (this.diag !== null && requestEnd.hasSubscribers) requestEnd.publish({ request: this.diag, response: this.#diagResponse });
  }

  /** A streamed body failed: the error event. @internal */
  _bodyFailed(err: Error): void {
    if (this.diag !== null && requestError.hasSubscribers) requestError.publish({ request: this.diag, error: err });
  }

  /** The hop no longer needs its deadline's attention. */
  protected released(): void {}

  // ---- Exchange ----

  /** @internal */
  onSocket(times: ConnectTimes | null, reused: boolean): void {
    this.timings?._socket(performance.now(), times, reused);
  }

  /** @internal */
  onRequestSent(): void {
    const t = this.timings;
    if (t !== null) t.upload = performance.now();
  }

  /** @internal */
  onHead(status: number, reason: string, httpVersion: string, headers: string[], flow: FlowControl): BodySink {
    const req = this.req;
    const h = Headers._fromList(headers);
    this.flow = flow;
    const timings = this.timings;
    if (timings !== null) timings.response = performance.now();
    if (this.diag !== null) {
      this.#diagResponse = { status, reason, httpVersion, headers };
      if (requestHeaders.hasSubscribers) requestHeaders.publish({ request: this.diag, response: this.#diagResponse });
    }
    let sink: BodySink;
    if (req.streaming) {
      // A copy: the parser's list may be shared with earlier responses, and users may mutate these headers.
      const res = new StreamResponse(status, reason, httpVersion, Headers._fromList(headers.slice()), req._display, req.method);
      res._attach(flow, this.deadline, this.cancellable());
      this.stream = res;
      sink = res;
      if (timings !== null) setTimings(res, timings);
      if (timings !== null || this.diag !== null) sink = new EndSink(res, this);
      const resolve = this.resolve!;
      this.resolve = null;
      this.reject = null;
      resolve(res);
    } else {
      this.#status = status;
      this.#reason = reason;
      this.#version = httpVersion;
      this.#headers = h;
      sink = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the builder is the buffered body sink
    }
    const progress = req.onDownloadProgress;
    if (progress !== null) sink = new ProgressSink(sink, progress, h);
    if (req.decompress) {
      sink = decodeBody(sink, h, req.limits, flow, this.stream === null);
      // A streamed body read through a decoder pauses the decoder, not just the socket.
      const stream = this.stream;
      if (stream !== null && sink !== stream && isFlowControl(sink)) stream._setFlow(sink);
    }
    if (req.streaming) {
      const tap = bodyTaps.get(req);
      if (tap !== undefined) sink = tap(status, reason, httpVersion, headers, sink);
    }
    // The wire's bytes reach this buffered sink as lent views only when nothing between copies them (a decoder does).
    else this.#copies = flow.lendsChunks === true && sink.borrowsChunks === true;
    return sink;
  }

  /** What a streamed body keeps bound to the deadline until it settles (none for a made-up response). */
  protected cancellable(): Cancellable | null {
    return null;
  }

  /** @internal Failure before the head (Exchange) or of a buffered body (BodySink). */
  onError(err: Error, stale = false): void {
    // A reused connection that died before any response byte: typed, so the stale-connection layer can replay.
    this.settleError(stale && !(err instanceof StaleConnectionError) ? new StaleConnectionError(err.message, { cause: err }) : err);
  }

  // ---- BodySink (buffered) ----

  /** @internal The buffered body copies what it keeps of lent chunks (see {@link #keepCopy}). */
  get borrowsChunks(): boolean {
    return true;
  }

  /** @internal */
  onChunk(chunk: Buffer): void {
    if (this.#copies) this.#keepCopy(chunk);
    else if (this.#first === null) this.#first = chunk;
    else if (this.#more === null) this.#more = [chunk];
    else this.#more.push(chunk);
    this.#size += chunk.length;
    const max = this.req.limits.maxBodyBytes;
    if (this.#size > max) {
      this.flow?.abort(new LimitExceededError(`response body exceeds maxBodyBytes (${max})`, { limit: 'maxBodyBytes' }));
    }
  }

  /**
   * Keep a lent chunk, copying it once: into a buffer of the body's
   * Content-Length made by the first chunk (a large body is never gathered
   * and joined), else small pieces into the slab and larger ones into
   * buffers of their own.
   */
  #keepCopy(chunk: Buffer): void {
    const size = this.#size;
    const n = chunk.length;
    let block = this.#block;
    if (size === 0) {
      const expected = this.flow?.bodyLength ?? -1;
      // The declared length is within maxBodyBytes (the parser refuses more); a huge one is gathered as it comes.
      if (expected >= SLAB_BODY && expected <= PREALLOCATE_MAX) block = this.#block = Buffer.allocUnsafeSlow(expected);
    }
    if (block !== null) {
      if (size + n <= block.length) {
        block.set(chunk, size);
        return;
      }
      // More than declared (never from the parser): gather from here on.
      this.#first = block.subarray(0, size);
      this.#block = null;
    }
    const own = n < SLAB_BODY ? BODY_SLABS.copy(chunk) : Buffer.from(chunk);
    if (this.#first === null) this.#first = own;
    else if (this.#more === null) this.#more = [own];
    else this.#more.push(own);
  }

  /** @internal */
  onEnd(): void {
    const resolve = this.resolve;
    this.resolve = null;
    this.reject = null;
    this.flow = null;
    this.released();
    if (resolve === null) return;
    const first = this.#first;
    const more = this.#more;
    const block = this.#block;
    let body: Buffer;
    if (block !== null) {
      body = this.#size === block.length ? block : block.subarray(0, this.#size);
      this.#block = null;
    } else if (first === null) body = EMPTY;
    else if (more === null) body = this.#copies ? first : ownBody(first);
    else {
      more.unshift(first);
      body = Buffer.concat(more, this.#size);
    }
    this.#first = null;
    this.#more = null;
    const req = this.req;
    const res = new Response(this.#status, this.#reason, this.#version, this.#headers!._list, req._display, body, req.method);
    const timings = this.timings;
    if (timings !== null) {
      timings.end = performance.now();
      setTimings(res, timings);
    }
    if (this.diag !== null && requestEnd.hasSubscribers) requestEnd.publish({ request: this.diag, response: this.#diagResponse });
    resolve(res);
  }
}

/** Tells the builder when a streamed body ended or failed (timings, diagnostics), then passes everything on. */
class EndSink implements BodySink {
  readonly #inner: BodySink;
  readonly #builder: ResponseBuilder;
  constructor(inner: BodySink, builder: ResponseBuilder) {
    this.#inner = inner;
    this.#builder = builder;
  }
  onChunk(chunk: Buffer): void {
    this.#inner.onChunk(chunk);
  }
  onEnd(): void {
    this.#builder._bodyEnded();
    this.#inner.onEnd();
  }
  onError(err: Error): void {
    this.#builder._bodyFailed(err);
    this.#inner.onError(err);
  }
}

const EMPTY = Buffer.alloc(0);

function isFlowControl(v: unknown): v is FlowControl {
  const f = v as FlowControl;
  return typeof f.pause === 'function' && typeof f.resume === 'function' && typeof f.abort === 'function';
}

/** Bodies below this size are copied into a shared slab. */
const SLAB_BODY = 4096;
/**
 * Slabs of kept bodies. Node's Buffer.allocUnsafe pool is 8 KiB, shared with
 * every other small buffer of the process, and each pool costs an ArrayBuffer
 * and a property array (~16 B of every kept 1 KiB body); a slab of bodies
 * only, twice that size, costs ~5 B of each.
 */
const BODY_SLABS = new Slab(16 * 1024);
/**
 * A lent body with a Content-Length up to this is copied straight into one
 * buffer of that length (reserved, not touched, until bytes arrive);
 * larger ones are gathered in pieces and joined.
 */
const PREALLOCATE_MAX = 64 * 2 ** 20;

/**
 * The body a Response keeps. A single chunk is a view of a socket read that
 * also holds the response head (and maybe more): keep the view only when it
 * covers nearly all of that read; otherwise copy — small bodies into a shared
 * slab (several bodies per ArrayBuffer, as Buffer.allocUnsafe does), large
 * ones into their own buffer.
 */
function ownBody(c: Buffer): Buffer {
  const n = c.length;
  if (n >= SLAB_BODY) return c.buffer.byteLength - n <= n >>> 4 ? c : Buffer.from(c);
  return BODY_SLABS.copy(c);
}
