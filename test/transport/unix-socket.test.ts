import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InvalidRequestError, NetworkError } from '../../src/errors.js';
import { splitUnixUrl } from '../../src/client/url.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();
const dir = mkdtempSync(join(tmpdir(), 'reqivo-unix-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A node:http (or h2c) server on a fresh socket file; counts connections. */
async function unixServer(h2 = false): Promise<{ path: string; accepted: () => number }> {
  const path = join(dir, `s${n++}.sock`);
  const handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
    res.end(`${req.httpVersion} ${req.method} ${req.url} host=${req.headers.host ?? req.headers[':authority']}`);
  };
  const server = h2 ? http2.createServer(handler) : http.createServer(handler);
  const open = new Set<net.Socket>();
  let accepted = 0;
  server.on('connection', (s: net.Socket) => {
    accepted++;
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { path, accepted: () => accepted };
}

describe('unix domain sockets', () => {
  test('socketPath on a Session: the URL gives Host and path; one pooled connection', async () => {
    const srv = await unixServer();
    const s = session({ socketPath: srv.path });
    assert.equal((await s.get('http://docker/v1/info?x=1')).text(), '1.1 GET /v1/info?x=1 host=docker');
    assert.equal((await s.post('http://docker/again', { body: 'b' })).text(), '1.1 POST /again host=docker');
    assert.equal(srv.accepted(), 1);
  });

  test('socketPath on a request; pooled per socket path (two paths, two pools)', async () => {
    const a = await unixServer();
    const b = await unixServer();
    const s = session();
    for (let i = 0; i < 2; i++) {
      assert.equal((await s.get('http://localhost/a', { socketPath: a.path })).status, 200);
      assert.equal((await s.get('http://localhost/b', { socketPath: b.path })).status, 200);
    }
    assert.equal(a.accepted(), 1);
    assert.equal(b.accepted(), 1);
  });

  test('http+unix:// URLs with a percent-encoded socket path', async () => {
    const srv = await unixServer();
    const s = session();
    const res = await s.get(`http+unix://${encodeURIComponent(srv.path)}/containers/json?all=1`);
    assert.equal(res.text(), '1.1 GET /containers/json?all=1 host=localhost');
    assert.deepEqual(splitUnixUrl('http+unix://%2Fx.sock'), { url: 'http://localhost/', socketPath: '/x.sock' });
    assert.throws(() => splitUnixUrl('http+unix:///path'), InvalidRequestError);
    await assert.rejects(s.get('http+unix://%2Fnope%2Fmissing.sock/'), (e: unknown) => e instanceof NetworkError && /unix socket \/nope\/missing.sock/.test(e.message));
  });

  test('an http+unix: baseUrl: relative requests go over its socket', async () => {
    const srv = await unixServer();
    const s = session({ baseUrl: `http+unix://${encodeURIComponent(srv.path)}/api` });
    assert.equal((await s.get('v1/info')).text(), '1.1 GET /api/v1/info host=localhost');
  });

  test('h2c (http2: prior-knowledge) over a socket file', async () => {
    const srv = await unixServer(true);
    const s = session({ http2: 'prior-knowledge', socketPath: srv.path });
    const [r1, r2] = await Promise.all([s.get('http://api/one'), s.get('http://api/two')]);
    assert.equal(r1.text(), '2.0 GET /one host=api');
    assert.equal(r2.text(), '2.0 GET /two host=api');
    assert.equal(srv.accepted(), 1);
  });

  test('a bad socketPath is refused', () => {
    assert.throws(() => session({ socketPath: '' }), InvalidRequestError);
    assert.throws(() => session({ socketPath: 3 as unknown as string }), /socketPath must be a non-empty string/);
  });

  test('timings on a unix socket: no DNS phase, a connect time', async () => {
    const srv = await unixServer();
    const s = session({ socketPath: srv.path, timings: true });
    const res = await s.get('http://x/t');
    assert.equal(res.timings!.phases.dns, null);
    assert.ok(res.timings!.connect !== null);
  });
});
