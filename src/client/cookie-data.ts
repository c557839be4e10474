/**
 * A cookie as data: the public plain-object form ({@link CookieData}), the
 * jar's stored form ({@link StoredCookie}), and the checks that turn an
 * imported plain object (a saved jar) or a hand-set name / value into one.
 * The jar's policy is in cookies.ts, its storage in cookie-store.ts.
 * @module
 */
import { canonicalDomain, isIpHost, urlHostname } from './cookie-domains.js';
import { isPublicSuffix } from './public-suffixes.js';
import type { SameSite } from './set-cookie.js';

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

/** One stored cookie: the fields of {@link CookieData} and two more. Every field set in the constructor, in one order (docs/architecture.md, lean objects). @internal */
export class StoredCookie implements CookieData {
  name: string;
  value: string;
  domain: string;
  path: string;
  /** As in {@link CookieData}, or `-Infinity` for a deletion (never stored). */
  expires: number | null;
  secure: boolean;
  httpOnly: boolean;
  sameSite: SameSite | null;
  hostOnly: boolean;
  creation: number;
  /** Last time the cookie was sent, for LRU eviction. */
  lastAccess: number;
  /** Insertion counter: breaks creation-time ties so order is deterministic. */
  seq: number;

  /** Every field, in declaration order; `lastAccess` starts at `creation`. */
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

  /** The public plain-object form. */
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

/** A name {@link CookieJar.set} accepts: a token (no CTL, space, `;`, `=` or `,`). @internal */
export function isValidCookieName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x3b || c === 0x3d || c === 0x2c) return false;
  }
  return true;
}

/** A value or path {@link CookieJar.set} accepts: no CTL but HTAB, no `;`, latin1 only. @internal */
export function isValidCookieValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c === 0x3b || c > 0xff) return false;
  }
  return true;
}

/** A header-safe name, value or path: no CTL but HTAB, no `;` (what `parseSetCookie` lets through). */
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

/** Validate an imported plain cookie: the cookie, or why it is skipped. @internal */
export function fromData(entry: unknown): StoredCookie | string {
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
