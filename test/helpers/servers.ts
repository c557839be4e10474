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

/** Count client-side TCP/TLS handles still alive in this process. */
export function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSSocketWrap' || r === 'TLSWrap').length;
}
