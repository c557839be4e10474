/**
 * The cookie jar's storage: cookies in a `Map` keyed by cookie domain, so a
 * request looks up its host and each parent domain (a handful of map reads,
 * however many sites the jar knows); RFC 6265 §5.3 replacement, §5.4 send
 * order, expiry, and the memory bounds (3000 cookies, 50 per domain, least
 * recently used evicted first). No policy here: what may be stored is
 * decided in cookies.ts.
 * @module
 */
import type { StoredCookie } from './cookie-data.js';
import { domainMatch, isIpHost, pathMatch } from './cookie-domains.js';
import { cookieBytes, MAX_COOKIE_BYTES } from './set-cookie.js';

/** Largest number of cookies a jar keeps. */
export const MAX_COOKIES = 3000;
/** Largest number of cookies kept per domain. */
export const MAX_COOKIES_PER_DOMAIN = 50;

/** The stored cookies of one jar, by domain. @internal */
export class CookieStore {
  #byDomain: Map<string, StoredCookie[]>;
  #count: number;
  #seq: number;

  /** An empty store. */
  constructor() {
    this.#byDomain = new Map();
    this.#count = 0;
    this.#seq = 0;
  }

  /** Number of cookies stored, expired ones included until a purge. */
  get count(): number {
    return this.#count;
  }

