/**
 * Connect, read and total timeouts against servers that misbehave on
 * purpose: each fails with its own error class, names the request, and
 * leaves no socket behind.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectTimeout, ReadTimeout, TimeoutError } from '../../src/index.js';
import { certs } from '../helpers/certs.js';
import { rejectsWith, useHarness } from '../helpers/engine.js';
import { rawServer, tcpServer, waitFor } from '../helpers/servers.js';

const h = useHarness();

/** A TCP server that accepts, reads and never says a word: a TLS handshake to it never completes. */
async function silentServer() {
  return h.server(await tcpServer((socket) => socket.resume()));
}

describe('connect timeout', () => {
  test('an https URL to a server that never answers the TLS handshake → ConnectTimeout', async () => {
    const srv = await silentServer();
    const url = `https://127.0.0.1:${srv.port}/slow`;
    const s = h.session({ timeout: { connect: 150 }, tls: { ca: certs().caCert } });
    const started = performance.now();
    const err = await rejectsWith(s.get(url), ConnectTimeout, 'GET', url);
    const took = performance.now() - started;
    assert.ok(took >= 140 && took < 1500, `took ${took} ms`);
    assert.ok(err instanceof TimeoutError);
    assert.equal(err.timeoutMs, 150);
    assert.equal(srv.accepted, 1);
    await waitFor(() => srv.open.size === 0, 2000, 'the half-open TLS socket to be closed');
  });

  test('a per-request connect timeout overrides the session', async () => {
    const srv = await silentServer();
    const url = `https://127.0.0.1:${srv.port}/`;
    const s = h.session({ tls: { ca: certs().caCert } });
    await rejectsWith(s.get(url, { timeout: { connect: 120 } }), ConnectTimeout, 'GET', url);
  });

  test('timeout: N as a number bounds the connect phase too', async () => {
    const srv = await silentServer();
    const url = `https://127.0.0.1:${srv.port}/`;
    const s = h.session({ tls: { ca: certs().caCert } });
    const started = performance.now();
    // Connect and total both expire about 200 ms in (the connect phase began a little later): the phase is named.
    await rejectsWith(s.get(url, { timeout: 200 }), ConnectTimeout, 'GET', url);
    assert.ok(performance.now() - started < 1500);
  });

  test('timeout: N as a number against a server that never answers → ReadTimeout (read and total coincide)', async () => {
    const srv = h.server(await rawServer(() => {}));
    const url = `${srv.url}/silent`;
    const s = h.session();
    const err = await rejectsWith(s.get(url, { timeout: 250 }), ReadTimeout, 'GET', url);
    assert.equal(err.timeoutMs, 250);
  });

  test('timeout: N with a connect that began well into the exchange (after a slow redirect) → a plain TimeoutError', async () => {
    const silent = await silentServer();
    const target = `https://127.0.0.1:${silent.port}/`;
    const slow = h.server(
      await rawServer((socket) => {
        const t = setTimeout(() => socket.write(`HTTP/1.1 302 Found\r\nLocation: ${target}\r\nContent-Length: 0\r\n\r\n`), 150);
        socket.on('close', () => clearTimeout(t));
      }),
    );
    const s = h.session({ tls: { ca: certs().caCert } });
    const url = `${slow.url}/slow-redirect`;
    // The connect to the silent server starts ~150 ms into a 300 ms exchange: its own 300 ms are nowhere near up.
    const err = await rejectsWith(s.get(url, { timeout: 300 }), TimeoutError, 'GET', target);
    assert.equal(err.constructor, TimeoutError, `expected a plain TimeoutError, got ${err.name}`);
    assert.equal(err.timeoutMs, 300);
    assert.equal(silent.accepted, 1);
  });

  test('a total timeout shorter than the read timeout stays a plain TimeoutError', async () => {
    const srv = h.server(await rawServer(() => {}));
    const url = `${srv.url}/silent`;
    const s = h.session({ timeout: { read: 5000, total: 120 } });
    const err = await rejectsWith(s.get(url), TimeoutError, 'GET', url);
    assert.equal(err.constructor, TimeoutError);
  });
});

