/**
 * An RFC 6265 cookie jar with the RFC 6265bis hardening browsers ship:
 * Secure cookies only from secure origins and never overwritten from insecure
 * ones, `__Secure-` / `__Host-` prefixes, a 400-day cap on server lifetimes,
 * and bounded memory (3000 cookies, 50 per domain, 4096 bytes per cookie).
 * No cookie is scoped to a public suffix (`co.il`, `github.io`): Domain
 * attributes are checked against the full Public Suffix List.
 *
 * Cookies live in a `Map` keyed by cookie domain; a request looks up its
 * host and each parent domain, so a lookup costs a handful of map reads no
 * matter how many sites the jar knows. Time comes from an injectable clock.
 *
 * SameSite is parsed and stored but not enforced: a client has no
 * "site for cookies" the way a browser tab has, so every matching cookie is
 * sent, as curl and Python's http.cookiejar do.
 * @module
 */
import { InvalidRequestError, redactCause, redactUrl } from '../errors.js';
import type { Headers } from '../http/headers.js';
import { canonicalDomain, defaultPath, domainMatch, isIpHost, normaliseDomainArg, pathMatch, urlHostname } from './cookie-domains.js';
import { isPublicSuffix } from './public-suffixes.js';
import { cookieBytes, MAX_COOKIE_BYTES, parseCookieDate, parseSetCookie, type SameSite } from './set-cookie.js';

export { MAX_COOKIE_BYTES, parseCookieDate, type SameSite };

/** A cookie as a plain object: what {@link CookieJar.getCookies} and {@link CookieJar.toJSON} return and {@link CookieJar.load} accepts. */
export interface CookieData {
  /** Cookie name (may be empty for a nameless cookie, RFC 6265bis). */
  name: string;
  /** Cookie value, verbatim (quotes included if the server sent them). */
  value: string;
  /** Lower-case domain, without a leading dot. */
  domain: string;
  /** Path the cookie applies to, always starting with `/`. */
  path: string;
  /** Expiry in ms since the epoch, or `null` for a session cookie. */
  expires: number | null;
  /** Only sent over https / wss. */
  secure: boolean;
  /** Set with HttpOnly (still sent on every HTTP request). */
  httpOnly: boolean;
  /** The SameSite attribute, or `null` when absent or unrecognised. */
  sameSite: SameSite | null;
  /** Sent only to exactly `domain` (no Domain attribute), not to its subdomains. */
  hostOnly: boolean;
  /** Creation time in ms since the epoch (kept when the cookie is replaced). */
  creation: number;
}

/** Options of {@link CookieJar}'s constructor. */
export interface CookieJarOptions {
  /** Clock in ms since the epoch; defaults to `Date.now`. Inject one to test expiry. */
  now?: () => number;
}

/**
 * Options of {@link CookieJar.load} and {@link CookieJar.fromJSON}.
 * A bad entry never aborts a load: it is skipped and reported here.
 */
export interface CookieLoadOptions {
  /**
   * Called once per skipped entry, in order: `reason` says why (`'expired'`,
   * `'domain is a public suffix'`, `'name is not a string'`, …), `entry` is
   * the entry as given and `index` its position in the array.
   */
  onSkip?: (reason: string, entry: unknown, index: number) => void;
}

/** Options of {@link CookieJar.set}. Either `domain` or `url` is required. */
export interface SetCookieOptions {
  /** Domain of the cookie (leading dot ignored); a domain cookie unless `hostOnly`. */
  domain?: string;
  /** URL whose host becomes the cookie's host-only domain when `domain` is absent. */
  url?: URL | string;
  /** Make the cookie host-only even though `domain` is given. */
  hostOnly?: boolean;
  /** Cookie path; default `/`. */
  path?: string;
  /** Only send over https / wss. */
  secure?: boolean;
  /** Mark HttpOnly. */
  httpOnly?: boolean;
  /** SameSite attribute to store. */
  sameSite?: SameSite | null;
  /** Expiry as a Date or ms since the epoch; absent or null for a session cookie. */
  expires?: Date | number | null;
  /** Lifetime in seconds from now; wins over `expires`; `<= 0` deletes the cookie. */
  maxAge?: number;
}

