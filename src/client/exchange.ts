/**
 * {@link HopExchange}: one hop of a request on the wire. It takes a
 * connection for the hop's route from the pool, hands the request to the
 * driver the origin speaks (HTTP/1.1, or HTTP/2 once ALPN or prior
 * knowledge says so), and turns what the driver reports — head, body
 * chunks, end or failure — into a buffered {@link Response} or a
 * {@link StreamResponse}. It is the hop's cancellation target for the
 * exchange's {@link Deadline}. Drivers call only the {@link Exchange} and
 * {@link BodySink} interfaces; nothing here calls back into the Session.
 * @module
 */
import { attachRequest, ConnectTimeout, LimitExceededError, ReadTimeout, ReqivoError, RequestError, StaleConnectionError, timeoutAdvice, type TimeoutError } from '../errors.js';
import { Headers } from '../http/headers.js';
import { serializeRequestHead } from '../http1/request-head.js';
import type { Connection } from '../transport/connection.js';
import type { OriginPool } from '../transport/pool.js';
import type { Cancellable, Deadline } from '../core/deadline.js';
import type { AnyResponse } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import type { ConnectTimes, Timings } from '../core/timings.js';
import { type DiagnosticRequest, type DiagnosticResponse, requestCreate, requestEnd, requestError, requestHeaders, requestObserved } from '../core/diagnostics.js';
import type { BodySink, Exchange, FlowControl } from '../core/sink.js';
import { decodeBody } from '../layers/decode.js';
import { ProgressSink } from '../layers/progress.js';
import { H1Conn } from '../http1/connection.js';
import { H2Origin, H2Stream } from '../http2/origin.js';
import { Response, setTimings } from './response.js';
import type { Route } from './route.js';
import { StreamResponse } from './stream-response.js';

