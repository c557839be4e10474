import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SseParser, type ServerSentEvent } from '../../src/client/sse.js';
import { LimitExceededError } from '../../src/errors.js';
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

  test('an id is committed only when its event is dispatched: one in an event cut off by the end is rolled back; a blank line commits it', () => {
    const p = new SseParser();
    assert.deepEqual(p.feed(Buffer.from('id: 1\ndata: a\n\nid: 2\ndata: cut')), [ev('a', 'message', '1')]);
    assert.equal(p.lastEventId, '1');
    assert.deepEqual(p.end(), []);
    assert.deepEqual(p.feed(Buffer.from('data: b\n\n')), [ev('b', 'message', '1')]);
    // No data: nothing is dispatched, but the id is committed all the same (WHATWG dispatch, step 1).
    assert.deepEqual(p.feed(Buffer.from('id: 3\n\n')), []);
    assert.equal(p.lastEventId, '3');
    p.lastEventId = 'seed';
    assert.deepEqual(p.feed(Buffer.from('data: c\n\n')), [ev('c', 'message', 'seed')]);
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

  test('an event whose data lines never end is bounded: 16 x maxLineBytes, then LimitExceededError', () => {
    const p = new SseParser({ maxLineBytes: 64 });
    // Each line is short; together they pass 16 x 64 bytes without a blank line.
    assert.throws(() => {
      for (let i = 0; i < 100; i++) p.feed(Buffer.from(`data: ${'y'.repeat(50)}\n`));
    }, (e: unknown) => e instanceof LimitExceededError && /event data exceeds 16 x maxLineBytes \(1024\)/.test((e as Error).message));
    // Just under the bound, an event goes through, and the bound is per event.
    const ok = new SseParser({ maxLineBytes: 64 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) ok.feed(Buffer.from(`data: ${'z'.repeat(50)}\n`));
      assert.equal(ok.feed(Buffer.from('\n'))[0]!.data.length, 20 * 50 + 19);
    }
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

describe('res.events()', () => {
  test('res.events() on a StreamResponse', async () => {
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      setTimeout(() => res.end('event: two\ndata: 2\n\n'), 20);
    });
    cleanups.push(() => srv.close());
    const res = await session().stream('GET', srv.url);
    const got: ServerSentEvent[] = [];
    for await (const e of res.events()) got.push(e);
    assert.deepEqual(got, [ev('one'), ev('2', 'two')]);
  });
});