/** Largest number of cookies a jar keeps. */
export const MAX_COOKIES = 3000;
/** Largest number of cookies kept per domain. */
export const MAX_COOKIES_PER_DOMAIN = 50;
/** RFC 6265bis §5.5: server-set lifetimes are capped at 400 days. */
const MAX_AGE_CAP_MS = 400 * 24 * 3600 * 1000;

/** One stored cookie. Every field set in the constructor, in one order (DESIGN.md, lean objects). */
class StoredCookie {
  name: string;
  value: string;
  domain: string;
  path: string;
  expires: number | null;
  secure: boolean;
  httpOnly: boolean;
  sameSite: SameSite | null;
  hostOnly: boolean;
  creation: number;
  lastAccess: number;
  /** Insertion counter: breaks creation-time ties so order is deterministic. */
  seq: number;

  constructor(name: string, value: string, domain: string, path: string, expires: number | null, secure: boolean, httpOnly: boolean, sameSite: SameSite | null, hostOnly: boolean, creation: number, seq: number) {
    this.name = name;
    this.value = value;
    this.domain = domain;
    this.path = path;
    this.expires = expires;
    this.secure = secure;
    this.httpOnly = httpOnly;
    this.sameSite = sameSite;
    this.hostOnly = hostOnly;
    this.creation = creation;
    this.lastAccess = creation;
    this.seq = seq;
  }

  toData(): CookieData {
    return {
      name: this.name,
      value: this.value,
      domain: this.domain,
      path: this.path,
      expires: this.expires,
      secure: this.secure,
      httpOnly: this.httpOnly,
      sameSite: this.sameSite,
      hostOnly: this.hostOnly,
      creation: this.creation,
    };
  }
}

/** An RFC 6265 cookie store. Sessions keep one per session (`session.cookies`). */
export class CookieJar {
  #byDomain: Map<string, StoredCookie[]>;
  #count: number;
  #seq: number;
  #now: () => number;

  /** @param options `now`: the clock, for tests. */
  constructor(options?: CookieJarOptions) {
    this.#byDomain = new Map();
    this.#count = 0;
    this.#seq = 0;
    this.#now = options?.now ?? Date.now;
  }

  /**
   * Build a jar from {@link CookieJar.toJSON} output: the same cookies, attributes and order.
   * Bad entries are skipped and reported to `options.onSkip` (see {@link CookieJar.load}).
   * @throws {InvalidRequestError} when `cookies` is not an array.
   */
  static fromJSON(cookies: readonly CookieData[], options?: CookieJarOptions & CookieLoadOptions): CookieJar {
    const jar = new CookieJar(options);
    jar.load(cookies, options);
    return jar;
  }

  /** Number of unexpired cookies stored. */
  get size(): number {
    this.#purgeExpired(this.#now());
    return this.#count;
  }

