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
import { AbortError, NetworkError } from '../errors.js';
import { type ConnectOptions, Connection, type ConnectionOwner } from './connection.js';
import { connect } from './dial.js';

/** Pool settings (API.md `pool`). */
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
class Waiter {
  readonly taker: ConnectionTaker;
  readonly signal: AbortSignal | null;
  onAbort: (() => void) | null;
  readonly connectTimeoutMs: number;
  settled: boolean;
  /** Wants a new connection, never a reused one (the retry of a request a reused connection failed). */
  readonly fresh: boolean;
  /** Probe a reused connection before handing it out (the request could not be replayed if it turned out closed). */
  readonly probe: boolean;

  constructor(taker: ConnectionTaker, signal: AbortSignal | null, connectTimeoutMs: number, fresh: boolean, probe: boolean) {
    this.taker = taker;
    this.signal = signal;
    this.onAbort = null;
    this.connectTimeoutMs = connectTimeoutMs;
    this.settled = false;
    this.fresh = fresh;
    this.probe = probe;
  }
}

/** A {@link ConnectionTaker} that settles a promise ({@link OriginPool.acquire}). */
class PromiseTaker implements ConnectionTaker {
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

/** Margin kept below a server's `Keep-Alive: timeout`, so we never reuse a socket it is about to close. */
const KEEPALIVE_MARGIN_MS = 1000;

/** The connections of one origin. */
export class OriginPool implements ConnectionOwner {
  /** `scheme//host:port` plus anything else that makes connections distinct. */
  readonly key: string;
  /** How to open a connection (host, port, TLS, ALPN). */
  readonly connectOptions: ConnectOptions;
  /** Idle connections, most recently used last. */
  readonly idle: Connection[];
  /** HTTP/2 session (or other multiplexed transport) serving this origin, if any. */
  multiplexed: Multiplexed | null;
  /** Protocol learnt for this origin by ALPN: `'h2'`, `'http/1.1'`, or null before the first connection. */
  protocol: string | null;
  #pool: Pool;
  #total: number;
  #waiters: Waiter[];
  #waitHead: number;
  /** Released connections and the waiters they go to, `[waiter, connection, …]`, handed over in one microtask. */
  readonly #handoffs: (Waiter | Connection)[];
  #draining: boolean;
  readonly #drain: () => void;

  constructor(pool: Pool, key: string, connectOptions: ConnectOptions) {
    this.key = key;
    this.connectOptions = connectOptions;
    this.idle = [];
    this.multiplexed = null;
    this.protocol = null;
    this.#pool = pool;
    this.#total = 0;
    this.#waiters = [];
    this.#waitHead = 0;
    this.#handoffs = [];
    this.#draining = false;
    this.#drain = () => this.#handOver();
  }

  #handOver(): void {
    const list = this.#handoffs;
    // Hand-offs queued while this runs (a taker that releases at once) are served in the same loop.
    for (let i = 0; i < list.length; i += 2) {
      const w = list[i] as Waiter;
      const conn = list[i + 1] as Connection;
      // A fresh waiter must not get a reused connection: swap this one for a new one.
      try {
        if (w.fresh || !conn.alive || this.#pool.closed || (w.probe && !conn.probe())) {
          this.#drop(conn);
          if (this.#pool.closed) w.taker.onConnectionError(new NetworkError('the session was closed while waiting for a connection'));
          else this.#openFor(w.taker, w.signal, w.connectTimeoutMs);
        } else w.taker.onConnection(conn);
      } catch (err) {
        // A taker that threw cannot use the connection: it must not stay half-used.
        conn.destroy();
        w.taker.onConnectionError(err as Error);
      }
    }
    list.length = 0;
    this.#draining = false;
  }

  /** Connections open or being opened. */
  get size(): number {
    return this.#total;
  }

  /** Requests waiting for a connection. */
  get pending(): number {
    return this.#waiters.length - this.#waitHead;
  }

  /**
   * Pop the most recently used idle connection that is still usable, or
   * null. With `probe` (the default), a plain-TCP connection is probed
   * first ({@link Connection.probe}); a request that can be replayed on a
   * new connection may skip that (a peer's close is then met as a
   * StaleConnectionError, and the request is sent again).
   */
  takeIdle(probe = true): Connection | null {
    const idle = this.idle;
    const now = performance.now();
    while (idle.length > 0) {
      const conn = idle.pop()!;
      if (now - conn.idleSince < this.#idleLimit(conn) && (probe ? conn.probe() : conn.alive)) {
        conn.owner = null;
        conn.ref(true);
        return conn;
      }
      this.#drop(conn);
    }
    return null;
  }

  #idleLimit(conn: Connection): number {
    const max = this.#pool.options.maxIdleMs;
    return conn.keepAliveMs > 0 ? Math.min(max, conn.keepAliveMs - KEEPALIVE_MARGIN_MS) : max;
  }

