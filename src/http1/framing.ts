/**
 * What a response head says about its body and its connection (RFC 9112):
 * the framing fields (Content-Length, Transfer-Encoding, Connection,
 * Keep-Alive) are noted as the {@link ResponseParser} reads them, and at the
 * end of a final head they give the framing and persistence. Sans-I/O.
 *
 * - §6.3 message body length, in order:
 *   1. HEAD request, 1xx, 204, 304: no body whatever the headers say;
 *      100 and 103 (every 1xx but 101) are interim and skipped (by the parser);
 *   2. 2xx to CONNECT: no body, the connection becomes a tunnel; its
 *      Content-Length and Transfer-Encoding are ignored (RFC 9110 §9.3.6);
 *   3. Transfer-Encoding, a list (RFC 9110 §5.6.1: empty elements dropped)
 *      of codings: chunked last, once, without parameters (§7.1 defines
 *      none): chunked; only the obsolete no-op `identity`: until close
 *      (rule 4); any other coding, or none at all: InvalidResponseError, as
 *      reqivo sends no TE field (RFC 9110 §10.1.4) and never hands back
 *      transfer-coded bytes as the body; with Content-Length too:
 *      Transfer-Encoding wins and the connection is not reused;
 *   4. Content-Length (a list of equal values is one value; differing values are an error);
 *   5. otherwise until the connection closes.
 * - §9.3 persistence: 1.1 unless `Connection: close`; 1.0 only with `keep-alive`.
 * @module
 */
import { declaredTooLarge } from '../core/limits.js';
import { InvalidResponseError } from '../errors.js';
import { listElements } from '../http/syntax.js';

/** Body framing of the current message. */
export const enum Framing {
  None = 0,
  Length = 1,
  Chunked = 2,
  Close = 3,
}

/**
 * The framing fields of one head and the decision they give at its end.
 * One per parser, {@link reset} for each head (interim ones too).
 */
export class HeadFraming {
  /** Declared Content-Length, or -1 (-1 too once Transfer-Encoding won). */
  contentLength!: number;
  /** The `Keep-Alive: timeout=` hint in milliseconds, or -1. */
  keepAliveTimeoutMs!: number;
  /** Set by {@link decide}: whether the connection may carry another request. */
  keepAlive!: boolean;
  /** Set by {@link decide}: a 101, or a 2xx to CONNECT (bytes after the head are not HTTP). */
  upgraded!: boolean;
  /** Every Transfer-Encoding field so far, joined with `, `, or null. */
  #te!: string | null;
  #connectionClose!: boolean;
  #connectionKeepAlive!: boolean;

  constructor() {
    this.reset();
  }

  /** Back to the start values, for a new head (the constructor's too: one list of them). */
  reset(): void {
    this.contentLength = -1;
    this.keepAliveTimeoutMs = -1;
    this.keepAlive = true;
    this.upgraded = false;
    this.#te = null;
    this.#connectionClose = false;
    this.#connectionKeepAlive = false;
  }

  /**
   * Note a header field, its value whole (obs-fold joined); a name other than
   * the four framing fields is ignored.
   * @param tunnel the head is a 2xx answer to CONNECT: its Content-Length is
   *   ignored, whatever it says (RFC 9110 §9.3.6)
   * @throws InvalidResponseError for a bad or conflicting Content-Length.
   */
  note(name: string, value: string, tunnel = false): void {
    const lname = name.toLowerCase();
    if (lname === 'content-length') {
      if (!tunnel) this.contentLength = contentLengthOf(value, this.contentLength);
    } else if (lname === 'transfer-encoding') this.#te = this.#te === null ? value : `${this.#te}, ${value}`;
    else if (lname === 'connection') {
      const t = connectionTokensOf(value);
      if ((t & CONNECTION_CLOSE) !== 0) this.#connectionClose = true;
      if ((t & CONNECTION_KEEP_ALIVE) !== 0) this.#connectionKeepAlive = true;
    } else if (lname === 'keep-alive') {
      const t = keepAliveTimeoutOf(value);
      if (t !== -1) this.keepAliveTimeoutMs = t;
    }
  }

  /**
   * The framing of a final response (status 101 or 200..599) whose head just
   * ended; sets {@link keepAlive}, {@link upgraded} and {@link contentLength}.
   * @param noBody the request was HEAD
   * @param connect the request was CONNECT
   * @throws InvalidResponseError for a transfer coding reqivo cannot undo;
   *   LimitExceededError for a Content-Length over `maxBodyBytes`.
   */
  decide(status: number, version: string, noBody: boolean, connect: boolean, maxBodyBytes: number): Framing {
    const close = this.#connectionClose;
    this.keepAlive = version === '1.1' ? !close : this.#connectionKeepAlive && !close;
    const te = this.#te;
    if (status === 101 || (connect && status >= 200 && status < 300)) {
      this.upgraded = true;
      this.keepAlive = false;
      return Framing.None;
    }
    if (noBody || status === 204 || status === 304) return Framing.None;
    if (te !== null) {
      const framing = transferFraming(te);
      // TE with Content-Length, or TE in HTTP/1.0: framing is suspect, do not reuse (§6.1, §6.3).
      if (this.contentLength !== -1 || version === '1.0' || framing === Framing.Close) this.keepAlive = false;
      this.contentLength = -1;
      return framing;
    }
    if (this.contentLength !== -1) {
      if (this.contentLength > maxBodyBytes) throw declaredTooLarge(this.contentLength, maxBodyBytes);
      return Framing.Length;
    }
    this.keepAlive = false;
    return Framing.Close;
  }
}