describe('read timeout', () => {
  test('headers then silence → ReadTimeout', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n');
      }),
    );
    const s = h.session({ timeout: { read: 150 } });
    const url = `${srv.url}/stall`;
    const started = performance.now();
    const err = await rejectsWith(s.get(url), ReadTimeout, 'GET', url);
    assert.ok(performance.now() - started >= 140);
    assert.equal(err.timeoutMs, 150);
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to be destroyed');
    // Not reused: the next request opens a new connection (which stalls too).
    await rejectsWith(s.get(url), ReadTimeout, 'GET', url);
    assert.equal(srv.accepted, 2);
  });

  test('no response head at all → ReadTimeout', async () => {
    const srv = h.server(await rawServer(() => {}));
    const s = h.session({ timeout: { read: 120 } });
    await rejectsWith(s.get(`${srv.url}/`), ReadTimeout, 'GET', `${srv.url}/`);
  });

  test('a streamed body that stalls mid-way → ReadTimeout from the iterator', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789');
      }),
    );
    const s = h.session({ timeout: { read: 150 } });
    const url = `${srv.url}/s`;
    const res = await s.stream('GET', url);
    assert.equal(res.status, 200);
    const got: Uint8Array[] = [];
    await rejectsWith(
      (async () => {
        for await (const c of res) got.push(c);
      })(),
      ReadTimeout,
      'GET',
      url,
    );
    assert.equal(Buffer.concat(got).toString(), '0123456789');
  });

  test('a per-request read timeout overrides the session', async () => {
    const srv = h.server(await rawServer(() => {}));
    const s = h.session({ timeout: { read: 60_000 } });
    await rejectsWith(s.get(`${srv.url}/`, { timeout: { read: 100 } }), ReadTimeout, 'GET', `${srv.url}/`);
  });
});

describe('total timeout', () => {
  test('a server that trickles a byte every 40 ms: total fires, not read', async () => {
    const timers = new Set<NodeJS.Timeout>();
    h.defer(() => {
      for (const t of timers) clearInterval(t);
    });
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
        let n = 0;
        const t = setInterval(() => {
          // Bounded: at most 200 bytes, far beyond the test's 300 ms.
          if (socket.destroyed || n++ > 200) {
            clearInterval(t);
            timers.delete(t);
            return;
          }
          socket.write('1\r\nx\r\n');
        }, 40);
        timers.add(t);
        socket.on('close', () => {
          clearInterval(t);
          timers.delete(t);
        });
      }),
    );
    const s = h.session({ timeout: { read: 200, total: 300 } });
    const url = `${srv.url}/trickle`;
    const started = performance.now();
    const err = await rejectsWith(s.get(url), TimeoutError, 'GET', url);
    const took = performance.now() - started;
    assert.equal(err.constructor, TimeoutError, `expected a plain TimeoutError, got ${err.name}`);
    assert.ok(!(err instanceof ReadTimeout) && !(err instanceof ConnectTimeout));
    assert.equal(err.timeoutMs, 300);
    assert.ok(took >= 290 && took < 2000, `took ${took} ms`);
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to be destroyed');
  });

  test('total timeout bounds a streamed body too', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc');
      }),
    );
    const s = h.session({ timeout: { total: 200 } });
    const url = `${srv.url}/`;
    const res = await s.stream('GET', url);
    await rejectsWith(res.bytes(), TimeoutError, 'GET', url, (e) => assert.equal(e.constructor, TimeoutError));
  });

  test('a fast request under a total timeout succeeds and leaves no timer running', async () => {
    const srv = h.server(await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')));
    const s = h.session({ timeout: { total: 100 } });
    assert.equal((await s.get(`${srv.url}/`)).text(), 'ok');
    await new Promise((r) => setTimeout(r, 150));
    // The connection survived past the total timeout: it was not cancelled after the fact.
    assert.equal((await s.get(`${srv.url}/`)).text(), 'ok');
    assert.equal(srv.accepted, 1);
  });
});
