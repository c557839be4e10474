/**
 * {@link Session}: the engine users hold. It merges defaults, resolves URLs,
 * builds bodies, applies cookies, auth and hooks, follows redirects and
 * retries, and runs each hop on its connection pool (see call.ts).
 * @module
 */
import { InvalidRequestError, ReqivoError, RequestError, TooManyRedirects, RedirectLoopError, attachRequest } from '../errors.js';
import { Headers, type HeadersInit } from '../http/headers.js';
import { checkMethod, IDEMPOTENT_METHODS, serializeRequestHead } from '../http/request-head.js';
import type { TlsOptions } from '../transport/connection.js';
import { Pool } from '../transport/pool.js';
import { RequestBody, toRequestBody } from './body.js';
import { Call } from './call.js';
import { H2Origin, H2Stream } from './h2.js';
import { type Http2Mode, ProxySetting, routeFor, toHttp2Mode, withProxyAuthorization } from './route.js';
import { connectVia, ProxyError, proxyDisplay } from '../transport/proxy.js';
import { CookieJar } from './cookies.js';
import { basicAuthorization } from './digest.js';
import { DigestAuthState, staticAuthorization } from './auth.js';
import { ACCEPT_ENCODING, ContentDecoder, decodingsOf } from '../http/decode.js';
import { withUploadProgress } from './progress.js';
import { RetryPolicy } from './retry.js';
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
import { PreparedRequest } from './prepared.js';
import { isRedirect, nextHop, stripForRedirect } from './redirects.js';
import { Response } from './response.js';
import { type BodySink, type FlowControl, StreamResponse } from './stream-response.js';
import { displayUrl, originKey, resolveUrl } from './url.js';
import { VERSION } from '../version.js';

/**
 * A hook run once per request, after default headers, cookies and auth are
 * merged and before it is written (not again for redirect hops, auth
 * challenges or retries); may change the request or return a replacement.
 */
export type RequestHook = (req: PreparedRequest) => void | PreparedRequest | Promise<void | PreparedRequest>;
/** A hook run once per final response (after redirects, auth challenges and retries); may return a replacement. */
export type ResponseHook = (res: Response | StreamResponse) => void | Response | StreamResponse | Promise<void | Response | StreamResponse>;

