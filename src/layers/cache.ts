/**
 * The HTTP cache layer (RFC 9111, a private cache).
 *
 * Where it sits: `… digest → cache → cookies → stale → interceptors… →
 * transport`. It sees every hop (inside redirects and retries), so a stored
 * 301 is served for its hop and each retry attempt may be answered from the
 * store; it is outside the interceptors, so an interceptor's or MockAgent's
 * answer is cached like one from the network; and it is outside the cookie
 * layer, so a hit — which goes nowhere — neither sends cookies nor applies
 * the stored response's Set-Cookie again (§3.1 lets a cache store
 * Set-Cookie; a private cache replaying it would repeat the cookie state
 * change), while a 304 or a miss does pass its own Set-Cookie to the jar.
 *
 * What it does: only GET and HEAD are looked up and stored (keys: method +
 * URL without fragment; Vary picks a variant, §4.1). A fresh response is a
 * `'hit'` with an Age header (§5.1), built straight from the stored entry
 * when there is nothing to decode or stream, else by createResponse from
 * the stored, still content-coded bytes (so decoding and limits apply as
 * for the network, for `session.stream()` too) — cache-serve.ts. A stale one is
 * revalidated with If-None-Match / If-Modified-Since (§4.3.1); a 304 merges
 * its headers into the stored response (§4.3.4, §3.2) → `'revalidated'`.
 * `stale-while-revalidate` serves `'stale'` and revalidates in the
 * background (one per key, a few at a time, ended by `close()`);
 * `stale-if-error` serves `'stale'` when revalidation fails or answers 5xx
 * (RFC 5861). A non-error response to an unsafe method invalidates the
 * target URI and its same-origin Location / Content-Location (§4.4).
 * Request directives (§5.2.1): `no-cache`, `no-store`, `max-age`,
 * `max-stale`, `min-fresh`, `only-if-cached` (a 504 made here when nothing
 * stored fits); response `immutable` (RFC 8246) is served while fresh
 * even to a reload's `max-age=0`. A HEAD is answered from a stored GET,
 * and a 200 to HEAD updates (or invalidates) the stored GET (§4.3.5). One
 * byte range is cut from a fresh stored complete response (cache-range.ts);
 * other Range requests and a caller's own conditional requests pass by (a
 * 206 is never stored). A streamed miss is stored once its whole body came
 * through (cache-tee.ts).
 * @module
 */
import { Headers } from '../http/headers.js';
import type { CookieJar } from '../client/cookies.js';
import type { Timeout } from '../core/deadline.js';
import { Deadline } from '../core/deadline.js';
import type { AnyResponse, Dispatch, Interceptor } from '../core/dispatch.js';
import { PreparedRequest } from '../core/request.js';
import { bodyTaps } from '../core/sink.js';
import { createResponse } from '../client/respond.js';
import { Response } from '../client/response.js';
import { type Directives, parseCacheControl, seconds, storable } from './cache-control.js';
import { currentAge, freshen, headerOf, identifies, keyOf, lookup, metaOf, put, select, toStored, updateFromHead } from './cache-entry.js';
import { byteRange, rangeable, serveRange } from './cache-range.js';
import { gatewayTimeout, mark, serve } from './cache-serve.js';
import { type CacheStore, MemoryCache, type StoredResponse } from './cache-store.js';
import { storeStream } from './cache-tee.js';
import { cookieHeaderFor } from './cookies.js';
import { discard } from './discard.js';

export { keyOf } from './cache-entry.js';

/** Most background revalidations at once; more stale hits just serve stale. */
const MAX_BACKGROUND = 8;
/** Methods that never invalidate (§4.4: unsafe ones do). */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** A session's cache: the store and the background revalidations it owns. */
export class HttpCache {
  /** Where responses are kept. */
  readonly store: CacheStore;
  /** Timeouts of background revalidations (the session's). */
  readonly timeout: Timeout;
  /** Most wire bytes of a streamed body copied for the store: a MemoryCache's maxBytes (it keeps nothing larger). */
  readonly maxEntryBytes: number;
  readonly #pending: Map<string, Promise<void>>;
  readonly #abort: AbortController;

  constructor(store: CacheStore, timeout: Timeout) {
    this.store = store;
    this.timeout = timeout;
    this.maxEntryBytes = store instanceof MemoryCache ? store.maxBytes : Number.POSITIVE_INFINITY;
    this.#pending = new Map();
    this.#abort = new AbortController();
  }

