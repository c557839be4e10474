/**
 * {@link H2Origin}: the HTTP/2 state of one origin (kept in
 * `OriginPool.multiplexed`) — its sessions, and the FIFO queue of requests
 * waiting for a session or a stream slot (retries ahead of new requests).
 * It opens a session on a connection from the origin's pool when needed,
 * falls back to HTTP/1.1 when ALPN picks it, and fails the waiting requests
 * when a connection cannot be had or dies before its session starts.
 * @module
 */
import { NetworkError } from '../errors.js';
import type { ParserLimits } from '../core/limits.js';
import type { Connection } from '../transport/connection.js';
import type { Multiplexed, OriginPool } from '../transport/pool.js';
import { cloneError } from './errors.js';
import { H2Session } from './session.js';
import type { H2Stream } from './stream.js';

export { H2Stream } from './stream.js';

/** The HTTP/2 state of one origin, kept in `OriginPool.multiplexed`. */
export class H2Origin implements Multiplexed {
  /** The origin's connection pool (where sessions' connections come from). */
  readonly origin: OriginPool;
  /** Whether {@link close} was called. */
  closed: boolean;
  /** Sessions opened so far (for stats and tests). */
  sessionsOpened: number;
  readonly #maxIdleMs: number;
  readonly #sessions: Set<H2Session>;
  #current: H2Session | null;
  #connecting: boolean;
  /** Cancels the connection being opened when every request waiting for it is gone. */
  #connectAbort: AbortController | null;
  #queue: H2Stream[];
  #head: number;
  #retries: H2Stream[];

  constructor(origin: OriginPool, maxIdleMs: number) {
    this.origin = origin;
    this.closed = false;
    this.sessionsOpened = 0;
    this.#maxIdleMs = maxIdleMs;
    this.#sessions = new Set();
    this.#current = null;
    this.#connecting = false;
    this.#connectAbort = null;
    this.#queue = [];
    this.#head = 0;
    this.#retries = [];
  }

  /** The H2Origin of `origin`, created on first use. */
  static of(origin: OriginPool, maxIdleMs: number): H2Origin {
    const m = origin.multiplexed;
    if (m instanceof H2Origin && !m.closed) return m;
    const h = new H2Origin(origin, maxIdleMs);
    origin.multiplexed = h;
    return h;
  }

  /** Sessions open now (draining ones included). */
  get sessions(): number {
    return this.#sessions.size;
  }

  /** Requests waiting for a session or a stream slot. */
  get pending(): number {
    return this.#queue.length - this.#head + this.#retries.length;
  }

  /** Queue a request and start what can start. */
  dispatch(s: H2Stream): void {
    if (this.closed) {
      s._failQueued(new NetworkError('the session is closed'));
      return;
    }
    this.#queue.push(s);
    this._pump();
  }

  /** Queue a request again, ahead of new ones (a retry). */
  requeue(s: H2Stream): void {
    if (this.closed) {
      s._failQueued(new NetworkError('the session was closed before the request could be retried'));
      return;
    }
    this.#retries.push(s);
  }

