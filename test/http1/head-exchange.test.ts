/**
 * The head exchange (src/http1/head-exchange.ts) behind CONNECT tunnels and
 * WebSocket Upgrades, against raw node:net servers writing exact bytes: the
 * head written as given, the answer read however its bytes are split, the
 * bytes after an upgraded head handed back, interim 1xx heads skipped, and
 * each failure typed (head too big, invalid, peer gone, deadline, abort).
 */
import assert from 'node:assert/strict';
import type net from 'node:net';
import { describe, test } from 'node:test';
import { AbortError, ConnectTimeout, InvalidResponseError, LimitExceededError, NetworkError } from '../../src/errors.js';
import { exchangeHead, type ExchangedHead, type HeadExchangeOptions } from '../../src/http1/head-exchange.js';
import type { Connection } from '../../src/transport/connection.js';
import { connect } from '../../src/transport/dial.js';
import { sleep, tcpServer, waitFor } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups } = useSessions();

const CONNECT_HEAD = 'CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n';

/** A server that, once it has the whole request head, runs `answer` on the socket; what it received is kept. */
async function server(answer: (socket: net.Socket) => unknown): Promise<{ port: number; received: string[] }> {
  const received: string[] = [];
  const s = await tcpServer((socket, i) => {
    received[i] = '';
    let answered = false;
    socket.on('data', (d: Buffer) => {
      received[i] += d.toString('latin1');
      if (!answered && received[i]!.includes('\r\n\r\n')) {
        answered = true;
        void Promise.resolve(answer(socket));
      }
    });
  });
  cleanups.push(() => s.close());
  return { port: s.port, received };
}

async function dial(port: number): Promise<Connection> {
  const conn = await connect({ secure: false, host: '127.0.0.1', port, keepTimes: false });
  cleanups.push(() => conn.destroy());
  return conn;
}

/** Everything the connection's socket yields until `n` bytes have come (bounded by a 5 s wait). */
async function readBytes(conn: Connection, n: number): Promise<Buffer> {
  const socket = conn.detach();
  const chunks: Buffer[] = [];
  let got = 0;
  socket.on('data', (d: Buffer) => {
    chunks.push(d);
    got += d.length;
  });
  socket.resume();
  await waitFor(() => got >= n, 5000, `${n} bytes after the head (got ${got})`);
  socket.destroy();
  return Buffer.concat(chunks);
}

function run(conn: Connection, o: Partial<HeadExchangeOptions> = {}): Promise<ExchangedHead> {
  return exchangeHead(conn, { method: 'CONNECT', head: CONNECT_HEAD, timeoutMs: 5000, ...o });
}

