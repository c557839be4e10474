/**
 * The connection pool (src/transport/pool.ts) over scripted sockets: reuse
 * order, the per-origin cap and its waiters, idle expiry, and when a
 * connection must never be handed out again — no TCP socket involved.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AbortError, ConnectTimeout } from '../../src/errors.js';
import { Pool, type PoolOptions } from '../../src/transport/pool.js';
import type { Connection } from '../../src/transport/connection.js';
import { MockBackend, type MockSocket } from '../helpers/mock-socket.js';
import { sleep, tcpServer, waitFor } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups } = useSessions();
const NO_TIMEOUT = Number.POSITIVE_INFINITY;

function pool(opts: Partial<PoolOptions> = {}, backend = new MockBackend()): { origin: ReturnType<Pool['origin']>; backend: MockBackend; pool: Pool } {
  const p = new Pool(opts);
  p.connector = backend.connector;
  cleanups.push(() => {
    p.close();
    // Connections a test still holds are its own, as a request's are until it releases them.
    for (const s of backend.sockets) s.destroy();
  });
  return { origin: p.origin('http://a.test:80', { secure: false, host: 'a.test', port: 80 }), backend, pool: p };
}

function socketOf(conn: Connection): MockSocket {
  return conn.socket as unknown as MockSocket;
}

describe('pool: reuse', () => {
  test('the most recently released idle connection is reused first (LIFO)', async () => {
    const { origin } = pool();
    const a = await origin.acquire(null, NO_TIMEOUT);
    const b = await origin.acquire(null, NO_TIMEOUT);
    origin.release(a, true);
    origin.release(b, true);
    assert.equal(await origin.acquire(null, NO_TIMEOUT), b);
    assert.equal(await origin.acquire(null, NO_TIMEOUT), a);
    assert.equal(origin.size, 2);
  });

  test('releasing a half-read connection (not reusable) destroys it and frees its slot', async () => {
    const { origin, backend } = pool({ maxConnectionsPerOrigin: 1 });
    const a = await origin.acquire(null, NO_TIMEOUT);
    origin.release(a, false);
    assert.equal(socketOf(a).destroyed, true);
    assert.equal(origin.size, 0);
    const b = await origin.acquire(null, NO_TIMEOUT);
    assert.notEqual(b, a);
    assert.equal(backend.sockets.length, 2);
  });

  test('a connection that got EOF while idle is dropped, never handed out', async () => {
    const { origin, backend } = pool();
    const a = await origin.acquire(null, NO_TIMEOUT);
    origin.release(a, true);
    socketOf(a).peerEnd();
    await waitFor(() => origin.idle.length === 0, 2000, 'the idle connection to be dropped');
    assert.equal(origin.size, 0);
    const b = await origin.acquire(null, NO_TIMEOUT);
    assert.notEqual(b, a);
    assert.equal(backend.sockets.length, 2);
  });

  test('a connection that received stray bytes while idle is destroyed, never handed out', async () => {
    const { origin } = pool();
    const a = await origin.acquire(null, NO_TIMEOUT);
    origin.release(a, true);
    socketOf(a).feed('HTTP/1.1 200 OK\r\n\r\n');
    await waitFor(() => socketOf(a).destroyed, 2000, 'the connection to be destroyed');
    await waitFor(() => origin.idle.length === 0, 2000, 'the idle connection to be dropped');
    assert.notEqual(await origin.acquire(null, NO_TIMEOUT), a);
  });

  test('`fresh` skips idle connections; at the cap it closes the least recently used idle one to make room', async () => {
    const { origin, backend } = pool({ maxConnectionsPerOrigin: 2 });
    const a = await origin.acquire(null, NO_TIMEOUT);
    origin.release(a, true);
    const b = await origin.acquire(null, NO_TIMEOUT, true);
    assert.notEqual(b, a);
    assert.equal(origin.idle.length, 1, 'the idle one stays');
    const c = await origin.acquire(null, NO_TIMEOUT, true);
    assert.notEqual(c, a);
    assert.equal(socketOf(a).destroyed, true, 'the idle one made room');
    assert.equal(origin.size, 2);
    assert.equal(backend.sockets.length, 3);
  });

  test('a `fresh` waiter is not given the connection released for it: a new one is opened', async () => {
    const { origin, backend } = pool({ maxConnectionsPerOrigin: 1 });
    const a = await origin.acquire(null, NO_TIMEOUT);
    const waiting = origin.acquire(null, NO_TIMEOUT, true);
    origin.release(a, true);
    const b = await waiting;
    assert.notEqual(b, a);
    assert.equal(socketOf(a).destroyed, true);
    assert.equal(backend.sockets.length, 2);
  });
});

describe('pool: the per-origin cap', () => {
  test('waiters get connections in FIFO order, never more than the cap open', async () => {
    const { origin, backend } = pool({ maxConnectionsPerOrigin: 1 });
    const a = await origin.acquire(null, NO_TIMEOUT);
    const order: number[] = [];
    const w1 = origin.acquire(null, NO_TIMEOUT).then((c) => (order.push(1), c));
    const w2 = origin.acquire(null, NO_TIMEOUT).then((c) => (order.push(2), c));
    assert.equal(origin.pending, 2);
    origin.release(a, true);
    const c1 = await w1;
    assert.equal(c1, a);
    origin.release(c1, true);
    assert.equal(await w2, a);
    assert.deepEqual(order, [1, 2]);
    assert.equal(backend.sockets.length, 1);
  });

  test('an aborted waiter rejects with AbortError and does not take the next released connection', async () => {
    const { origin } = pool({ maxConnectionsPerOrigin: 1 });
    const a = await origin.acquire(null, NO_TIMEOUT);
    const ac = new AbortController();
    const aborted = origin.acquire(ac.signal, NO_TIMEOUT);
    const next = origin.acquire(null, NO_TIMEOUT);
    ac.abort();
    await assert.rejects(aborted, AbortError);
    origin.release(a, true);
    assert.equal(await next, a);
    assert.equal(origin.pending, 0);
  });

  test("a waiter's connect timeout applies to the connection opened for it when a slot frees up", async () => {
    let release!: () => void;
    const hang = new Promise<void>((r) => (release = r));
    cleanups.push(() => release());
    const { origin, backend } = pool({ maxConnectionsPerOrigin: 1 }, new MockBackend((_s, i) => (i === 0 ? undefined : hang)));
    const a = await origin.acquire(null, NO_TIMEOUT);
    const waiting = origin.acquire(null, 50);
    origin.release(a, false); // frees the slot: the waiter's connect starts now
    await assert.rejects(waiting, ConnectTimeout);
    assert.equal(backend.attempts[1]!.connectTimeoutMs, 50);
    assert.equal(origin.size, 0, 'the failed connect gave its slot back');
    assert.equal(backend.sockets[1]!.destroyed, true);
  });
});

describe('pool: idle expiry', () => {
  test('a connection idle longer than maxIdleMs is closed by the sweep', async () => {
    const { origin } = pool({ maxIdleMs: 60 });
    const a = await origin.acquire(null, NO_TIMEOUT);
    origin.release(a, true);
    assert.equal(socketOf(a).referenced, false, 'an idle connection does not hold the event loop');
    await waitFor(() => socketOf(a).destroyed, 2000, 'the sweep to close the idle connection');
    assert.equal(origin.idle.length, 0);
    assert.equal(origin.size, 0);
  });

  test("a server's Keep-Alive timeout (less a 1 s margin) caps the idle time below maxIdleMs", async () => {
    const { origin, backend } = pool({ maxIdleMs: 60_000 });
    const a = await origin.acquire(null, NO_TIMEOUT);
    a.keepAliveMs = 1050; // Keep-Alive: timeout=1.05 → reusable for 50 ms
    origin.release(a, true);
    await sleep(150);
    const b = await origin.acquire(null, NO_TIMEOUT);
    assert.notEqual(b, a);
    assert.equal(socketOf(a).destroyed, true);
    assert.equal(backend.sockets.length, 2);
  });

  test('within maxIdleMs the same connection is reused', async () => {
    const { origin } = pool({ maxIdleMs: 60_000 });
    const a = await origin.acquire(null, NO_TIMEOUT);
    origin.release(a, true);
    await sleep(20);
    assert.equal(await origin.acquire(null, NO_TIMEOUT), a);
  });
});

/** A taker that records how and when it was served (the pool's promise-free interface). */
function recorder() {
  const got: Connection[] = [];
  const errors: Error[] = [];
  return {
    got,
    errors,
    taker: {
      onConnection: (c: Connection) => void got.push(c),
      onConnectionError: (e: Error) => void errors.push(e),
      isWaiting: () => true,
    },
  };
}

