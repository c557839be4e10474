/**
 * {@link MockAgent}: answer requests from code under test without a network.
 *
 * ```ts
 * const mock = new MockAgent();
 * mock.get('https://api.test').intercept({ path: '/users/1' }).reply(200, { id: 1 });
 * const session = new Session({ interceptors: [mock.interceptor] });   // or mock.install()
 * ```
 *
 * The mock is an interceptor on the dispatch seam, so everything outside it
 * runs for real: redirects, retries, cookies, auth, content decoding,
 * limits and hooks treat a mocked answer as a response off the wire.
 * Unmatched requests fail with {@link MockNotMatchedError} naming the
 * request and the closest interceptor, unless `enableNetConnect()` lets
 * their host through. No socket is ever opened for a mocked request.
 * WebSocket handshakes (`Reqivo.websocket()`) are not mocked: they fail
 * with MockNotMatchedError unless net connect is enabled for their host.
 * @module
 */
import { brandError, ConnectTimeout, NetworkError, ReadTimeout, ReqivoError, type ReqivoErrorOptions } from '../errors.js';
import type { HeadersInit } from '../http/headers.js';
import { type AnyResponse, type Dispatch, type Interceptor, installInterceptor } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import { createResponse } from '../client/respond.js';
import { describeMismatch, type MatchSpec, matches, mismatchScore, readBody } from './mock-match.js';

export type { MatchSpec } from './mock-match.js';

/** No interceptor matched a request, and net connect is not enabled for its host. */
export class MockNotMatchedError extends ReqivoError {
  constructor(message: string, options?: ReqivoErrorOptions) {
    super(message, options);
  }
}
brandError(MockNotMatchedError, 'MockNotMatchedError');

/** A mocked reply: status, body (a string, bytes, or a value sent as JSON) and headers. */
export interface MockReply {
  /** Status code (default 200). */
  status?: number;
  /** Body; an object or array is sent as JSON with `content-type: application/json`. */
  body?: unknown;
  /** Response headers. */
  headers?: HeadersInit;
}

/** What the request a reply function sees looks like. */
export interface MockRequest {
  /** Method. */
  method: string;
  /** Absolute URL. */
  url: string;
  /** Path and query. */
  path: string;
  /** Request headers. */
  headers: PreparedRequest['headers'];
  /** The body as text ('' for none). */
  body: string;
}

/** Options of a canned reply. */
export interface ReplyOptions {
  /** Response headers. */
  headers?: HeadersInit;
}

/** Network failures a mock can stand in for, by code. */
export type MockErrorCode = 'ECONNRESET' | 'ECONNREFUSED' | 'ENOTFOUND' | 'EPIPE' | 'ETIMEDOUT' | 'ECONNABORTED' | 'READ_TIMEOUT';

type Answer =
  | { kind: 'reply'; reply: (req: MockRequest) => MockReply | Promise<MockReply> }
  | { kind: 'error'; error: (req: PreparedRequest) => Error };

/** One registered interception: what it matches, what it answers, how often. */
export class MockInterceptor {
  /** The origin it belongs to. */
  readonly origin: string;
  /** What it matches. */
  readonly spec: Readonly<MatchSpec>;
  #answer: Answer | null;
  #remaining: number;
  #persist: boolean;
  #delayMs: number;
  #calls: number;

  /** @internal made by {@link MockPool.intercept}. */
  constructor(origin: string, spec: MatchSpec) {
    this.origin = origin;
    this.spec = spec;
    this.#answer = null;
    this.#remaining = 1;
    this.#persist = false;
    this.#delayMs = 0;
    this.#calls = 0;
  }

  /**
   * Answer with `status`, `body` and headers — or with what `fn(request)`
   * returns (`{ status, body, headers }`, or a Promise of it).
   */
  reply(status: number | ((req: MockRequest) => MockReply | Promise<MockReply>), body?: unknown, options?: ReplyOptions): this {
    if (typeof status === 'function') this.#answer = { kind: 'reply', reply: status };
    else {
      const fixed: MockReply = { status, body, headers: options?.headers };
      this.#answer = { kind: 'reply', reply: () => fixed };
    }
    return this;
  }

  /**
   * Fail the request the way a real network failure would: a code
   * (`'ECONNRESET'`, `'ECONNREFUSED'`, `'ETIMEDOUT'` → ConnectTimeout,
   * `'READ_TIMEOUT'` → ReadTimeout, …) or an Error of your own.
   */
  replyWithError(error: MockErrorCode | string | Error): this {
    this.#answer = { kind: 'error', error: (req) => (error instanceof Error ? error : networkError(String(error), req)) };
    return this;
  }

