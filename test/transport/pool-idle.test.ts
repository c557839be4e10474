/**
 * Idle pooled HTTP/1.1 connections that hear from the server while nobody
 * asked: any byte (a late HEAD body, an unsolicited second response) or an
 * end of stream makes them unusable, so they leave the pool at once and the
 * next request goes out on a fresh connection.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useHarness } from '../helpers/engine.js';
import { rawServer, sleep, waitFor } from '../helpers/servers.js';

const h = useHarness();

/** The only origin pool of a session. */
function originOf(s: ReturnType<typeof h.session>) {
  const all = [...s._pool.origins()];
  assert.equal(all.length, 1);
  return all[0]!;
}

describe('idle connections that receive bytes', () => {
  test('a late HEAD body: the connection is dropped from the pool, the next request uses a new one', async () => {
    const srv = h.server(
      await rawServer((socket, head) => {
        if (head.startsWith('HEAD')) {
          // A broken server sends a body after the head of a HEAD response, a moment later.
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n');
          setTimeout(() => socket.write('hello'), 30);
        } else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    assert.equal((await s.head('/')).status, 200);
    const op = originOf(s);
    assert.equal(op.idle.length, 1);
    await waitFor(() => op.idle.length === 0, 2000, 'the idle connection to leave the pool');
    assert.equal(op.size, 0, 'and it is no longer counted');
    const res = await s.get('/');
    assert.equal(res.text(), 'ok');
    assert.equal(srv.accepted, 2);
  });

  test('an unsolicited second response on an idle connection never answers the next request', async () => {
    const srv = h.server(
      await rawServer((socket, _head, connIndex) => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${connIndex}`);
        if (connIndex === 0) setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad'), 30);
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    assert.equal((await s.get('/')).text(), '0');
    await sleep(80);
    assert.equal((await s.get('/')).text(), '1', 'a new connection answered');
    assert.equal(srv.accepted, 2);
  });

  test('bytes arriving in the same packet as the response end: the connection is not pooled', async () => {
    const srv = h.server(
      await rawServer((socket, _head, connIndex) => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${connIndex}HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad`);
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    assert.equal((await s.get('/')).text(), '0');
    assert.equal((await s.get('/')).text(), '1');
    assert.equal(srv.accepted, 2);
  });

  test('an idle connection the server half-closed (FIN) leaves the pool at once', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        // allowHalfOpen is off on the test server: end() sends FIN, the client must not reuse it.
        setTimeout(() => socket.end(), 20);
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    assert.equal((await s.get('/')).text(), 'ok');
    const op = originOf(s);
    await waitFor(() => op.idle.length === 0, 2000, 'the half-closed connection to leave the pool');
    assert.equal((await s.post('/', { body: 'x' })).text(), 'ok');
    assert.equal(srv.accepted, 2);
  });
});

describe('bytes while a response body is still being decoded', () => {
  test('bytes after a gzip body, while it is still inflating: the connection is not pooled', async () => {
    const { gzipSync } = await import('node:zlib');
    // 16 MiB of zeros inflate from ~16 KiB: decoding outlasts the wire by many event-loop turns.
    const gz = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    const srv = h.server(
      await rawServer((socket, _head, connIndex, reqIndex) => {
        if (connIndex === 0 && reqIndex === 0) {
          socket.write(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`);
          socket.write(gz, () => setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad'), 1));
        } else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext');
      }),
    );
    const s = h.session({ baseUrl: srv.url, limits: { maxBodyBytes: 32 * 1024 * 1024 } });
    assert.equal((await s.get('/')).body.length, 16 * 1024 * 1024);
    const next = await s.get('/');
    assert.ok(next.body.length < 100, `the next request read ${next.body.length} bytes of someone else's response`);
    assert.equal(next.text(), 'next');
    assert.equal(srv.accepted, 2);
  });
});
