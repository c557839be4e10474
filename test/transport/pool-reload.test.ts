/**
 * A server that reloads the way nginx does (`nginx -s reload`): the old
 * worker finishes the response in progress, says nothing about closing
 * (the head still allows keep-alive), and sends FIN right after it. POSTs
 * in flight must not be written onto such connections, and no POST may
 * ever reach the server twice.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NetworkError, StaleConnectionError } from '../../src/index.js';
import { rejectsWith, useHarness } from '../helpers/engine.js';
import { tcpServer } from '../helpers/servers.js';

const h = useHarness();

/**
 * A raw server that reads POSTs with a Content-Length body, counts each body
 * it receives, and answers; `closeAfter(connIndex, reqIndex)` says whether to
 * send FIN right behind the response (the response itself does not say so).
 * `dropOn(connIndex, reqIndex)` closes the connection on receiving that
 * request, without answering (the idle-close race of a reloading server).
 */
async function reloadingServer(
  closeAfter: (connIndex: number, reqIndex: number) => boolean,
  dropOn: (connIndex: number, reqIndex: number) => boolean = () => false,
) {
  const received = new Map<string, number>();
  const srv = await tcpServer((socket, connIndex) => {
    let buf = Buffer.alloc(0);
    let reqIndex = 0;
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.subarray(0, end).toString('latin1');
        const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const body = buf.subarray(end + 4, end + 4 + len).toString('latin1');
        buf = buf.subarray(end + 4 + len);
        const i = reqIndex++;
        if (dropOn(connIndex, i)) {
          socket.destroy();
          return;
        }
        received.set(body, (received.get(body) ?? 0) + 1);
        const res = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
        if (closeAfter(connIndex, i)) {
          socket.end(res);
          return;
        }
        socket.write(res);
      }
    });
  });
  return Object.assign(h.server(srv), { received });
}

/** Run `workers` loops of `each` POSTs; returns the failures. */
async function postLoad(send: (id: string) => Promise<string>, workers: number, each: number): Promise<unknown[]> {
  const failures: unknown[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; i < each; i++) {
        const id = `w${w}-${i}`;
        try {
          assert.equal(await send(id), id);
        } catch (err) {
          failures.push(err);
        }
      }
    }),
  );
  return failures;
}

describe('server reloads (FIN right after a keep-alive response)', () => {
  test('8 workers × 25 POSTs, every connection closed after its 3rd response: no POST lost, none sent twice', async () => {
    const srv = await reloadingServer((_c, reqIndex) => reqIndex === 2);
    const s = h.session({ baseUrl: srv.url, pool: { maxConnectionsPerOrigin: 8 } });
    const failures = await postLoad(async (id) => (await s.post('/', { body: id })).text(), 8, 25);
    assert.deepEqual(failures.map(String), []);
    assert.equal(srv.received.size, 200);
    for (const [id, n] of srv.received) assert.equal(n, 1, `${id} reached the server ${n} times`);
    assert.ok(srv.accepted >= 200 / 3, `${srv.accepted} connections`);
  });
});

describe('the first close a session sees (no reason yet to probe)', () => {
  test('a POST sent right after a response the server followed with FIN goes out on a new connection', async () => {
    const srv = await reloadingServer((_c, reqIndex) => reqIndex === 0);
    for (let round = 0; round < 5; round++) {
      // A new session each time: nothing seen closing before, so the connection must settle rather than be probed.
      const s = h.session({ baseUrl: srv.url, pool: { maxConnectionsPerOrigin: 1 } });
      assert.equal((await s.post('/', { body: `a${round}` })).text(), `a${round}`);
      assert.equal((await s.post('/', { body: `b${round}` })).text(), `b${round}`);
    }
    assert.equal(srv.accepted, 10);
    for (const [id, n] of srv.received) assert.equal(n, 1, `${id} reached the server ${n} times`);
  });
});

describe('replay-safe requests take a reused connection at once (no settling, no probe)', () => {
  test('8 workers × 25 PUTs, every connection closed after its 3rd response: none fails, the stale ones are replayed', async () => {
    const srv = await reloadingServer((_c, reqIndex) => reqIndex === 2);
    const s = h.session({ baseUrl: srv.url, pool: { maxConnectionsPerOrigin: 8 } });
    const failures = await postLoad(async (id) => (await s.request('PUT', '/', { body: id })).text(), 8, 25);
    assert.deepEqual(failures.map(String), []);
    // Every PUT was answered; a replayed one reached the server at most twice (PUT is idempotent).
    assert.equal(srv.received.size, 200);
    for (const [id, n] of srv.received) assert.ok(n <= 2, `${id} reached the server ${n} times`);
    assert.ok(srv.accepted >= 200 / 3, `${srv.accepted} connections`);
  });
});

describe('a response that says Connection: close', () => {
  test('its connection is not pooled, even when the server leaves it open (RFC 9112 §9.6)', async () => {
    const srv = h.server(
      await tcpServer((socket) => {
        socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'));
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    for (let i = 0; i < 3; i++) assert.equal((await s.post('/', { body: 'x' })).text(), 'ok');
    assert.equal(srv.accepted, 3);
  });
});

describe('Idempotency-Key (replayable on a fresh connection, as Go net/http)', () => {
  /** Answers the first request of each connection; closes the connection on receiving the second, unanswered. */
  async function dropSecond() {
    return reloadingServer(
      () => false,
      (_c, reqIndex) => reqIndex === 1,
    );
  }

  for (const name of ['Idempotency-Key', 'X-Idempotency-Key']) {
    test(`a POST with ${name} whose reused connection was dropped is replayed once on a new connection`, async () => {
      const srv = await dropSecond();
      const s = h.session({ baseUrl: srv.url });
      assert.equal((await s.post('/', { body: 'first' })).text(), 'first');
      const res = await s.post('/', { body: 'second', headers: { [name]: 'k-1' } });
      assert.equal(res.text(), 'second');
      assert.equal(srv.accepted, 2);
      assert.equal(srv.received.get('second'), 1);
    });
  }

  test('without the key the POST rejects and is never re-sent', async () => {
    const srv = await dropSecond();
    const s = h.session({ baseUrl: srv.url });
    await s.post('/', { body: 'first' });
    await rejectsWith(s.post('/x', { body: 'second' }), StaleConnectionError, 'POST', `${srv.url}/x`);
    assert.equal(srv.accepted, 1);
  });

  test('an empty key does not count', async () => {
    const srv = await dropSecond();
    const s = h.session({ baseUrl: srv.url });
    await s.post('/', { body: 'first' });
    await rejectsWith(s.post('/x', { body: 'second', headers: { 'idempotency-key': '' } }), StaleConnectionError, 'POST', `${srv.url}/x`);
    assert.equal(srv.accepted, 1);
  });

  test('a keyed POST is not replayed when the failure came after response bytes', async () => {
    const srv = h.server(
      await tcpServer((socket, connIndex) => {
        socket.on('error', () => {});
        let n = 0;
        socket.on('data', () => {
          if (n++ === 0 && connIndex === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
          else socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart');
        });
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    await s.post('/', { body: 'a' });
    await rejectsWith(s.post('/y', { body: 'b', headers: { 'idempotency-key': 'k' } }), NetworkError, 'POST', `${srv.url}/y`);
    assert.equal(srv.accepted, 1, 'no replay');
  });
});
