/**
 * ResponseParser leniencies found by fuzzing (issue 9 item 13): the
 * Transfer-Encoding list (RFC 9110 §5.6.1, RFC 9112 §6.1, §6.3, §7), chunk
 * sizes bounded by value, and framing fields read only once their obs-fold
 * lines are joined (RFC 9112 §5.2). Every case is fed whole, split at every
 * byte position and one byte at a time.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidResponseError, LimitExceededError } from '../../src/errors.js';
import { Framing, type ParserLimits } from '../../src/http1/parser.js';
import { accept, head, reject, run, bytes } from './parser-harness.js';

const OK = 'HTTP/1.1 200 OK\r\n';
const BODY = '5\r\nhello\r\n0\r\n\r\n';

function limits(over: Partial<ParserLimits>): ParserLimits {
  return { maxHeaderBytes: 16384, maxHeaderCount: 100, maxBodyBytes: Number.POSITIVE_INFINITY, ...over };
}

describe('Transfer-Encoding is a list (RFC 9110 §5.6.1)', () => {
  const chunkedHeads: [string, string][] = [
    ['trailing comma', 'Transfer-Encoding: chunked,\r\n'],
    ['leading comma', 'Transfer-Encoding: , chunked\r\n'],
    ['empty elements everywhere', 'Transfer-Encoding: , ,chunked , ,\r\n'],
    ['upper case', 'Transfer-Encoding: CHUNKED\r\n'],
    ['an empty extra field after', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: \r\n'],
    ['an empty extra field before', 'Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\n'],
    ['a field of commas before', 'Transfer-Encoding: , ,\r\nTransfer-Encoding: chunked\r\n'],
    ['folded onto an empty first line', 'Transfer-Encoding: \r\n chunked\r\n'],
    ['folded after a comma', 'Transfer-Encoding: identity,\r\n chunked\r\n'],
    ['obsolete identity before chunked is a no-op', 'Transfer-Encoding: identity, chunked\r\n'],
  ];
  for (const [name, field] of chunkedHeads) {
    test(`chunked: ${name}`, () => {
      const out = accept(`${OK}${field}\r\n${BODY}HTTP/1.1`);
      assert.equal(head(out).framing, Framing.Chunked);
      assert.equal(head(out).keepAlive, true);
      assert.equal(out.body.toString(), 'hello');
      assert.equal(out.complete, true);
    });
  }

  test('chunked, with Content-Length: chunked wins, the connection is not reused', () => {
    const out = accept(`${OK}Transfer-Encoding: chunked,\r\nContent-Length: 3\r\n\r\n${BODY}`);
    assert.equal(head(out).framing, Framing.Chunked);
    assert.equal(head(out).keepAlive, false);
    assert.equal(out.body.toString(), 'hello');
  });

  test('identity alone (obsolete no-op coding): read until close (RFC 9112 §6.3 rule 4)', () => {
    const out = accept(`${OK}Transfer-Encoding: identity\r\n\r\nabc`, { eof: true });
    assert.equal(head(out).framing, Framing.Close);
    assert.equal(head(out).keepAlive, false);
    assert.equal(out.body.toString(), 'abc');
    assert.equal(out.finished, true);
  });
});

describe('Transfer-Encoding reqivo cannot undo is an error, never raw bytes as the body', () => {
  const bad: [string, string][] = [
    ['gzip, chunked', 'Transfer-Encoding: gzip, chunked\r\n'],
    ['gzip and chunked in two fields', 'Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n'],
    ['gzip alone', 'Transfer-Encoding: gzip\r\n'],
    ['deflate, chunked', 'Transfer-Encoding: deflate, chunked\r\n'],
    ['an unknown coding', 'Transfer-Encoding: foo, chunked\r\n'],
    ['chunked not last', 'Transfer-Encoding: chunked, gzip\r\n'],
    ['chunked, identity', 'Transfer-Encoding: chunked, identity\r\n'],
    ['chunked twice', 'Transfer-Encoding: chunked, chunked\r\n'],
    ['chunked twice in two fields', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'],
    ['parameters on chunked', 'Transfer-Encoding: chunked;foo=bar\r\n'],
    ['parameters on chunked with BWS', 'Transfer-Encoding: chunked ; q=1\r\n'],
    ['a quoted comma in a parameter', 'Transfer-Encoding: gzip;x="a, chunked", chunked\r\n'],
    ['not a token', 'Transfer-Encoding: chunked x\r\n'],
    ['a fold inside the coding list', 'Transfer-Encoding: gzip\r\n chunked\r\n'],
    ['present but empty', 'Transfer-Encoding: \r\n'],
    ['present but only commas', 'Transfer-Encoding: , ,\r\n'],
    ['empty, with Content-Length', 'Transfer-Encoding:\r\nContent-Length: 5\r\n'],
  ];
  for (const [name, field] of bad) {
    test(name, () => {
      const out = reject(`${OK}${field}\r\n${BODY}`, InvalidResponseError, { eof: true });
      assert.equal(out.heads.length, 0, 'rejected before the head is delivered');
      assert.equal(out.body.length, 0);
    });
  }

  test('the error names the Transfer-Encoding', () => {
    const out = reject(`${OK}Transfer-Encoding: gzip, chunked\r\n\r\n${BODY}`, InvalidResponseError);
    assert.match(out.error!.message, /gzip/);
  });

  test('responses without a body do not care: HEAD, 204, 304', () => {
    const field = 'Transfer-Encoding: gzip, chunked\r\n';
    const out = accept(`${OK}${field}\r\n`, { method: 'HEAD' });
    assert.deepEqual(out.events, ['head', 'complete']);
    for (const status of ['204 No Content', '304 Not Modified']) {
      assert.deepEqual(accept(`HTTP/1.1 ${status}\r\n${field}\r\n`).events, ['head', 'complete']);
    }
  });
});

describe('chunk sizes are bounded by value, not by digit count', () => {
  const h = `${OK}Transfer-Encoding: chunked\r\n\r\n`;

  test('leading zeros: 0000000000000005 is 5', () => {
    const out = accept(`${h}0000000000000005\r\nhello\r\n${'0'.repeat(40)}\r\n\r\n`);
    assert.equal(out.body.toString(), 'hello');
    assert.equal(out.complete, true);
  });

  test('many leading zeros (bounded only by the chunk line limit)', () => {
    const out = accept(`${h}${'0'.repeat(1000)}3\r\nabc\r\n0\r\n\r\n`);
    assert.equal(out.body.toString(), 'abc');
  });

  test('2^53 - 1 is a size (checked against maxBodyBytes)', () => {
    const out = run([bytes(`${h}1fffffffffffff\r\nab`)]);
    assert.equal(out.error, null);
    assert.equal(out.body.toString(), 'ab');
    const lim = reject(`${h}001fffffffffffff\r\n`, LimitExceededError, { limits: limits({ maxBodyBytes: 1 << 30 }), limit: 'maxBodyBytes' });
    assert.equal(lim.heads.length, 1);
  });

  for (const size of ['20000000000000', '0020000000000000', 'ffffffffffffffff', '1'.repeat(100)]) {
    test(`${size.length > 20 ? `${size.slice(0, 8)}…` : size} is too large (> 2^53 - 1)`, () => {
      const out = reject(`${h}${size}\r\n`, InvalidResponseError);
      assert.equal(out.heads.length, 1);
      assert.match(out.error!.message, /chunk size/);
    });
  }
});

describe('framing fields are read after obs-fold is replaced by SP (RFC 9112 §5.2)', () => {
  const cl: [string, string][] = [
    ['value on the fold line only', 'Content-Length:\r\n 5\r\n'],
    ['value on the fold line after OWS', 'Content-Length: \r\n\t5\r\n'],
    ['a list continued on the fold line', 'Content-Length: 5,\r\n 5\r\n'],
    ['a fold line starting with the comma', 'Content-Length: 5\r\n , 5\r\n'],
    ['a whitespace-only fold line', 'Content-Length: 5\r\n \r\n'],
    ['a second field folded', 'Content-Length: 5\r\nContent-Length:\r\n 5\r\n'],
    ['folded with bare LF', 'Content-Length:\n 5\n'],
  ];
  for (const [name, field] of cl) {
    test(`Content-Length ${name}`, () => {
      const out = accept(`${OK}${field}\r\nhelloHTTP/1.1`);
      assert.equal(head(out).framing, Framing.Length);
      assert.equal(head(out).contentLength, 5);
      assert.equal(out.body.toString(), 'hello');
    });
  }

  const badCl: [string, string][] = [
    ['digits joined by the fold are not one number', 'Content-Length: 1\r\n 0\r\n'],
    ['a repeated value without comma', 'Content-Length: 5\r\n 5\r\n'],
    ['a differing value on the fold line', 'Content-Length: 5\r\n ,6\r\n'],
    ['a folded field differing from an earlier one', 'Content-Length: 6\r\nContent-Length:\r\n 5\r\n'],
    ['a fold ending in a comma', 'Content-Length: 5\r\n 5,\r\n'],
  ];
  for (const [name, field] of badCl) {
    test(`Content-Length: ${name}`, () => {
      const out = reject(`${OK}${field}\r\nhello`, InvalidResponseError);
      assert.equal(out.heads.length, 0);
    });
  }

  test('Connection: close on a fold line ends persistence', () => {
    assert.equal(head(accept(`${OK}Connection: keep-alive,\r\n close\r\nContent-Length: 0\r\n\r\n`)).keepAlive, false);
  });

  test('a fold that turns close into another token does not close', () => {
    assert.equal(head(accept(`${OK}Connection: close\r\n x\r\nContent-Length: 0\r\n\r\n`)).keepAlive, true);
  });

  test('Keep-Alive timeout on a fold line', () => {
    assert.equal(head(accept(`${OK}Keep-Alive:\r\n timeout=7\r\nContent-Length: 0\r\n\r\n`)).keepAliveTimeoutMs, 7000);
  });
});