  /** Drop an aborted request from the queue. */
  forget(s: H2Stream): void {
    let i = this.#retries.indexOf(s);
    if (i !== -1) this.#retries.splice(i, 1);
    i = this.#queue.indexOf(s, this.#head);
    if (i !== -1) this.#queue.splice(i, 1);
    // Nobody waits for the connection being opened any more: stop opening it (no socket left behind).
    if (this.#connecting && this.#peek() === null) this.#connectAbort?.abort(new Error('no request is waiting for this connection'));
  }

  #peek(): H2Stream | null {
    while (this.#retries.length > 0) {
      const s = this.#retries[0]!;
      if (!s.done) return s;
      this.#retries.shift();
    }
    const q = this.#queue;
    while (this.#head < q.length) {
      const s = q[this.#head]!;
      if (!s.done) return s;
      this.#take();
    }
    return null;
  }

  #take(): H2Stream {
    if (this.#retries.length > 0) return this.#retries.shift()!;
    const q = this.#queue;
    const s = q[this.#head]!;
    q[this.#head++] = undefined as unknown as H2Stream;
    if (this.#head === q.length) {
      q.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > q.length) {
      q.splice(0, this.#head);
      this.#head = 0;
    }
    return s;
  }

  /** @internal start queued requests while the current session has slots; open a session when needed. */
  _pump(): void {
    for (;;) {
      const s = this.#peek();
      if (s === null) return;
      const sess = this.#current;
      if (sess === null || !sess.usable) {
        this.#current = null;
        if (!this.#connecting && !this.closed) this.#connect(s.connectTimeoutMs, s.limits);
        return;
      }
      if (!sess.available) return;
      sess.start(this.#take());
    }
  }

  /** Open a connection for a new session; `limits` (the first waiting request's) go into its SETTINGS. */
  #connect(connectTimeoutMs: number, limits: ParserLimits): void {
    this.#connecting = true;
    const ac = new AbortController();
    this.#connectAbort = ac;
    this.origin.acquire(ac.signal, connectTimeoutMs).then(
      (conn) => {
        this.#connectAbort = null;
        this.#connected(conn, limits);
      },
      (err: Error) => {
        this.#connectAbort = null;
        this.#connecting = false;
        this.#failQueued(err);
      },
    );
  }

  #connected(conn: Connection, limits: ParserLimits): void {
    this.#connecting = false;
    if (this.closed) {
      this.origin.release(conn, false);
      return;
    }
    const secure = this.origin.connectOptions.secure;
    if (secure && conn.alpnProtocol !== 'h2') {
      // The server picked HTTP/1.1 (or no ALPN): the origin is HTTP/1.1 from now on.
      this.origin.protocol = conn.alpnProtocol ?? 'http/1.1';
      this.origin.release(conn, true);
      let s: H2Stream | null;
      while ((s = this.#peek()) !== null) {
        this.#take();
        s._fallback();
      }
      return;
    }
    if (!conn.alive) {
      // The connection died between its connect and now (before any byte): a session over it would never
      // settle its streams. The requests waiting for it fail, retries of unprocessed streams included.
      this.origin.release(conn, false);
      this.#failQueued(new NetworkError('the connection closed before the HTTP/2 session could start', { cause: conn.error ?? undefined }));
      return;
    }
    let sess: H2Session;
    try {
      sess = new H2Session(this, conn, this.#maxIdleMs, limits);
    } catch (err) {
      this.origin.release(conn, false);
      this.#failQueued(new NetworkError(`could not start an HTTP/2 session: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.sessionsOpened++;
    this.#sessions.add(sess);
    this.#current = sess;
    this._pump();
  }

  #failQueued(err: Error): void {
    const waiting: H2Stream[] = [];
    while (this.#peek() !== null) waiting.push(this.#take());
    // Copies made before any is failed: failing stamps the error with its request's method and URL.
    const errors = waiting.map((_, i) => (i === 0 ? err : cloneError(err)));
    for (let i = 0; i < waiting.length; i++) waiting[i]!._failQueued(errors[i]!);
  }

  /** @internal a session stopped taking streams. */
  _sessionDraining(sess: H2Session): void {
    if (this.#current === sess) this.#current = null;
  }

  /** @internal a session's connection closed: its pool slot is free. */
  _sessionClosed(sess: H2Session, conn: Connection): void {
    if (this.#current === sess) this.#current = null;
    this.#sessions.delete(sess);
    this.origin.connectionLost(conn);
    if (!this.closed) this._pump();
  }

  /** Close every session gracefully (streams in flight finish) and fail queued requests. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#current = null;
    this.#failQueued(new NetworkError('the session was closed while the request waited for an HTTP/2 stream'));
    for (const sess of this.#sessions) sess.close();
  }
}
