/**
 * {@link H2Stream}: one request over HTTP/2 — its request head for
 * node:http2 (connection-specific fields dropped, RFC 9113 §8.2.2), its
 * body streamed with flow control, its response delivered to the request's
 * {@link Exchange} / {@link BodySink} exactly as HTTP/1.1 delivers one
 * (`httpVersion '2'`, empty reason, no pseudo-headers), limits and read
 * timeout, and the decision to retry it on another session. Sessions are
 * in session.ts, the per-origin queue in origin.ts; the node stream's
 * listeners in events.ts, the request head and body pump in request-head.ts
 * and request-body.ts, the response head in response-head.ts, the error
 * mapping in errors.ts.
 * @module
 */
import http2 from 'node:http2';
import { InvalidResponseError, LimitExceededError, ReadTimeout, ReqivoError, RequestError, timeoutAdvice } from '../errors.js';
import { bodyTooLarge, declaredTooLarge, type ParserLimits } from '../core/limits.js';
import type { RequestBody } from '../core/body.js';
import type { H2Origin } from './origin.js';
import type { H2Session } from './session.js';
import type { BodySink, Exchange, FlowControl } from '../core/sink.js';
import { IDEMPOTENT_METHODS } from '../http/methods.js';
import { cloneError, headerListRefused, lengthReset, mapError, truncated } from './errors.js';
import { kStream, streamOnClose, streamOnData, streamOnEnd, streamOnError, streamOnResponse, streamOnTimeout, streamPush, type TaggedStream } from './events.js';
import { pumpRequestBody } from './request-body.js';
import { toH2Headers } from './request-head.js';
import { declaredLength, responseFields } from './response-head.js';

const C = http2.constants;
/** Attempts of one request across sessions (GOAWAY, refused streams, dead sessions). */
const MAX_ATTEMPTS = 3;

const enum State {
  Idle = 0,
  Queued = 1,
  Active = 2,
  Body = 3,
  Done = 4,
}

/**
 * One request over HTTP/2: queued on its {@link H2Origin}, then a stream on
 * one of its sessions (several, across retries). It is the request's
 * FlowControl (pause, resume, abort) for its whole life.
 */
export class H2Stream implements FlowControl {
  /** Request method. */
  readonly method: string;
  /** The node:http2 stream of the current attempt, or null. */
  stream: http2.ClientHttp2Stream | null;
  /** @internal error event of the current attempt. */
  _error: Error | null;
  /** @internal END_STREAM of the current attempt arrived. */
  _endStream: boolean;
  readonly #origin: H2Origin;
  readonly #headers: http2.OutgoingHttpHeaders;
  readonly #body: RequestBody | null;
  readonly #readTimeoutMs: number;
  readonly #limits: ParserLimits;
  readonly #connectTimeoutMs: number;
  #exchange: Exchange | null;
  #fallback: (() => void) | null;
  #session: H2Session | null;
  #sink: BodySink | null;
  #state: State;
  #attempts: number;
  #received: number;
  /** The response's content-length (-1: none, or no body expected: HEAD, 204, 304). */
  #contentLength: number;
  /** DATA that came before node emitted the response head. */
  #early: Buffer[] | null;
  /** The header list size node:http2 enforces on this attempt's head (our SETTINGS were acknowledged), or -1. */
  #headerListSize: number;
  #requestDone: boolean;
  #reused: boolean;

