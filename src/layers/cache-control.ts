/**
 * RFC 9111 arithmetic for a private cache, pure: Cache-Control directives
 * (§5.2), freshness lifetime (§4.2.1, heuristics only where §4.2.2 allows),
 * age (§4.2.3), and whether a response may be stored at all (§3).
 * @module
 */
import { parseHttpDate } from '../http/date.js';
import type { Headers } from '../http/headers.js';

/** Cache-Control directives by lower-cased name; a directive without a value maps to `''`. */
export type Directives = Record<string, string>;

/** Directives of a Cache-Control field value (§5.2; quoted values unquoted, empty list members skipped). */
export function parseCacheControl(value: string | null): Directives {
  const out: Directives = Object.create(null) as Directives;
  if (value === null) return out;
  const n = value.length;
  let i = 0;
  while (i < n) {
    while (i < n && (value[i] === ',' || value[i] === ' ' || value[i] === '\t')) i++;
    const start = i;
    while (i < n && value[i] !== '=' && value[i] !== ',') i++;
    const name = value.slice(start, i).trim().toLowerCase();
    let v = '';
    if (value[i] === '=') {
      i++;
      while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
      if (value[i] === '"') {
        for (i++; i < n && value[i] !== '"'; i++) {
          if (value[i] === '\\' && i + 1 < n) i++;
          v += value[i];
        }
        while (i < n && value[i] !== ',') i++;
      } else {
        const vs = i;
        while (i < n && value[i] !== ',') i++;
        v = value.slice(vs, i).trim();
      }
    }
    // §4.2.1: with a directive repeated, the first one counts.
    if (name !== '' && !(name in out)) out[name] = v;
  }
  return out;
}

/** A delta-seconds directive's value (§1.2.2), or null when absent or not digits. */
export function seconds(d: Directives, name: string): number | null {
  const v = d[name];
  if (v === undefined || !/^\d+$/.test(v)) return null;
  return Math.min(Number(v), 2 ** 31);
}

/** An HTTP-date in ms, or null when absent or not an HTTP-date (§5.3: an invalid Expires means already expired; a bare `2099` is no date). */
function httpDate(value: string | null): number | null {
  return value === null ? null : parseHttpDate(value);
}

/** Statuses heuristically cacheable by default (RFC 9110 §15.1). */
const HEURISTIC = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]);
/** Statuses this cache understands well enough to store (§3: "the response status code is final"; no 206: ranges pass by). Anything else — with must-understand too — is not stored. */
const UNDERSTOOD = new Set([200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501]);

/** Whether a response to a GET/HEAD may be stored by a private cache (§3). */
export function storable(status: number, headers: Headers, cc: Directives, reqCc: Directives): boolean {
  if (!UNDERSTOOD.has(status)) return false;
  // §5.2.2.3: must-understand (for a status understood here) overrides the response's no-store.
  if (('no-store' in cc && !('must-understand' in cc)) || 'no-store' in reqCc) return false;
  const vary = headers.get('vary');
  if (vary !== null && vary.split(',').some((v) => v.trim() === '*')) return false;
  // §3: explicit freshness, a validator-worthy heuristic status, or `public`/`private` (a private cache may store those).
  return 'max-age' in cc || headers.has('expires') || 'public' in cc || 'private' in cc || 'no-cache' in cc || HEURISTIC.has(status);
}

/** Freshness lifetime in seconds (§4.2.1): max-age, else Expires − Date, else the §4.2.2 heuristic, else 0. */
export function freshnessLifetime(status: number, headers: Headers, cc: Directives, responseTime: number): number {
  // s-maxage is for shared caches only (§5.2.2.10): a private cache ignores it.
  // A max-age that is no delta-seconds (`max-age=abc`) is explicit freshness information, invalid: stale (§4.2.1), no heuristic (§4.2.2).
  if ('max-age' in cc) return seconds(cc, 'max-age') ?? 0;
  const date = httpDate(headers.get('date')) ?? responseTime;
  const expires = headers.get('expires');
  if (expires !== null) {
    const e = httpDate(expires);
    return e === null ? 0 : Math.max(0, (e - date) / 1000);
  }
  // §4.2.2: a heuristic only without explicit expiry, for a heuristically cacheable status or `public`.
  if (!HEURISTIC.has(status) && !('public' in cc)) return 0;
  const lm = httpDate(headers.get('last-modified'));
  if (lm === null || lm >= date) return 0;
  // The 10% of the time since Last-Modified that §4.2.2 suggests, capped at a day.
  return Math.min(((date - lm) / 1000) * 0.1, 86_400);
}

/**
 * The age (§4.2.3) the response had on arrival, in seconds: the larger of
 * the apparent age (from Date) and the Age header plus the response delay.
 */
export function initialAge(headers: Headers, requestTime: number, responseTime: number): number {
  const date = httpDate(headers.get('date'));
  const apparent = date === null ? 0 : Math.max(0, (responseTime - date) / 1000);
  const ageValue = /^\d+$/.test(headers.get('age') ?? '') ? Number(headers.get('age')) : 0;
  return Math.max(apparent, ageValue + (responseTime - requestTime) / 1000);
}
