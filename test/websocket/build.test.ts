import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildFrame, buildTextFrame, maskInPlace } from '../../src/websocket/build.js';
import { newParser } from './frames.js';

function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('frame builders', () => {
  function parseClientFrame(frame: Buffer) {
    const { parser, rec } = newParser({ expectMasked: true, rsv1Allowed: true });
    assert.equal(parser.execute(frame), frame.length);
    assert.equal(rec.events.length, 1);
    return rec.events[0]!;
  }

  for (const len of [0, 1, 3, 4, 5, 63, 64, 65, 125, 126, 127, 1000, 65535, 65536, 100_003]) {
    test(`buildFrame masks a ${len}-byte payload; a masked-frame parser gets it back`, () => {
      const payload = bytes(len, len + 5);
      const copy = Buffer.from(payload);
      const frame = buildFrame(2, payload);
      assert.deepEqual(payload, copy, 'the caller’s bytes are untouched');
      assert.equal(frame[1]! & 0x80, 0x80, 'mask bit set');
      const hl = len < 126 ? 6 : len < 65536 ? 8 : 14;
      assert.equal(frame.length, hl + len);
      const e = parseClientFrame(frame);
      assert.deepEqual(e, { kind: 'data', opcode: 2, fin: true, compressed: false, payload });
    });
  }

  test('buildFrame with fin=false and rsv1', () => {
    const f = buildFrame(1, Buffer.from('ab'), false, true);
    assert.equal(f[0], 0x40 | 0x01);
    const g = buildFrame(9, Buffer.from('p'));
    assert.equal(g[0], 0x89);
  });

  test('buildFrame accepts a view into a larger buffer', () => {
    const big = bytes(1000);
    const view = big.subarray(333, 777);
    const e = parseClientFrame(buildFrame(2, view));
    assert.deepEqual(e.payload, Buffer.from(view));
  });

  test('each frame gets a fresh masking key', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const f = buildFrame(2, Buffer.alloc(4));
      keys.add(f.subarray(2, 6).toString('hex'));
    }
    // 3000 draws from 2^32 keys: collisions are (astronomically) unlikely; the pool refills past 2048 frames.
    assert.ok(keys.size >= 2998, `only ${keys.size} distinct keys`);
  });

  for (const text of ['', 'a', 'héllo', '€'.repeat(41), 'x'.repeat(41), 'x'.repeat(42), '日本'.repeat(30), 'y'.repeat(125), 'y'.repeat(126), 'z'.repeat(70000), '😀'.repeat(40000)]) {
    test(`buildTextFrame encodes ${JSON.stringify(text.slice(0, 8))}… (${text.length} units)`, () => {
      const f = buildTextFrame(text);
      const e = parseClientFrame(f);
      assert.equal(e.kind, 'data');
      assert.equal(e.opcode, 1);
      assert.equal(e.payload.toString('utf8'), text);
      const n = Buffer.byteLength(text);
      assert.equal(f.length, (n < 126 ? 6 : n < 65536 ? 8 : 14) + n);
    });
  }

  test('buildTextFrame: short strings (ASCII path and its fall-backs) give the bytes Buffer.from gives', () => {
    const cases: string[] = [];
    for (let len = 0; len <= 9; len++) cases.push('q'.repeat(len));
    cases.push('\x7f'.repeat(5), '\x00\x01\x7e', 'x'.repeat(124), 'x'.repeat(125));
    // One non-ASCII unit at every position of the 4-at-a-time loop and of its tail.
    for (let at = 0; at < 11; at++) for (const odd of ['\x80', 'é', '€', '😀', '\ud800', '\udc00']) cases.push('a'.repeat(at) + odd + 'b'.repeat(10 - at));
    cases.push(`${'c'.repeat(124)}é`, `${'c'.repeat(125)}`);
    for (const text of cases) {
      const e = parseClientFrame(buildTextFrame(text));
      assert.deepEqual(e.payload, Buffer.from(text, 'utf8'), JSON.stringify(text));
    }
  });

  test('maskInPlace: the 32-bit path equals the byte-wise definition at every alignment', () => {
    const key = Buffer.from([0xa1, 0x02, 0xf3, 0x44]);
    const backing = bytes(600, 11);
    for (let start = 0; start < 8; start++) {
      for (const len of [0, 1, 7, 63, 64, 65, 66, 67, 100, 257, 500]) {
        const buf = Buffer.from(backing);
        const end = start + len;
        maskInPlace(buf, start, end, key, 0);
        for (let i = 0; i < buf.length; i++) {
          const expected = i >= start && i < end ? backing[i]! ^ key[(i - start) & 3]! : backing[i]!;
          if (buf[i] !== expected) assert.fail(`start ${start} len ${len}: byte ${i}`);
        }
      }
    }
  });

  test('maskInPlace on a subarray with an odd byteOffset', () => {
    const key = new Uint8Array([9, 8, 7, 6]);
    const base = bytes(1000, 5);
    const view = Buffer.from(base).subarray(3, 903);
    maskInPlace(view, 0, view.length, key, 0);
    for (let i = 0; i < 900; i++) assert.equal(view[i], base[i + 3]! ^ key[i & 3]!);
  });
});

