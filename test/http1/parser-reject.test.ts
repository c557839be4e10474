/**
 * ResponseParser rejections: every malformed response throws
 * InvalidResponseError, every limit LimitExceededError naming the limit, and
 * the class is the same whichever way the bytes are split.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidResponseError, LimitExceededError, ProtocolError } from '../../src/errors.js';
import { type ParserLimits, ResponseParser } from '../../src/http1/parser.js';
import { accept, bytes, Collector, chunked, reject, run } from './parser-harness.js';

const OK = 'HTTP/1.1 200 OK\r\n';
const END = 'Content-Length: 0\r\n\r\n';

function limits(over: Partial<ParserLimits>): ParserLimits {
  return { maxHeaderBytes: 16384, maxHeaderCount: 100, maxBodyBytes: Number.POSITIVE_INFINITY, ...over };
}

describe('invalid status line', () => {
  const lines: [string, string][] = [
    ['garbage', 'garbage\r\n'],
    ['HTTP/2.0', 'HTTP/2.0 200 OK\r\n'],
    ['HTTP/1.10', 'HTTP/1.10 200 OK\r\n'],
    ['lower-case http', 'http/1.1 200 OK\r\n'],
    ['HTTP/1.1 without status', 'HTTP/1.1\r\n'],
    ['HTTP/1.1 SP without status', 'HTTP/1.1 \r\n'],
    ['status 99 (2 digits)', 'HTTP/1.1 99 X\r\n'],
    ['status 20 (2 digits, no reason)', 'HTTP/1.1 20\r\n'],
    ['status 2000 (4 digits)', 'HTTP/1.1 2000 X\r\n'],
    ['status 600 (outside 100..599, RFC 9110 §15)', 'HTTP/1.1 600 X\r\n'],
    ['status 999', 'HTTP/1.1 999 X\r\n'],
    ['status 2000 (4 digits, no reason)', 'HTTP/1.1 2000\r\n'],
    ['status 099 (leading 0)', 'HTTP/1.1 099 X\r\n'],
    ['non-digit status', 'HTTP/1.1 2x0 X\r\n'],
    ['two SP before status', 'HTTP/1.1  200 OK\r\n'],
    ['HTAB before status', 'HTTP/1.1\t200 OK\r\n'],
    ['HTAB after status', 'HTTP/1.1 200\tOK\r\n'],
    ['leading SP', ' HTTP/1.1 200 OK\r\n'],
    ['NUL in reason', 'HTTP/1.1 200 O\0K\r\n'],
    ['bare CR in reason', 'HTTP/1.1 200 O\rK\r\n'],
    ['CR CR LF', 'HTTP/1.1 200\r\r\n'],
    ['HTTP/0.9 style body', '<html>hello</html>\n'],
    ['a request line', 'GET / HTTP/1.1\r\n'],
  ];
  for (const [name, line] of lines) {
    test(name, () => {
      const out = reject(line + END, InvalidResponseError);
      assert.equal(out.heads.length, 0);
    });
  }
});

describe('invalid header fields', () => {
  const fields: [string, string][] = [
    ['SP between name and colon', 'Foo : bar\r\n'],
    ['HTAB between name and colon', 'Foo\t: bar\r\n'],
    ['line without colon', 'Foo bar\r\n'],
    ['token without colon', 'Foo\r\n'],
    ['empty name', ': bar\r\n'],
    ['NUL in value', 'Foo: b\0ar\r\n'],
    ['bare CR in value', 'Foo: b\rar\r\n'],
    ['CR before CRLF in value', 'Foo: bar\r\r\n'],
    ['NUL in name', 'F\0o: bar\r\n'],
    ['non-token character in name', 'Fo(o): bar\r\n'],
    ['obs-text in name', 'F\xe9o: bar\r\n'],
    ['CR alone on a line', '\r\r\n'],
    ['NUL in an obs-fold line', 'Foo: bar\r\n b\0z\r\n'],
  ];
  for (const [name, field] of fields) {
    test(name, () => {
      const out = reject(OK + field + END, InvalidResponseError);
      assert.equal(out.heads.length, 0);
    });
  }

  test('whitespace between name and colon is reported as such (RFC 9112 §5.1)', () => {
    assert.match(reject(`${OK}Foo : bar\r\n${END}`, InvalidResponseError).error!.message, /whitespace between header field name and colon/);
  });

  test('whitespace line before the first header (obs-fold with no previous field)', () => {
    reject(`${OK} Foo: bar\r\n${END}`, InvalidResponseError);
    reject(`${OK}\tFoo: bar\r\n${END}`, InvalidResponseError);
  });

  test('invalid fields in the trailer section are rejected too', () => {
    const h = `${OK}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n`;
    for (const t of ['Foo : bar\r\n', 'Foo\r\n', ': x\r\n', 'X: a\0b\r\n', ' X: y\r\n']) {
      const out = reject(`${h}${t}\r\n`, InvalidResponseError);
      assert.equal(out.heads.length, 1, 'head delivered before the trailer error');
    }
  });
});

describe('invalid Content-Length', () => {
  const values: [string, string][] = [
    ['differing values in one field', 'Content-Length: 5, 6\r\n'],
    ['differing values across two fields', 'Content-Length: 5\r\nContent-Length: 6\r\n'],
    ['list then differing field', 'Content-Length: 5, 5\r\nContent-Length: 6\r\n'],
    ['field then differing list', 'Content-Length: 5\r\nContent-Length: 6, 6\r\n'],
    ['non-numeric', 'Content-Length: abc\r\n'],
    ['hex', 'Content-Length: 0x10\r\n'],
    ['negative', 'Content-Length: -1\r\n'],
    ['plus sign', 'Content-Length: +1\r\n'],
    ['fraction', 'Content-Length: 1.5\r\n'],
    ['inner space', 'Content-Length: 1 2\r\n'],
    ['empty', 'Content-Length: \r\n'],
    ['empty list element', 'Content-Length: 5,\r\n'],
    ['empty list', 'Content-Length: ,\r\n'],
    ['too many digits', 'Content-Length: 1234567890123456\r\n'],
  ];
  for (const [name, field] of values) {
    test(name, () => {
      const out = reject(`${OK}${field}\r\nbody`, InvalidResponseError);
      assert.equal(out.heads.length, 0);
    });
  }
});

describe('invalid chunked framing', () => {
  const h = `${OK}Transfer-Encoding: chunked\r\n\r\n`;
  const bodies: [string, string][] = [
    ['non-hex size', 'zz\r\n'],
    ['empty size line', '\r\n'],
    ['size then garbage', '5x\r\nhello\r\n0\r\n\r\n'],
    ['negative size', '-5\r\nhello\r\n0\r\n\r\n'],
    ['0x prefix', '0x5\r\nhello\r\n0\r\n\r\n'],
    ['leading whitespace', ' 5\r\nhello\r\n0\r\n\r\n'],
    ['whitespace then non-extension', '5 x\r\nhello\r\n0\r\n\r\n'],
    ['NUL in extension', '5;a=\0\r\nhello\r\n0\r\n\r\n'],
    ['bare CR in extension', '5;a\rb\r\nhello\r\n0\r\n\r\n'],
    ['chunk data not followed by CRLF', '5\r\nhelloXX\r\n0\r\n\r\n'],
    ['chunk data followed by a bare CR and more', '5\r\nhello\rX\n0\r\n\r\n'],
    ['chunk data too short before the next size', '5\r\nhel\r\n0\r\n\r\n'],
    ['a size of 2^53', '20000000000000\r\n'],
    ['15 hex digits', '100000000000000\r\n'],
    ['size line longer than 4096 bytes', `1;${'a'.repeat(5000)}\r\n`],
  ];
  for (const [name, body] of bodies) {
    test(name, () => {
      const out = reject(h + body, InvalidResponseError);
      assert.equal(out.heads.length, 1, 'the head was delivered before the body error');
    });
  }

  describe('chunk extensions must be well formed (RFC 9112 §7.1.1)', () => {
    const exts: [string, string][] = [
      ['an unterminated quoted-string', '5;a="x\r\nhello\r\n0\r\n\r\n'],
      ['a quoted-string ending in a lone backslash', '5;a="x\\\r\nhello\r\n0\r\n\r\n'],
      ['a control byte in a quoted-string', '5;a="x\x01"\r\nhello\r\n0\r\n\r\n'],
      ['a control byte in a token value', '5;a=b\x7f\r\nhello\r\n0\r\n\r\n'],
      ['a control byte after the name', '5;a\x02\r\nhello\r\n0\r\n\r\n'],
      ['an empty name', '5;=b\r\nhello\r\n0\r\n\r\n'],
      ['a lone semicolon', '5;\r\nhello\r\n0\r\n\r\n'],
      ['an empty value after =', '5;a=\r\nhello\r\n0\r\n\r\n'],
      ['two values', '5;a=b c\r\nhello\r\n0\r\n\r\n'],
      ['a name that is not a token', '5;a@b\r\nhello\r\n0\r\n\r\n'],
      ['on the last chunk', '5\r\nhello\r\n0;"\r\n\r\n'],
    ];
    for (const [name, body] of exts) {
      test(name, () => {
        const out = reject(h + body, InvalidResponseError);
        assert.match(out.error!.message, /chunk extension/);
      });
    }

    test('well-formed ones are accepted: BWS, names alone, token and quoted values, quoted-pairs, obs-text', () => {
      const out = accept(`${h}5 ; a ; b = c ;d="" ;e="x\\"y;z" ;f="\t\xe9\\\xe9"  \r\nhello\r\n0;last\r\n\r\n`);
      assert.equal(out.body.toString(), 'hello');
      assert.equal(out.complete, true);
    });
  });

  test('a size below 2^53 is valid, checked against maxBodyBytes instead', () => {
    const out = reject(`${h}fffffffffffff\r\n`, LimitExceededError, {
      limits: limits({ maxBodyBytes: 1 << 30 }),
      limit: 'maxBodyBytes',
    });
    assert.equal(out.heads.length, 1);
  });
});

describe('maxHeaderBytes', () => {
  const lim = limits({ maxHeaderBytes: 64 });

  test('a head over the limit is rejected', () => {
    reject(`${OK}X-Long: ${'a'.repeat(100)}\r\n${END}`, LimitExceededError, { limits: lim, limit: 'maxHeaderBytes' });
  });

  test('many short lines over the limit are rejected', () => {
    reject(`${OK}${'A: 1\r\n'.repeat(20)}${END}`, LimitExceededError, { limits: lim, limit: 'maxHeaderBytes' });
  });

  test('a head of limit + 1 bytes is rejected (final LF included)', () => {
    const raw = `${OK}Content-Length: 0\r\n\r\n`;
    reject(raw, LimitExceededError, { limits: limits({ maxHeaderBytes: raw.length - 1 }), limit: 'maxHeaderBytes' });
  });

  test('leading empty lines count against the limit', () => {
    const raw = `\r\n${OK}Content-Length: 0\r\n\r\n`;
    reject(raw, LimitExceededError, { limits: limits({ maxHeaderBytes: raw.length - 1 }), limit: 'maxHeaderBytes' });
  });

  test('a never-ending head fed one byte at a time throws as soon as the limit is crossed', () => {
    for (const prefix of ['', OK, `${OK}A: 1\r\n`, `${OK}A: 1\n`]) {
      const stream = bytes(`${prefix}X-Endless: ${'b'.repeat(200)}`);
      const p = new ResponseParser(new Collector(), lim);
      p.reset('GET');
      let thrown = -1;
      for (let i = 0; i < stream.length; i++) {
        try {
          assert.equal(p.execute(stream.subarray(i, i + 1)), 1);
        } catch (err) {
          assert.ok(err instanceof LimitExceededError);
          assert.equal(err.limit, 'maxHeaderBytes');
          thrown = i;
          break;
        }
      }
      assert.equal(thrown, 64, `throws on byte 65 (prefix ${JSON.stringify(prefix)})`);
    }
  });

  test('a never-ending status line fed one byte at a time throws as soon as the limit is crossed', () => {
    const p = new ResponseParser(new Collector(), lim);
    p.reset('GET');
    for (let i = 0; i < 64; i++) p.execute(bytes('H'));
    assert.throws(() => p.execute(bytes('H')), (e: unknown) => e instanceof LimitExceededError && e.limit === 'maxHeaderBytes');
  });

  test('a never-ending head in large slices throws at the first slice crossing the limit', () => {
    const p = new ResponseParser(new Collector(), lim);
    p.reset('GET');
    p.execute(bytes(`${OK}X: ${'c'.repeat(40)}`)); // 17 + 43 = 60 bytes
    assert.throws(() => p.execute(bytes('c'.repeat(5))), LimitExceededError);
  });

  test('trailers are bounded by maxHeaderBytes too', () => {
    const raw = `${OK}Transfer-Encoding: chunked\r\n\r\n0\r\nT: ${'t'.repeat(100)}\r\n\r\n`;
    reject(raw, LimitExceededError, { limits: lim, limit: 'maxHeaderBytes' });
  });

  test('an endless trailer section (no final CRLF) is bounded', () => {
    const raw = `${OK}Transfer-Encoding: chunked\r\n\r\n0\r\n${'T: 1\r\n'.repeat(20)}`;
    reject(raw, LimitExceededError, { limits: lim, limit: 'maxHeaderBytes' });
  });
});

describe('maxHeaderCount', () => {
  test('more fields than maxHeaderCount are rejected', () => {
    reject(`${OK}A: 1\r\nB: 2\r\nC: 3\r\n${END}`, LimitExceededError, {
      limits: limits({ maxHeaderCount: 3 }),
      limit: 'maxHeaderCount',
    });
  });

  test('obs-fold lines are not fields', () => {
    const out = run([bytes(`${OK}A: 1\r\n 2\r\n 3\r\n${END}`)], { limits: limits({ maxHeaderCount: 2 }) });
    assert.equal(out.error, null);
    assert.equal(out.complete, true);
  });

  test('more trailer fields than maxHeaderCount are rejected (counted apart from the head)', () => {
    const lim = limits({ maxHeaderCount: 2 });
    const h = `${OK}Transfer-Encoding: chunked\r\nX: 1\r\n\r\n0\r\n`;
    assert.equal(run([bytes(`${h}A: 1\r\nB: 2\r\n\r\n`)], { limits: lim }).complete, true);
    reject(`${h}A: 1\r\nB: 2\r\nC: 3\r\n\r\n`, LimitExceededError, { limits: lim, limit: 'maxHeaderCount' });
  });
});

describe('maxBodyBytes', () => {
  const lim = limits({ maxBodyBytes: 10 });

  test('a Content-Length over the limit is rejected at the head, before onHead', () => {
    const out = reject(`${OK}Content-Length: 11\r\n\r\n`, LimitExceededError, { limits: lim, limit: 'maxBodyBytes' });
    assert.equal(out.heads.length, 0);
  });

  test('a Content-Length at the limit is accepted', () => {
    const out = run([bytes(`${OK}Content-Length: 10\r\n\r\n0123456789`)], { limits: lim });
    assert.equal(out.error, null);
    assert.equal(out.complete, true);
  });

  test('chunked data over the limit is rejected at the chunk size, before the data', () => {
    const body = Buffer.alloc(11, 0x61);
    const out = reject(Buffer.concat([bytes(`${OK}Transfer-Encoding: chunked\r\n\r\n`), chunked(body, [4])]), LimitExceededError, {
      limits: lim,
      limit: 'maxBodyBytes',
    });
    assert.equal(out.heads.length, 1);
    // The third chunk (3 bytes, total 11) is refused before any of it is delivered.
    const seen = run([bytes(`${OK}Transfer-Encoding: chunked\r\n\r\n4\r\naaaa\r\n4\r\naaaa\r\n3\r\naaa`)], { limits: lim });
    assert.equal(seen.error?.cls, LimitExceededError);
    assert.equal(seen.body.length, 8);
  });

  test('chunked data at the limit is accepted', () => {
    const body = Buffer.alloc(10, 0x61);
    const out = run([Buffer.concat([bytes(`${OK}Transfer-Encoding: chunked\r\n\r\n`), chunked(body, [3])])], { limits: lim });
    assert.equal(out.error, null);
    assert.ok(out.body.equals(body));
  });

  test('a close-delimited body over the limit is rejected', () => {
    const out = reject(`${OK}\r\n${'x'.repeat(11)}`, LimitExceededError, { limits: lim, limit: 'maxBodyBytes', eof: true });
    assert.equal(out.heads.length, 1);
  });

  test('a close-delimited body at the limit is accepted', () => {
    const out = run([bytes(`${OK}\r\n${'x'.repeat(10)}`)], { limits: lim, eof: true });
    assert.equal(out.error, null);
    assert.equal(out.finished, true);
  });

  test('maxBodyBytes 0 still allows bodiless responses', () => {
    const out = run([bytes(`${OK}Content-Length: 0\r\n\r\n`)], { limits: limits({ maxBodyBytes: 0 }) });
    assert.equal(out.complete, true);
    reject(`${OK}Transfer-Encoding: chunked\r\n\r\n1\r\n`, LimitExceededError, {
      limits: limits({ maxBodyBytes: 0 }),
      limit: 'maxBodyBytes',
    });
  });
});

describe('interim responses', () => {
  test('more than 32 interim 1xx responses are rejected', () => {
    const out = reject(`${'HTTP/1.1 100 Continue\r\n\r\n'.repeat(33)}${OK}${END}`, InvalidResponseError);
    assert.equal(out.heads.length, 0);
  });

  test('errors in an interim head are errors', () => {
    reject(`HTTP/1.1 103 Early Hints\r\nLink : x\r\n\r\n${OK}${END}`, InvalidResponseError);
    reject(`HTTP/1.1 103 Early Hints\r\nA: 1\r\nB: 2\r\n\r\n${OK}${END}`, LimitExceededError, {
      limits: limits({ maxHeaderCount: 1 }),
      limit: 'maxHeaderCount',
    });
  });
});

describe('error classes', () => {
  test('both parser errors are ProtocolErrors with a message', () => {
    const a = run([bytes('nope\r\n')]).error!;
    assert.ok(new a.cls('x') instanceof ProtocolError);
    assert.match(a.message, /status line/);
    const b = run([bytes(`${OK}${END}`)], { limits: limits({ maxHeaderBytes: 4 }) }).error!;
    assert.equal(b.cls, LimitExceededError);
    assert.match(b.message, /maxHeaderBytes/);
  });
});