describe('pool: a reused connection settles before a request that cannot be replayed', () => {
  test('a server close that arrives one loop turn after the release is seen: the taker gets a new connection', async () => {
    const { origin, backend } = pool();
    const a = await origin.acquire(null, NO_TIMEOUT);
    origin.release(a, true);
    // The FIN is on its way: the event loop reads it on its next poll.
    setImmediate(() => socketOf(a).peerEnd());
    const b = await origin.acquire(null, NO_TIMEOUT);
    assert.notEqual(b, a);
    assert.equal(backend.sockets.length, 2);
  });

  test('a replay-safe taker gets the connection at once; a settling one after the loop has polled it', async () => {
    const { origin } = pool();
    const a = await origin.acquire(null, NO_TIMEOUT);
    origin.release(a, true);
    const now = recorder();
    origin.wait(now.taker, null, NO_TIMEOUT, false, false);
    assert.deepEqual(now.got, [a], 'handed over synchronously');
    origin.release(a, true);
    const later = recorder();
    origin.wait(later.taker, null, NO_TIMEOUT, false, true);
    assert.deepEqual(later.got, [], 'not in the same turn');
    await waitFor(() => later.got.length === 1, 2000, 'the settled connection');
    assert.equal(later.got[0], a);
  });

  test('a connection that settled once is handed over at once until it is released again', async () => {
    const { origin } = pool();
    const a = await origin.acquire(null, NO_TIMEOUT);
    origin.release(a, true);
    await new Promise((r) => setTimeout(r, 5));
    // A barrier run by another taker settles every connection released before it.
    const first = recorder();
    origin.wait(first.taker, null, NO_TIMEOUT, false, true);
    await waitFor(() => first.got.length === 1, 2000, 'the first hand-over');
    origin.release(a, true);
    await new Promise((r) => setTimeout(r, 5));
    const next = recorder();
    origin.wait(next.taker, null, NO_TIMEOUT, false, true);
    assert.deepEqual(next.got, [], 'released after the last barrier: it settles again');
    await waitFor(() => next.got.length === 1, 2000, 'the second hand-over');
  });

  test('after the server closed a kept-alive connection, a socket the probe cannot read (a scripted one, like TLS) still settles', async () => {
    const { origin } = pool();
    const a = await origin.acquire(null, NO_TIMEOUT);
    const b = await origin.acquire(null, NO_TIMEOUT);
    origin.release(a, true);
    origin.release(b, true);
    socketOf(a).peerEnd();
    await waitFor(() => origin.idle.length === 1, 2000, 'the closed connection to be dropped');
    const r = recorder();
    origin.wait(r.taker, null, NO_TIMEOUT, false, true);
    assert.deepEqual(r.got, [], 'not handed over in the same turn');
    await waitFor(() => r.got.length === 1, 2000, 'the settled connection');
    assert.equal(r.got[0], b);
  });

  test('after the server closed a kept-alive TCP connection, reused ones are probed and handed over without waiting', async () => {
    const srv = await tcpServer((socket, i) => {
      if (i === 0) setTimeout(() => socket.end(), 20);
    });
    const p = new Pool();
    cleanups.push(async () => {
      p.close();
      await srv.close();
    });
    const origin = p.origin(srv.url, { secure: false, host: '127.0.0.1', port: srv.port });
    const a = await origin.acquire(null, NO_TIMEOUT);
    const b = await origin.acquire(null, NO_TIMEOUT);
    origin.release(b, true);
    origin.release(a, true);
    await waitFor(() => origin.idle.length === 1, 2000, 'the closed connection to be dropped');
    const r = recorder();
    origin.wait(r.taker, null, NO_TIMEOUT, false, true);
    assert.deepEqual(r.got, [b], 'probed (EAGAIN: quiet) and handed over in the same turn');
    origin.release(b, true);
  });

  test('a taker that gave up while its connection settled does not get it; the connection stays pooled', async () => {
    const { origin } = pool();
    const a = await origin.acquire(null, NO_TIMEOUT);
    origin.release(a, true);
    let waiting = true;
    const got: Connection[] = [];
    origin.wait({ onConnection: (c) => void got.push(c), onConnectionError: () => {}, isWaiting: () => waiting }, null, NO_TIMEOUT, false, true);
    waiting = false;
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, []);
    assert.equal(origin.idle.length, 1);
    assert.equal(origin.idle[0], a);
  });
});
