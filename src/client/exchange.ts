/**
 * {@link HopExchange}: one hop of a request on the wire. It takes a
 * connection for the hop's route from the pool, hands the request to the
 * driver the origin speaks (HTTP/1.1, or HTTP/2 once ALPN or prior
 * knowledge says so), and lets its {@link ResponseBuilder} turn what the
 * driver reports into a Response or StreamResponse. It is the hop's
 * cancellation target for the exchange's {@link Deadline}. Drivers call only
 * the {@link Exchange} and {@link BodySink} interfaces; nothing here calls
 * back into the Session.
 * @module
 */
import { ConnectTimeout, ReadTimeout, timeoutAdvice, type TimeoutError } from '../errors.js';
import { serializeRequestHead } from '../http1/request-head.js';
import { hasCloseOption } from '../http1/framing.js';
import type { Connection } from '../transport/connection.js';
import type { ConnectionTaker, OriginPool } from '../transport/pool.js';
import type { Cancellable } from '../core/deadline.js';
import type { AnyResponse } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import { requestCreate, requestObserved } from '../core/diagnostics.js';
import { H1Conn } from '../http1/connection.js';
import { H2Origin, H2Stream } from '../http2/origin.js';
import { replaySafe } from '../layers/stale.js';
import { ResponseBuilder } from './response-builder.js';
import type { Route } from './route.js';

/** Idle-connection limit handed to a new HTTP/2 origin. */
export interface HopSettings {
  /** `pool.maxIdleMs`. */
  readonly maxIdleMs: number;
}

/** One hop in flight on a connection; see the module doc. */
export class HopExchange extends ResponseBuilder implements Cancellable, ConnectionTaker {
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
    // A request the stale-connection layer can replay takes a reused connection at once; any other lets it settle (transport/settle.ts).
    const settle = !replaySafe(req);
    if (!settle && !req.fresh) {
      const conn = origin.takeIdle();
      if (conn !== null) {
        this.#send(conn);
        return;
      }
    }
    this.#connectStart = performance.now();
    origin.wait(this, d !== null ? d.signal : null, d !== null ? d.timeout.connect : Number.POSITIVE_INFINITY, req.fresh, settle);
  }

  // ---- ConnectionTaker (the pool calls these) ----

  /** @internal */
  onConnection(c: Connection): void {
    const d = this.deadline;
    const failure = d !== null ? d.failure : null;
    if (this.reject === null || failure !== null) {
      this.#origin.release(c, true);
      if (failure !== null) this.settleError(failure);
    } else this.#send(c);
  }

  /** @internal */
  onConnectionError(err: Error): void {
    this.settleError(err);
  }

  /** @internal */
  isWaiting(): boolean {
    return this.reject !== null;
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
    const t = this.deadline !== null ? this.deadline.timeout : null;
    const read = t !== null ? t.read : Number.POSITIVE_INFINITY;
    // The time of the last read only tells a read timeout from the total one (phaseTimeout): needed with both set.
    const stamp = t !== null && t.total !== Number.POSITIVE_INFINITY && read !== Number.POSITIVE_INFINITY;
    h1.dispatch(this, req.method, head, body, read, req.limits, hasCloseOption(req.headers.get('connection')), stamp);
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
    const connecting = (flow === null && this.stream === null) || (flow instanceof H2Stream && flow.id === 0);
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

