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
 * `'hit'` built by {@link createResponse} from the stored, still
 * content-coded bytes (so decoding and limits apply as for the network, for
 * `session.stream()` too) with an Age header (§5.1). A stale one is
 * revalidated with If-None-Match / If-Modified-Since (§4.3.1); a 304 merges
 * its headers into the stored response (§4.3.4, §3.2) → `'revalidated'`.
 * `stale-while-revalidate` serves `'stale'` and revalidates in the
 * background (one per key, a few at a time, ended by `close()`);
 * `stale-if-error` serves `'stale'` when revalidation fails or answers 5xx
 * (RFC 5861). A non-error response to an unsafe method invalidates the
 * target URI and its same-origin Location / Content-Location (§4.4).
 * Streamed misses are passed through and not stored (the body is the
 * caller's to read, not ours to buffer).
 * @module
 */
import { Headers } from '../http/headers.js';
import type { Timeout } from '../core/deadline.js';
import { Deadline } from '../core/deadline.js';
import type { AnyResponse, Dispatch, Interceptor } from '../core/dispatch.js';
import { PreparedRequest } from '../core/request.js';
import { createResponse } from '../client/respond.js';
import { type CacheStatus, Response, setCacheStatus } from '../client/response.js';
import { type Directives, freshnessLifetime, initialAge, parseCacheControl, seconds, storable } from './cache-control.js';
import type { CacheEntry, CacheStore, StoredResponse } from './cache-store.js';
import { discard } from './discard.js';

/** Most variants (Vary) kept per key. */
const MAX_VARIANTS = 8;
/** Most background revalidations at once; more stale hits just serve stale. */
const MAX_BACKGROUND = 8;
/** Fields never stored (§3.1: hop-by-hop) nor updated by a 304 (§3.2 adds Content-Length). */
const NOT_STORED = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade']);
const NOT_UPDATED = new Set([...NOT_STORED, 'content-length', 'content-encoding', 'content-range', 'set-cookie']);
/** Methods that never invalidate (§4.4: unsafe ones do). */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** A session's cache: the store and the background revalidations it owns. */
export class HttpCache {
  /** Where responses are kept. */
  readonly store: CacheStore;
  /** Timeouts of background revalidations (the session's). */
  readonly timeout: Timeout;
  readonly #pending: Map<string, Promise<void>>;
  readonly #abort: AbortController;

  constructor(store: CacheStore, timeout: Timeout) {
    this.store = store;
    this.timeout = timeout;
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

/** The layer over `cache`. */
export function cacheLayer(cache: HttpCache): Interceptor {
  return (next) => async (req) => {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      const res = await next(req);
      if (!SAFE.has(method) && res.status >= 200 && res.status < 400) await invalidate(cache.store, req, res);
      return mark(res, 'miss');
    }
    const h = req.headers;
    // A caller's own conditional or range request is theirs to interpret: pass it by.
    if (h.has('if-none-match') || h.has('if-modified-since') || h.has('range')) return mark(await next(req), 'miss');
    const reqCc = requestDirectives(h);
    const key = keyOf(method, req.url);
    let entry = 'no-store' in reqCc ? null : lookup(cache.store, key);
    if (entry instanceof Promise) entry = await entry;
    const stored = entry === null ? null : select(entry, h);
    if (stored === null) return fromOrigin(next, cache, req, key, entry, reqCc);

    const { cc, lifetime } = metaOf(stored);
    const age = currentAge(stored, Date.now());
    const reqMaxAge = seconds(reqCc, 'max-age');
    const mustCheck = 'no-cache' in cc || 'no-cache' in reqCc;
    if (!mustCheck && age < lifetime && (reqMaxAge === null || age <= reqMaxAge)) return serve(req, stored, age, 'hit');

    const staleness = age - lifetime;
    const mayServeStale = !mustCheck && !('must-revalidate' in cc);
    const swr = seconds(cc, 'stale-while-revalidate');
    if (mayServeStale && swr !== null && staleness <= swr) {
      cache.background(key, (signal) => revalidateInBackground(next, cache, req, key, stored, signal));
      return serve(req, stored, age, 'stale');
    }
    const sie = seconds(cc, 'stale-if-error') ?? seconds(reqCc, 'stale-if-error');
    const onError = mayServeStale && sie !== null && staleness <= sie;
    let res: AnyResponse;
    try {
      res = await withConditions(req, stored, () => fromOrigin(next, cache, req, key, entry, reqCc));
    } catch (err) {
      if (onError && (req.deadline === null || req.deadline.failure === null)) return serve(req, stored, age, 'stale');
      throw err;
    }
    if (res.status === 304) {
      await discard(res);
      const merged = freshen(stored, res.headers);
      await put(cache.store, key, entry, merged);
      return serve(req, merged, currentAge(merged, Date.now()), 'revalidated');
    }
    if (onError && res.status >= 500 && res.status <= 504) {
      await discard(res);
      return serve(req, stored, age, 'stale');
    }
    return res;
  };
}

/** The entry under `key`; a store that answers synchronously (MemoryCache) costs no extra turn of the event loop. */
function lookup(store: CacheStore, key: string): CacheEntry | null | Promise<CacheEntry | null> {
  const got = store.get(key);
  if (got === undefined || got === null) return null;
  return typeof (got as Promise<CacheEntry>).then === 'function' ? (got as Promise<CacheEntry | null | undefined>).then((e) => e ?? null) : (got as CacheEntry);
}

/** The request's directives (§5.2.1), with `Pragma: no-cache` standing for `no-cache` when there are none (§5.4). */
function requestDirectives(h: Headers): Directives {
  const cc = h.get('cache-control');
  if (cc === null && /(^|,)\s*no-cache\s*(,|$)/i.test(h.get('pragma') ?? '')) return parseCacheControl('no-cache');
  return cc === null ? NO_DIRECTIVES : parseCacheControl(cc);
}
const NO_DIRECTIVES: Directives = Object.freeze(parseCacheControl(null));

/** Store key of a request: method and URL without its fragment (§4: the target URI). */
export function keyOf(method: string, url: string): string {
  const hash = url.indexOf('#');
  return `${method} ${hash === -1 ? url : url.slice(0, hash)}`;
}

/** The first of `list`'s values of `name`, or null. */
function headerOf(list: readonly string[], name: string): string | null {
  const all: string[] = [];
  for (let i = 0; i < list.length; i += 2) if (list[i]!.toLowerCase() === name) all.push(list[i + 1]!);
  return all.length === 0 ? null : all.join(', ');
}

/** A header value as Vary compares it (§4.1: whitespace normalised). */
function normal(v: string | null): string | null {
  return v === null ? null : v.trim().replace(/\s*,\s*/g, ',').replace(/\s+/g, ' ');
}

/** The stored variant whose Vary'd request headers match `h` (§4.1), or null. */
function select(entry: CacheEntry, h: Headers): StoredResponse | null {
  outer: for (const v of entry.variants) {
    const vary = v.vary;
    for (let i = 0; i < vary.length; i += 2) if (normal(h.get(vary[i]!)) !== vary[i + 1]) continue outer;
    return v;
  }
  return null;
}

/** What a stored response's headers say, worked out once per stored object (a hit then parses nothing). */
interface Meta {
  cc: Directives;
  /** Freshness lifetime, s (§4.2.1). */
  lifetime: number;
  /** Age on arrival, s (§4.2.3 corrected_initial_age). */
  initialAge: number;
  /** Whether the body is content-coded. */
  coded: boolean;
  /** Index of the stored Age field's name in the header list, or -1. */
  ageAt: number;
  /** The header list last served, with its Age: hits within the same second share it (a Response copies it before handing out a mutable view). */
  list: string[] | null;
  /** The Age (s) in {@link list}. */
  listAge: number;
}
const META = new WeakMap<StoredResponse, Meta>();

function metaOf(s: StoredResponse): Meta {
  let m = META.get(s);
  if (m === undefined) {
    const h = Headers._fromList(s.headers);
    const cc = parseCacheControl(h.get('cache-control'));
    let ageAt = -1;
    for (let i = 0; i < s.headers.length && ageAt === -1; i += 2) if (s.headers[i]!.toLowerCase() === 'age') ageAt = i;
    m = {
      cc,
      lifetime: freshnessLifetime(s.status, h, cc, s.responseTime),
      initialAge: initialAge(h, s.requestTime, s.responseTime),
      coded: h.has('content-encoding'),
      ageAt,
      list: null,
      listAge: -1,
    };
    META.set(s, m);
  }
  return m;
}

/** Current age in seconds (§4.2.3). */
function currentAge(s: StoredResponse, now: number): number {
  return metaOf(s).initialAge + (now - s.responseTime) / 1000;
}

/** A response from `stored` for `req`, built as one off the wire, with its Age (§5.1). */
function serve(req: PreparedRequest, stored: StoredResponse, age: number, status: CacheStatus): AnyResponse | Promise<AnyResponse> {
  const meta = metaOf(stored);
  const ageSeconds = Math.floor(age);
  let list = meta.list;
  if (list === null || meta.listAge !== ageSeconds) {
    list = stored.headers.slice();
    if (meta.ageAt === -1) list.push('age', String(ageSeconds));
    else list[meta.ageAt + 1] = String(ageSeconds);
    meta.list = list;
    meta.listAge = ageSeconds;
  }
  if (!req.streaming && req.onDownloadProgress === null && !(req.decompress && meta.coded)) {
    // Nothing to decode or report: the buffered Response directly (a hit is then a fraction of a round trip; bench/cache.ts).
    const empty = req.method === 'HEAD' || stored.status === 204 || stored.status === 304;
    return mark(new Response(stored.status, stored.reason, stored.httpVersion, list, req._display, empty ? EMPTY : copyOf(stored.body), req.method), status);
  }
  return createResponse(req, { status: stored.status, reason: stored.reason, httpVersion: stored.httpVersion, headers: Headers._fromList(list), body: stored.body }).then((res) => mark(res, status));
}
const EMPTY = Buffer.alloc(0);

/** The caller's own copy of stored bytes (a change to `res.body` must not reach the store); small ones come from Node's buffer pool. */
function copyOf(body: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(body.byteLength);
  b.set(body);
  return b;
}

function mark(res: AnyResponse, status: CacheStatus): AnyResponse {
  setCacheStatus(res, status);
  return res;
}

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
 * Send `req` on; a buffered response comes back with its body as on the
 * wire (decoding off), is stored when it may be, and is then decoded for
 * the caller as any response would be.
 */
async function fromOrigin(next: Dispatch, cache: HttpCache, req: PreparedRequest, key: string, entry: CacheEntry | null, reqCc: Directives): Promise<AnyResponse> {
  if (req.streaming) return mark(await next(req), 'miss');
  const decompress = req.decompress;
  const requestTime = Date.now();
  req.decompress = false;
  let raw: AnyResponse;
  try {
    raw = await next(req);
  } finally {
    req.decompress = decompress;
  }
  if (raw.status === 304 || !(raw instanceof Response)) return raw;
  const headers = raw._peekHeaders();
  if (storable(raw.status, headers, parseCacheControl(headers.get('cache-control')), reqCc)) {
    await put(cache.store, key, entry, toStored(req, raw, requestTime));
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

function toStored(req: PreparedRequest, res: Response, requestTime: number): StoredResponse {
  const list = res._peekHeaders()._list;
  const headers: string[] = [];
  for (let i = 0; i < list.length; i += 2) if (!NOT_STORED.has(list[i]!.toLowerCase())) headers.push(list[i]!, list[i + 1]!);
  const vary: (string | null)[] = [];
  const v = headerOf(list, 'vary');
  if (v !== null) {
    for (const name of v.split(',')) {
      const n = name.trim().toLowerCase();
      if (n !== '') vary.push(n, normal(req.headers.get(n)));
    }
  }
  const responseTime = Date.now();
  // RFC 9110 §6.6.1: a recipient with a clock caching a response without Date appends one.
  if (headerOf(headers, 'date') === null) headers.push('date', new Date(responseTime).toUTCString());
  return { vary, status: res.status, reason: res.reason, httpVersion: res.httpVersion, headers, body: res.body, requestTime, responseTime };
}

/** `stored` with the headers of a 304 merged in (§4.3.4, §3.2), its clock restarted. */
function freshen(stored: StoredResponse, h: Headers): StoredResponse {
  const merged = Headers._fromList(stored.headers.slice());
  // The stored response is now as old as the 304 says (its own Age, if any, is merged below).
  merged.delete('age');
  const fresh = h._list;
  const seen = new Set<string>();
  for (let i = 0; i < fresh.length; i += 2) {
    const name = fresh[i]!.toLowerCase();
    if (NOT_UPDATED.has(name)) continue;
    if (!seen.has(name)) {
      seen.add(name);
      merged.delete(name);
    }
    merged._list.push(fresh[i]!, fresh[i + 1]!);
  }
  const now = Date.now();
  // A 304 without Date (§6.6.1 of RFC 9110 wants one): the stored Date would make it look as old as the first response.
  if (h.get('date') === null) merged._set('date', new Date(now).toUTCString());
  return { ...stored, headers: merged._list, requestTime: now, responseTime: now };
}

/** Keep `stored` under `key` as the first variant of `entry`, dropping the one it replaces (same Vary'd values). */
async function put(store: CacheStore, key: string, entry: CacheEntry | null, stored: StoredResponse): Promise<void> {
  const same = (v: StoredResponse): boolean => v.vary.length === stored.vary.length && v.vary.every((x, i) => x === stored.vary[i]);
  const others = entry === null ? [] : entry.variants.filter((v) => !same(v));
  await store.set(key, { variants: [stored, ...others].slice(0, MAX_VARIANTS) });
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

/** stale-while-revalidate: a conditional request of our own, its answer stored; the caller already has the stale response. */
async function revalidateInBackground(next: Dispatch, cache: HttpCache, req: PreparedRequest, key: string, stored: StoredResponse, signal: AbortSignal): Promise<void> {
  const deadline = new Deadline(cache.timeout, signal);
  const copy = new PreparedRequest(req.method, req._url, new Headers(req.headers), null, deadline, req.limits, { ...req.options, onDownloadProgress: undefined, signal: null }, false);
  copy._setUrl(req._url, req._display);
  // The cookie layer adds the jar's cookies to the caller's own, as for the request being answered.
  copy.userCookie = req.userCookie;
  copy.hookCookie = req.hookCookie;
  try {
    const res = await withConditions(copy, stored, async () => fromOrigin(next, cache, copy, key, (await cache.store.get(key)) ?? null, parseCacheControl(null)));
    if (res.status === 304) {
      await discard(res);
      await put(cache.store, key, (await cache.store.get(key)) ?? null, freshen(stored, res.headers));
    }
  } finally {
    deadline.finish();
  }
}
