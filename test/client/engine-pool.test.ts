/**
 * Keep-alive pooling against real servers on 127.0.0.1: reuse, LIFO order,
 * the per-origin cap, idle expiry, `Keep-Alive: timeout=`, and stale
 * connections (idempotent requests retried once, never a POST).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { NetworkError, StaleConnectionError } from '../../src/index.js';
import { rejectsWith, useHarness } from '../helpers/engine.js';
import { captureServer, httpServer, rawServer, sleep, waitFor } from '../helpers/servers.js';

const h = useHarness();

/** A node:http server answering each request with the client's port (identifies the connection). */
async function portServer(handler?: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  return h.server(
    await httpServer(
      handler ??
        ((req, res) => {
          res.end(String(req.socket.remotePort));
        }),
    ),
  );
}

describe('keep-alive pool', () => {
  test('20 sequential GETs use one connection', async () => {
    const srv = await portServer();
    const s = h.session({ baseUrl: srv.url });
    const ports = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await s.get('/');
      assert.equal(res.status, 200);
      ports.add(res.text());
    }
    assert.equal(srv.accepted, 1);
    assert.equal(ports.size, 1);
  });

  test('LIFO: the most recently released connection serves the next request', async () => {
    const pending = new Map<string, http.ServerResponse>();
    const srv = await portServer((req, res) => {
      pending.set(req.url!, res);
    });
    const s = h.session({ baseUrl: srv.url });
    const pa = s.get('/a');
    const pb = s.get('/b');
    const pc = s.get('/c');
    await waitFor(() => pending.size === 3, 2000, 'three requests in flight');
    assert.equal(srv.accepted, 3);
    const portOf = (path: string): number => pending.get(path)!.req.socket.remotePort!;
    // Release in the order b, c, a: connection "a" is the most recently released.
    pending.get('/b')!.end(String(portOf('/b')));
    assert.equal((await pb).text(), String(portOf('/b')));
    pending.get('/c')!.end(String(portOf('/c')));
    assert.equal((await pc).text(), String(portOf('/c')));
    pending.get('/a')!.end(String(portOf('/a')));
    assert.equal((await pa).text(), String(portOf('/a')));
    pending.clear();
    const next = s.get('/next');
    await waitFor(() => pending.size === 1, 2000, 'the next request');
    const res = pending.get('/next')!;
    res.end(String(res.req.socket.remotePort));
    assert.equal((await next).text(), (await pa).text(), 'reused the last released connection (a)');
    // And the one before it next, while "a" is busy.
    pending.clear();
    const n1 = s.get('/n1');
    await waitFor(() => pending.size === 1, 2000, 'n1');
    const n2 = s.get('/n2');
    await waitFor(() => pending.size === 2, 2000, 'n2');
    for (const r of pending.values()) r.end(String(r.req.socket.remotePort));
    assert.equal((await n1).text(), (await pa).text());
    assert.equal((await n2).text(), (await pc).text(), 'second pick is the second most recently released (c)');
    assert.equal(srv.accepted, 3);
  });

  test('maxConnectionsPerOrigin: 5 holds under 50 concurrent requests', async () => {
    let active = 0;
    let maxActive = 0;
    const srv = await portServer((req, res) => {
      active++;
      maxActive = Math.max(maxActive, active);
      setTimeout(() => {
        active--;
        res.end(req.url);
      }, 5);
    });
    let maxOpen = 0;
    srv.server.on('connection', () => {
      maxOpen = Math.max(maxOpen, srv.open.size);
    });
    const s = h.session({ baseUrl: srv.url, pool: { maxConnectionsPerOrigin: 5 } });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => s.get(`/${i}`)));
    assert.deepEqual(
      results.map((r) => r.text()),
      Array.from({ length: 50 }, (_, i) => `/${i}`),
    );
    assert.ok(srv.accepted <= 5, `accepted ${srv.accepted}`);
    assert.ok(maxOpen <= 5, `max open ${maxOpen}`);
    assert.ok(maxActive <= 5 && maxActive >= 2, `max concurrent requests ${maxActive}`);
    const pool = [...s._pool.origins()][0]!;
    assert.equal(pool.pending, 0);
    assert.ok(pool.size <= 5);
  });

  test('waiters are served in FIFO order when the cap is 1', async () => {
    const order: string[] = [];
    const srv = await portServer((req, res) => {
      order.push(req.url!);
      setTimeout(() => res.end('x'), 2);
    });
    const s = h.session({ baseUrl: srv.url, pool: { maxConnectionsPerOrigin: 1 } });
    await Promise.all(Array.from({ length: 8 }, (_, i) => s.get(`/${i}`)));
    assert.deepEqual(order, ['/0', '/1', '/2', '/3', '/4', '/5', '/6', '/7']);
    assert.equal(srv.accepted, 1);
  });

  test('idle expiry: maxIdleMs 100 closes the idle socket; the next request opens a new one', async () => {
    const srv = await portServer();
    const s = h.session({ baseUrl: srv.url, pool: { maxIdleMs: 100 } });
    const first = (await s.get('/')).text();
    assert.equal(srv.open.size, 1);
    await sleep(300);
    // Closed by the client's idle sweep (the server's own keep-alive timeout is 5 s); a little slack for a loaded machine.
    await waitFor(() => srv.open.size === 0, 500, 'the client to close the idle connection');
    const second = (await s.get('/')).text();
    assert.equal(srv.accepted, 2);
    assert.notEqual(first, second);
  });

  test('idle connections are reused within maxIdleMs', async () => {
    const srv = await portServer();
    const s = h.session({ baseUrl: srv.url, pool: { maxIdleMs: 1000 } });
    await s.get('/');
    await sleep(50);
    await s.get('/');
    assert.equal(srv.accepted, 1);
  });

  test('Keep-Alive: timeout=1 from the server is honoured over a longer maxIdleMs', async () => {
    const srv = await portServer((req, res) => {
      res.setHeader('keep-alive', 'timeout=1');
      res.end(String(req.socket.remotePort));
    });
    const s = h.session({ baseUrl: srv.url, pool: { maxIdleMs: 30_000 } });
    const first = (await s.get('/')).text();
    await sleep(1100);
    // The server (whose real timeout is longer) still holds the socket; the client must not trust it.
    const second = (await s.get('/')).text();
    assert.notEqual(first, second);
    assert.equal(srv.accepted, 2);
    await waitFor(() => srv.open.size <= 1, 2000, 'the expired connection to be closed');
  });

  test('Keep-Alive: timeout=0 from the server: the connection is never reused', async () => {
    const srv = await portServer((req, res) => {
      res.setHeader('keep-alive', 'timeout=0');
      res.end(String(req.socket.remotePort));
    });
    const s = h.session({ baseUrl: srv.url, pool: { maxIdleMs: 30_000 } });
    const first = (await s.get('/')).text();
    const second = (await s.get('/')).text();
    assert.notEqual(first, second);
    assert.equal(srv.accepted, 2);
  });

  test('Keep-Alive: timeout=5 still allows immediate reuse', async () => {
    const srv = await portServer((req, res) => {
      res.setHeader('keep-alive', 'timeout=5');
      res.end(String(req.socket.remotePort));
    });
    const s = h.session({ baseUrl: srv.url });
    for (let i = 0; i < 5; i++) await s.get('/');
    assert.equal(srv.accepted, 1);
  });

  test('Connection: close from the server: the connection is not reused', async () => {
    const srv = await portServer((req, res) => {
      res.setHeader('connection', 'close');
      res.end(String(req.socket.remotePort));
    });
    const s = h.session({ baseUrl: srv.url });
    await s.get('/');
    await s.get('/');
    assert.equal(srv.accepted, 2);
  });
});