  /**
   * Get a connection: an idle one (LIFO), a new one while under the cap, or
   * wait in FIFO order for one to be released. With `fresh`, only a newly
   * opened connection will do: idle ones are skipped, and when at the cap
   * the connection released for this waiter is closed and replaced.
   */
  acquire(signal: AbortSignal | null, connectTimeoutMs: number, fresh = false): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => this.wait(new PromiseTaker(resolve, reject), signal, connectTimeoutMs, fresh));
  }

  /**
   * {@link acquire} without a promise: `taker` is told by a method call,
   * synchronously when a connection is at hand. `probe: false` skips the
   * reuse probe (see {@link takeIdle}).
   */
  wait(taker: ConnectionTaker, signal: AbortSignal | null, connectTimeoutMs: number, fresh = false, probe = true): void {
    if (this.#pool.closed) {
      taker.onConnectionError(new NetworkError('the session is closed'));
      return;
    }
    const conn = fresh ? null : this.takeIdle(probe);
    if (conn !== null) {
      taker.onConnection(conn);
      return;
    }
    if (fresh && this.#total >= this.#pool.options.maxConnectionsPerOrigin && this.idle.length > 0) {
      // Make room by closing the least recently used idle connection.
      this.#drop(this.idle.shift()!);
    }
    if (this.#total < this.#pool.options.maxConnectionsPerOrigin) {
      this.#openFor(taker, signal, connectTimeoutMs);
      return;
    }
    if (signal?.aborted) {
      taker.onConnectionError(new AbortError('request aborted', { cause: signal.reason }));
      return;
    }
    const w = new Waiter(taker, signal, connectTimeoutMs, fresh, probe);
    if (signal !== null) {
      w.onAbort = () => {
        if (w.settled) return;
        w.settled = true;
        taker.onConnectionError(new AbortError('request aborted while waiting for a connection', { cause: signal.reason }));
      };
      signal.addEventListener('abort', w.onAbort, { once: true });
    }
    this.#waiters.push(w);
  }

  #openFor(taker: ConnectionTaker, signal: AbortSignal | null, connectTimeoutMs: number): void {
    this.#open(signal, connectTimeoutMs).then(
      (c) => taker.onConnection(c),
      (err: Error) => taker.onConnectionError(err),
    );
  }

  #open(signal: AbortSignal | null, connectTimeoutMs: number): Promise<Connection> {
    this.#total++;
    const opts: ConnectOptions = { ...this.connectOptions, signal, connectTimeoutMs };
    const p = this.#pool.connector(opts);
    return p.then(
      (conn) => {
        if (conn.alpnProtocol !== null) this.protocol = conn.alpnProtocol;
        return conn;
      },
      (err: unknown) => {
        this.#total--;
        this.#serveWaiter();
        throw err;
      },
    );
  }

  #nextWaiter(): Waiter | null {
    const ws = this.#waiters;
    while (this.#waitHead < ws.length) {
      const w = ws[this.#waitHead]!;
      ws[this.#waitHead++] = undefined as unknown as Waiter;
      if (this.#waitHead === ws.length) {
        ws.length = 0;
        this.#waitHead = 0;
      } else if (this.#waitHead > 1024 && this.#waitHead * 2 > ws.length) {
        ws.splice(0, this.#waitHead);
        this.#waitHead = 0;
      }
      if (!w.settled && w.taker.isWaiting()) {
        w.settled = true;
        if (w.signal !== null && w.onAbort !== null) w.signal.removeEventListener('abort', w.onAbort);
        return w;
      }
    }
    return null;
  }

  /** A slot freed up: open a connection for the next waiter, if any. */
  #serveWaiter(): void {
    if (this.#total >= this.#pool.options.maxConnectionsPerOrigin) return;
    const w = this.#nextWaiter();
    if (w === null) return;
    this.#openFor(w.taker, w.signal, w.connectTimeoutMs);
  }

  /**
   * Give a connection back. `reusable` is the caller's word that the
   * response was read to its end and the connection may carry another
   * request; anything else is destroyed.
   */
  release(conn: Connection, reusable: boolean): void {
    conn.sink = null;
    if (!reusable || !conn.alive || this.#pool.closed) {
      this.#drop(conn);
      this.#serveWaiter();
      return;
    }
    const w = this.#nextWaiter();
    if (w !== null) {
      // Handed over after the current call stack: the releaser may still be inside its parser.
      this.#handoffs.push(w, conn);
      if (!this.#draining) {
        this.#draining = true;
        queueMicrotask(this.#drain);
      }
      return;
    }
    conn.idleSince = performance.now();
    conn.owner = this;
    conn.ref(false);
    this.idle.push(conn);
    this.#pool._scheduleSweep();
  }

  /** An idle connection was closed by the peer. */
  connectionLost(conn: Connection): void {
    const i = this.idle.indexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
    this.#total--;
    this.#serveWaiter();
  }

  #drop(conn: Connection): void {
    conn.owner = null;
    conn.destroy();
    this.#total--;
  }

  /** Close idle connections past their idle limit. Returns how many stay idle. */
  sweep(now: number): number {
    const idle = this.idle;
    let kept = 0;
    for (let i = 0; i < idle.length; i++) {
      const c = idle[i]!;
      if (c.alive && now - c.idleSince < this.#idleLimit(c)) idle[kept++] = c;
      else this.#drop(c);
    }
    idle.length = kept;
    return kept;
  }

  /** Close every idle connection and the multiplexed session; reject waiters. */
  close(): void {
    for (const c of this.idle) this.#drop(c);
    this.idle.length = 0;
    this.multiplexed?.close();
    this.multiplexed = null;
    let w: Waiter | null;
    while ((w = this.#nextWaiter()) !== null) w.taker.onConnectionError(new NetworkError('the session was closed while waiting for a connection'));
  }
}

/** All origins' pools of one Session. */
export class Pool {
  /** Settings shared by every origin. */
  readonly options: PoolOptions;
  /** How connections are opened (replaceable for proxies). */
  connector: (opts: ConnectOptions) => Promise<Connection>;
  /** Whether {@link close} was called. */
  closed: boolean;
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
