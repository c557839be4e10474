/**
 * One TCP or TLS socket to an origin. Moves bytes and reports socket events
 * to whoever currently owns the connection (its {@link ConnectionSink}); it
 * knows nothing of HTTP (dial.ts opens one). Listeners are module-level
 * functions that find the Connection through a field on the socket, so a
 * connection costs no closures.
 * @module
 */
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { ConnectTimes } from '../core/timings.js';
import { connectionClose, connectionError } from '../core/diagnostics.js';

/** TLS options of a Session (its `tls` option). */
export interface TlsOptions {
  /** Trusted CA certificates (PEM); replaces the default bundle. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate chain (PEM) for mTLS. */
  cert?: string | Buffer | Array<string | Buffer>;
  /** Client private key (PEM) for mTLS. */
  key?: string | Buffer | Array<string | Buffer>;
  /** Client PKCS#12 bundle for mTLS. */
  pfx?: string | Buffer | Array<string | Buffer>;
  /** Passphrase of `key` or `pfx`. */
  passphrase?: string;
  /** SNI and certificate host name override. */
  servername?: string;
  /**
   * SPKI pins, each `'sha256/<base64>'` (see `spkiPin()`): the connection
   * fails with TlsError unless one of them matches the leaf certificate or
   * an issuer on the leaf's signature path, which is checked link by link
   * (signature, issuer name, CA flag) whatever `rejectUnauthorized` says.
   * A certificate the server merely sends along does not count; with
   * `rejectUnauthorized: false` pin the leaf, or an issuer the server sends.
   */
  pins?: readonly string[];
  /** Verify the server certificate (default `true`). */
  rejectUnauthorized?: boolean;
  /** Lowest TLS version accepted (default `'TLSv1.2'`). */
  minVersion?: tls.SecureVersion;
  /** Reuse TLS sessions for faster handshakes (default `true`; always off with `pins`, which need the full chain). */
  sessionCache?: boolean;
}

/** Where to connect. */
export interface ConnectOptions {
  /** `'http:'`/`'ws:'` for TCP, `'https:'`/`'wss:'` for TLS. */
  secure: boolean;
  /** Host name or IP (IPv6 without brackets). */
  host: string;
  /** TCP port. */
  port: number;
  /** TLS settings when `secure`. */
  tls?: TlsOptions | null;
  /** ALPN protocols to offer, e.g. `['h2', 'http/1.1']`. */
  alpn?: string[] | null;
  /** Connect timeout in ms (TCP + TLS handshake); 0 or Infinity for none. */
  connectTimeoutMs?: number;
  /** Abort the attempt. */
  signal?: AbortSignal | null;
  /** Connect over this already-open socket (a proxy tunnel) instead of dialling. */
  socket?: net.Socket | null;
  /** Unix domain socket to connect to instead of `host:port` (the host still gives SNI). */
  path?: string | null;
  /** Resolver used instead of `dns.lookup` (the `net.connect` signature). */
  lookup?: LookupFunction | null;
  /** Address family to resolve to: 4, 6, or 0 for either. */
  family?: 4 | 6 | 0;
  /** Local address to connect from. */
  localAddress?: string | null;
  /** Happy eyeballs (RFC 8305): try IPv6 and IPv4 addresses in turn (default true). */
  autoSelectFamily?: boolean;
  /** Keep the connect times on the Connection for request timings (default true; a WebSocket has no use for them). */
  keepTimes?: boolean;
  /**
   * Read into one buffer shared by every such connection (`onread`), not a
   * new Buffer per read through the socket's stream: a sink that says
   * {@link ConnectionSink.borrowsReads} gets views valid only during its
   * `onData` call, any other sink a copy. Only for a socket this dial
   * creates (not one given in `socket`). Default false.
   */
  borrowedReads?: boolean;
}

/** The `lookup` option of `net.connect`. */
export type LookupFunction = NonNullable<net.TcpNetConnectOpts['lookup']>;

/** Receives the socket's events while it owns the connection. */
export interface ConnectionSink {
  // Members are @internal like their implementation in WebSocket, which stripInternal drops from the .d.ts.
  /** Bytes arrived. @internal */
  onData(conn: Connection, data: Buffer): void;
  /** The peer closed its side, or the socket closed. @internal */
  onClose(conn: Connection, err: Error | null): void;
  /** No read activity for the read timeout. @internal */
  onTimeout(conn: Connection): void;
  /**
   * On a connection with {@link Connection.readsBorrowed}, `onData` may
   * hand this sink a view of the shared read buffer, which the next read (of
   * any such connection) overwrites: the sink copies whatever it keeps past
   * the call. Other sinks get bytes of their own. @internal
   */
  readonly borrowsReads?: boolean;
}

