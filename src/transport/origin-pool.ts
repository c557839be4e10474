/**
 * {@link OriginPool}: the connections of one origin — LIFO idle stack,
 * connection cap, FIFO wait queue of {@link ConnectionTaker}s, and the
 * reuse policy for requests that cannot be replayed (let a connection
 * released this loop turn settle; probe for a while after the server was
 * seen closing connections). {@link Pool} (pool.ts) maps origins to these.
 * @module
 */
import { AbortError, NetworkError } from '../errors.js';
import type { ConnectOptions, Connection, ConnectionOwner } from './connection.js';
import type { Multiplexed, Pool } from './pool.js';
import type { SettleTarget } from './settle.js';
import { type ConnectionTaker, PromiseTaker, Waiter } from './waiter.js';

/** How a reused connection can be handed over ({@link OriginPool.settled}). */
const NOW = 0;
const SETTLE = 1;
const CLOSED = 2;

/** How long reused connections are probed after the server was seen closing one. */
const WARY_MS = 30_000;

/** Margin kept below a server's `Keep-Alive: timeout`, so we never reuse a socket it is about to close. */
const KEEPALIVE_MARGIN_MS = 1000;

/** The connections of one origin. */
export class OriginPool implements ConnectionOwner, SettleTarget {
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
  /** Until when reused connections are probed (`performance.now()`), or 0. */
  #waryUntil: number;

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
    this.#waryUntil = 0;
  }

  #handOver(): void {
    const list = this.#handoffs;
    // Hand-offs queued while this runs (a taker that releases at once) are served in the same loop.
    for (let i = 0; i < list.length; i += 2) this.settled(list[i] as Waiter, list[i + 1] as Connection);
    list.length = 0;
    this.#draining = false;
  }

  /** Give a released connection to a waiter, or let it settle first (transport/settle.ts). @internal */
  settled(w: Waiter, conn: Connection): void {
    try {
      const alive = conn.alive;
      // A fresh waiter must not get a reused connection: swap this one for a new one.
      if (w.fresh || !alive || this.#pool.closed) {
        if (!alive) this.closedByPeer();
        this.#drop(conn);
        if (this.#pool.closed) w.taker.onConnectionError(new NetworkError('the session was closed while waiting for a connection'));
        else this.#openFor(w.taker, w.signal, w.connectTimeoutMs);
        return;
      }
      if (!w.taker.isWaiting()) {
        // It gave up while the connection settled (its deadline, an abort): the connection stays pooled.
        this.release(conn, true);
        return;
      }
      const how = w.settle ? this.#check(conn) : NOW;
      if (how === NOW) w.taker.onConnection(conn);
      else if (how === SETTLE) this.#pool.settler.defer(this, w, conn);
      else {
        this.#drop(conn);
        this.#openFor(w.taker, w.signal, w.connectTimeoutMs);
      }
    } catch (err) {
      // A taker that threw cannot use the connection: it must not stay half-used.
      conn.destroy();
      w.taker.onConnectionError(err as Error);
    }
  }

  /**
   * Whether a reused connection may carry a request that cannot be replayed
   * now. Normally it must have settled (transport/settle.ts: no syscall).
   * For a while after this origin's server was seen closing connections
   * (a reload, idle timeouts) each one is probed right before use instead
   * ({@link Connection.probe}: a FIN that came in a moment ago is seen, at
   * the price of a syscall and an exception); one the probe cannot read
   * (TLS) still settles.
   */
  #check(conn: Connection): number {
    if (this.#waryUntil !== 0) {
      if (performance.now() < this.#waryUntil) {
        if (!conn.probeable) return this.#pool.settler.isSettled(conn) ? NOW : SETTLE;
        if (conn.probe()) return NOW;
        this.closedByPeer();
        return CLOSED;
      }
      this.#waryUntil = 0;
    }
    return this.#pool.settler.isSettled(conn) ? NOW : SETTLE;
  }

  /** The server closed one of this origin's kept-alive connections: probe reused ones for a while. @internal */
  closedByPeer(): void {
    this.#waryUntil = performance.now() + WARY_MS;
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
   * null. It may have been released during this turn of the event loop:
   * a request that could not be replayed should go through {@link wait},
   * which lets it settle first.
   */
  takeIdle(): Connection | null {
    const idle = this.idle;
    const now = performance.now();
    while (idle.length > 0) {
      const conn = idle.pop()!;
      const inTime = now - conn.idleSince < this.#idleLimit(conn);
      if (inTime && conn.alive) {
        conn.owner = null;
        conn.ref(true);
        return conn;
      }
      if (inTime) this.closedByPeer();
      this.#drop(conn);
    }
    return null;
  }

  #idleLimit(conn: Connection): number {
    const max = this.#pool.options.maxIdleMs;
    return conn.keepAliveMs >= 0 ? Math.min(max, conn.keepAliveMs - KEEPALIVE_MARGIN_MS) : max;
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
   * synchronously when a connection is at hand. With `settle` (the
   * default), a connection released during this loop turn is handed over
   * only after the loop has polled it once more (transport/settle.ts): for
   * a request that could not be replayed if the server had just closed it.
   */
  wait(taker: ConnectionTaker, signal: AbortSignal | null, connectTimeoutMs: number, fresh = false, settle = true): void {
    if (this.#pool.closed) {
      taker.onConnectionError(new NetworkError('the session is closed'));
      return;
    }
    if (!fresh) {
      for (let conn = this.takeIdle(); conn !== null; conn = this.takeIdle()) {
        const how = settle ? this.#check(conn) : NOW;
        if (how === NOW) taker.onConnection(conn);
        else if (how === SETTLE) this.#pool.settler.defer(this, new Waiter(taker, signal, connectTimeoutMs, false, true), conn);
        else {
          this.#drop(conn);
          continue;
        }
        return;
      }
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
    const w = new Waiter(taker, signal, connectTimeoutMs, fresh, settle);
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
    this.#pool.settler.stamp(conn);
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
    this.closedByPeer();
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

