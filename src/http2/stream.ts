/**
 * {@link H2Stream}: one request over HTTP/2 — its request head (encoded once,
 * request-head.ts), its body sent with flow control, its response delivered
 * to the request's {@link Exchange} / {@link BodySink} exactly as HTTP/1.1
 * delivers one (`httpVersion '2'`, empty reason, no pseudo-headers), the
 * checks of the response (RFC 9113 §8.1: heads, trailers, content-length,
 * END_STREAM), limits and read timeout, and the decision to retry it on
 * another session. Sessions and frames are in session.ts, the per-origin
 * queue in origin.ts, the error mapping in errors.ts.
 * @module
 */
import { InvalidResponseError, LimitExceededError, ProtocolError, ReadTimeout, ReqivoError, RequestError, timeoutAdvice } from '../errors.js';
import { bodyTooLarge, declaredTooLarge, type ParserLimits } from '../core/limits.js';
import { pieceBytes, type RequestBody } from '../core/body.js';
import type { H2Origin } from './origin.js';
import { headerListSize, STREAM_WINDOW, type H2Session } from './session.js';
import type { BodySink, Exchange, FlowControl } from '../core/sink.js';
import { IDEMPOTENT_METHODS } from '../http/methods.js';
import { Code } from './frames.js';
import { cloneError, codeName, mapError, truncated } from './errors.js';
import { h2HeadBlock } from './request-head.js';
import { declaredLength, malformedHead, responseFields } from './response-head.js';

/** Attempts of one request that the server may have processed (lost connections): the stale-connection retry. */
const MAX_ATTEMPTS = 3;
/** Interim (1xx) heads accepted on one stream before its final head. */
const MAX_INTERIM = 32;
/**
 * Attempts the server said it did not process (GOAWAY above the stream id,
 * REFUSED_STREAM): safe for any method, but bounded. A server that closes
 * each connection after a few requests (nginx `keepalive_requests`) refuses
 * every stream past them, so a burst of requests may be refused several times.
 */
const MAX_UNPROCESSED = 10;
/** Body bytes of a streamed request queued in the session past which the pump waits. */
const BODY_HIGH_WATER = 256 * 1024;
const EMPTY = Buffer.alloc(0);

const enum State {
  Idle = 0,
  Queued = 1,
  Active = 2,
  Body = 3,
  Done = 4,
}

function streamOnTimeout(s: H2Stream): void {
  s._onTimeout();
}

function streamDeliverHeld(s: H2Stream): void {
  s._deliverHeld();
}

/**
 * One request over HTTP/2: queued on its {@link H2Origin}, then a stream on
 * one of its sessions (several, across retries). It is the request's
 * FlowControl (pause, resume, abort) for its whole life.
 */
