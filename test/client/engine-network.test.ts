/**
 * Network failures: connection refused, reset mid-body, a server that closes
 * before answering — each a NetworkError naming the request, never retried
 * silently on a fresh connection.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { InvalidResponseError, NetworkError, TlsError } from '../../src/index.js';
import { rejectsWith, useHarness } from '../helpers/engine.js';
import { rawServer, waitFor } from '../helpers/servers.js';

const h = useHarness();

/** A port that was just listening on 127.0.0.1 and is now closed. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('network errors', () => {
  test('connection refused → NetworkError with the socket error as cause', async () => {
    const port = await closedPort();
    const s = h.session();
    const url = `http://127.0.0.1:${port}/nothing`;
    await rejectsWith(s.get(url), NetworkError, 'GET', url, (e) => {
      assert.ok(!(e instanceof TlsError));
      assert.equal((e.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    });
    // The failed attempt freed its pool slot.
    const pool = [...s._pool.origins()][0]!;
    assert.equal(pool.size, 0);
  });

  test('connection refused on https is a NetworkError too (not a TlsError)', async () => {
    const port = await closedPort();
    const s = h.session();
    const url = `https://127.0.0.1:${port}/`;
    await rejectsWith(s.get(url), NetworkError, 'GET', url, (e) => assert.ok(!(e instanceof TlsError)));
  });

  test('a refused connection does not use up the pool: many in a row all fail fast', async () => {
    const port = await closedPort();
    const s = h.session({ pool: { maxConnectionsPerOrigin: 2 } });
    const url = `http://127.0.0.1:${port}/`;
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => s.get(url)));
    for (const r of results) assert.ok(r.status === 'rejected' && r.reason instanceof NetworkError);
  });

  test('reset mid-body (Content-Length body cut short) → NetworkError', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789', () => socket.destroy());
      }),
    );
    const s = h.session();
    const url = `${srv.url}/cut`;
    await rejectsWith(s.get(url), NetworkError, 'GET', url, (e) => assert.match(e.message, /before the response body ended/));
    assert.equal(srv.accepted, 1, 'a request that got part of its response is never retried');
  });

  test('reset mid-body with a TCP RST (SO_LINGER 0) → NetworkError', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789', () => socket.resetAndDestroy());
      }),
    );
    const s = h.session();
    await rejectsWith(s.get(`${srv.url}/`), NetworkError, 'GET', `${srv.url}/`);
  });

  test('reset mid-body of a StreamResponse → the iterator rejects with NetworkError after the bytes that came', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789', () => setTimeout(() => socket.destroy(), 20));
      }),
    );
    const s = h.session();
    const url = `${srv.url}/s`;
    const res = await s.stream('GET', url);
    const got: Uint8Array[] = [];
    await rejectsWith(
      (async () => {
        for await (const c of res) got.push(c);
      })(),
      NetworkError,
      'GET',
      url,
    );
    assert.equal(Buffer.concat(got).toString(), '0123456789');
  });

  test('a chunked body cut before its last chunk → NetworkError', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      }),
    );
    const s = h.session();
    await rejectsWith(s.get(`${srv.url}/`), NetworkError, 'GET', `${srv.url}/`);
  });

  test('the server closes a FRESH connection before any response → NetworkError, not retried', async () => {
    const srv = h.server(await rawServer((socket) => socket.destroy()));
    const s = h.session();
    const url = `${srv.url}/x`;
    await rejectsWith(s.get(url), NetworkError, 'GET', url, (e) => assert.match(e.message, /before any response/));
    assert.equal(srv.accepted, 1);
    assert.equal(srv.requests.length, 1);
  });

  test('the server closes mid-head → NetworkError', async () => {
    const srv = h.server(await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Le')));
    const s = h.session();
    await rejectsWith(s.get(`${srv.url}/`), NetworkError, 'GET', `${srv.url}/`, (e) => assert.match(e.message, /before the response head ended/));
  });

  test('garbage instead of a status line → InvalidResponseError, connection destroyed', async () => {
    const srv = h.server(await rawServer((socket) => socket.write('SSH-2.0-OpenSSH\r\n\r\n')));
    const s = h.session();
    await rejectsWith(s.get(`${srv.url}/`), InvalidResponseError, 'GET', `${srv.url}/`);
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to be destroyed');
  });

  test('bytes after a complete response (unasked) make the connection unusable, not the next response', async () => {
    const srv = h.server(
      await rawServer((socket, _head, connIndex) => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${connIndex}HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nextra`);
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    assert.equal((await s.get('/')).text(), '0');
    assert.equal((await s.get('/')).text(), '1', 'the smuggled response was never read as an answer');
    assert.equal(srv.accepted, 2);
  });
});