  /**
   * @param origin the origin's HTTP/2 state
   * @param method request method
   * @param scheme `'https'` or `'http'`
   * @param authority `host[:port]` (a `Host` field in `headers` wins)
   * @param path path and query
   * @param headers flat `[name, value, …]` list; connection-specific fields are dropped
   * @param body request body, or null
   */
  constructor(
    origin: H2Origin,
    method: string,
    scheme: string,
    authority: string,
    path: string,
    headers: readonly string[],
    body: RequestBody | null,
    readTimeoutMs: number,
    limits: ParserLimits,
    connectTimeoutMs: number,
  ) {
    this.method = method;
    this.stream = null;
    this._error = null;
    this._endStream = false;
    this.#origin = origin;
    this.#headers = toH2Headers(method, scheme, authority, path, headers, body);
    this.#body = body;
    this.#readTimeoutMs = readTimeoutMs;
    this.#limits = limits;
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#exchange = null;
    this.#fallback = null;
    this.#session = null;
    this.#sink = null;
    this.#state = State.Idle;
    this.#attempts = 0;
    this.#received = 0;
    this.#contentLength = -1;
    this.#early = null;
    this.#headerListSize = -1;
    this.#requestDone = false;
    this.#reused = false;
  }

  /** Connect timeout of the request (used when it makes the origin open a session). */
  get connectTimeoutMs(): number {
    return this.#connectTimeoutMs;
  }

  /** Response limits of the request (a session it opens announces them). */
  get limits(): ParserLimits {
    return this.#limits;
  }

  /** Whether the request finished (response ended, failed, or handed to HTTP/1.1). */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** Begin: queue on the origin. `h1` runs the request over HTTP/1.1 instead. */
  start(exchange: Exchange, h1: () => void): void {
    this.#exchange = exchange;
    this.#fallback = h1;
    this.#state = State.Queued;
    this.#origin.dispatch(this);
  }

