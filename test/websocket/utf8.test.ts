import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isValidUtf8, Utf8Validator } from '../../src/websocket/utf8.js';

function validateSplit(bytes: Buffer, cuts: number[]): boolean {
  const v = new Utf8Validator();
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    if (!v.push(bytes.subarray(prev, c))) return false;
    prev = c;
  }
  return v.end();
}

const VALID = [
  '',
  'plain ascii',
  'héllo wörld',
  '€ 日本語 한국어',
  '😀🎉 astral plane',
  '\u0080\u07ff\u0800\uffff',
  String.fromCodePoint(0x10000, 0x10ffff),
  'mixed a€😀b'.repeat(5),
];

const INVALID: Array<[string, number[]]> = [
  ['lone continuation', [0x80]],
  ['overlong 2-byte', [0xc0, 0xaf]],
  ['overlong C1', [0xc1, 0xbf]],
  ['overlong 3-byte', [0xe0, 0x80, 0xaf]],
  ['overlong 4-byte', [0xf0, 0x80, 0x80, 0xaf]],
  ['UTF-16 surrogate', [0xed, 0xa0, 0x80]],
  ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ['F5 lead', [0xf5, 0x80, 0x80, 0x80]],
  ['FF byte', [0xff]],
  ['truncated 2-byte at end', [0x61, 0xc3]],
  ['truncated 3-byte at end', [0x61, 0xe2, 0x82]],
  ['truncated 4-byte at end', [0xf0, 0x9f, 0x98]],
  ['ASCII where a continuation belongs', [0xe2, 0x41, 0x82]],
  ['continuation after a complete sequence', [0xc3, 0xa9, 0xa9]],
];

describe('isValidUtf8', () => {
  test('valid strings', () => {
    for (const s of VALID) assert.ok(isValidUtf8(Buffer.from(s, 'utf8')), s);
  });
  test('invalid sequences', () => {
    for (const [name, b] of INVALID) assert.ok(!isValidUtf8(Buffer.from(b)), name);
  });
});

describe('Utf8Validator (across fragments)', () => {
  test('valid text split at every offset, and at every pair of offsets', () => {
    for (const s of VALID) {
      const b = Buffer.from(s, 'utf8');
      for (let i = 0; i <= b.length; i++) {
        assert.ok(validateSplit(b, [i]), `${JSON.stringify(s)} cut at ${i}`);
        for (let j = i; j <= b.length && b.length < 40; j++) assert.ok(validateSplit(b, [i, j]), `${JSON.stringify(s)} cut at ${i},${j}`);
      }
    }
  });

  test('one byte per fragment', () => {
    for (const s of VALID) {
      const b = Buffer.from(s, 'utf8');
      const cuts = Array.from({ length: b.length }, (_, i) => i);
      assert.ok(validateSplit(b, cuts), s);
    }
  });

  test('invalid sequences are caught at every split', () => {
    for (const [name, raw] of INVALID) {
      const b = Buffer.from([0x61, ...raw, 0x62].slice(0, name.startsWith('truncated') ? raw.length + 1 : raw.length + 2));
      for (let i = 0; i <= b.length; i++) assert.ok(!validateSplit(b, [i]), `${name} cut at ${i}`);
      const cuts = Array.from({ length: b.length }, (_, i) => i);
      assert.ok(!validateSplit(b, cuts), `${name} byte by byte`);
    }
  });

  test('fails fast: a bad prefix carried across a boundary is rejected before the message ends', () => {
    for (const prefix of [[0xe0, 0x80], [0xed, 0xa0], [0xf0, 0x80], [0xf4, 0x90], [0xf5], [0xc0]]) {
      const v = new Utf8Validator();
      assert.ok(!v.push(Buffer.from([0x61, ...prefix])), `prefix ${Buffer.from(prefix).toString('hex')}`);
    }
    // A prefix completed with a bad byte in the next fragment.
    const v = new Utf8Validator();
    assert.ok(v.push(Buffer.from([0xe2])));
    assert.ok(!v.push(Buffer.from([0x28])));
  });

  test('a sequence spread over three fragments', () => {
    const v = new Utf8Validator();
    assert.ok(v.push(Buffer.from([0xf0])));
    assert.ok(v.push(Buffer.from([0x9f])));
    assert.ok(v.push(Buffer.from([0x98])));
    assert.ok(v.push(Buffer.from([0x80, 0x41])));
    assert.ok(v.end());
  });

  test('end() reports a cut sequence and resets for the next message', () => {
    const v = new Utf8Validator();
    assert.ok(v.push(Buffer.from([0xe2, 0x82])));
    assert.equal(v.end(), false);
    assert.ok(v.push(Buffer.from('ok')));
    assert.equal(v.end(), true);
  });

  test('empty fragments change nothing', () => {
    const v = new Utf8Validator();
    assert.ok(v.push(Buffer.from([0xc3])));
    assert.ok(v.push(Buffer.alloc(0)));
    assert.ok(v.push(Buffer.from([0xa9])));
    assert.ok(v.end());
  });

  test('agrees with isValidUtf8 on random byte strings split at random points', () => {
    let x = 12345;
    const rnd = (n: number): number => {
      x = (x * 1103515245 + 12345) >>> 0;
      return x % n;
    };
    const alphabet = [0x41, 0x7f, 0x80, 0xbf, 0xc2, 0xc3, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xa0, 0x9f, 0x90, 0x8f];
    for (let round = 0; round < 3000; round++) {
      const len = rnd(12);
      const b = Buffer.from(Array.from({ length: len }, () => alphabet[rnd(alphabet.length)]!));
      const cuts = [rnd(len + 1), rnd(len + 1)].sort((p, q) => p - q);
      assert.equal(validateSplit(b, cuts), isValidUtf8(b), `${b.toString('hex')} cuts ${cuts}`);
    }
  });
});
