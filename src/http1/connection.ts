/**
 * HTTP/1.1 over one pooled {@link Connection}: writes the request, feeds the
 * socket's bytes to the sans-I/O parser, hands the head and body to the
 * request's {@link Exchange}, and gives the connection back to its pool —
 * reusable only when the response was read to its end, the request body was
 * fully sent, and the server allows keep-alive.
 *
 * One H1Conn per connection (kept in `conn.state`), reused for every request
 * it carries, so a request allocates no parser and no closures here.
 * @module
 */
import { InvalidResponseError, NetworkError, ReadTimeout, RequestError, timeoutAdvice } from '../errors.js';
import type { ParserHandler, ParserLimits } from './parser.js';
import { Framing, ResponseParser } from './parser.js';
import type { Connection, ConnectionSink } from '../transport/connection.js';
import type { OriginPool } from '../transport/pool.js';
import { tlsFailure } from '../transport/tls-errors.js';
import { pieceBytes, type RequestBody } from '../core/body.js';
import type { BodySink, Exchange, FlowControl } from '../core/sink.js';

export type { Exchange } from '../core/sink.js';


const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
/** An Upgrade field in a serialised request head. */
const UPGRADE_FIELD = /\r\nupgrade[ \t]*:/i;
/** Bodies up to this size are copied next to the head and written once. */
const COALESCE_LIMIT = 16 * 1024;

function waitDrain(conn: Connection): Promise<void> {
  return new Promise<void>((resolve) => {
    const s = conn.socket;
    const done = (): void => {
      s.removeListener('drain', done);
      s.removeListener('close', done);
      resolve();
    };
    s.on('drain', done);
    s.on('close', done);
  });
}

/** HTTP/1.1 protocol state of one connection. */
export class H1Conn implements ParserHandler, ConnectionSink, FlowControl {
  readonly conn: Connection;
  readonly origin: OriginPool;
  readonly parser: ResponseParser;
  #exchange: Exchange | null;
  #body: BodySink | null;
  #requestDone: boolean;
  /** The request said `Connection: close`: no further request may go on this connection (RFC 9112 §9.6). */
  #closeRequested: boolean;
  /**
   * `performance.now()` of the last bytes read, or of the request being
   * written, when the request asked for it (a read and a total timeout both
   * set: it tells which of them ran out); else 0.
   */
  lastActivity: number;
  /** Whether this request keeps {@link lastActivity}. */
  #stampReads: boolean;
  /** Read timeout of the exchange in flight (suspended while the body's reader holds the socket paused). */
  #readTimeout: number;
  /** The head of the request in flight (read only when a 101 comes back). */
  #head: string;
  /** The body's sink gets bytes of its own (a copy of each shared-buffer read): see {@link onBody}. */
  #copyBody: boolean;
  /** The read being parsed, while {@link #copyBody}: the first body chunk of it copies the rest once. */
  #read: Buffer | null;
  /** That copy (of `#read` from byte `#copyFrom` on), or null. */
  #readCopy: Buffer | null;
  #copyFrom: number;

  constructor(conn: Connection, origin: OriginPool) {
    this.conn = conn;
    this.origin = origin;
    this.parser = new ResponseParser(this);
    this.#exchange = null;
    this.#body = null;
    this.#requestDone = false;
    this.#closeRequested = false;
    this.lastActivity = 0;
    this.#stampReads = false;
    this.#readTimeout = 0;
    this.#head = '';
    this.#copyBody = false;
    this.#read = null;
    this.#readCopy = null;
    this.#copyFrom = 0;
    conn.state = this;
  }

  /** The H1Conn of a connection, created on first use. */
  static of(conn: Connection, origin: OriginPool): H1Conn {
    const s = conn.state;
    return s instanceof H1Conn ? s : new H1Conn(conn, origin);
  }

  /** Whether a request is in flight on this connection. */
  get busy(): boolean {
    return this.#exchange !== null;
  }

  /** @internal Reads of a shared-buffer connection are parsed in place (see {@link onBody}). */
  get borrowsReads(): boolean {
    return true;
  }

