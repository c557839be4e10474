/**
 * {@link Session}: the engine users hold. It merges defaults, resolves URLs,
 * builds bodies, applies cookies, auth and hooks, follows redirects and
 * retries, and runs each hop on its connection pool (see call.ts).
 * @module
 */
import { InvalidRequestError, ReqivoError, RequestError, TooManyRedirects, RedirectLoopError, attachRequest } from '../errors.js';
import { Headers, type HeadersInit } from '../http/headers.js';
import { DEFAULT_LIMITS, type ParserLimits } from '../http/parser.js';
import { checkMethod, serializeRequestHead } from '../http/request-head.js';
import type { TlsOptions } from '../transport/connection.js';
import { Pool } from '../transport/pool.js';
import { RequestBody, toRequestBody } from './body.js';
import { Call } from './call.js';
import { CookieJar } from './cookies.js';
import { basicAuthorization } from './digest.js';
import {
  type AuthOptions,
  DEFAULT_TIMEOUT,
  type RequestOptions,
  type SessionOptions,
  type Timeout,
  toLimits,
  toTimeout,
} from './options.js';
import { PreparedRequest } from './prepared.js';
import { isRedirect, nextHop, stripForRedirect } from './redirects.js';
import type { Response } from './response.js';
import type { StreamResponse } from './stream-response.js';
import { displayUrl, originKey, resolveUrl } from './url.js';
import { VERSION } from '../version.js';

/** A hook run before each request is written; may return a replacement request. */
export type RequestHook = (req: PreparedRequest) => void | PreparedRequest | Promise<void | PreparedRequest>;
/** A hook run on each final response; may return a replacement response. */
export type ResponseHook = (res: Response | StreamResponse) => void | Response | StreamResponse | Promise<void | Response | StreamResponse>;

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** An HTTP client session: connection pool, defaults, cookies, auth, hooks. */
export class Session {
  /** The cookie jar, or null when `cookies: false`. */
  readonly cookies: CookieJar | null;
  /** Hooks run in the order added. */
  readonly hooks: { readonly request: RequestHook[]; readonly response: ResponseHook[] };
  /** Connection pool. @internal */
  readonly _pool: Pool;
  readonly #baseUrl: URL | null;
  readonly #headers: Headers;
  readonly #timeout: Timeout;
  readonly #limits: ParserLimits;
  readonly #tls: TlsOptions | null;
  readonly #followRedirects: boolean;
  readonly #maxRedirects: number;
  #auth: AuthOptions | null;
  #closed: boolean;

  constructor(options: SessionOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidRequestError('session options must be an object');
    try {
      this.#baseUrl = options.baseUrl !== undefined ? new URL(String(options.baseUrl)) : null;
    } catch (err) {
      throw new InvalidRequestError(`invalid baseUrl ${JSON.stringify(String(options.baseUrl))}`, { cause: err });
    }
    const h = new Headers([
      ['user-agent', `reqivo/${VERSION}`],
      ['accept', '*/*'],
    ]);
    if (options.headers !== undefined) mergeInto(h, options.headers);
    this.#headers = h;
    this.#timeout = toTimeout(options.timeout, DEFAULT_TIMEOUT);
    this.#limits = toLimits(options.limits, DEFAULT_LIMITS);
    this.#tls = options.tls ?? null;
    this.#followRedirects = options.followRedirects ?? true;
    this.#maxRedirects = options.maxRedirects ?? 10;
    this.#auth = options.auth ?? null;
    this.#closed = false;
    this.cookies = options.cookies === false ? null : new CookieJar();
    this.hooks = { request: [], response: [] };
    this._pool = new Pool(options.pool);
  }

  /** Default headers sent with every request (a live object: changes apply to later requests). */
  get headers(): Headers {
    return this.#headers;
  }

