/**
 * node:http2 servers on 127.0.0.1 for tests: secure (test CA-signed
 * certificate, HTTP/1.1 allowed as a fallback) and h2c. Each counts the
 * sessions it accepted and the streams it saw, tracks the live ones, and
 * `close()` destroys them all.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { certs } from './certs.js';

export interface H2TestServer {
  /** `https://127.0.0.1:PORT` or `http://…` for h2c. */
  url: string;
  port: number;
  /** HTTP/2 sessions accepted so far. */
  sessions: number;
  /** Streams (HTTP/2 requests) seen so far. */
  streams: number;
  /** HTTP/1.1 requests seen (secure server with allowHTTP1). */
  http1Requests: number;
  /** Live server sessions. */
  readonly live: Set<http2.ServerHttp2Session>;
  server: http2.Http2Server | http2.Http2SecureServer;
  close(): Promise<void>;
}

type Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

async function start(server: http2.Http2Server | http2.Http2SecureServer, scheme: string, handler: Handler): Promise<H2TestServer> {
  const state: H2TestServer = {
    url: '',
    port: 0,
    sessions: 0,
    streams: 0,
    http1Requests: 0,
    live: new Set(),
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of state.live) s.destroy();
        for (const sock of sockets) sock.destroy();
        server.close(() => resolve());
      }),
  };
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (sock: import('node:net').Socket) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  server.on('session', (s: http2.ServerHttp2Session) => {
    state.sessions++;
    state.live.add(s);
    s.on('close', () => state.live.delete(s));
    s.on('error', () => {});
  });
  server.on('stream', () => {
    state.streams++;
  });
  server.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    if (req.httpVersion !== '2.0') state.http1Requests++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `${scheme}://127.0.0.1:${state.port}`;
  return state;
}

/** A node:http2 secure server with the test certificate; HTTP/1.1 clients are served too. */
export function h2Server(handler: Handler, options: http2.SecureServerOptions = {}): Promise<H2TestServer> {
  const c = certs();
  const server = http2.createSecureServer({ key: c.serverKey, cert: c.serverCert, allowHTTP1: true, ...options });
  return start(server, 'https', handler);
}

/** A node:http2 cleartext (h2c, prior knowledge) server. */
export function h2cServer(handler: Handler, options: http2.ServerOptions = {}): Promise<H2TestServer> {
  const server = http2.createServer(options);
  return start(server, 'http', handler);
}
