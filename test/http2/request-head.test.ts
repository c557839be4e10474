/** The HTTP/2 request head (src/http2/request-head.ts): pseudo-headers, dropped fields, the HPACK block and the memo of the last one. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HpackDecoder } from '../../src/http2/hpack.js';
import { h2HeadBlock, toH2Fields } from '../../src/http2/request-head.js';

function decode(block: Buffer): string[] {
  const out: string[] = [];
  new HpackDecoder().decode(block, 0, block.length, out, Number.POSITIVE_INFINITY);
  return out;
}

describe('toH2Fields', () => {
  test('pseudo-headers first, names lower-cased, connection-specific fields dropped, Host as :authority, repeated fields kept', () => {
    const h = toH2Fields('GET', 'https', 'a.test', '/x', ['Accept', '*/*', 'Connection', 'keep-alive', 'Host', 'b.test', 'X-A', '1', 'x-a', '2', 'TE', 'trailers', 'Transfer-Encoding', 'chunked'], null);
    assert.deepEqual(h, [':method', 'GET', ':scheme', 'https', ':authority', 'b.test', ':path', '/x', 'accept', '*/*', 'x-a', '1', 'x-a', '2', 'te', 'trailers']);
  });

  test('content-length from the body; an empty POST says 0', () => {
    assert.deepEqual(toH2Fields('POST', 'https', 'a', '/', ['Content-Length', '99'], null).slice(8), ['content-length', '0']);
    assert.deepEqual(toH2Fields('GET', 'https', 'a', '/', [], null).slice(8), []);
  });

  test('field names that are also Object.prototype names are ordinary fields', () => {
    const h = toH2Fields('GET', 'https', 'a.test', '/', ['Constructor', 'c1', '__proto__', 'p'], null);
    assert.deepEqual(h.slice(8), ['constructor', 'c1', '__proto__', 'p']);
  });
});

describe('h2HeadBlock', () => {
  test('the block decodes to the head; the same request again gets the same block; a changed field, path or method a new one', () => {
    const list = ['Accept', '*/*', 'X-N', '1'];
    const a = h2HeadBlock('GET', 'https', 'a.test', '/x', list, null);
    assert.deepEqual(decode(a), [':method', 'GET', ':scheme', 'https', ':authority', 'a.test', ':path', '/x', 'accept', '*/*', 'x-n', '1']);
    assert.equal(h2HeadBlock('GET', 'https', 'a.test', '/x', list.slice(), null), a);
    assert.deepEqual(decode(h2HeadBlock('GET', 'https', 'a.test', '/y', list, null)).slice(6, 8), [':path', '/y']);
    assert.deepEqual(decode(h2HeadBlock('DELETE', 'https', 'a.test', '/y', list, null)).slice(0, 2), [':method', 'DELETE']);
    list[3] = '2';
    const b = h2HeadBlock('DELETE', 'https', 'a.test', '/y', list, null);
    assert.deepEqual(decode(b).slice(-2), ['x-n', '2']);
    assert.deepEqual(decode(a).slice(-2), ['x-n', '1'], 'a block handed out is never changed');
  });
});
