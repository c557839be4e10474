import assert from 'node:assert/strict';
import type http from 'node:http';
import type net from 'node:net';
import { describe, test } from 'node:test';
import type { ServerSentEvent } from '../../src/client/sse.js';
import { HttpStatusError, InvalidResponseError, LimitExceededError } from '../../src/errors.js';
import { httpServer, rawServer, sleep, waitFor } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

const ev = (data: string, event = 'message', id = '', retry: number | null = null): ServerSentEvent => ({ event, data, id, retry });

/** A server whose `route` writes the response; it records each request. */
async function sseServer(route: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void): Promise<{ url: string; seen: http.IncomingHttpHeaders[] }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const srv = await httpServer((req, res) => {
    seen.push(req.headers);
    route(req, res, seen.length);
  });
  cleanups.push(() => srv.close());
  return { url: srv.url, seen };
}

/** Write `chunk` again and again, as fast as the client reads, until the socket closes (at most 64 MiB). */
function flood(socket: net.Socket, chunk: Buffer): void {
  let sent = 0;
  const pump = (): void => {
    while (!socket.destroyed && sent < 64 * 1024 * 1024) {
      sent += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

describe('session.events() against node:http', () => {
  test('session.events() reconnects after the stream ends, with Last-Event-ID and the server retry', async () => {
    const { url, seen } = await sseServer((_req, res, n) => {
      if (n >= 3) {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      res.end(n === 1 ? 'retry: 50\nid: a1\ndata: first\n\ndata: cut off\n' : 'id: a2\ndata: second\n\n');
    });
    const got: ServerSentEvent[] = [];
    const started = Date.now();
    for await (const e of session().events(url, { maxReconnects: 5 })) got.push(e);
    assert.deepEqual(got, [ev('first', 'message', 'a1', 50), ev('second', 'message', 'a2')]);
    assert.equal(seen.length, 3, 'stopped after the 204');
    assert.equal(seen[0]!['last-event-id'], undefined);
    assert.equal(seen[0]!.accept, 'text/event-stream');
    assert.equal(seen[1]!['last-event-id'], 'a1');
    assert.equal(seen[2]!['last-event-id'], 'a2');
    assert.ok(Date.now() - started < 2500, 'waited the server retry (50 ms), not the 3 s default');
  });

  test("with the session's HTTP cache on, a reconnection is never answered from it: no conditional request, no replayed stream", async () => {
    const { url, seen } = await sseServer((req, res, n) => {
      if (req.headers['if-none-match'] === '"s"') {
        res.writeHead(304, { etag: '"s"', 'cache-control': 'max-age=3600' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', etag: '"s"', 'cache-control': 'max-age=3600' });
      res.end(`retry: 10\nid: ${n}\ndata: event ${n}\n\n`);
    });
    const got = await firstData(session({ cache: true }).events(url), 3);
    assert.deepEqual(got, ['event 1', 'event 2', 'event 3']);
    assert.deepEqual(seen.map((h) => h['if-none-match'] ?? null), [null, null, null]);
    assert.match(seen[0]!['cache-control']!, /no-cache/);
  });

  test('reconnects after the connection drops mid-stream', async () => {
    const { url, seen } = await sseServer((req, res, n) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (n === 1) {
        res.write('retry: 10\nid: 5\ndata: x\n\n');
        setTimeout(() => req.socket.destroy(), 20);
      } else res.end('data: y\n\n');
    });
    const got = await firstData(session().events(url), 2);
    assert.deepEqual(got, ['x', 'y']);
    assert.equal(seen[1]!['last-event-id'], '5');
  });

  test('retry: 0 from a server that drops every stream without an event is no busy loop: the waits double from 50 ms', async () => {
    const { url, seen } = await sseServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('retry: 0\n\n');
    });
    const started = Date.now();
    await assert.rejects(async () => {
      for await (const _e of session().events(url, { maxReconnects: 3 })) assert.fail('no event was sent');
    }, /gave up after 3 reconnections/);
    assert.equal(seen.length, 4, 'the first attempt and three reconnections');
    // 50 + 100 + 200 ms at least between them (without the floor the four attempts take a few ms).
    assert.ok(Date.now() - started >= 340, `${Date.now() - started} ms`);
  });

  test('no reconnection after a non-200 or a wrong content type: typed errors', async () => {
    const a = await sseServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/event-stream' });
      res.end();
    });
    await assert.rejects(async () => {
      for await (const _ of session().events(a.url, { retryMs: 10 })) assert.fail('no event');
    }, HttpStatusError);
    assert.equal(a.seen.length, 1);
    const b = await sseServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await assert.rejects(async () => {
      for await (const _ of session().events(b.url, { retryMs: 10 })) assert.fail('no event');
    }, InvalidResponseError);
    assert.equal(b.seen.length, 1);
  });

  test('heartbeat comments keep a quiet stream alive past the read timeout; break closes the connection', async () => {
    let closed = false;
    const { url, seen } = await sseServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let beats = 0;
      const t = setInterval(() => {
        beats++;
        res.write(beats === 8 ? 'data: after quiet\n\n' : ': beat\n\n');
      }, 50);
      req.socket.on('close', () => {
        closed = true;
        clearInterval(t);
      });
    });
    const s = session({ timeout: { read: 200 } });
    for await (const e of s.events(url)) {
      assert.equal(e.data, 'after quiet'); // 400 ms after the start, twice the read timeout
      break;
    }
    assert.equal(seen.length, 1, 'never reconnected');
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(closed, 'the break closed the connection');
  });

  test('a stream silent for longer than the read timeout is treated as dropped: reconnected with Last-Event-ID', async () => {
    const { url, seen } = await sseServer((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (n === 1) res.write('retry: 10\nid: 9\ndata: then silence\n\n'); // and nothing more, connection left open
      else res.end('data: back\n\n');
    });
    const got = await firstData(session({ timeout: { read: 150 } }).events(url), 2);
    assert.deepEqual(got, ['then silence', 'back']);
    assert.equal(seen[1]!['last-event-id'], '9');
  });

  test('an abort signal ends the iteration while waiting to reconnect', async () => {
    const { url } = await sseServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('retry: 10000\ndata: x\n\n');
    });
    const ac = new AbortController();
    await assert.rejects(async () => {
      for await (const _ of session().events(url, { signal: ac.signal })) setTimeout(() => ac.abort(), 20);
    }, { name: 'AbortError' });
  });
});

