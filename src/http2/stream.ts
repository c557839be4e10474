/**
 * {@link H2Stream}: one request over HTTP/2 — its request head for
 * node:http2 (connection-specific fields dropped, RFC 9113 §8.2.2), its
 * body streamed with flow control, its response delivered to the request's
 * {@link Exchange} / {@link BodySink} exactly as HTTP/1.1 delivers one
 * (`httpVersion '2'`, empty reason, no pseudo-headers), limits and read
 * timeout, and the decision to retry it on another session. Sessions and
 * the per-origin queue are in h2.ts.
 * @module
 */
import http2 from 'node:http2';
import { Duplex } from 'node:stream';
import { fromSocketError, InvalidResponseError, LimitExceededError, NetworkError, ProtocolError, ReadTimeout, ReqivoError, RequestError, timeoutAdvice } from '../errors.js';
import type { ParserLimits } from '../http1/parser.js';
import { tlsFailure } from '../transport/tls-errors.js';
import type { RequestBody } from '../core/body.js';
import type { H2Origin, H2Session } from './session.js';
import type { BodySink, Exchange, FlowControl } from '../core/sink.js';
import { CONTENT_METHODS, IDEMPOTENT_METHODS } from '../http/methods.js';

const C = http2.constants;
const CODE_NAMES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];
const PROTOCOL_CODES = new Set([C.NGHTTP2_PROTOCOL_ERROR, C.NGHTTP2_FLOW_CONTROL_ERROR, C.NGHTTP2_FRAME_SIZE_ERROR, C.NGHTTP2_COMPRESSION_ERROR]);
/** nghttp2's NGHTTP2_ERR_TOO_MANY_CONTINUATIONS: a header block spread over more CONTINUATION frames than it accepts. */
const ERR_TOO_MANY_CONTINUATIONS = -905;
const readablePush = Duplex.prototype.push;

/*
 * What node:http2 (v20) tells a client stream, and the protocol event behind
 * it — found with the frame-level peer in test/helpers/h2-raw.ts:
 *
 * | node:http2                         | protocol event                                                  |
 * | ---------------------------------- | --------------------------------------------------------------- |
 * | 'response'                         | the final response HEADERS (a process.nextTick after they were  |
 * |                                    | parsed: DATA of the same read can come first when the session   |
 * |                                    | reads through JavaScript, so DATA before the head is kept)      |
 * | 'data'                             | DATA payload                                                    |
 * | push(null) while !stream.closed    | END_STREAM (on DATA, on the response HEADERS, or on trailers)   |
 * | push(null) after stream.closed     | RST_STREAM NO_ERROR or CANCEL (either side), or the stream     |
 * |                                    | closed by our session: node then ends the readable side too     |
 * | 'end'                              | follows either push(null): END_STREAM *or* a reset — not an end |
 * |                                    | by itself, hence the push(null) hook ({@link streamPush})       |
 * | 'aborted'                          | a close while our request body was still being sent; never for  |
 * |                                    | a request without body — not used                               |
 * | 'error'                            | RST_STREAM with another code (ERR_HTTP2_STREAM_ERROR), or the    |
 * |                                    | session's error (GOAWAY with an error code, socket failure, a   |
 * |                                    | CONTINUATION flood: ERR_HTTP2_ERROR errno -905)                 |
 * | 'close' (stream.rstCode)           | the stream is gone, after 'end' or 'error'; rstCode is 0 for    |
 * |                                    | END_STREAM and RST_STREAM(NO_ERROR) alike                       |
 * | stream closed with ENHANCE_YOUR_   | before the head: either the server's RST_STREAM or node's own   |
 * | CALM, no 'response'                | reset of a head over our SETTINGS_MAX_HEADER_LIST_SIZE — node   |
 * |                                    | says nothing to tell them apart                                 |
 * | (nothing at all)                   | our session sent GOAWAY(COMPRESSION_ERROR) for a bad HPACK      |
 * |                                    | block: the stream waits for the read timeout or the socket      |
 *
 * A session destroyed with an error (GOAWAY with an error code in the same
 * read as END_STREAM) destroys its streams before their 'end', and a
 * destroyed stream's buffered DATA can no longer be read: so the body is
 * taken out of node's buffer at END_STREAM, and a stream whose END_STREAM
 * arrived is finished from 'close' (RFC 9113 §6.8: it was within the last
 * stream id and complete).
 */