  /** Session-wide auth (Basic, Bearer or Digest); null for none. */
  get auth(): AuthOptions | null {
    return this.#auth;
  }
  set auth(auth: AuthOptions | null) {
    this.#auth = auth;
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

  /** Send a request and buffer the whole response body. */
  request(method: string, url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.#run(method, url, opts ?? EMPTY_OPTS, false) as Promise<Response>;
  }

  /** Send a request; resolves once the response head arrives, with the body to be streamed. */
  stream(method: string, url: string | URL, opts?: RequestOptions): Promise<StreamResponse> {
    return this.#run(method, url, opts ?? EMPTY_OPTS, true) as Promise<StreamResponse>;
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

  /** Close idle connections and refuse new requests. In-flight requests finish; their connections are then closed. */
  close(): Promise<void> {
    this.#closed = true;
    this._pool.close();
    return Promise.resolve();
  }

  /** Same as {@link close}; enables `await using session = new Session()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(methodIn: string, input: string | URL, opts: RequestOptions, streaming: boolean): Promise<Response | StreamResponse> {
    let method = typeof methodIn === 'string' ? methodIn.toUpperCase() : '';
    const where = typeof input === 'string' ? input : String(input);
    try {
      checkMethod(method);
      if (this.#closed) throw new RequestError('the session is closed');
    } catch (err) {
      throw attachRequest(err as ReqivoError, method || String(methodIn), where);
    }
    let url: URL;
    let headers: Headers;
    let body: RequestBody | null;
    try {
      url = resolveUrl(input, this.#baseUrl, opts.query);
      headers = new Headers(this.#headers);
      if (opts.headers !== undefined) mergeInto(headers, opts.headers);
      body = toRequestBody(opts);
    } catch (err) {
      throw attachRequest(err as ReqivoError, method, where);
    }
    if (body !== null) {
      if (body.contentType !== null && !headers.has('content-type')) headers._set('content-type', body.contentType);
      if (body.length < 0 && body.stream !== null) {
        const cl = headers.get('content-length');
        if (cl !== null && /^\d+$/.test(cl)) body = withLength(body, Number(cl));
      }
    }
    this.#applyAuth(url, headers, opts.auth === undefined ? this.#auth : opts.auth);
    const timeout = toTimeout(opts.timeout, this.#timeout);
    const limits = toLimits(opts.limits, this.#limits);
    const call = new Call(method, displayUrl(url), timeout, limits, opts.signal ?? null, streaming);
    let handedOff = false;
    try {
      if (this.hooks.request.length > 0) {
        const req = await this.#runRequestHooks(new PreparedRequest(method, url.href, headers, opts.body ?? null, body));
        method = req.method.toUpperCase();
        checkMethod(method);
        url = resolveUrl(req.url, null, undefined);
        headers = req.headers;
        body = req._resolveBody();
        call.method = method;
        call.url = displayUrl(url);
      }
      const follow = opts.followRedirects ?? this.#followRedirects;
      const maxRedirects = opts.maxRedirects ?? this.#maxRedirects;
      if (streaming && follow) call.bufferStatus = (status, h) => isRedirect(status) && h.has('location');
      call.onDownloadProgress = opts.onDownloadProgress ?? null;
      const chain: string[] = [];
      const seen = new Set<string>();
      let userCookie = headers.get('cookie');
      for (;;) {
        call.check();
        this.#applyCookies(url, headers, userCookie);
        const res = await this.#hop(call, url, method, headers, body);
        if (this.cookies !== null) {
          const setCookies = res.headers.getSetCookie();
          if (setCookies.length > 0) for (const sc of setCookies) this.cookies.setCookie(sc, url);
        }
        const location = res.headers.get('location');
        if (follow && isRedirect(res.status) && location !== null) {
          if (chain.length >= maxRedirects) {
            throw new TooManyRedirects(`exceeded maxRedirects (${maxRedirects}); last Location ${location}`);
          }
          const step = nextHop(url, method, res.status, location, opts.allowInsecureRedirects === true);
          const key = `${method} ${url.href} ${headers.get('cookie') ?? ''}`;
          seen.add(key);
          chain.push(displayUrl(url));
          if (step.dropBody) body = null;
          else if (body !== null && body.stream !== null && !body.replayable) {
            throw new RequestError(`cannot follow the ${res.status} redirect: the request body is a one-shot stream that cannot be replayed`);
          }
          stripForRedirect(headers, step);
          if (step.crossOrigin) userCookie = null;
          method = step.method;
          url = step.url;
          call.method = method;
          call.url = displayUrl(url);
          this.#applyCookies(url, headers, userCookie);
          if (seen.has(`${method} ${url.href} ${headers.get('cookie') ?? ''}`)) {
            throw new RedirectLoopError(`redirect loop: ${url.href} was already requested in this chain`);
          }
          continue;
        }
        let out: Response | StreamResponse = res;
        if (chain.length > 0) out.redirects = chain;
        for (const hook of this.hooks.response) {
          const r = await hook(out);
          if (r !== undefined && r !== null) out = r;
        }
        if (!streaming) call.finish();
        handedOff = true;
        return out;
      }
    } catch (err) {
      throw this.#wrap(err, call);
    } finally {
      if (!handedOff) call.finish();
    }
  }

  #wrap(err: unknown, call: Call): Error {
    if (err instanceof ReqivoError) return attachRequest(err, call.method, call.url);
    return new RequestError(`hook or body failed: ${(err as Error)?.message ?? String(err)}`, { cause: err, method: call.method, url: call.url });
  }

  async #runRequestHooks(req: PreparedRequest): Promise<PreparedRequest> {
    for (const hook of this.hooks.request) {
      const r = await hook(req);
      if (r !== undefined && r !== null) req = r;
    }
    return req;
  }

  /** One hop, retried once on a fresh connection when a reused one was found dead before any response byte. */
  async #hop(call: Call, url: URL, method: string, headers: Headers, body: RequestBody | null): Promise<Response | StreamResponse> {
    const origin = this._pool.origin(originKey(url), {
      secure: url.protocol === 'https:',
      host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
      tls: this.#tls,
    });
    const head = serializeRequestHead(method, url.pathname + url.search, url.host, headers._list, body === null ? null : body.length);
    try {
      return await call.hop(origin, head, body, false);
    } catch (err) {
      const stale = (err as { retryable?: boolean }).retryable === true;
      if (stale && IDEMPOTENT.has(method) && (body === null || body.replayable) && call.failure === null) {
        return call.hop(origin, head, body, true);
      }
      throw err;
    }
  }

  #applyCookies(url: URL, headers: Headers, userCookie: string | null): void {
    if (this.cookies === null) return;
    const jar = this.cookies.getCookieHeader(url);
    const value = userCookie !== null && jar !== '' ? `${userCookie}; ${jar}` : (userCookie ?? jar);
    if (value === '') headers.delete('cookie');
    else headers._set('cookie', value);
  }

