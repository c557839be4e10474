/**
 * Who waits for a pooled connection: the {@link ConnectionTaker} interface
 * (told by a method call, no promise), a {@link Waiter} in an origin's FIFO
 * queue, and {@link PromiseTaker} for callers that want a promise.
 * @module
 */
import type { Connection } from './connection.js';

/**
 * Something waiting for a connection without a promise (the HTTP/1.1 hop):
 * told once, by a method call, when it has one or when none will come.
 */
export interface ConnectionTaker {
  /** A connection for you: yours until released. @internal */
  onConnection(conn: Connection): void;
  /** No connection could be opened for you. @internal */
  onConnectionError(err: Error): void;
  /** Whether it still wants a connection (false once it gave up, e.g. its deadline expired). @internal */
  isWaiting(): boolean;
}

/** One taker in the FIFO queue. */
export class Waiter {
  readonly taker: ConnectionTaker;
  readonly signal: AbortSignal | null;
  onAbort: (() => void) | null;
  readonly connectTimeoutMs: number;
  settled: boolean;
  /** Wants a new connection, never a reused one (the retry of a request a reused connection failed). */
  readonly fresh: boolean;
  /** Let a reused connection settle before it is handed out (the request could not be replayed if it turned out closed). */
  readonly settle: boolean;

  constructor(taker: ConnectionTaker, signal: AbortSignal | null, connectTimeoutMs: number, fresh: boolean, settle: boolean) {
    this.taker = taker;
    this.signal = signal;
    this.onAbort = null;
    this.connectTimeoutMs = connectTimeoutMs;
    this.settled = false;
    this.fresh = fresh;
    this.settle = settle;
  }
}

/** A {@link ConnectionTaker} that settles a promise ({@link OriginPool.acquire}). */
export class PromiseTaker implements ConnectionTaker {
  readonly resolve: (conn: Connection) => void;
  readonly reject: (err: Error) => void;
  constructor(resolve: (conn: Connection) => void, reject: (err: Error) => void) {
    this.resolve = resolve;
    this.reject = reject;
  }
  onConnection(conn: Connection): void {
    this.resolve(conn);
  }
  onConnectionError(err: Error): void {
    this.reject(err);
  }
  isWaiting(): boolean {
    return true;
  }
}

