/** Slab (src/core/slab.ts): small copies cut from shared ArrayBuffers, never overlapping. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Slab } from '../../src/core/slab.js';

describe('Slab', () => {
  test('a copy holds the bytes and does not follow later changes to the source', () => {
    const slab = new Slab(1024);
    const src = Buffer.from('hello');
    const out = slab.copy(src);
    src.fill(0);
    assert.equal(out.toString(), 'hello');
  });

  test('small copies share one ArrayBuffer, 8-byte aligned, without overlapping', () => {
    const slab = new Slab(1024);
    const a = slab.copy(Buffer.from('abc'));
    const b = slab.copy(Buffer.from('defgh'));
    assert.equal(a.buffer, b.buffer);
    assert.equal(b.byteOffset % 8, 0);
    assert.ok(b.byteOffset >= a.byteOffset + a.length);
    b.fill(0x7a);
    assert.equal(a.toString(), 'abc');
  });

  test('a copy that does not fit starts a new slab; the old pieces stay intact', () => {
    const slab = new Slab(16);
    const a = slab.copy(Buffer.alloc(12, 1));
    const b = slab.copy(Buffer.alloc(8, 2));
    assert.notEqual(a.buffer, b.buffer);
    assert.equal(b.byteOffset, 0);
    assert.deepEqual([...a], new Array(12).fill(1));
    assert.deepEqual([...b], new Array(8).fill(2));
  });

  test('an empty copy is an empty Buffer', () => {
    assert.equal(new Slab(64).copy(new Uint8Array(0)).length, 0);
  });
});
