/**
 * HTTP/2 over `node:http2`: one session per origin, many concurrent streams.
 *
 * - {@link H2Origin} (kept in `OriginPool.multiplexed`) owns the origin's
 *   sessions and a FIFO queue of requests waiting for a session or for a
 *   stream slot: never more streams than the server's
 *   `SETTINGS_MAX_CONCURRENT_STREAMS` (one until its SETTINGS arrive).
 * - A session starts on a connection from the origin's pool (TLS with ALPN
 *   `h2`, or plain TCP for h2c prior knowledge); when ALPN picks
 *   `http/1.1` instead, the connection goes back to the pool as an idle
 *   HTTP/1.1 connection and the queued requests run over HTTP/1.1.
 * - GOAWAY (RFC 9113 §6.8): the session takes no new streams; streams the
 *   server did not process (id above the last stream id, REFUSED_STREAM, or
 *   never sent) are retried on a new session — safe for any method, since
 *   the server never saw them. A stream lost otherwise before its response
 *   head is retried only when idempotent, on a reused session, with a
 *   replayable body (as HTTP/1.1 does).
 * - An idle session is closed after `pool.maxIdleMs` and unref'd while idle,
 *   so it never keeps the process alive.
 * - Responses reach the {@link Exchange} / {@link BodySink} exactly as
 *   HTTP/1.1 ones do, with `httpVersion '2'`, an empty reason and no
 *   pseudo-headers.
 * @module
 */
import http2 from 'node:http2';
import { InvalidRequestError, NetworkError } from '../errors.js';
import type { ParserLimits } from '../http1/parser.js';
import type { Connection } from '../transport/connection.js';
import type { ConnectTimes } from '../core/timings.js';
import type { Multiplexed, OriginPool } from '../transport/pool.js';
import { type H2Stream, kSession, kStream, mapError, type TaggedStream } from './stream.js';

export { H2Stream } from './stream.js';

const CONNECTION_WINDOW = 8 << 20;
/**
 * node:http2's own cap on response header fields, far above any
 * maxHeaderCount: past it node resets the stream itself with
 * ENHANCE_YOUR_CALM, which looks like the server's reset. Below it the
 * fields reach {@link H2Stream}, which answers maxHeaderCount with
 * LimitExceededError as HTTP/1.1 does. (It costs no memory up front.)
 */
const MAX_HEADER_PAIRS = 0xffff;

/**
 * SETTINGS_MAX_HEADER_LIST_SIZE for `limits` (RFC 9113 §6.5.2), or -1 for
 * none. The setting counts name + value + 32 octets per field where
 * maxHeaderBytes counts name + value + 4, so it is maxHeaderBytes plus 32 per
 * field up to maxHeaderCount (and `:status`): node:http2 enforces what we
 * announce (resetting the stream with ENHANCE_YOUR_CALM) and must never
 * refuse a head within both limits, which H2Stream checks exactly.
 */
function headerListSize(limits: ParserLimits): number {
  const size = limits.maxHeaderBytes + 32 * (limits.maxHeaderCount + 1);
  return Number.isFinite(size) && size >= 0 ? Math.min(Math.floor(size), 0xffffffff) : -1;
}

type TaggedSession = http2.ClientHttp2Session & { [kSession]?: H2Session };