describe('exchangeHead: the answer', () => {
  test('writes the head exactly as given, and reads a 200 to CONNECT split at every byte, keeping the bytes after it', async () => {
    const head = 'HTTP/1.1 200 Connection established\r\nX-Proxy: a\r\n\r\n';
    const tail = 'TUNNEL-BYTES';
    const wire = Buffer.from(head + tail, 'latin1');
    for (let cut = 1; cut < wire.length; cut++) {
      const srv = await server(async (socket) => {
        socket.write(wire.subarray(0, cut));
        await sleep(2);
        if (!socket.destroyed) socket.write(wire.subarray(cut));
      });
      const conn = await dial(srv.port);
      const answer = await run(conn);
      assert.equal(answer.status, 200, `cut ${cut}`);
      assert.equal(answer.reason, 'Connection established');
      assert.deepEqual(answer.headers, ['X-Proxy', 'a']);
      assert.equal(answer.upgraded, true);
      assert.equal(conn.sink, null);
      // What came with the head is in `rest`; what came later waits in the (paused) socket: together, the tail, in order.
      const restLen = answer.rest?.length ?? 0;
      const later = restLen < tail.length ? await readBytes(conn, tail.length - restLen) : Buffer.alloc(0);
      assert.equal(Buffer.concat([answer.rest ?? Buffer.alloc(0), later]).toString('latin1'), tail, `cut ${cut}`);
      assert.equal(srv.received[0], CONNECT_HEAD);
      conn.destroy();
    }
  });

  test('interim 1xx heads before a 101 are skipped: the 101 head and the first frame bytes come back', async () => {
    const frame = Buffer.from([0x81, 0x02, 0x68, 0x69]);
    const srv = await server((socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n');
      socket.write(Buffer.concat([Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), frame]));
    });
    const conn = await dial(srv.port);
    const answer = await run(conn, { method: 'GET', head: 'GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n' });
    assert.equal(answer.status, 101);
    assert.deepEqual(answer.headers, ['Upgrade', 'websocket', 'Connection', 'Upgrade']);
    assert.equal(answer.upgraded, true);
    const restLen = answer.rest?.length ?? 0;
    const later = restLen < frame.length ? await readBytes(conn, frame.length - restLen) : Buffer.alloc(0);
    assert.deepEqual(Buffer.concat([answer.rest ?? Buffer.alloc(0), later]), frame);
  });

  test('an answer that does not switch protocols (401, 407) resolves at its head: upgraded false, no rest, the body unread', async () => {
    const srv = await server((socket) => {
      socket.write('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="r", nonce="n"\r\nContent-Length: 5\r\n\r\nno');
    });
    const conn = await dial(srv.port);
    const answer = await run(conn, { method: 'GET', head: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' });
    assert.equal(answer.status, 401);
    assert.equal(answer.upgraded, false);
    assert.equal(answer.rest, null);
    assert.deepEqual(answer.headers.slice(0, 2), ['WWW-Authenticate', 'Digest realm="r", nonce="n"']);
    // A 2xx to a GET is no tunnel either.
    const ok = await server((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
    const conn2 = await dial(ok.port);
    const a2 = await run(conn2, { method: 'GET', head: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' });
    assert.equal(a2.status, 200);
    assert.equal(a2.upgraded, false);
    assert.equal(a2.rest, null);
  });

  test('Content-Length in a 2xx to CONNECT is ignored, even one that is invalid or conflicting (RFC 9110 §9.3.6); a 407 with one is still refused', async () => {
    for (const field of ['Content-Length: abc', 'Content-Length: 5, 6', 'Content-Length: 5\r\nContent-Length: 6', 'Content-Length: -1', 'Content-Length: 3']) {
      const srv = await server((socket) => socket.write(`HTTP/1.1 200 Connection established\r\n${field}\r\n\r\nTUNNEL`));
      const conn = await dial(srv.port);
      const answer = await run(conn);
      assert.equal(answer.status, 200, field);
      assert.equal(answer.upgraded, true, field);
      const restLen = answer.rest?.length ?? 0;
      const later = restLen < 6 ? await readBytes(conn, 6 - restLen) : Buffer.alloc(0);
      assert.equal(Buffer.concat([answer.rest ?? Buffer.alloc(0), later]).toString('latin1'), 'TUNNEL', field);
      conn.destroy();
    }
    // Not a tunnel: the answer's framing counts, so an invalid Content-Length is an error.
    const srv = await server((socket) => socket.write('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: abc\r\n\r\n'));
    const conn = await dial(srv.port);
    await assert.rejects(run(conn), (e: unknown) => e instanceof InvalidResponseError && /Content-Length/.test(e.message));
  });
});

describe('exchangeHead: failures', () => {
  test('a head over maxHeaderBytes is a LimitExceededError (or the caller’s error) and the connection is destroyed', async () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(600)}\r\n\r\n`;
    const srv = await server((socket) => socket.write(big));
    const limits = { maxHeaderBytes: 256, maxHeaderCount: 100, maxBodyBytes: Number.POSITIVE_INFINITY };
    const conn = await dial(srv.port);
    await assert.rejects(run(conn, { limits }), (e: unknown) => e instanceof LimitExceededError && e.limit === 'maxHeaderBytes');
    assert.equal(conn.closed, true);
    const conn2 = await dial(srv.port);
    const seen: Error[] = [];
    await assert.rejects(
      run(conn2, {
        limits,
        errors: {
          invalid: (err) => {
            seen.push(err);
            return new Error(`wrapped: ${err.message}`);
          },
        },
      }),
      /^Error: wrapped: response head exceeds maxHeaderBytes/,
    );
    assert.ok(seen[0] instanceof LimitExceededError);
  });

  test('an invalid status line is the parser’s InvalidResponseError', async () => {
    const srv = await server((socket) => socket.write('HTTP/1.1 2000 What\r\n\r\n'));
    const conn = await dial(srv.port);
    await assert.rejects(run(conn), (e: unknown) => e instanceof InvalidResponseError);
    assert.equal(conn.closed, true);
  });

  test('the peer closing mid-head is a NetworkError by default, the caller’s error when given', async () => {
    const srv = await server((socket) => socket.end('HTTP/1.1 200 OK\r\nX-Half: '));
    const conn = await dial(srv.port);
    await assert.rejects(run(conn), (e: unknown) => e instanceof NetworkError && /closed before the response head/.test(e.message));
    const conn2 = await dial(srv.port);
    await assert.rejects(run(conn2, { errors: { closed: () => new Error('proxy went away') } }), /^Error: proxy went away$/);
    // Already closed before the exchange: no write, the same error.
    const conn3 = await dial(srv.port);
    conn3.destroy();
    await waitFor(() => conn3.closed, 2000, 'the connection to close');
    await assert.rejects(run(conn3), (e: unknown) => e instanceof NetworkError);
  });

  test('the deadline bounds the whole exchange: a peer trickling one byte every 20 ms fails with ConnectTimeout', async () => {
    const reply = Buffer.from(`HTTP/1.1 200 OK\r\nX-Slow: ${'a'.repeat(300)}\r\n\r\n`);
    const timers = new Set<NodeJS.Timeout>();
    cleanups.push(() => {
      for (const t of timers) clearInterval(t);
    });
    const srv = await server((socket) => {
      let i = 0;
      const t = setInterval(() => {
        if (i >= reply.length || socket.destroyed) return clearInterval(t);
        socket.write(reply.subarray(i, ++i));
      }, 20);
      timers.add(t);
      socket.on('close', () => clearInterval(t));
    });
    const conn = await dial(srv.port);
    const started = performance.now();
    await assert.rejects(run(conn, { timeoutMs: 200 }), (e: unknown) => e instanceof ConnectTimeout && e.timeoutMs === 200);
    // The trickle takes ~6.5 s; only a deadline (not an idle timer) ends it this early.
    assert.ok(performance.now() - started < 3000);
    assert.equal(conn.closed, true);
    // Time spent before the exchange (`started` in the past) counts against it; the caller names the error.
    const conn2 = await dial(srv.port);
    await assert.rejects(
      run(conn2, { timeoutMs: 60_000, started: performance.now() - 59_950, errors: { timeout: (ms) => new ConnectTimeout(`tunnel took over ${ms} ms`, { timeoutMs: ms }) } }),
      /tunnel took over 60000 ms/,
    );
  });

  test('an aborted signal fails before anything is written; an abort while waiting fails with the reason as cause', async () => {
    const srv = await server(() => {}); // never answers
    const conn = await dial(srv.port);
    const ac = new AbortController();
    ac.abort(new Error('not now'));
    await assert.rejects(run(conn, { signal: ac.signal }), (e: unknown) => e instanceof AbortError && (e.cause as Error).message === 'not now');
    assert.equal(conn.closed, true);
    await sleep(20);
    assert.equal(srv.received[0] ?? '', '');

    const conn2 = await dial(srv.port);
    const ac2 = new AbortController();
    const p = run(conn2, { signal: ac2.signal, errors: { aborted: (reason) => new AbortError('tunnel aborted', { cause: reason }) } });
    await waitFor(() => (srv.received[1] ?? '').includes('\r\n\r\n'), 2000, 'the head to arrive');
    ac2.abort(new Error('changed my mind'));
    await assert.rejects(p, (e: unknown) => e instanceof AbortError && e.message === 'tunnel aborted' && (e.cause as Error).message === 'changed my mind');
    assert.equal(conn2.closed, true);
  });
});
