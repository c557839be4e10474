/**
 * The pieces of HTTP/1.1 response syntax the {@link ResponseParser} reads
 * line by line: the status line (RFC 9112 §4), field names and values
 * (§5.1, RFC 9110 §5.5), chunk-size lines (§7.1), and the string reuse that
 * keeps a kept response small (equal names and values of consecutive
 * responses share one string). Pure functions, no state; what the fields
 * say about framing is in framing.ts.
 * @module
 */
import { InvalidResponseError } from '../errors.js';
import { latin1, TCHAR } from '../http/syntax.js';

/** A chunk size above this cannot be counted exactly in a double. */
const MAX_CHUNK_SIZE = Number.MAX_SAFE_INTEGER;

/** An empty list: what a response with no predecessor compares against. */
export const NO_PREV: string[] = [];

/** Whether two header lists hold the same strings, in order. */
export function sameList(a: string[], b: string[]): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bytes `[s, e)` as a latin1 string, returning `prev` itself when it holds the same characters. */
export function reuse(b: Buffer, s: number, e: number, prev: string | undefined): string {
  const n = e - s;
  if (n === 0) return '';
  if (prev !== undefined && prev.length === n) {
    let i = 0;
    while (i < n && prev.charCodeAt(i) === b[s + i]) i++;
    if (i === n) return prev;
  }
  return latin1(b, s, e);
}

/** SP or HTAB (OWS, RFC 9110 §5.6.3). */
export function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * The size on a chunk-size line `[s, e)` (§7.1: hex digits, BWS, then
 * extensions, ignored but well formed, §7.1.1).
 * @throws InvalidResponseError for a malformed line or a size past 2^53 - 1.
 */
export function chunkSizeOf(b: Buffer, s: number, e: number): number {
  let size = 0;
  let i = s;
  for (; i < e; i++) {
    const c = b[i]!;
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else break;
    // Bounded by value, not digits (leading zeros are free); exact while below 2^53.
    if (size > (MAX_CHUNK_SIZE - d) / 16) throw new InvalidResponseError(`chunk size ${JSON.stringify(latin1(b, s, Math.min(e, s + 32)))} too large`);
    size = size * 16 + d;
  }
  if (i === s) throw new InvalidResponseError(`invalid chunk size line ${JSON.stringify(latin1(b, s, Math.min(e, s + 32)))}`);
  while (i < e && isOws(b[i]!)) i++;
  if (i < e) {
    if (b[i] !== 0x3b) throw new InvalidResponseError(`invalid chunk size line ${JSON.stringify(latin1(b, s, Math.min(e, s + 32)))}`);
    if (!isChunkExt(b, i, e)) throw new InvalidResponseError(`invalid chunk extension ${JSON.stringify(latin1(b, i, Math.min(e, i + 32)))}`);
  }
  return size;
}

/** qdtext and the second byte of a quoted-pair (RFC 9110 §5.6.4): HTAB, SP, VCHAR, obs-text — no other control. */
function isQuotedText(c: number): boolean {
  return c === 0x09 || (c >= 0x20 && c !== 0x7f);
}

/**
 * Whether `[i, e)` is a whole chunk-ext (§7.1.1):
 * `*( BWS ";" BWS chunk-ext-name [ BWS "=" BWS ( token / quoted-string ) ] )`.
 * Extensions are ignored, but one that is not well formed (a control byte,
 * an unterminated quoted-string, a missing name) is refused: another parser
 * would frame the line differently.
 */
function isChunkExt(b: Buffer, i: number, e: number): boolean {
  while (i < e) {
    while (i < e && isOws(b[i]!)) i++;
    if (i === e) return true; // trailing BWS
    if (b[i] !== 0x3b) return false;
    i++;
    while (i < e && isOws(b[i]!)) i++;
    const name = i;
    while (i < e && TCHAR[b[i]!] === 1) i++;
    if (i === name) return false;
    let j = i;
    while (j < e && isOws(b[j]!)) j++;
    if (j === e || b[j] !== 0x3d) {
      i = j;
      continue;
    }
    j++;
    while (j < e && isOws(b[j]!)) j++;
    if (j < e && b[j] === 0x22) {
      j++;
      for (;;) {
        if (j === e) return false; // unterminated quoted-string
        const c = b[j]!;
        if (c === 0x22) break;
        if (c === 0x5c) {
          j++;
          if (j === e || !isQuotedText(b[j]!)) return false;
        } else if (!isQuotedText(c)) return false;
        j++;
      }
      i = j + 1;
    } else {
      const v = j;
      while (j < e && TCHAR[b[j]!] === 1) j++;
      if (j === v) return false;
      i = j;
    }
  }
  return true;
}