  /**
   * Store one `Set-Cookie` header value received from `requestUrl`
   * (RFC 6265 §5.2 parsing, §5.3 storage model, 6265bis hardening).
   * Malformed or refused cookies are ignored, never thrown.
   * @returns whether the cookie was stored (false when ignored, or when it only deleted an existing cookie).
   * @throws {InvalidRequestError} when `requestUrl` is not a valid URL.
   */
  setCookie(setCookieHeader: string, requestUrl: URL | string): boolean {
    const url = toUrl(requestUrl);
    const host = url.hostname.toLowerCase();
    if (host === '') return false;
    const parsed = parseSetCookie(setCookieHeader);
    if (parsed === null) return false;
    const now = this.#now();
    const secureOrigin = isSecureScheme(url.protocol);

    // §5.3 step 3: Max-Age wins over Expires; 6265bis caps both at 400 days.
    let expires: number | null = null;
    if (parsed.maxAge !== null) expires = parsed.maxAge <= 0 ? -Infinity : now + Math.min(parsed.maxAge * 1000, MAX_AGE_CAP_MS);
    else if (parsed.expires !== null) expires = Math.min(parsed.expires, now + MAX_AGE_CAP_MS);

    // §5.3 steps 4–6: Domain.
    let domain = host;
    let hostOnly = true;
    if (parsed.domain !== null) {
      const d = canonicalDomain(parsed.domain);
      if (d === null) return false;
      const hostIsIp = isIpHost(host);
      if (hostIsIp || isIpHost(d)) {
        // An IP address has no parent domains: only the exact address (both in URL form), host-only.
        if (d !== host) return false;
      } else if (isPublicSuffix(d)) {
        if (d !== host) return false;
      } else {
        if (!domainMatch(host, d)) return false;
        hostOnly = false;
        domain = d;
      }
    }

    const path = parsed.path !== null && parsed.path.startsWith('/') ? parsed.path : defaultPath(url.pathname);
    // 6265bis §5.7 step 8: only secure origins may set Secure cookies.
    if (parsed.secure && !secureOrigin) return false;
    // 6265bis cookie prefixes (matched case-insensitively).
    const lname = parsed.name.toLowerCase();
    if (lname.startsWith('__secure-') && !parsed.secure) return false;
    if (lname.startsWith('__host-') && (!parsed.secure || !hostOnly || parsed.domain !== null || path !== '/')) return false;
    // 6265bis "leave secure cookies alone": an insecure origin may not shadow a Secure cookie.
    if (!parsed.secure && !secureOrigin && this.#shadowsSecure(parsed.name, domain, path)) return false;

    const cookie = new StoredCookie(parsed.name, parsed.value, domain, path, expires, parsed.secure, parsed.httpOnly, parsed.sameSite, hostOnly, now, 0);
    return this.#store(cookie, now);
  }

  /**
   * Store every `Set-Cookie` of a response.
   * @param headers the response headers, or the raw `Set-Cookie` values.
   * @returns how many cookies were stored.
   */
  setCookiesFromResponse(headers: Headers | readonly string[], url: URL | string): number {
    const values = isStringArray(headers) ? headers : headers.getSetCookie();
    if (values.length === 0) return 0;
    const u = toUrl(url);
    let stored = 0;
    for (const v of values) if (this.setCookie(v, u)) stored++;
    return stored;
  }

  /**
   * The `Cookie` header value for a request to `url` (RFC 6265 §5.4): longer
   * paths first, then older cookies; Secure cookies only over https / wss.
   * Expired cookies are dropped; the sent cookies' last-access time is updated.
   * @returns `''` when no cookie applies.
   */
  getCookieHeader(url: URL | string): string {
    const u = toUrl(url);
    // No `this.size` check: it purges the whole jar; #matching drops only the expired cookies it walks past.
    const now = this.#now();
    const list = this.#matching(u, now);
    if (list.length === 0) return '';
    let out = '';
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      c.lastAccess = now;
      if (i > 0) out += '; ';
      out += c.name === '' ? c.value : `${c.name}=${c.value}`;
    }
    return out;
  }

