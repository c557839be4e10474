/**
 * Character classes of RFC 9110 §5.6 used by the parser and the writer.
 * @module
 */

/** `tchar` lookup table (RFC 9110 §5.6.2): 1 when the byte may appear in a token. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** Whether `s` is a non-empty RFC 9110 token (method, header name). */
export function isToken(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 255 || TCHAR[c] === 0) return false;
  }
  return true;
}

/**
 * Whether a header value is safe to write: no CR, LF or NUL (which could
 * split the message), nothing above 0xFF (which cannot be written as latin1).
 */
export function isValidHeaderValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0 || c > 0xff) return false;
  }
  return true;
}

/**
 * Whether a request-target is safe to write: visible ASCII only (RFC 9112 §3.2),
 * so no space, CR, LF or control characters can leak into the request line.
 */
export function isValidTarget(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

type Latin1Sliceable = Buffer & { latin1Slice(start: number, end: number): string };

/** Decode bytes `[s, e)` of `b` as latin1 (Node's fast internal slice, untyped in @types/node). */
export function latin1(b: Buffer, s: number, e: number): string {
  return (b as Latin1Sliceable).latin1Slice(s, e);
}

/**
 * The elements of a list-valued field (RFC 9110 §5.6.1): split at commas
 * outside quoted strings (§5.6.4, backslash escapes included), OWS trimmed,
 * empty elements dropped as a recipient must (`chunked,` is `chunked`).
 */
export function listElements(value: string): string[] {
  const out: string[] = [];
  const n = value.length;
  let start = 0;
  let quoted = false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x2c) {
      pushElement(out, value, start, i);
      start = i + 1;
    }
  }
  pushElement(out, value, start, n);
  return out;
}

/** Push `value[s, e)` without its OWS (SP, HTAB only: 0xA0 is obs-text, not space), unless empty. */
function pushElement(out: string[], value: string, s: number, e: number): void {
  while (s < e && (value.charCodeAt(s) === 0x20 || value.charCodeAt(s) === 0x09)) s++;
  while (e > s && (value.charCodeAt(e - 1) === 0x20 || value.charCodeAt(e - 1) === 0x09)) e--;
  if (e > s) out.push(value.slice(s, e));
}

/**
 * A user name or password of a URL (`url.username`, `url.password`),
 * percent-decoded to UTF-8, or null when it is not valid percent-encoding
 * (`%zz`, or bytes that are no UTF-8): `decodeURIComponent` would throw a bare
 * URIError.
 */
export function decodeUserinfo(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}
