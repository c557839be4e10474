/**
 * serializeRequestHead (RFC 9112 §3, §6; RFC 9110 §7.2): validation before
 * anything is written, Host handling, and framing headers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidRequestError } from '../../src/errors.js';
import { checkMethod } from '../../src/http/methods.js';
import { serializeRequestHead } from '../../src/http1/request-head.js';

function lines(head: string): string[] {
  assert.ok(head.endsWith('\r\n\r\n'), 'a head ends with an empty line');
  return head.slice(0, -4).split('\r\n');
}

describe('serializeRequestHead', () => {
  test('request line, Host first, headers in order, empty line', () => {
    const head = serializeRequestHead('GET', '/a?b=c', 'example.com', ['Accept', '*/*', 'X-Two', '2'], null);
    assert.equal(head, 'GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nX-Two: 2\r\n\r\n');
  });

  test('a Host header in the list replaces the default, with its casing, once, and goes first', () => {
    const head = serializeRequestHead('GET', '/', 'default.test', ['Accept', '*/*', 'HOST', 'mine.test', 'host', 'again.test'], null);
    assert.deepEqual(lines(head), ['GET / HTTP/1.1', 'HOST: mine.test', 'Accept: */*']);
  });

  test('framing: none for a bodiless GET/HEAD/DELETE/OPTIONS', () => {
    for (const m of ['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']) {
      const head = serializeRequestHead(m, '/', 'h', [], null);
      assert.ok(!/content-length|transfer-encoding/i.test(head), m);
    }
  });

  test('framing: Content-Length: 0 for a bodiless POST/PUT/PATCH', () => {
    for (const m of ['POST', 'PUT', 'PATCH']) {
      assert.deepEqual(lines(serializeRequestHead(m, '/', 'h', [], null)), [`${m} / HTTP/1.1`, 'Host: h', 'Content-Length: 0']);
    }
  });

  test('framing: Content-Length for a known length (0 included), chunked for -1', () => {
    assert.match(serializeRequestHead('POST', '/', 'h', [], 42), /\r\nContent-Length: 42\r\n\r\n$/);
    assert.match(serializeRequestHead('GET', '/', 'h', [], 0), /\r\nContent-Length: 0\r\n\r\n$/);
    const chunked = serializeRequestHead('POST', '/', 'h', [], -1);
    assert.match(chunked, /\r\nTransfer-Encoding: chunked\r\n\r\n$/);
    assert.ok(!/content-length/i.test(chunked));
  });

  test('user Content-Length / Transfer-Encoding lines (any casing) are replaced by the real framing', () => {
    const head = serializeRequestHead('POST', '/', 'h', ['content-length', '999', 'TRANSFER-ENCODING', 'gzip, chunked', 'X', 'y'], 3);
    assert.deepEqual(lines(head), ['POST / HTTP/1.1', 'Host: h', 'X: y', 'Content-Length: 3']);
    const none = serializeRequestHead('GET', '/', 'h', ['Content-Length', '5'], null);
    assert.deepEqual(lines(none), ['GET / HTTP/1.1', 'Host: h']);
  });

  test('headers that merely share a length with host/content-length are kept', () => {
    // 4, 14 and 17 characters long, like host, content-length and transfer-encoding.
    const head = serializeRequestHead('GET', '/', 'h', ['Date', 'x', 'Content-Type-X', 'y', 'X-Forwarded-Proto', 'z'], null);
    assert.deepEqual(lines(head), ['GET / HTTP/1.1', 'Host: h', 'Date: x', 'Content-Type-X: y', 'X-Forwarded-Proto: z']);
  });

  test('absolute-form and asterisk-form targets', () => {
    assert.match(serializeRequestHead('GET', 'http://a.test/x', 'a.test', [], null), /^GET http:\/\/a\.test\/x HTTP\/1\.1\r\n/);
    assert.match(serializeRequestHead('OPTIONS', '*', 'a.test', [], null), /^OPTIONS \* HTTP\/1\.1\r\n/);
    assert.match(serializeRequestHead('CONNECT', 'a.test:443', 'a.test:443', [], null), /^CONNECT a\.test:443 HTTP\/1\.1\r\n/);
  });

  test('invalid methods throw InvalidRequestError', () => {
    for (const m of ['', 'GE T', 'GET\r\n', 'G\0T', 'GÉT', 'GET/', '(GET)', 'G\tET']) {
      assert.throws(() => serializeRequestHead(m, '/', 'h', [], null), InvalidRequestError, JSON.stringify(m));
      assert.throws(() => checkMethod(m), InvalidRequestError);
    }
    for (const m of ['GET', 'M-SEARCH', 'PROPFIND', 'custom_method', "X!#$%&'*+-.^_`|~1"]) {
      assert.doesNotThrow(() => checkMethod(m), m);
    }
  });

  test('invalid targets throw InvalidRequestError (no space, CR, LF, controls or non-ASCII in the request line)', () => {
    for (const t of ['', '/a b', '/a\r\nHost: evil', '/a\nb', '/\0', '/é', '/\x7f', '/a\tb']) {
      assert.throws(() => serializeRequestHead('GET', t, 'h', [], null), InvalidRequestError, JSON.stringify(t));
    }
    assert.doesNotThrow(() => serializeRequestHead('GET', "/a/b;c?d=e&f=%20~!$'()*+,", 'h', [], null));
  });

  test('the error message says what was wrong', () => {
    assert.throws(() => serializeRequestHead('BAD METHOD', '/', 'h', [], null), /invalid HTTP method "BAD METHOD"/);
    assert.throws(() => serializeRequestHead('GET', '/a b', 'h', [], null), /invalid request target "\/a b"/);
  });
});



describe('serializeRequestHead: the same request sent again', () => {
  test('an identical request reuses the head; any change in method, target, host, a field or the length is seen', () => {
    const list = ['Accept', '*/*', 'X-N', '1'];
    const a = serializeRequestHead('GET', '/a', 'h', list, null);
    assert.equal(serializeRequestHead('GET', '/a', 'h', list.slice(), null), a);
    assert.match(serializeRequestHead('HEAD', '/a', 'h', list, null), /^HEAD \/a /);
    assert.match(serializeRequestHead('GET', '/b', 'h', list, null), /^GET \/b /);
    assert.match(serializeRequestHead('GET', '/a', 'h2', list, null), /\r\nHost: h2\r\n/);
    assert.match(serializeRequestHead('GET', '/a', 'h', list, 5), /\r\nContent-Length: 5\r\n/);
    // The caller's list changed in place after the call: the memo kept its own copy.
    list[3] = '2';
    assert.match(serializeRequestHead('GET', '/a', 'h', list, null), /\r\nX-N: 2\r\n/);
    list.push('X-M', '3');
    assert.match(serializeRequestHead('GET', '/a', 'h', list, null), /\r\nX-M: 3\r\n/);
  });

  test('a request the memo would match is still validated when it was never sent before', () => {
    serializeRequestHead('GET', '/ok', 'h', [], null);
    assert.throws(() => serializeRequestHead('GET', '/bad path', 'h', [], null), InvalidRequestError);
    assert.throws(() => serializeRequestHead('GET', '/bad path', 'h', [], null), InvalidRequestError);
  });
});