/** Idempotent methods (RFC 9110 §9.2.2): the only ones resent when a reused connection was found dead. */

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
  readonly #limits: ResponseLimits;
  readonly #tls: TlsOptions | null;
  readonly #followRedirects: boolean;
  readonly #maxRedirects: number;
  #auth: AuthOptions | null;
  /** The last request URL string: a repeat request shares it instead of keeping its own copy per response. */
  #lastHref: string;
  #closed: boolean;
  readonly #retry: RetryPolicy | null;
  readonly #decompress: boolean;
  readonly #digest: DigestAuthState;
  readonly #http2: Http2Mode;
  readonly #proxy: ProxySetting;

  /** A session with its own pool, cookie jar and defaults; throws InvalidRequestError for bad options. */
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
    this.#decompress = options.decompress ?? true;
    if (this.#decompress) h._set('accept-encoding', ACCEPT_ENCODING);
    if (options.headers !== undefined) mergeInto(h, options.headers);
    this.#headers = h;
    this.#timeout = toTimeout(options.timeout, DEFAULT_TIMEOUT);
    this.#limits = toLimits(options.limits, DEFAULT_RESPONSE_LIMITS);
    this.#tls = options.tls ?? null;
    this.#followRedirects = options.followRedirects ?? true;
    this.#maxRedirects = options.maxRedirects ?? 10;
    this.#auth = options.auth ?? null;
    this.#closed = false;
    this.#lastHref = '';
    this.#retry = options.retry !== undefined ? new RetryPolicy(options.retry) : null;
    this.#digest = new DigestAuthState();
    this.cookies = options.cookies === false ? null : new CookieJar();
    this.hooks = { request: [], response: [] };
    this._pool = new Pool(options.pool);
    this.#http2 = toHttp2Mode(options.http2);
    this.#proxy = new ProxySetting(options.proxy);
    this._pool.connector = connectVia;
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
    try {
      checkMethod(method);
      if (this.#closed) throw new RequestError('the session is closed');
    } catch (err) {
      throw stampInput(err, method || String(methodIn), input);
    }
    let url: URL;
    let headers: Headers;
    let body: RequestBody | null;
    let retry: RetryPolicy | null;
    let auth: AuthOptions | null;
    try {
      url = resolveUrl(input, this.#baseUrl, opts.query);
      headers = new Headers(this.#headers);
      if (opts.headers !== undefined) mergeInto(headers, opts.headers);
      body = toRequestBody(opts);
      retry = opts.retry === undefined ? this.#retry : opts.retry === false ? null : new RetryPolicy(opts.retry);
      auth = opts.auth === undefined ? this.#auth : opts.auth;
      this.#applyAuth(url, method, headers, auth);
    } catch (err) {
      throw stampInput(err, method, input);
    }
    if (body !== null) {
      if (body.contentType !== null && !headers.has('content-type')) headers._set('content-type', body.contentType);
      if (body.length < 0 && body.stream !== null) {
        const cl = headers.get('content-length');
        if (cl !== null && /^\d+$/.test(cl)) body = withLength(body, Number(cl));
      }
    }
    const decompress = opts.decompress ?? this.#decompress;
    // `decompress: false` on one request takes back the session's default Accept-Encoding (not one the caller set).
    if (!decompress && headers.get('accept-encoding') === ACCEPT_ENCODING) headers.delete('accept-encoding');
    const timeout = toTimeout(opts.timeout, this.#timeout);
    const limits = toLimits(opts.limits, this.#limits);
    const call = new Call(method, this.#sharedHref(displayUrl(url)), timeout, limits, opts.signal ?? null, streaming);
    const started = performance.now();
    call.proxy = opts.proxy;
    let handedOff = false;
    try {
      // Cookies before the hooks, so that they see every header that will be sent.
      const userCookie = headers.get('cookie');
      this.#applyCookies(url, headers, userCookie, null);
      let hookCookie: string | null = null;
      if (this.hooks.request.length > 0) {
        const before = headers.get('cookie');
        const req = await this.#runRequestHooks(new PreparedRequest(method, url.href, headers, opts.body ?? null, body));
        method = req.method.toUpperCase();
        checkMethod(method);
        url = resolveUrl(req.url, null, undefined);
        headers = req.headers;
        body = req._resolveBody();
        call.method = method;
        call.url = displayUrl(url);
        // A hook that rewrote the Cookie header owns it (until the origin changes).
        const after = headers.get('cookie');
        if (after !== before) hookCookie = after ?? '';
      }
      if (body !== null && opts.onUploadProgress !== undefined) body = withUploadProgress(body, opts.onUploadProgress);
      const out = await this.#follow(call, started, method, url, headers, body, userCookie, hookCookie, {
        opts,
        streaming,
        retry,
        digest: auth !== null && auth.type === 'digest' ? auth : null,
        decompress,
      });
      handedOff = true;
      return out;
    } catch (err) {
      throw this.#wrap(err, call);
    } finally {
      if (!handedOff) call.finish();
    }
  }

  /** The redirect / auth-challenge / retry loop around {@link #hop}; returns the final response. */
  async #follow(
    call: Call,
    started: number,
    method: string,
    url: URL,
    headers: Headers,
    body: RequestBody | null,
    userCookie: string | null,
    hookCookie: string | null,
    ctx: FlowContext,
  ): Promise<Response | StreamResponse> {
    const { opts, streaming, retry, digest } = ctx;
    const follow = opts.followRedirects ?? this.#followRedirects;
    const maxRedirects = opts.maxRedirects ?? this.#maxRedirects;
    const startOrigin = originKey(url);
    // Redirect bookkeeping, allocated on the first redirect only.
    let chain: string[] | null = null;
    let seen: Set<string> | null = null;
    let retries = 0;
    let digestAnswered = false;
    call.wrapBody = ctx.decompress ? decodeBody : null;
    call.onDownloadProgress = opts.onDownloadProgress ?? null;
    if (streaming) {
      // Responses the loop may act on are buffered (they are small, and the
      // connection stays reusable); the final one is turned back into a stream.
      call.bufferStatus = (status, h) =>
        (follow && isRedirect(status) && h.has('location')) ||
        (digest !== null && status === 401 && !digestAnswered) ||
        (retry !== null && retries < retry.limit && retry.statusCodes.has(status) && retry.allows(method, canResend(body)));
    }
    for (;;) {
      call.check();
      this.#applyCookies(url, headers, userCookie, hookCookie);
      let res: Response | StreamResponse;
      try {
        res = await this.#hop(call, url, method, headers, body);
      } catch (err) {
        // Network failures: retried only for a method the policy allows, with a body that can be sent again.
        if (retry === null || retries >= retry.limit || call.failure !== null || !retry.allows(method, canResend(body))) throw err;
        const delay = retry.delayForError(err, retries + 1);
        if (delay < 0 || delay >= call.remaining(started)) throw err;
        await pause(call, delay);
        retries++;
        continue;
      }
      // Read-only look: a kept Response wraps (and copies) its headers only when the user reads them.
      const resHeaders = res._peekHeaders();
      if (this.cookies !== null) this.cookies.setCookiesFromResponse(resHeaders, url);

      // Digest (RFC 7616): answer the origin's challenge once, never another origin's.
      if (res.status === 401 && digest !== null && !digestAnswered && canResend(body) && originKey(url) === startOrigin) {
        digestAnswered = true;
        const authorization = this.#digest.answer(digest, method, url, resHeaders);
        if (authorization !== null) {
          await discard(res);
          headers._set('authorization', authorization);
          continue;
        }
      }

      if (retry !== null && retries < retry.limit && retry.allows(method, canResend(body))) {
        const delay = retry.delayForStatus(res.status, resHeaders, retries + 1);
        // Never past the total timeout: when the wait would pass it, the response stands.
        if (delay >= 0 && delay < call.remaining(started)) {
          await discard(res);
          await pause(call, delay);
          retries++;
          continue;
        }
      }

      const location = resHeaders.get('location');
      if (follow && isRedirect(res.status) && location !== null) {
        chain ??= [];
        seen ??= new Set();
        if (chain.length >= maxRedirects) {
          throw new TooManyRedirects(`exceeded maxRedirects (${maxRedirects}); last Location ${location}`);
        }
        const step = nextHop(url, method, res.status, location, opts.allowInsecureRedirects === true);
        seen.add(`${method} ${url.href} ${headers.get('cookie') ?? ''}`);
        chain.push(displayUrl(url));
        if (step.dropBody) body = null;
        else if (body !== null && !canResend(body)) {
          throw new RequestError(`cannot follow the ${res.status} redirect: the request body is a one-shot stream that cannot be replayed`);
        }
        await discard(res);
        stripForRedirect(headers, step);
        if (step.crossOrigin) {
          userCookie = null;
          hookCookie = null;
        } else if (digest !== null && originKey(step.url) === startOrigin) {
          // Digest signs the request URI: a same-origin redirect needs a fresh answer.
          const authorization = this.#digest.preemptive(digest, step.method, step.url);
          if (authorization !== null) headers._set('authorization', authorization);
        }
        digestAnswered = false;
        method = step.method;
        url = step.url;
        call.method = method;
        call.url = displayUrl(url);
        this.#applyCookies(url, headers, userCookie, hookCookie);
        if (seen.has(`${method} ${url.href} ${headers.get('cookie') ?? ''}`)) {
          throw new RedirectLoopError(`redirect loop: ${url.href} was already requested in this chain`);
        }
        continue;
      }

      // A response buffered for the loop's sake goes back to a stream caller as a stream.
      let out: Response | StreamResponse = streaming && res instanceof Response ? toStreamResponse(res) : res;
      const settled = !streaming || out !== res;
      if (chain !== null) out.redirects = chain;
      const hooks = this.hooks.response;
      for (let i = 0; i < hooks.length; i++) {
        let r: void | Response | StreamResponse;
        try {
          r = await hooks[i]!(out);
        } catch (err) {
          // The caller never sees this response: a streamed one must not hold its connection.
          if (out instanceof StreamResponse) await out.close();
          if (res !== out && res instanceof StreamResponse) await res.close();
          throw hookError('onResponse', i, err);
        }
        if (r !== undefined && r !== null) out = r;
      }
      if (settled) call.finish();
      return out;
    }
  }

  #sharedHref(href: string): string {
    if (href === this.#lastHref) return this.#lastHref;
    this.#lastHref = href;
    return href;
  }

  #wrap(err: unknown, call: Call): Error {
    if (err instanceof ReqivoError) return attachRequest(err, call.method, call.url);
    return new RequestError(`hook or body failed: ${(err as Error)?.message ?? String(err)}`, { cause: err, method: call.method, url: call.url });
  }

  async #runRequestHooks(req: PreparedRequest): Promise<PreparedRequest> {
    const hooks = this.hooks.request;
    for (let i = 0; i < hooks.length; i++) {
      let r: void | PreparedRequest;
      try {
        r = await hooks[i]!(req);
      } catch (err) {
        throw hookError('onRequest', i, err);
      }
      if (r !== undefined && r !== null) req = r;
    }
    return req;
  }

  /**
   * One hop, retried once on a fresh connection when a reused one was found
   * dead before any response byte and the request is safe to replay (see {@link replayable}).
   */
  async #hop(call: Call, url: URL, method: string, headers: Headers, body: RequestBody | null): Promise<Response | StreamResponse> {
    // Route: direct, forward proxy (absolute-form) or CONNECT tunnel; HTTP/2 when the origin speaks it.
    const route = routeFor(url, this.#proxy.resolve(url, call.proxy), this.#http2, this.#tls);
    const origin = this._pool.origin(route.key, route.connect);
    const list = route.proxyAuthorization === null ? headers._list : withProxyAuthorization(headers._list, route.proxyAuthorization);
    const head = serializeRequestHead(method, route.target, url.host, list, body === null ? null : body.length);
    call.closeConnection = hasCloseOption(headers.get('connection'));
    const mux =
      route.h2 && origin.protocol !== 'http/1.1'
        ? new H2Stream(H2Origin.of(origin, this._pool.options.maxIdleMs), method, url.protocol.slice(0, -1), url.host, route.target, list, body, call.timeout.read, call.limits, call.timeout.connect)
        : null;
    let res: Response | StreamResponse;
    try {
      res = await call.hop(origin, head, body, false, mux);
    } catch (err) {
      const stale = (err as { retryable?: boolean }).retryable === true;
      if (stale && replayable(method, headers) && (body === null || body.replayable) && call.failure === null) {
        res = await call.hop(origin, head, body, true);
      } else throw err;
    }
    if (route.forward !== null && res.status === 407) {
      if ('close' in res) await res.close();
      const who = proxyDisplay(route.forward);
      const msg = route.proxyAuthorization !== null ? `proxy ${who} refused the credentials (407 Proxy Authentication Required)` : `proxy ${who} requires authentication (407 Proxy Authentication Required) and the proxy URL has no credentials`;
      throw new ProxyError(msg, who, 407);
    }
    return res;
  }

  #applyCookies(url: URL, headers: Headers, userCookie: string | null, hookCookie: string | null): void {
    if (hookCookie !== null) {
      if (hookCookie === '') headers.delete('cookie');
      else headers._set('cookie', hookCookie);
      return;
    }
    if (this.cookies === null) return;
    const jar = this.cookies.getCookieHeader(url);
    const value = userCookie !== null && jar !== '' ? `${userCookie}; ${jar}` : (userCookie ?? jar);
    if (value === '') headers.delete('cookie');
    else headers._set('cookie', value);
  }

  #applyAuth(url: URL, method: string, headers: Headers, auth: AuthOptions | null): void {
    if (headers.has('authorization')) return;
    if (url.username !== '' || url.password !== '') {
      headers._set('authorization', basicAuthorization(decodeURIComponent(url.username), decodeURIComponent(url.password)));
      return;
    }
    if (auth === null) return;
    const value = auth.type === 'digest' ? this.#digest.preemptive(auth, method, url) : staticAuthorization(auth);
    if (value !== null) headers.set('authorization', value);
  }
}

