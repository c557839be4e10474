/**
 * WHATWG `fetch()` on a {@link Session}: the Fetch standard's request
 * rules (method normalisation, forbidden methods, body types, `redirect`
 * modes) are applied here, the request then runs through the session's
 * whole chain as a streamed request, and the head is handed over as a
 * standard `globalThis.Response` whose body is fed from the
 * {@link StreamResponse}. What is accepted and ignored is in docs/fetch.md.
 * @module
 */
import { RequestError } from '../errors.js';
import type { BodyInit } from '../core/body.js';
import { isRedirect } from '../layers/redirect.js';
import type { RequestOptions } from './options.js';
import type { StreamResponse } from './stream-response.js';
import { toWebResponse } from './fetch-response.js';

/** What `fetch()` takes as its first argument. */
export type FetchInput = string | URL | globalThis.Request;

/**
 * The `init` of `fetch()` (the standard's RequestInit). `credentials`,
 * `mode`, `cache`, `referrer`, `referrerPolicy`, `integrity`, `keepalive`,
 * `priority` and `window` are accepted and ignored (docs/fetch.md).
 */
export interface FetchInit {
  /** Request method; the six standard ones are upper-cased (Fetch §2.2.1), others kept as given. */
  method?: string;
  /** Request headers, over the session's defaults. */
  headers?: ConstructorParameters<typeof globalThis.Headers>[0];
  /** Request body; a ReadableStream needs `duplex: 'half'`. */
  body?: ConstructorParameters<typeof globalThis.Response>[0];
  /** Abort the request and the body read; fetch rejects with the signal's reason. */
  signal?: AbortSignal | null;
  /** `'follow'` (default, at most 20 hops), `'manual'` (the 3xx response itself), `'error'` (a redirect is a network error). */
  redirect?: 'follow' | 'manual' | 'error';
  /** `'half'`: required with a ReadableStream body. */
  duplex?: 'half';
  /** Accepted and ignored: the session's cookie jar decides. */
  credentials?: string;
  /** Accepted and ignored. */
  mode?: string;
  /** Accepted and ignored (no HTTP cache). */
  cache?: string;
  /** Accepted and ignored. */
  referrer?: string;
  /** Accepted and ignored. */
  referrerPolicy?: string;
  /** Accepted and ignored (no subresource integrity check). */
  integrity?: string;
  /** Accepted and ignored. */
  keepalive?: boolean;
  /** Accepted and ignored. */
  priority?: string;
  /** Accepted and ignored (must be null in the standard). */
  window?: null;
}

/** Sends one streamed request on the session (its `#run` with the method kept as given). */
export type StreamSend = (method: string, url: string | URL, opts: RequestOptions) => Promise<StreamResponse>;

/** Most redirects Fetch follows (Fetch §4.4 HTTP-redirect fetch, step 5). */
const MAX_FETCH_REDIRECTS = 20;

/** Methods Fetch upper-cases (§2.2.1 "normalize a method"); `patch` is not one of them. */
const NORMALIZED: Readonly<Record<string, string>> = {
  delete: 'DELETE',
  get: 'GET',
  head: 'HEAD',
  options: 'OPTIONS',
  post: 'POST',
  put: 'PUT',
};

/** Forbidden methods (Fetch §2.2.1). */
const FORBIDDEN = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** A method as Fetch sends it; TypeError for a forbidden one. */
function normalizeMethod(method: string): string {
  // Fast path: already upper-case standard methods.
  if (method === 'GET' || method === 'POST') return method;
  const lower = method.toLowerCase();
  const n = NORMALIZED[lower];
  if (n !== undefined) return n;
  if (FORBIDDEN.has(method.toUpperCase())) throw new TypeError(`'${method}' HTTP method is unsupported.`);
  return method;
}

/**
 * The standard fetch over `send`. Rejects with a TypeError for a bad
 * request or a network failure (the reqivo error as `cause`), or with the
 * signal's reason once it aborted.
 */
export async function fetchWith(send: StreamSend, input: FetchInput, init: FetchInit | undefined): Promise<globalThis.Response> {
  const opts: RequestOptions = {};
  let method = 'GET';
  let url: string | URL;
  let redirect: string = 'follow';
  let signal: AbortSignal | null = null;
  let body: BodyInit | null = null;
  let duplex = false;
  if (typeof input === 'string' || input instanceof URL) url = input;
  else if (input instanceof globalThis.Request) {
    url = input.url;
    method = input.method;
    opts.headers = input.headers;
    redirect = input.redirect;
    signal = input.signal;
    if (input.body !== null && init?.body === undefined) {
      if (input.bodyUsed) throw new TypeError('Cannot construct a Request with a Request object that has already been used.');
      // Buffered so that a 307/308 redirect can send it again (the standard keeps the body's source).
      body = new Uint8Array(await input.arrayBuffer());
    }
  } else url = String(input);
  if (init !== undefined && init !== null) {
    if (init.method !== undefined) method = String(init.method);
    if (init.headers !== undefined) opts.headers = init.headers as RequestOptions['headers'];
    if (init.redirect !== undefined) redirect = init.redirect;
    if (init.signal !== undefined) signal = init.signal;
    if (init.body !== undefined) body = init.body as BodyInit | null;
    duplex = init.duplex === 'half';
  }
  method = normalizeMethod(method);
  if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') {
    throw new TypeError(`Failed to read the 'redirect' property from 'RequestInit': ${JSON.stringify(redirect)} is not a valid value.`);
  }
  if (body !== null) {
    if (method === 'GET' || method === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have body.');
    body = toBody(body, duplex);
    opts.body = body;
  }
  if (signal !== null) {
    if (signal.aborted) throw signal.reason;
    opts.signal = signal;
  }
  if (redirect === 'follow') {
    opts.followRedirects = true;
    opts.maxRedirects = MAX_FETCH_REDIRECTS;
    // The standard follows https → http (Fetch §4.4); the jar and the credential stripping still apply.
    opts.allowInsecureRedirects = true;
  } else opts.followRedirects = false;
  let res: StreamResponse;
  try {
    res = await send(method, url, opts);
  } catch (err) {
    if (signal !== null && signal.aborted) throw signal.reason;
    throw new TypeError('fetch failed', { cause: err });
  }
  // Fetch §4.3 HTTP fetch: in 'error' mode a redirect status is a network error, Location or not (its lookup is HTTP-redirect fetch's, which 'error' never reaches).
  if (redirect === 'error' && isRedirect(res.status)) {
    await res.close();
    throw new TypeError('fetch failed', { cause: new RequestError(`unexpected redirect (status ${res.status}) with redirect: 'error'`) });
  }
  return toWebResponse(res, method, signal);
}

/** A fetch body as a reqivo body; TypeError for a ReadableStream without `duplex: 'half'`. */
function toBody(body: BodyInit, duplex: boolean): BodyInit {
  if (typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return body;
  if (body instanceof URLSearchParams || body instanceof FormData || body instanceof Blob) return body;
  if (body instanceof ReadableStream) {
    if (!duplex) throw new TypeError('RequestInit: duplex option is required when sending a body.');
    if (body.locked) throw new TypeError('Response body object should not be disturbed or locked');
    return body as unknown as AsyncIterable<Uint8Array>;
  }
  // WebIDL: any other value converts to a USVString (BodyInit's last member).
  return String(body);
}
