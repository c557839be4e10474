/**
 * Reuse settling: a kept-alive connection released during this turn of the
 * event loop is handed to a request that cannot be replayed only after the
 * loop has polled its socket once more.
 *
 * Why: a server may close a keep-alive connection right behind a response
 * whose head still allows reuse (nginx's old worker on `nginx -s reload`
 * does). Its FIN reaches the kernel a moment after the response bytes, and
 * libuv reads it only on its next poll, so in the same turn the connection
 * still looks open. A GET written there is replayed on a new connection by
 * the stale layer when the peer's close comes; a POST is not (it may have
 * been acted on), so it would fail. Waiting for one poll lets the FIN, or
 * bytes nobody asked for, be read first: the connection is then seen closed
 * (or destroyed) and the request goes out on another one.
 *
 * How: a barrier is two `setImmediate` hops; between them lies at least one
 * whole poll phase that began after the barrier was started. Connections
 * released before a barrier started are settled once it has finished. One
 * barrier serves every connection waiting at the time, so under load the
 * cost is two immediates per batch, not per request; no syscall, no
 * exception. Replay-safe requests never wait.
 * @module
 */
import type { Connection } from './connection.js';
import type { Waiter } from './waiter.js';

/** What a settled connection is given back to: the origin pool it came from. */
export interface SettleTarget {
  /** The barrier passed: hand `conn` to `waiter` (or retry the settling if it is still too fresh). @internal */
  settled(waiter: Waiter, conn: Connection): void;
}

/** One Session's barrier (shared by its origins). */
export class Settler {
  /** Barriers started so far; a released connection is stamped with this count. */
  #started: number;
  /** Connections stamped below this count are settled. */
  #settledBelow: number;
  /** `[target, waiter, connection, …]` waiting for the running barrier. */
  #queue: (SettleTarget | Waiter | Connection)[];
  #armed: boolean;
  readonly #hop: () => void;
  readonly #finish: () => void;

  constructor() {
    this.#started = 0;
    this.#settledBelow = 0;
    this.#queue = [];
    this.#armed = false;
    this.#hop = () => {
      setImmediate(this.#finish);
    };
    this.#finish = () => this.#flush();
  }

  /** Stamp a connection as released now. */
  stamp(conn: Connection): void {
    conn.releasedIn = this.#started;
  }

  /** Whether the loop has polled `conn`'s socket since it was released. */
  isSettled(conn: Connection): boolean {
    return conn.releasedIn < this.#settledBelow;
  }

  /** Hold `conn` for `waiter` until a barrier has passed, then call `target.settled(waiter, conn)`. */
  defer(target: SettleTarget, waiter: Waiter, conn: Connection): void {
    this.#queue.push(target, waiter, conn);
    if (this.#armed) return;
    this.#armed = true;
    this.#started++;
    setImmediate(this.#hop);
  }

  #flush(): void {
    this.#settledBelow = this.#started;
    this.#armed = false;
    const q = this.#queue;
    this.#queue = [];
    // A connection released after this barrier started goes round once more (target.settled re-defers it).
    for (let i = 0; i < q.length; i += 3) {
      (q[i] as SettleTarget).settled(q[i + 1] as Waiter, q[i + 2] as Connection);
    }
  }
}
