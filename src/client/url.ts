/**
 * Request URL resolution: base URL, query parameters, validation.
 * @module
 */
import { InvalidRequestError, redactCause, redactUrl } from '../errors.js';
import type { QueryInit } from './options.js';

/** Resolve `input` against `base`, append `query`, and check the scheme is http(s). */
export function resolveUrl(input: string | URL, base: URL | null, query: QueryInit | undefined): URL {
  if (base === null && typeof input === 'string' && !SCHEME.test(parserView(input))) {
    throw new InvalidRequestError(`invalid URL: relative URL '${redactUrl(input)}' needs the session's baseUrl option (or pass an absolute URL)`);
  }
  let url: URL;
  try {
    url = typeof input === 'string' ? (base !== null ? joinBase(input, base) : new URL(input)) : new URL(input.href);
  } catch (err) {
    if (err instanceof InvalidRequestError) throw err;
    // The message names the input through the caller's prefix (credentials removed); the base is ours to show.
    throw new InvalidRequestError(`invalid URL${base ? ` (base ${displayUrl(base)})` : ''}`, { cause: redactCause(err) });
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
 * An `http+unix://<percent-encoded socket path>/path` (or `https+unix:`)
 * URL as the socket path and the URL sent over it, `http://localhost/path`
 * (so Host is `localhost`); null for any other input.
 * @throws InvalidRequestError when the socket path is empty or badly encoded.
 */
export function splitUnixUrl(input: string | URL): { url: string; socketPath: string } | null {
  const s = typeof input === 'string' ? parserView(input) : input.href;
  const m = /^(https?)\+unix:\/\/([^/?#]*)([^#]*)/i.exec(s);
  if (m === null) return null;
  let socketPath: string;
  try {
    socketPath = decodeURIComponent(m[2]!);
  } catch {
    throw new InvalidRequestError('the socket path of an http+unix: URL is badly percent-encoded');
  }
  if (socketPath === '') throw new InvalidRequestError('an http+unix: URL needs a socket path: http+unix://%2Fpath%2Fto.sock/request-path');
  const rest = m[3]!;
  return { url: `${m[1]!.toLowerCase()}://localhost${rest.startsWith('/') ? rest : `/${rest}`}`, socketPath };
}

/** `scheme://` or `scheme:\\` (special schemes read `\` as `/`): an absolute URL naming its host. */
const ABSOLUTE = /^[a-zA-Z][a-zA-Z\d+.-]*:[/\\]{2}/;
const SCHEME = /^[a-zA-Z][a-zA-Z\d+.-]*:/;
// `http:host` is relative or absolute depending on the base's scheme (WHATWG URL §4.4): refuse the guess.
const SCHEME_WITHOUT_HOST = 'a URL with a scheme must be absolute (scheme://host/…)';

/** `input` as the URL parser reads it: C0 controls and spaces trimmed, tabs and newlines removed (WHATWG URL §4.4). */
function parserView(input: string): string {
  return input.replace(/[\t\n\r]/g, '').replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');
}

/**
 * Join like httpx: a relative path is appended to the base path (the base is
 * treated as a directory even without a trailing slash); an absolute URL
 * (`scheme://…`) wins.
 *
 * A relative input never leaves the base: not its origin (`//host`,
 * `/\host`, `\\host`, `http:host` are refused, after removing tabs and
 * newlines as the URL parser does, WHATWG URL §4.4) and not its path (`..`
 * segments, `%2e%2e` included, may not climb above it), so a path built from
 * user input cannot take the session's credentials to another host or to
 * another part of the API. To go elsewhere, pass an absolute URL.
 */
function joinBase(input: string, base: URL): URL {
  const s = parserView(input);
  if (ABSOLUTE.test(s)) return new URL(s);
  if (SCHEME.test(s)) throw new InvalidRequestError(SCHEME_WITHOUT_HOST);
  // Two leading slashes, in any mix with backslashes (special schemes read `\` as `/`), name a host.
  if (/^[/\\]{2}/.test(s)) throw new InvalidRequestError('a relative URL may not start with two slashes (it would name another host); pass an absolute URL');
  const dir = new URL(base.pathname.endsWith('/') ? base.href : `${base.origin}${base.pathname}/${base.search}`);
  const rel = s.startsWith('/') || s.startsWith('\\') ? s.slice(1) : s;
  if (rel === '') return dir;
  // `./` keeps a colon in the first segment from reading as a scheme (RFC 3986 §4.2).
  const url = new URL(`./${rel}`, dir);
  if (url.origin !== dir.origin || !url.pathname.startsWith(dir.pathname)) {
    throw new InvalidRequestError('a relative URL may not leave the base URL (`..` above its path); pass an absolute URL');
  }
  return url;
}

/**
 * Resolve `input` against `base` by the URL standard's rules (RFC 3986 §5),
 * except that a relative input may not land on another origin (`//host`,
 * `/\host`, `scheme:host`, …): only an absolute URL (`scheme://host/…`)
 * leaves the base's origin.
 * @throws InvalidRequestError for a relative input that would leave the origin, or a malformed URL.
 */
export function resolveSameOrigin(input: string, base: URL): URL {
  const s = parserView(input);
  if (ABSOLUTE.test(s)) return new URL(s);
  if (SCHEME.test(s)) throw new InvalidRequestError(SCHEME_WITHOUT_HOST);
  const url = new URL(s, base);
  if (url.origin !== base.origin) throw new InvalidRequestError('a relative URL may not leave the origin of the base URL; pass an absolute URL');
  return url;
}

/** Append query parameters (arrays repeat the key; null/undefined are skipped). */
function appendQuery(url: URL, query: QueryInit): void {
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