export class H2Stream implements FlowControl {
  /** Request method. */
  readonly method: string;
  /** The stream id of the current attempt, 0 when none. */
  id: number;
  /** The HPACK block of the request head. */
  readonly headBlock: Buffer;
  /** @internal flow control of the current attempt: our receive window, octets taken and not given back, the server's window. */
  _recvWindow: number;
  _unacked: number;
  _sendWindow: number;
  /** @internal request body waiting for a window (null until a body is sent), its octets, and its END_STREAM. */
  _outQ: Buffer[] | null;
  _outBytes: number;
  _outEnd: boolean;
  readonly #origin: H2Origin;
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
  /** Attempts the server did not process. */
  #unprocessed: number;
  #received: number;
  /** Interim (1xx) heads received before the final one. */
  #interim: number;
  /** The response's content-length (-1: none, or no body expected: HEAD, 204, 304). */
  #contentLength: number;
  /** No DATA may follow the head (HEAD, 204, 304). */
  #noBody: boolean;
  #requestDone: boolean;
  #reused: boolean;
  /** END_STREAM arrived. */
  #ended: boolean;
  /** The reader paused: body chunks (and the end) wait here. */
  #paused: boolean;
  #held: Buffer[] | null;
  #timer: NodeJS.Timeout | null;
  /** Resolves the streamed-body pump's wait for room. */
  #roomWaiter: (() => void) | null;

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
    this.id = 0;
    this.headBlock = h2HeadBlock(method, scheme, authority, path, headers, body);
    this._recvWindow = 0;
    this._unacked = 0;
    this._sendWindow = 0;
    this._outQ = null;
    this._outBytes = 0;
    this._outEnd = false;
    this.#origin = origin;
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
    this.#unprocessed = 0;
    this.#received = 0;
    this.#interim = 0;
    this.#contentLength = -1;
    this.#noBody = false;
    this.#requestDone = false;
    this.#reused = false;
    this.#ended = false;
    this.#paused = false;
    this.#held = null;
    this.#timer = null;
    this.#roomWaiter = null;
  }

  /** Connect timeout of the request (used when it makes the origin open a session). */
  get connectTimeoutMs(): number {
    return this.#connectTimeoutMs;
  }

  /** Response limits of the request (a session it opens announces them). */
  get limits(): ParserLimits {
    return this.#limits;
  }

  /** The header list size (RFC 9113 §6.5.2) past which a response head is refused unread. @internal */
  get maxListSize(): number {
    const n = headerListSize(this.#limits);
    return n < 0 ? Number.POSITIVE_INFINITY : n;
  }

  /** Whether the request finished (response ended, failed, or handed to HTTP/1.1). */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** Whether the request carries a body (so its HEADERS frame must not end the stream). */
  get hasBody(): boolean {
    return this.#body !== null;
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

  /** @internal the session opened stream `id` for this request (its HEADERS are queued). */
  _attach(session: H2Session, id: number, reused: boolean, sendWindow: number): void {
    this.id = id;
    this.#session = session;
    this.#state = State.Active;
    this.#attempts++;
    this.#received = 0;
    this.#interim = 0;
    this.#contentLength = -1;
    this.#noBody = false;
    this.#ended = false;
    this.#requestDone = this.#body === null;
    this.#reused = reused;
    this._recvWindow = STREAM_WINDOW;
    this._unacked = 0;
    this._sendWindow = sendWindow;
    this._outQ = null;
    this._outBytes = 0;
    this._outEnd = false;
    const ms = this.#readTimeoutMs;
    if (ms > 0 && ms !== Number.POSITIVE_INFINITY) {
      if (this.#timer === null) this.#timer = setTimeout(streamOnTimeout, ms, this);
      else this.#timer.refresh();
      this.#timer.unref();
    }
    this.#exchange?.onSocket(session.times, reused);
    const body = this.#body;
    if (body === null) {
      this.#exchange?.onRequestSent();
      return;
    }
    if (body.bytes !== null) session._send(this, body.bytes, true);
    else void this.#pumpBody(session, id, body);
  }

  /** Stream a request body of unknown size or from a source, waiting for room in the session. */
  async #pumpBody(session: H2Session, id: number, body: RequestBody): Promise<void> {
    const current = (): boolean => this.#session === session && this.id === id && this.#state !== State.Done;
    const known = body.length >= 0;
    let sent = 0;
    try {
      for await (const piece of body.open()) {
        if (!current()) return;
        const buf = pieceBytes(piece);
        if (buf.length === 0) continue;
        sent += buf.length;
        if (known && sent > body.length) throw new RequestError(`request body is longer than its Content-Length (${body.length})`);
        session._send(this, buf, false);
        if (this._outBytes > BODY_HIGH_WATER) {
          await new Promise<void>((resolve) => (this.#roomWaiter = resolve));
          if (!current()) return;
        }
      }
      if (!current()) return;
      if (known && sent !== body.length) throw new RequestError(`request body is shorter (${sent} bytes) than its Content-Length (${body.length})`);
      session._send(this, EMPTY, true);
    } catch (err) {
      if (!current()) return;
      this.#fail(err instanceof RequestError ? err : new RequestError(`request body stream failed: ${(err as Error)?.message ?? err}`, { cause: err }));
    }
  }

  /** @internal the session sent what was queued of the body: the pump may go on. */
  _bodyDrained(): void {
    const w = this.#roomWaiter;
    if (w !== null && this._outBytes <= BODY_HIGH_WATER >>> 1) {
      this.#roomWaiter = null;
      w();
    }
  }

  /** @internal the whole request went out (END_STREAM queued). */
  _requestSent(): void {
    this.#requestDone = true;
    if (this.#state === State.Active || this.#state === State.Body) this.#exchange?.onRequestSent();
    if (this.#ended) this.#session?._finished(this);
  }

  /** @internal the session forgot the current stream (closed, reset or lost). */
  _detached(): void {
    this.id = 0;
    this._outQ = null;
    this._outBytes = 0;
    this._outEnd = false;
    const w = this.#roomWaiter;
    this.#roomWaiter = null;
    if (w !== null) w();
    this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  /** @internal a frame of the stream went out or came in: the read timeout starts again. */
  _touch(): void {
    if (this.#timer !== null && !this.#paused) this.#timer.refresh();
  }

  /** @internal a decoded header block for this stream: a head (informational or final) or trailers. */
  _onHeaders(raw: string[], endStream: boolean): void {
    const state = this.#state;
    if (state !== State.Active && state !== State.Body) return;
    this._touch();
    const bad = malformedHead(raw, state === State.Body);
    if (bad !== null) {
      this._streamError(Code.PROTOCOL_ERROR, `a malformed response ${state === State.Body ? 'trailer section' : 'head'}: ${bad}`);
      return;
    }
    if (state === State.Body) {
      // Trailers: they end the stream, and stay out of the head (as HTTP/1.1 trailers do).
      if (!endStream) this._streamError(Code.PROTOCOL_ERROR, 'a trailer section without END_STREAM (RFC 9113 §8.1)');
      else this._onEndStream();
      return;
    }
    const status = Number(raw[1]);
    if (status >= 100 && status <= 199) {
      if (status === 101) this._streamError(Code.PROTOCOL_ERROR, 'a malformed response head: 101 Switching Protocols (RFC 9113 §8.6)');
      else if (endStream) this._streamError(Code.PROTOCOL_ERROR, `an informational ${status} head with END_STREAM (RFC 9113 §8.1)`);
      // Each one restarts the read timeout: without a bound a server could hold a request with them for ever (as HTTP/1.1's parser, 32).
      else if (++this.#interim > MAX_INTERIM) this.#resetAndFail(new InvalidResponseError(`more than ${MAX_INTERIM} interim (1xx) responses`));
      return; // 1xx: the final head follows (RFC 9110 §15.2)
    }
    if (!(status >= 200 && status <= 599)) {
      this.#resetAndFail(new InvalidResponseError(`HTTP/2 response :status ${JSON.stringify(raw[1])} is not a final status code 200..599 (RFC 9110 §15, RFC 9113 §8.3.2)`));
      return;
    }
    const limits = this.#limits;
    const list = responseFields(raw, limits);
    if (!Array.isArray(list)) {
      this.#resetAndFail(list);
      return;
    }
    const contentLength = declaredLength(list);
    if (contentLength > limits.maxBodyBytes && this.method !== 'HEAD') {
      this.#resetAndFail(declaredTooLarge(contentLength, limits.maxBodyBytes));
      return;
    }
    // No body follows a HEAD request, 204 or 304, whatever content-length says (RFC 9110 §6.4.1, §8.6).
    this.#noBody = this.method === 'HEAD' || status === 204 || status === 304;
    this.#contentLength = this.#noBody ? -1 : contentLength;
    this.#state = State.Body;
    if (this.#session !== null) this.#session.answered++;
    this.#sink = this.#exchange!.onHead(status, '', '2', list, this);
    if (endStream && this.#state === State.Body) this._onEndStream();
  }

  /** @internal a DATA frame of `length` octets begins; false when the stream failed on it. */
  _dataStart(length: number): boolean {
    if (this.#state === State.Active) {
      this._streamError(Code.PROTOCOL_ERROR, 'DATA before the response head (RFC 9113 §8.1)');
      return false;
    }
    if (this.#state !== State.Body) return false;
    if (this.#noBody && length > 0) {
      this._streamError(Code.PROTOCOL_ERROR, `DATA in a response that has no body (${this.method === 'HEAD' ? 'a HEAD request, RFC 9110 §9.3.2' : 'RFC 9110 §15.3.5, §15.4.5'})`);
      return false;
    }
    // An empty DATA frame is no progress: a server sending only those must not hold off the read timeout.
    if (length > 0) this._touch();
    return true;
  }

  /** @internal a piece of DATA payload (padding excluded: the session gave that back already). */
  _onData(chunk: Buffer): void {
    if (this.#state !== State.Body) return;
    this.#received += chunk.length;
    if (this.#received > this.#limits.maxBodyBytes) {
      this.#resetAndFail(bodyTooLarge(this.#limits));
      return;
    }
    const cl = this.#contentLength;
    if (cl >= 0 && this.#received > cl) {
      this._streamError(Code.PROTOCOL_ERROR, `the response body is longer than its content-length (${cl}) (RFC 9113 §8.1.1)`, true);
      return;
    }
    if (this.#paused || this.#held !== null) {
      // Paused, or chunks still waiting to be delivered after a resume: keep the order.
      if (this.#held === null) this.#held = [chunk];
      else this.#held.push(chunk);
      return;
    }
    this.#sink!.onChunk(chunk);
    this.#session?._consumed(this, chunk.length);
  }

  /** @internal END_STREAM arrived (on DATA, on the head, or on trailers). */
  _onEndStream(): void {
    if (this.#state !== State.Body) {
      if (this.#state === State.Active) this._streamError(Code.PROTOCOL_ERROR, 'END_STREAM before the response head (RFC 9113 §8.1)');
      return;
    }
    const cl = this.#contentLength;
    if (cl >= 0 && this.#received !== cl) {
      this._streamError(Code.PROTOCOL_ERROR, `the response body has ${this.#received} bytes, its content-length says ${cl} (RFC 9113 §8.1.1)`, true);
      return;
    }
    this.#ended = true;
    const session = this.#session;
    // The server answered before the request body was sent: stop sending it (RFC 9113 §8.1).
    if (!this.#requestDone && session !== null) session._reset(this, Code.CANCEL);
    else session?._finished(this);
    if (!this.#paused && this.#held === null) this.#finish();
  }

  #finish(): void {
    const sink = this.#sink!;
    this.#state = State.Done;
    this.#sink = null;
    this.#exchange = null;
    this.#stopTimer();
    sink.onEnd();
  }

  /** @internal the server reset the stream (RST_STREAM with `code`). */
  _onReset(code: number): void {
    const state = this.#state;
    if (state === State.Body) {
      if (this.#ended) return; // after END_STREAM: harmless, the response is whole
      // RST_STREAM(NO_ERROR) once every octet the content-length announced arrived: the response is complete
      // (RFC 9113 §8.1), only its END_STREAM was not sent (node:http2 servers do this when the window ran out).
      if (code === Code.NO_ERROR && this.#contentLength >= 0 && this.#received === this.#contentLength) this._onEndStream();
      else this.#fail(truncated(null, code));
      return;
    }
    if (state !== State.Active) return;
    if (code === Code.REFUSED_STREAM) {
      this._onUnprocessed();
      return;
    }
    const err = mapError(null, code, 'before any response');
    // A peer asking us to calm down (RFC 9113 §7) is an answer, not a lost request.
    if (code !== Code.ENHANCE_YOUR_CALM && this._retryable(false)) {
      this._retry();
      return;
    }
    this.#fail(err);
  }

  /** @internal the server did not process the stream (GOAWAY above its id, REFUSED_STREAM): retried, whatever the method. */
  _onUnprocessed(): void {
    if (this.#state !== State.Active) {
      if (this.#state === State.Body && !this.#ended) this.#fail(truncated(null, Code.REFUSED_STREAM));
      return;
    }
    if (this._retryable(true)) this._retry();
    else this.#fail(mapError(null, Code.REFUSED_STREAM, 'before the server processed the request'));
  }

  /** @internal the connection was lost (or failed) under this stream. */
  _onLost(err: Error): void {
    const state = this.#state;
    if (state === State.Body) {
      if (!this.#ended) this.#fail(err instanceof LimitExceededError ? err : truncated(err, 0));
      return;
    }
    if (state !== State.Active) return;
    if (!(err instanceof LimitExceededError) && this._retryable(false)) {
      this._retry();
      return;
    }
    this.#fail(err);
  }

  /** @internal our own limit on the response head was passed: this stream fails, never retried. */
  _limitError(): void {
    this.#resetAndFail(
      new LimitExceededError(`HTTP/2 response head over the header list size ${headerListSize(this.#limits)} (maxHeaderBytes ${this.#limits.maxHeaderBytes}, maxHeaderCount ${this.#limits.maxHeaderCount}, 32 octets a field: RFC 9113 §6.5.2)`, {
        limit: 'maxHeaderBytes',
      }),
    );
  }

  /** @internal a stream error (RFC 9113 §5.4.2): reset with `code`, the request fails with a ProtocolError naming it. */
  _streamError(code: number, message: string, invalid = false): void {
    const text = `HTTP/2 stream error ${codeName(code)}: ${message}`;
    this.#resetAndFail(invalid ? new InvalidResponseError(text) : new ProtocolError(text), code);
  }

  /** @internal the read timeout fired. */
  _onTimeout(): void {
    if (this.#state !== State.Active && this.#state !== State.Body) return;
    if (this.#paused) {
      // The reader holds the server back: not the server's silence.
      this.#timer?.refresh();
      return;
    }
    const ms = this.#readTimeoutMs;
    this.#resetAndFail(new ReadTimeout(`no data from the server for ${ms} ms${timeoutAdvice('read', ms)}`, { timeoutMs: ms }));
  }

  /** @internal body octets still to come by the content-length, or -1 when unknown. */
  get _remaining(): number {
    const cl = this.#contentLength;
    if (this.#state !== State.Body || cl < 0) return this.#state === State.Body && this.#noBody ? 0 : -1;
    return cl - this.#received;
  }

  /** @internal whether the current attempt may run again on another session (an unprocessed one is counted when it may). */
  _retryable(unprocessed: boolean): boolean {
    if (this.#state !== State.Active || this.#origin.closed) return false;
    if (unprocessed ? this.#unprocessed >= MAX_UNPROCESSED : this.#attempts - this.#unprocessed >= MAX_ATTEMPTS) return false;
    const body = this.#body;
    const replayable = body === null || body.bytes !== null || body.replayable || !body.used;
    if (!replayable) return false;
    if (unprocessed) {
      // Counted only when the connection served nobody: a server that serves a few streams a connection and
      // refuses the rest lets every request through in turn; one that refuses all is given up on.
      const session = this.#session;
      if (session === null || session.answered === 0) this.#unprocessed++;
      return true;
    }
    return this.#reused && IDEMPOTENT_METHODS.has(this.method);
  }

  /** @internal drop the current stream and queue again (front of the line). */
  _retry(): void {
    const session = this.#session;
    this.#session = null;
    this.#state = State.Queued;
    if (session !== null && this.id !== 0) session._reset(this, Code.CANCEL);
    this.id = 0;
    this.#origin.requeue(this);
  }

  /** @internal fail before any stream was opened (queued). */
  _failQueued(err: Error): void {
    if (this.#state !== State.Queued) return;
    this.#fail(err);
  }

  #resetAndFail(err: Error, code: number = Code.CANCEL): void {
    const session = this.#session;
    if (session !== null && this.id !== 0) session._reset(this, code);
    this.#fail(err);
  }

  #fail(errIn: Error): void {
    const state = this.#state;
    if (state === State.Done) return;
    // One error for the whole connection is shared by its streams: each request gets its own copy, since
    // failing stamps the error with the request's method and URL.
    const err = errIn instanceof ReqivoError && (errIn.method !== null || errIn === this.#session?.error) ? cloneError(errIn) : errIn;
    const exchange = this.#exchange;
    const sink = this.#sink;
    this.#state = State.Done;
    this.#exchange = null;
    this.#sink = null;
    this.#fallback = null;
    this.#held = null;
    this.#stopTimer();
    const session = this.#session;
    if (session !== null && this.id !== 0) session._reset(this, Code.CANCEL);
    if (sink !== null) sink.onError(err);
    else if (exchange !== null) exchange.onError(err, false);
  }

  // ---- FlowControl ----

  /** Stop reading the response body: chunks wait here and the window is not given back, so the server stops. */
  pause(): void {
    this.#paused = true;
  }

  /** Read again: what waited is delivered first, on a later tick (as a socket's data would be). */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#held !== null || this.#ended) setImmediate(streamDeliverHeld, this);
    else this._touch();
  }

  /** @internal deliver what waited while paused, until paused again. */
  _deliverHeld(): void {
    if (this.#paused || this.#state !== State.Body) return;
    const held = this.#held;
    this.#held = null;
    if (held !== null) {
      for (let i = 0; i < held.length; i++) {
        const chunk = held[i]!;
        this.#sink!.onChunk(chunk);
        this.#session?._consumed(this, chunk.length);
        if (this.#state !== State.Body) return;
        // A reader may pause again on any chunk.
        if (this.#paused) {
          if (i + 1 < held.length) this.#held = held.slice(i + 1);
          return;
        }
      }
    }
    if (this.#ended) this.#finish();
    else this._touch();
  }

  /** Give up: the stream is cancelled (RST_STREAM CANCEL); the session carries on. */
  abort(reason: Error): void {
    if (this.#state === State.Queued) this.#origin.forget(this);
    this.#fail(reason);
  }
}
