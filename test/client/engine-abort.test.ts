/**
 * AbortSignal at every stage: before the request starts, while connecting,
 * while waiting for a pooled connection, while waiting for the head, and
 * mid-body. Each rejects with AbortError whose cause is `signal.reason`, and
 * the connection in use is destroyed.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { AbortError } from '../../src/index.js';
import { certs } from '../helpers/certs.js';
import { rejectsWith, useHarness } from '../helpers/engine.js';
import { httpServer, rawServer, sleep, tcpServer, waitFor } from '../helpers/servers.js';

const h = useHarness();

function abortLater(ms: number, reason: unknown = new Error('stop it')): AbortController {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(reason), ms);
  h.defer(() => clearTimeout(t));
  return ac;
}

describe('abort', () => {
  test('a signal aborted before the call: AbortError, nothing is sent', async () => {
    const srv = h.server(await rawServer(() => {}));
    const s = h.session();
    const ac = new AbortController();
    const reason = new Error('never mind');
    ac.abort(reason);
    const url = `${srv.url}/x`;
    await rejectsWith(s.get(url, { signal: ac.signal }), AbortError, 'GET', url, (e) => {
      assert.equal(e.cause, reason);
      assert.match(e.message, /never mind/);
    });
    await sleep(20);
    assert.equal(srv.accepted, 0);
  });

  test('abort with the default reason: cause is the DOMException from the signal', async () => {
    const srv = h.server(await rawServer(() => {}));
    const s = h.session();
    const ac = new AbortController();
    ac.abort();
    await rejectsWith(s.get(`${srv.url}/`, { signal: ac.signal }), AbortError, 'GET', `${srv.url}/`, (e) => {
      assert.equal(e.cause, ac.signal.reason);
      assert.equal((e.cause as Error).name, 'AbortError');
    });
  });

  test('abort while connecting (TLS handshake that never completes)', async () => {
    const srv = h.server(await tcpServer((socket) => socket.resume()));
    const s = h.session({ tls: { ca: certs().caCert }, http2: false });
    const reason = new Error('too slow');
    const ac = abortLater(80, reason);
    const url = `https://127.0.0.1:${srv.port}/`;
    await rejectsWith(s.get(url, { signal: ac.signal }), AbortError, 'GET', url, (e) => assert.equal(e.cause, reason));
    await waitFor(() => srv.open.size === 0, 2000, 'the connecting socket to be closed');
    assert.equal(srv.accepted, 1);
  });

  test(
    "abort while connecting with http2: 'auto' (ALPN) closes the connecting socket promptly",
    async () => {
      const srv = h.server(await tcpServer((socket) => socket.resume()));
      const s = h.session({ tls: { ca: certs().caCert }, timeout: { connect: 1500 } });
      const ac = abortLater(50);
      const url = `https://127.0.0.1:${srv.port}/`;
      await rejectsWith(s.get(url, { signal: ac.signal }), AbortError, 'GET', url);
      await waitFor(() => srv.open.size === 0, 500, 'the connecting socket to be closed');
    },
  );

  test('abort while waiting for a pooled connection; the busy one is unaffected', async () => {
    let hold: http.ServerResponse | null = null;
    const srv = h.server(
      await httpServer((req, res) => {
        if (req.url === '/hold') hold = res;
        else res.end('quick');
      }),
    );
    const s = h.session({ baseUrl: srv.url, pool: { maxConnectionsPerOrigin: 1 } });
    const busy = s.get('/hold');
    await waitFor(() => hold !== null, 2000, 'the first request');
    const reason = new Error('queue too long');
    const ac = abortLater(50, reason);
    await rejectsWith(s.get('/queued', { signal: ac.signal }), AbortError, 'GET', `${srv.url}/queued`, (e) => assert.equal(e.cause, reason));
    hold!.end('held');
    assert.equal((await busy).text(), 'held');
    // The aborted waiter left no trace in the queue: the next request reuses the connection.
    assert.equal((await s.get('/again')).text(), 'quick');
    assert.equal(srv.accepted, 1);
    assert.equal([...s._pool.origins()][0]!.pending, 0);
  });

  test('abort while waiting for the response head: the connection is destroyed', async () => {
    const srv = h.server(await rawServer(() => {}));
    const s = h.session();
    const reason = new Error('bored');
    const ac = abortLater(60, reason);
    const url = `${srv.url}/wait`;
    await rejectsWith(s.get(url, { signal: ac.signal }), AbortError, 'GET', url, (e) => assert.equal(e.cause, reason));
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to be destroyed');
  });

  test('abort mid-body of a buffered response', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nfirst part');
      }),
    );
    const s = h.session();
    const reason = new Error('enough');
    const ac = abortLater(60, reason);
    await rejectsWith(s.get(`${srv.url}/`, { signal: ac.signal }), AbortError, 'GET', `${srv.url}/`, (e) => assert.equal(e.cause, reason));
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to be destroyed');
  });

  test('abort mid-body of a StreamResponse: the iterator rejects, the connection is destroyed and not reused', async () => {
    const srv = h.server(
      await rawServer((socket, head) => {
        if (head.startsWith('GET /big')) socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(1000)}`);
        else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    const ac = new AbortController();
    const res = await s.stream('GET', '/big', { signal: ac.signal });
    assert.equal(res.status, 200);
    const it = res[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.done, false);
    const reason = new Error('stop streaming');
    ac.abort(reason);
    await rejectsWith(it.next(), AbortError, 'GET', `${srv.url}/big`, (e) => assert.equal(e.cause, reason));
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to be destroyed');
    assert.equal((await s.get('/after')).text(), 'ok');
    assert.equal(srv.accepted, 2);
  });

  test('an abort after the response completed changes nothing', async () => {
    const srv = h.server(await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')));
    const s = h.session({ baseUrl: srv.url });
    const ac = new AbortController();
    const res = await s.get('/', { signal: ac.signal });
    ac.abort(new Error('late'));
    assert.equal(res.text(), 'ok');
    assert.equal((await s.get('/')).text(), 'ok');
    assert.equal(srv.accepted, 1, 'the connection went back to the pool');
  });

  test('a fully read StreamResponse is not affected by a later abort', async () => {
    const srv = h.server(await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello')));
    const s = h.session({ baseUrl: srv.url });
    const ac = new AbortController();
    const res = await s.stream('GET', '/', { signal: ac.signal });
    assert.equal(await res.text(), 'hello');
    ac.abort();
    assert.equal((await s.get('/')).text(), 'hello');
    assert.equal(srv.accepted, 1);
  });
});
