import assert from 'node:assert/strict';
import tls from 'node:tls';
import { describe, test } from 'node:test';
import type { Timings } from '../../src/index.js';
import { certs } from '../helpers/certs.js';
import { h2Server } from '../helpers/h2-servers.js';
import { httpServer, rawServer } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

/** Timestamps in order, phases matching their differences. */
function consistent(t: Timings): void {
  const order = [t.start, t.socket, t.lookup ?? t.socket, t.connect ?? t.socket, t.secureConnect ?? t.connect ?? t.socket, t.upload, t.response, t.end];
  for (let i = 1; i < order.length; i++) assert.ok(order[i]! >= order[i - 1]! - 0.001, `timestamp ${i} out of order: ${JSON.stringify(t)}`);
  const p = t.phases;
  assert.ok(Math.abs(p.total! - (t.end! - t.start)) < 0.001);
  assert.ok(Math.abs(p.firstByte! - (t.response! - t.upload!)) < 0.001);
  assert.ok(Math.abs(p.download! - (t.end! - t.response!)) < 0.001);
  assert.ok(Math.abs(p.wait! - (t.socket! - t.start)) < 0.001);
}

describe('timings', () => {
  test('off by default; timings: true on a request or a session', async () => {
    const srv = await httpServer((_req, res) => res.end('ok'));
    cleanups.push(() => srv.close());
    const s = session({ baseUrl: srv.url });
    assert.equal((await s.get('/')).timings, null);
    assert.ok((await s.get('/', { timings: true })).timings !== null);
    const all = session({ baseUrl: srv.url, timings: true });
    assert.ok((await all.get('/')).timings !== null);
    assert.equal((await all.get('/', { timings: false })).timings, null);
  });

  test('a fresh connection to an IP address: tcp, no dns, no tls; then a reused one has neither', async () => {
    const srv = await httpServer((_req, res) => res.end('ok'));
    cleanups.push(() => srv.close());
    const s = session({ baseUrl: srv.url, timings: true });
    const first = (await s.get('/')).timings!;
    consistent(first);
    assert.equal(first.reused, false);
    assert.equal(first.lookup, null);
    assert.ok(first.connect !== null);
    assert.equal(first.secureConnect, null);
    assert.equal(first.phases.dns, null);
    assert.ok(first.phases.tcp! >= 0);
    assert.equal(first.phases.tls, null);
    const second = (await s.get('/')).timings!;
    consistent(second);
    assert.equal(second.reused, true);
    assert.equal(second.connect, null);
    assert.equal(second.phases.tcp, null);
  });

  test('a slow first byte and a slow body show in firstByte and download', async () => {
    const srv = await rawServer((socket) => {
      setTimeout(() => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab');
        setTimeout(() => socket.end('cd'), 120);
      }, 120);
    });
    cleanups.push(() => srv.close());
    const res = await session().get(`${srv.url}/`, { timings: true });
    assert.equal(res.text(), 'abcd');
    const t = res.timings!;
    consistent(t);
    assert.ok(t.phases.firstByte! >= 100, `firstByte ${t.phases.firstByte}`);
    assert.ok(t.phases.download! >= 100, `download ${t.phases.download}`);
    assert.ok(t.phases.total! >= 200);
  });

  test('a slow TLS handshake shows in tls; a streamed response gets its end when its body ended', async () => {
    const c = certs();
    const ctx = tls.createSecureContext({ key: c.serverKey, cert: c.serverCert });
    // Hold the handshake: the server answers the ClientHello (its SNI) only after a delay.
    const server = tls.createServer({ key: c.serverKey, cert: c.serverCert, SNICallback: (_name, cb) => void setTimeout(() => cb(null, ctx), 120) });
    server.on('secureConnection', (sock) => {
      sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const res = await session({ tls: { ca: c.caCert, servername: 'localhost' } }).stream('GET', `https://127.0.0.1:${port}/`, { timings: true });
    const t = res.timings!;
    assert.equal(await res.text(), 'ok');
    assert.ok(t.end !== null, 'end is set once the body ended');
    consistent(t);
    assert.ok(t.phases.tls! >= 100, `tls ${t.phases.tls}`);
    assert.ok(t.secureConnect! >= t.connect!);
  });

  test('HTTP/2: the first stream opens the session, the second reuses it', async () => {
    const srv = await h2Server((_req, res) => res.end('h2'));
    cleanups.push(() => srv.close());
    const s = session({ tls: { ca: certs().caCert }, timings: true });
    const a = (await s.get(`${srv.url}/a`)).timings!;
    consistent(a);
    assert.equal(a.reused, false);
    assert.ok(a.secureConnect !== null);
    const b = (await s.get(`${srv.url}/b`)).timings!;
    consistent(b);
    assert.equal(b.reused, true);
    assert.equal(b.secureConnect, null);
  });

  test('after a redirect the timings are those of the last hop', async () => {
    const srv = await httpServer((req, res) => {
      if (req.url === '/a') setTimeout(() => res.writeHead(302, { location: '/b' }).end(), 150);
      else res.end('b');
    });
    cleanups.push(() => srv.close());
    const started = performance.now();
    const res = await session({ baseUrl: srv.url }).get('/a', { timings: true });
    const t = res.timings!;
    consistent(t);
    assert.ok(t.start >= started + 140, 'the last hop began after the redirect');
    assert.ok(t.phases.total! < 140, `the last hop alone: ${t.phases.total}`);
  });
});
