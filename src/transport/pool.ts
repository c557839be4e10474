/**
 * Connection pools: {@link OriginPool} keeps the connections of one origin
 * (LIFO idle stack, connection cap, FIFO wait queue); {@link Pool} maps
 * origins to their OriginPool and closes idle connections on time.
 *
 * Why LIFO: the most recently used socket is the least likely to have been
 * closed by the server's idle timer (Node's Agent switched for this reason).
 * Every operation is O(1) per request (httpx #3215): idle stack pop/push,
 * waiter queue with a moving head.
 *
 * An origin may instead be served by a multiplexed session (HTTP/2); the
 * client layer keeps that in {@link OriginPool.multiplexed}, which this
 * module only stores and closes.
 * @module
 */
import { type ConnectOptions, Connection } from './connection.js';
import { connect } from './dial.js';
import { OriginPool } from './origin-pool.js';
import { Settler } from './settle.js';

export type { ConnectionTaker } from './waiter.js';
export { OriginPool };

/** Pool settings (a Session's `pool` option). */
export interface PoolOptions {
  /** Most connections open or opening to one origin (default 10). */
  maxConnectionsPerOrigin: number;
  /** Close a connection idle for longer than this (default 4000 ms). */
  maxIdleMs: number;
}

/** Something that multiplexes requests for an origin and can be closed (an HTTP/2 session). */
export interface Multiplexed {
  /** Close it; in-flight work may finish. */
  close(): void;
}

/** All origins' pools of one Session. */
export class Pool {
  /** Settings shared by every origin. */
  readonly options: PoolOptions;
  /** How connections are opened (replaceable for proxies). */
  connector: (opts: ConnectOptions) => Promise<Connection>;
  /** Whether {@link close} was called. */
  closed: boolean;
  /** Lets reused connections settle before a request that cannot be replayed (transport/settle.ts). @internal */
  readonly settler: Settler;
  readonly #origins: Map<string, OriginPool>;
  #sweepTimer: NodeJS.Timeout | null;

  constructor(options: Partial<PoolOptions> = {}) {
    this.options = {
      maxConnectionsPerOrigin: options.maxConnectionsPerOrigin ?? 10,
      maxIdleMs: options.maxIdleMs ?? 4000,
    };
    if (!(this.options.maxConnectionsPerOrigin >= 1)) throw new RangeError('pool.maxConnectionsPerOrigin must be >= 1');
    this.connector = connect;
    this.closed = false;
    this.settler = new Settler();
    this.#origins = new Map();
    this.#sweepTimer = null;
  }

  /** The pool of `key`, created with `connectOptions` on first use. */
  origin(key: string, connectOptions: ConnectOptions): OriginPool {
    let op = this.#origins.get(key);
    if (op === undefined) {
      op = new OriginPool(this, key, connectOptions);
      this.#origins.set(key, op);
    }
    return op;
  }

  /** Every origin pool (for stats and tests). */
  origins(): IterableIterator<OriginPool> {
    return this.#origins.values();
  }

  /** @internal arm the idle sweep if it is not armed. */
  _scheduleSweep(): void {
    if (this.#sweepTimer !== null || this.closed) return;
    const period = Math.max(50, Math.min(this.options.maxIdleMs, 1000));
    this.#sweepTimer = setTimeout(() => {
      this.#sweepTimer = null;
      const now = performance.now();
      let left = 0;
      for (const op of this.#origins.values()) left += op.sweep(now);
      if (left > 0) this._scheduleSweep();
    }, period);
    this.#sweepTimer.unref();
  }

  /** Close idle connections of every origin and stop the sweep. */
  close(): void {
    this.closed = true;
    if (this.#sweepTimer !== null) clearTimeout(this.#sweepTimer);
    this.#sweepTimer = null;
    for (const op of this.#origins.values()) op.close();
    this.#origins.clear();
  }
}

export { Connection };