  /**
   * Unexpired cookies as plain objects: those a request to `url` would send, in
   * sending order, or every cookie, oldest first, when `url` is absent. Does not count as an access.
   */
  getCookies(url?: URL | string): CookieData[] {
    const now = this.#now();
    if (url !== undefined) return this.#matching(toUrl(url), now).map((c) => c.toData());
    this.#purgeExpired(now);
    const all: StoredCookie[] = [];
    for (const list of this.#byDomain.values()) for (const c of list) all.push(c);
    // Oldest first, so that a load gives the cookies the same relative order (the send-order tie-break).
    all.sort(creationOrder);
    return all.map((c) => c.toData());
  }

  /**
   * Add or replace a cookie by hand (no Set-Cookie parsing, no origin checks).
   * @throws {InvalidRequestError} on a name or value that cannot go in a Cookie header, or neither `domain` nor `url`.
   */
  set(name: string, value: string, options: SetCookieOptions): this {
    if (name === '' || !isValidCookieName(name)) throw new InvalidRequestError(`invalid cookie name ${JSON.stringify(name)}`);
    if (!isValidCookieValue(value)) throw new InvalidRequestError(`invalid value for cookie ${name}: ';', CTLs and non-latin1 characters are not allowed`);
    if (cookieBytes(name, value) > MAX_COOKIE_BYTES) throw new InvalidRequestError(`cookie ${name} is larger than ${MAX_COOKIE_BYTES} bytes`);
    const now = this.#now();
    let domain: string | null;
    let hostOnly = options.hostOnly === true;
    if (options.domain !== undefined && options.domain !== '') {
      domain = canonicalDomain(options.domain.startsWith('.') ? options.domain.slice(1) : options.domain);
      if (domain === null) throw new InvalidRequestError(`invalid cookie domain ${JSON.stringify(options.domain)}`);
      // An IP address has no subdomains; a public suffix must not get a cookie for all its sites (RFC 6265 §5.3 step 5).
      if (isIpHost(domain) || isPublicSuffix(domain)) hostOnly = true;
    } else if (options.url !== undefined) {
      domain = toUrl(options.url).hostname.toLowerCase();
      hostOnly = true;
    } else {
      throw new InvalidRequestError(`cookie ${name}: a domain or a url is required`);
    }
    if (domain === '') throw new InvalidRequestError(`cookie ${name}: the url has no host`);
    const path = options.path ?? '/';
    if (!path.startsWith('/') || !isValidCookieValue(path)) throw new InvalidRequestError(`invalid cookie path ${JSON.stringify(path)}`);
    let expires: number | null = null;
    if (options.maxAge !== undefined) expires = options.maxAge <= 0 ? -Infinity : now + options.maxAge * 1000;
    else if (options.expires != null) expires = typeof options.expires === 'number' ? options.expires : options.expires.getTime();
    // toJSON must be able to write it (JSON has no Infinity); -Infinity is a deletion, never stored.
    if (expires !== null && expires !== -Infinity && !Number.isFinite(expires)) throw new InvalidRequestError(`cookie ${name}: invalid expiry`);
    const cookie = new StoredCookie(name, value, domain, path, expires, options.secure === true, options.httpOnly === true, options.sameSite ?? null, hostOnly, now, 0);
    this.#store(cookie, now);
    return this;
  }

  /**
   * Remove cookies named `name`, optionally only those of exactly `domain` and/or `path`.
   * @returns whether any cookie was removed.
   */
  delete(name: string, options?: { domain?: string; path?: string }): boolean {
    const domain = options?.domain !== undefined ? normaliseDomainArg(options.domain) : null;
    const path = options?.path ?? null;
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

  /** Remove every cookie, or those whose domain is `domain` or one of its subdomains. */
  clear(domain?: string): void {
    if (domain === undefined) {
      this.#byDomain.clear();
      this.#count = 0;
      return;
    }
    const d = normaliseDomainArg(domain);
    for (const [key, list] of this.#byDomain) {
      if (key === d || (key.endsWith(`.${d}`) && !isIpHost(key))) {
        this.#count -= list.length;
        this.#byDomain.delete(key);
      }
    }
  }

  /** Every unexpired cookie as a plain object, oldest first, for `JSON.stringify` and {@link CookieJar.fromJSON}. */
  toJSON(): CookieData[] {
    return this.getCookies();
  }

  /**
   * Add cookies exported by {@link CookieJar.toJSON}, replacing those of the same
   * name, domain and path. An entry that is expired, malformed (a field of the
   * wrong type, a name or value that cannot go in a Cookie header, a bad domain
   * or path) or a domain cookie for a public suffix is skipped and reported to
   * `options.onSkip`; the entries after it still load.
   * @throws {InvalidRequestError} when `cookies` is not an array.
   */
  load(cookies: readonly CookieData[], options?: CookieLoadOptions): this {
    if (!Array.isArray(cookies)) throw new InvalidRequestError('cookies to load must be an array');
    const onSkip = options?.onSkip;
    const now = this.#now();
    for (let i = 0; i < cookies.length; i++) {
      const entry: unknown = cookies[i];
      const c = fromData(entry);
      let reason = typeof c === 'string' ? c : null;
      if (typeof c !== 'string') {
        if (c.expires !== null && c.expires <= now) reason = 'expired';
        else if (cookieBytes(c.name, c.value) > MAX_COOKIE_BYTES) reason = `larger than ${MAX_COOKIE_BYTES} bytes`;
        else this.#store(c, now, true);
      }
      if (reason !== null && onSkip !== undefined) onSkip(reason, entry, i);
    }
    return this;
  }

  // ── internals ──────────────────────────────────────────────────────────

  /** Cookies for a request, removing expired ones, in §5.4 order. */
  #matching(url: URL, now: number): StoredCookie[] {
    const host = url.hostname.toLowerCase();
    const out: StoredCookie[] = [];
    if (host === '' || this.#count === 0) return out;
    const secure = isSecureScheme(url.protocol);
    const reqPath = url.pathname === '' ? '/' : url.pathname;
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

  /** §5.3 steps 11–12 plus the memory bounds. */
  #store(cookie: StoredCookie, now: number, keepTimes = false): boolean {
    const name = cookie.name;
    if (cookieBytes(name, cookie.value) > MAX_COOKIE_BYTES) return false;
    let list = this.#byDomain.get(cookie.domain);
    let old: StoredCookie | null = null;
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const c = list[i]!;
        if (c.name === name && c.path === cookie.path) {
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
      this.#purgeExpired(now);
      while (this.#count > MAX_COOKIES) this.#evictGlobalLru(cookie);
    }
    return true;
  }

  /** 6265bis §5.7 step 15: is there a Secure cookie of this name the new cookie would shadow? */
  #shadowsSecure(name: string, domain: string, path: string): boolean {
    for (const [key, list] of this.#byDomain) {
      if (!domainMatch(domain, key) && !domainMatch(key, domain)) continue;
      for (const c of list) if (c.secure && c.name === name && pathMatch(path, c.path)) return true;
    }
    return false;
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

  #purgeExpired(now: number): void {
    for (const [key, list] of this.#byDomain) this.#purgeList(key, list, now);
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

function isSecureScheme(protocol: string): boolean {
  return protocol === 'https:' || protocol === 'wss:';
}

function isValidCookieName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x3b || c === 0x3d || c === 0x2c) return false;
  }
  return true;
}

function isValidCookieValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c === 0x3b || c > 0xff) return false;
  }
  return true;
}

