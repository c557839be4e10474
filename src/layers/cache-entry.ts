/**
 * Stored responses of the HTTP cache (RFC 9111): store keys, Vary matching
 * (§4.1), what a stored response's headers say (worked out once), its age
 * (§4.2.3), turning a response into a stored one (§3.1), merging the
 * headers of a 304 or of a HEAD response into it (§4.3.4, §4.3.5), and
 * writing / dropping variants.
 * @module
 */
import { createHash } from 'node:crypto';
import { Headers } from '../http/headers.js';
import type { PreparedRequest } from '../core/request.js';
import { type Directives, freshnessLifetime, initialAge, parseCacheControl } from './cache-control.js';
import type { CacheEntry, CacheStore, StoredResponse } from './cache-store.js';

/** Most variants (Vary) kept per key. */
const MAX_VARIANTS = 8;
/** Fields never stored (§3.1: hop-by-hop, and the proxy's own authentication fields) nor updated by a 304 (§3.2 adds Content-Length). */
const NOT_STORED = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authentication-info', 'proxy-authorization']);
const NOT_UPDATED = new Set([...NOT_STORED, 'content-length', 'content-encoding', 'content-range', 'set-cookie']);

/** Store key of a request: method and URL without its fragment (§4: the target URI). */
export function keyOf(method: string, url: string): string {
  if (method === 'GET') {
    // The same key string again for the same URL: a store's Map hashes a string once (a fresh concatenation every time costs a hit more than the rest of the lookup).
    const memo = GET_KEYS.get(url);
    if (memo !== undefined) return memo;
  }
  const hash = url.indexOf('#');
  let target = hash === -1 ? url : url.slice(0, hash);
  // Credentials in the URL never reach a store (a store may persist or log its keys): their digest keeps users apart instead.
  const m = USERINFO.exec(target);
  if (m !== null) target = `${m[1]}~${createHash('sha256').update(m[2]!).digest('base64url').slice(0, 22)}@${target.slice(m[0].length)}`;
  const key = `${method} ${target}`;
  if (method === 'GET') {
    if (GET_KEYS.size >= MAX_MEMO_KEYS) GET_KEYS.clear();
    GET_KEYS.set(url, key);
  }
  return key;
}
/** The scheme and userinfo of an absolute URL that has userinfo. */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i;
/** GET keys of recent URLs (bounded: cleared when full). */
const GET_KEYS = new Map<string, string>();
const MAX_MEMO_KEYS = 512;

/** The values of `name` (lower-case) in a flat list, joined, or null. */
export function headerOf(list: readonly string[], name: string): string | null {
  let out: string | null = null;
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i]!;
    if (n.length === name.length && n.toLowerCase() === name) out = out === null ? list[i + 1]! : `${out}, ${list[i + 1]!}`;
  }
  return out;
}

/** A header value as Vary compares it (§4.1: whitespace normalised). */
export function normal(v: string | null): string | null {
  return v === null ? null : v.trim().replace(/\s*,\s*/g, ',').replace(/\s+/g, ' ');
}

/** The entry under `key`; a store that answers synchronously (MemoryCache) costs no extra turn of the event loop. */
export function lookup(store: CacheStore, key: string): CacheEntry | null | Promise<CacheEntry | null> {
  const got = store.get(key);
  if (got === undefined || got === null) return null;
  return typeof (got as Promise<CacheEntry>).then === 'function' ? (got as Promise<CacheEntry | null | undefined>).then((e) => e ?? null) : (got as CacheEntry);
}

/**
 * The stored variant whose Vary'd request headers match `h` (§4.1), or null.
 * `cookie`, when given, is the Cookie the request will carry (the jar's
 * cookies are added after the cache, so `h` does not have them yet).
 */
export function select(entry: CacheEntry, h: Headers, cookie?: () => string | null): StoredResponse | null {
  outer: for (const v of entry.variants) {
    const vary = v.vary;
    for (let i = 0; i < vary.length; i += 2) {
      const name = vary[i]!;
      if (normal(cookie !== undefined && name === 'cookie' ? cookie() : h.get(name)) !== vary[i + 1]) continue outer;
    }
    return v;
  }
  return null;
}

