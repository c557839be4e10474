/**
 * Real servers on 127.0.0.1 for integration tests: node:http / node:https
 * with a handler, and raw node:net servers that write exact bytes. Each
 * counts the TCP connections it accepted and tracks the open ones, and
 * `close()` destroys them all so no test leaves a socket behind.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { certs } from './certs.js';

export interface TestServer {
  /** `http://127.0.0.1:PORT` (or https). */
  url: string;
  port: number;
  /** TCP connections accepted so far. */
  accepted: number;
  /** Connections currently open on the server side. */
  readonly open: Set<net.Socket>;
  close(): Promise<void>;
}

function track(server: net.Server, state: TestServer, event = 'connection'): void {
  server.on(event, (socket: net.Socket) => {
    state.accepted++;
    state.open.add(socket);
    socket.on('close', () => state.open.delete(socket));
  });
}

async function listen(server: net.Server, scheme: string, event?: string): Promise<TestServer> {
  const state: TestServer = {
    url: '',
    port: 0,
    accepted: 0,
    open: new Set(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of state.open) s.destroy();
        server.close(() => resolve());
      }),
  };
  track(server, state, event);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `${scheme}://127.0.0.1:${state.port}`;
  return state;
}

/** A node:http server. */
export async function httpServer(handler: http.RequestListener, options: http.ServerOptions = {}): Promise<TestServer & { server: http.Server }> {
  const server = http.createServer({ keepAliveTimeout: 5000, ...options }, handler);
  const s = await listen(server, 'http');
  return Object.assign(s, { server });
}

/** A node:https server with the test CA-signed certificate (or the given TLS options). */
export async function httpsServer(handler: http.RequestListener, options: https.ServerOptions = {}): Promise<TestServer & { server: https.Server }> {
  const c = certs();
  const server = https.createServer({ key: c.serverKey, cert: c.serverCert, keepAliveTimeout: 5000, ...options }, handler);
  const s = await listen(server, 'https', 'secureConnection');
  // Count TCP connections that fail the handshake too.
  server.on('connection', (socket: net.Socket) => {
    s.open.add(socket);
    socket.on('close', () => s.open.delete(socket));
  });
  return Object.assign(s, { server });
}

/** A raw TCP server: `onRequest(socket, requestHead, index)` is called for each request head received on a connection. */
export async function rawServer(
  onRequest: (socket: net.Socket, head: string, connIndex: number, reqIndex: number) => void,
): Promise<TestServer & { requests: string[] }> {
  const requests: string[] = [];
  let connCount = 0;
  const server = net.createServer((socket) => {
    const connIndex = connCount++;
    let reqIndex = 0;
    let buf = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
        // Skip a Content-Length body if any (tests with bodies use their own parsing).
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (m) buf = buf.subarray(Math.min(buf.length, Number(m[1])));
        requests.push(head);
        onRequest(socket, head, connIndex, reqIndex++);
      }
    });
  });
  const s = await listen(server, 'http');
  return Object.assign(s, { requests });
}

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Wait until `cond()` is true, polling; throws after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** `p` settled within `ms`, or a failure naming what hung. */
export async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** `n` pseudo-random octets (xorshift32 from `seed`): the same for the same seed. */
export function seededBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** Count client-side TCP/TLS handles still alive in this process. */
export function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSSocketWrap' || r === 'TLSWrap').length;
}

/** A raw TCP server: `onConnection(socket, index)` owns each accepted socket (errors are swallowed). */
export async function tcpServer(onConnection: (socket: net.Socket, connIndex: number) => void): Promise<TestServer & { server: net.Server }> {
  let connCount = 0;
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    onConnection(socket, connCount++);
  });
  const s = await listen(server, 'http');
  return Object.assign(s, { server });
}

/** A request as a capturing server received it. */
export interface CapturedRequest {
  /** The request line and header lines, without the final CRLF CRLF. */
  head: string;
  /** Request line, e.g. `GET /x HTTP/1.1`. */
  line: string;
  /** Header lines `[name, value]` as sent (original casing, in order). */
  headers: Array<[string, string]>;
  /** The body after de-chunking. */
  body: Buffer;
  /** Whether the body was sent chunked. */
  chunked: boolean;
  /** Index of the connection it came on. */
  connIndex: number;
}

/** Value of header `name` (case-insensitive) in a captured request, all lines joined with ', '; null if absent. */
export function headerOf(req: CapturedRequest, name: string): string | null {
  const vs = req.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
  return vs.length === 0 ? null : vs.join(', ');
}

/** How many header lines named `name` (case-insensitive) a captured request carries. */
export function countHeader(req: CapturedRequest, name: string): number {
  return req.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).length;
}

/**
 * A raw TCP server that parses each request exactly (head, Content-Length or
 * chunked body) from the bytes on the wire, records it, and answers with
 * `respond(req)` (raw response bytes; default a 200 with body `ok`).
 * `bytes` counts every byte received.
 */
export async function captureServer(
  respond: (req: CapturedRequest, socket: net.Socket) => string | Buffer | null = () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
): Promise<TestServer & { requests: CapturedRequest[]; bytes: number }> {
  const requests: CapturedRequest[] = [];
  const state = { bytes: 0 };
  const srv = await tcpServer((socket, connIndex) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      state.bytes += d.length;
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const r = parseRequest(buf);
        if (r === null) return;
        buf = buf.subarray(r.used);
        const req: CapturedRequest = { ...r.req, connIndex };
        requests.push(req);
        const out = respond(req, socket);
        if (out !== null && !socket.destroyed) socket.write(out);
      }
    });
  });
  return Object.assign(srv, {
    requests,
    get bytes() {
      return state.bytes;
    },
  });
}

function parseRequest(buf: Buffer): { req: Omit<CapturedRequest, 'connIndex'>; used: number } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const head = buf.subarray(0, end).toString('latin1');
  const lines = head.split('\r\n');
  const headers = lines.slice(1).map((l): [string, string] => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1).trim()];
  });
  const get = (n: string): string | undefined => headers.find(([k]) => k.toLowerCase() === n)?.[1];
  let pos = end + 4;
  const te = get('transfer-encoding');
  if (te !== undefined && /chunked/i.test(te)) {
    const parts: Buffer[] = [];
    for (;;) {
      const nl = buf.indexOf('\r\n', pos);
      if (nl === -1) return null;
      const size = Number.parseInt(buf.subarray(pos, nl).toString('latin1'), 16);
      if (size === 0) {
        const fin = buf.indexOf('\r\n\r\n', nl);
        if (fin === -1) return null;
        return { req: { head, line: lines[0]!, headers, body: Buffer.concat(parts), chunked: true }, used: fin + 4 };
      }
      if (buf.length < nl + 2 + size + 2) return null;
      parts.push(buf.subarray(nl + 2, nl + 2 + size));
      pos = nl + 2 + size + 2;
    }
  }
  const cl = Number(get('content-length') ?? 0);
  if (buf.length < pos + cl) return null;
  return { req: { head, line: lines[0]!, headers, body: Buffer.from(buf.subarray(pos, pos + cl)), chunked: false }, used: pos + cl };
}