/**
 * The framing a Transfer-Encoding value (all fields joined with `, `) gives
 * a response with a body (RFC 9112 §6.1, §6.3 rules 3-4, §7).
 * @throws InvalidResponseError for a coding reqivo cannot undo.
 */
export function transferFraming(te: string): Framing.Chunked | Framing.Close {
  if (te.length === 7 && te.toLowerCase() === 'chunked') return Framing.Chunked;
  const codings = listElements(te);
  if (codings.length === 0) throw new InvalidResponseError('Transfer-Encoding names no transfer coding');
  let chunked = false;
  for (const coding of codings) {
    const c = coding.toLowerCase();
    // §6.1: chunked is applied once and last.
    if (chunked) throw new InvalidResponseError(`Transfer-Encoding ${JSON.stringify(te)}: chunked must be the last coding, applied once`);
    if (c === 'chunked') chunked = true;
    else if (c === 'identity') continue; // RFC 2616's no-op coding: nothing to undo
    else {
      const why = /^chunked[ \t]*;/.test(c) ? 'chunked takes no parameters' : `unsupported transfer coding ${JSON.stringify(coding)}`;
      throw new InvalidResponseError(`Transfer-Encoding ${JSON.stringify(te)}: ${why}`);
    }
  }
  return chunked ? Framing.Chunked : Framing.Close;
}

/**
 * The value of one Content-Length field: a number, or a list of equal
 * numbers (§6.3 rule 4); `known` is the value of an earlier field, or -1.
 * @throws InvalidResponseError for anything else, or a value unlike `known`.
 */
export function contentLengthOf(value: string, known: number): number {
  // Fast path: one plain number (what nearly every server sends).
  const n = value.length;
  let v = -1;
  if (n > 0 && n <= 15) {
    let x = 0;
    let i = 0;
    for (; i < n; i++) {
      const d = value.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      x = x * 10 + d;
    }
    if (i === n) v = x;
  }
  if (v === -1) {
    for (const part of value.split(',')) {
      const m = /^[ \t]*(\d{1,15})[ \t]*$/.exec(part);
      if (m === null) throw new InvalidResponseError(`invalid Content-Length ${JSON.stringify(value)}`);
      const p = Number(m[1]);
      if (v !== -1 && p !== v) throw new InvalidResponseError(`conflicting Content-Length values ${JSON.stringify(value)}`);
      v = p;
    }
  }
  if (known !== -1 && known !== v) throw new InvalidResponseError('conflicting Content-Length headers');
  return v;
}

/*
 * A connection's responses repeat their Connection and Keep-Alive values (the
 * parser even hands back the previous response's string when the bytes are
 * equal), so each parse below remembers its last value: a string compare
 * instead of a split or a regular expression per response (1 % of the CPU of
 * 256 GETs in flight, profiled).
 */
let lastKeepAlive: string | null = null;
let lastKeepAliveMs = -1;
let lastConnection: string | null = null;
let lastConnectionTokens = 0;

/** The `timeout=` of a Keep-Alive field value in milliseconds, or -1. */
export function keepAliveTimeoutOf(value: string): number {
  if (value !== lastKeepAlive) {
    const m = /(?:^|[,;\s])timeout\s*=\s*"?(\d{1,9})/i.exec(value);
    lastKeepAliveMs = m ? Number(m[1]) * 1000 : -1;
    lastKeepAlive = value;
  }
  return lastKeepAliveMs;
}

/** Connection option `close` (RFC 9112 §9.6). */
const CONNECTION_CLOSE = 1;
/** Connection option `keep-alive` (an HTTP/1.0 server's way to keep the connection, RFC 9112 §9.3). */
const CONNECTION_KEEP_ALIVE = 2;

/** Whether a Connection field value (or null: none) carries the `close` option (RFC 9112 §9.6). */
export function hasCloseOption(value: string | null): boolean {
  return value !== null && (connectionTokensOf(value) & CONNECTION_CLOSE) !== 0;
}

/** The {@link CONNECTION_CLOSE} and {@link CONNECTION_KEEP_ALIVE} bits of one Connection field value. */
export function connectionTokensOf(value: string): number {
  if (value !== lastConnection) {
    let t = 0;
    for (const tok of value.split(',')) {
      const o = tok.trim().toLowerCase();
      if (o === 'close') t |= CONNECTION_CLOSE;
      else if (o === 'keep-alive') t |= CONNECTION_KEEP_ALIVE;
    }
    lastConnectionTokens = t;
    lastConnection = value;
  }
  return lastConnectionTokens;
}