  /** Run `work` for `key` in the background unless it already runs, too many do, or the cache is closed. */
  background(key: string, work: (signal: AbortSignal) => Promise<void>): void {
    if (this.#abort.signal.aborted || this.#pending.has(key) || this.#pending.size >= MAX_BACKGROUND) return;
    const p = work(this.#abort.signal)
      .catch(() => {}) // a failed background revalidation leaves the stale entry as it was
      .finally(() => this.#pending.delete(key));
    this.#pending.set(key, p);
  }

  /** Abort background revalidations and wait for them to end. */
  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#pending.values());
  }
}

/** The layer over `cache`; `jar` is the session's, whose cookies the cookie layer (inside this one) adds to each request. */
export function cacheLayer(cache: HttpCache, jar: CookieJar | null = null): Interceptor {
  return (next) => async (req) => {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      const res = await next(req);
      if (!SAFE.has(method) && res.status >= 200 && res.status < 400) await invalidate(cache.store, req, res);
      return mark(res, 'miss');
    }
    const view = requestView(req.headers._list);
    // A caller's own conditional request is theirs to interpret: pass it by (nothing served, nothing stored).
    if (view === PASS) return mark(await next(req), 'miss');
    if (view instanceof RangeView) return ranged(next, cache, req, view, jar);
    const reqCc = view === null ? NO_DIRECTIVES : parseCacheControl(view);
    const store = cache.store;
    const key = keyOf(method, req.url);
    // Where `stored` came from: a HEAD may be answered from the stored GET.
    let storedKey = key;
    let stored: StoredResponse | null = null;
    if (!('no-store' in reqCc)) {
      const cookie = sentCookie(jar, req);
      let entry = lookup(store, key);
      if (entry instanceof Promise) entry = await entry;
      stored = entry === null ? null : select(entry, req.headers, cookie);
      if (method === 'HEAD') {
        const getKey = keyOf('GET', req.url);
        let g = lookup(store, getKey);
        if (g instanceof Promise) g = await g;
        const got = g === null ? null : select(g, req.headers, cookie);
        if (got !== null && (stored === null || got.responseTime >= stored.responseTime)) {
          stored = got;
          storedKey = getKey;
        }
      }
    }
    if (stored === null) return 'only-if-cached' in reqCc ? gatewayTimeout(req) : fromOrigin(next, cache, req, key, reqCc);

    const meta = metaOf(stored);
    const age = currentAge(stored, Date.now());
    const remaining = meta.lifetime - age;
    // The common hit: fresh, and a request that asks nothing of the cache.
    if (reqCc === NO_DIRECTIVES && remaining > 0 && !meta.noCache) return serve(req, stored, age, 'hit');
    if (usable(stored, age, reqCc)) return serve(req, stored, age, 'hit');
    const cc = meta.cc;
    const noCache = meta.noCache || 'no-cache' in reqCc;
    const maxAge = seconds(reqCc, 'max-age');
    const young = maxAge === null || age <= maxAge;

    const staleness = -remaining;
    const mayServeStale = !noCache && staleness >= 0 && !('must-revalidate' in cc);
    // §5.2.1.2: max-stale (without a value: any staleness) takes a stale response as it is.
    const maxStale = reqCc['max-stale'] === '' ? Number.POSITIVE_INFINITY : seconds(reqCc, 'max-stale');
    if (mayServeStale && young && maxStale !== null && staleness <= maxStale) return serve(req, stored, age, 'stale');
    const offline = 'only-if-cached' in reqCc;
    const swr = seconds(cc, 'stale-while-revalidate');
    if (mayServeStale && young && swr !== null && staleness <= swr) {
      if (!offline) cache.background(storedKey, (signal) => revalidateInBackground(next, cache, req, storedKey === key ? method : 'GET', storedKey, stored, signal));
      return serve(req, stored, age, 'stale');
    }
    if (offline) return gatewayTimeout(req);
    const sie = seconds(cc, 'stale-if-error') ?? seconds(reqCc, 'stale-if-error');
    const onError = mayServeStale && sie !== null && staleness <= sie;
    let res: AnyResponse;
    try {
      res = await withConditions(req, stored, () => fromOrigin(next, cache, req, key, reqCc));
    } catch (err) {
      if (onError && (req.deadline === null || req.deadline.failure === null)) return serve(req, stored, age, 'stale');
      throw err;
    }
    if (res.status === 304) {
      await discard(res);
      const h = res._peekHeaders();
      // §4.3.4: a 304 whose validator names another representation updates nothing; the request is asked again, unconditionally.
      if (!identifies(stored, h)) return fromOrigin(next, cache, req, key, reqCc);
      const merged = freshen(stored, h);
      await put(store, storedKey, merged);
      return serve(req, merged, currentAge(merged, Date.now()), 'revalidated');
    }
    if (onError && res.status >= 500 && res.status <= 504) {
      await discard(res);
      return serve(req, stored, age, 'stale');
    }
    return res;
  };
}

/**
 * Whether `stored`, `age` s old, may be served as it is to a request with
 * `reqCc`: fresh, young enough for its max-age and fresh for min-fresh
 * more seconds. RFC 8246: an immutable response is not revalidated while
 * fresh, even by a reload's max-age=0 (a forced reload's no-cache is).
 */
function usable(stored: StoredResponse, age: number, reqCc: Directives): boolean {
  const meta = metaOf(stored);
  const remaining = meta.lifetime - age;
  if (meta.noCache || 'no-cache' in reqCc || remaining <= 0) return false;
  const maxAge = seconds(reqCc, 'max-age');
  return (maxAge === null || age <= maxAge || 'immutable' in meta.cc) && remaining > (seconds(reqCc, 'min-fresh') ?? 0);
}

/**
 * A Range request: one byte range of a fresh stored complete GET response
 * is cut from it (cache-range.ts); anything else goes to the origin and is
 * not stored.
 */
async function ranged(next: Dispatch, cache: HttpCache, req: PreparedRequest, view: RangeView, jar: CookieJar | null): Promise<AnyResponse> {
  const reqCc = view.cc === null ? NO_DIRECTIVES : parseCacheControl(view.cc);
  if (req.method === 'GET' && !('no-store' in reqCc)) {
    let entry = lookup(cache.store, keyOf('GET', req.url));
    if (entry instanceof Promise) entry = await entry;
    const stored = entry === null ? null : select(entry, req.headers, sentCookie(jar, req));
    if (stored !== null && rangeable(stored)) {
      const age = currentAge(stored, Date.now());
      const range = byteRange(view.range, stored.body.byteLength);
      if (range !== null && usable(stored, age, reqCc)) return serveRange(req, stored, age, range);
    }
  }
  return mark(await next(req), 'miss');
}

/**
 * The Cookie `req` will carry — the caller's plus the jar's, as the cookie
 * layer inside this one will set it — for matching `Vary: Cookie` (§4.1);
 * undefined without a jar (the request's own header is all there is).
 */
function sentCookie(jar: CookieJar | null, req: PreparedRequest): (() => string | null) | undefined {
  if (jar === null) return undefined;
  return () => {
    const v = cookieHeaderFor(jar, req, req._url);
    return v === '' ? null : v;
  };
}

/** {@link requestView}'s answer for a request the cache passes by. */
const PASS = 1;
/** {@link requestView}'s answer for a Range request (without If-Range or other conditionals). */
class RangeView {
  readonly range: string;
  readonly cc: string | null;
  constructor(range: string, cc: string | null) {
    this.range = range;
    this.cc = cc;
  }
}
const NO_CACHE_PRAGMA = /(^|,)\s*no-cache\s*(,|$)/i;

/**
 * What the request's own fields ask of the cache, in one pass over its
 * list: {@link PASS} for a conditional or Range request of the caller's
 * own, else its Cache-Control — `Pragma: no-cache` standing for
 * `no-cache` when there is none (§5.4) — or null.
 */
function requestView(list: readonly string[]): string | null | typeof PASS | RangeView {
  let cc: string | null = null;
  let pragma = false;
  let range: string | null = null;
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i]!;
    switch (n.length) {
      case 5:
        if (n.toLowerCase() === 'range') range = range === null ? list[i + 1]! : `${range},${list[i + 1]!}`;
        break;
      case 6:
        if (n.toLowerCase() === 'pragma' && NO_CACHE_PRAGMA.test(list[i + 1]!)) pragma = true;
        break;
      case 8: {
        const l = n.toLowerCase();
        if (l === 'if-range' || l === 'if-match') return PASS;
        break;
      }
      case 13: {
        const l = n.toLowerCase();
        if (l === 'if-none-match') return PASS;
        if (l === 'cache-control') cc = cc === null ? list[i + 1]! : `${cc}, ${list[i + 1]!}`;
        break;
      }
      case 17:
        if (n.toLowerCase() === 'if-modified-since') return PASS;
        break;
      case 19:
        if (n.toLowerCase() === 'if-unmodified-since') return PASS;
        break;
      default:
    }
  }
  const directives = cc ?? (pragma ? 'no-cache' : null);
  return range === null ? directives : new RangeView(range, directives);
}
const NO_DIRECTIVES: Directives = Object.freeze(parseCacheControl(null));

