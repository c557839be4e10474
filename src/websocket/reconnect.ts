/**
 * The reconnect policy of `autoReconnect`: which closes are worth coming
 * back after, and how long to wait before each attempt.
 * @module
 */
import { AbortError } from '../errors.js';

/** Close codes after which an auto-reconnecting client comes back: a drop (1006), going away, server errors, restart, try later. */
export function reconnectable(code: number): boolean {
  return code === 1001 || code === 1006 || (code >= 1011 && code <= 1014);
}

/**
 * Delay before reconnect attempt `attempt` (1, 2, …): `baseMs` doubled per
 * attempt, capped at `maxMs`, with "equal jitter" — half fixed, half random,
 * so clients dropped together do not return together.
 */
function reconnectDelay(attempt: number, baseMs: number, maxMs: number): number {
  const base = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/** What a {@link Reconnector} needs from its WebSocket. */
export interface ReconnectOwner {
  /** `close()` was called or the WebSocket ended for good: stop. @internal */
  reconnectStopped(): boolean;
  /** Open a new connection (handshake included) and attach it. @internal */
  reopen(): Promise<void>;
  /** An attempt is scheduled (`reconnecting` event). @internal */
  reconnecting(attempt: number, delayMs: number, cause: Error): void;
  /** An attempt succeeded (`reconnect` event), before `onReconnect` runs. @internal */
  reconnected(attempt: number): void;
  /** `onReconnect` failed (an `error` event; waiting sends still go out). @internal */
  reconnectHookFailed(err: Error): void;
  /** No more attempts: close for good with `err` (1006). @internal */
  reconnectGaveUp(err: Error): void;
  /** The user's signal aborted an attempt. @internal */
  reconnectAborted(err: Error): void;
  /** An error naming the request. @internal */
  wsError(message: string, code?: number, cause?: unknown): Error;
}

interface Deferred {
  resolve(): void;
  reject(e: Error): void;
}

/**
 * Reconnecting around a WebSocket's connections: the attempts with their
 * backoff, the `onReconnect` hook, and everything waiting for the next
 * connection (`connect()` during an outage, sends) — released once a
 * connection is open and the hook is done, or rejected when it ends for good.
 */
export class Reconnector {
  readonly #owner: ReconnectOwner;
  readonly #maxAttempts: number;
  readonly #delayMs: number;
  readonly #maxDelayMs: number;
  readonly #hook: ((attempt: number) => void | Promise<void>) | null;
  #attempt: number;
  #timer: NodeJS.Timeout | null;
  /** Allocated when something first waits. */
  #waiters: Deferred[] | null;

  constructor(owner: ReconnectOwner, s: { maxReconnectAttempts: number; reconnectDelayMs: number; maxReconnectDelayMs: number; onReconnect: ((attempt: number) => void | Promise<void>) | null }) {
    this.#owner = owner;
    this.#maxAttempts = s.maxReconnectAttempts;
    this.#delayMs = s.reconnectDelayMs;
    this.#maxDelayMs = s.maxReconnectDelayMs;
    this.#hook = s.onReconnect;
    this.#attempt = 0;
    this.#timer = null;
    this.#waiters = null;
  }

  /** Resolves when the next connection is open (and `onReconnect` done); rejects when the WebSocket ends. */
  waitOpen(): Promise<void> {
    return new Promise<void>((resolve, reject) => (this.#waiters ??= []).push({ resolve, reject }));
  }

  /** Settle everything of {@link waitOpen}: open (`null`) or ended (`err`). */
  release(err: Error | null): void {
    const w = this.#waiters;
    if (w === null) return;
    this.#waiters = null;
    for (const d of w) {
      if (err === null) d.resolve();
      else d.reject(err);
    }
  }

  /** Stop a scheduled attempt. */
  cancel(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  /** The connection dropped for `cause`: schedule the next attempt, or give up. */
  schedule(cause: Error): void {
    const attempt = ++this.#attempt;
    const max = this.#maxAttempts;
    if (attempt > max) {
      this.#owner.reconnectGaveUp(this.#owner.wsError(`gave up reconnecting after ${max} attempt${max === 1 ? '' : 's'}: ${cause.message}`, 1006, cause));
      return;
    }
    const delay = reconnectDelay(attempt, this.#delayMs, this.#maxDelayMs);
    this.#owner.reconnecting(attempt, delay, cause);
    this.#timer = setTimeout(attemptNow, delay, this, attempt);
  }

  /** @internal The backoff of `attempt` is over. */
  _attempt(attempt: number): void {
    this.#timer = null;
    const owner = this.#owner;
    if (owner.reconnectStopped()) return;
    owner.reopen().then(
      () => this.#reconnected(attempt),
      (err: Error) => {
        if (owner.reconnectStopped()) return;
        if (err instanceof AbortError) owner.reconnectAborted(err);
        else this.schedule(err);
      },
    );
  }

  #reconnected(attempt: number): void {
    this.#attempt = 0;
    this.#owner.reconnected(attempt);
    const hook = this.#hook;
    if (hook === null) {
      this.release(null);
      return;
    }
    const release = (): void => this.release(null);
    const failed = (e: unknown): void => {
      this.#owner.reconnectHookFailed(e instanceof Error ? e : new Error(String(e)));
      release();
    };
    try {
      const r = hook(attempt);
      if (r !== undefined && r !== null && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).then(release, failed);
      else release();
    } catch (e) {
      failed(e);
    }
  }
}

/** setTimeout callback of a reconnect attempt (no closure per attempt). */
function attemptNow(r: Reconnector, attempt: number): void {
  r._attempt(attempt);
}