/** Connection-specific fields that HTTP/2 forbids (RFC 9113 §8.2.2); `host` becomes `:authority`. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'te', 'http2-settings', 'content-length']);
/** Attempts of one request across sessions (GOAWAY, refused streams, dead sessions). */
const MAX_ATTEMPTS = 3;

/** Tag on a node:http2 stream: the request it carries. @internal */
export const kStream: unique symbol = Symbol('reqivo.h2stream');
/** Tag on a node:http2 stream or session: its {@link H2Session}. @internal */
export const kSession: unique symbol = Symbol('reqivo.h2session');
/** A node:http2 stream tagged with its request and session. @internal */
export type TaggedStream = http2.ClientHttp2Stream & { [kStream]?: H2Stream | null; [kSession]?: H2Session };

const enum State {
  Idle = 0,
  Queued = 1,
  Active = 2,
  Body = 3,
  Done = 4,
}

function codeName(code: number): string {
  return CODE_NAMES[code] ?? `error code ${code}`;
}

/** Map a stream or session failure to a reqivo error. @internal */
export function mapError(err: Error | null, rstCode: number, what: string): Error {
  if (err instanceof ReqivoError) return err;
  if (err !== null) {
    const tls = tlsFailure(err, what);
    if (tls !== null) return tls;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'ERR_HTTP2_ERROR' && (err as NodeJS.ErrnoException).errno === ERR_TOO_MANY_CONTINUATIONS) {
      return new LimitExceededError(`response header block spread over too many CONTINUATION frames ${what} (maxHeaderBytes)`, { limit: 'maxHeaderBytes', cause: err });
    }
    if (code === 'ERR_HTTP2_SESSION_ERROR' || code === 'ERR_HTTP2_ERROR' || code === 'ERR_HTTP2_INVALID_HEADER_VALUE') {
      return new ProtocolError(`HTTP/2 protocol error ${what}: ${err.message}`, { cause: err });
    }
  }
  if (rstCode !== 0 && rstCode !== C.NGHTTP2_CANCEL) {
    // The reset may be the server's or our own session's (nghttp2 enforcing the protocol): name the code, not a sender.
    const text = `HTTP/2 stream reset with ${codeName(rstCode)} ${what}`;
    return PROTOCOL_CODES.has(rstCode) ? new ProtocolError(text, { cause: err ?? undefined }) : new NetworkError(text, { cause: err ?? undefined });
  }
  if (err !== null) return fromSocketError(err, what);
  return new NetworkError(`HTTP/2 stream closed ${what}`);
}

/**
 * The error for a stream that closed after its head without END_STREAM:
 * truncated, whatever node's 'end' said (RFC 9110 §6.1). RST_STREAM(NO_ERROR)
 * is allowed only after a complete response (RFC 9113 §8.1).
 */
function truncated(err: Error | null, rstCode: number): Error {
  const what = 'before END_STREAM (the response body is incomplete)';
  if (err !== null && (err as NodeJS.ErrnoException).code !== 'ERR_HTTP2_STREAM_ERROR') return mapError(err, rstCode, what);
  if (rstCode === C.NGHTTP2_NO_ERROR) {
    return new ProtocolError(`HTTP/2 stream reset with NO_ERROR ${what}; RFC 9113 §8.1 allows NO_ERROR only after a complete response`);
  }
  if (rstCode === C.NGHTTP2_CANCEL) return new NetworkError(`HTTP/2 stream reset with CANCEL ${what}`);
  return mapError(err, rstCode, what);
}

