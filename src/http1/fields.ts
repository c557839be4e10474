/**
 * The pieces of HTTP/1.1 response syntax the {@link ResponseParser} reads
 * field by field: framing from Transfer-Encoding (RFC 9112 §6.1, §6.3),
 * Content-Length lists (§6.3 rule 4), chunk-size lines (§7.1), and the
 * string reuse that keeps a kept response small (equal names and values of
 * consecutive responses share one string). Pure functions, no state.
 * @module
 */
import { InvalidResponseError } from '../errors.js';
import { latin1, listElements } from '../http/syntax.js';

/** Body framing of the current message. */
export const enum Framing {
  None = 0,
  Length = 1,
  Chunked = 2,
  Close = 3,
}

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
 * The framing a Transfer-Encoding value (all fields joined with `, `) gives
 * a response with a body (RFC 9112 §6.1, §6.3 rules 3-4, §7).
 * @throws InvalidResponseError for a coding reqivo cannot undo.
 */
export function transferFraming(te: string): Framing.Chunked | Framing.Close {
  if (te.length === 7 && te.toLowerCase() === 'chunked') return Framing.Chunked;
  const codings = listElements(te);
  if (codings.length === 0) throw new InvalidResponseError('Transfer-Encoding names no transfer coding');
  let chunked = false;
  for (const coding of codings) {
    const c = coding.toLowerCase();
    // §6.1: chunked is applied once and last.
    if (chunked) throw new InvalidResponseError(`Transfer-Encoding ${JSON.stringify(te)}: chunked must be the last coding, applied once`);
    if (c === 'chunked') chunked = true;
    else if (c === 'identity') continue; // RFC 2616's no-op coding: nothing to undo
    else {
      const why = /^chunked[ \t]*;/.test(c) ? 'chunked takes no parameters' : `unsupported transfer coding ${JSON.stringify(coding)}`;
      throw new InvalidResponseError(`Transfer-Encoding ${JSON.stringify(te)}: ${why}`);
    }
  }
  return chunked ? Framing.Chunked : Framing.Close;
}

/**
 * The value of one Content-Length field: a number, or a list of equal
 * numbers (§6.3 rule 4); `known` is the value of an earlier field, or -1.
 * @throws InvalidResponseError for anything else, or a value unlike `known`.
 */
export function contentLengthOf(value: string, known: number): number {
  // Fast path: one plain number (what nearly every server sends).
  const n = value.length;
  let v = -1;
  if (n > 0 && n <= 15) {
    let x = 0;
    let i = 0;
    for (; i < n; i++) {
      const d = value.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      x = x * 10 + d;
    }
    if (i === n) v = x;
  }
  if (v === -1) {
    for (const part of value.split(',')) {
      const m = /^[ \t]*(\d{1,15})[ \t]*$/.exec(part);
      if (m === null) throw new InvalidResponseError(`invalid Content-Length ${JSON.stringify(value)}`);
      const p = Number(m[1]);
      if (v !== -1 && p !== v) throw new InvalidResponseError(`conflicting Content-Length values ${JSON.stringify(value)}`);
      v = p;
    }
  }
  if (known !== -1 && known !== v) throw new InvalidResponseError('conflicting Content-Length headers');
  return v;
}

/**
 * The size on a chunk-size line `[s, e)` (§7.1: hex digits, BWS, then
 * extensions, ignored but free of NUL and bare CR).
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
    for (; i < e; i++) {
      const c = b[i]!;
      if (c === 0 || c === 13) throw new InvalidResponseError('invalid character in chunk extension');
    }
  }
  return size;
}

/** The `timeout=` of a Keep-Alive field value in milliseconds, or -1. */
export function keepAliveTimeoutOf(value: string): number {
  const m = /(?:^|[,;\s])timeout\s*=\s*"?(\d{1,9})/i.exec(value);
  return m ? Number(m[1]) * 1000 : -1;
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
