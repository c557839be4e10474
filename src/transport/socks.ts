/**
 * SOCKS5 client handshake (RFC 1928) with username/password authentication
 * (RFC 1929): {@link openSocksTunnel} opens a connection to the proxy,
 * asks it to CONNECT to the target and hands back the raw socket, like the
 * CONNECT tunnel of proxy.ts. `socks5://` resolves the target name here
 * and sends an address; `socks5h://` sends the name for the proxy to
 * resolve. The whole exchange is bounded by the connect timeout as a
 * deadline, so a proxy trickling bytes cannot hold a request.
 * @module
 */
import dns from 'node:dns';
import net from 'node:net';
import { AbortError, ConnectTimeout, InvalidRequestError, NetworkError, ProxyError, fromSocketError } from '../errors.js';
import type { Connection, ConnectionSink, LookupFunction } from './connection.js';
import { connect } from './dial.js';
// A cycle (proxy.ts routes socks URLs here), but only functions called later cross it.
import { proxyCredentials, proxyDisplay } from './proxy.js';

/** Options of {@link openSocksTunnel}. */
export interface SocksOptions {
  /** Time allowed for the lookup, the proxy hop and the handshake together (ms; 0 or Infinity for none). */
  connectTimeoutMs?: number;
  /** Abort the attempt. */
  signal?: AbortSignal | null;
  /** Resolver for the target (socks5://) and the proxy host (the `net.connect` `lookup` signature). */
  lookup?: LookupFunction | null;
  /** Address family of lookups (4 or 6; default either). */
  family?: 4 | 6 | 0;
  /** Local address to connect to the proxy from. */
  localAddress?: string | null;
  /** Happy eyeballs for the proxy hop (default true). */
  autoSelectFamily?: boolean;
}

/** RFC 1928 §6 reply codes. */
const REPLIES: readonly string[] = [
  'succeeded',
  'general SOCKS server failure',
  'connection not allowed by ruleset',
  'network unreachable',
  'host unreachable',
  'connection refused',
  'TTL expired',
  'command not supported',
  'address type not supported',
];

/** The message for a SOCKS reply code (RFC 1928 §6). */
export function socksReplyMessage(code: number): string {
  return REPLIES[code] ?? `unassigned reply code 0x${code.toString(16).padStart(2, '0')}`;
}

/**
 * The CONNECT request (RFC 1928 §4): ATYP 1 (IPv4), 4 (IPv6) or 3 (a
 * name of at most 255 bytes).
 * @throws InvalidRequestError for a longer name.
 */
export function socksConnectRequest(host: string, port: number): Buffer {
  const family = net.isIP(host);
  let addr: Buffer;
  if (family === 4) addr = Buffer.from([1, ...host.split('.').map(Number)]);
  else if (family === 6) addr = Buffer.concat([Buffer.from([4]), ipv6Bytes(host)]);
  else {
    const name = Buffer.from(host, 'latin1');
    if (name.length > 255) throw new InvalidRequestError(`host name too long for SOCKS5 (${name.length} bytes, at most 255)`);
    addr = Buffer.concat([Buffer.from([3, name.length]), name]);
  }
  return Buffer.concat([Buffer.from([5, 1, 0]), addr, Buffer.from([port >> 8, port & 0xff])]);
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, null];
  const parts = (s: string | null | undefined): string[] => (s ? s.split(':') : []);
  let groups = parts(head);
  let rest = parts(tail);
  // An embedded IPv4 address (::ffff:1.2.3.4) is two groups.
  const fix = (g: string[]): string[] =>
    g.flatMap((x) => {
      if (!x.includes('.')) return [x];
      const b = x.split('.').map(Number);
      return [((b[0]! << 8) | b[1]!).toString(16), ((b[2]! << 8) | b[3]!).toString(16)];
    });
  groups = fix(groups);
  rest = fix(rest);
  const all = tail === null ? groups : [...groups, ...Array<string>(8 - groups.length - rest.length).fill('0'), ...rest];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Resolve `host` (the target, on `port`) to one address with `lookup` (or dns.lookup). */
function resolve(host: string, port: number, lookup: LookupFunction | null, family: 4 | 6 | 0): Promise<string> {
  if (net.isIP(host) !== 0) return Promise.resolve(host);
  return new Promise((ok, fail) => {
    const cb = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[]): void => {
      // The target lets the advice name the host that does not resolve.
      if (err) fail(fromSocketError(err, `resolving ${host} for the SOCKS5 proxy`, `${host}:${port}`));
      else ok(Array.isArray(address) ? address[0]!.address : address);
    };
    (lookup ?? (dns.lookup as unknown as LookupFunction))(host, { family, all: false }, cb as never);
  });
}

