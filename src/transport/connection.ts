/**
 * One TCP or TLS socket to an origin. Moves bytes and reports socket events
 * to whoever currently owns the connection (its {@link ConnectionSink}); it
 * knows nothing of HTTP. Listeners are module-level functions that find the
 * Connection through a field on the socket, so a connection costs no closures.
 * @module
 */
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { ConnectTimes } from '../core/timings.js';
import { connectionClose, connectionError, connectionOpen } from '../core/diagnostics.js';
import { AbortError, ConnectTimeout, fromSocketError, type NetworkError, timeoutAdvice, TlsError } from '../errors.js';
import { checkPins } from './pins.js';
import { getTlsSession, storeTlsSession, tlsIdentity } from './tls-cache.js';
import { tlsFailure } from './tls-errors.js';

/** TLS options of a Session (API.md `tls`). */
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
}

/** The `lookup` option of `net.connect`. */
export type LookupFunction = NonNullable<net.TcpNetConnectOpts['lookup']>;

/** The `net.connect` / `tls.connect` options that say where and how to dial. */
function dialOptions(opts: ConnectOptions, host: string, port: number): net.TcpNetConnectOpts | net.IpcNetConnectOpts {
  if (opts.path) return { path: opts.path };
  const o: net.TcpNetConnectOpts = { host, port, autoSelectFamily: opts.autoSelectFamily ?? true };
  if (opts.lookup) o.lookup = opts.lookup;
  if (opts.family) o.family = opts.family;
  if (opts.localAddress) o.localAddress = opts.localAddress;
  return o;
}

/** Receives the socket's events while it owns the connection. */
export interface ConnectionSink {
  // Members are @internal like their implementation in WebSocket, which stripInternal drops from the .d.ts.
  /** Bytes arrived. @internal */
  onData(conn: Connection, data: Buffer): void;
  /** The peer closed its side, or the socket closed. @internal */
  onClose(conn: Connection, err: Error | null): void;
  /** No read activity for the read timeout. @internal */
  onTimeout(conn: Connection): void;
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
  /** Protocol state attached by the layer above (e.g. the HTTP/1.1 parser). */
  state: unknown;
  /** When it was opened, looked up, connected and secured (request timings), or null. */
  readonly times: ConnectTimes | null;
  /** `scheme://host:port` it was opened to ('' when unknown), for diagnostics. */
  readonly origin: string;
  /** CLOSED | NOTIFIED bits: two booleans in one field keep the object small. */
  #flags: number;

