/**
 * The HTTP/2 bench server, run as its own pinned process like server.ts (see
 * server-process.ts): a `node:http2` secure server (TLS, ALPN `h2`) with the
 * test certificate the parent passes in `BENCH_KEY` / `BENCH_CERT`, answering
 * `GET /1k` and `GET /64k` with the canned bodies (bodies.ts) through the
 * stream API (no compatibility layer, so the server's own cost stays low).
 *
 * So a client cannot pass without speaking h2, it counts TLS connections,
 * h2 sessions, h2 streams, and connections that negotiated anything but `h2`
 * (`http1`; those are destroyed at once, so the client fails loudly). Over IPC
 * (server-ipc.ts, as server.ts) it answers `{ cmd: 'stats' }` with them.
 * @module
 */
import http2 from 'node:http2';
import type net from 'node:net';
import type tls from 'node:tls';
import { BODIES } from './bodies.js';
import { requireIpc, serveOverIpc } from './server-ipc.js';

/** The counters the parent reads (they only grow). */
export interface H2ServerStats {
  /** TLS connections accepted. */
  connections: number;
  /** h2 streams answered. */
  requests: number;
  /** h2 sessions started. */
  sessions: number;
  /** Connections that negotiated another protocol than h2 (refused). */
  http1: number;
  /** Server process CPU time (user + system), microseconds. */
  cpuMicros: number;
}

const stats: H2ServerStats = { connections: 0, requests: 0, sessions: 0, http1: 0, cpuMicros: 0 };

const HEADERS = new Map<string, http2.OutgoingHttpHeaders>();
for (const [path, body] of Object.entries(BODIES)) {
  HEADERS.set(path, { ':status': 200, 'content-type': 'application/octet-stream', 'content-length': body.length });
}

function onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  stats.requests++;
  const path = headers[':path'] ?? '';
  const head = HEADERS.get(path);
  stream.on('error', () => {});
  if (head === undefined) {
    stream.respond({ ':status': 404, 'content-length': 9 });
    stream.end('not found');
    return;
  }
  stream.respond(head);
  stream.end(BODIES[path]);
}

function main(): void {
  requireIpc('bench/h2-server.js');
  const key = process.env.BENCH_KEY;
  const cert = process.env.BENCH_CERT;
  if (!key || !cert) {
    console.error('bench/h2-server.js needs BENCH_KEY and BENCH_CERT');
    process.exit(2);
  }
  const server = http2.createSecureServer({
    key,
    cert,
    // Accept http/1.1 in ALPN only to count and refuse it: a client that falls back must not pass quietly.
    allowHTTP1: true,
    settings: { maxConcurrentStreams: 1000, initialWindowSize: 1 << 20 },
  });
  server.on('secureConnection', (sock: tls.TLSSocket) => {
    stats.connections++;
    (sock as net.Socket).setNoDelay(true);
    if (sock.alpnProtocol !== 'h2') {
      stats.http1++;
      sock.destroy();
    }
  });
  server.on('session', (session: http2.ServerHttp2Session) => {
    stats.sessions++;
    session.on('error', () => {});
    // A larger connection window, as the clients ask for theirs.
    session.once('localSettings', () => {
      try {
        session.setLocalWindowSize(8 << 20);
      } catch {
        // destroyed already
      }
    });
  });
  server.on('stream', onStream);
  serveOverIpc(server, stats);
}

main();