/** Told when an idle connection (no sink) closes, so it can be dropped from a pool. */
export interface ConnectionOwner {
  /** An idle connection closed or received unexpected bytes. */
  connectionLost(conn: Connection): void;
}

const kConn = Symbol('reqivo.connection');
type TaggedSocket = net.Socket & { [kConn]?: Connection };

function socketOnData(this: TaggedSocket, data: Buffer): void {
  const conn = this[kConn]!;
  const sink = conn.sink;
  if (sink !== null) sink.onData(conn, data);
  else conn.destroy(); // bytes nobody asked for: the connection is unusable
}

/** The buffer every borrowed-read socket reads into (made by the first one): a read is handled before the next one starts. */
let sharedReadBuffer: Buffer | null = null;
/** Its size: four times what Node reads at once into a socket's own buffers, so a large body takes a quarter of the reads (and callbacks). */
const SHARED_READ_BYTES = 256 * 1024;

/** `onread` callback of a borrowed-read socket (`this` is the socket); true: go on reading (pausing is the socket's). */
function socketOnRead(this: TaggedSocket, nread: number, buf: Uint8Array): boolean {
  const conn = this[kConn];
  const sink = conn === undefined ? null : conn.sink;
  if (sink === null) {
    // Bytes nobody asked for (before the connection exists, or while idle): the connection is unusable.
    if (conn !== undefined) conn.destroy();
    else this.destroy();
    return true;
  }
  const shared = buf as Buffer;
  if (sink.borrowsReads === true) sink.onData(conn!, shared.subarray(0, nread));
  else {
    const own = Buffer.allocUnsafe(nread);
    shared.copy(own, 0, 0, nread);
    sink.onData(conn!, own);
  }
  return true;
}

/** The `onread` option of `net.connect` / `tls.connect` for a borrowed-read socket ({@link ConnectOptions.borrowedReads}). */
export function borrowedReadOption(): net.OnReadOpts {
  return { buffer: (sharedReadBuffer ??= Buffer.allocUnsafe(SHARED_READ_BYTES)), callback: socketOnRead };
}

function socketOnEnd(this: TaggedSocket): void {
  this[kConn]!._lost(null);
}

function socketOnError(this: TaggedSocket, err: Error): void {
  this[kConn]!._lost(err);
}

function socketOnClose(this: TaggedSocket): void {
  this[kConn]!._lost(null);
}

function socketOnTimeout(this: TaggedSocket): void {
  const conn = this[kConn]!;
  const sink = conn.sink;
  if (sink !== null) sink.onTimeout(conn);
}

/** Where {@link Connection.probe} reads its one byte (never looked at). */
const PROBE_BUFFER = Buffer.alloc(1);

const CLOSED = 1;
const NOTIFIED = 2;
/** The socket reads into the shared buffer (its bytes come from `socketOnRead`, never as 'data'). */
const BORROWED = 4;

/** A TCP or TLS socket plus the bookkeeping a pool needs. */
export class Connection {
  /** The socket. */
  readonly socket: net.Socket;
  /** Current receiver of socket events, or `null` while idle. */
  sink: ConnectionSink | null;
  /** Told when the connection dies while idle. */
  owner: ConnectionOwner | null;
  /** The socket error, if any. */
  error: Error | null;
  /** `performance.now()` when it last became idle. */
  idleSince: number;
  /** How long the server promised to keep it open (`Keep-Alive: timeout`), or -1. */
  keepAliveMs: number;
  /** How many requests it has carried. */
  uses: number;
  /** Barrier count when it was last released (see transport/settle.ts). */
  releasedIn: number;
  /** Protocol state attached by the layer above (e.g. the HTTP/1.1 parser). */
  state: unknown;
  /** When it was opened, looked up, connected and secured (request timings), or null. */
  readonly times: ConnectTimes | null;
  /** `scheme://host:port` it was opened to ('' when unknown), for diagnostics. */
  readonly origin: string;
  /** CLOSED | NOTIFIED | BORROWED bits: three booleans in one field keep the object small. */
  #flags: number;

  /** @param borrowedReads the socket was made with {@link borrowedReadOption} (no 'data' listener is added) */
  constructor(socket: net.Socket, times: ConnectTimes | null = null, origin = '', borrowedReads = false) {
    this.socket = socket;
    this.times = times;
    this.origin = origin;
    this.sink = null;
    this.owner = null;
    this.#flags = borrowedReads ? BORROWED : 0;
    this.error = null;
    this.idleSince = 0;
    this.keepAliveMs = -1;
    this.uses = 0;
    this.releasedIn = 0;
    this.state = null;
    (socket as TaggedSocket)[kConn] = this;
    // A 'data' listener would also switch a borrowed-read socket to flowing mode, which pause() then cannot stop.
    if (!borrowedReads) socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
    socket.on('timeout', socketOnTimeout);
  }

