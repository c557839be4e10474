/**
 * Retry policy (opt-in): which failures are retried, and how long to wait
 * before the next attempt — exponential backoff with jitter, or the server's
 * `Retry-After` (RFC 9110 §10.2.3, seconds or an HTTP-date). The Session asks
 * {@link RetryPolicy.delayForStatus} / {@link RetryPolicy.delayForError} after
 * each attempt and never waits past the total timeout.
 * @module
 */
import { ConnectTimeout, InvalidRequestError, NetworkError, ReadTimeout, TlsError } from '../errors.js';
import type { Headers } from '../http/headers.js';
import { ProxyError } from '../transport/proxy.js';
import type { RetryOptions } from './options.js';
import { IDEMPOTENT_METHODS } from '../http/request-head.js';

/** Methods retried by default: the idempotent ones (RFC 9110 §9.2.2). */
export const DEFAULT_RETRY_METHODS: readonly string[] = Object.freeze([...IDEMPOTENT_METHODS]);
/** Statuses retried by default. */
export const DEFAULT_RETRY_STATUSES: readonly number[] = Object.freeze([408, 413, 429, 500, 502, 503, 504]);
/** Longest `Retry-After` honoured by default (ms); a longer one gives up with the response. */
export const DEFAULT_MAX_RETRY_AFTER = 60_000;

/** A normalised {@link RetryOptions}. */
export class RetryPolicy {
  /** Retries after the first attempt. */
  readonly limit: number;
  /** Upper-case methods that may be retried. */
  readonly methods: ReadonlySet<string>;
  /** Statuses that are retried. */
  readonly statusCodes: ReadonlySet<number>;
  /** Whether network errors and connect/read timeouts are retried. */
  readonly onNetworkError: boolean;
  /** Longest `Retry-After` honoured, in ms. */
  readonly maxRetryAfter: number;
  readonly #backoff: (attempt: number) => number;

  /** Normalise `options`; throws InvalidRequestError for values out of range. */
  constructor(options: RetryOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidRequestError('retry must be an object or false');
    const limit = options.limit ?? 2;
    if (!Number.isInteger(limit) || limit < 0) throw new InvalidRequestError('retry.limit must be a non-negative integer');
    this.limit = limit;
    this.methods = new Set((options.methods ?? DEFAULT_RETRY_METHODS).map((m) => String(m).toUpperCase()));
    this.statusCodes = new Set(options.statusCodes ?? DEFAULT_RETRY_STATUSES);
    this.onNetworkError = options.onNetworkError ?? true;
    const maxRetryAfter = options.maxRetryAfter ?? DEFAULT_MAX_RETRY_AFTER;
    if (!(maxRetryAfter >= 0)) throw new InvalidRequestError('retry.maxRetryAfter must be a non-negative number of ms');
    this.maxRetryAfter = maxRetryAfter;
    const b = options.backoff;
    if (typeof b === 'function') this.#backoff = (attempt) => sanitize(b(attempt));
    else {
      const baseMs = b?.baseMs ?? 100;
      const maxMs = b?.maxMs ?? 10_000;
      const factor = b?.factor ?? 2;
      const jitter = b?.jitter ?? 0.2;
      if (!(baseMs >= 0 && maxMs >= 0 && factor >= 1 && jitter >= 0 && jitter <= 1)) {
        throw new InvalidRequestError('retry.backoff needs baseMs >= 0, maxMs >= 0, factor >= 1 and 0 <= jitter <= 1');
      }
      this.#backoff = (attempt) => exponentialBackoff(attempt, baseMs, maxMs, factor, jitter);
    }
  }

  /** Whether a request with this method and body may be sent again at all. */
  allows(method: string, replayable: boolean): boolean {
    return this.limit > 0 && replayable && this.methods.has(method);
  }

  /** Delay before retry number `attempt` (1-based) by the backoff alone. */
  backoff(attempt: number): number {
    return this.#backoff(attempt);
  }

  /**
   * Delay before retrying a response with `status`, or -1 when it is not
   * retried (status not listed, or a `Retry-After` longer than maxRetryAfter).
   */
  delayForStatus(status: number, headers: Headers, attempt: number): number {
    if (!this.statusCodes.has(status)) return -1;
    const after = retryAfterMs(headers.get('retry-after'), Date.now());
    if (after === null) return this.#backoff(attempt);
    return after > this.maxRetryAfter ? -1 : after;
  }

  /** Delay before retrying after `err`, or -1 when the error is not retried. */
  delayForError(err: unknown, attempt: number): number {
    return this.onNetworkError && isRetryableError(err) ? this.#backoff(attempt) : -1;
  }
}

function sanitize(ms: number): number {
  return typeof ms === 'number' && ms > 0 && Number.isFinite(ms) ? ms : 0;
}

/**
 * `baseMs * factor^(attempt-1)`, capped at `maxMs`, then spread by ±`jitter`
 * (a fraction) so that many clients retrying together do not stampede.
 */
export function exponentialBackoff(attempt: number, baseMs: number, maxMs: number, factor: number, jitter: number): number {
  const raw = Math.min(maxMs, baseMs * factor ** Math.max(0, attempt - 1));
  const spread = raw * jitter * (2 * Math.random() - 1);
  return Math.max(0, Math.min(maxMs, raw + spread));
}

const IMF_DATE = /^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Za-z]{6,9}, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * Milliseconds a `Retry-After` value asks to wait: delay-seconds or an
 * HTTP-date (a date in the past means 0). Null when absent or unparseable.
 */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // The three HTTP-date forms (RFC 9110 §5.6.7); Date.parse alone accepts too much.
  let at: number;
  if (IMF_DATE.test(v) || RFC850_DATE.test(v)) at = Date.parse(v);
  else if (ASCTIME_DATE.test(v)) at = Date.parse(`${v} GMT`);
  else return null;
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/**
 * Network failures worth another attempt: refused, reset, closed early,
 * connect and read timeouts. Not TLS verification failures (they will fail
 * again) nor a proxy's 407, not the total timeout, not an abort, not a bad request or response.
 */
export function isRetryableError(err: unknown): boolean {
  if (err instanceof TlsError || (err instanceof ProxyError && err.status === 407)) return false;
  return err instanceof NetworkError || err instanceof ConnectTimeout || err instanceof ReadTimeout;
}
