import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { SseParser, type ServerSentEvent } from '../../src/client/sse.js';
import { HttpStatusError, InvalidResponseError, LimitExceededError } from '../../src/errors.js';
import { httpServer } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

function parseAll(chunks: (string | Uint8Array)[], opts = {}): ServerSentEvent[] {
  const p = new SseParser(opts);
  const out: ServerSentEvent[] = [];
  for (const c of chunks) out.push(...p.feed(typeof c === 'string' ? Buffer.from(c) : c));
  out.push(...p.end());
  return out;
}

const ev = (data: string, event = 'message', id = '', retry: number | null = null): ServerSentEvent => ({ event, data, id, retry });

describe('SseParser (WHATWG event stream rules)', () => {
  test('fields, multi-line data, comments, default event type', () => {
    assert.deepEqual(parseAll([': hello\ndata: a\ndata:b\n\nevent: add\ndata: c\nid: 7\n\n']), [ev('a\nb'), ev('c', 'add', '7')]);
  });

  test('one leading space is removed from a value, not two; a field without colon has an empty value', () => {
    assert.deepEqual(parseAll(['data:  two\n\ndata\n\n']), [ev(' two'), ev('')]);
  });

  test('CR, LF and CRLF line ends, mixed', () => {
    assert.deepEqual(parseAll(['data: a\r\rdata: b\n\ndata: c\r\n\r\n']), [ev('a'), ev('b'), ev('c')]);
  });

  test('a CR ending one chunk and an LF starting the next are one line end', () => {
    assert.deepEqual(parseAll(['data: a\r', '\n\r', '\n']), [ev('a')]);
    assert.deepEqual(parseAll(['data: a\r', '\r']), [ev('a')]);
  });

  test('a BOM at the start is dropped once; a second one is data', () => {
    assert.deepEqual(parseAll([Buffer.from([0xef, 0xbb, 0xbf]), 'data: x\n\n']), [ev('x')]);
    // \uFEFF then "data" is a field named "\uFEFFdata": ignored.
    assert.deepEqual(parseAll(['\uFEFF\uFEFFdata: x\n\n']), []);
  });

  test('the id is carried to later events; an id with NUL is ignored; an empty id resets it', () => {
    assert.deepEqual(parseAll(['id: 1\ndata: a\n\ndata: b\n\nid: 2\0\ndata: c\n\nid\ndata: d\n\n']), [ev('a', 'message', '1'), ev('b', 'message', '1'), ev('c', 'message', '1'), ev('d', 'message', '')]);
  });

  test('retry only with ASCII digits; it is reported on its event and kept on the parser', () => {
    const p = new SseParser();
    assert.deepEqual(p.feed(Buffer.from('retry: 1500\ndata: a\n\nretry: 2s\ndata: b\n\nretry: 1e3\n\n')), [ev('a', 'message', '', 1500), ev('b')]);
    assert.equal(p.retry, 1500);
  });

  test('a blank line without data dispatches nothing and resets the event type', () => {
    assert.deepEqual(parseAll(['event: x\n\ndata: y\n\n']), [ev('y')]);
  });

  test('an event without its blank line at the end of the stream is discarded', () => {
    assert.deepEqual(parseAll(['data: a\n\ndata: b\n']), [ev('a')]);
  });

  test('unknown fields are ignored', () => {
    assert.deepEqual(parseAll(['foo: bar\ndata: a\n\n']), [ev('a')]);
  });

  test('a line over maxLineBytes fails with LimitExceededError, also when it arrives in pieces', () => {
    assert.throws(() => parseAll(['data: ' + 'x'.repeat(100) + '\n\n'], { maxLineBytes: 64 }), LimitExceededError);
    const p = new SseParser({ maxLineBytes: 64 });
    assert.throws(() => {
      for (let i = 0; i < 100; i++) p.feed(Buffer.from('xx'));
    }, LimitExceededError);
  });

  test('a stream split at every byte offset (and byte by byte) gives the same events', () => {
    const text = '\uFEFF: comment\r\nid: 1\r\nevent: greet\r\ndata: héllo 🌍\r\ndata:\r\n\r\nretry: 250\rdata: two\r\rdata: three\n\nid: x\0y\ndata: four\r\n\r\n';
    const bytes = Buffer.from(text);
    const whole = parseAll([bytes]);
    assert.deepEqual(whole, [ev('héllo 🌍\n', 'greet', '1'), ev('two', 'message', '1', 250), ev('three', 'message', '1'), ev('four', 'message', '1')]);
    for (let i = 0; i <= bytes.length; i++) {
      assert.deepEqual(parseAll([bytes.subarray(0, i), bytes.subarray(i)]), whole, `split at ${i}`);
      for (let j = i; j <= bytes.length; j += 7) {
        assert.deepEqual(parseAll([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]), whole, `split at ${i}, ${j}`);
      }
    }
    assert.deepEqual(parseAll([...bytes].map((b) => Uint8Array.of(b))), whole);
  });
});

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

describe('res.events() and session.events()', () => {
  test('res.events() on a StreamResponse', async () => {
    const { url } = await sseServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      setTimeout(() => res.end('event: two\ndata: 2\n\n'), 20);
    });
    const res = await session().stream('GET', url);
    const got: ServerSentEvent[] = [];
    for await (const e of res.events()) got.push(e);
    assert.deepEqual(got, [ev('one'), ev('2', 'two')]);
  });

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

  test('reconnects after the connection drops mid-stream', async () => {
    const { url, seen } = await sseServer((req, res, n) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (n === 1) {
        res.write('retry: 10\nid: 5\ndata: x\n\n');
        setTimeout(() => req.socket.destroy(), 20);
      } else res.end('data: y\n\n');
    });
    const got: string[] = [];
    for await (const e of session().events(url)) {
      got.push(e.data);
      if (got.length === 2) break;
    }
    assert.deepEqual(got, ['x', 'y']);
    assert.equal(seen[1]!['last-event-id'], '5');
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
    const got: string[] = [];
    for await (const e of session({ timeout: { read: 150 } }).events(url)) {
      got.push(e.data);
      if (got.length === 2) break;
    }
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