function toUrl(url: URL | string): URL {
  if (url instanceof URL) return url;
  try {
    return new URL(url);
  } catch (err) {
    throw new InvalidRequestError(`invalid URL ${JSON.stringify(redactUrl(String(url)))}`, { cause: redactCause(err) });
  }
}

function isStringArray(h: Headers | readonly string[]): h is readonly string[] {
  return Array.isArray(h);
}

/** A header-safe name, value or path: no CTL but HTAB, no `;` (what {@link parseSetCookie} lets through). */
function isHeaderSafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c === 0x3b) return false;
  }
  return true;
}

function isOptionalBoolean(v: unknown): boolean {
  return v === undefined || typeof v === 'boolean';
}

/** Validate an imported plain cookie: the cookie, or why it is skipped. */
function fromData(entry: unknown): StoredCookie | string {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return 'not an object';
  const d = entry as Partial<Record<keyof CookieData, unknown>>;
  const { name, value, domain, path, expires, creation, sameSite, secure, httpOnly, hostOnly } = d;
  if (typeof name !== 'string') return 'name is not a string';
  if (typeof value !== 'string') return 'value is not a string';
  if (typeof domain !== 'string') return 'domain is not a string';
  if (typeof path !== 'string') return 'path is not a string';
  if (!isHeaderSafe(name) || name.includes('=')) return 'invalid name';
  if (!isHeaderSafe(value)) return 'invalid value';
  if (name === '' && value === '') return 'empty name and value';
  if (!path.startsWith('/') || !isHeaderSafe(path)) return 'invalid path';
  if (expires != null && (typeof expires !== 'number' || !Number.isFinite(expires))) return 'invalid expires';
  if (creation !== undefined && (typeof creation !== 'number' || !Number.isFinite(creation))) return 'invalid creation';
  if (sameSite != null && sameSite !== 'Strict' && sameSite !== 'Lax' && sameSite !== 'None') return 'invalid sameSite';
  if (!isOptionalBoolean(secure) || !isOptionalBoolean(httpOnly) || !isOptionalBoolean(hostOnly)) return 'secure, httpOnly and hostOnly must be booleans';
  const lower = (domain.startsWith('.') ? domain.slice(1) : domain).toLowerCase();
  // A host-only cookie's domain is a URL hostname (which may end in a dot); a domain cookie's is a Domain attribute.
  const dom = hostOnly === true ? urlHostname(lower) : canonicalDomain(lower);
  if (dom === null || dom === '') return 'invalid domain';
  const ip = isIpHost(dom);
  if (hostOnly !== true && !ip && isPublicSuffix(dom)) return 'domain is a public suffix';
  return new StoredCookie(name, value, dom, path, expires ?? null, secure === true, httpOnly === true, sameSite ?? null, hostOnly === true || ip, creation ?? 0, 0);
}
