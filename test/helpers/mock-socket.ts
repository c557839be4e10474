/**
 * A scripted socket (like httpcore's MockBackend): a `net.Socket`-compatible
 * Duplex the test feeds exact bytes to and whose writes it reads back, with
 * the peer's `end`, `error` and `close` under the test's control and writes
 * that can be held (a peer that stops reading). {@link MockBackend} plugs
 * such sockets into a Session's or Pool's connector, honouring the connect
 * timeout and abort signal the way the real `connect()` does, so the pool
 * and both drivers are unit-tested without a TCP socket.
 *
 * Every MockSocket not yet closed is in {@link liveMockSockets}: the shared
 * leak check (sessions.ts) asserts it is empty after each test.
 */
import type net from 'node:net';
import { Duplex } from 'node:stream';
import { AbortError, ConnectTimeout } from '../../src/errors.js';
import { Connection, type ConnectOptions } from '../../src/transport/connection.js';

/** Scripted sockets created and not yet closed (the leak check reads it). */
export const liveMockSockets = new Set<MockSocket>();

/** Bound on every wait of this module (ms). */
const WAIT_MS = 2000;

/** A Duplex that stands in for a connected `net.Socket`. */
export class MockSocket extends Duplex {
  /** Every chunk the client wrote, in order. */
  readonly written: Buffer[] = [];
  /** Called with each chunk the client writes (the script's "server"). */
  onWrite: ((chunk: Buffer, sock: MockSocket) => void) | null = null;
  /** What `setTimeout` last set (net.Socket exposes it the same way). */
  timeout: number | undefined = undefined;
  /** Whether the client called `end()` (sent its FIN). */
  ended = false;
  /** Whether the socket keeps the event loop alive (`ref()`), as net.Socket does until `unref()`. */
  referenced = true;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 80;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 50000;
  #held: Array<() => void> | null = null;
  /** Stands in for the socket's handle: keeps the event loop alive while the socket is open and ref'd. */
  readonly #handle: NodeJS.Timeout = setInterval(() => {}, 1 << 30);

