/** The HTTP/2 request head (src/http2/request-head.ts): pseudo-headers, dropped fields, and the memo of the last head. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toH2Headers } from '../../src/http2/request-head.js';

describe('toH2Headers', () => {
  test('pseudo-headers first, names lower-cased, connection-specific fields dropped, Host as :authority', () => {
    const h = toH2Headers('GET', 'https', 'a.test', '/x', ['Accept', '*/*', 'Connection', 'keep-alive', 'Host', 'b.test', 'X-A', '1', 'x-a', '2'], null);
    assert.deepEqual(Object.keys(h), [':method', ':scheme', ':authority', ':path', 'accept', 'x-a']);
    assert.equal(h[':authority'], 'b.test');
    assert.deepEqual(h['x-a'], ['1', '2']);
  });

  test('the same request again gets the same head; a changed field, path or method gets a new one', () => {
    const list = ['Accept', '*/*', 'X-N', '1'];
    const a = toH2Headers('GET', 'https', 'a.test', '/x', list, null);
    assert.equal(toH2Headers('GET', 'https', 'a.test', '/x', list.slice(), null), a);
    assert.equal(toH2Headers('GET', 'https', 'a.test', '/y', list, null)[':path'], '/y');
    assert.equal(toH2Headers('DELETE', 'https', 'a.test', '/y', list, null)[':method'], 'DELETE');
    list[3] = '2';
    const b = toH2Headers('DELETE', 'https', 'a.test', '/y', list, null);
    assert.equal(b['x-n'], '2');
    assert.equal(a['x-n'], '1', 'a head handed out is never changed');
  });

  test('field names that are also Object.prototype names are ordinary fields', () => {
    const h = toH2Headers('GET', 'https', 'a.test', '/', ['Constructor', 'c1', 'constructor', 'c2', '__proto__', 'p', 'x', '1'], null);
    assert.deepEqual(Object.keys(h), [':method', ':scheme', ':authority', ':path', 'constructor', '__proto__', 'x']);
    assert.deepEqual(h.constructor, ['c1', 'c2']);
    assert.equal(Object.getOwnPropertyDescriptor(h, '__proto__')?.value, 'p');
    assert.equal(Object.getPrototypeOf(h), Object.prototype, 'the prototype is untouched');
  });
});