/** What a stored response's headers say, worked out once per stored object (a hit then parses nothing). */
export interface Meta {
  cc: Directives;
  /** Whether `cc` has no-cache (looked up on every hit). */
  noCache: boolean;
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

/** The {@link Meta} of `s`. */
export function metaOf(s: StoredResponse): Meta {
  let m = META.get(s);
  if (m === undefined) {
    const h = Headers._fromList(s.headers);
    const cc = parseCacheControl(h.get('cache-control'));
    let ageAt = -1;
    for (let i = 0; i < s.headers.length && ageAt === -1; i += 2) if (s.headers[i]!.toLowerCase() === 'age') ageAt = i;
    m = {
      cc,
      noCache: 'no-cache' in cc,
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
export function currentAge(s: StoredResponse, now: number): number {
  return metaOf(s).initialAge + (now - s.responseTime) / 1000;
}

/** A response as stored (§3.1: no hop-by-hop fields; a Date supplied when missing), its Vary'd request headers taken from `req` now. */
export function toStored(req: PreparedRequest, status: number, reason: string, httpVersion: string, list: readonly string[], body: Uint8Array, requestTime: number): StoredResponse {
  const headers: string[] = [];
  // §3.1, RFC 9110 §7.6.1: the fields Connection names are this hop's, as Connection itself.
  const connection = headerOf(list, 'connection');
  const hop = connection === null ? null : new Set(connection.split(',').map((n) => n.trim().toLowerCase()));
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i]!.toLowerCase();
    if (!NOT_STORED.has(n) && (hop === null || !hop.has(n))) headers.push(list[i]!, list[i + 1]!);
  }
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
  return { vary, status, reason, httpVersion, headers, body, requestTime, responseTime };
}

/** `stored` with the headers of a 304 (or of a 200 to HEAD, §4.3.5) merged in (§4.3.4, §3.2), its clock restarted. */
export function freshen(stored: StoredResponse, h: Headers): StoredResponse {
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

/**
 * Whether a 304's validators name `stored` (§4.3.4): its ETag matches the
 * stored one by weak comparison (RFC 9110 §8.8.3.2), or, without an ETag,
 * its Last-Modified is the stored one. A 304 naming another representation
 * must not update it. One with neither validator is taken as this one's
 * (§4.3.4 reads it so only for a stored response without validators; a
 * 304 that leaves out the ETag it should repeat is common enough).
 */
export function identifies(stored: StoredResponse, h: Headers): boolean {
  const etag = h.get('etag');
  if (etag !== null) {
    const mine = headerOf(stored.headers, 'etag');
    return mine !== null && opaqueTag(mine) === opaqueTag(etag);
  }
  const lm = h.get('last-modified');
  const mine = lm === null ? null : headerOf(stored.headers, 'last-modified');
  return lm === null || mine === null || lm.trim() === mine.trim();
}

/** An entity tag without its weakness indicator, for weak comparison. */
function opaqueTag(tag: string): string {
  const t = tag.trim();
  return t.startsWith('W/') ? t.slice(2) : t;
}

/** Whether two variants are for the same Vary'd request header values. */
function sameVariant(a: StoredResponse, b: StoredResponse): boolean {
  return a.vary.length === b.vary.length && a.vary.every((x, i) => x === b.vary[i]);
}

/**
 * Keep `stored` under `key` as its first variant, dropping the one it
 * replaces (same Vary'd values). The entry is read again here, so variants
 * stored while the response was on its way are kept. A synchronous store
 * is written before this returns.
 */
export function put(store: CacheStore, key: string, stored: StoredResponse): Promise<void> {
  const write = (entry: CacheEntry | null): Promise<void> => {
    const others = entry === null ? [] : entry.variants.filter((v) => !sameVariant(v, stored));
    return Promise.resolve(store.set(key, { variants: [stored, ...others].slice(0, MAX_VARIANTS) })).then(() => {});
  };
  const entry = lookup(store, key);
  return entry instanceof Promise ? entry.then(write) : write(entry);
}

/** Forget the variant `stored` under `key` (the whole key when it was the only one). */
export async function drop(store: CacheStore, key: string, stored: StoredResponse): Promise<void> {
  const entry = await lookup(store, key);
  if (entry === null) return;
  const others = entry.variants.filter((v) => !sameVariant(v, stored));
  if (others.length === 0) await store.delete(key);
  else await store.set(key, { variants: others });
}

/**
 * §4.3.5: a 200 to HEAD updates the stored GET response it could have
 * been (its headers merged as a 304's), or invalidates it when its
 * Content-Length, ETag or Last-Modified say it is another representation.
 */
export async function updateFromHead(store: CacheStore, req: PreparedRequest, h: Headers): Promise<void> {
  const key = keyOf('GET', req.url);
  const entry = await lookup(store, key);
  const stored = entry === null ? null : select(entry, req.headers);
  if (stored === null) return;
  for (const name of ['content-length', 'etag', 'last-modified']) {
    const v = h.get(name);
    if (v !== null && headerOf(stored.headers, name) !== v) {
      await drop(store, key, stored);
      return;
    }
  }
  await put(store, key, freshen(stored, h));
}