  /** @internal the origin speaks HTTP/1.1: run there instead. */
  _fallback(): void {
    if (this.#state !== State.Queued) return;
    this.#state = State.Done;
    const f = this.#fallback;
    this.#fallback = null;
    this.#exchange = null;
    if (f !== null) f();
  }

  /** @internal open a stream for this request on `session`. */
  _attach(session: H2Session, st: http2.ClientHttp2Stream, reused: boolean): void {
    const t = st as TaggedStream;
    this.stream = st;
    this._error = null;
    this._endStream = false;
    this.#session = session;
    this.#state = State.Active;
    this.#attempts++;
    this.#received = 0;
    this.#contentLength = -1;
    this.#early = null;
    // node:http2 takes a stream's header limit from our SETTINGS once the server acknowledged them.
    this.#headerListSize = session.h2.pendingSettingsAck ? -1 : session.headerListSize;
    this.#requestDone = this.#body === null;
    this.#reused = reused;
    t[kStream] = this;
    t.push = streamPush;
    t.on('response', streamOnResponse);
    t.on('data', streamOnData);
    t.on('end', streamOnEnd);
    t.on('error', streamOnError);
    t.on('close', streamOnClose);
    const ms = this.#readTimeoutMs;
    if (ms > 0 && ms !== Number.POSITIVE_INFINITY) {
      st.setTimeout(ms);
      t.on('timeout', streamOnTimeout);
    }
    const exchange = this.#exchange;
    exchange?.onSocket(session.times, reused);
    const body = this.#body;
    if (body === null) {
      exchange?.onRequestSent();
      return;
    }
    if (body.bytes !== null) {
      st.end(body.bytes);
      this.#requestDone = true;
      exchange?.onRequestSent();
    } else {
      pumpRequestBody(st, body, () => this.stream === st && this.#state !== State.Done).then(
        (sent) => {
          if (!sent) return;
          this.#requestDone = true;
          this.#exchange?.onRequestSent();
        },
        (err: unknown) => {
          if (this.stream !== st || this.#state === State.Done) return;
          this.#fail(err instanceof RequestError ? err : new RequestError(`request body stream failed: ${(err as Error)?.message ?? err}`, { cause: err }));
        },
      );
    }
  }

  /** The h2 request head for node:http2 (built once, reused by retries). */
  get headers(): http2.OutgoingHttpHeaders {
    return this.#headers;
  }

  /** Whether the current attempt is still sending a streamed request body. */
  get sending(): boolean {
    return !this.#requestDone && (this.#state === State.Active || this.#state === State.Body);
  }

  /** Whether the request carries a body (so its HEADERS frame must not end the stream). */
  get hasBody(): boolean {
    return this.#body !== null;
  }

  /** @internal the final response head. */
  _onResponse(status: number, raw: string[]): void {
    if (this.#state !== State.Active) return;
    // nghttp2 checks that :status is three digits; HTTP allows 100..599 only, as the HTTP/1.1 parser does (RFC 9110 §15).
    if (!(status >= 200 && status <= 599)) {
      this.#fail(new InvalidResponseError(`HTTP/2 response :status ${JSON.stringify(String(status).padStart(3, '0'))} is not a final status code 200..599 (RFC 9110 §15, RFC 9113 §8.3.2)`));
      return;
    }
    const limits = this.#limits;
    const list = responseFields(raw, limits);
    if (!Array.isArray(list)) {
      this.#fail(list);
      return;
    }
    const contentLength = declaredLength(list);
    if (contentLength > limits.maxBodyBytes && this.method !== 'HEAD') {
      this.#fail(declaredTooLarge(contentLength, limits.maxBodyBytes));
      return;
    }
    // No body follows a HEAD request, 204 or 304, whatever content-length says (RFC 9110 §6.4.1, §8.6).
    this.#contentLength = this.method === 'HEAD' || status === 204 || status === 304 ? -1 : contentLength;
    this.#state = State.Body;
    this.#sink = this.#exchange!.onHead(status, '', '2', list, this);
    const early = this.#early;
    this.#early = null;
    if (early !== null) for (const chunk of early) this._onData(chunk);
  }

  /** @internal */
  _onData(chunk: Buffer): void {
    if (this.#state === State.Active) {
      // node emitted DATA before the head it follows: keep it for the head.
      if (this.#early === null) this.#early = [chunk];
      else this.#early.push(chunk);
      return;
    }
    if (this.#state !== State.Body) return;
    this.#received += chunk.length;
    if (this.#received > this.#limits.maxBodyBytes) {
      this.#fail(bodyTooLarge(this.#limits));
      return;
    }
    const cl = this.#contentLength;
    if (cl >= 0 && this.#received > cl) {
      this.#fail(new InvalidResponseError(`HTTP/2 response body is longer than its content-length (${cl}) (RFC 9113 §8.1.1)`));
      return;
    }
    this.#sink!.onChunk(chunk);
  }

  /** @internal node ended the readable side: END_STREAM, or a reset (see the table in events.ts). */
  _onEnd(): void {
    if (this.#state !== State.Body) return;
    if (!this._endStream) {
      this.#fail(truncated(this._error, this.stream!.rstCode ?? 0));
      return;
    }
    const cl = this.#contentLength;
    if (cl >= 0 && this.#received !== cl) {
      this.#fail(new InvalidResponseError(`HTTP/2 response body has ${this.#received} bytes, its content-length says ${cl} (RFC 9113 §8.1.1)`));
      return;
    }
    const sink = this.#sink!;
    this.#state = State.Done;
    this.#sink = null;
    this.#exchange = null;
    const st = this.stream;
    // The server answered before the request body was sent: stop sending it.
    if (!this.#requestDone && st !== null && !st.destroyed) st.close(C.NGHTTP2_CANCEL);
    sink.onEnd();
  }

  /** @internal */
  _onTimeout(): void {
    if (this.#state !== State.Active && this.#state !== State.Body) return;
    const ms = this.#readTimeoutMs;
    this.#fail(new ReadTimeout(`no data from the server for ${ms} ms${timeoutAdvice('read', ms)}`, { timeoutMs: ms }));
  }

  /** @internal the current stream closed before the response ended. */
  _onClose(): void {
    const state = this.#state;
    if (state !== State.Active && state !== State.Body) return;
    const st = this.stream!;
    const rst = st.rstCode ?? 0;
    const err = this._error;
    const session = this.#session!;
    if (state === State.Body) {
      // END_STREAM arrived (its body already handed over), then the session died before node emitted 'end'.
      if (this._endStream) this._onEnd();
      else if (rst === C.NGHTTP2_PROTOCOL_ERROR && this.#contentLength >= 0) this.#fail(lengthReset(this.#received, this.#contentLength, err));
      else this.#fail(truncated(err, rst));
      return;
    }
    if (rst === C.NGHTTP2_ENHANCE_YOUR_CALM && this.#headerListSize >= 0) {
      // How node:http2 refuses a head over the SETTINGS_MAX_HEADER_LIST_SIZE we announced: our limit, never retried.
      this.#fail(headerListRefused(this.#headerListSize, this.#limits, err));
      return;
    }
    const mapped = mapError(err ?? session.error, rst, 'before any response');
    // Our own limits and a peer asking us to calm down (RFC 9113 §7) are answers, not lost requests.
    if (mapped instanceof LimitExceededError || rst === C.NGHTTP2_ENHANCE_YOUR_CALM) {
      this.#fail(mapped);
      return;
    }
    // No response head: was the request processed at all?
    const unprocessed = rst === C.NGHTTP2_REFUSED_STREAM || session.unprocessed(st) || (err as NodeJS.ErrnoException | null)?.code === 'ERR_HTTP2_STREAM_CANCEL';
    if (this._retryable(unprocessed)) {
      this._retry();
      return;
    }
    const what = unprocessed ? 'before the server processed the request' : 'before any response';
    this.#fail(mapError(err ?? session.error, rst, what));
  }

  /** @internal whether the current attempt may run again on another session. */
  _retryable(unprocessed: boolean): boolean {
    if (this.#state !== State.Active || this.#attempts >= MAX_ATTEMPTS || this.#origin.closed) return false;
    const body = this.#body;
    const replayable = body === null || body.bytes !== null || body.replayable || !body.used;
    if (!replayable) return false;
    return unprocessed || (this.#reused && IDEMPOTENT_METHODS.has(this.method));
  }

  /** @internal drop the current stream and queue again (front of the line). */
  _retry(): void {
    const st = this.stream as TaggedStream | null;
    this.stream = null;
    this.#session = null;
    this.#state = State.Queued;
    if (st !== null) {
      st[kStream] = null;
      if (!st.destroyed) st.close(C.NGHTTP2_CANCEL);
    }
    this.#origin.requeue(this);
  }

  /** @internal fail before any stream was opened (queued). */
  _failQueued(err: Error): void {
    if (this.#state !== State.Queued) return;
    this.#fail(err);
  }

  #fail(errIn: Error): void {
    const state = this.#state;
    if (state === State.Done) return;
    // One error for the whole session (its failure, or node destroying every stream with it) is shared by its
    // streams: each request gets its own copy, since failing stamps the error with the request's method and URL.
    const err = errIn instanceof ReqivoError && (errIn.method !== null || errIn === this.#session?.error) ? cloneError(errIn) : errIn;
    const exchange = this.#exchange;
    const sink = this.#sink;
    this.#state = State.Done;
    this.#exchange = null;
    this.#sink = null;
    this.#fallback = null;
    const st = this.stream;
    if (st !== null && !st.destroyed) st.close(C.NGHTTP2_CANCEL);
    if (sink !== null) sink.onError(err);
    else if (exchange !== null) exchange.onError(err, false);
  }

  // ---- FlowControl ----

  /** Stop reading the response body (flow control keeps the server from sending more). */
  pause(): void {
    this.stream?.pause();
  }

  /** Read again. */
  resume(): void {
    this.stream?.resume();
  }

  /** Give up: the stream is cancelled (RST_STREAM CANCEL); the session carries on. */
  abort(reason: Error): void {
    if (this.#state === State.Queued) this.#origin.forget(this);
    this.#fail(reason);
  }
}