function badStatusLine(b: Buffer, s: number, e: number, what = 'invalid status line'): never {
  throw new InvalidResponseError(`${what} ${JSON.stringify(latin1(b, s, Math.min(e, s + 64)))}`);
}

/**
 * The version of a status line `[s, e)` (§4: `HTTP/1.x`): a higher minor
 * version of 1 is processed as the highest we know, 1.1 (§2.3).
 * @throws InvalidResponseError for anything but HTTP/1.x.
 */
export function statusVersion(b: Buffer, s: number, e: number): '1.0' | '1.1' {
  if (
    e - s < 12 ||
    b[s] !== 0x48 || b[s + 1] !== 0x54 || b[s + 2] !== 0x54 || b[s + 3] !== 0x50 ||
    b[s + 4] !== 0x2f || b[s + 5] !== 0x31 || b[s + 6] !== 0x2e
  ) {
    badStatusLine(b, s, e);
  }
  const minor = b[s + 7]!;
  if (minor === 0x30) return '1.0';
  if (minor >= 0x31 && minor <= 0x39) return '1.1';
  return badStatusLine(b, s, e, 'unsupported HTTP version in status line');
}

/**
 * The status code of a status line `[s, e)`: `SP 3DIGIT [SP reason]`, 100..599 (RFC 9110 §15).
 * @throws InvalidResponseError otherwise.
 */
export function statusCode(b: Buffer, s: number, e: number): number {
  const d0 = b[s + 9]! - 48;
  const d1 = b[s + 10]! - 48;
  const d2 = b[s + 11]! - 48;
  if (b[s + 8] !== 0x20 || d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || (e > s + 12 && b[s + 12] !== 0x20)) {
    badStatusLine(b, s, e);
  }
  return d0 * 100 + d1 * 10 + d2;
}

/**
 * The reason phrase `[s, e)` (no NUL, no CR), reusing `prev` when equal.
 * @throws InvalidResponseError for a NUL or CR in it.
 */
export function reasonOf(b: Buffer, s: number, e: number, prev: string): string {
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 0 || c === 13) throw new InvalidResponseError('invalid character in reason phrase');
  }
  return reuse(b, s, e, prev);
}

/**
 * A field value `[s, e)` with the OWS around it trimmed (RFC 9110 §5.5),
 * reusing `prev` when equal.
 * @throws InvalidResponseError for a NUL or bare CR in it.
 */
export function fieldValue(b: Buffer, s: number, e: number, prev?: string): string {
  while (s < e && isOws(b[s]!)) s++;
  while (e > s && isOws(b[e - 1]!)) e--;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 0 || c === 13) throw new InvalidResponseError(c === 0 ? 'NUL in header value' : 'bare CR in header value');
  }
  return reuse(b, s, e, prev);
}

/**
 * The end of the field name on a field line `[s, e)`: the index of its colon
 * (§5.1: a token, no whitespace before the colon).
 * @throws InvalidResponseError for a line with no colon, an empty name or a
 *   character that is not a token's.
 */
export function fieldNameEnd(b: Buffer, s: number, e: number): number {
  let i = s;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c === 0x3a) break;
    if (TCHAR[c] === 0) {
      if (isOws(c)) throw new InvalidResponseError('whitespace between header field name and colon');
      throw new InvalidResponseError(`invalid character in header field name ${JSON.stringify(latin1(b, s, Math.min(e, s + 64)))}`);
    }
  }
  if (i === e) throw new InvalidResponseError(`header line without colon ${JSON.stringify(latin1(b, s, Math.min(e, s + 64)))}`);
  if (i === s) throw new InvalidResponseError('empty header field name');
  return i;
}

/**
 * An obs-fold line `[s, e)` (§5.2: it starts with OWS): a user agent
 * replaces the fold with SP, so its value joins the last field's in `list`.
 * @throws InvalidResponseError when `list` has no field yet.
 */
export function foldInto(list: string[], b: Buffer, s: number, e: number): void {
  if (list.length === 0) throw new InvalidResponseError('whitespace before the first header field');
  const value = fieldValue(b, s, e);
  if (value.length > 0) {
    const prev = list[list.length - 1]!;
    list[list.length - 1] = prev.length === 0 ? value : `${prev} ${value}`;
  }
}