  constructor(socket: net.Socket, times: ConnectTimes | null = null, origin = '') {
    this.socket = socket;
    this.times = times;
    this.origin = origin;
    this.sink = null;
    this.owner = null;
    this.#flags = 0;
    this.error = null;
    this.idleSince = 0;
    this.keepAliveMs = -1;
    this.uses = 0;
    this.state = null;
    (socket as TaggedSocket)[kConn] = this;
    socket.on('data', socketOnData);
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
   */
  detach(): net.Socket {
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

function defaultPort(secure: boolean): number {
  return secure ? 443 : 80;
}

/** Origin strings already made: every connection to one origin shares one string (bounded). */
const origins = new Map<string, string>();
const MAX_ORIGINS = 256;

/** `scheme://host:port` of what `opts` connects to. */
function originOf(opts: ConnectOptions, host: string, port: number): string {
  const made = `${opts.secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const known = origins.get(made);
  if (known !== undefined) return known;
  // Flattened once, so the kept string is one sequential string rather than a tree of concatenations.
  const flat = made.length > 0 ? `${made.slice(0, 1)}${made.slice(1)}` : made;
  if (origins.size < MAX_ORIGINS) origins.set(flat, flat);
  return flat;
}

/**
 * Open a connection: TCP, then TLS when `secure` (SNI, verification on,
 * TLS 1.2 minimum, optional pins and ALPN). Rejects with NetworkError,
 * TlsError, ConnectTimeout or AbortError; never leaves a socket behind.
 */
export function connect(opts: ConnectOptions): Promise<Connection> {
  return new Promise<Connection>((resolve, reject) => {
    const signal = opts.signal ?? null;
    if (signal?.aborted) {
      reject(new AbortError('request aborted', { cause: signal.reason }));
      return;
    }
    const port = opts.port || defaultPort(opts.secure);
    const host = opts.host;
    const t = opts.tls ?? {};
    const times = new ConnectTimes(performance.now());
    let socket: net.Socket;
    let sessionKey = '';
    if (opts.secure) {
      const servername = t.servername ?? (net.isIP(host) ? undefined : host);
      // Keyed by the trust settings too: a resumed session skips verification.
      sessionKey = `${opts.path ?? ''}|${host}:${port}:${servername ?? ''}:${(opts.alpn ?? []).join(',')}:${tlsIdentity(opts.tls)}`;
      // A resumed session carries no certificate chain to check pins against: pinned connections always handshake in full.
      const useCache = t.sessionCache !== false && !(t.pins && t.pins.length > 0);
      const options: tls.ConnectionOptions = {
        ...(opts.socket ? null : dialOptions(opts, host, port)),
        servername,
        ca: t.ca,
        cert: t.cert,
        key: t.key,
        pfx: t.pfx,
        passphrase: t.passphrase,
        rejectUnauthorized: t.rejectUnauthorized !== false,
        minVersion: t.minVersion ?? 'TLSv1.2',
        ALPNProtocols: opts.alpn ?? undefined,
        session: useCache ? getTlsSession(sessionKey) : undefined,
        socket: opts.socket ?? undefined,
      };
      if (t.servername !== undefined && net.isIP(t.servername) === 0) {
        const name = t.servername;
        options.checkServerIdentity = (_h, cert) => tls.checkServerIdentity(name, cert);
      }
      try {
        socket = tls.connect(options);
      } catch (err) {
        // Bad CA, certificate, key, pfx or passphrase: createSecureContext throws before any I/O.
        reject(new TlsError(`invalid TLS settings (tls.ca, tls.cert, tls.key, tls.pfx or tls.passphrase): ${(err as Error).message}`, { cause: err }));
        return;
      }
      if (useCache) socket.on('session', (s: Buffer) => storeTlsSession(sessionKey, s));
    } else {
      socket = opts.socket ?? net.connect({ ...dialOptions(opts, host, port), noDelay: true });
    }
    let timer: NodeJS.Timeout | null = null;
    let done = false;
    const finish = (err: NetworkError | ConnectTimeout | AbortError | null): void => {
      if (done) return;
      done = true;
      if (timer !== null) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      socket.removeListener(opts.secure ? 'secureConnect' : 'connect', onConnect);
      // A host given as an IP address never emits 'lookup' (nor a failed dial 'connect'): a listener
      // left behind would keep this whole closure (and the caller's signal) alive for the socket's life.
      if (onLookup !== null) socket.removeListener('lookup', onLookup);
      if (onTcpConnect !== null) socket.removeListener('connect', onTcpConnect);
      if (err !== null) {
        socket.destroy();
        if (connectionError.hasSubscribers) connectionError.publish({ origin: originOf(opts, host, port), error: err });
        reject(err);
        return;
      }
      socket.setNoDelay(true);
      const conn = new Connection(socket, opts.keepTimes === false ? null : times, originOf(opts, host, port));
      if (connectionOpen.hasSubscribers) {
        connectionOpen.publish({
          origin: conn.origin,
          protocol: conn.alpnProtocol ?? 'http/1.1',
          localAddress: socket.localAddress ?? null,
          localPort: socket.localPort ?? null,
          remoteAddress: socket.remoteAddress ?? null,
          remotePort: socket.remotePort ?? null,
        });
      }
      resolve(conn);
    };
    const onError = (err: Error): void => {
      const where = opts.path ? `connecting to unix socket ${opts.path}` : `connecting to ${host}:${port}`;
      finish((opts.secure ? tlsFailure(err, where) : null) ?? fromSocketError(err, where, opts.path ?? `${host}:${port}`));
    };
    const onAbort = (): void => finish(new AbortError('request aborted while connecting', { cause: signal!.reason }));
    const onConnect = (): void => {
      const now = performance.now();
      if (times.connect === null) times.connect = now;
      if (opts.secure) times.secure = now;
      if (opts.secure && t.pins && t.pins.length > 0) {
        const pinErr = checkPins(socket as tls.TLSSocket, t.pins, host);
        if (pinErr !== null) {
          finish(pinErr);
          return;
        }
      }
      finish(null);
    };
    socket.on('error', onError);
    let onLookup: (() => void) | null = null;
    let onTcpConnect: (() => void) | null = null;
    if (opts.socket) times.connect = times.start;
    else {
      onLookup = () => void (times.lookup = performance.now());
      socket.once('lookup', onLookup);
      if (opts.secure) {
        onTcpConnect = () => void (times.connect = performance.now());
        socket.once('connect', onTcpConnect);
      }
    }
    if (opts.secure) socket.once('secureConnect', onConnect);
    else if (opts.socket) queueMicrotask(onConnect);
    else socket.once('connect', onConnect);
    signal?.addEventListener('abort', onAbort, { once: true });
    const ms = opts.connectTimeoutMs ?? 0;
    if (ms > 0 && ms !== Number.POSITIVE_INFINITY) {
      timer = setTimeout(
        () => finish(new ConnectTimeout(`connect to ${opts.path ?? `${host}:${port}`} timed out after ${ms} ms${timeoutAdvice('connect', ms)}`, { timeoutMs: ms })),
        ms,
      );
    }
  });
}
