/**
 * The retry layer (opt-in): which failures are retried, and how long to wait
 * before the next attempt — exponential backoff with jitter, or the server's
 * `Retry-After` (RFC 9110 §10.2.3, seconds or an HTTP-date). After each
 * attempt the layer asks {@link RetryPolicy.delayForStatus} /
 * {@link RetryPolicy.delayForError}, runs the `beforeRetry` hooks, and never
 * waits past the total timeout. Only methods the policy names, with a body
 * that can be sent again, are retried.
 * @module
 */
import { ConnectTimeout, InvalidRequestError, NetworkError, ReadTimeout, TlsError } from '../errors.js';
import type { Headers } from '../http/headers.js';
import { parseHttpDate } from '../http/date.js';
import { ProxyError } from '../errors.js';
import type { RetryOptions } from '../client/options.js';
import { checkNames, RETRY_OPTIONS } from '../client/option-names.js';
import type { AnyResponse, Interceptor } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import { cacheGenerated } from './cache-generated.js';
import { discard } from './discard.js';
import { type Hooks, runHooks } from './hooks.js';
import { IDEMPOTENT_METHODS } from '../http/methods.js';

/** Methods retried by default: the idempotent ones (RFC 9110 §9.2.2). */
const DEFAULT_RETRY_METHODS: readonly string[] = Object.freeze([...IDEMPOTENT_METHODS]);
/** Statuses retried by default. */
const DEFAULT_RETRY_STATUSES: readonly number[] = Object.freeze([408, 413, 429, 500, 502, 503, 504]);
/** Longest `Retry-After` honoured by default (ms); a longer one gives up with the response. */
const DEFAULT_MAX_RETRY_AFTER = 60_000;

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
    checkNames(options, RETRY_OPTIONS, 'retry option');
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

/**
 * Milliseconds a `Retry-After` value asks to wait: delay-seconds or an
 * HTTP-date (a date in the past means 0). Null when absent or unparseable.
 */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // The three HTTP-date forms (RFC 9110 §5.6.7); Date.parse alone accepts too much.
  const at = parseHttpDate(v);
  return at === null ? null : Math.max(0, at - now);
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

/** The policy a request runs under: its own `retry` option, else the session's; null for none. */
function policyFor(req: PreparedRequest, session: RetryPolicy | null): RetryPolicy | null {
  const r = req.options.retry;
  if (r === undefined) return session;
  return r === false ? null : new RetryPolicy(r);
}

/** The layer, over the session's policy (a request's `retry` option overrides it). */
export function retryLayer(session: RetryPolicy | null, hooks: Hooks): Interceptor {
  return (next) => async (req) => {
    const policy = policyFor(req, session);
    if (policy === null || policy.limit === 0) return next(req);
    const deadline = req.deadline;
    for (let retries = 0; ; ) {
      let res: AnyResponse;
      try {
        res = await next(req);
      } catch (err) {
        // Network failures: retried only for a method the policy allows, with a body that can be sent again.
        if (!mayRetry(policy, req, retries) || (deadline !== null && deadline.failure !== null)) throw err;
        const delay = policy.delayForError(err, retries + 1);
        if (delay < 0 || (deadline !== null && delay >= deadline.remaining())) throw err;
        retries++;
        await pauseBefore(req, hooks, { attempt: retries, error: err as Error, response: null, delayMs: delay });
        continue;
      }
      // A 504 the cache made (only-if-cached) would only be made again.
      if (mayRetry(policy, req, retries) && !cacheGenerated(res)) {
        const delay = policy.delayForStatus(res.status, res._peekHeaders(), retries + 1);
        // Never past the total timeout: when the wait would pass it, the response stands.
        if (delay >= 0 && (deadline === null || delay < deadline.remaining())) {
          await discard(res);
          retries++;
          await pauseBefore(req, hooks, { attempt: retries, error: null, response: res, delayMs: delay });
          continue;
        }
      }
      if (retries > 0) res._setRetries(retries);
      return res;
    }
  };
}

/** Whether another attempt is allowed now (asked after an attempt: a one-shot body it read cannot go again). */
function mayRetry(policy: RetryPolicy, req: PreparedRequest, retries: number): boolean {
  return retries < policy.limit && policy.allows(req.method, req.canResend());
}

async function pauseBefore(req: PreparedRequest, hooks: Hooks, info: { attempt: number; error: Error | null; response: AnyResponse | null; delayMs: number }): Promise<void> {
  if (hooks.beforeRetry.length > 0) await runHooks('beforeRetry', hooks.beforeRetry, req, info);
  if (req.deadline !== null) await req.deadline.sleep(info.delayMs);
  else if (info.delayMs > 0) await new Promise((r) => setTimeout(r, info.delayMs));
}
