/**
 * The redirect layer. Rules of RFC 9110 §15.4 — which statuses redirect,
 * how the method and body change, what is stripped when the origin
 * changes — and the loop that follows them: each hop goes through the
 * layers inside (retries, auth, cookies, interceptors) as a request of its
 * own. Bounded by `maxRedirects` (TooManyRedirects); a hop that repeats an
 * earlier one with the same cookies is a RedirectLoopError.
 * @module
 */
import { InvalidRequestError, InvalidResponseError, RedirectLoopError, RequestError, redactCause, redactUrl, TooManyRedirects } from '../errors.js';
import type { Headers } from '../http/headers.js';
import type { CookieJar } from '../client/cookies.js';
import { displayUrl, originKey } from '../client/url.js';
import type { AnyResponse, Dispatch, Interceptor } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import { cookieHeaderFor } from './cookies.js';
import { discard } from './discard.js';
import { type Hooks, runHooks } from './hooks.js';

/** Statuses that redirect when they carry a Location. */
export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * Headers never forwarded to another origin: credentials, and a Host the
 * caller set, which names the first origin (RFC 9110 §7.2: Host is the
 * authority of the target URI; the next hop's comes from its URL).
 */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization', 'host'];
/** Headers describing a body, dropped when the redirect turns the request into a GET. */
const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding', 'content-encoding', 'content-language', 'content-location'];

/** What the next hop of a redirect looks like. */
export interface RedirectStep {
  /** URL to request next. */
  url: URL;
  /** Method to use. */
  method: string;
  /** Whether the body is dropped. */
  dropBody: boolean;
  /** Whether the origin (scheme, host, port) changed. */
  crossOrigin: boolean;
}

/**
 * Work out the next hop for a redirect response, or throw:
 * InvalidRequestError for an unusable Location, RequestError for an
 * https → http downgrade unless `allowInsecure`.
 */
export function nextHop(from: URL, method: string, status: number, location: string, allowInsecure: boolean): RedirectStep {
  // The URL parser silently drops tabs and newlines (`java\tscript:`, `/a\nb`): a Location holding any
  // control character is no URI reference (RFC 3986 §2) and is refused rather than guessed at.
  if (/[\u0000-\u001f\u007f]/.test(location)) {
    throw new InvalidRequestError(`redirect to a Location with control characters ${JSON.stringify(redactUrl(location))}`);
  }
  let url: URL;
  try {
    // Location may carry raw non-ASCII bytes decoded as latin1; re-encode them as UTF-8 per browsers.
    url = new URL(Buffer.from(location, 'latin1').toString('utf8'), from);
  } catch (err) {
    throw new InvalidRequestError(`redirect to an invalid Location ${JSON.stringify(redactUrl(location))}`, { cause: redactCause(err) });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidRequestError(`redirect to unsupported scheme ${JSON.stringify(url.protocol)}`);
  }
  if (from.protocol === 'https:' && url.protocol === 'http:' && !allowInsecure) {
    throw new RequestError(`refusing to follow a redirect from https to http (${displayUrl(url)}); set allowInsecureRedirects to allow it`);
  }
  // A fragment is never sent and res.url carries none (as fetch's Response.url excludes it): Location's is dropped.
  url.hash = '';
  let next = method;
  let dropBody = false;
  if (status === 303) {
    if (method !== 'HEAD') next = 'GET';
    dropBody = true;
  } else if ((status === 301 || status === 302) && method === 'POST') {
    // The historic behaviour RFC 9110 §15.4.2/3 allows, and Fetch requires: only POST becomes GET.
    next = 'GET';
    dropBody = true;
  }
  if (method === 'GET' || method === 'HEAD') dropBody = true;
  return { url, method: next, dropBody, crossOrigin: originKey(from) !== originKey(url) };
}

/** Remove what must not follow the request to its next hop. */
function stripForRedirect(headers: Headers, step: RedirectStep): void {
  if (step.crossOrigin) for (const h of CREDENTIAL_HEADERS) headers.delete(h);
  if (step.dropBody) for (const h of BODY_HEADERS) headers.delete(h);
}

/**
 * The layer, composed for requests that follow redirects; `maxRedirects` is
 * the session's (a request's option overrides it), `jar` tells which cookies
 * the next hop would carry (a loop is the same hop with the same cookies).
 */
export function redirectLayer(maxRedirects: number, jar: CookieJar | null, hooks: Hooks): Interceptor {
  // No redirect (the common case) costs one `then`; the loop and its bookkeeping start at the first one.
  return (next) => (req) => next(req).then((res) => (locationOf(res) === null ? res : follow(next, req, res, maxRedirects, jar, hooks)));
}

/** The Location of a redirect response, or null when `res` does not redirect. */
function locationOf(res: AnyResponse): string | null {
  return isRedirect(res.status) ? res._peekHeaders().get('location') : null;
}

/** Follow the redirect `first` and every one after it; resolves to the first response that does not redirect. */
async function follow(next: Dispatch, req: PreparedRequest, first: AnyResponse, maxRedirects: number, jar: CookieJar | null, hooks: Hooks): Promise<AnyResponse> {
  const opts = req.options;
  const max = opts.maxRedirects ?? maxRedirects;
  const chain: string[] = [];
  const seen = new Set<string>();
  let res = first;
  let location = locationOf(res);
  while (location !== null) {
    const from = req._url;
    let step: RedirectStep;
    try {
      // Location is a singleton (RFC 9110 §10.2.2): two different ones are a broken or smuggled response, not one
      // to pick from (joined, they would even read as one relative reference).
      const all = res._peekHeaders().getAll('location');
      if (all.length > 1 && all.some((v) => v !== all[0])) throw new InvalidResponseError(`the ${res.status} redirect has ${all.length} different Location fields`);
      if (chain.length >= max) throw new TooManyRedirects(`exceeded maxRedirects (${max}); last Location ${redactUrl(location)}`);
      step = nextHop(from, req.method, res.status, location, opts.allowInsecureRedirects === true);
      if (!step.dropBody && !req.canResend()) {
        throw new RequestError(`cannot follow the ${res.status} redirect: the request body is a one-shot stream that cannot be replayed`);
      }
    } finally {
      await discard(res);
    }
    seen.add(loopKey(req.method, from, req.headers.get('cookie') ?? ''));
    chain.push(req._display);
    if (step.dropBody) req._setBody(null);
    stripForRedirect(req.headers, step);
    if (step.crossOrigin) {
      // The caller's and the hooks' Cookie headers were for the first origin.
      req.userCookie = null;
      req.hookCookie = null;
    }
    req.method = step.method;
    req._setUrl(step.url);
    req.hops++;
    const cookie = jar !== null ? cookieHeaderFor(jar, req, step.url) : (req.headers.get('cookie') ?? '');
    if (seen.has(loopKey(step.method, step.url, cookie))) {
      throw new RedirectLoopError(`redirect loop: ${req._display} was already requested in this chain`);
    }
    if (hooks.beforeRedirect.length > 0) await runHooks('beforeRedirect', hooks.beforeRedirect, req, res);
    res = await next(req);
    location = locationOf(res);
  }
  res.redirects = chain;
  return res;
}

function loopKey(method: string, url: URL, cookie: string): string {
  return `${method} ${url.href} ${cookie}`;
}