  /** Report the end of the socket once: to the sink if busy, else to the owner. @internal */
  _lost(err: Error | null): void {
    if (err !== null && this.error === null) this.error = err;
    if ((this.#flags & NOTIFIED) !== 0) return;
    this.#flags |= NOTIFIED | CLOSED;
    if (this.origin !== '') {
      if (err !== null && connectionError.hasSubscribers) connectionError.publish({ origin: this.origin, error: err });
      if (connectionClose.hasSubscribers) connectionClose.publish({ origin: this.origin });
    }
    const sink = this.sink;
    if (sink !== null) sink.onClose(this, this.error);
    else {
      if (!this.socket.destroyed) this.socket.destroy();
      const owner = this.owner;
      if (owner !== null) {
        this.owner = null;
        owner.connectionLost(this);
      }
    }
  }

  /** The ALPN protocol negotiated (`'h2'`, `'http/1.1'`) or `null` (read off the TLS socket). */
  get alpnProtocol(): string | null {
    const a = (this.socket as tls.TLSSocket).alpnProtocol;
    return typeof a === 'string' ? a : null;
  }

  /** Whether `onData` may get views of the shared read buffer (see {@link ConnectionSink.borrowsReads}). */
  get readsBorrowed(): boolean {
    return (this.#flags & BORROWED) !== 0;
  }

  /** The socket ended, errored or closed (or was destroyed or handed over). */
  get closed(): boolean {
    return (this.#flags & CLOSED) !== 0;
  }

  /** Whether the socket still looks usable (cheap: no I/O). */
  get alive(): boolean {
    const s = this.socket;
    return !this.closed && !s.destroyed && s.writable && s.readable;
  }

  /**
   * Whether an idle plain-TCP connection is still quiet: reads the kernel
   * socket once, without waiting. A FIN or bytes already queued there (a
   * server that closed right after its response, a late HEAD body) are seen
   * now, before a request is written, instead of on the next event-loop turn
   * when the request would already be lost. Anything read means the
   * connection is unusable (it is destroyed). TLS sockets are not probed: the
   * bytes below TLS are not ours to read.
   */
  /** Whether {@link probe} can read this socket (plain TCP with a file descriptor); a TLS one it only reports alive. */
  get probeable(): boolean {
    const fd = (this.socket as { _handle?: { fd?: number } | null })._handle?.fd;
    return typeof fd === 'number' && fd >= 0 && !(this.socket instanceof tls.TLSSocket);
  }

  probe(): boolean {
    if (!this.alive) return false;
    const fd = (this.socket as { _handle?: { fd?: number } | null })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0 || this.socket instanceof tls.TLSSocket) return true;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // EAGAIN is the usual answer: keep its exception cheap.
    try {
      fs.readSync(fd, PROBE_BUFFER, 0, 1, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return true;
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.destroy();
    return false;
  }

  /** Set the idle-read timeout (0 = none); only touches the socket when the value changes. */
  setReadTimeout(ms: number): void {
    // The socket remembers its own timeout (`socket.timeout`): no field of ours needed.
    const v = ms > 0 && ms !== Number.POSITIVE_INFINITY ? ms : 0;
    if (v !== (this.socket.timeout ?? 0)) this.socket.setTimeout(v);
  }

  /** Keep (`true`) or stop keeping (`false`) the event loop alive for this socket. */
  ref(on: boolean): void {
    if (on) this.socket.ref();
    else this.socket.unref();
  }

  /**
   * Hand the socket over to a new owner (an HTTP/2 session, a proxy tunnel):
   * stop listening to it, pause it so no byte is lost, and mark this
   * Connection closed. The socket is returned open.
   * @throws Error for a borrowed-read socket: its bytes never come as 'data', so a new owner would lose them.
   */
  detach(): net.Socket {
    if ((this.#flags & BORROWED) !== 0) throw new Error('a connection that reads into the shared buffer cannot be handed over');
    const s = this.socket;
    s.pause();
    s.removeListener('data', socketOnData);
    s.removeListener('end', socketOnEnd);
    s.removeListener('error', socketOnError);
    s.removeListener('close', socketOnClose);
    s.removeListener('timeout', socketOnTimeout);
    (s as TaggedSocket)[kConn] = undefined;
    if ((s.timeout ?? 0) !== 0) s.setTimeout(0);
    this.#flags |= NOTIFIED | CLOSED;
    this.sink = null;
    this.owner = null;
    return s;
  }

  /** Close the socket now. */
  destroy(err?: Error): void {
    this.#flags |= CLOSED;
    if (!this.socket.destroyed) this.socket.destroy(err);
  }
}