  constructor() {
    // allowHalfOpen false like net.Socket: the peer's FIN ends our side too.
    super({ allowHalfOpen: false });
    liveMockSockets.add(this);
    this.once('close', () => {
      clearInterval(this.#handle);
      liveMockSockets.delete(this);
    });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.written.push(Buffer.from(chunk));
    this.onWrite?.(chunk, this);
    if (this.#held !== null) this.#held.push(() => cb());
    else cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.ended = true;
    // The peer answers the client's FIN with its own, as a server does.
    this.push(null);
    cb();
  }

  /** Everything written so far, as latin1 text. */
  text(): string {
    return Buffer.concat(this.written).toString('latin1');
  }

  /** Bytes from the peer, in one read. */
  feed(data: Buffer | string): void {
    this.push(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Bytes from the peer in pieces of `size`, each in its own macrotask (so each is its own 'data' event). */
  async feedSplit(data: Buffer | string, size = 1): Promise<void> {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    for (let i = 0; i < b.length && !this.destroyed; i += size) {
      this.push(b.subarray(i, i + size));
      await new Promise((r) => setImmediate(r));
    }
  }

  /** The peer closes its side (FIN): 'end', then 'close'. */
  peerEnd(): void {
    this.push(null);
  }

  /** The socket fails (ECONNRESET by default): 'error', then 'close'. */
  peerError(err: Error = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })): void {
    this.destroy(err);
  }

  /** The socket closes without 'end' or 'error'. */
  peerClose(): void {
    this.destroy();
  }

  /** Hold the callbacks of the client's writes (a peer that stops reading) until {@link releaseWrites}. */
  holdWrites(): void {
    this.#held ??= [];
  }

  /** Complete the held writes and stop holding. */
  releaseWrites(): void {
    const held = this.#held ?? [];
    this.#held = null;
    for (const cb of held) cb();
  }

  /** Emit 'timeout' as net.Socket does after `timeout` ms without activity. */
  idleTimeout(): void {
    this.emit('timeout');
  }

  /** Wait (bounded) until what the client wrote satisfies `cond`. */
  async waitWritten(cond: (text: string) => boolean, what = 'the client to write'): Promise<string> {
    const end = Date.now() + WAIT_MS;
    while (!cond(this.text())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; written so far: ${JSON.stringify(this.text())}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return this.text();
  }

  setTimeout(ms: number): this {
    this.timeout = ms;
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    this.referenced = true;
    this.#handle.ref();
    return this;
  }

  unref(): this {
    this.referenced = false;
    this.#handle.unref();
    return this;
  }
}

/**
 * Opens a scripted socket per connection. `script(sock, index, opts)` sets
 * the socket up (its `onWrite`, bytes to feed); when it returns a promise the
 * connect completes only once that resolves, racing the connect timeout and
 * the abort signal like the real connector.
 */
export class MockBackend {
  /** Sockets opened, in order. */
  readonly sockets: MockSocket[] = [];
  /** The options of every connect attempt, in order (including failed ones). */
  readonly attempts: ConnectOptions[] = [];
  readonly #script: (sock: MockSocket, index: number, opts: ConnectOptions) => void | Promise<void>;

  constructor(script: (sock: MockSocket, index: number, opts: ConnectOptions) => void | Promise<void> = () => {}) {
    this.#script = script;
  }

  /** The connector to assign to `session._pool.connector` or `pool.connector`. */
  readonly connector = (opts: ConnectOptions): Promise<Connection> => {
    const index = this.attempts.length;
    this.attempts.push(opts);
    const signal = opts.signal ?? null;
    if (signal?.aborted) return Promise.reject(new AbortError('request aborted', { cause: signal.reason }));
    const sock = new MockSocket();
    this.sockets.push(sock);
    const ready = this.#script(sock, index, opts);
    if (!(ready instanceof Promise)) return Promise.resolve(new Connection(sock as unknown as net.Socket));
    return new Promise<Connection>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      const fail = (err: Error): void => {
        cleanup();
        sock.destroy();
        reject(err);
      };
      const onAbort = (): void => fail(new AbortError('request aborted while connecting', { cause: signal!.reason }));
      const cleanup = (): void => {
        if (timer !== null) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const ms = opts.connectTimeoutMs ?? 0;
      if (ms > 0 && ms !== Number.POSITIVE_INFINITY) timer = setTimeout(() => fail(new ConnectTimeout(`connect timed out after ${ms} ms`, { timeoutMs: ms })), ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      ready.then(
        () => {
          if (sock.destroyed) return;
          cleanup();
          resolve(new Connection(sock as unknown as net.Socket));
        },
        (err: Error) => fail(err),
      );
    });
  };
}

/**
 * Respond to each complete HTTP/1.1 request written on `sock` with
 * `respond(head, index)`, once its head and body (Content-Length, or chunked
 * up to its last chunk, RFC 9112 §7.1) were written.
 */
export function onRequests(sock: MockSocket, respond: (head: string, index: number, sock: MockSocket) => void): void {
  let buf = '';
  let n = 0;
  let head: string | null = null;
  sock.onWrite = (chunk) => {
    buf += chunk.toString('latin1');
    for (;;) {
      if (head === null) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        head = buf.slice(0, end + 4);
        buf = buf.slice(end + 4);
      }
      let bodyEnd: number;
      if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
        const last = buf.startsWith('0\r\n\r\n') ? 0 : buf.indexOf('\r\n0\r\n\r\n');
        if (last === -1) return;
        bodyEnd = last === 0 ? 5 : last + 7;
      } else bodyEnd = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < bodyEnd) return;
      buf = buf.slice(bodyEnd);
      const h = head;
      const i = n++;
      head = null;
      // After the write returns, like a peer answering on a later read.
      setImmediate(() => {
        if (!sock.destroyed) respond(h, i, sock);
      });
    }
  };
}