/** Idle-connection limit handed to a new HTTP/2 origin. */
export interface HopSettings {
  /** `pool.maxIdleMs`. */
  readonly maxIdleMs: number;
}

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

  /** @internal */
  onChunk(chunk: Buffer): void {
    if (this.#first === null) this.#first = chunk;
    else if (this.#more === null) this.#more = [chunk];
    else this.#more.push(chunk);
    this.#size += chunk.length;
    const max = this.req.limits.maxBodyBytes;
    if (this.#size > max) {
      this.flow?.abort(new LimitExceededError(`response body exceeds maxBodyBytes (${max})`, { limit: 'maxBodyBytes' }));
    }
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
    let body: Buffer;
    if (first === null) body = EMPTY;
    else if (more === null) body = ownBody(first);
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

/** One hop in flight on a connection; see the module doc. */
export class HopExchange extends ResponseBuilder implements Cancellable {
  readonly #origin: OriginPool;
  readonly #route: Route;
  readonly #settings: HopSettings;
  /** The request's header list as sent (with a forward proxy's Proxy-Authorization). */
  readonly #list: readonly string[];
  /** When the hop began opening a connection (-1: it took an idle one). */
  #connectStart: number;

  constructor(
    req: PreparedRequest,
    origin: OriginPool,
    route: Route,
    list: readonly string[],
    settings: HopSettings,
    resolve: (res: AnyResponse) => void,
    reject: (err: Error) => void,
  ) {
    super(req, resolve, reject);
    this.#origin = origin;
    this.#route = route;
    this.#settings = settings;
    this.#list = list;
    this.#connectStart = -1;
  }

  /** Begin the hop: over HTTP/2 when the route may and the origin was not found to speak only HTTP/1.1. */
  start(): void {
    this.timings?._begin(performance.now());
    if (requestObserved()) {
      const url = this.req._url;
      this.diag = { method: this.req.method, origin: url.origin, path: this.#route.target.startsWith('/') ? this.#route.target : url.pathname + url.search, headers: this.#list };
      if (requestCreate.hasSubscribers) requestCreate.publish({ request: this.diag });
    }
    const d = this.deadline;
    if (d !== null) {
      if (d.failure !== null) {
        this.settleError(d.failure);
        return;
      }
      d.bind(this);
    }
    const route = this.#route;
    if (route.h2 && this.#origin.protocol !== 'http/1.1') {
      const req = this.req;
      const url = req._url;
      const t = d !== null ? d.timeout : null;
      const mux = new H2Stream(
        H2Origin.of(this.#origin, this.#settings.maxIdleMs),
        req.method,
        url.protocol.slice(0, -1),
        url.host,
        route.target,
        this.#list,
        req._body,
        t !== null ? t.read : Number.POSITIVE_INFINITY,
        req.limits,
        t !== null ? t.connect : Number.POSITIVE_INFINITY,
      );
      this.flow = mux;
      this.#connectStart = performance.now();
      // The origin turned out to speak HTTP/1.1 (ALPN): the hop runs there instead.
      mux.start(this, () => this.#h1());
      return;
    }
    this.#h1();
  }

  #h1(): void {
    this.flow = null;
    const d = this.deadline;
    if (d !== null && d.failure !== null) {
      this.settleError(d.failure);
      return;
    }
    const req = this.req;
    const origin = this.#origin;
    const conn = req.fresh ? null : origin.takeIdle();
    if (conn !== null) {
      this.#send(conn);
      return;
    }
    this.#connectStart = performance.now();
    origin.acquire(d !== null ? d.signal : null, d !== null ? d.timeout.connect : Number.POSITIVE_INFINITY, req.fresh).then(
      (c) => {
        const failure = d !== null ? d.failure : null;
        if (this.reject === null || failure !== null) {
          origin.release(c, true);
          if (failure !== null) this.settleError(failure);
        } else this.#send(c);
      },
      (err: Error) => this.settleError(err),
    );
  }

  #send(conn: Connection): void {
    this.#connectStart = -1;
    const req = this.req;
    const body = req._body;
    const url = req._url;
    const head = serializeRequestHead(req.method, this.#route.target, url.host, this.#list, body === null ? null : body.length);
    const h1 = H1Conn.of(conn, this.#origin);
    this.flow = h1;
    if (this.timings !== null) this.onSocket(conn.uses === 0 ? conn.times : null, conn.uses > 0);
    const read = this.deadline !== null ? this.deadline.timeout.read : Number.POSITIVE_INFINITY;
    h1.dispatch(this, req.method, head, body, read, req.limits, hasCloseOption(req.headers.get('connection')));
  }

  protected override released(): void {
    this.deadline?.release(this);
  }

  protected override cancellable(): Cancellable {
    return this;
  }

  // ---- Cancellable ----

  /** @internal the exchange's deadline expired or its signal aborted: stop the hop. */
  cancel(err: Error): void {
    const flow = this.flow;
    if (flow !== null) flow.abort(err);
    else if (this.stream !== null) this.stream.onError(this.stamp(err));
    else this.settleError(err);
  }

  /** @internal */
  phaseTimeout(deadlineAt: number): TimeoutError | null {
    const t = this.deadline!.timeout;
    const flow = this.flow;
    // Still opening a connection: no exchange yet, or an HTTP/2 stream waiting for its session.
    const connecting = (flow === null && this.stream === null) || (flow instanceof H2Stream && flow.stream === null);
    if (connecting) {
      if (this.#connectStart >= 0 && this.#connectStart + t.connect <= deadlineAt) {
        return new ConnectTimeout(`connect timed out after ${t.connect} ms${timeoutAdvice('connect', t.connect)}`, { timeoutMs: t.connect });
      }
    } else if (flow instanceof H1Conn && flow.lastActivity + t.read <= deadlineAt) {
      return new ReadTimeout(`no data from the server for ${t.read} ms${timeoutAdvice('read', t.read)}`, { timeoutMs: t.read });
    }
    return null;
  }
}

const EMPTY = Buffer.alloc(0);

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

/** Whether a Connection header value carries the `close` option (RFC 9112 §9.6). */
function hasCloseOption(value: string | null): boolean {
  if (value === null) return false;
  for (const token of value.split(',')) if (token.trim().toLowerCase() === 'close') return true;
  return false;
}
