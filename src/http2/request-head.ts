/**
 * The HTTP/2 request head: pseudo-header fields first, field names
 * lower-cased, connection-specific fields dropped (RFC 9113 §8.2.2), `Host`
 * as `:authority`, content-length from the body — and its HPACK block,
 * encoded once for a head sent again and again.
 * @module
 */
import type { RequestBody } from '../core/body.js';
import { HeadMemo } from '../http/head-memo.js';
import { CONTENT_METHODS } from '../http/methods.js';
import { HpackEncoder } from './hpack.js';

/** Connection-specific fields that HTTP/2 forbids (RFC 9113 §8.2.2); `host` becomes `:authority`, content-length comes from the body. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'te', 'http2-settings', 'content-length']);

/** Stateless (it never indexes): the same fields always give the same block, so a block can be kept and sent on any connection. */
const ENCODER = new HpackEncoder();

/**
 * The h2 request head as a flat `[name, value, …]` list, pseudo-header
 * fields first.
 * @param list flat `[name, value, …]` list of the request's fields
 * @internal
 */
export function toH2Fields(method: string, scheme: string, authority: string, path: string, list: readonly string[], body: RequestBody | null): string[] {
  const out = [':method', method, ':scheme', scheme, ':authority', authority, ':path', path];
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!.toLowerCase();
    const value = list[i + 1]!;
    if (CONNECTION_SPECIFIC.has(name)) {
      if (name === 'host') out[5] = value;
      else if (name === 'te' && value.trim().toLowerCase() === 'trailers') out.push('te', 'trailers');
      continue;
    }
    out.push(name, value);
  }
  if (body !== null) {
    if (body.length >= 0) out.push('content-length', String(body.length));
  } else if (CONTENT_METHODS.has(method)) out.push('content-length', '0');
  return out;
}

/** The last head encoded (http/head-memo.ts); a block handed out is never written to. */
const LAST = new HeadMemo<Buffer>();

/**
 * The HPACK block of the h2 request head (built once per request, reused by
 * its retries; the same request again gets the same block).
 * @internal
 */
export function h2HeadBlock(method: string, scheme: string, authority: string, path: string, list: readonly string[], body: RequestBody | null): Buffer {
  const length = body === null ? -2 : body.length;
  return LAST.get(method, scheme, authority, path, length, list) ?? LAST.set(method, scheme, authority, path, length, list, ENCODER.encode(toH2Fields(method, scheme, authority, path, list, body)));
}
