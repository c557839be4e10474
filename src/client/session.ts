/**
 * {@link Session}: the engine users hold. It turns options into a
 * {@link PreparedRequest} (URL against `baseUrl`, merged headers, body,
 * static auth, the exchange's {@link Deadline}) and sends it down a chain of
 * layers composed once per configuration:
 *
 * ```
 * hooks → redirects → retries → digest auth → cache → cookies → stale retry → interceptors… → installed → transport
 * ```
 *
 * A layer that is not configured is not in the chain (chains.ts composes
 * them; a WebSocket Upgrade has its own, shorter chain). Then the verbs.
 * @module
 */
import { attachRequest, InvalidRequestError, ReqivoError, RequestError, redactCause, redactUrl } from '../errors.js';
import { Headers } from '../http/headers.js';
import { checkMethod } from '../http/methods.js';
import { ACCEPT_ENCODING } from '../http/decode.js';
import type { TlsOptions } from '../transport/connection.js';
import { Pool } from '../transport/pool.js';
import { connectVia } from '../transport/proxy.js';
import { toRequestBody } from '../core/body.js';
import { Deadline } from '../core/deadline.js';
import type { AnyResponse, Dispatch, Interceptor } from '../core/dispatch.js';
import { PreparedRequest } from '../core/request.js';
import { Timings } from '../core/timings.js';
import { DigestAuthState } from '../layers/auth.js';
import type { HttpCache } from '../layers/cache.js';
import { type BeforeRedirectHook, type BeforeRetryHook, type ErrorHook, type Hooks, type RequestHook, type ResponseHook, runErrorHooks, toHooks } from '../layers/hooks.js';
import { withUploadProgress } from '../layers/progress.js';
import { RetryPolicy } from '../layers/retry.js';
import { type ChainParts, composeChain, DIGEST, HOOKS, REDIRECTS, RETRIES, UPGRADE } from './chains.js';
import { CookieJar } from './cookies.js';
import { checkNames, REQUEST_OPTIONS } from './option-names.js';
import { applyStaticAuth, checkSessionOptions, mergeInto, stampInput, toCache, withLength, wrap } from './prepare.js';
import {
  type AuthOptions,
  DEFAULT_RESPONSE_LIMITS,
  DEFAULT_TIMEOUT,
  type RequestOptions,
  type ResponseLimits,
  type SessionOptions,
  type Timeout,
  toLimits,
  toTimeout,
} from './options.js';
import { events, type EventsOptions } from './event-source.js';
import { paginate, type PaginateOptions } from './paginate.js';
import type { ServerSentEvent } from './sse.js';
import type { Response } from './response.js';
import { type Http2Mode, ProxySetting, toDialSettings, toHttp2Mode, toSocketPath } from './route.js';
import { StreamResponse } from './stream-response.js';
import { Transport } from './transport.js';
import { type FetchInit, type FetchInput, fetchWith } from './fetch.js';
import { displayUrl, resolveUrl, splitUnixUrl } from './url.js';
import { VERSION } from '../version.js';
import type { Opened } from '../websocket/opening.js';
import { openedBy, type UpgradeHop } from './upgrade.js';

export type { RequestHook, ResponseHook } from '../layers/hooks.js';

/** An HTTP client session: connection pool, defaults, cookies, auth, hooks, interceptors. */
export class Session {
  /** The cookie jar, or null when `cookies: false`. */
  readonly cookies: CookieJar | null;
  /** Hooks run in the order added. */
  readonly hooks: Hooks;
  /** Connection pool. @internal */
  readonly _pool: Pool;
  readonly #baseUrl: URL | null;
  readonly #headers: Headers;
  readonly #timeout: Timeout;
  readonly #limits: ResponseLimits;
  readonly #tls: TlsOptions | null;
  readonly #socketPath: string | null;
  readonly #followRedirects: boolean;
  readonly #maxRedirects: number;
  #auth: AuthOptions | null;
  /** The last request URL string: a repeat request shares it instead of keeping its own copy per response. */
  #lastHref: string;
  /** The last string URL input without query or socket path, and what it resolved to: a repeated input is not parsed again. */
  #lastInput: string;
  #lastUrl: URL | null;
  #closed: boolean;
  readonly #retry: RetryPolicy | null;
  readonly #decompress: boolean;
  readonly #timings: boolean;
  readonly #digest: DigestAuthState;
  readonly #interceptors: Interceptor[];
  readonly #transport: Transport;
  /** The HTTP cache (`cache` option), or null. */
  readonly #cache: HttpCache | null;
  /** Composed chains by the bits of optional layers they hold; built on first use. */
  readonly #chains: (Dispatch | undefined)[];

