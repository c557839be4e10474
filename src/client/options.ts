/**
 * Session and request options (docs/api.md), and their normalised forms.
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import type { HeadersInit } from '../http/headers.js';
import { DEFAULT_LIMITS, type ParserLimits } from '../http1/parser.js';
import type { LookupFunction, TlsOptions } from '../transport/connection.js';
import type { PoolOptions } from '../transport/pool.js';
import type { BodyInit } from '../core/body.js';
import { Timeout } from '../core/deadline.js';
import type { Interceptor } from '../core/dispatch.js';
import type { CacheStore } from '../layers/cache-store.js';
import type { HooksInit } from '../layers/hooks.js';
import { checkNames, LIMIT_OPTIONS, TIMEOUT_OPTIONS } from './option-names.js';

export { Timeout } from '../core/deadline.js';

/** Timeouts in milliseconds, by phase. */
export interface TimeoutOptions {
  /** TCP connect plus TLS handshake (and proxy tunnel). */
  connect?: number | null;
  /** Longest gap between two reads of the response. */
  read?: number | null;
  /** Whole exchange, redirects and retries included. */
  total?: number | null;
}

/** Size limits of a response (docs/api.md, "Limits"). */
export interface LimitOptions {
  /** Bytes of status line and headers (default 16384). */
  maxHeaderBytes?: number;
  /** Number of header fields (default 100). */
  maxHeaderCount?: number;
  /** Body bytes, after content decoding (default Infinity). */
  maxBodyBytes?: number;
  /**
   * Decoded bytes of a buffered response whose body has a Content-Encoding
   * (default `DEFAULT_MAX_DECODED_BYTES`, 32 MiB). What a server
   * sends as is costs it as many bytes as it costs us; a compressed body
   * does not (64 KiB of gzip inflate to 64 MiB), so buffered decoding gets
   * a finite bound by default. Streamed responses are bounded by
   * backpressure instead and only by `maxBodyBytes`; a smaller
   * `maxBodyBytes` wins.
   */
  maxDecodedBytes?: number;
}

/** Response size limits after normalisation: the parser's, plus the decoded-size bound. */
export interface ResponseLimits extends ParserLimits {
  /** See {@link LimitOptions.maxDecodedBytes}. */
  maxDecodedBytes: number;
}

/** Default `limits.maxDecodedBytes`: 32 MiB, half of what a 64 KiB gzip bomb inflates to. */
const DEFAULT_MAX_DECODED_BYTES = 32 * 2 ** 20;

/** Default limits of a Session: the parser's defaults plus `DEFAULT_MAX_DECODED_BYTES`. */
export const DEFAULT_RESPONSE_LIMITS: Readonly<ResponseLimits> = Object.freeze({ ...DEFAULT_LIMITS, maxDecodedBytes: DEFAULT_MAX_DECODED_BYTES });

/** Retry policy (opt-in). */
export interface RetryOptions {
  /** Retries after the first attempt (default 2). */
  limit?: number;
  /** Methods retried (default idempotent ones: GET HEAD OPTIONS PUT DELETE TRACE). */
  methods?: readonly string[];
  /** Statuses retried (default 408 413 429 500 502 503 504). */
  statusCodes?: readonly number[];
  /**
   * Delay before retry `attempt` (1-based) in ms, or options of the default
   * exponential backoff: `baseMs * factor^(attempt-1)` capped at `maxMs`,
   * spread by ±`jitter` (defaults 100 ms, 10000 ms, 2, 0.2). A `Retry-After`
   * header on the response wins over the backoff.
   */
  backoff?: ((attempt: number) => number) | { baseMs?: number; maxMs?: number; factor?: number; jitter?: number };
  /** Also retry on network errors and connect/read timeouts of retryable methods (default true). */
  onNetworkError?: boolean;
  /** Longest `Retry-After` honoured, in ms (default 60000); a longer one returns the response without retrying. */
  maxRetryAfter?: number;
}

/** Query parameters: a record of scalars or arrays, or URLSearchParams. */
export type QueryInit =
  | URLSearchParams
  | Record<string, string | number | boolean | null | undefined | readonly (string | number | boolean)[]>;

/** Progress of an upload or download. */
export interface Progress {
  /** Bytes so far. */
  loaded: number;
  /** Total bytes when known, else null. */
  total: number | null;
}

/** Options of one request (docs/api.md). */
export interface RequestOptions {
  /** Headers merged over the session's defaults. */
  headers?: HeadersInit;
  /** Query parameters appended to the URL. */
  query?: QueryInit;
  /** Raw body. */
  body?: BodyInit | null;
  /** JSON body. */
  json?: unknown;
  /** URL-encoded form body. */
  form?: Record<string, string | number | boolean | readonly (string | number | boolean)[]> | URLSearchParams;
  /** Timeout override (number = all phases). */
  timeout?: number | TimeoutOptions;
  /** Abort the request. */
  signal?: AbortSignal | null;
  /** Follow redirects (default: the session's). */
  followRedirects?: boolean;
  /** Most redirects followed (default: the session's). */
  maxRedirects?: number;
  /** Allow following an https → http redirect (default false). */
  allowInsecureRedirects?: boolean;
  /** Limit overrides. */
  limits?: LimitOptions;
  /** Decode gzip/deflate/br bodies (default true). */
  decompress?: boolean;
  /** Per-request auth (overrides the session's). */
  auth?: AuthOptions | null;
  /** Per-request proxy override. */
  proxy?: string | false | 'env';
  /** Per-request retry override (false disables). */
  retry?: RetryOptions | false;
  /** Called as request body bytes are written. */
  onUploadProgress?: (p: Progress) => void;
  /** Called as response body bytes arrive. */
  onDownloadProgress?: (p: Progress) => void;
  /** Record `res.timings` for this request (default: the session's `timings`). */
  timings?: boolean;
  /** Unix domain socket to send this request over (default: the session's); the URL still gives Host and path. */
  socketPath?: string;
}

