import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SlidingWindow } from '../../src/websocket/window.js';

describe('SlidingWindow', () => {
  test('empty until written', () => {
    assert.equal(new SlidingWindow(8).contents(), null);
  });

  test('holds the last 2^bits bytes, oldest first, for writes of every size around the wrap', () => {
    for (const sizes of [[1], [255, 1], [256], [300], [100, 100, 100], [255, 2, 254], [1, 511], [128, 128, 128, 3]]) {
      const w = new SlidingWindow(8);
      let all = Buffer.alloc(0);
      let k = 0;
      for (const n of sizes) {
        const chunk = Buffer.from(Array.from({ length: n }, () => k++ & 0xff));
        w.write(chunk);
        all = Buffer.concat([all, chunk]);
        assert.deepEqual(w.contents(), all.subarray(-256), `after writes of ${sizes.join(',')}`);
      }
    }
  });

  test('a larger window grows from 1 KiB as bytes come and still keeps exactly the last 2^bits', () => {
    for (const sizes of [[10, 1000, 100], [1000, 100, 2000, 1500, 3000], [5000, 10], [4095, 2], [1024, 1024, 2048, 1]]) {
      const w = new SlidingWindow(12);
      let all = Buffer.alloc(0);
      let k = 0;
      for (const n of sizes) {
        const chunk = Buffer.from(Array.from({ length: n }, () => (k = (k * 7 + 1) % 251)));
        w.write(chunk);
        all = Buffer.concat([all, chunk]);
        assert.deepEqual(w.contents(), all.subarray(-4096), `after writes of ${sizes.join(',')}`);
      }
    }
  });
});