  /** A session with its own pool, cookie jar and defaults; throws InvalidRequestError for bad options. */
  constructor(options: SessionOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidRequestError('session options must be an object');
    checkSessionOptions(options);
    let baseSocket: string | null;
    try {
      const unixBase = options.baseUrl !== undefined ? splitUnixUrl(String(options.baseUrl)) : null;
      baseSocket = unixBase?.socketPath ?? null;
      this.#baseUrl = options.baseUrl !== undefined ? new URL(unixBase?.url ?? String(options.baseUrl)) : null;
    } catch (err) {
      throw new InvalidRequestError(`invalid baseUrl ${JSON.stringify(redactUrl(String(options.baseUrl)))}`, { cause: redactCause(err) });
    }
    const h = new Headers([
      ['user-agent', `reqivo/${VERSION}`],
      ['accept', '*/*'],
    ]);
    this.#decompress = options.decompress ?? true;
    this.#timings = options.timings === true;
    if (this.#decompress) h._set('accept-encoding', ACCEPT_ENCODING);
    if (options.headers !== undefined) mergeInto(h, options.headers);
    this.#headers = h;
    this.#timeout = toTimeout(options.timeout, DEFAULT_TIMEOUT);
    this.#limits = toLimits(options.limits, DEFAULT_RESPONSE_LIMITS);
    this.#tls = options.tls ?? null;
    // An http+unix: baseUrl names the socket every relative request goes over.
    this.#socketPath = toSocketPath(options.socketPath) ?? baseSocket;
    this.#followRedirects = options.followRedirects ?? true;
    this.#maxRedirects = toMaxRedirects(options.maxRedirects, 10);
    this.#auth = options.auth ?? null;
    this.#closed = false;
    this.#lastHref = '';
    this.#lastInput = '';
    this.#lastUrl = null;
    this.#retry = options.retry !== undefined && options.retry !== false ? new RetryPolicy(options.retry) : null;
    this.#digest = new DigestAuthState();
    this.cookies = options.cookies === false ? null : new CookieJar();
    this.hooks = toHooks(options.hooks);
    const interceptors = options.interceptors ?? [];
    if (!Array.isArray(interceptors) || interceptors.some((i) => typeof i !== 'function')) {
      throw new InvalidRequestError('interceptors must be an array of functions');
    }
    this.#interceptors = [...interceptors];
    this._pool = new Pool(options.pool);
    this._pool.connector = connectVia;
    const http2: Http2Mode = toHttp2Mode(options.http2);
    this.#transport = new Transport(this._pool, new ProxySetting(options.proxy), http2, this.#tls, toDialSettings(options));
    this.#chains = [];
    this.#cache = toCache(options.cache, this.#timeout);
  }

  /** Default headers sent with every request (a live object: changes apply to later requests). */
  get headers(): Headers {
    return this.#headers;
  }

  /** The session's TLS options (also used by WebSockets opened through the Reqivo facade). */
  get tls(): TlsOptions | null {
    return this.#tls;
  }

  /** The base URL relative request URLs resolve against, or null. */
  get baseUrl(): URL | null {
    return this.#baseUrl;
  }

  /** Session-wide auth (Basic, Bearer or Digest); null for none. */
  get auth(): AuthOptions | null {
    return this.#auth;
  }
  set auth(auth: AuthOptions | null) {
    this.#auth = auth;
  }

  /** Add an interceptor inside the ones already there (the first added is the outermost). */
  use(interceptor: Interceptor): this {
    if (typeof interceptor !== 'function') throw new InvalidRequestError('an interceptor must be a function (next) => (req) => response');
    this.#interceptors.push(interceptor);
    this.#chains.length = 0;
    return this;
  }

  /** Add a hook run before each request is written. */
  onRequest(hook: RequestHook): this {
    this.hooks.request.push(hook);
    return this;
  }

  /** Add a hook run on each final response. */
  onResponse(hook: ResponseHook): this {
    this.hooks.response.push(hook);
    return this;
  }

  /** Add a hook run before each retry (see the `retry` option). */
  beforeRetry(hook: BeforeRetryHook): this {
    this.hooks.beforeRetry.push(hook);
    return this;
  }

  /** Add a hook run before each redirect hop is sent. */
  beforeRedirect(hook: BeforeRedirectHook): this {
    this.hooks.beforeRedirect.push(hook);
    return this;
  }

  /** Add a hook run when a request fails; it may return another error to reject with. */
  onError(hook: ErrorHook): this {
    this.hooks.error.push(hook);
    return this;
  }

  /** Send a request and buffer the whole response body. */
  request(method: string, url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.#run(method, url, opts ?? EMPTY_OPTS, false) as Promise<Response>;
  }

  /** Send a request; resolves once the response head arrives, with the body to be streamed. */
  stream(method: string, url: string | URL, opts?: RequestOptions): Promise<StreamResponse> {
    return this.#run(method, url, opts ?? EMPTY_OPTS, true) as Promise<StreamResponse>;
  }

  /**
   * WHATWG fetch on this session (its cookies, auth, hooks and interceptors
   * apply): resolves to a standard `globalThis.Response`; see docs/fetch.md.
   */
  fetch(input: FetchInput, init?: FetchInit): Promise<globalThis.Response> {
    return fetchWith((method, url, opts) => this.#run(method, url, opts, true, true) as Promise<StreamResponse>, input, init);
  }

  /** GET `url`. */
  get(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.request('GET', url, opts);
  }
  /** HEAD `url`. */
  head(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.request('HEAD', url, opts);
  }
  /** OPTIONS `url`. */
  options(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.request('OPTIONS', url, opts);
  }
  /** DELETE `url`. */
  delete(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.request('DELETE', url, opts);
  }
  /** POST to `url`. */
  post(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.request('POST', url, opts);
  }
  /** PUT to `url`. */
  put(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.request('PUT', url, opts);
  }
  /** PATCH `url`. */
  patch(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.request('PATCH', url, opts);
  }

  /**
   * Pages from `url` on, following `Link: rel="next"` unless `next(res)` says
   * otherwise; the items `items(res)` picks when given; lazy (a `break`
   * sends nothing more). See client/paginate.ts.
   */
  paginate<T = Response>(url: string | URL, opts: PaginateOptions<T> = {}): AsyncGenerator<T> {
    return paginate<T>((u, o) => this.request('GET', u, o), url, opts);
  }

  /**
   * Server-sent events of `url`, reconnecting with Last-Event-ID after the
   * stream ends or fails (never after a 204 or a non-200 / non-event-stream
   * reply). See client/event-source.ts.
   */
  events(url: string | URL, opts: EventsOptions = {}): AsyncGenerator<ServerSentEvent> {
    return events((m, u, o) => this.stream(m, u, o), url, opts);
  }

  /** Close idle connections and refuse new requests. In-flight requests finish; their connections are then closed. Background cache revalidations are aborted. */
  close(): Promise<void> {
    this.#closed = true;
    this._pool.close();
    return this.#cache !== null ? this.#cache.close() : Promise.resolve();
  }

  /** Same as {@link close}; enables `await using session = new Session()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** `exactMethod`: send the method as given (fetch normalises its own), not upper-cased. */
  async #run(methodIn: string, input: string | URL, opts: RequestOptions, streaming: boolean, exactMethod = false): Promise<AnyResponse> {
    const req = this.#prepare(methodIn, input, opts, streaming, exactMethod);
    const deadline = req.deadline!;
    let res: AnyResponse;
    try {
      res = await this.#chain(opts)(req);
    } catch (err) {
      deadline.finish();
      const e = wrap(err, req);
      throw this.hooks.error.length > 0 ? stamped(await runErrorHooks(this.hooks.error, e), req) : e;
    }
    // A streamed body is still to be read: the total timeout keeps running until it settles.
    if (res instanceof StreamResponse) res._finishDeadline(deadline);
    else deadline.finish();
    return res;
  }

  /** Validate and merge everything about the request that does not depend on the wire. */
  #prepare(methodIn: string, input: string | URL, opts: RequestOptions, streaming: boolean, exactMethod: boolean): PreparedRequest {
    const method = typeof methodIn !== 'string' ? '' : exactMethod ? methodIn : methodIn.toUpperCase();
    try {
      if (opts !== EMPTY_OPTS) checkNames(opts, REQUEST_OPTIONS, 'request option');
      checkMethod(method);
      // CONNECT asks for a tunnel in authority-form (RFC 9110 §9.3.6, RFC 9112 §3.2.3), not a resource.
      if (method === 'CONNECT') throw new InvalidRequestError('CONNECT opens a tunnel, not a request: use openTunnel(proxy, host, port)');
      if (this.#closed) throw new RequestError('the session is closed');
      let unix: ReturnType<typeof splitUnixUrl> = null;
      let url: URL;
      if (this.#lastUrl !== null && input === this.#lastInput && opts.query === undefined) {
        // The URL object is never mutated once resolved (redirects, credentials stripping make new ones): share it.
        url = this.#lastUrl;
      } else {
        unix = splitUnixUrl(input);
        url = resolveUrl(unix !== null ? unix.url : input, this.#baseUrl, opts.query);
        if (typeof input === 'string' && unix === null && opts.query === undefined) {
          this.#lastInput = input;
          this.#lastUrl = url;
        }
      }
      const headers = new Headers(this.#headers);
      if (opts.headers !== undefined) mergeInto(headers, opts.headers);
      let body = toRequestBody(opts);
      applyStaticAuth(url, headers, opts.auth === undefined ? this.#auth : opts.auth);
      if (body !== null) {
        if (body.contentType !== null && !headers.has('content-type')) headers._set('content-type', body.contentType);
        if (body.length < 0 && body.stream !== null) {
          const cl = headers.get('content-length');
          // At most 15 digits: an exact integer (a longer one is rounded by Number, or written as `1e+21`).
          if (cl !== null && /^\d{1,15}$/.test(cl)) body = withLength(body, Number(cl));
        }
        if (opts.onUploadProgress !== undefined) body = withUploadProgress(body, opts.onUploadProgress);
      }
      if (opts.maxRedirects !== undefined) toMaxRedirects(opts.maxRedirects, 0);
      const decompress = opts.decompress ?? this.#decompress;
      // `decompress: false` on one request takes back the session's default Accept-Encoding (not one the caller set).
      if (!decompress && headers.get('accept-encoding') === ACCEPT_ENCODING) headers.delete('accept-encoding');
      const deadline = new Deadline(toTimeout(opts.timeout, this.#timeout), opts.signal ?? null);
      const req = new PreparedRequest(method, url, headers, opts.body ?? null, deadline, toLimits(opts.limits, this.#limits), opts, streaming, body);
      req._setUrl(url, this.#sharedHref(displayUrl(url)));
      req.decompress = decompress;
      req.userCookie = headers.get('cookie');
      if (opts.timings ?? this.#timings) req.timings = new Timings();
      req.socketPath = unix?.socketPath ?? toSocketPath(opts.socketPath) ?? this.#socketPath;
      return req;
    } catch (err) {
      throw stampInput(err, method || String(methodIn), input);
    }
  }

  /** The chain for a request with these options: the session's layers plus those the options switch on. */
  #chain(opts: RequestOptions): Dispatch {
    const hooks = this.hooks;
    let bits = 0;
    if (hooks.request.length > 0 || hooks.response.length > 0) bits |= HOOKS;
    if (opts.followRedirects ?? this.#followRedirects) bits |= REDIRECTS;
    if (opts.retry === undefined ? this.#retry !== null : opts.retry !== false) bits |= RETRIES;
    const auth = opts.auth === undefined ? this.#auth : opts.auth;
    if (auth !== null && auth.type === 'digest') bits |= DIGEST;
    return (this.#chains[bits] ??= composeChain(bits, this.#parts()));
  }

  #parts(): ChainParts {
    const t = this.#transport;
    return { hooks: this.hooks, jar: this.cookies, maxRedirects: this.#maxRedirects, retry: this.#retry, digest: this.#digest, auth: () => this.#auth, cache: this.#cache, interceptors: this.#interceptors, transport: t.dispatch };
  }

  /** @internal The WebSocket Upgrade to `url` (its http(s) form) through hooks → digest auth → cookies → interceptors → installed → transport (no redirects, retries or cache). */
  async _upgrade(url: URL, headers: Headers, proxy: string | false | 'env' | undefined, up: UpgradeHop): Promise<Opened> {
    const req = this.#prepare('GET', url, proxy === undefined ? { headers } : { headers, proxy }, true, false);
    req.upgrade = up;
    const bits = UPGRADE | (this.hooks.request.length > 0 || this.hooks.response.length > 0 ? HOOKS : 0) | (this.#auth?.type === 'digest' ? DIGEST : 0);
    const chain = (this.#chains[bits] ??= composeChain(bits, this.#parts()));
    try {
      return await openedBy(await chain(req), up);
    } catch (err) {
      up.opened?.conn.destroy(); // a layer failed after the 101: the socket goes with it
      const e = wrap(err, req);
      throw this.hooks.error.length > 0 ? stamped(await runErrorHooks(this.hooks.error, e), req) : e;
    } finally {
      req.deadline!.finish();
    }
  }

  #sharedHref(href: string): string {
    if (href === this.#lastHref) return this.#lastHref;
    this.#lastHref = href;
    return href;
  }
}

const EMPTY_OPTS: RequestOptions = Object.freeze({});

/** `maxRedirects` as given, or `fallback`; NaN, a negative number or a non-number (which would never stop a redirect chain) is refused. */
function toMaxRedirects(v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v >= 0)) throw new InvalidRequestError(`maxRedirects must be a non-negative number, not ${String(v)}`);
  return v;
}

/** What the `onError` hooks left, a ReqivoError among it naming the request like any other (a hook's own error stands as is). */
function stamped(err: Error, req: PreparedRequest): Error {
  return err instanceof ReqivoError ? attachRequest(err, req.method, req._display) : err;
}