const GREETING = 0;
const AUTH = 1;
const REPLY = 2;

/** Runs the handshake on a connection to the proxy. */
class SocksExchange implements ConnectionSink {
  #phase: number;
  #buf: Buffer;
  #done: boolean;
  #timer: NodeJS.Timeout | null;
  #onAbort: (() => void) | null;
  readonly #signal: AbortSignal | null;
  readonly #proxy: URL;
  readonly #request: Buffer;
  readonly #target: string;
  readonly #credentials: readonly [Buffer, Buffer] | null;
  readonly #resolve: (s: net.Socket) => void;
  readonly #reject: (e: Error) => void;

  constructor(
    proxy: URL,
    request: Buffer,
    target: string,
    credentials: readonly [Buffer, Buffer] | null,
    signal: AbortSignal | null,
    resolve: (s: net.Socket) => void,
    reject: (e: Error) => void,
  ) {
    this.#phase = GREETING;
    this.#buf = Buffer.alloc(0);
    this.#done = false;
    this.#timer = null;
    this.#onAbort = null;
    this.#signal = signal;
    this.#proxy = proxy;
    this.#request = request;
    this.#target = target;
    this.#credentials = credentials;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start(conn: Connection, ms: number, timeoutMs: number): void {
    if (ms > 0 && ms !== Number.POSITIVE_INFINITY) {
      this.#timer = setTimeout(() => {
        this.fail(conn, new ConnectTimeout(`SOCKS5 proxy ${proxyDisplay(this.#proxy)} did not open a tunnel to ${this.#target} within the ${timeoutMs} ms connect timeout`, { timeoutMs }));
      }, ms);
    }
    const signal = this.#signal;
    if (signal !== null) {
      this.#onAbort = () => this.fail(conn, new AbortError('request aborted while opening the SOCKS5 tunnel', { cause: signal.reason }));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    conn.sink = this;
    // Methods (RFC 1928 §3): no authentication, and username/password when the URL has credentials.
    conn.socket.write(this.#credentials !== null ? Buffer.from([5, 2, 0, 2]) : Buffer.from([5, 1, 0]));
  }

  #settle(): void {
    this.#done = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#signal !== null && this.#onAbort !== null) this.#signal.removeEventListener('abort', this.#onAbort);
  }

  fail(conn: Connection, err: Error): void {
    if (this.#done) return;
    this.#settle();
    conn.destroy();
    this.#reject(err);
  }

  #refuse(conn: Connection, why: string): void {
    const who = proxyDisplay(this.#proxy);
    this.fail(conn, new ProxyError(`SOCKS5 proxy ${who} ${why}`, who, 0));
  }

  onData(conn: Connection, data: Buffer): void {
    if (this.#done) return;
    this.#buf = this.#buf.length === 0 ? data : Buffer.concat([this.#buf, data]);
    const b = this.#buf;
    if (this.#phase === GREETING) {
      if (b.length < 2) return;
      if (b[0] !== 5) return this.#refuse(conn, `sent an invalid answer (version ${b[0]}, not 5)`);
      this.#buf = b.subarray(2);
      if (b[1] === 0) return this.#send(conn, REPLY, this.#request);
      if (b[1] === 2 && this.#credentials !== null) {
        // RFC 1929 §2: VER 1, ULEN, UNAME, PLEN, PASSWD.
        const [user, pass] = this.#credentials;
        if (user.length > 255 || pass.length > 255) return this.#refuse(conn, 'cannot take a user name or password over 255 bytes');
        return this.#send(conn, AUTH, Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
      }
      if (b[1] === 0xff || b[1] === 2) {
        return this.#refuse(conn, this.#credentials !== null ? 'accepts none of the offered authentication methods' : 'requires authentication and the proxy URL has no credentials');
      }
      return this.#refuse(conn, `chose an authentication method that was not offered (0x${b[1]!.toString(16)})`);
    }
    if (this.#phase === AUTH) {
      if (b.length < 2) return;
      if (b[1] !== 0) return this.#refuse(conn, 'refused the credentials (RFC 1929 status ' + b[1] + ')');
      this.#buf = b.subarray(2);
      return this.#send(conn, REPLY, this.#request);
    }
    // Reply (RFC 1928 §6): VER REP RSV ATYP BND.ADDR BND.PORT.
    if (b.length < 5) return;
    if (b[0] !== 5) return this.#refuse(conn, `sent an invalid reply (version ${b[0]}, not 5)`);
    if (b[1] !== 0) return this.#refuse(conn, `refused to connect to ${this.#target}: ${socksReplyMessage(b[1]!)} (0x${b[1]!.toString(16).padStart(2, '0')})`);
    const atyp = b[3];
    const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : atyp === 3 ? 1 + b[4]! : -1;
    if (addrLen < 0) return this.#refuse(conn, `sent an invalid reply (address type ${atyp})`);
    const end = 4 + addrLen + 2;
    if (b.length < end) return;
    this.#settle();
    const socket = conn.detach();
    if (end < b.length) socket.unshift(b.subarray(end));
    this.#resolve(socket);
  }

  #send(conn: Connection, phase: number, bytes: Buffer): void {
    this.#phase = phase;
    conn.socket.write(bytes);
    if (this.#buf.length > 0) this.onData(conn, Buffer.alloc(0));
  }

  onClose(conn: Connection, err: Error | null): void {
    const who = proxyDisplay(this.#proxy);
    this.fail(conn, new ProxyError(`SOCKS5 proxy ${who} closed the connection before the tunnel to ${this.#target} was open${err ? `: ${err.message}` : ''}`, who, 0, { cause: err ?? undefined }));
  }

  /** Never called: the deadline of {@link start} bounds the exchange. */
  onTimeout(): void {}
}

/**
 * Open a SOCKS5 tunnel through `proxy` (a parsed `socks5:` or `socks5h:`
 * URL) to `host:port` and resolve with the raw socket, paused, any bytes
 * after the reply pushed back into it. Rejects with {@link ProxyError} when
 * the proxy refuses (its reply code in the message) or answers badly, and
 * with ConnectTimeout, AbortError or NetworkError otherwise.
 */
export async function openSocksTunnel(proxy: URL, host: string, port: number, opts: SocksOptions = {}): Promise<net.Socket> {
  const credentials = socksCredentials(proxy);
  const started = performance.now();
  const timeoutMs = opts.connectTimeoutMs ?? 0;
  const bounded = timeoutMs > 0 && timeoutMs !== Number.POSITIVE_INFINITY;
  const left = (): number => (bounded ? Math.max(1, timeoutMs - (performance.now() - started)) : timeoutMs);
  const signal = opts.signal ?? null;
  const family = opts.family ?? 0;
  const lookup = opts.lookup ?? null;
  let targetHost = host;
  if (proxy.protocol === 'socks5:') targetHost = await withDeadline(resolve(host, port, lookup, family), left(), timeoutMs, host, signal);
  const request = socksConnectRequest(targetHost, port);
  const target = `${net.isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const conn = await connect({
    secure: false,
    host: proxy.hostname.startsWith('[') ? proxy.hostname.slice(1, -1) : proxy.hostname,
    port: proxy.port !== '' ? Number(proxy.port) : 1080,
    connectTimeoutMs: left(),
    signal,
    lookup,
    family,
    localAddress: opts.localAddress ?? null,
    autoSelectFamily: opts.autoSelectFamily,
  });
  return new Promise<net.Socket>((ok, fail) => {
    const ex = new SocksExchange(proxy, request, target, credentials, signal, ok, fail);
    if (signal?.aborted) {
      ex.fail(conn, new AbortError('request aborted while opening the SOCKS5 tunnel', { cause: signal.reason }));
      return;
    }
    ex.start(conn, left(), timeoutMs);
  });
}

/**
 * The user name and password of a proxy URL as UTF-8 octets (RFC 1929 §2), or null without any.
 * Decoded before the proxy is dialled: a bad escape thrown from the socket's data handler would be uncaught.
 */
function socksCredentials(proxy: URL): [Buffer, Buffer] | null {
  const c = proxyCredentials(proxy);
  return c === null ? null : [Buffer.from(c[0], 'utf8'), Buffer.from(c[1], 'utf8')];
}

/** `p`, or ConnectTimeout after `ms`, or AbortError on `signal`. */
function withDeadline<T>(p: Promise<T>, ms: number, timeoutMs: number, host: string, signal: AbortSignal | null): Promise<T> {
  if (signal?.aborted) return Promise.reject(new AbortError('request aborted', { cause: signal.reason }));
  if (!(ms > 0 && ms !== Number.POSITIVE_INFINITY) && signal === null) return p;
  return new Promise<T>((ok, fail) => {
    let timer: NodeJS.Timeout | null = null;
    const done = (): void => {
      if (timer !== null) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      fail(new AbortError('request aborted while resolving the target for SOCKS5', { cause: signal!.reason }));
    };
    if (ms > 0 && ms !== Number.POSITIVE_INFINITY) {
      timer = setTimeout(() => {
        done();
        fail(new ConnectTimeout(`resolving ${host} for the SOCKS5 proxy timed out after the ${timeoutMs} ms connect timeout`, { timeoutMs }));
      }, ms);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        done();
        ok(v);
      },
      (e: unknown) => {
        done();
        fail(e instanceof Error ? e : new NetworkError(String(e)));
      },
    );
  });
}
