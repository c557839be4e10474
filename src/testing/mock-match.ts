/**
 * How a {@link MockAgent} interception matches a request: method, path
 * (string, RegExp or predicate), query, headers and body — and, for the
 * error of an unmatched request, how far a near miss was.
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import { pieceBytes, RequestBody } from '../core/body.js';
import type { PreparedRequest } from '../core/request.js';

/** A value matcher: equal to a string, tested by a RegExp, or a predicate. */
export type ValueMatcher = string | RegExp | ((value: string) => boolean);

/** What an interception matches. Everything left out matches anything. */
export interface MatchSpec {
  /**
   * A string path: without `?` it matches the path whatever the query (use
   * `query` to match parameters); with `?` it matches path and query exactly.
   * A RegExp or a predicate is tested on path and query (`'/users/1?x=1'`).
   */
  path?: ValueMatcher;
  /** Method (default GET). */
  method?: string;
  /** Query parameters that must all be present with these values (others may be too). */
  query?: Record<string, string | number | boolean> | URLSearchParams;
  /** Header values that must match (names case-insensitive). */
  headers?: Record<string, ValueMatcher>;
  /** The body: text, a RegExp, a predicate of the text, or a value compared as parsed JSON. */
  body?: ValueMatcher | Record<string, unknown> | unknown[];
}

/**
 * The request body as text ('' for none). A streamed body is read once and
 * put back as bytes, so a request let through to the network still has it.
 * @internal
 */
export async function readBody(req: PreparedRequest): Promise<string> {
  const b = req._body;
  if (b === null) return '';
  if (b.bytes !== null) return b.bytes.toString('utf8');
  const parts: Buffer[] = [];
  // Copied: a producer may reuse its buffer for the next piece.
  for await (const piece of b.open()) parts.push(Buffer.from(pieceBytes(piece)));
  const bytes = Buffer.concat(parts);
  req._setBody(new RequestBody(bytes, null, b.length >= 0 ? b.length : bytes.length, b.contentType, true));
  return bytes.toString('utf8');
}

function test(m: ValueMatcher, value: string): boolean {
  if (typeof m === 'string') return m === value;
  if (m instanceof RegExp) {
    m.lastIndex = 0;
    return m.test(value);
  }
  return m(value) === true;
}

function pathOk(spec: MatchSpec, url: URL): boolean {
  const p = spec.path;
  if (p === undefined) return true;
  // A string path without a query matches the path whatever the query (see `query`); one with a query matches exactly.
  if (typeof p === 'string' && !p.includes('?')) return p === url.pathname;
  return test(p, url.pathname + url.search);
}

function queryOk(spec: MatchSpec, url: URL): boolean {
  const q = spec.query;
  if (q === undefined) return true;
  const entries = q instanceof URLSearchParams ? [...q] : Object.entries(q).map(([k, v]) => [k, String(v)] as const);
  return entries.every(([k, v]) => url.searchParams.getAll(k).includes(v));
}

function headersOk(spec: MatchSpec, req: PreparedRequest): boolean {
  const h = spec.headers;
  if (h === undefined) return true;
  for (const name of Object.keys(h)) {
    const v = req.headers.get(name);
    if (v === null || !test(h[name]!, v)) return false;
  }
  return true;
}

function bodyOk(spec: MatchSpec, text: string): boolean {
  const b = spec.body;
  if (b === undefined) return true;
  if (typeof b === 'string' || b instanceof RegExp || typeof b === 'function') return test(b as ValueMatcher, text);
  try {
    return isDeepStrictEqual(JSON.parse(text), b);
  } catch {
    return false;
  }
}

/** Whether `spec` matches `req` (origin compared by the caller). @internal */
export function matches(spec: MatchSpec, req: PreparedRequest, text: string): boolean {
  const url = req._url;
  return (spec.method ?? 'GET') === req.method && pathOk(spec, url) && queryOk(spec, url) && headersOk(spec, req) && bodyOk(spec, text);
}

/** How badly `spec` misses `req`: 0 for a match, more for each part that differs (the path counts most). @internal */
export function mismatchScore(spec: MatchSpec, req: PreparedRequest, text: string): number {
  const url = req._url;
  return (
    (pathOk(spec, url) ? 0 : 4) +
    ((spec.method ?? 'GET') === req.method ? 0 : 2) +
    (queryOk(spec, url) ? 0 : 1) +
    (headersOk(spec, req) ? 0 : 1) +
    (bodyOk(spec, text) ? 0 : 1)
  );
}

/** What differs between `spec` and `req`, for the unmatched-request message. @internal */
export function describeMismatch(spec: MatchSpec, req: PreparedRequest, text: string): string {
  const url = req._url;
  const out: string[] = [];
  if (!pathOk(spec, url)) out.push('path differs');
  if ((spec.method ?? 'GET') !== req.method) out.push(`method ${spec.method ?? 'GET'} ≠ ${req.method}`);
  if (!queryOk(spec, url)) out.push('query differs');
  if (!headersOk(spec, req)) out.push('headers differ');
  if (!bodyOk(spec, text)) out.push('body differs');
  return out.length > 0 ? out.join(', ') : 'matches, but used up';
}
