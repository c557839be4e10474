/**
 * The HTTP/1.1 driver (src/http1/connection.ts) through a Session whose
 * connector hands out scripted sockets: the exact bytes it writes, responses
 * read however the bytes are split, and what becomes of a connection that
 * fails mid-exchange — no TCP socket involved.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { NetworkError, StaleConnectionError } from '../../src/errors.js';
import type { Session } from '../../src/client/session.js';
import { MockBackend, type MockSocket, onRequests } from '../helpers/mock-socket.js';
import { waitFor } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { session: newSession } = useSessions();
const URL_BASE = 'http://127.0.0.1:9';
const DEFAULT_HEAD = 'Host: 127.0.0.1:9\r\nuser-agent: reqivo/0.1.0\r\naccept: */*\r\naccept-encoding: gzip, deflate, br\r\n';

function session(backend: MockBackend): Session {
  const s = newSession();
  s._pool.connector = backend.connector;
  return s;
}

/** Every connection answers each request with `response(index)`. */
function answering(response: (i: number, head: string) => string): MockBackend {
  return new MockBackend((sock) => onRequests(sock, (head, i, s) => s.feed(response(i, head))));
}

const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';

describe('HTTP/1.1 driver: the bytes on the wire', () => {
  test('GET, POST with a known length and a chunked POST are written byte for byte, over one connection', async () => {
    const b = answering(() => OK);
    const s = session(b);
    assert.equal((await s.get(`${URL_BASE}/p?q=1`)).text(), 'ok');
    await s.post(`${URL_BASE}/p`, { body: 'abc' });
    await s.post(`${URL_BASE}/c`, { body: Readable.from([Buffer.from('ab'), Buffer.from('cde')]) });
    assert.equal(b.sockets.length, 1);
    assert.equal(
      b.sockets[0]!.text(),
      `GET /p?q=1 HTTP/1.1\r\n${DEFAULT_HEAD}\r\n` +
        `POST /p HTTP/1.1\r\n${DEFAULT_HEAD}content-type: text/plain;charset=UTF-8\r\nContent-Length: 3\r\n\r\nabc` +
        `POST /c HTTP/1.1\r\n${DEFAULT_HEAD}Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n`,
    );
  });
});

describe('HTTP/1.1 driver: reading responses', () => {
  for (const [name, response, body] of [
    ['content-length', 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: 1\r\n\r\nhello world', 'hello world'],
    ['chunked with trailers', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 2\r\n\r\n', 'hello world'],
  ] as const) {
    test(`a ${name} response split at every byte boundary reads the same, and the connection is reused`, async () => {
      let sock: MockSocket | null = null;
      const pending: Array<() => void> = [];
      const b = new MockBackend((sk) => {
        sock = sk;
        onRequests(sk, () => pending.shift()?.());
      });
      const s = session(b);
      for (let cut = 1; cut < response.length; cut++) {
        pending.push(() => {
          sock!.feed(response.slice(0, cut));
          setImmediate(() => sock!.feed(response.slice(cut)));
        });
        const r = await s.get(`${URL_BASE}/${cut}`);
        assert.equal(r.text(), body, `split at ${cut}`);
        assert.equal(r.headers.get('x-a'), '1');
      }
      // And one byte per read.
      pending.push(() => void sock!.feedSplit(response, 1));
      assert.equal((await s.get(`${URL_BASE}/bytes`)).text(), body);
      assert.equal(b.sockets.length, 1);
    });
  }

  test('Keep-Alive: timeout= is recorded on the connection for the pool', async () => {
    const s = session(answering(() => 'HTTP/1.1 204 No Content\r\nKeep-Alive: timeout=5, max=100\r\n\r\n'));
    await s.get(`${URL_BASE}/`);
    const [origin] = [...s._pool.origins()];
    assert.equal(origin!.idle[0]!.keepAliveMs, 5000);
  });

  test('a response that arrives before the request body finished is delivered; that connection is not reused', async () => {
    let more!: () => void;
    const rest = new Promise<void>((r) => (more = r));
    const body = Readable.from(
      (async function* () {
        yield Buffer.from('first');
        await rest;
        yield Buffer.from('second');
      })(),
    );
    const b = new MockBackend((sock, i) => {
      if (i === 0) {
        sock.onWrite = () => {
          if (sock.text().includes('first')) sock.feed('HTTP/1.1 413 Content Too Large\r\ncontent-length: 4\r\n\r\nbig!');
        };
      } else onRequests(sock, (_h, _i, sk) => sk.feed(OK));
    });
    const s = session(b);
    const r = await s.post(`${URL_BASE}/upload`, { body });
    assert.equal(r.status, 413);
    assert.equal(r.text(), 'big!');
    more();
    await waitFor(() => b.sockets[0]!.destroyed, 2000, 'the half-sent connection to be closed');
    assert.equal((await s.get(`${URL_BASE}/next`)).text(), 'ok');
    assert.equal(b.sockets.length, 2);
  });
});

describe('HTTP/1.1 driver: a connection that fails', () => {
  /** The first connection answers once, then closes without a byte when the next request comes; later ones answer. */
  function staleAfterOne(): MockBackend {
    return new MockBackend((sock, conn) =>
      onRequests(sock, (_h, i, sk) => {
        if (conn === 0 && i === 1) sk.peerEnd();
        else sk.feed(OK);
      }),
    );
  }

  test('a reused connection closed before any response byte: a POST fails with StaleConnectionError, never sent twice', async () => {
    const b = staleAfterOne();
    const s = session(b);
    await s.get(`${URL_BASE}/a`);
    await assert.rejects(s.post(`${URL_BASE}/b`, { body: 'x' }), StaleConnectionError);
    assert.equal(b.sockets.length, 1, 'no second attempt');
  });

  test('a reused connection closed before any response byte: a GET is replayed once on a fresh connection', async () => {
    const b = staleAfterOne();
    const s = session(b);
    await s.get(`${URL_BASE}/a`);
    assert.equal((await s.get(`${URL_BASE}/b`)).text(), 'ok');
    assert.equal(b.sockets.length, 2);
    assert.match(b.sockets[1]!.text(), /^GET \/b /);
  });

  test('a body cut short by EOF fails with NetworkError (not stale), and the connection is never pooled', async () => {
    const b = new MockBackend((sock, conn) =>
      onRequests(sock, (_h, _i, sk) => {
        if (conn === 0) {
          sk.feed('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf');
          setImmediate(() => sk.peerEnd());
        } else sk.feed(OK);
      }),
    );
    const s = session(b);
    const err = await s.get(`${URL_BASE}/cut`).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof NetworkError, `expected NetworkError, got ${String(err)}`);
    assert.ok(!(err instanceof StaleConnectionError), 'response bytes arrived: not a stale connection');
    assert.equal(b.sockets[0]!.destroyed, true);
    assert.equal((await s.get(`${URL_BASE}/next`)).text(), 'ok');
    assert.equal(b.sockets.length, 2);
  });

  test('a streamed body cut short by a reset fails with NetworkError when read', async () => {
    const b = new MockBackend((sock) =>
      onRequests(sock, (_h, _i, sk) => {
        sk.feed('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nhalf\r\n');
        setImmediate(() => sk.peerError());
      }),
    );
    const s = session(b);
    const r = await s.stream('GET', `${URL_BASE}/reset`);
    await assert.rejects(r.text(), NetworkError);
    assert.equal(b.sockets[0]!.destroyed, true);
  });
});
