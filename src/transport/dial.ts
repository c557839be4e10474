/**
 * {@link connect}: dial a TCP or TLS socket to an origin (or over a proxy
 * tunnel's socket, or a Unix socket), with connect timeout, abort, TLS
 * session resumption, SPKI pins and ALPN, and wrap it in a {@link Connection}.
 * @module
 */
import net from 'node:net';
import tls from 'node:tls';
import { ConnectTimes } from '../core/timings.js';
import { connectionError, connectionOpen } from '../core/diagnostics.js';
import { AbortError, ConnectTimeout, fromSocketError, type NetworkError, timeoutAdvice, TlsError } from '../errors.js';
import { borrowedReadOption, type ConnectOptions, Connection } from './connection.js';
import { checkPins } from './pins.js';
import { getTlsSession, storeTlsSession, tlsIdentity } from './tls-cache.js';
import { tlsFailure } from './tls-errors.js';

/** The `net.connect` / `tls.connect` options that say where and how to dial. */
function dialOptions(opts: ConnectOptions, host: string, port: number): net.TcpNetConnectOpts | net.IpcNetConnectOpts {
  if (opts.path) return { path: opts.path };
  const o: net.TcpNetConnectOpts = { host, port, autoSelectFamily: opts.autoSelectFamily ?? true };
  if (opts.lookup) o.lookup = opts.lookup;
  if (opts.family) o.family = opts.family;
  if (opts.localAddress) o.localAddress = opts.localAddress;
  return o;
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
    // Only a socket made here can read into the shared buffer (`onread` is a constructor option).
    const borrowed = opts.borrowedReads === true && !opts.socket;
    let socket: net.Socket;
    let sessionKey = '';
    if (opts.secure) {
      const named = t.servername ?? (net.isIP(host) ? undefined : host);
      // RFC 6066 §3: the SNI HostName goes without a trailing dot (`example.com.` is the same host, and the name checked).
      const servername = named !== undefined && named.length > 1 && named.endsWith('.') ? named.slice(0, -1) : named;
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
      // Node's TLSSocket takes `onread` (for the decrypted bytes) though @types/node does not declare it.
      if (borrowed) (options as { onread?: net.OnReadOpts }).onread = borrowedReadOption();
      // The name checked is always ours: over a tunnel (`opts.socket`) Node would otherwise fall back to the
      // proxy's host for an IP target (no SNI), and accept a certificate for the proxy's address.
      const name = t.servername ?? host;
      options.checkServerIdentity = (_h, cert) => tls.checkServerIdentity(name, cert);
      try {
        socket = tls.connect(options);
      } catch (err) {
        // Bad CA, certificate, key, pfx or passphrase: createSecureContext throws before any I/O.
        reject(new TlsError(`invalid TLS settings (tls.ca, tls.cert, tls.key, tls.pfx or tls.passphrase): ${(err as Error).message}`, { cause: err }));
        return;
      }
      if (useCache) socket.on('session', (s: Buffer) => storeTlsSession(sessionKey, s));
    } else {
      socket = opts.socket ?? net.connect({ ...dialOptions(opts, host, port), noDelay: true, onread: borrowed ? borrowedReadOption() : undefined });
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
      // A literal IP address emits no 'lookup': a listener left behind would keep this whole scope alive with the socket.
      socket.removeListener('lookup', onLookup);
      socket.removeListener('connect', onTcpConnect);
      if (err !== null) {
        socket.destroy();
        if (connectionError.hasSubscribers) connectionError.publish({ origin: originOf(opts, host, port), error: err });
        reject(err);
        return;
      }
      socket.setNoDelay(true);
      const conn = new Connection(socket, opts.keepTimes === false ? null : times, originOf(opts, host, port), borrowed);
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
      finish((opts.secure ? tlsFailure(err, where, t.minVersion ?? 'TLSv1.2') : null) ?? fromSocketError(err, where, opts.path ?? `${host}:${port}`));
    };
    const onLookup = (): void => void (times.lookup = performance.now());
    const onTcpConnect = (): void => void (times.connect = performance.now());
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
    if (opts.socket) times.connect = times.start;
    else {
      socket.once('lookup', onLookup);
      if (opts.secure) socket.once('connect', onTcpConnect);
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
