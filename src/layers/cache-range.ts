/**
 * A Range request answered from a stored complete response (RFC 9110
 * §14, RFC 9111 §3.4): one byte range (`a-b`, `a-`, `-n`) of a fresh,
 * stored 200 whose body is not content-coded, as a 206 with its
 * Content-Range. Anything else — several ranges, another unit, an
 * unsatisfiable range, a coded or stale or partial stored response — is
 * the origin's to answer; the layer passes it by.
 * @module
 */
import type { AnyResponse } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import { createResponse } from '../client/respond.js';
import { metaOf } from './cache-entry.js';
import { mark } from './cache-serve.js';
import type { StoredResponse } from './cache-store.js';

/** The one range `value` asks of a body of `size` bytes, as [first, last] (inclusive), or null when it is not one satisfiable byte range. */
export function byteRange(value: string, size: number): [number, number] | null {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value);
  if (m === null) return null;
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '') {
    // Suffix: the last n bytes.
    if (b === '') return null;
    const n = Number(b);
    return n === 0 || size === 0 ? null : [Math.max(0, size - n), size - 1];
  }
  const first = Number(a);
  const last = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== '' && Number(b) < first) return null;
  return first >= size ? null : [first, last];
}

/** A stored response this cache may cut a range from: a complete 200, its body as the representation (not content-coded). */
export function rangeable(stored: StoredResponse): boolean {
  return stored.status === 200 && !metaOf(stored).coded;
}

/** The 206 for `range` of `stored`, as a hit. */
export async function serveRange(req: PreparedRequest, stored: StoredResponse, age: number, range: [number, number]): Promise<AnyResponse> {
  const [first, last] = range;
  const headers: string[] = [];
  const list = stored.headers;
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i]!.toLowerCase();
    if (n !== 'content-length' && n !== 'content-range' && n !== 'age') headers.push(list[i]!, list[i + 1]!);
  }
  headers.push('content-range', `bytes ${first}-${last}/${stored.body.byteLength}`, 'content-length', String(last - first + 1), 'age', String(Math.floor(age)));
  const res = await createResponse(req, { status: 206, reason: 'Partial Content', httpVersion: stored.httpVersion, headers: headersInit(headers), body: stored.body.subarray(first, last + 1) });
  return mark(res, 'hit');
}

/** A flat list as pairs (HeadersInit). */
function headersInit(list: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < list.length; i += 2) out.push([list[i]!, list[i + 1]!]);
  return out;
}
