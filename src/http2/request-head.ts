/**
 * The HTTP/2 request head for node:http2: pseudo-header fields first, field
 * names lower-cased, connection-specific fields dropped (RFC 9113 §8.2.2),
 * `Host` as `:authority`, and content-length from the body.
 * @module
 */
import type http2 from 'node:http2';
import type { RequestBody } from '../core/body.js';
import { HeadMemo } from '../http/head-memo.js';
import { CONTENT_METHODS } from '../http/methods.js';

/** Connection-specific fields that HTTP/2 forbids (RFC 9113 §8.2.2); `host` becomes `:authority`. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'te', 'http2-settings', 'content-length']);

/**
 * The h2 request head (built once per request, reused by its retries).
 * @param list flat `[name, value, …]` list
 * @internal
 */
export function toH2Headers(method: string, scheme: string, authority: string, path: string, list: readonly string[], body: RequestBody | null): http2.OutgoingHttpHeaders {
  const length = body === null ? -2 : body.length;
  return LAST.get(method, scheme, authority, path, length, list) ?? LAST.set(method, scheme, authority, path, length, list, build(method, scheme, authority, path, list, body));
}

/**
 * The last head built (http/head-memo.ts). node:http2 copies the object it is
 * given before adding to it, and nothing here writes to it once built, so
 * streams in flight can share it.
 */
const LAST = new HeadMemo<http2.OutgoingHttpHeaders>();

function build(method: string, scheme: string, authority: string, path: string, list: readonly string[], body: RequestBody | null): http2.OutgoingHttpHeaders {
  // A literal, not Object.create(null): V8 keeps it a fast object, which node:http2 reads (keys,
  // validation, a copy) far quicker than a dictionary. Own-property checks keep inherited names
  // (`constructor`, `__proto__`) ordinary field names.
  const h: http2.OutgoingHttpHeaders = { ':method': method, ':scheme': scheme, ':authority': authority, ':path': path };
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!.toLowerCase();
    const value = list[i + 1]!;
    if (CONNECTION_SPECIFIC.has(name)) {
      if (name === 'host') h[':authority'] = value;
      else if (name === 'te' && value.trim().toLowerCase() === 'trailers') h.te = 'trailers';
      continue;
    }
    const prev = Object.hasOwn(h, name) ? h[name] : undefined;
    if (prev === undefined) {
      if (name === '__proto__') Object.defineProperty(h, name, { value, enumerable: true, writable: true, configurable: true });
      else h[name] = value;
    } else if (Array.isArray(prev)) prev.push(value);
    else h[name] = [String(prev), value];
  }
  if (body !== null) {
    if (body.length >= 0) h['content-length'] = String(body.length);
  } else if (CONTENT_METHODS.has(method)) h['content-length'] = '0';
  return h;
}
