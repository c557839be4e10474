/**
 * StreamResponse: early close() destroys a half-read connection, a fully
 * read stream returns its connection to the pool, lines()/text()/json()/
 * bytes(), one read only, and flow control on large downloads.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { InvalidResponseError, ReqivoError, StreamResponse } from '../../src/index.js';
import { useHarness } from '../helpers/engine.js';
import { httpServer, rawServer, sleep, waitFor } from '../helpers/servers.js';

const h = useHarness();

const TEN_MIB = 10 * 1024 * 1024;

/** A node:http server: `/big` streams 10 MiB in 64 KiB writes (respecting backpressure), others get a short text. */
async function server(extra?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean) {
  const closedEarly: string[] = [];
  const srv = h.server(
    await httpServer((req, res) => {
      res.on('close', () => {
        if (!res.writableFinished) closedEarly.push(req.url!);
      });
      if (extra?.(req, res)) return;
      if (req.url === '/big') {
        res.writeHead(200, { 'content-length': String(TEN_MIB), 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let sent = 0;
        const pump = (): void => {
          while (sent < TEN_MIB && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          if (sent >= TEN_MIB) res.end();
        };
        pump();
        return;
      }
      res.end(`port ${req.socket.remotePort}`);
    }),
  );
  return Object.assign(srv, { closedEarly });
}

/** {@link server} whose `/half` sends 500 of its 1000 declared bytes and then stalls. */
function halfServer(): ReturnType<typeof server> {
  return server((req, res) => {
    if (req.url !== '/half') return false;
    res.writeHead(200, { 'content-length': '1000' });
    res.write('x'.repeat(500));
    return true;
  });
}

describe('StreamResponse', () => {
  test('10 MiB download, read one chunk, close(): the connection is destroyed and not reused', async () => {
    const srv = await server();
    const s = h.session({ baseUrl: srv.url });
    const res = await s.stream('GET', '/big');
    assert.ok(res instanceof StreamResponse);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(TEN_MIB));
    const it = res[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.done, false);
    assert.ok((first.value as Uint8Array).length > 0);
    await res.close();
    await waitFor(() => srv.open.size === 0, 2000, 'the server to see the connection closed');
    assert.deepEqual(srv.closedEarly, ['/big']);
    assert.equal((await it.next()).done, true, 'the iterator ends after close()');
    await s.get('/next');
    assert.equal(srv.accepted, 2, 'a half-read connection is never pooled');
  });

  test('breaking out of for-await closes the response and destroys the connection', async () => {
    const srv = await server();
    const s = h.session({ baseUrl: srv.url });
    const res = await s.stream('GET', '/big');
    let n = 0;
    for await (const chunk of res) {
      n += chunk.length;
      if (n > 100_000) break;
    }
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to close');
    await s.get('/next');
    assert.equal(srv.accepted, 2);
  });

  test('a fully read stream returns its connection to the pool', async () => {
    const srv = await server();
    const s = h.session({ baseUrl: srv.url });
    const res = await s.stream('GET', '/big');
    let n = 0;
    for await (const chunk of res) n += chunk.length;
    assert.equal(n, TEN_MIB);
    assert.equal(res.complete, true);
    const next = await s.get('/next');
    assert.equal(next.status, 200);
    assert.equal(srv.accepted, 1, 'reused');
    await res.close(); // harmless after the end
    assert.deepEqual(srv.closedEarly, []);
  });

  test('a slow reader pauses the socket: the client never queues the whole 32 MiB', async () => {
    // Far beyond what kernel socket buffers hold on loopback (a few MiB).
    const SIZE = 32 * 1024 * 1024;
    let sentByServer = 0;
    const srv = await server((req, res) => {
      if (req.url !== '/count') return false;
      res.writeHead(200, { 'content-length': String(SIZE) });
      const chunk = Buffer.alloc(64 * 1024, 0x62);
      const pump = (): void => {
        while (sentByServer < SIZE && !res.destroyed) {
          sentByServer += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (sentByServer >= SIZE) res.end();
      };
      pump();
      return true;
    });
    const s = h.session({ baseUrl: srv.url });
    const res = await s.stream('GET', '/count');
    const it = res[Symbol.asyncIterator]();
    await it.next();
    await sleep(200);
    // Kernel buffers hold some; the server must not have been able to push everything.
    assert.ok(sentByServer < SIZE / 2, `server pushed ${sentByServer} bytes to a reader that took one chunk`);
    let n = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) n += r.value.length;
    assert.ok(n > 0);
    assert.equal(sentByServer, SIZE);
  });

  test('an unread stream whose whole body arrived while paused: its connection goes back to the pool reading', async () => {
    // Sizes around the 256 KiB high-water mark: for some, the chunk that fills the queue (and pauses the socket) is also the last.
    const sizes = [248, 252, 256, 260, 264].map((k) => k * 1024);
    const srv = h.server(
      await rawServer((socket, head) => {
        const m = /^GET \/big\/(\d+) /.exec(head);
        if (m) {
          const n = Number(m[1]);
          socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${n}\r\n\r\n`), Buffer.alloc(n, 0x61)]));
        } else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }),
    );
    const s = h.session({ baseUrl: srv.url, timeout: { read: 300 }, pool: { maxConnectionsPerOrigin: 1 } });
    for (const n of sizes) {
      const res = await s.stream('GET', `/big/${n}`);
      await waitFor(() => res.complete, 2000, 'the whole body to arrive').catch(() => {});
      if (res.complete) {
        // The body is queued but unread; the connection was released: the next request must be read normally.
        assert.equal((await s.get('/small')).text(), 'ok');
      }
      assert.equal((await res.bytes()).length, n);
    }
  });

  test('a slow reader is not a silent server: pausing for longer than the read timeout is fine', async () => {
    const srv = await server();
    const s = h.session({ baseUrl: srv.url, timeout: { read: 150 } });
    const res = await s.stream('GET', '/big');
    const it = res[Symbol.asyncIterator]();
    let n = 0;
    for (let r = await it.next(), i = 0; !r.done; r = await it.next(), i++) {
      n += r.value.length;
      if (i === 1) await sleep(400);
    }
    assert.equal(n, TEN_MIB);
  });

  test('lines() splits on LF and CRLF across chunk boundaries, UTF-8 safe', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
        const body = Buffer.from('alpha\nbeta\r\ngam', 'utf8');
        const rest = Buffer.from('ma\nüñï\ncödé\r\n\nlast', 'utf8');
        socket.write(`${body.length.toString(16)}\r\n`);
        socket.write(Buffer.concat([body, Buffer.from('\r\n')]));
        // Split a multi-byte character across two chunks.
        const cut = rest.indexOf(0xc3) + 1;
        setTimeout(() => {
          socket.write(`${cut.toString(16)}\r\n`);
          socket.write(Buffer.concat([rest.subarray(0, cut), Buffer.from('\r\n')]));
          setTimeout(() => {
            const tail = rest.subarray(cut);
            socket.write(`${tail.length.toString(16)}\r\n`);
            socket.write(Buffer.concat([tail, Buffer.from('\r\n0\r\n\r\n')]));
          }, 5);
        }, 5);
      }),
    );
    const s = h.session();
    const res = await s.stream('GET', `${srv.url}/lines`);
    const lines: string[] = [];
    for await (const l of res.lines()) lines.push(l);
    assert.deepEqual(lines, ['alpha', 'beta', 'gamma', 'üñï', 'cödé', '', 'last']);
  });

  test('text() decodes by charset, json() parses, bytes() returns everything', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/latin1') {
        res.setHeader('content-type', 'text/plain; charset=ISO-8859-1');
        res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
      } else if (req.url === '/json') {
        res.setHeader('content-type', 'application/json');
        res.end('{"a":[1,2,{"b":null}]}');
      } else if (req.url === '/bytes') {
        res.end(Buffer.from([0, 1, 2, 255]));
      } else if (req.url === '/bad-json') {
        res.end('{nope');
      } else return false;
      return true;
    });
    const s = h.session({ baseUrl: srv.url });
    assert.equal(await (await s.stream('GET', '/latin1')).text(), 'café');
    assert.deepEqual(await (await s.stream('GET', '/json')).json(), { a: [1, 2, { b: null }] });
    assert.deepEqual([...(await (await s.stream('GET', '/bytes')).bytes())], [0, 1, 2, 255]);
    const bad = await s.stream('GET', '/bad-json');
    await assert.rejects(bad.json(), (e: unknown) => e instanceof InvalidResponseError && e.message.includes(`GET ${srv.url}/bad-json`));
    assert.equal(srv.accepted, 1, 'each fully read stream went back to the pool');
  });

  test('bytes() of a 10 MiB body in many chunks: every byte in order, in one buffer of its own; the connection goes back to the pool', async () => {
    const body = Buffer.alloc(TEN_MIB);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
    const srv = await server((req, res) => {
      if (req.url !== '/counted') return false;
      res.writeHead(200, { 'content-length': String(body.length) });
      let at = 0;
      const pump = (): void => {
        while (at < body.length && !res.destroyed) {
          const piece = body.subarray(at, at + 100_000);
          at += piece.length;
          if (!res.write(piece)) {
            res.once('drain', pump);
            return;
          }
        }
        if (at >= body.length) res.end();
      };
      pump();
      return true;
    });
    const s = h.session({ baseUrl: srv.url });
    const got = await (await s.stream('GET', '/counted')).bytes();
    assert.equal(got.length, body.length);
    assert.ok(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(body), 'the same bytes in the same order');
    assert.equal(got.byteOffset, 0);
    assert.equal(got.buffer.byteLength, body.length, 'one buffer holding just the body');
    await s.get('/next');
    assert.equal(srv.accepted, 1);
  });

  test('close() while bytes() waits for the rest: bytes() rejects (never a body cut short), the connection is destroyed', async () => {
    const srv = await halfServer();
    const s = h.session({ baseUrl: srv.url });
    const res = await s.stream('GET', '/half');
    const whole = res.bytes();
    await sleep(50);
    await res.close();
    await assert.rejects(whole, (e: unknown) => e instanceof ReqivoError && /closed before the body was read/.test((e as Error).message));
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to close');
  });

  test('a read begun after close() of a body nothing read yet rejects, never an empty body; after a whole read, close() changes nothing', async () => {
    const srv = await halfServer();
    const s = h.session({ baseUrl: srv.url });
    const closedFirst = (e: unknown): boolean => e instanceof ReqivoError && /closed before the body was read/.test((e as Error).message);
    // Still arriving, nothing read.
    const half = await s.stream('GET', '/half');
    await half.close();
    await assert.rejects(half.text(), closedFirst);
    // All arrived (a short body), nothing read yet.
    const whole = await s.stream('GET', '/short');
    await sleep(50);
    await whole.close();
    await assert.rejects(whole.bytes(), closedFirst);
    // Read whole, then close(): nothing to lose (a loop that calls close() just ends, see the first test).
    const done = await s.stream('GET', '/done');
    assert.match(await done.text(), /^port /);
    await done.close();
  });

  test('reading a body twice throws', async () => {
    const srv = await server();
    const s = h.session({ baseUrl: srv.url });
    const res = await s.stream('GET', '/x');
    assert.match(await res.text(), /^port /);
    await assert.rejects(res.text(), (e: unknown) => e instanceof ReqivoError && /already consumed/.test((e as Error).message));
    await assert.rejects(res.bytes(), ReqivoError);
    await assert.rejects(async () => {
      for await (const _ of res) {
        // unreachable
      }
    }, ReqivoError);
    const res2 = await s.stream('GET', '/y');
    const it = res2[Symbol.asyncIterator]();
    await it.next();
    await assert.rejects(res2.json(), ReqivoError);
    await res2.close();
  });

  test('an empty streamed body ends at once', async () => {
    const srv = await server((req, res) => {
      if (req.url !== '/empty') return false;
      res.end();
      return true;
    });
    const s = h.session({ baseUrl: srv.url });
    const res = await s.stream('GET', '/empty');
    assert.equal((await res.bytes()).length, 0);
    await s.get('/again');
    assert.equal(srv.accepted, 1);
  });

  test('await using closes an unread stream', async () => {
    const srv = await server();
    const s = h.session({ baseUrl: srv.url });
    {
      const res = await s.stream('GET', '/big');
      try {
        assert.equal(res.status, 200);
      } finally {
        await res[Symbol.asyncDispose]();
      }
    }
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to close');
  });

  test('session.close() while a stream is unread: the stream can still be closed and frees its socket', async () => {
    const srv = await server();
    const s = h.session({ baseUrl: srv.url });
    const res = await s.stream('GET', '/big');
    await s.close();
    await res.close();
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to close');
  });
});