  /** Match `n` requests (default 1). */
  times(n: number): this {
    if (!Number.isInteger(n) || n < 1) throw new RangeError('times(n) needs a whole number n >= 1');
    this.#remaining = n;
    return this;
  }

  /** Match any number of requests. */
  persist(): this {
    this.#persist = true;
    return this;
  }

  /** Wait `ms` before answering (the request's timeouts and signal still apply). */
  delay(ms: number): this {
    if (!(ms >= 0)) throw new RangeError('delay(ms) needs ms >= 0');
    this.#delayMs = ms;
    return this;
  }

  /** How many requests it answered. */
  get calls(): number {
    return this.#calls;
  }

  /** Whether it still expects requests: not persisted and not used up, or persisted and never called. */
  get pending(): boolean {
    return this.#persist ? this.#calls === 0 : this.#remaining > 0;
  }

  /** Whether it can take another request. */
  get usable(): boolean {
    return this.#answer !== null && (this.#persist || this.#remaining > 0);
  }

  /** `METHOD origin path` as written in messages. */
  toString(): string {
    const p = this.spec.path;
    const path = p === undefined ? '*' : typeof p === 'string' ? p : typeof p === 'function' ? '<function>' : String(p);
    return `${this.spec.method ?? 'GET'} ${this.origin}${path}`;
  }

