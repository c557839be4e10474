/**
 * ResponseParser: status line, header fields, persistence and the parser's
 * own API. Every case is fed whole, split at every byte position and one
 * byte at a time (see parser-harness.ts). Framing is in
 * parser-framing.test.ts, rejections in parser-reject.test.ts, random
 * round-trips in parser-property.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Framing, type ParserHandler, ResponseParser } from '../../src/http1/parser.js';
import { accept, bytes, Collector, head } from './parser-harness.js';

describe('ResponseParser status line', () => {
  test('HTTP/1.1 200 OK with a Content-Length body', () => {
    const out = accept('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
    assert.deepEqual(head(out), {
      status: 200,
      reason: 'OK',
      version: '1.1',
      headers: ['Content-Length', '5'],
      keepAlive: true,
      keepAliveTimeoutMs: -1,
      framing: Framing.Length,
      contentLength: 5,
      upgraded: false,
    });
    assert.equal(out.body.toString(), 'hello');
    assert.deepEqual(out.events, ['head', 'body', 'complete']);
    assert.equal(out.complete, true);
    assert.equal(out.consumed, 43);
  });

  test('status line without reason phrase (and without its SP) gives reason ""', () => {
    const out = accept('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n');
    assert.equal(head(out).status, 200);
    assert.equal(head(out).reason, '');
  });

  test('status line with SP but an empty reason phrase', () => {
    const out = accept('HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n');
    assert.equal(head(out).status, 404);
    assert.equal(head(out).reason, '');
  });

  test('reason phrase keeps inner spaces, HTAB and obs-text (latin1)', () => {
    const out = accept('HTTP/1.1 503 Service \tUn avail\xe9\xff\r\nContent-Length: 0\r\n\r\n');
    assert.equal(head(out).status, 503);
    assert.equal(head(out).reason, 'Service \tUn avail\u00e9\u00ff');
  });

  test('every 3-digit status from 200 to 599 is read', () => {
    for (const status of [200, 201, 299, 300, 301, 399, 400, 418, 499, 500, 599]) {
      const out = accept(`HTTP/1.1 ${status} X\r\nContent-Length: 0\r\n\r\n`);
      assert.equal(head(out).status, status);
    }
  });

  test('leading empty lines (CRLF and bare LF) before the status line are tolerated', () => {
    const out = accept('\r\n\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    assert.equal(head(out).status, 200);
    assert.equal(out.body.toString(), 'ok');
  });

  test('HTTP/1.0 is read as version 1.0', () => {
    const out = accept('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n');
    assert.equal(head(out).version, '1.0');
  });

  test('a higher minor version (HTTP/1.2, HTTP/1.9) is processed as 1.1 (RFC 9112 §2.3)', () => {
    for (const v of ['1.2', '1.9']) {
      const out = accept(`HTTP/${v} 200 OK\r\nContent-Length: 2\r\n\r\nok`);
      assert.equal(head(out).version, '1.1');
      assert.equal(head(out).keepAlive, true);
    }
  });
});

describe('ResponseParser header fields', () => {
  test('names keep their casing and fields keep their order (duplicates included)', () => {
    const out = accept(
      'HTTP/1.1 200 OK\r\nX-B: 1\r\nx-a: 2\r\nSET-COOKIE: a=1\r\nSet-Cookie: b=2\r\nX-b: 3\r\nContent-Length: 0\r\n\r\n',
    );
    assert.deepEqual(head(out).headers, [
      'X-B', '1', 'x-a', '2', 'SET-COOKIE', 'a=1', 'Set-Cookie', 'b=2', 'X-b', '3', 'Content-Length', '0',
    ]);
  });

  test('OWS (SP and HTAB) around values is trimmed, inner whitespace kept', () => {
    const out = accept('HTTP/1.1 200 OK\r\nA:   x  y \t \r\nB:\tz\t\r\nC:w\r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual(head(out).headers, ['A', 'x  y', 'B', 'z', 'C', 'w', 'Content-Length', '0']);
  });

  test('empty values (with and without OWS)', () => {
    const out = accept('HTTP/1.1 200 OK\r\nA:\r\nB: \r\nC: \t \r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual(head(out).headers, ['A', '', 'B', '', 'C', '', 'Content-Length', '0']);
  });

  test('obs-fold is replaced by a single SP', () => {
    const out = accept('HTTP/1.1 200 OK\r\nX: a\r\n  b\r\n\tc \r\nY: d\r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual(head(out).headers, ['X', 'a b c', 'Y', 'd', 'Content-Length', '0']);
  });

  test('obs-fold onto an empty value, and a fold line that is only whitespace', () => {
    const out = accept('HTTP/1.1 200 OK\r\nX:\r\n  b\r\nY: c\r\n   \r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual(head(out).headers, ['X', 'b', 'Y', 'c', 'Content-Length', '0']);
  });

  test('obs-fold with bare LF line endings', () => {
    const out = accept('HTTP/1.1 200 OK\nX: a\n b\nContent-Length: 0\n\n');
    assert.deepEqual(head(out).headers, ['X', 'a b', 'Content-Length', '0']);
  });

  test('obs-text bytes (0x80-0xff) in values are decoded as latin1', () => {
    const raw = Buffer.concat([
      bytes('HTTP/1.1 200 OK\r\nX-Name: caf'),
      Buffer.from([0xe9, 0x20, 0x80, 0xff]),
      bytes('\r\nContent-Length: 0\r\n\r\n'),
    ]);
    const out = accept(raw);
    assert.deepEqual(head(out).headers, ['X-Name', 'caf\u00e9 \u0080\u00ff', 'Content-Length', '0']);
  });

  test('every tchar is accepted in a field name', () => {
    const name = "!#$%&'*+-.^_`|~09AZaz";
    const out = accept(`HTTP/1.1 200 OK\r\n${name}: v\r\nContent-Length: 0\r\n\r\n`);
    assert.deepEqual(head(out).headers, [name, 'v', 'Content-Length', '0']);
  });

  test('values may contain colons, quotes and other VCHARs', () => {
    const out = accept('HTTP/1.1 200 OK\r\nLocation: http://a:80/b?c="d"#e\r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual(head(out).headers, ['Location', 'http://a:80/b?c="d"#e', 'Content-Length', '0']);
  });

  test('bare LF line endings everywhere in the head', () => {
    const out = accept('HTTP/1.1 200 OK\nA: 1\nContent-Length: 3\n\nabc');
    assert.deepEqual(head(out).headers, ['A', '1', 'Content-Length', '3']);
    assert.equal(out.body.toString(), 'abc');
  });

  test('mixed CRLF and bare LF line endings', () => {
    const out = accept('HTTP/1.1 200 OK\nA: 1\r\nB: 2\nContent-Length: 3\r\n\nabc');
    assert.deepEqual(head(out).headers, ['A', '1', 'B', '2', 'Content-Length', '3']);
    assert.equal(out.body.toString(), 'abc');
  });

  test('a response with no header fields at all', () => {
    const out = accept('HTTP/1.1 204 No Content\r\n\r\n');
    assert.deepEqual(head(out).headers, []);
    assert.equal(out.complete, true);
  });

  test('exactly maxHeaderCount fields is accepted', () => {
    let raw = 'HTTP/1.1 200 OK\r\n';
    for (let i = 0; i < 4; i++) raw += `H${i}: ${i}\r\n`;
    const out = accept(`${raw}\r\n`, { limits: { maxHeaderBytes: 1024, maxHeaderCount: 4, maxBodyBytes: 100 }, eof: true });
    assert.equal(head(out).headers.length, 8);
  });

  test('a head of exactly maxHeaderBytes is accepted (status line, fields, final CRLF)', () => {
    const raw = 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n';
    const out = accept(`${raw}x`, { limits: { maxHeaderBytes: raw.length, maxHeaderCount: 10, maxBodyBytes: 10 } });
    assert.equal(out.body.toString(), 'x');
  });
});

describe('ResponseParser persistence (RFC 9112 §9.3)', () => {
  const cases: [string, string, boolean][] = [
    ['HTTP/1.1 default', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.1 Connection: close', 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.1 Connection: CLOSE in a list', 'HTTP/1.1 200 OK\r\nconnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.1 Connection: keep-alive', 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.1 Connection: closed (not close)', 'HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.0 default', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.0 Connection: keep-alive', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.0 Connection: Keep-Alive', 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.0 keep-alive and close', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.0 keep-alive without length', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n', false],
    ['HTTP/1.1 close-delimited body', 'HTTP/1.1 200 OK\r\n\r\n', false],
  ];
  for (const [name, raw, keepAlive] of cases) {
    test(name, () => {
      assert.equal(head(accept(raw, { eof: true })).keepAlive, keepAlive);
    });
  }

  test('Keep-Alive: timeout=5 gives keepAliveTimeoutMs 5000', () => {
    const out = accept('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n');
    assert.equal(head(out).keepAliveTimeoutMs, 5000);
  });

  test('Keep-Alive: max=100, timeout = "30" (case-insensitive, quoted)', () => {
    const out = accept('HTTP/1.1 200 OK\r\nkeep-alive: max=100, Timeout = "30"\r\nContent-Length: 0\r\n\r\n');
    assert.equal(head(out).keepAliveTimeoutMs, 30000);
  });

  test('Keep-Alive without timeout leaves keepAliveTimeoutMs at -1', () => {
    const out = accept('HTTP/1.1 200 OK\r\nKeep-Alive: max=100\r\nContent-Length: 0\r\n\r\n');
    assert.equal(head(out).keepAliveTimeoutMs, -1);
  });
});

describe('ResponseParser API', () => {
  test('execute returns the bytes consumed; bytes after a complete message are left', () => {
    const c = new Collector();
    const p = new ResponseParser(c);
    p.reset('GET');
    const data = bytes('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcNEXT');
    assert.equal(p.execute(data), data.length - 4);
    assert.equal(p.complete, true);
    assert.equal(p.execute(bytes('more')), 0, 'a complete parser consumes nothing');
  });

  test('body chunks are views of the input, not copies', () => {
    const chunks: Buffer[] = [];
    const handler: ParserHandler = { onHead() {}, onBody: (c) => chunks.push(c), onComplete() {} };
    const p = new ResponseParser(handler);
    p.reset('GET');
    const data = bytes('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc');
    p.execute(data);
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]!.buffer, data.buffer);
    assert.equal(chunks[0]!.byteOffset, data.byteOffset + data.length - 3);
  });

  test('a plain Uint8Array is accepted and bodies come back as Buffers', () => {
    const c = new Collector();
    const p = new ResponseParser(c);
    p.reset('GET');
    const b = bytes('xxHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc');
    const u8 = new Uint8Array(b.buffer, b.byteOffset + 2, b.length - 2);
    assert.equal(p.execute(u8), u8.length);
    assert.equal(c.heads[0]!.status, 200);
    assert.equal(Buffer.concat(c.chunks).toString(), 'abc');
  });

  test('an empty input consumes nothing and changes nothing', () => {
    const c = new Collector();
    const p = new ResponseParser(c);
    p.reset('GET');
    assert.equal(p.execute(Buffer.alloc(0)), 0);
    assert.equal(p.started, false);
    assert.equal(p.complete, false);
  });

  test('started, inBody and complete follow the message', () => {
    const c = new Collector();
    const p = new ResponseParser(c);
    p.reset('GET');
    assert.deepEqual([p.started, p.inBody, p.complete], [false, false, false]);
    p.execute(bytes('H'));
    assert.deepEqual([p.started, p.inBody, p.complete], [true, false, false]);
    p.execute(bytes('TTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n'));
    assert.deepEqual([p.started, p.inBody, p.complete], [true, true, false]);
    p.execute(bytes('a'));
    assert.deepEqual([p.started, p.inBody, p.complete], [true, true, false]);
    p.execute(bytes('b'));
    assert.deepEqual([p.started, p.inBody, p.complete], [true, false, true]);
    p.reset('GET');
    assert.deepEqual([p.started, p.inBody, p.complete], [false, false, false]);
  });

  test('started is true after an interim response alone, and after an empty line', () => {
    const p = new ResponseParser(new Collector());
    p.reset('GET');
    p.execute(bytes('HTTP/1.1 100 Continue\r\n\r\n'));
    assert.equal(p.started, true);
    const q = new ResponseParser(new Collector());
    q.reset('GET');
    q.execute(bytes('\r\n'));
    assert.equal(q.started, true);
  });

  test('reset() clears the previous response state', () => {
    const c = new Collector();
    const p = new ResponseParser(c);
    p.reset('GET');
    p.execute(bytes('HTTP/1.0 404 Nope\r\nKeep-Alive: timeout=3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\r\n\r\n'));
    assert.equal(p.complete, true);
    assert.deepEqual(p.trailers, ['T', '1']);
    p.reset('GET');
    assert.equal(p.status, 0);
    assert.equal(p.reason, '');
    assert.equal(p.version, '1.1');
    assert.deepEqual(p.headers, []);
    assert.equal(p.trailers, null);
    assert.equal(p.keepAlive, true);
    assert.equal(p.keepAliveTimeoutMs, -1);
    assert.equal(p.upgraded, false);
    assert.equal(p.framing, Framing.None);
    assert.equal(p.contentLength, -1);
  });

  test('one parser reads pipelined responses: execute returns where the next starts', () => {
    const c = new Collector();
    const p = new ResponseParser(c);
    const first = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX: 1\r\n\r\nabc';
    const second = 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX: 1\r\n\r\n2\r\nde\r\n0\r\n\r\n';
    const third = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX: 1\r\n\r\nxyz';
    const data = bytes(first + second + third);
    p.reset('GET');
    const n1 = p.execute(data);
    assert.equal(n1, first.length);
    assert.equal(p.complete, true);
    p.reset('GET');
    const n2 = p.execute(data.subarray(n1));
    assert.equal(n2, second.length);
    assert.equal(p.complete, true);
    p.reset('GET');
    assert.equal(p.execute(data.subarray(n1 + n2)), third.length);
    assert.equal(p.complete, true);
    assert.deepEqual(
      c.heads.map((h) => [h.status, h.reason, h.framing]),
      [[200, 'OK', Framing.Length], [201, 'Created', Framing.Chunked], [200, 'OK', Framing.Length]],
    );
    assert.equal(Buffer.concat(c.chunks).toString(), 'abcdexyz');
    assert.equal(c.completions, 3);
    assert.deepEqual(c.heads[2]!.headers, ['Content-Length', '3', 'X', '1']);
  });

  test('pipelined responses split at every byte position give the same results', () => {
    const raw = bytes(
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nd\r\n0\r\n\r\n' +
        'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n',
    );
    const readAll = (parts: Uint8Array[]) => {
      const c = new Collector();
      const p = new ResponseParser(c);
      p.reset('GET');
      for (let part of parts) {
        while (part.length > 0) {
          const n = p.execute(part);
          part = part.subarray(n);
          if (p.complete) p.reset('GET');
        }
      }
      return { heads: c.heads, body: Buffer.concat(c.chunks).toString(), completions: c.completions };
    };
    const whole = readAll([raw]);
    assert.equal(whole.completions, 3);
    assert.equal(whole.body, 'abcd');
    assert.deepEqual(whole.heads.map((h) => h.status), [200, 200, 304]);
    for (let i = 0; i <= raw.length; i++) {
      assert.deepEqual(readAll([raw.subarray(0, i), raw.subarray(i)]), whole, `split at ${i}`);
    }
    const single: Uint8Array[] = [];
    for (let i = 0; i < raw.length; i++) single.push(raw.subarray(i, i + 1));
    assert.deepEqual(readAll(single), whole);
  });

  test('identical consecutive heads share strings and the header list', () => {
    const heads: string[][] = [];
    const reasons: string[] = [];
    const handler: ParserHandler = {
      onHead: (p) => {
        heads.push(p.headers);
        reasons.push(p.reason);
      },
      onBody() {},
      onComplete() {},
    };
    const p = new ResponseParser(handler);
    const raw = bytes('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n');
    p.reset('GET');
    p.execute(raw);
    p.reset('GET');
    p.execute(raw);
    assert.deepEqual(heads[0], heads[1]);
    assert.equal(heads[1], heads[0], 'same list handed out again');
    // A different value gives a fresh list; the unchanged name is still equal.
    p.reset('GET');
    p.execute(bytes('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n'));
    assert.notEqual(heads[2], heads[0]);
    assert.deepEqual(heads[2], ['Content-Type', 'text/html', 'Content-Length', '0']);
    assert.deepEqual(heads[0], ['Content-Type', 'text/plain', 'Content-Length', '0'], 'earlier list untouched');
    assert.deepEqual(reasons, ['OK', 'OK', 'OK']);
  });

  test('destroy() drops state; the parser then reports complete and consumes nothing', () => {
    const p = new ResponseParser(new Collector());
    p.reset('GET');
    p.execute(bytes('HTTP/1.1 200 OK\r\nX: '));
    p.destroy();
    assert.equal(p.complete, true);
    assert.deepEqual(p.headers, []);
    assert.equal(p.execute(bytes('1\r\n\r\n')), 0);
  });

  test('per-response limits passed to reset() replace the constructor limits', () => {
    const c = new Collector();
    const p = new ResponseParser(c, { maxHeaderBytes: 16, maxHeaderCount: 1, maxBodyBytes: 0 });
    p.reset('GET', { maxHeaderBytes: 1024, maxHeaderCount: 10, maxBodyBytes: 10 });
    p.execute(bytes('HTTP/1.1 200 OK\r\nA: 1\r\nContent-Length: 3\r\n\r\nabc'));
    assert.equal(p.complete, true);
    assert.equal(Buffer.concat(c.chunks).toString(), 'abc');
  });
});
