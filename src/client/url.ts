/**
 * Request URL resolution: base URL, query parameters, validation.
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import type { QueryInit } from './options.js';

/** Resolve `input` against `base`, append `query`, and check the scheme is http(s). */
export function resolveUrl(input: string | URL, base: URL | null, query: QueryInit | undefined): URL {
  let url: URL;
  try {
    url = typeof input === 'string' ? (base !== null ? joinBase(input, base) : new URL(input)) : new URL(input.href);
  } catch (err) {
    // The message names the input through the caller's prefix (credentials removed); the base is ours to show.
    throw new InvalidRequestError(`invalid URL${base ? ` (base ${base.href})` : ''}`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidRequestError(`unsupported URL scheme ${JSON.stringify(url.protocol)}: use http: or https:`);
  }
  if (url.hostname === '') throw new InvalidRequestError('URL has no host');
  if (query !== undefined) appendQuery(url, query);
  if (url.hash !== '') url.hash = '';
  return url;
}

/**
 * Join like httpx: a relative path is appended to the base path (the base is
 * treated as a directory even without a trailing slash); an absolute URL wins.
 */
function joinBase(input: string, base: URL): URL {
  if (/^[a-zA-Z][a-zA-Z\d+.-]*:/.test(input)) return new URL(input);
  if (input.startsWith('//')) return new URL(input, base);
  const dir = base.pathname.endsWith('/') ? base.href : `${base.origin}${base.pathname}/${base.search}`;
  const rel = input.startsWith('/') ? input.slice(1) : input;
  return new URL(rel, new URL(dir));
}

/** Append query parameters (arrays repeat the key; null/undefined are skipped). */
export function appendQuery(url: URL, query: QueryInit): void {
  const sp = url.searchParams;
  if (query instanceof URLSearchParams) {
    for (const [k, v] of query) sp.append(k, v);
    return;
  }
  if (query === null || typeof query !== 'object') throw new InvalidRequestError('query must be an object or URLSearchParams');
  for (const k of Object.keys(query)) {
    const v = query[k];
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) sp.append(k, String(item));
    else sp.append(k, String(v));
  }
}

/** `scheme//host:port` of a URL, always with the port, for pool keys and origin comparison. */
export function originKey(url: URL): string {
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return `${url.protocol}//${url.hostname}:${port}`;
}

/** The URL without credentials, for messages and `res.url`. */
export function displayUrl(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const u = new URL(url.href);
  u.username = '';
  u.password = '';
  return u.href;
}