  /** @internal take one use and answer `req`. */
  async _answer(req: PreparedRequest, text: string): Promise<AnyResponse> {
    this.#calls++;
    if (!this.#persist) this.#remaining--;
    if (this.#delayMs > 0) {
      if (req.deadline !== null) await req.deadline.sleep(this.#delayMs);
      else await new Promise((r) => setTimeout(r, this.#delayMs));
    }
    const answer = this.#answer!;
    if (answer.kind === 'error') throw answer.error(req);
    const url = req._url;
    const r = await answer.reply({ method: req.method, url: req.url, path: url.pathname + url.search, headers: req.headers, body: text });
    return respond(req, r);
  }
}

/** The interceptions of one origin. */
export class MockPool {
  /** `scheme://host[:port]`. */
  readonly origin: string;
  readonly #agent: MockAgent;

  /** @internal made by {@link MockAgent.get}. */
  constructor(agent: MockAgent, origin: string) {
    this.origin = origin;
    this.#agent = agent;
  }

  /** Register an interception on this origin; chain `.reply()` (and `.times()`, `.delay()`, `.persist()`). */
  intercept(spec: MatchSpec): MockInterceptor {
    const i = new MockInterceptor(this.origin, { ...spec, method: (spec.method ?? 'GET').toUpperCase() });
    this.#agent._add(i);
    return i;
  }
}

/** See the module doc. */
export class MockAgent {
  /** The interceptor to put in a Session's `interceptors` (or see {@link install}). */
  readonly interceptor: Interceptor;
  readonly #list: MockInterceptor[];
  readonly #pools: Map<string, MockPool>;
  #net: ((host: string) => boolean) | null;

  constructor() {
    this.#list = [];
    this.#pools = new Map();
    this.#net = null;
    this.interceptor = (next: Dispatch) => (req) => this.#dispatch(req, next);
  }

  /** The interceptions of `origin` (`'https://api.test'`; path and query are ignored). */
  get(origin: string | URL): MockPool {
    const key = new URL(String(origin)).origin;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = new MockPool(this, key);
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Route every Session of the process (and the one-off `get()`, `post()`, …) through this mock. */
  install(): this {
    installInterceptor(this.interceptor);
    return this;
  }

  /** Undo {@link install}. */
  uninstall(): this {
    installInterceptor(null);
    return this;
  }

  /**
   * Let unmatched requests to `host` (a host name with or without port, a
   * RegExp, or a predicate of `host:port`) through to the real network; all
   * hosts when none is given.
   */
  enableNetConnect(host?: string | RegExp | ((host: string) => boolean)): this {
    const prev = this.#net;
    let test: (h: string) => boolean;
    if (host === undefined) test = () => true;
    else if (typeof host === 'function') test = host;
    else if (host instanceof RegExp) test = (h) => host.test(h);
    else test = (h) => h === host || h.replace(/:\d+$/, '') === host;
    this.#net = prev === null ? test : (h) => prev(h) || test(h);
    return this;
  }

  /** Refuse the real network again for every host (the default). */
  disableNetConnect(): this {
    this.#net = null;
    return this;
  }

  /** Interceptions still waiting for requests. */
  pendingInterceptors(): MockInterceptor[] {
    return this.#list.filter((i) => i.pending);
  }

  /** Throw an Error listing every interception not used up. */
  assertNoPendingInterceptors(): void {
    const pending = this.pendingInterceptors();
    if (pending.length === 0) return;
    const lines = pending.map((i) => `- ${i} (called ${i.calls} time${i.calls === 1 ? '' : 's'})`);
    throw new Error(`${pending.length} mock interceptor${pending.length === 1 ? ' is' : 's are'} still pending:\n${lines.join('\n')}`);
  }

  /** @internal */
  _add(i: MockInterceptor): void {
    this.#list.push(i);
  }

  async #dispatch(req: PreparedRequest, next: Dispatch): Promise<AnyResponse> {
    const url = req._url;
    if (req.upgrade !== null) {
      // A WebSocket handshake is never mocked: it reaches a real server only where net connect is enabled.
      if (this.#net !== null && this.#net(url.host)) return next(req);
      throw new MockNotMatchedError(
        `MockAgent does not mock WebSocket connections: the handshake to ${req.upgrade.href} was not sent; enableNetConnect(${JSON.stringify(url.host)}) lets it through to a real server`,
      );
    }
    const origin = url.origin;
    const text = await readBody(req);
    for (const i of this.#list) {
      if (i.usable && i.origin === origin && matches(i.spec, req, text)) return i._answer(req, text);
    }
    if (this.#net !== null && this.#net(url.host)) return next(req);
    throw new MockNotMatchedError(this.#notMatched(req, text));
  }

  #notMatched(req: PreparedRequest, text: string): string {
    let best: MockInterceptor | null = null;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const i of this.#list) {
      const score = (i.origin === req._url.origin ? 0 : 8) + mismatchScore(i.spec, req, text) + (i.usable ? 0 : 1);
      if (score < bestScore) {
        best = i;
        bestScore = score;
      }
    }
    const what = `no mock interceptor matched ${req.method} ${req._display}`;
    if (best === null) return `${what}: none are registered`;
    const why = best.origin !== req._url.origin ? `origin ${best.origin} differs` : !best.usable ? 'it is used up' : describeMismatch(best.spec, req, text);
    return `${what}; closest: ${best} (${why})`;
  }
}

/** A mocked reply as a response through the request's body layers. */
function respond(req: PreparedRequest, r: MockReply): Promise<AnyResponse> {
  const body = r.body;
  let bytes: string | Uint8Array | null;
  let json = false;
  if (body === undefined || body === null) bytes = null;
  else if (typeof body === 'string' || body instanceof Uint8Array) bytes = body;
  else {
    bytes = JSON.stringify(body);
    json = true;
  }
  return createResponse(req, {
    status: r.status ?? 200,
    headers: json ? withContentType(r.headers) : r.headers,
    body: bytes,
  });
}

function withContentType(init: HeadersInit | undefined): HeadersInit {
  const list: [string, string][] = [];
  let has = false;
  if (init !== undefined) {
    const entries: Iterable<readonly [string, string]> =
      Symbol.iterator in Object(init) ? (init as Iterable<readonly [string, string]>) : Object.entries(init as Record<string, string>);
    for (const [k, v] of entries) {
      if (k.toLowerCase() === 'content-type') has = true;
      list.push([k, String(v)]);
    }
  }
  if (!has) list.push(['content-type', 'application/json']);
  return list;
}

/** The error a real failure with `code` gives. */
function networkError(code: string, req: PreparedRequest): Error {
  const where = `${req._url.host}`;
  const cause = Object.assign(new Error(`${code} (mocked)`), { code });
  if (code === 'ETIMEDOUT') return new ConnectTimeout(`connect to ${where} timed out (mocked)`, { cause });
  if (code === 'READ_TIMEOUT') return new ReadTimeout('no data from the server (mocked)', { cause });
  const text =
    code === 'ECONNRESET'
      ? 'connection reset by the server before any response'
      : code === 'ECONNREFUSED'
        ? `connection to ${where} refused`
        : code === 'ENOTFOUND'
          ? `DNS lookup of ${req._url.hostname} failed`
          : `network failure: ${code}`;
  return new NetworkError(`${text} (mocked ${code})`, { cause, code });
}