  /** Cookies for a request to `host` / `reqPath`, removing the expired ones walked past, in §5.4 order. */
  matching(host: string, secure: boolean, reqPath: string, now: number): StoredCookie[] {
    const out: StoredCookie[] = [];
    if (host === '' || this.#count === 0) return out;
    let key = host;
    const ip = isIpHost(host);
    for (;;) {
      const list = this.#byDomain.get(key);
      if (list !== undefined) {
        for (let i = list.length - 1; i >= 0; i--) {
          const c = list[i]!;
          if (c.expires !== null && c.expires <= now) {
            this.#removeAt(key, list, i);
            continue;
          }
          if (c.hostOnly && key !== host) continue;
          if (c.secure && !secure) continue;
          if (!pathMatch(reqPath, c.path)) continue;
          out.push(c);
        }
      }
      if (ip) break;
      const dot = key.indexOf('.');
      if (dot === -1) break;
      key = key.slice(dot + 1);
    }
    if (out.length > 1) out.sort(sendOrder);
    return out;
  }

  /** Every unexpired cookie, oldest first (so a load gives them the same relative order, the send-order tie-break). */
  all(now: number): StoredCookie[] {
    this.purgeExpired(now);
    const all: StoredCookie[] = [];
    for (const list of this.#byDomain.values()) for (const c of list) all.push(c);
    all.sort(creationOrder);
    return all;
  }

  /**
   * 6265bis §5.7 step 23 plus the memory bounds: replace the cookie of the same
   * name, domain, host-only flag and path (keeping its creation time unless
   * `keepTimes`), or only delete it when `cookie` has expired. A host-only
   * cookie and a Domain cookie of one name and host are two cookies.
   * @returns whether `cookie` was stored.
   */
  store(cookie: StoredCookie, now: number, keepTimes = false): boolean {
    const name = cookie.name;
    if (cookieBytes(name, cookie.value) > MAX_COOKIE_BYTES) return false;
    let list = this.#byDomain.get(cookie.domain);
    let old: StoredCookie | null = null;
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const c = list[i]!;
        if (c.name === name && c.path === cookie.path && c.hostOnly === cookie.hostOnly) {
          old = c;
          this.#removeAt(cookie.domain, list, i);
          break;
        }
      }
    }
    if (cookie.expires !== null && cookie.expires <= now) return false;
    if (old !== null && !keepTimes) {
      cookie.creation = old.creation;
      cookie.seq = old.seq;
    } else cookie.seq = ++this.#seq;
    list = this.#byDomain.get(cookie.domain);
    if (list === undefined) {
      list = [];
      this.#byDomain.set(cookie.domain, list);
    } else if (list.length >= MAX_COOKIES_PER_DOMAIN) {
      this.#purgeList(cookie.domain, list, now);
      if (list.length >= MAX_COOKIES_PER_DOMAIN) this.#removeAt(cookie.domain, list, lruIndex(list));
      if (list.length === 0) this.#byDomain.set(cookie.domain, list);
    }
    list.push(cookie);
    this.#count++;
    if (this.#count > MAX_COOKIES) {
      this.purgeExpired(now);
      while (this.#count > MAX_COOKIES) this.#evictGlobalLru(cookie);
    }
    return true;
  }

  /** 6265bis §5.7 step 15: is there a Secure cookie of this name the new cookie would shadow? */
  shadowsSecure(name: string, domain: string, path: string): boolean {
    for (const [key, list] of this.#byDomain) {
      if (!domainMatch(domain, key) && !domainMatch(key, domain)) continue;
      for (const c of list) if (c.secure && c.name === name && pathMatch(path, c.path)) return true;
    }
    return false;
  }

  /**
   * Remove cookies named `name`, only those of exactly `domain` unless it is `null`, and of `path` unless it is `null`.
   * @returns whether any cookie was removed.
   */
  delete(name: string, domain: string | null, path: string | null): boolean {
    let removed = false;
    const buckets = domain !== null ? [domain] : [...this.#byDomain.keys()];
    for (const key of buckets) {
      const list = this.#byDomain.get(key);
      if (list === undefined) continue;
      for (let i = list.length - 1; i >= 0; i--) {
        const c = list[i]!;
        if (c.name === name && (path === null || c.path === path)) {
          this.#removeAt(key, list, i);
          removed = true;
        }
      }
    }
    return removed;
  }

  /** Remove every cookie, or (given a normalised `domain`) those of `domain` and its subdomains. */
  clear(domain?: string): void {
    if (domain === undefined) {
      this.#byDomain.clear();
      this.#count = 0;
      return;
    }
    for (const [key, list] of this.#byDomain) {
      if (key === domain || (key.endsWith(`.${domain}`) && !isIpHost(key))) {
        this.#count -= list.length;
        this.#byDomain.delete(key);
      }
    }
  }

  /** Drop every expired cookie. */
  purgeExpired(now: number): void {
    for (const [key, list] of this.#byDomain) this.#purgeList(key, list, now);
  }

  #removeAt(key: string, list: StoredCookie[], i: number): void {
    list.splice(i, 1);
    this.#count--;
    if (list.length === 0) this.#byDomain.delete(key);
  }

  #purgeList(key: string, list: StoredCookie[], now: number): void {
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i]!.expires;
      if (e !== null && e <= now) this.#removeAt(key, list, i);
    }
  }

  /** Drop the least recently used cookie of the whole jar, never `keep` (the one just stored). */
  #evictGlobalLru(keep: StoredCookie): void {
    let bestKey = '';
    let bestList: StoredCookie[] | null = null;
    let bestIndex = -1;
    for (const [key, list] of this.#byDomain) {
      for (let i = 0; i < list.length; i++) {
        const c = list[i]!;
        if (c === keep) continue;
        const b = bestList === null ? null : bestList[bestIndex]!;
        if (b === null || c.lastAccess < b.lastAccess || (c.lastAccess === b.lastAccess && c.seq < b.seq)) {
          bestKey = key;
          bestList = list;
          bestIndex = i;
        }
      }
    }
    if (bestList === null) return;
    this.#removeAt(bestKey, bestList, bestIndex);
  }
}

/** §5.4 step 2: longer paths first, then earlier creation. */
function sendOrder(a: StoredCookie, b: StoredCookie): number {
  return b.path.length - a.path.length || creationOrder(a, b);
}

function creationOrder(a: StoredCookie, b: StoredCookie): number {
  return a.creation - b.creation || a.seq - b.seq;
}

function lruIndex(list: StoredCookie[]): number {
  let best = 0;
  for (let i = 1; i < list.length; i++) {
    const c = list[i]!;
    const b = list[best]!;
    if (c.lastAccess < b.lastAccess || (c.lastAccess === b.lastAccess && c.seq < b.seq)) best = i;
  }
  return best;
}