  #applyAuth(url: URL, headers: Headers, auth: AuthOptions | null): void {
    if (headers.has('authorization')) return;
    if (url.username !== '' || url.password !== '') {
      headers._set('authorization', basicAuthorization(decodeURIComponent(url.username), decodeURIComponent(url.password)));
      return;
    }
    if (auth === null) return;
    if (auth.type === 'basic') headers.set('authorization', basicAuthorization(auth.username, auth.password));
    else if (auth.type === 'bearer') headers.set('authorization', `Bearer ${auth.token}`);
  }
}

const EMPTY_OPTS: RequestOptions = Object.freeze({});

function mergeInto(target: Headers, init: HeadersInit): void {
  const add = init instanceof Headers ? init : new Headers(init);
  const list = add._list;
  // Names repeated in `init` (append semantics) are kept together; each name replaces the defaults.
  const replaced = new Set<string>();
  for (let i = 0; i < list.length; i += 2) {
    const lname = list[i]!.toLowerCase();
    if (!replaced.has(lname)) {
      replaced.add(lname);
      target._set(list[i]!, list[i + 1]!);
    } else target._list.push(list[i]!, list[i + 1]!);
  }
}

function withLength(body: RequestBody, length: number): RequestBody {
  return new RequestBody(body.bytes, body.stream, length, body.contentType, body.replayable);
}

export { IDEMPOTENT };