const EMPTY_OPTS: RequestOptions = Object.freeze({});

/** What {@link Session} `#follow` needs besides the request itself. */
interface FlowContext {
  opts: RequestOptions;
  streaming: boolean;
  retry: RetryPolicy | null;
  digest: (AuthOptions & { type: 'digest' }) | null;
  decompress: boolean;
}

/**
 * The rejection for a hook that threw: a ReqivoError it threw stands as is
 * (e.g. HttpStatusError from `raiseForStatus()`); anything else is wrapped in
 * a RequestError with the hook's error as `cause` (the Session then names the
 * method and URL in it).
 */
function hookError(kind: 'onRequest' | 'onResponse', index: number, err: unknown): ReqivoError {
  if (err instanceof ReqivoError) return err;
  return new RequestError(`${kind} hook #${index + 1} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/** Whether the body (if any) can be sent again: replayable, or a one-shot stream not yet read. */
function canResend(body: RequestBody | null): boolean {
  return body === null || body.replayable || !body.used;
}

/** Wait `ms` before the next attempt; an abort of the request ends the wait early (the loop then throws). */
function pause(call: Call, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const signal = call.signal;
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Let go of a response the loop will not return (a streamed one is closed). */
async function discard(res: Response | StreamResponse): Promise<void> {
  if (res instanceof StreamResponse) await res.close();
}

/** A buffered response as a StreamResponse whose body has already arrived. */
function toStreamResponse(res: Response): StreamResponse {
  const s = new StreamResponse(res.status, res.reason, res.httpVersion, res.headers, res.url, res.method);
  const b = res.body;
  if (b.length > 0) s.onChunk(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  s.onEnd();
  return s;
}

/** Call.wrapBody for `decompress`: decode gzip / deflate / br bodies on the fly (http/decode.ts). */
function decodeBody(sink: BodySink, headers: Headers, limits: ResponseLimits, flow: FlowControl, buffered: boolean): BodySink {
  const abort = (err: Error): void => flow.abort(err);
  let codings: ReturnType<typeof decodingsOf>;
  try {
    codings = decodingsOf(headers.get('content-encoding'));
  } catch (err) {
    return ContentDecoder.failing(sink, err as Error, abort);
  }
  if (codings === null || codings.length === 0) return sink;
  // A buffered body is also bound by maxDecodedBytes (options.ts says why); a streamed one only by maxBodyBytes.
  const capped = buffered && limits.maxDecodedBytes < limits.maxBodyBytes;
  const max = capped ? limits.maxDecodedBytes : limits.maxBodyBytes;
  return new ContentDecoder(sink, codings, max, abort, flow, capped ? 'maxDecodedBytes' : 'maxBodyBytes');
}

/**
 * An error raised before the request URL was resolved, as a ReqivoError
 * naming the method and the input URL — without any credentials it holds.
 */
function stampInput(err: unknown, method: string, input: string | URL): ReqivoError {
  let where = typeof input === 'string' ? input : String(input);
  try {
    where = displayUrl(new URL(where));
  } catch {
    where = where.replace(/\/\/[^/@]*@/, '//');
  }
  if (err instanceof ReqivoError) return attachRequest(err, method, where);
  return new InvalidRequestError(`invalid request options: ${(err as Error)?.message ?? String(err)}`, { cause: err, method, url: where });
}

/** Whether a Connection header value carries the `close` option. */
/**
 * Whether a request whose reused connection died before any response byte
 * may be sent again on a new one: an idempotent method (RFC 9110 §9.2.2,
 * RFC 9112 §9.3.1), or a non-empty `Idempotency-Key` / `X-Idempotency-Key`
 * header — the caller's word that the server de-duplicates it (as Go's
 * net/http reads it). Never any other POST: the server may have acted on it.
 */
function replayable(method: string, headers: Headers): boolean {
  if (IDEMPOTENT_METHODS.has(method)) return true;
  const key = headers.get('idempotency-key') ?? headers.get('x-idempotency-key');
  return key !== null && key !== '';
}

function hasCloseOption(value: string | null): boolean {
  if (value === null) return false;
  for (const token of value.split(',')) if (token.trim().toLowerCase() === 'close') return true;
  return false;
}

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