/** Authentication. */
export type AuthOptions =
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string }
  | { type: 'digest'; username: string; password: string };

/** Options of a Session (docs/api.md). */
export interface SessionOptions {
  /** Relative request URLs resolve against it. */
  baseUrl?: string | URL;
  /** Default headers, merged under per-request ones. */
  headers?: HeadersInit;
  /** Timeouts (number = all phases). Default: connect 10 s, read 60 s, no total. */
  timeout?: number | TimeoutOptions;
  /** Response size limits. */
  limits?: LimitOptions;
  /** Connection pool settings. */
  pool?: Partial<PoolOptions>;
  /** Follow redirects (default true). */
  followRedirects?: boolean;
  /** Most redirects followed (default 10). */
  maxRedirects?: number;
  /** Keep an RFC 6265 cookie jar (default true). */
  cookies?: boolean;
  /** TLS settings. */
  tls?: TlsOptions;
  /** HTTP/2 mode: `'auto'` (ALPN on https, default), `'prior-knowledge'` (h2c), or `false`. */
  http2?: 'auto' | 'prior-knowledge' | false;
  /** Proxy: `'env'` (default), a proxy URL, or `false`. */
  proxy?: string | false | 'env';
  /** Retry policy; off when absent or `false`. */
  retry?: RetryOptions | false;
  /** Session-wide auth. */
  auth?: AuthOptions | null;
  /** Decode gzip/deflate/br bodies (default true). */
  decompress?: boolean;
  /** Interceptors around each round trip, the first outermost (also `session.use()`). */
  interceptors?: readonly Interceptor[];
  /** Hooks: `onRequest`, `onResponse`, `beforeRetry`, `beforeRedirect`, `onError` (functions or arrays). */
  hooks?: HooksInit;
  /** Record `res.timings` (timestamps and phases of the last hop) on every response (default false). */
  timings?: boolean;
  /** An RFC 9111 private cache: `true` (a MemoryCache), a `MemoryCache({ maxBytes })`, or any `{ get, set, delete }` store; off by default. */
  cache?: boolean | CacheStore;
  /** Unix domain socket every request goes over (no proxy then); the URL still gives Host and path. */
  socketPath?: string;
  /** Resolver instead of `dns.lookup`, with the `net.connect` `lookup` signature. */
  lookup?: LookupFunction;
  /** Resolve host names to IPv4 (4) or IPv6 (6) addresses only. */
  family?: 4 | 6;
  /** Local address to connect from. */
  localAddress?: string;
  /** Happy eyeballs (RFC 8305): try the addresses of both families in turn (default true). */
  autoSelectFamily?: boolean;
}


function ms(v: number | null | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  if (v === null) return Number.POSITIVE_INFINITY;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) throw new InvalidRequestError(`timeout.${what} must be a non-negative number of ms`);
  return v === 0 ? Number.POSITIVE_INFINITY : v;
}

/** Default timeouts: 10 s connect, 60 s read gap, no total. */
export const DEFAULT_TIMEOUT = new Timeout(10_000, 60_000, Number.POSITIVE_INFINITY);

/** Normalise a timeout option over `base`. A number sets every phase; 0 or null means none. */
export function toTimeout(t: number | TimeoutOptions | undefined, base: Timeout): Timeout {
  if (t === undefined) return base;
  if (typeof t === 'number') {
    const v = ms(t, 0, 'value');
    return new Timeout(v, v, v);
  }
  if (t === null || typeof t !== 'object') throw new InvalidRequestError('timeout must be a number or { connect, read, total }');
  checkNames(t, TIMEOUT_OPTIONS, 'timeout option');
  return new Timeout(ms(t.connect, base.connect, 'connect'), ms(t.read, base.read, 'read'), ms(t.total, base.total, 'total'));
}

/** Normalise limits over `base`. */
export function toLimits(l: LimitOptions | undefined, base: ResponseLimits): ResponseLimits {
  if (l === undefined) return base;
  if (l === null || typeof l !== 'object') throw new InvalidRequestError('limits must be an object');
  checkNames(l, LIMIT_OPTIONS, 'limits option');
  const out: ResponseLimits = {
    maxHeaderBytes: l.maxHeaderBytes ?? base.maxHeaderBytes,
    maxHeaderCount: l.maxHeaderCount ?? base.maxHeaderCount,
    maxBodyBytes: l.maxBodyBytes ?? base.maxBodyBytes,
    maxDecodedBytes: l.maxDecodedBytes ?? base.maxDecodedBytes,
  };
  for (const k of ['maxHeaderBytes', 'maxHeaderCount', 'maxBodyBytes', 'maxDecodedBytes'] as const) {
    if (!(out[k] >= 0)) throw new InvalidRequestError(`limits.${k} must be a non-negative number`);
  }
  return out;
}