/** Readable#push of node's stream: push(null) while the stream is open is END_STREAM (see the table above). */
function streamPush(this: TaggedStream, chunk: unknown, encoding?: BufferEncoding): boolean {
  const s = this[kStream];
  if (chunk !== null || this.closed || s == null || s.stream !== this) return readablePush.call(this, chunk, encoding);
  s._endStream = true;
  const ret = readablePush.call(this, null);
  // The whole body is in node's buffer now (a paused reader leaves it there): hand it over at once, since a
  // session error in the same read destroys the stream and a destroyed stream's buffer can no longer be read.
  while (this.readableLength > 0 && this.read() !== null);
  return ret;
}

function waitDrain(st: http2.ClientHttp2Stream): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      st.removeListener('drain', done);
      st.removeListener('close', done);
      resolve();
    };
    st.on('drain', done);
    st.on('close', done);
  });
}

// ---- stream listeners (module-level: no closures per stream) ----

function streamOnResponse(this: TaggedStream, headers: http2.IncomingHttpHeaders, _flags: number, raw?: string[]): void {
  const s = this[kStream];
  if (s != null && s.stream === this) s._onResponse(Number(headers[':status']), raw ?? rawFromObject(headers));
}

function streamOnData(this: TaggedStream, chunk: Buffer): void {
  const s = this[kStream];
  if (s != null && s.stream === this) s._onData(chunk);
}

function streamOnEnd(this: TaggedStream): void {
  const s = this[kStream];
  if (s != null && s.stream === this) s._onEnd();
}

function streamOnError(this: TaggedStream, err: Error): void {
  const s = this[kStream];
  if (s != null && s.stream === this) s._error = err;
}

function streamOnTimeout(this: TaggedStream): void {
  const s = this[kStream];
  if (s != null && s.stream === this) s._onTimeout();
}

function streamOnClose(this: TaggedStream): void {
  const s = this[kStream];
  if (s != null && s.stream === this) s._onClose();
  this[kSession]!._streamClosed(this);
}