/** A copy of `err` of the same class, so each request gets its own error to stamp with its URL. */
function cloneError(err: Error): Error {
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Error;
  Object.assign(copy, err);
  Object.defineProperty(copy, 'message', { value: err.message, writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', { value: err.stack, writable: true, configurable: true });
  if ('cause' in err) Object.defineProperty(copy, 'cause', { value: err.cause, writable: true, configurable: true });
  return copy;
}

// ---- session listeners ----

function sessionOnSettings(this: TaggedSession, settings: http2.Settings): void {
  this[kSession]!._onSettings(settings);
}

function sessionOnGoaway(this: TaggedSession, _code: number, lastStreamID: number): void {
  this[kSession]!._onGoaway(lastStreamID);
}

function sessionOnError(this: TaggedSession, err: Error): void {
  this[kSession]!._onError(err);
}

function sessionOnClose(this: TaggedSession): void {
  this[kSession]!._onClose();
}

function sessionOnIdle(this: H2Session): void {
  this._onIdle();
}

/** One node:http2 client session (one connection) of an origin. */
export class H2Session {
  /** The node:http2 session. */
  readonly h2: http2.ClientHttp2Session;
  /** Streams open on it. */
  active: number;
  /** Streams allowed at once: the server's SETTINGS_MAX_CONCURRENT_STREAMS, 1 until its SETTINGS arrive. */
  maxStreams: number;
  /** Takes no new streams (GOAWAY received, idle close, error). */
  draining: boolean;
  /** Streams ever started on it. */
  served: number;
  /** The session's error, if it failed. */
  error: Error | null;
  /** The SETTINGS_MAX_HEADER_LIST_SIZE it announced, or -1. */
  readonly headerListSize: number;
  readonly #owner: H2Origin;
  readonly #conn: Connection;
  readonly #streams: Set<TaggedStream>;
  readonly #idleTimer: NodeJS.Timeout;
  #goawayLast: number;
  #gone: boolean;

  constructor(owner: H2Origin, conn: Connection, authority: string, maxIdleMs: number, limits: ParserLimits) {
    this.active = 0;
    this.maxStreams = 1;
    this.draining = false;
    this.served = 0;
    this.error = null;
    this.headerListSize = headerListSize(limits);
    this.#owner = owner;
    this.#conn = conn;
    this.#streams = new Set();
    this.#goawayLast = -1;
    this.#gone = false;
    const socket = conn.detach();
    const h2 = http2.connect(authority, {
      createConnection: () => socket,
      // No server push; larger windows than the 64 KiB default for throughput.
      settings:
        this.headerListSize < 0
          ? { enablePush: false, initialWindowSize: 1 << 20 }
          : { enablePush: false, initialWindowSize: 1 << 20, maxHeaderListSize: this.headerListSize },
      maxHeaderListPairs: MAX_HEADER_PAIRS,
    }) as TaggedSession;
    h2[kSession] = this;
    h2.on('remoteSettings', sessionOnSettings);
    h2.on('goaway', sessionOnGoaway);
    h2.on('error', sessionOnError);
    h2.on('close', sessionOnClose);
    h2.once('connect', () => {
      try {
        h2.setLocalWindowSize(CONNECTION_WINDOW);
      } catch {
        // too late or destroyed: keep the default window
      }
    });
    this.h2 = h2;
    // One timer for the session's life: it fires harmlessly while busy and is refreshed each time the session goes idle.
    this.#idleTimer = setTimeout(sessionOnIdle.bind(this), Math.max(1, maxIdleMs));
    this.#idleTimer.unref();
    // detach() paused the socket; the session reads it natively from now on.
    socket.resume();
    // Idle until its first stream: it must not keep the process alive on its own.
    h2.unref();
  }

  /** When its connection was opened, connected and secured. */
  get times(): ConnectTimes | null {
    return this.#conn.times;
  }

  /** Whether it can take another stream now. */
  get available(): boolean {
    return !this.draining && !this.#gone && this.active < this.maxStreams;
  }

  /** Whether it may take streams at all (now or later). */
  get usable(): boolean {
    return !this.draining && !this.#gone && !this.h2.destroyed && !this.h2.closed;
  }

  /** Whether `st` is a stream the server said (by GOAWAY) it did not process. */
  unprocessed(st: http2.ClientHttp2Stream): boolean {
    const last = this.#goawayLast;
    if (last < 0) return false;
    return st.id === undefined || st.id > last;
  }

  /** Open a stream for `s`. */
  start(s: H2Stream): void {
    let st: TaggedStream;
    try {
      st = this.h2.request(s.headers, { endStream: !s.hasBody }) as TaggedStream;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ERR_HTTP2_INVALID_SESSION' || code === 'ERR_HTTP2_GOAWAY_SESSION' || code === 'ERR_HTTP2_OUT_OF_STREAMS') {
        this.draining = true;
        this.#owner._sessionDraining(this);
        this.#owner.requeue(s);
      } else {
        s._failQueued(new InvalidRequestError(`invalid HTTP/2 request: ${(err as Error).message}`, { cause: err }));
      }
      return;
    }
    const reused = this.served > 0;
    this.active++;
    this.served++;
    if (this.active === 1) this.h2.ref();
    st[kSession] = this;
    this.#streams.add(st);
    s._attach(this, st, reused);
  }

  /** @internal */
  _streamClosed(st: TaggedStream): void {
    if (!this.#streams.delete(st)) return;
    st[kStream] = null;
    this.active--;
    if (this.active === 0) {
      if (this.draining) this.close();
      else {
        this.h2.unref();
        this.#idleTimer.refresh();
      }
    }
    this.#owner._pump();
  }

  /** @internal */
  _onSettings(settings: http2.Settings): void {
    const max = settings.maxConcurrentStreams;
    this.maxStreams = typeof max === 'number' ? Math.max(0, Math.min(max, 0x7fffffff)) : 100;
    this.#owner._pump();
  }

  /** @internal GOAWAY: retry what the server did not process; no new streams here. */
  _onGoaway(lastStreamID: number): void {
    // A later GOAWAY may only lower the last stream id (RFC 9113 §6.8).
    this.#goawayLast = this.#goawayLast < 0 ? lastStreamID : Math.min(this.#goawayLast, lastStreamID);
    this.draining = true;
    this.#owner._sessionDraining(this);
    for (const st of Array.from(this.#streams)) {
      const s = st[kStream];
      if (s == null || s.stream !== st || !this.unprocessed(st)) continue;
      if (s._retryable(true)) s._retry();
    }
    this.#owner._pump();
  }

  /** @internal */
  _onError(err: Error): void {
    if (this.error === null) this.error = mapError(err, 0, 'on the HTTP/2 connection');
    this.draining = true;
    this.#owner._sessionDraining(this);
  }

  /** @internal */
  _onIdle(): void {
    if (this.active === 0 && !this.#gone) {
      this.draining = true;
      this.#owner._sessionDraining(this);
      this.close();
    }
  }

  /** @internal */
  _onClose(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.draining = true;
    clearTimeout(this.#idleTimer);
    this.#owner._sessionClosed(this, this.#conn);
  }

  /** Close gracefully: streams in flight finish, then the connection closes. */
  close(): void {
    this.draining = true;
    const h2 = this.h2;
    if (!h2.closed && !h2.destroyed) h2.close();
    if (this.active === 0) h2.unref();
  }
}

/** The HTTP/2 state of one origin, kept in `OriginPool.multiplexed`. */
export class H2Origin implements Multiplexed {
  /** The origin's connection pool (where sessions' connections come from). */
  readonly origin: OriginPool;
  /** Whether {@link close} was called. */
  closed: boolean;
  /** Sessions opened so far (for stats and tests). */
  sessionsOpened: number;
  readonly #authority: string;
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
    const o = origin.connectOptions;
    this.origin = origin;
    this.closed = false;
    this.sessionsOpened = 0;
    this.#authority = `${o.secure ? 'https' : 'http'}://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
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
      sess = new H2Session(this, conn, this.#authority, this.#maxIdleMs, limits);
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