/** Run `send` with the validators of `stored` on `req` (§4.3.1), taking them off again after. */
async function withConditions<T>(req: PreparedRequest, stored: StoredResponse, send: () => Promise<T>): Promise<T> {
  const etag = headerOf(stored.headers, 'etag');
  const lastModified = headerOf(stored.headers, 'last-modified');
  if (etag !== null) req.headers._set('if-none-match', etag);
  if (lastModified !== null) req.headers._set('if-modified-since', lastModified);
  try {
    return await send();
  } finally {
    req.headers.delete('if-none-match');
    req.headers.delete('if-modified-since');
  }
}

/**
 * Send `req` on. A buffered response comes back with its body as on the
 * wire (decoding off), is stored when it may be, and is then decoded for
 * the caller as any response would be; a streamed one is stored through a
 * tap as its body comes through (cache-tee.ts). A 200 to HEAD updates the
 * stored GET (§4.3.5).
 */
async function fromOrigin(next: Dispatch, cache: HttpCache, req: PreparedRequest, key: string, reqCc: Directives): Promise<AnyResponse> {
  if (req.streaming) {
    const tap = 'no-store' in reqCc ? null : storeStream(cache.store, key, req, reqCc, Math.min(cache.maxEntryBytes, req.limits.maxBodyBytes));
    if (tap !== null) bodyTaps.set(req, tap);
    let res: AnyResponse;
    try {
      res = await next(req);
    } finally {
      bodyTaps.delete(req);
    }
    if (req.method === 'HEAD' && res.status === 200) await updateFromHead(cache.store, req, res._peekHeaders());
    return mark(res, 'miss');
  }
  const decompress = req.decompress;
  const requestTime = Date.now();
  req.decompress = false;
  let raw: AnyResponse;
  try {
    raw = await next(req);
  } finally {
    req.decompress = decompress;
  }
  // A 304 (the layer's own revalidation looks at it; any other came from the origin as it is) is a miss all the same.
  if (raw.status === 304 || !(raw instanceof Response)) return mark(raw, 'miss');
  const headers = raw._peekHeaders();
  if (req.method === 'HEAD' && raw.status === 200) await updateFromHead(cache.store, req, headers);
  if (storable(raw.status, headers, parseCacheControl(headers.get('cache-control')), reqCc)) {
    await put(cache.store, key, toStored(req, raw.status, raw.reason, raw.httpVersion, headers._list, raw.body, requestTime));
  }
  if (!decompress || !headers.has('content-encoding')) return mark(raw, 'miss');
  const res = await createResponse(shadow(req), { status: raw.status, reason: raw.reason, httpVersion: raw.httpVersion, headers: Headers._fromList(headers._list.slice()), body: raw.body });
  res.redirects = raw.redirects;
  return mark(res, 'miss');
}

