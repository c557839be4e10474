/**
 * Set-Cookie parsing (RFC 6265 §5.2) and the cookie date algorithm
 * (§5.1.1), kept apart from the jar's policy (cookies.ts) and storage
 * (cookie-store.ts).
 * @module
 */

/** The `SameSite` attribute of a cookie. */
export type SameSite = 'Strict' | 'Lax' | 'None';

/** Largest name + value (UTF-8 bytes) of a cookie kept; bigger ones are ignored. */
export const MAX_COOKIE_BYTES = 4096;

/** Attribute values longer than this are ignored (RFC 6265bis §5.6). */
const MAX_ATTRIBUTE_BYTES = 1024;

/** A parsed Set-Cookie value. @internal */
export interface ParsedCookie {
  name: string;
  value: string;
  expires: number | null;
  maxAge: number | null;
  /** The last Domain attribute without its leading dot (`''` for `Domain=.`: a host-only cookie), or null for none. */
  domain: string | null;
  path: string | null;
  secure: boolean;
  httpOnly: boolean;
  sameSite: SameSite | null;
}

/**
 * Parse one Set-Cookie value per RFC 6265 §5.2 (6265bis details: nameless
 * cookies, control characters refuse the cookie, oversized attributes are
 * ignored). Returns `null` when the cookie must be ignored.
 * @internal
 */
export function parseSetCookie(header: string): ParsedCookie | null {
  // 6265bis §5.6 step 1: a control character other than HTAB refuses the cookie.
  for (let i = 0; i < header.length; i++) {
    const c = header.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return null;
  }
  const semi = header.indexOf(';');
  const pair = semi === -1 ? header : header.slice(0, semi);
  const eq = pair.indexOf('=');
  const name = eq === -1 ? '' : trimWsp(pair.slice(0, eq));
  const value = trimWsp(eq === -1 ? pair : pair.slice(eq + 1));
  if (name === '' && value === '') return null;
  if (cookieBytes(name, value) > MAX_COOKIE_BYTES) return null;
  // A nameless cookie must not smuggle a prefixed name through its value.
  if (name === '') {
    const lv = value.toLowerCase();
    if (lv.startsWith('__secure-') || lv.startsWith('__host-')) return null;
  }
  const out: ParsedCookie = { name, value, expires: null, maxAge: null, domain: null, path: null, secure: false, httpOnly: false, sameSite: null };
  if (semi === -1) return out;
  for (const av of header.slice(semi + 1).split(';')) {
    const aeq = av.indexOf('=');
    const attr = trimWsp(aeq === -1 ? av : av.slice(0, aeq)).toLowerCase();
    const val = aeq === -1 ? '' : trimWsp(av.slice(aeq + 1));
    if (val.length * 3 > MAX_ATTRIBUTE_BYTES && octets(val) > MAX_ATTRIBUTE_BYTES) continue;
    // Each recognised attribute overrides an earlier one of the same name (§5.3: the last one wins).
    switch (attr) {
      case 'expires': {
        const t = parseCookieDate(val);
        if (t !== null) out.expires = t;
        break;
      }
      case 'max-age':
        if (/^-?\d+$/.test(val)) out.maxAge = Number(val);
        break;
      case 'domain':
        if (val !== '') out.domain = (val.startsWith('.') ? val.slice(1) : val).toLowerCase();
        break;
      case 'path':
        out.path = val;
        break;
      case 'secure':
        out.secure = true;
        break;
      case 'httponly':
        out.httpOnly = true;
        break;
      case 'samesite': {
        const s = val.toLowerCase();
        out.sameSite = s === 'strict' ? 'Strict' : s === 'lax' ? 'Lax' : s === 'none' ? 'None' : null;
        break;
      }
    }
  }
  return out;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** §5.1.1 delimiter: %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E. */
function isDateDelimiter(c: number): boolean {
  return c === 0x09 || (c >= 0x20 && c <= 0x2f) || (c >= 0x3b && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

/**
 * The RFC 6265 §5.1.1 cookie-date algorithm: finds a time, day, month and
 * year among the tokens in any order, so every date format servers actually
 * send parses. Returns ms since the epoch, or `null` for no valid date.
 */
export function parseCookieDate(input: string): number | null {
  let hour = -1;
  let minute = -1;
  let second = -1;
  let day = -1;
  let month = -1;
  let year = -1;
  const n = input.length;
  let i = 0;
  while (i < n) {
    while (i < n && isDateDelimiter(input.charCodeAt(i))) i++;
    const start = i;
    while (i < n && !isDateDelimiter(input.charCodeAt(i))) i++;
    if (i === start) break;
    const token = input.slice(start, i);
    let m: RegExpExecArray | null;
    if (hour === -1 && (m = /^(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D|$)/.exec(token)) !== null) {
      hour = Number(m[1]);
      minute = Number(m[2]);
      second = Number(m[3]);
    } else if (day === -1 && (m = /^(\d{1,2})(?:\D|$)/.exec(token)) !== null) {
      day = Number(m[1]);
    } else if (month === -1 && token.length >= 3 && MONTHS.includes(token.slice(0, 3).toLowerCase())) {
      month = MONTHS.indexOf(token.slice(0, 3).toLowerCase());
    } else if (year === -1 && (m = /^(\d{2,4})(?:\D|$)/.exec(token)) !== null) {
      year = Number(m[1]);
    }
  }
  if (year >= 70 && year <= 99) year += 1900;
  else if (year >= 0 && year <= 69) year += 2000;
  if (hour === -1 || day === -1 || month === -1 || year === -1) return null;
  if (day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || second > 59) return null;
  const t = Date.UTC(year, month, day, hour, minute, second);
  // Reject dates that do not exist (Feb 30 rolls over in Date.UTC).
  if (new Date(t).getUTCDate() !== day) return null;
  return t;
}

/** Strip leading and trailing SP / HTAB (RFC 6265 §5.2 "remove any leading or trailing WSP"). */
function trimWsp(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Octets of a cookie's name and value as they go on the wire. Header values
 * reach the jar as latin1 strings (HTTP/1.1 and HTTP/2 alike, one char per
 * octet: a UTF-8 `日` is three chars), so a string of chars up to U+00FF is
 * its length; only a wider char (a string given to `setCookie` by hand) is
 * counted in UTF-8.
 */
export function cookieBytes(name: string, value: string): number {
  const n = name.length + value.length;
  // UTF-8 needs at most 3 bytes per UTF-16 unit: a short cookie cannot reach the limit, skip the scan.
  return n * 3 <= MAX_COOKIE_BYTES ? n : octets(name) + octets(value);
}

/** Octets of a header string: its length when latin1 (one char per octet), else its UTF-8 size. */
function octets(s: string): number {
  return /[^\x00-\xff]/.test(s) ? Buffer.byteLength(s) : s.length;
}
