/**
 * {@link Deadline}: the timeouts and the caller's AbortSignal of one
 * exchange (every redirect hop, retry and auth challenge of one
 * `session.request()`), on one clock.
 *
 * The total timeout and the signal stop whatever is in flight: the hop that
 * is running registers itself with {@link Deadline.bind} and is cancelled
 * with the error; between hops (a retry's back-off) {@link Deadline.sleep}
 * ends early. Connect and read timeouts are phase timeouts that the
 * transport applies per hop; they are carried here so every layer sees one
 * set of numbers.
 * @module
 */
import { AbortError, TimeoutError, timeoutAdvice } from '../errors.js';

/** Normalised timeouts: every phase a number of ms, Infinity for none. */
export class Timeout {
  /** Connect phase (TCP + TLS + proxy tunnel). */
  readonly connect: number;
  /** Longest gap between two reads of the response. */
  readonly read: number;
  /** Whole exchange. */
  readonly total: number;
  constructor(connect: number, read: number, total: number) {
    this.connect = connect;
    this.read = read;
    this.total = total;
  }
}

/** What a deadline stops when it expires or the signal aborts: the hop in flight. */
export interface Cancellable {
  /** Stop with `err` (the hop fails with it; its connection is destroyed). */
  cancel(err: Error): void;
  /**
   * The error for a total timeout that expired while this hop ran, naming
   * the phase when a phase timeout would have expired at the same moment
   * (e.g. `timeout: 500` sets every phase to 500 ms); null for a plain one.
   */
  phaseTimeout(deadlineAt: number): TimeoutError | null;
}

/** The timeouts and abort signal of one exchange; see the module doc. */
export class Deadline {
  /** Timeouts by phase. */
  readonly timeout: Timeout;
  /** The caller's signal, or null. */
  readonly signal: AbortSignal | null;
  /** `performance.now()` when the exchange began: the one clock of the total timeout (0 when there is none). */
  readonly started: number;
  #failure: Error | null;
  #target: Cancellable | null;
  #timer: NodeJS.Timeout | null;
  #onAbort: (() => void) | null;

  constructor(timeout: Timeout, signal: AbortSignal | null) {
    this.timeout = timeout;
    this.signal = signal;
    this.started = timeout.total !== Number.POSITIVE_INFINITY ? performance.now() : 0;
    this.#failure = null;
    this.#target = null;
    this.#timer = null;
    this.#onAbort = null;
    if (signal !== null) {
      if (signal.aborted) this.#failure = abortError(signal);
      else {
        this.#onAbort = () => this.cancel(abortError(signal));
        signal.addEventListener('abort', this.#onAbort, { once: true });
      }
    }
    const total = timeout.total;
    if (total !== Number.POSITIVE_INFINITY && this.#failure === null) {
      this.#timer = setTimeout(() => this.cancel(this.#totalTimeout()), total);
    }
  }

  /** The error that ended the exchange (abort or total timeout), or null. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Throw the exchange's failure, if any. */
  check(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  /** Milliseconds left of the total timeout (Infinity when there is none). */
  remaining(): number {
    const total = this.timeout.total;
    return total === Number.POSITIVE_INFINITY ? total : total - (performance.now() - this.started);
  }

  /** `target` is the hop in flight now (null: none); a failure from now on cancels it. */
  bind(target: Cancellable | null): void {
    this.#target = target;
  }

  /** Forget `target` if it is still the bound one (its hop is over). */
  release(target: Cancellable): void {
    if (this.#target === target) this.#target = null;
  }

  /** End the exchange with `err`: the hop in flight is cancelled, later checks throw it. */
  cancel(err: Error): void {
    if (this.#failure !== null) return;
    this.#failure = err;
    const t = this.#target;
    this.#target = null;
    if (t !== null) t.cancel(err);
  }

  /** Release the timer and the signal listener: the exchange is over. */
  finish(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#onAbort !== null) {
      this.signal!.removeEventListener('abort', this.#onAbort);
      this.#onAbort = null;
    }
    this.#target = null;
  }

  /** Wait `ms` (a retry's back-off); ends early when the exchange fails, and then rejects with its failure. */
  sleep(ms: number): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Cancellable = {
        cancel: (err) => {
          clearTimeout(timer);
          reject(err);
        },
        phaseTimeout: () => null,
      };
      const timer = setTimeout(() => {
        this.release(waiter);
        resolve();
      }, ms);
      this.bind(waiter);
    });
  }

  #totalTimeout(): TimeoutError {
    const total = this.timeout.total;
    const t = this.#target;
    const phase = t !== null ? t.phaseTimeout(this.started + total + phaseSlack(total)) : null;
    return phase ?? new TimeoutError(`request timed out after ${total} ms (total timeout)${timeoutAdvice('total', total)}`, { timeoutMs: total });
  }
}

/**
 * How far after the total deadline a phase deadline still counts as the same
 * moment: a quarter of the total, at least 20 ms and at most 1 s. The phase
 * began a little after the exchange (preparing the request, opening the
 * connection, a busy event loop), so with `timeout: N` its own timer is due
 * just after the total one; a phase that began well into the exchange (after
 * a redirect, a retry, a slow body) is not named.
 */
function phaseSlack(total: number): number {
  return Math.min(1000, Math.max(20, total / 4));
}

function abortError(signal: AbortSignal): AbortError {
  const reason: unknown = signal.reason;
  const text = reason instanceof Error ? `: ${reason.message}` : '';
  return new AbortError(`request aborted${text}`, { cause: reason });
}
