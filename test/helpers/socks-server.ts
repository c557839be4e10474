/**
 * A SOCKS5 server (RFC 1928, username/password RFC 1929) on 127.0.0.1 for
 * tests: CONNECT with IPv4, IPv6 and domain addresses, only to loopback
 * (a name resolves through `names`, never DNS). Faults: a refusing reply
 * code, a trickling answer, a malformed reply. `close()` destroys every
 * socket it holds.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SocksServerOptions {
  /** Require these credentials (method 0x02). */
  auth?: { user: string; pass: string };
  /** Answer CONNECT with this reply code instead of connecting (1–8). */
  reply?: number;
  /** Send the method selection one byte every `trickleMs` (never finishing within a short timeout). */
  trickleMs?: number;
  /** Answer CONNECT with a reply of an invalid version. */
  malformed?: boolean;
  /** Names the server resolves (ATYP 3); all others get reply 4 (host unreachable). */
  names?: Record<string, string>;
}

/** What one client asked for. */
export interface SocksRequest {
  atyp: number;
  host: string;
  port: number;
  user: string | null;
}

export interface SocksServer {
  url: string;
  port: number;
  requests: SocksRequest[];
  /** TCP connections accepted. */
  accepted: number;
  close(): Promise<void>;
}

/** Read exactly what a handshake needs from a socket, chunk by chunk (`take(n)` waits for n bytes). */
export class Reader {
  buf = Buffer.alloc(0);
  waiting: (() => void) | null = null;
  constructor(socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiting?.();
    });
  }
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) await new Promise<void>((r) => (this.waiting = r));
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

/** Start a SOCKS5 server on 127.0.0.1. */
export async function socksServer(opts: SocksServerOptions = {}): Promise<SocksServer> {
  const open = new Set<net.Socket>();
  const state: SocksServer = { url: '', port: 0, requests: [], accepted: 0, close: () => Promise.resolve() };
  const timers = new Set<NodeJS.Timeout>();
  const own = (s: net.Socket): net.Socket => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => {});
    return s;
  };
  const server = net.createServer((socket) => {
    state.accepted++;
    own(socket);
    handle(socket).catch(() => socket.destroy());
  });
  async function handle(socket: net.Socket): Promise<void> {
    const r = new Reader(socket);
    const [ver, n] = await r.take(2);
    if (ver !== 5) return void socket.destroy();
    const methods = [...(await r.take(n!))];
    if (opts.trickleMs !== undefined) {
      const bytes = [5, 0];
      const t = setInterval(() => {
        if (bytes.length === 0 || socket.destroyed) return clearInterval(t);
        socket.write(Buffer.from([bytes.shift()!]));
      }, opts.trickleMs);
      timers.add(t);
      // Only one byte goes out before the client's deadline; the rest never matters.
      socket.write(Buffer.from([bytes.shift()!]));
      return;
    }
    let user: string | null = null;
    if (opts.auth) {
      if (!methods.includes(2)) return void socket.end(Buffer.from([5, 0xff]));
      socket.write(Buffer.from([5, 2]));
      const [, ulen] = await r.take(2);
      user = (await r.take(ulen!)).toString('utf8');
      const [plen] = await r.take(1);
      const pass = (await r.take(plen!)).toString('utf8');
      if (user !== opts.auth.user || pass !== opts.auth.pass) return void socket.end(Buffer.from([1, 1]));
      socket.write(Buffer.from([1, 0]));
    } else socket.write(Buffer.from([5, 0]));
    const [, cmd, , atyp] = await r.take(4);
    let host: string;
    if (atyp === 1) host = [...(await r.take(4))].join('.');
    else if (atyp === 4) {
      const b = await r.take(16);
      host = new net.SocketAddress({ address: Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':'), family: 'ipv6' }).address;
    } else {
      const [len] = await r.take(1);
      host = (await r.take(len!)).toString('latin1');
    }
    const port = (await r.take(2)).readUInt16BE(0);
    state.requests.push({ atyp: atyp!, host, port, user });
    const reply = (code: number): Buffer => Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
    if (opts.malformed) return void socket.end(Buffer.from([4, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
    if (opts.reply !== undefined) return void socket.end(reply(opts.reply));
    if (cmd !== 1) return void socket.end(reply(7));
    const address = atyp === 3 ? opts.names?.[host] : host;
    if (address === undefined || !(address === '127.0.0.1' || address === '::1')) return void socket.end(reply(4));
    const upstream = own(net.connect({ host: address, port }));
    upstream.once('error', () => socket.end(reply(5)));
    upstream.once('connect', () => {
      upstream.removeAllListeners('error');
      upstream.on('error', () => socket.destroy());
      socket.write(reply(0));
      if (r.buf.length > 0) upstream.write(r.buf);
      socket.removeAllListeners('data');
      socket.pipe(upstream).pipe(socket);
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `socks5://127.0.0.1:${state.port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearInterval(t);
      for (const s of open) s.destroy();
      server.close(() => resolve());
    });
  return state;
}