function rawFromObject(headers: http2.IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name of Object.keys(headers)) {
    const v = headers[name];
    if (Array.isArray(v)) for (const x of v) out.push(name, x);
    else if (v !== undefined) out.push(name, String(v));
  }
  return out;
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
      this.#pump(st, body).catch((err: unknown) => {
        if (this.stream === st && this.#state !== State.Done) {
          this.#fail(err instanceof RequestError ? err : new RequestError(`request body stream failed: ${(err as Error)?.message ?? err}`, { cause: err }));
        }
      });
    }
  }

  /** The h2 request head for node:http2 (built once, reused by retries). */
  get headers(): http2.OutgoingHttpHeaders {
    return this.#headers;
  }

  /** Whether the request carries a body (so its HEADERS frame must not end the stream). */
  get hasBody(): boolean {
    return this.#body !== null;
  }

  async #pump(st: http2.ClientHttp2Stream, body: RequestBody): Promise<void> {
    const known = body.length >= 0;
    let sent = 0;
    for await (const piece of body.open()) {
      if (this.stream !== st || this.#state === State.Done || st.destroyed) return;
      const buf = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
      if (buf.length === 0) continue;
      sent += buf.length;
      if (known && sent > body.length) throw new RequestError(`request body is longer than its Content-Length (${body.length})`);
      if (!st.write(buf)) await waitDrain(st);
    }
    if (this.stream !== st || this.#state === State.Done || st.destroyed) return;
    if (known && sent !== body.length) {
      throw new RequestError(`request body is shorter (${sent} bytes) than its Content-Length (${body.length})`);
    }
    st.end();
    this.#requestDone = true;
    this.#exchange?.onRequestSent();
  }

  /** @internal the final response head. */
  _onResponse(status: number, raw: string[]): void {
    if (this.#state !== State.Active) return;
    const limits = this.#limits;
    const list: string[] = [];
    let bytes = 0;
    let contentLength = -1;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.charCodeAt(0) === 58) continue; // ':status' and other pseudo-headers
      const value = raw[i + 1]!;
      list.push(name, value);
      bytes += name.length + value.length + 4;
      if (name === 'content-length' && /^\d{1,15}$/.test(value)) contentLength = Number(value);
    }
    if (list.length >>> 1 > limits.maxHeaderCount) {
      this.#fail(new LimitExceededError(`response has more than maxHeaderCount (${limits.maxHeaderCount}) header fields`, { limit: 'maxHeaderCount' }));
      return;
    }
    if (bytes > limits.maxHeaderBytes) {
      this.#fail(new LimitExceededError(`response header section exceeds maxHeaderBytes (${limits.maxHeaderBytes})`, { limit: 'maxHeaderBytes' }));
      return;
    }
    if (contentLength > limits.maxBodyBytes && this.method !== 'HEAD') {
      this.#fail(
        new LimitExceededError(`response Content-Length ${contentLength} exceeds maxBodyBytes (${limits.maxBodyBytes})`, { limit: 'maxBodyBytes' }),
      );
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
      this.#fail(new LimitExceededError(`response body exceeds maxBodyBytes (${this.#limits.maxBodyBytes})`, { limit: 'maxBodyBytes' }));
      return;
    }
    const cl = this.#contentLength;
    if (cl >= 0 && this.#received > cl) {
      this.#fail(new InvalidResponseError(`HTTP/2 response body is longer than its content-length (${cl}) (RFC 9113 §8.1.1)`));
      return;
    }
    this.#sink!.onChunk(chunk);
  }

  /** @internal node ended the readable side: END_STREAM, or a reset (see the table above). */
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
      else if (rst === C.NGHTTP2_PROTOCOL_ERROR && this.#contentLength >= 0) {
        // nghttp2 checks DATA against content-length itself and resets with PROTOCOL_ERROR.
        const cl = this.#contentLength;
        this.#fail(
          new InvalidResponseError(
            `HTTP/2 stream reset with PROTOCOL_ERROR after ${this.#received} of ${cl} bytes: the DATA disagrees with the content-length (RFC 9113 §8.1.1), or the server reset it`,
            { cause: err ?? undefined },
          ),
        );
      } else this.#fail(truncated(err, rst));
      return;
    }
    if (rst === C.NGHTTP2_ENHANCE_YOUR_CALM && this.#headerListSize >= 0) {
      // How node:http2 refuses a head over the SETTINGS_MAX_HEADER_LIST_SIZE we announced: our limit, never retried.
      this.#fail(
        new LimitExceededError(
          `HTTP/2 stream reset with ENHANCE_YOUR_CALM before its response head: node:http2 resets a head over the announced SETTINGS_MAX_HEADER_LIST_SIZE (${this.#headerListSize}, from maxHeaderBytes ${this.#limits.maxHeaderBytes} and maxHeaderCount ${this.#limits.maxHeaderCount}) this way`,
          { limit: 'maxHeaderBytes', cause: err ?? undefined },
        ),
      );
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

  #fail(err: Error): void {
    const state = this.#state;
    if (state === State.Done) return;
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

function toH2Headers(method: string, scheme: string, authority: string, path: string, list: readonly string[], body: RequestBody | null): http2.OutgoingHttpHeaders {
  const h: http2.OutgoingHttpHeaders = Object.create(null) as http2.OutgoingHttpHeaders;
  h[':method'] = method;
  h[':scheme'] = scheme;
  h[':authority'] = authority;
  h[':path'] = path;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!.toLowerCase();
    const value = list[i + 1]!;
    if (CONNECTION_SPECIFIC.has(name)) {
      if (name === 'host') h[':authority'] = value;
      else if (name === 'te' && value.trim().toLowerCase() === 'trailers') h.te = 'trailers';
      continue;
    }
    const prev = h[name];
    if (prev === undefined) h[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else h[name] = [String(prev), value];
  }
  if (body !== null) {
    if (body.length >= 0) h['content-length'] = String(body.length);
  } else if (CONTENT_METHODS.has(method)) h['content-length'] = '0';
  return h;
}
