/** The one-entry request-head memo (src/http/head-memo.ts) both drivers use. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeadMemo } from '../../src/http/head-memo.js';

describe('HeadMemo', () => {
  test('hit only for the same parts and the same fields; a list changed in place since is a miss', () => {
    const m = new HeadMemo<object>();
    const list = ['a', '1'];
    assert.equal(m.get('GET', '/', 'h', null, null, list), undefined, 'empty at first');
    const v = m.set('GET', '/', 'h', null, null, list, {});
    assert.equal(m.get('GET', '/', 'h', null, null, ['a', '1']), v);
    assert.equal(m.get('GET', '/', 'h', 0, null, list), undefined, 'null and 0 differ');
    assert.equal(m.get('POST', '/', 'h', null, null, list), undefined);
    assert.equal(m.get('GET', '/', 'h', null, 'x', list), undefined);
    assert.equal(m.get('GET', '/', 'h', null, null, ['a', '1', 'b', '2']), undefined);
    list[1] = '2';
    assert.equal(m.get('GET', '/', 'h', null, null, list), undefined, 'the memo kept a copy of the list');
    const w = m.set('GET', '/', 'h', null, null, list, {});
    assert.notEqual(w, v);
    assert.equal(m.get('GET', '/', 'h', null, null, ['a', '2']), w);
  });
});