/** A close-delimited event stream head: the body runs until the server closes. */
const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n';

/** A raw node:net server: `reply(socket, head, n)` writes exact bytes for the n-th request head (0-based, whatever its connection). */
/** The data of the first `n` events of `events` (the iteration is left with break, which closes it). */
async function firstData(events: AsyncIterable<{ data: string }>, n: number): Promise<string[]> {
  const got: string[] = [];
  for await (const e of events) {
    got.push(e.data);
    if (got.length === n) break;
  }
  return got;
}

async function rawSse(reply: (socket: net.Socket, head: string, n: number) => void | Promise<void>) {
  const srv = await rawServer((socket, head) => void reply(socket, head, srv.requests.length - 1));
  cleanups.push(() => srv.close());
  return srv;
}

/** Write `bytes` one byte per write, a millisecond apart, so the client reads them in (mostly) separate chunks. */
async function trickle(socket: net.Socket, bytes: Buffer): Promise<void> {
  for (const b of bytes) {
    if (socket.destroyed) return;
    socket.write(Uint8Array.of(b));
    await sleep(1);
  }
}

function lastEventIdOf(head: string): string | null {
  const m = /\r\nlast-event-id: *([^\r]*)/i.exec(head);
  return m ? m[1]! : null;
}

describe('session.events() against a raw node:net server writing exact bytes', () => {
  test('every byte its own write: BOM, CR / LF / CRLF mixed, UTF-8 split inside characters; the cut-off event is dropped and its id never sent', async () => {
    const stream = Buffer.from('\uFEFFretry: 30\r\nid: 1\rdata: a\n\ndata: é🌍\r\n: note\r\n\r\nevent: x\rdata: b\r\rid: 2\r\ndata: cut');
    const srv = await rawSse(async (socket, _head, n) => {
      if (n > 0) {
        socket.end(HEAD + 'data: last\r\n\r\n');
        return;
      }
      socket.write(HEAD);
      await trickle(socket, stream);
      socket.end();
    });
    const got: ServerSentEvent[] = [];
    for await (const e of session().events(srv.url)) {
      got.push(e);
      if (got.length === 4) break;
    }
    assert.deepEqual(got, [ev('a', 'message', '1', 30), ev('é🌍', 'message', '1'), ev('b', 'x', '1'), ev('last', 'message', '1')]);
    assert.equal(srv.requests.length, 2);
    assert.equal(lastEventIdOf(srv.requests[0]!), null);
    assert.equal(lastEventIdOf(srv.requests[1]!), '1', 'the id of the cut-off event was never committed');
  });

  test('a chunked stream whose framing breaks after the reply was taken is a dropped connection: reconnected with Last-Event-ID', async () => {
    const srv = await rawSse((socket, _head, n) => {
      if (n === 0) {
        const event = 'retry: 10\nid: 7\ndata: a\n\n';
        socket.end(`HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n${event.length.toString(16)}\r\n${event}\r\nZZ\r\n`);
      } else socket.end(HEAD + 'data: b\n\n');
    });
    const got = await firstData(session().events(srv.url), 2);
    assert.deepEqual(got, ['a', 'b']);
    assert.equal(lastEventIdOf(srv.requests[1]!), '7');
  });

  test('a server id outside latin1 (or with control characters) goes back as its UTF-8 bytes; an id with NUL is ignored', async () => {
    const srv = await rawSse((socket, _head, n) => {
      if (n === 0) socket.end(HEAD + 'id: \u00e9\u{1F30D}\u0001x\r\ndata: a\r\n\r\nid: bad\u0000id\r\ndata: b\r\n\r\n');
      else socket.end('HTTP/1.1 204 No Content\r\n\r\n');
    });
    const got: ServerSentEvent[] = [];
    for await (const e of session().events(srv.url, { retryMs: 10 })) got.push(e);
    assert.deepEqual(got, [ev('a', 'message', '\u00e9\u{1F30D}\u0001x'), ev('b', 'message', '\u00e9\u{1F30D}\u0001x')]);
    assert.equal(srv.requests.length, 2);
    // rawServer reads heads as latin1: the UTF-8 bytes of the id, one unit per byte.
    assert.equal(lastEventIdOf(srv.requests[1]!), Buffer.from('\u00e9\u{1F30D}\u0001x', 'utf8').toString('latin1'));
  });

  test('chunked transfer coding whose chunks split lines and CRLFs: the same events, then a clean end reconnects', async () => {
    const chunks = ['id: 4\r', '\ndata: one\r', '\n\r', '\nda', 'ta: tw', 'o\n', '\n'];
    const srv = await rawSse((socket, _head, n) => {
      if (n > 0) {
        socket.end('HTTP/1.1 204 No Content\r\n\r\n');
        return;
      }
      let out = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
      for (const c of chunks) out += `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`;
      socket.write(out + '0\r\n\r\n');
    });
    const got: ServerSentEvent[] = [];
    for await (const e of session().events(srv.url, { retryMs: 10 })) {
      got.push(e);
      if (got.length > 2) break;
    }
    assert.deepEqual(got, [ev('one', 'message', '4'), ev('two', 'message', '4')]);
    assert.equal(srv.requests.length, 2, 'reconnected once, then the 204 stopped it');
    assert.equal(lastEventIdOf(srv.requests[1]!), '4');
  });

  test('a hostile endless line: LimitExceededError at maxLineBytes, no reconnection, the connection closed', async () => {
    const srv = await rawSse((socket) => {
      socket.write(HEAD + 'data: ');
      flood(socket, Buffer.alloc(16 * 1024, 0x78));
    });
    await assert.rejects(async () => {
      for await (const _ of session().events(srv.url, { maxLineBytes: 64 * 1024, retryMs: 10 })) assert.fail('no event');
    }, LimitExceededError);
    assert.equal(srv.accepted, 1, 'never reconnected');
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to close');
  });

  test('a hostile endless event of short data lines: LimitExceededError at 16 x maxLineBytes, no reconnection, the connection closed', async () => {
    const srv = await rawSse((socket) => {
      socket.write(HEAD);
      flood(socket, Buffer.from(`data: ${'x'.repeat(1000)}\n`.repeat(16)));
    });
    await assert.rejects(async () => {
      for await (const _ of session().events(srv.url, { maxLineBytes: 4096, retryMs: 10 })) assert.fail('no event');
    }, (e: unknown) => e instanceof LimitExceededError && /event data exceeds/.test((e as Error).message));
    assert.equal(srv.accepted, 1, 'never reconnected');
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to close');
  });

  test('a server that closes mid-event, short of its Content-Length: reconnected after the valid retry, with the last dispatched id', async () => {
    // Only the all-digits retry counts: were `1e1` or `-5` taken, the client would come back within a few ms.
    const body = 'retry: 250\nretry: 1e1\nretry: -5\nid: 7\ndata: whole\n\nid: 8\ndata: hal';
    const arrived: number[] = [];
    const srv = await rawSse((socket, _head, n) => {
      arrived.push(performance.now());
      if (n > 0) {
        socket.end(HEAD + 'data: rest\n\n');
        return;
      }
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 1000\r\n\r\n${body}`);
      setTimeout(() => socket.destroy(), 20);
    });
    const got = await firstData(session().events(srv.url), 2);
    assert.deepEqual(got, ['whole', 'rest']);
    assert.equal(lastEventIdOf(srv.requests[1]!), '7');
    assert.ok(arrived[1]! - arrived[0]! >= 240, `came back after ${arrived[1]! - arrived[0]!} ms, not the 250 ms retry`);
  });
});
