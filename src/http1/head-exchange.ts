/**
 * One request head out, one response head back, on a connection no pool
 * owns: the exchange behind CONNECT tunnels and WebSocket Upgrades. Write the
 * head, parse the answer with {@link ResponseParser} (interim 1xx heads are
 * skipped, a 101 or a 2xx to CONNECT ends the message at its head), and hand
 * back the head with the connection, paused, plus the bytes that followed the
 * head when the protocol switched. Bounded by a deadline (not an idle timer:
 * a peer trickling bytes cannot stretch it) and by an AbortSignal.
 * @module
 */
import { AbortError, ConnectTimeout, NetworkError } from '../errors.js';
import type { Connection, ConnectionSink } from '../transport/connection.js';
import { DEFAULT_LIMITS, type ParserHandler, type ParserLimits, ResponseParser } from './parser.js';

/** The response head {@link exchangeHead} resolves with. */
export interface ExchangedHead {
  /** Status of the final head (never a skipped 1xx). */
  status: number;
  /** Reason phrase (may be empty). */
  reason: string;
  /** `'1.1'` or `'1.0'`. */
  version: string;
  /** Header fields, flat `[name, value, …]`, latin1. */
  headers: string[];
  /** The protocol switched (101, or 2xx to CONNECT): the connection now carries other bytes than HTTP. */
  upgraded: boolean;
  /** Bytes received after the head of an upgraded response (the first bytes of the new protocol), or null. */
  rest: Buffer | null;
}

/** The errors an exchange fails with; each one the caller does not give has a plain default. */
export interface HeadExchangeErrors {
  /** The head did not arrive within `timeoutMs` (default: ConnectTimeout). */
  timeout?: (timeoutMs: number) => Error;
  /** The signal aborted (default: AbortError with the reason as cause). */
  aborted?: (reason: unknown) => Error;
  /** The connection closed before the head was complete (default: NetworkError). */
  closed?: (err: Error | null) => Error;
  /** The response head is invalid or too large (default: the parser's own InvalidResponseError or LimitExceededError). */
  invalid?: (err: Error) => Error;
}

/** What {@link exchangeHead} needs besides the connection. */
export interface HeadExchangeOptions {
  /** The request method (`'CONNECT'` makes a 2xx a tunnel). */
  method: string;
  /** The whole request head, CRLF CRLF included, written as latin1. */
  head: string;
  /** Parser limits (maxHeaderBytes bounds each head); default 16 KiB and 100 fields. */
  limits?: ParserLimits;
  /** Time allowed (ms; 0 or Infinity for none), counted from `started`. */
  timeoutMs: number;
  /** `performance.now()` when the attempt began (what came before, e.g. the connect, counts too); default now. */
  started?: number;
  /** Abort the exchange. */
  signal?: AbortSignal | null;
  /** The errors to fail with. */
  errors?: HeadExchangeErrors;
}

/** Runs one exchange: the connection's sink until the head is in. */
class HeadExchange implements ParserHandler, ConnectionSink {
  readonly #parser: ResponseParser;
  readonly #errors: HeadExchangeErrors;
  readonly #resolve: (head: ExchangedHead) => void;
  readonly #reject: (err: Error) => void;
  #done: boolean;
  #headSeen: boolean;
  #timer: NodeJS.Timeout | null;
  #signal: AbortSignal | null;
  #onAbort: (() => void) | null;

  constructor(o: HeadExchangeOptions, resolve: (head: ExchangedHead) => void, reject: (err: Error) => void) {
    this.#parser = new ResponseParser(this, o.limits ?? DEFAULT_LIMITS);
    this.#parser.reset(o.method);
    this.#errors = o.errors ?? {};
    this.#resolve = resolve;
    this.#reject = reject;
    this.#done = false;
    this.#headSeen = false;
    this.#timer = null;
    this.#signal = null;
    this.#onAbort = null;
  }

  /** Bound the exchange and watch the signal; false when it already failed. */
  arm(conn: Connection, o: HeadExchangeOptions): boolean {
    const signal = o.signal ?? null;
    if (signal !== null) {
      if (signal.aborted) {
        this.fail(conn, this.#aborted(signal.reason));
        return false;
      }
      this.#signal = signal;
      this.#onAbort = () => this.fail(conn, this.#aborted(signal.reason));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    const ms = o.timeoutMs;
    if (ms > 0 && ms !== Number.POSITIVE_INFINITY) {
      const left = Math.max(1, ms - (performance.now() - (o.started ?? performance.now())));
      this.#timer = setTimeout(() => this.fail(conn, this.#errors.timeout?.(ms) ?? new ConnectTimeout(`no response head within ${ms} ms`, { timeoutMs: ms })), left);
    }
    if (conn.closed) {
      this.onClose(conn, conn.error);
      return false;
    }
    return true;
  }

  #aborted(reason: unknown): Error {
    return this.#errors.aborted?.(reason) ?? new AbortError('aborted while waiting for the response head', { cause: reason });
  }

  #settle(): void {
    this.#done = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#onAbort !== null) this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  fail(conn: Connection, err: Error): void {
    if (this.#done) return;
    this.#settle();
    conn.sink = null;
    conn.destroy();
    this.#reject(err);
  }

  onHead(): void {
    this.#headSeen = true;
  }

  onBody(): void {}

  onComplete(): void {}

  onData(conn: Connection, data: Buffer): void {
    if (this.#done) return;
    const p = this.#parser;
    let n = data.length;
    try {
      n = p.execute(data);
    } catch (err) {
      // Past the head, only a body nobody reads was wrong (the head is what was asked for).
      if (!this.#headSeen) {
        this.fail(conn, this.#errors.invalid?.(err as Error) ?? (err as Error));
        return;
      }
    }
    if (!this.#headSeen) return;
    this.#settle();
    conn.sink = null;
    // Further bytes wait in the socket for whoever takes the connection over.
    conn.socket.pause();
    this.#resolve({
      status: p.status,
      reason: p.reason,
      version: p.version,
      headers: p.headers,
      upgraded: p.upgraded,
      rest: p.upgraded && n < data.length ? data.subarray(n) : null,
    });
  }

  onClose(conn: Connection, err: Error | null): void {
    if (this.#done) return;
    const e = this.#errors.closed?.(err) ?? new NetworkError(`connection closed before the response head${err !== null ? `: ${err.message}` : ''}`, { cause: err ?? undefined });
    this.fail(conn, e);
  }

  /** Never called: no read timeout is set on such a connection (the deadline bounds the exchange). */
  onTimeout(): void {}
}

/**
 * Write `o.head` on `conn` and resolve with the response head. On success
 * the connection is the caller's: no sink, socket paused, `rest` holding what
 * came after an upgraded head (a non-upgraded answer leaves the connection
 * unusable: destroy it). On failure the connection is destroyed and the
 * promise rejects with one of `o.errors` (or its default).
 */
export function exchangeHead(conn: Connection, o: HeadExchangeOptions): Promise<ExchangedHead> {
  return new Promise<ExchangedHead>((resolve, reject) => {
    const ex = new HeadExchange(o, resolve, reject);
    if (!ex.arm(conn, o)) return;
    conn.sink = ex;
    // A plain socket out of a proxy tunnel comes paused.
    conn.socket.resume();
    conn.socket.write(o.head, 'latin1');
  });
}
