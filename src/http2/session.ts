/**
 * HTTP/2 over `node:http2`: one session per origin, many concurrent streams.
 * This module is {@link H2Session} (one connection); the origin's queue and
 * sessions are {@link H2Origin} in origin.ts, a request is H2Stream (stream.ts).
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
 * - A session node:http2 ended without a word (a connection error in what
 *   the server sent: it sends GOAWAY and stops reading) is found by a PING
 *   after a silence that never leaves, and destroyed with a ProtocolError
 *   ({@link H2Session._onProbe}).
 * - An idle session is closed after `pool.maxIdleMs` and unref'd while idle,
 *   so it never keeps the process alive.
 * - Responses reach the {@link Exchange} / {@link BodySink} exactly as
 *   HTTP/1.1 ones do, with `httpVersion '2'`, an empty reason and no
 *   pseudo-headers.
 * @module
 */
import http2 from 'node:http2';
import { InvalidRequestError, ProtocolError } from '../errors.js';
import type { ParserLimits } from '../core/limits.js';
import type { Connection } from '../transport/connection.js';
import type { ConnectTimes } from '../core/timings.js';
import { mapError } from './errors.js';
import { kSession, kStream, type TaggedStream } from './events.js';
import type { H2Origin } from './origin.js';
import type { H2Stream } from './stream.js';

const CONNECTION_WINDOW = 8 << 20;
/**
 * How often a session with open streams looks for signs of life. After one
 * period in which none of its streams heard anything it sends one PING (once
 * per silence: any stream event starts a new one); a PING still queued a
 * period later was never written, which on a connection that is not busy
 * sending a request body means node:http2 has ended the session (see
 * {@link H2Session._onProbe}).
 */
const PROBE_MS = 500;
/**
 * node:http2's own cap on response header fields, far above any
 * maxHeaderCount: past it node resets the stream itself with
 * ENHANCE_YOUR_CALM, which looks like the server's reset. Below it the
 * fields reach {@link H2Stream}, which answers maxHeaderCount with
 * LimitExceededError as HTTP/1.1 does. (It costs no memory up front.)
 */
const MAX_HEADER_PAIRS = 0xffff;

/** `request()` options, shared (node:http2 copies them): a request with no body ends its stream with its HEADERS. */
const END_STREAM = Object.freeze({ endStream: true });
const OPEN_STREAM = Object.freeze({ endStream: false });

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

function sessionOnProbe(this: H2Session): void {
  this._onProbe();
}

const enum Probe {
  /** No PING in this silence. */
  None = 0,
  /** A PING was sent and is not acknowledged yet. */
  Sent = 1,
  /** The PING was acknowledged (or could not be sent): the session reads; no more PINGs until a stream hears something. */
  Done = 2,
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
  /** Stream events so far (opened, head, DATA, closed): the probe's sign of life. @internal */
  activity: number;
  readonly #owner: H2Origin;
  readonly #conn: Connection;
  readonly #streams: Set<TaggedStream>;
  readonly #idleTimer: NodeJS.Timeout;
  readonly #probeTimer: NodeJS.Timeout;
  readonly #onPong: (err: Error | null) => void;
  /** {@link activity} at the last probe. */
  #seen: number;
  #probe: Probe;
  #goawayLast: number;
  #gone: boolean;

  constructor(owner: H2Origin, conn: Connection, authority: string, maxIdleMs: number, limits: ParserLimits) {
    this.active = 0;
    this.maxStreams = 1;
    this.draining = false;
    this.served = 0;
    this.error = null;
    this.headerListSize = headerListSize(limits);
    this.activity = 0;
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
    // Armed while streams are open (refreshed when the first one opens); it never keeps the process alive.
    this.#probeTimer = setTimeout(sessionOnProbe.bind(this), PROBE_MS);
    this.#probeTimer.unref();
    this.#seen = -1;
    this.#probe = Probe.None;
    this.#onPong = (err) => {
      if (err === null && this.#probe === Probe.Sent) this.#probe = Probe.Done;
    };
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
      st = this.h2.request(s.headers, s.hasBody ? OPEN_STREAM : END_STREAM) as TaggedStream;
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
    this.activity++;
    if (this.active === 1) {
      this.h2.ref();
      this.#probeTimer.refresh();
    }
    st[kSession] = this;
    this.#streams.add(st);
    s._attach(this, st, reused);
  }

  /** @internal */
  _streamClosed(st: TaggedStream): void {
    if (!this.#streams.delete(st)) return;
    st[kStream] = null;
    this.active--;
    this.activity++;
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

  /**
   * @internal Every {@link PROBE_MS} while streams are open. When node:http2
   * (nghttp2) finds a connection error in what the server sent (DATA on a
   * stream without its HEADERS, a frame over the size limit, bytes that are
   * no frame at all: RFC 9113 §5.4.1) it sends GOAWAY and stops reading and
   * writing, but tells JavaScript nothing: the session's streams would wait
   * for their read timeout, and new requests would be given to it. Such a
   * session writes nothing any more, so a PING sent after a silence stays in
   * its outbound queue; on a live one it leaves at once, unless the socket is
   * backed up by a request body (then the probe waits). A session found so
   * is destroyed with a ProtocolError: its streams fail (or are retried as
   * after any lost session) and it takes no new ones.
   */
  _onProbe(): void {
    if (this.#gone || this.active === 0) return; // start() arms it again
    if (this.activity !== this.#seen) {
      this.#seen = this.activity;
      this.#probe = Probe.None;
    } else if (this.#probe === Probe.None) {
      this.#probe = Probe.Sent;
      try {
        if (!this.h2.ping(this.#onPong)) this.#probe = Probe.Done;
      } catch {
        this.#probe = Probe.Done;
      }
    } else if (this.#probe === Probe.Sent && !this.h2.destroyed && (this.h2.state.outboundQueueSize ?? 0) > 0 && !this.#sendingBody()) {
      this.#dead();
      return;
    }
    this.#probeTimer.refresh();
  }

  #sendingBody(): boolean {
    for (const st of this.#streams) if (st[kStream]?.sending === true) return true;
    return false;
  }

  #dead(): void {
    const err = new ProtocolError(
      'HTTP/2 connection ended by node:http2 after a protocol error by the server (it sent GOAWAY and stopped reading, RFC 9113 §5.4.1); the stream cannot finish',
    );
    this.error = err;
    this.draining = true;
    this.#owner._sessionDraining(this);
    this.h2.destroy(err);
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
    clearTimeout(this.#probeTimer);
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