/** A copy of `req` to decode a body already received: the caller's download progress was reported once, on the wire. */
function shadow(req: PreparedRequest): PreparedRequest {
  const copy = new PreparedRequest(req.method, req._url, req.headers, null, req.deadline, req.limits, { ...req.options, onDownloadProgress: undefined }, req.streaming);
  copy._setUrl(req._url, req._display);
  copy.decompress = req.decompress;
  return copy;
}

/** §4.4: forget the target URI and the same-origin Location / Content-Location of a non-error response to an unsafe method. */
async function invalidate(store: CacheStore, req: PreparedRequest, res: AnyResponse): Promise<void> {
  const targets = [req.url];
  const h = res instanceof Response ? res._peekHeaders() : res.headers;
  for (const name of ['location', 'content-location']) {
    const v = h.get(name);
    if (v === null) continue;
    try {
      const u = new URL(v, req._url);
      if (u.origin === req._url.origin) targets.push(u.href);
    } catch {
      // not a URL: nothing to invalidate
    }
  }
  for (const t of targets) {
    await store.delete(keyOf('GET', t));
    await store.delete(keyOf('HEAD', t));
  }
}

/**
 * stale-while-revalidate: a conditional request of our own (a GET when the
 * stored response is a GET's that answered a HEAD), its answer stored; the
 * caller already has the stale response.
 */
async function revalidateInBackground(next: Dispatch, cache: HttpCache, req: PreparedRequest, method: string, key: string, stored: StoredResponse, signal: AbortSignal): Promise<void> {
  const deadline = new Deadline(cache.timeout, signal);
  const copy = new PreparedRequest(method, req._url, new Headers(req.headers), null, deadline, req.limits, { ...req.options, onDownloadProgress: undefined, signal: null }, false);
  copy._setUrl(req._url, req._display);
  // The cookie layer adds the jar's cookies to the caller's own, as for the request being answered.
  copy.userCookie = req.userCookie;
  copy.hookCookie = req.hookCookie;
  try {
    const res = await withConditions(copy, stored, () => fromOrigin(next, cache, copy, key, NO_DIRECTIVES));
    if (res.status === 304) {
      await discard(res);
      if (identifies(stored, res._peekHeaders())) await put(cache.store, key, freshen(stored, res._peekHeaders()));
    }
  } finally {
    deadline.finish();
  }
}
