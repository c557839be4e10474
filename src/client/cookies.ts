/**
 * An RFC 6265 cookie jar with the RFC 6265bis hardening browsers ship:
 * Secure cookies only from secure origins and never overwritten from insecure
 * ones, `__Secure-` / `__Host-` prefixes, a 400-day cap on server lifetimes,
 * and bounded memory (3000 cookies, 50 per domain, 4096 bytes per cookie).
 * No cookie is scoped to a public suffix (`co.il`, `github.io`): Domain
 * attributes are checked against the full Public Suffix List.
 *
 * This file is the jar's public API and its policy (what a response may
 * store, what a request sends); Set-Cookie parsing is in set-cookie.ts,
 * domain and path matching in cookie-domains.ts, the storage (a `Map` keyed
 * by cookie domain, eviction) in cookie-store.ts, the plain-object form and
 * its import checks in cookie-data.ts. Time comes from an injectable clock.
 *
 * SameSite is parsed and stored but not enforced: a client has no
 * "site for cookies" the way a browser tab has, so every matching cookie is
 * sent, as curl and Python's http.cookiejar do.
 * @module
 */
import { InvalidRequestError, redactCause, redactUrl } from '../errors.js';
import type { Headers } from '../http/headers.js';
import { type CookieData, fromData, isValidCookieName, isValidCookieValue, StoredCookie } from './cookie-data.js';
import { canonicalDomain, defaultPath, domainMatch, isIpHost, normaliseDomainArg } from './cookie-domains.js';
import { CookieStore, MAX_COOKIES, MAX_COOKIES_PER_DOMAIN } from './cookie-store.js';
import { isPublicSuffix } from './public-suffixes.js';
import { cookieBytes, MAX_COOKIE_BYTES, parseCookieDate, parseSetCookie, type SameSite } from './set-cookie.js';

export { type CookieData, MAX_COOKIE_BYTES, MAX_COOKIES, MAX_COOKIES_PER_DOMAIN, parseCookieDate, type SameSite };

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

/** RFC 6265bis §5.5: server-set lifetimes are capped at 400 days. */
const MAX_AGE_CAP_MS = 400 * 24 * 3600 * 1000;

/** An RFC 6265 cookie store. Sessions keep one per session (`session.cookies`). */
export class CookieJar {
  #store: CookieStore;
  #now: () => number;

  /** @param options `now`: the clock, for tests. */
  constructor(options?: CookieJarOptions) {
    this.#store = new CookieStore();
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
    this.#store.purgeExpired(this.#now());
    return this.#store.count;
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

    // §5.3 steps 4–6: Domain. An empty one (`Domain=.`, 6265bis §5.6.3 leaves '' once the dot goes) makes a host-only cookie.
    let domain = host;
    let hostOnly = true;
    if (parsed.domain !== null && parsed.domain !== '') {
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
    // __Host-: Secure, host-only, and a Path attribute of `/` (6265bis §4.1.3.2): a default path of `/` is not enough.
    if (lname.startsWith('__host-') && (!parsed.secure || !hostOnly || parsed.domain !== null || parsed.path !== '/')) return false;
    // 6265bis "leave secure cookies alone": an insecure origin may not shadow a Secure cookie.
    if (!parsed.secure && !secureOrigin && this.#store.shadowsSecure(parsed.name, domain, path)) return false;

    const cookie = new StoredCookie(parsed.name, parsed.value, domain, path, expires, parsed.secure, parsed.httpOnly, parsed.sameSite, hostOnly, now, 0);
    return this.#store.store(cookie, now);
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
    // An empty store (expired cookies still count) has nothing to send; `this.size` would purge the whole jar.
    if (this.#store.count === 0) return '';
    // #matching drops only the expired cookies it walks past.
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
    const list = url !== undefined ? this.#matching(toUrl(url), now) : this.#store.all(now);
    return list.map((c) => c.toData());
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
    this.#store.store(cookie, now);
    return this;
  }

  /**
   * Remove cookies named `name`, optionally only those of exactly `domain` and/or `path`.
   * @returns whether any cookie was removed.
   */
  delete(name: string, options?: { domain?: string; path?: string }): boolean {
    const domain = options?.domain !== undefined ? normaliseDomainArg(options.domain) : null;
    return this.#store.delete(name, domain, options?.path ?? null);
  }

  /** Remove every cookie, or those whose domain is `domain` or one of its subdomains. */
  clear(domain?: string): void {
    this.#store.clear(domain === undefined ? undefined : normaliseDomainArg(domain));
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
        else this.#store.store(c, now, true);
      }
      if (reason !== null && onSkip !== undefined) onSkip(reason, entry, i);
    }
    return this;
  }

  /** Cookies for a request, removing expired ones, in §5.4 order. */
  #matching(url: URL, now: number): StoredCookie[] {
    return this.#store.matching(url.hostname.toLowerCase(), isSecureScheme(url.protocol), url.pathname === '' ? '/' : url.pathname, now);
  }

}

function isSecureScheme(protocol: string): boolean {
  return protocol === 'https:' || protocol === 'wss:';
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
