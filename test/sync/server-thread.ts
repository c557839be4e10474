/**
 * A node:http(s) server on its own thread, for the blocking API: a test that
 * blocks its thread in a SyncSession cannot also serve on it.
 *
 * Routes: `/echo` (JSON of method, url, headers, body, the connection's
 * number and whether its TLS session was resumed), `/set-cookie`, `/big?n=N`
 * (N bytes, byte i = i % 251; `&chunked=1` without Content-Length),
 * `/gzip`, `/status/NNN`, `/redirect` (302 → /echo), `/slow?ms=N`,
 * `/drip?ms=N` (head now, a byte every N ms), `/hang`, `/reset`,
 * `/big-head?n=N` (an `x-big` header of N bytes), `/seen` (JSON list of the
 * request targets served so far); beside it
 * two raw TCP ports, one silent and one that answers with garbage.
 */
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/** A server thread: its URL, and close() that stops it (destroying open connections). */
export interface ServerThread {
  url: string;
  /** A raw TCP port that accepts and never writes (a TLS handshake there hangs). */
  silentPort: number;
  /** A raw TCP port that answers any request with bytes that are not HTTP. */
  garbagePort: number;
  close(): Promise<void>;
}

/** Start the server thread; `tls` makes it https. */
export async function startServerThread(tls?: { key: string; cert: string }): Promise<ServerThread> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { tls: tls ?? null } });
  const ports = await new Promise<[number, number, number]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${ports[0]}`,
    silentPort: ports[1],
    garbagePort: ports[2],
    close: async () => {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

function serve(): void {
  const tls = (workerData as { tls: { key: string; cert: string } | null }).tls;
  const open = new Set<Socket>();
  const ids = new WeakMap<Socket, number>();
  let conns = 0;
  const seen: string[] = [];
  const handler: http.RequestListener = (req, res) => {
    const sock = req.socket;
    if (!ids.has(sock)) ids.set(sock, ++conns);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url!, 'http://x');
      const p = u.pathname;
      const num = (k: string): number => Number(u.searchParams.get(k) ?? 0);
      seen.push(req.url!);
      if (p === '/seen') {
        res.end(JSON.stringify(seen));
      } else if (p === '/big-head') {
        res.setHeader('x-big', 'h'.repeat(num('n')));
        res.end('ok');
      } else if (p === '/big') {
        const body = pattern(num('n'));
        if (u.searchParams.get('chunked') !== '1') res.setHeader('content-length', body.length);
        res.end(body);
      } else if (p === '/gzip') {
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain' });
        res.end(gzipSync('hello, gzip'));
      } else if (p.startsWith('/status/')) {
        res.statusCode = Number(p.slice(8));
        res.end('status');
      } else if (p === '/redirect') {
        res.writeHead(302, { location: '/echo?from=redirect' });
        res.end();
      } else if (p === '/set-cookie') {
        res.setHeader('set-cookie', 'sid=abc; Path=/');
        res.end('set');
      } else if (p === '/slow') {
        setTimeout(() => res.end('late'), num('ms'));
      } else if (p === '/drip') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const t = setInterval(() => res.write('.'), num('ms'));
        res.on('close', () => clearInterval(t));
      } else if (p === '/hang') {
        // Never answers; close() destroys the socket.
      } else if (p === '/reset') {
        sock.destroy();
      } else {
        const body = Buffer.concat(chunks);
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            method: req.method,
            url: req.url,
            headers: req.headers,
            body: body.toString('utf8'),
            bodyLength: body.length,
            conn: ids.get(sock),
            tlsReused: tls ? (sock as TLSSocket).isSessionReused() : null,
          }),
        );
      }
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 10_000;
  const silent = net.createServer(() => {});
  const garbage = net.createServer((s) => s.once('data', () => s.end('NOT HTTP AT ALL\r\n\r\n')));
  const servers = [server, silent, garbage];
  for (const srv of servers) {
    srv.on('connection', (s: Socket) => {
      open.add(s);
      s.on('close', () => open.delete(s));
    });
  }
  void Promise.all(servers.map((srv) => new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as AddressInfo).port))))).then(
    (ports) => parentPort!.postMessage(ports),
  );
  parentPort!.on('message', () => {
    for (const s of open) s.destroy();
    for (const srv of servers) srv.close();
    process.exit(0);
  });
}

if (!isMainThread && (workerData as { tls?: unknown } | null)?.tls !== undefined) serve();
