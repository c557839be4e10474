/** byteRange: the one byte range a Range value asks of a body (RFC 9110 §14.1.2), or null. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byteRange } from '../../src/layers/cache-range.js';

test('byteRange: first-last, open-ended, suffix, clamped; several, reversed, unsatisfiable or other units are null', () => {
  assert.deepEqual(byteRange('bytes=0-0', 10), [0, 0]);
  assert.deepEqual(byteRange('bytes=2-4', 10), [2, 4]);
  assert.deepEqual(byteRange('BYTES = 3 - ', 10), [3, 9]);
  assert.deepEqual(byteRange('bytes=-3', 10), [7, 9]);
  assert.deepEqual(byteRange('bytes=-30', 10), [0, 9]);
  assert.deepEqual(byteRange('bytes=5-99', 10), [5, 9]);
  for (const v of ['bytes=10-', 'bytes=4-2', 'bytes=-0', 'bytes=-', 'bytes=0-1,3-4', 'items=0-1', 'bytes=a-b', '']) assert.equal(byteRange(v, 10), null, v);
  assert.equal(byteRange('bytes=-5', 0), null);
  assert.equal(byteRange('bytes=0-', 0), null);
});
