/**
 * The HTTP/2 response head as HPACK decoded it: pseudo-headers
 * dropped, the response limits checked, the declared content-length.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { LimitExceededError } from '../../src/errors.js';
import { declaredLength, responseFields } from '../../src/http2/response-head.js';

describe('responseFields', () => {
  test('drops :status and every other pseudo-header, keeps the rest in order', () => {
    const raw = [':status', '200', 'content-type', 'text/plain', ':weird', 'x', 'set-cookie', 'a=1', 'set-cookie', 'b=2'];
    assert.deepEqual(responseFields(raw, DEFAULT_LIMITS), ['content-type', 'text/plain', 'set-cookie', 'a=1', 'set-cookie', 'b=2']);
  });

  test('more fields than maxHeaderCount (pseudo-headers not counted) is a LimitExceededError', () => {
    const raw = [':status', '200', 'a', '1', 'b', '2', 'c', '3'];
    assert.equal((responseFields(raw, { ...DEFAULT_LIMITS, maxHeaderCount: 3 }) as string[]).length, 6);
    const err = responseFields(raw, { ...DEFAULT_LIMITS, maxHeaderCount: 2 });
    assert.ok(err instanceof LimitExceededError);
    assert.equal(err.limit, 'maxHeaderCount');
  });

  test('a field section longer than maxHeaderBytes (as HTTP/1.1 would carry it) is a LimitExceededError', () => {
    const raw = [':status', '200', 'x-long', 'v'.repeat(90)];
    // 'x-long' + ': ' + 90 bytes + CRLF = 100
    assert.ok(Array.isArray(responseFields(raw, { ...DEFAULT_LIMITS, maxHeaderBytes: 100 })));
    const err = responseFields(raw, { ...DEFAULT_LIMITS, maxHeaderBytes: 99 });
    assert.ok(err instanceof LimitExceededError);
    assert.equal(err.limit, 'maxHeaderBytes');
    assert.match(err.message, /response header section exceeds maxHeaderBytes \(99\)/);
  });
});

describe('declaredLength', () => {
  test('the content-length as a number, -1 without one', () => {
    assert.equal(declaredLength(['content-type', 'text/plain', 'content-length', '1024']), 1024);
    assert.equal(declaredLength(['content-type', 'text/plain']), -1);
  });

  test('only a plain number counts; the last one wins', () => {
    assert.equal(declaredLength(['content-length', '1x']), -1);
    assert.equal(declaredLength(['content-length', '1'.repeat(16)]), -1);
    assert.equal(declaredLength(['content-length', '3', 'content-length', 'bad', 'content-length', '5']), 5);
  });
});
