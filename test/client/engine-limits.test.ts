/**
 * Response limits (maxHeaderBytes, maxHeaderCount, maxBodyBytes) enforced
 * as bytes arrive, with LimitExceededError, and the offending connection
 * never reused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LimitExceededError, ProtocolError, ReadTimeout } from '../../src/index.js';
import { rejectsWith, useHarness } from '../helpers/engine.js';
import { rawServer, waitFor } from '../helpers/servers.js';

const h = useHarness();

/**
 * A raw keep-alive server: requests for `/bad` get `bad` (raw bytes, or a
 * function that writes), every other request gets a small 200 naming the
 * connection it came on.
 */
async function server(bad: string | ((socket: import('node:net').Socket) => void)) {
  return h.server(
    await rawServer((socket, head, connIndex) => {
      if (head.startsWith('GET /bad ')) {
        if (typeof bad === 'string') socket.write(bad);
        else bad(socket);
      } else {
        const body = `conn${connIndex}`;
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      }
    }),
  );
}

/** First a good request (opens connection 0), then `/bad` on the same connection, then a good one again: it must come on a new connection. */
async function expectLimit(srv: Awaited<ReturnType<typeof server>>, limits: Record<string, number>, limit: string, stream = false): Promise<void> {
  const s = h.session({ baseUrl: srv.url, limits, timeout: { read: 2000 } });
  assert.equal((await s.get('/ok')).text(), 'conn0');
  const url = `${srv.url}/bad`;
  if (stream) {
    await rejectsWith(
      (async () => {
        const res = await s.stream('GET', url);
        await res.bytes();
      })(),
      LimitExceededError,
      'GET',
      url,
      (e) => assert.equal(e.limit, limit),
    );
  } else {
    await rejectsWith(s.get(url), LimitExceededError, 'GET', url, (e) => {
      assert.equal(e.limit, limit);
      assert.ok(e instanceof ProtocolError);
    });
  }
  await waitFor(() => srv.open.size === 0, 2000, 'the connection to be destroyed');
  assert.equal((await s.get('/ok')).text(), 'conn1', 'the next request opened a new connection');
  assert.equal(srv.accepted, 2);
}

describe('limits', () => {
  test('maxHeaderBytes', async () => {
    const srv = await server(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(2000)}\r\nContent-Length: 0\r\n\r\n`);
    await expectLimit(srv, { maxHeaderBytes: 1024 }, 'maxHeaderBytes');
  });

  test('maxHeaderBytes is enforced before the head ends (the server never finishes it)', async () => {
    const srv = await server((socket) => socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(4000)}`));
    await expectLimit(srv, { maxHeaderBytes: 1024 }, 'maxHeaderBytes');
  });

  test('maxHeaderCount', async () => {
    let head = 'HTTP/1.1 200 OK\r\n';
    for (let i = 0; i < 30; i++) head += `X-H${i}: v\r\n`;
    const srv = await server(`${head}Content-Length: 0\r\n\r\n`);
    await expectLimit(srv, { maxHeaderCount: 10 }, 'maxHeaderCount');
  });

  test('maxHeaderCount exactly at the limit is accepted', async () => {
    let head = 'HTTP/1.1 200 OK\r\n';
    for (let i = 0; i < 9; i++) head += `X-H${i}: v\r\n`;
    const srv = await server(`${head}Content-Length: 2\r\n\r\nhi`);
    const s = h.session({ baseUrl: srv.url, limits: { maxHeaderCount: 10 } });
    assert.equal((await s.get('/bad')).text(), 'hi');
  });

  test('maxBodyBytes: a Content-Length over the limit is refused as soon as the head arrives', async () => {
    // The server promises 1 MB and sends nothing: only an early check can fail before the read timeout.
    const srv = await server('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n');
    await expectLimit(srv, { maxBodyBytes: 1000 }, 'maxBodyBytes');
  });

  test('maxBodyBytes: a chunked body growing past the limit', async () => {
    const srv = await server((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      // 8 chunks of 500 bytes, then silence: the limit (2000) trips mid-way.
      for (let i = 0; i < 8; i++) socket.write(`1f4\r\n${'z'.repeat(500)}\r\n`);
    });
    await expectLimit(srv, { maxBodyBytes: 2000 }, 'maxBodyBytes');
  });

  test('maxBodyBytes: a close-delimited body growing past the limit', async () => {
    const srv = await server((socket) => socket.write(`HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${'y'.repeat(5000)}`));
    await expectLimit(srv, { maxBodyBytes: 1000 }, 'maxBodyBytes');
  });

  test('maxBodyBytes applies to a StreamResponse as well', async () => {
    const srv = await server((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      for (let i = 0; i < 8; i++) socket.write(`1f4\r\n${'z'.repeat(500)}\r\n`);
    });
    await expectLimit(srv, { maxBodyBytes: 2000 }, 'maxBodyBytes', true);
  });

  test('a body exactly maxBodyBytes long is accepted', async () => {
    const srv = await server(`HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n${'q'.repeat(1000)}`);
    const s = h.session({ baseUrl: srv.url, limits: { maxBodyBytes: 1000 } });
    assert.equal((await s.get('/bad')).body.length, 1000);
  });

  test('per-request limits override the session', async () => {
    const srv = await server(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${'q'.repeat(100)}`);
    const s = h.session({ baseUrl: srv.url, limits: { maxBodyBytes: 10 } });
    assert.equal((await s.get('/bad', { limits: { maxBodyBytes: 100 } })).body.length, 100);
    await rejectsWith(s.get('/bad'), LimitExceededError, 'GET', `${srv.url}/bad`);
  });

  test('the limit error is not a read timeout (no waiting for more data)', async () => {
    const srv = await server('HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n');
    const s = h.session({ baseUrl: srv.url, limits: { maxBodyBytes: 10 }, timeout: { read: 100 } });
    await assert.rejects(s.get('/bad'), (e: unknown) => e instanceof LimitExceededError && !(e instanceof ReadTimeout));
  });
});