describe('Connection: close from the client', () => {
  test('a request that says Connection: close is the last on its connection, even if the server keeps it open (RFC 9112 §9.6)', async () => {
    // This server ignores the close option and keeps every connection open.
    const srv = h.server(await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')));
    const s = h.session({ baseUrl: srv.url });
    assert.equal((await s.get('/', { headers: { connection: 'close' } })).text(), 'ok');
    assert.equal((await s.get('/')).text(), 'ok');
    assert.equal((await s.get('/')).text(), 'ok');
    assert.equal(srv.accepted, 2, 'the request after the close option opened a new connection, then reused it');
  });
});

describe('stale keep-alive connections', () => {
  /** Answers the first request on each connection; the second request on a connection is dropped unanswered. */
  async function dropSecond() {
    return h.server(
      await rawServer((socket, _head, _c, reqIndex) => {
        if (reqIndex === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst');
        else socket.destroy();
      }),
    );
  }

  test('a GET on a connection the server dropped is retried once on a fresh connection', async () => {
    const srv = await dropSecond();
    const s = h.session({ baseUrl: srv.url });
    assert.equal((await s.get('/one')).text(), 'first');
    const res = await s.get('/two');
    assert.equal(res.status, 200);
    assert.equal(res.text(), 'first');
    assert.equal(srv.accepted, 2);
    assert.deepEqual(
      srv.requests.map((r) => r.split('\r\n')[0]),
      ['GET /one HTTP/1.1', 'GET /two HTTP/1.1', 'GET /two HTTP/1.1'],
    );
  });

  test('a POST on a connection the server dropped rejects with StaleConnectionError (a NetworkError) and is never re-sent', async () => {
    const srv = await dropSecond();
    const s = h.session({ baseUrl: srv.url });
    await s.get('/one');
    const err = await rejectsWith(s.post('/submit', { body: 'payload' }), StaleConnectionError, 'POST', `${srv.url}/submit`);
    assert.ok(err instanceof NetworkError);
    assert.equal(srv.accepted, 1);
    assert.equal(srv.requests.filter((r) => r.startsWith('POST')).length, 1, 'the server received the POST once');
  });

  test('a server that closes right after the first response: the next GET still succeeds', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    for (let i = 0; i < 5; i++) assert.equal((await s.get('/')).text(), 'ok');
    assert.equal(srv.accepted, 5);
  });

  test('a dead idle connection is detected before reuse (no request is written on it)', async () => {
    const srv = h.server(
      await captureServer((req, socket) => {
        // Close the connection a moment after answering, without saying so.
        setTimeout(() => socket.destroy(), 10);
        return `HTTP/1.1 200 OK\r\nContent-Length: ${String(req.connIndex).length}\r\n\r\n${req.connIndex}`;
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    assert.equal((await s.post('/', { body: 'a' })).text(), '0');
    await waitFor(() => srv.open.size === 0, 2000, 'server close');
    await sleep(20);
    assert.equal((await s.post('/', { body: 'b' })).text(), '1');
    assert.equal(srv.requests.length, 2);
  });

  test('a GET whose reused connection was dropped retries on a NEW connection, not another idle one', async () => {
    // Two idle connections that the server will both drop on their next request.
    const pending: http.ServerResponse[] = [];
    const uses = new WeakMap<object, number>();
    const srv = await portServer((req, res) => {
      const n = (uses.get(req.socket) ?? 0) + 1;
      uses.set(req.socket, n);
      if (n > 1) req.socket.destroy();
      else if (req.url === '/a' || req.url === '/b') pending.push(res);
      else res.end('fresh');
    });
    const s = h.session({ baseUrl: srv.url });
    const a = s.get('/a');
    const b = s.get('/b');
    await waitFor(() => pending.length === 2, 2000, 'two connections');
    for (const r of pending) r.end('x');
    await a;
    await b;
    const res = await s.get('/c');
    assert.equal(res.text(), 'fresh');
    assert.equal(srv.accepted, 3);
  });

  test('the fresh retry also holds at the connection cap (the idle one is replaced)', async () => {
    const uses = new WeakMap<object, number>();
    const srv = await portServer((req, res) => {
      const n = (uses.get(req.socket) ?? 0) + 1;
      uses.set(req.socket, n);
      if (n > 1) req.socket.destroy();
      else res.end('fresh');
    });
    const s = h.session({ baseUrl: srv.url, pool: { maxConnectionsPerOrigin: 1 } });
    await s.get('/');
    assert.equal((await s.get('/')).text(), 'fresh');
    assert.equal(srv.accepted, 2);
  });

  test('queued GETs (cap 1) against a server that closes after every response all succeed', async () => {
    const srv = h.server(await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')));
    const s = h.session({ baseUrl: srv.url, pool: { maxConnectionsPerOrigin: 1 }, timeout: { read: 2000 } });
    const results = await Promise.all(Array.from({ length: 8 }, () => s.get('/')));
    assert.deepEqual(
      results.map((r) => r.text()),
      Array(8).fill('ok'),
    );
    assert.ok(srv.accepted >= 8);
  });

  test('a GET whose fresh retry fails too rejects with NetworkError (retried once only)', async () => {
    const srv = h.server(
      await rawServer((socket, _head, connIndex) => {
        if (connIndex === 0 && srv.requests.length === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        else socket.destroy();
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    await s.get('/');
    await rejectsWith(s.get('/x'), NetworkError, 'GET', `${srv.url}/x`);
    assert.equal(srv.accepted, 2, 'one fresh connection for the retry, no more');
    assert.equal(srv.requests.length, 3);
  });
});

describe('session lifetime', () => {
  test('close() lets in-flight requests finish, then closes their connections', async () => {
    let hold: http.ServerResponse | null = null;
    const srv = await portServer((req, res) => {
      if (req.url === '/slow') hold = res;
      else res.end('quick');
    });
    const s = h.session({ baseUrl: srv.url });
    const slow = s.get('/slow');
    await waitFor(() => hold !== null, 2000, 'the slow request');
    await s.get('/warm');
    assert.equal(srv.accepted, 2, 'one idle, one busy');
    await s.close();
    await waitFor(() => srv.open.size === 1, 2000, 'the idle connection to be closed at once');
    hold!.end('finished');
    assert.equal((await slow).text(), 'finished');
    await waitFor(() => srv.open.size === 0, 2000, 'the busy connection to be closed after its response');
    await assert.rejects(s.get('/after'), (e: unknown) => e instanceof Error && /closed/.test(e.message));
  });

  test('close() rejects requests waiting for a connection', async () => {
    let hold: http.ServerResponse | null = null;
    const srv = await portServer((_req, res) => {
      hold = res;
    });
    const s = h.session({ baseUrl: srv.url, pool: { maxConnectionsPerOrigin: 1 } });
    const first = s.get('/1');
    await waitFor(() => hold !== null, 2000, 'the first request');
    const queued = s.get('/2');
    await s.close();
    await rejectsWith(queued, NetworkError, 'GET', `${srv.url}/2`);
    hold!.end('one');
    assert.equal((await first).text(), 'one');
  });

  test('idle pooled connections do not keep the process alive', async () => {
    const srv = await portServer();
    const script = [
      `import { Session } from ${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)};`,
      'const s = new Session({ proxy: false, pool: { maxIdleMs: 60000 } });',
      `const r = await s.get(${JSON.stringify(`${srv.url}/child`)});`,
      'console.log(r.status);',
    ].join('\n');
    const started = performance.now();
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error('the child process did not exit: an idle connection kept it alive'));
      }, 5000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout });
      });
    });
    assert.equal(out.code, 0);
    assert.equal(out.stdout.trim(), '200');
    assert.ok(performance.now() - started < 4000);
    await waitFor(() => srv.open.size === 0, 2000, 'the child connection to close');
  });
});