  /**
   * Send a request. `head` is the serialised request head; the body, if any,
   * follows (chunked when its length is unknown). Results go to `exchange`.
   */
  dispatch(
    exchange: Exchange,
    method: string,
    head: string,
    body: RequestBody | null,
    readTimeoutMs: number,
    limits: ParserLimits,
    closeRequested = false,
    stampReads = false,
  ): void {
    const conn = this.conn;
    this.#exchange = exchange;
    this.#body = null;
    this.#requestDone = false;
    this.#closeRequested = closeRequested;
    this.#head = head;
    this.#stampReads = stampReads;
    this.lastActivity = stampReads ? performance.now() : 0;
    this.parser.reset(method, limits);
    conn.sink = this;
    conn.uses++;
    this.#readTimeout = readTimeoutMs;
    conn.setReadTimeout(readTimeoutMs);
    const socket = conn.socket;
    if (body === null) {
      socket.write(head, 'latin1');
      this.#requestDone = true;
      exchange.onRequestSent();
    } else if (body.bytes !== null) {
      const bytes = body.bytes;
      if (bytes.length <= COALESCE_LIMIT) {
        const headLen = Buffer.byteLength(head, 'latin1');
        const out = Buffer.allocUnsafe(headLen + bytes.length);
        out.write(head, 0, headLen, 'latin1');
        out.set(bytes, headLen);
        socket.write(out);
      } else {
        socket.cork();
        socket.write(head, 'latin1');
        socket.write(bytes);
        socket.uncork();
      }
      this.#requestDone = true;
      exchange.onRequestSent();
    } else {
      socket.write(head, 'latin1');
      this.#pump(exchange, body, body.length < 0).catch((err: unknown) => {
        if (this.#exchange === exchange) {
          this.#fail(err instanceof RequestError ? err : new RequestError(`request body stream failed: ${(err as Error)?.message ?? err}`, { cause: err }), false);
        }
      });
    }
  }

  async #pump(exchange: Exchange, body: RequestBody, chunked: boolean): Promise<void> {
    const conn = this.conn;
    const socket = conn.socket;
    let sent = 0;
    for await (const piece of body.open()) {
      if (this.#exchange !== exchange || conn.closed) return;
      const buf = pieceBytes(piece);
      if (buf.length === 0) continue;
      sent += buf.length;
      if (!chunked && sent > body.length) {
        throw new RequestError(`request body is longer than its Content-Length (${body.length})`);
      }
      let ok: boolean;
      if (chunked) {
        socket.cork();
        socket.write(buf.length.toString(16) + '\r\n', 'latin1');
        socket.write(buf);
        ok = socket.write(CRLF);
        socket.uncork();
      } else ok = socket.write(buf);
      if (!ok) await waitDrain(conn);
    }
    if (this.#exchange !== exchange || conn.closed) return;
    if (chunked) socket.write(LAST_CHUNK);
    else if (sent !== body.length) {
      throw new RequestError(`request body is shorter (${sent} bytes) than its Content-Length (${body.length})`);
    }
    this.#requestDone = true;
    exchange.onRequestSent();
    // The response may have ended while the body was still going out.
    if (this.#exchange === exchange && this.parser.complete) this.#release();
  }

  // ---- ConnectionSink ----

  /** @internal */
  onData(conn: Connection, data: Buffer): void {
    if (this.#exchange === null) {
      // The response is over (its body may still be decoding): these bytes
      // answer nothing we sent, so the connection must never carry another request.
      conn.destroy();
      return;
    }
    if (this.#stampReads) this.lastActivity = performance.now();
    // A shared-buffer read: parsed in place; body bytes go on as views or as one copy of the read (onBody).
    const lent = conn.readsBorrowed;
    if (lent) this.#read = data;
    try {
      const n = this.parser.execute(data);
      if (lent) {
        this.#read = null;
        this.#readCopy = null;
      }
      if (n < data.length && this.#exchange === null) {
        // Bytes after a complete response that nobody asked for.
        this.conn.destroy();
      }
    } catch (err) {
      this.#read = null;
      this.#readCopy = null;
      this.#fail(err as Error, false);
    }
  }

  /** @internal */
  onClose(_conn: Connection, err: Error | null): void {
    if (this.#exchange === null) return;
    const parser = this.parser;
    if (err === null && parser.inBody) {
      try {
        if (parser.finish()) return;
      } catch (e) {
        this.#fail(e as Error, false);
        return;
      }
    }
    const started = parser.started;
    const reused = this.conn.uses > 1;
    const what = parser.inBody ? 'before the response body ended' : started ? 'before the response head ended' : 'before any response';
    const text = err !== null ? `connection failed ${what}: ${err.message}` : `connection closed by the server ${what}`;
    // A TLS 1.3 server rejects a client certificate after the handshake: report it as the TlsError it is.
    const tls = err !== null ? tlsFailure(err, `waiting for the response (${what})`) : null;
    this.#fail(tls ?? new NetworkError(text, { cause: err ?? undefined }), !started && reused && tls === null);
  }

  /** @internal */
  onTimeout(conn: Connection): void {
    if (this.#exchange === null) return;
    this.#fail(new ReadTimeout(`no data from the server for ${conn.socket.timeout} ms${timeoutAdvice('read', conn.socket.timeout ?? 0)}`, { timeoutMs: conn.socket.timeout }), false);
  }

  // ---- ParserHandler ----

  /** @internal */
  onHead(p: ResponseParser): void {
    // RFC 9110 §15.2.2: a server MUST NOT switch to a protocol the request did
    // not offer in Upgrade. Without one the bytes that follow are not HTTP and
    // not the answer asked for: an error, not an empty 101 response (the
    // parser's caller fails the exchange and destroys the connection).
    const head = this.#head;
    this.#head = ''; // not kept while the connection idles
    if (p.status === 101 && !UPGRADE_FIELD.test(head)) {
      throw new InvalidResponseError('101 Switching Protocols to a request that offered no Upgrade');
    }
    const body = (this.#body = this.#exchange!.onHead(p.status, p.reason, p.version, p.headers, this));
    this.#copyBody = this.conn.readsBorrowed && body.borrowsChunks !== true;
  }

  /**
   * @internal A body slice of the read being parsed. On a shared-buffer
   * connection a sink that copies what it keeps gets it as it is; any other
   * gets a slice of one copy of the rest of the read (made by its first body
   * slice), as from a socket that reads into buffers of its own.
   */
  onBody(chunk: Buffer): void {
    if (!this.#copyBody) {
      this.#body!.onChunk(chunk);
      return;
    }
    let copy = this.#readCopy;
    if (copy === null) {
      const read = this.#read!;
      const from = chunk.byteOffset - read.byteOffset;
      copy = this.#readCopy = Buffer.allocUnsafe(read.length - from);
      copy.set(from === 0 ? read : read.subarray(from));
      this.#copyFrom = chunk.byteOffset;
    }
    const at = chunk.byteOffset - this.#copyFrom;
    this.#body!.onChunk(at === 0 && chunk.length === copy.length ? copy : copy.subarray(at, at + chunk.length));
  }

  /** @internal */
  onComplete(p: ResponseParser): void {
    // `timeout=0` is a hint too (the server closes at once): the pool then never reuses the connection.
    if (p.keepAliveTimeoutMs >= 0) this.conn.keepAliveMs = p.keepAliveTimeoutMs;
    if (p.upgraded) {
      // Not HTTP any more (101 or a CONNECT tunnel): the taker owns the socket.
      this.#release();
      return;
    }
    // A body handed to socket.write() is not sent yet while part of it waits
    // in the socket's buffer (a large one, to a server that stopped reading):
    // the server answered without it. Another request written after it would
    // reach the server behind bytes it may never read (RFC 9112 §9.3, §9.6).
    if (this.#requestDone && this.conn.socket.writableLength === 0) this.#release();
    else {
      // The server answered before the request body was sent: finish the
      // response, but the connection cannot carry another request.
      const body = this.#body;
      this.#exchange = null;
      this.#body = null;
      this.origin.release(this.conn, false);
      body?.onEnd();
    }
  }

  #release(): void {
    const body = this.#body;
    this.#exchange = null;
    this.#body = null;
    // A reader that paused the socket may have done so on the body's last
    // bytes: the connection must not go back to the pool paused (the next
    // response on it would never be read).
    const socket = this.conn.socket;
    if (socket.isPaused()) {
      this.conn.setReadTimeout(this.#readTimeout);
      socket.resume();
    }
    if (body !== null && body.onWireEnd !== undefined) {
      // The sink still works on the body (content decoding): the connection
      // stays out of the pool until it settles, so a failure closes it.
      const conn = this.conn;
      const keepAlive = this.parser.keepAlive && !this.#closeRequested;
      body.onWireEnd((reusable) => this.origin.release(conn, keepAlive && reusable));
      return;
    }
    this.origin.release(this.conn, this.parser.keepAlive && !this.#closeRequested);
    body?.onEnd();
  }

  #fail(err: Error, retryable: boolean): void {
    const exchange = this.#exchange;
    if (exchange === null) return;
    const body = this.#body;
    this.#exchange = null;
    this.#body = null;
    if (retryable) this.origin.closedByPeer();
    this.origin.release(this.conn, false);
    if (body !== null) body.onError(err);
    else exchange.onError(err, retryable);
  }

  // ---- FlowControl ----

  /** @internal Whether body chunks given to a {@link BodySink.borrowsChunks} sink are views of the shared read buffer. */
  get lendsChunks(): boolean {
    return this.conn.readsBorrowed;
  }

  /** @internal The response body's Content-Length framing, or -1. */
  get bodyLength(): number {
    const p = this.parser;
    return p.framing === Framing.Length ? p.contentLength : -1;
  }

  /**
   * @internal The body's reader is full: stop reading. The read timeout is
   * suspended meanwhile — a slow reader is not a silent server.
   */
  pause(): void {
    if (this.#exchange === null) return;
    this.conn.setReadTimeout(0);
    this.conn.socket.pause();
  }

  /** @internal */
  resume(): void {
    if (this.#exchange === null) return;
    this.conn.setReadTimeout(this.#readTimeout);
    this.conn.socket.resume();
  }

  /** Abandon the exchange: the connection is destroyed. */
  abort(reason: Error): void {
    this.#fail(reason, false);
  }
}
