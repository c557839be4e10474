/**
 * HPACK (RFC 7541): every example of Appendix C decoded with the dynamic
 * table checked, the Huffman code round-tripped and its errors, malformed
 * blocks, the header list size limit, and the stateless encoder.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeaderListTooLarge, HpackDecoder, HpackEncoder, HpackError } from '../../src/http2/hpack.js';
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from '../../src/http2/huffman.js';

/** Bytes from an RFC-style hex dump ("8286 8441 …"). */
function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** Decode a whole block with no list size limit. */
function decodeAll(d: HpackDecoder, block: Uint8Array): string[] {
  const out: string[] = [];
  d.decode(block, 0, block.length, out, Infinity);
  return out;
}

/** Huffman-code `s` into a new Buffer. */
function huff(s: string): Buffer {
  const b = Buffer.alloc(huffmanEncodedLength(s));
  assert.equal(huffmanEncode(s, b, 0), b.length);
  return b;
}

/** One step of an Appendix C example: the block, the header list, the dynamic table after it (newest first) and its size. */
interface Step {
  wire: string;
  fields: string[];
  table: string[];
  size: number;
}

/** Decode `steps` in order with one decoder, checking each list and table. */
function runSequence(d: HpackDecoder, steps: Step[]): void {
  steps.forEach((step, i) => {
    assert.deepEqual(decodeAll(d, hex(step.wire)), step.fields, `block ${i + 1}: fields`);
    assert.deepEqual(d.dynamicTable(), step.table, `block ${i + 1}: table`);
    assert.equal(d.dynamicTableSize, step.size, `block ${i + 1}: table size`);
  });
}

const REQ1 = [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com'];
const REQ2 = [...REQ1, 'cache-control', 'no-cache'];
const REQ3 = [':method', 'GET', ':scheme', 'https', ':path', '/index.html', ':authority', 'www.example.com', 'custom-key', 'custom-value'];
const REQ_TABLES = [
  [':authority', 'www.example.com'],
  ['cache-control', 'no-cache', ':authority', 'www.example.com'],
  ['custom-key', 'custom-value', 'cache-control', 'no-cache', ':authority', 'www.example.com'],
];

const DATE1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const RES1 = [':status', '302', 'cache-control', 'private', 'date', DATE1, 'location', 'https://www.example.com'];
const RES2 = [':status', '307', 'cache-control', 'private', 'date', DATE1, 'location', 'https://www.example.com'];
const RES3 = [':status', '200', 'cache-control', 'private', 'date', DATE2, 'location', 'https://www.example.com', 'content-encoding', 'gzip', 'set-cookie', COOKIE];
const RES_TABLES = [
  ['location', 'https://www.example.com', 'date', DATE1, 'cache-control', 'private', ':status', '302'],
  [':status', '307', 'location', 'https://www.example.com', 'date', DATE1, 'cache-control', 'private'],
  ['set-cookie', COOKIE, 'content-encoding', 'gzip', 'date', DATE2],
];

describe('RFC 7541 Appendix C', () => {
  test('C.2.1 literal with indexing', () => {
    runSequence(new HpackDecoder(), [{
      wire: '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572',
      fields: ['custom-key', 'custom-header'], table: ['custom-key', 'custom-header'], size: 55,
    }]);
  });

  test('C.2.2 literal without indexing', () => {
    runSequence(new HpackDecoder(), [{ wire: '040c 2f73 616d 706c 652f 7061 7468', fields: [':path', '/sample/path'], table: [], size: 0 }]);
  });

  test('C.2.3 literal never indexed', () => {
    runSequence(new HpackDecoder(), [{ wire: '1008 7061 7373 776f 7264 0673 6563 7265 74', fields: ['password', 'secret'], table: [], size: 0 }]);
  });

  test('C.2.4 indexed field', () => {
    runSequence(new HpackDecoder(), [{ wire: '82', fields: [':method', 'GET'], table: [], size: 0 }]);
  });

  test('C.3 requests without Huffman coding', () => {
    runSequence(new HpackDecoder(), [
      { wire: '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', fields: REQ1, table: REQ_TABLES[0]!, size: 57 },
      { wire: '8286 84be 5808 6e6f 2d63 6163 6865', fields: REQ2, table: REQ_TABLES[1]!, size: 110 },
      { wire: '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65', fields: REQ3, table: REQ_TABLES[2]!, size: 164 },
    ]);
  });

  test('C.4 requests with Huffman coding', () => {
    runSequence(new HpackDecoder(), [
      { wire: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', fields: REQ1, table: REQ_TABLES[0]!, size: 57 },
      { wire: '8286 84be 5886 a8eb 1064 9cbf', fields: REQ2, table: REQ_TABLES[1]!, size: 110 },
      { wire: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf', fields: REQ3, table: REQ_TABLES[2]!, size: 164 },
    ]);
  });

  test('C.5 responses without Huffman coding, 256-octet table (eviction)', () => {
    runSequence(new HpackDecoder(256), [
      {
        wire: '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768'
          + '7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        fields: RES1, table: RES_TABLES[0]!, size: 222,
      },
      { wire: '4803 3330 37c1 c0bf', fields: RES2, table: RES_TABLES[1]!, size: 222 },
      {
        wire: '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153'
          + '444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e'
          + '3d31',
        fields: RES3, table: RES_TABLES[2]!, size: 215,
      },
    ]);
  });

  test('C.6 responses with Huffman coding, 256-octet table (eviction)', () => {
    runSequence(new HpackDecoder(256), [
      {
        wire: '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8'
          + 'e9ae 82ae 43d3',
        fields: RES1, table: RES_TABLES[0]!, size: 222,
      },
      { wire: '4883 640e ffc1 c0bf', fields: RES2, table: RES_TABLES[1]!, size: 222 },
      {
        wire: '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b'
          + '3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
        fields: RES3, table: RES_TABLES[2]!, size: 215,
      },
    ]);
  });
});

describe('Huffman code', () => {
  test('encodes the strings of RFC 7541 C.4 as the RFC does', () => {
    assert.equal(huff('www.example.com').toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff');
    assert.equal(huff('no-cache').toString('hex'), 'a8eb10649cbf');
    assert.equal(huff('custom-key').toString('hex'), '25a849e95ba97d7f');
    assert.equal(huff('custom-value').toString('hex'), '25a849e95bb8e8b4bf');
    assert.equal(huff('').length, 0);
    assert.equal(huffmanDecode(Buffer.alloc(0), 0, 0), '');
  });

  test('every octet value 0..255 round-trips, alone, repeated and all together', () => {
    let all = '';
    for (let c = 0; c < 256; c++) {
      const s = String.fromCharCode(c);
      all += s;
      const one = huff(s);
      assert.equal(huffmanDecode(one, 0, one.length), s, `octet ${c}`);
      const many = huff(s.repeat(9));
      assert.equal(huffmanDecode(many, 0, many.length), s.repeat(9), `octet ${c} x9`);
    }
    const b = huff(all);
    assert.equal(huffmanDecode(b, 0, b.length), all);
    const reversed = [...all].reverse().join('');
    const r = huff(reversed);
    assert.equal(huffmanDecode(r, 0, r.length), reversed);
  });

  test('decodes within [start, end) of a larger buffer and writes at an offset', () => {
    const b = Buffer.alloc(20, 0xaa);
    const end = huffmanEncode('no-cache', b, 5);
    assert.equal(end, 11);
    assert.equal(b[4], 0xaa);
    assert.equal(b[11], 0xaa);
    assert.equal(huffmanDecode(b, 5, end), 'no-cache');
  });

  test('the EOS symbol inside a string is an error', () => {
    assert.throws(() => huffmanDecode(hex('ffff ffff'), 0, 4), /EOS/);
    // 'a' (00011), then EOS (30 ones), then 'a' again.
    const withEos = Buffer.from([0b00011111, 0xff, 0xff, 0xff, 0b11100011]);
    assert.throws(() => huffmanDecode(withEos, 0, withEos.length), /EOS/);
  });

  test('padding of 8 or more bits is an error', () => {
    assert.throws(() => huffmanDecode(hex('ff'), 0, 1), /padding/);
    // 'a' (00011) + 111 fills the octet; a further all-ones octet makes 11 bits of padding.
    assert.equal(huffmanDecode(hex('1f'), 0, 1), 'a');
    assert.throws(() => huffmanDecode(hex('1fff'), 0, 2), /padding/);
  });

  test('padding with a 0 bit is an error', () => {
    assert.throws(() => huffmanDecode(hex('1e'), 0, 1), /padding/); // 'a' + 110
    assert.throws(() => huffmanDecode(hex('18'), 0, 1), /padding/); // 'a' + 000 is not a code end either
  });

  test('a bad Huffman string in a block is an HpackError', () => {
    // Literal without indexing, name index 1, value Huffman-coded, 1 octet: 'a' + 110.
    assert.throws(() => decodeAll(new HpackDecoder(), hex('01 81 1e')), HpackError);
    assert.throws(() => decodeAll(new HpackDecoder(), hex('01 84 ffff ffff')), HpackError);
  });
});

/** An HPACK integer with an N-bit prefix whose high bits are `flags` (RFC 7541 §5.1), for building test blocks. */
function int(flags: number, prefixBits: number, value: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [flags | value];
  const bytes = [flags | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

/** A raw string literal. */
function str(s: string): number[] {
  return [...int(0, 7, s.length), ...Buffer.from(s, 'latin1')];
}

describe('HpackDecoder: malformed blocks', () => {
  const bad = (bytes: number[], message: RegExp, d = new HpackDecoder()) =>
    assert.throws(() => decodeAll(d, Buffer.from(bytes)), (err: unknown) => err instanceof HpackError && message.test(err.message));

  test('index 0 is an error', () => {
    bad([0x80], /index 0/);
  });

  test('an index past static + dynamic table is an error', () => {
    bad([0xbe], /past the end/); // 62, empty dynamic table
    bad([0x7e, ...str('v')], /past the end/); // name index 62
    bad([0x0f, 0x2f, ...str('v')], /past the end/); // name index 62, 4-bit prefix
    const d = new HpackDecoder();
    decodeAll(d, Buffer.from([0x40, ...str('a'), ...str('b')]));
    assert.deepEqual(decodeAll(d, Buffer.from([0xbe])), ['a', 'b']);
    bad([0xbf], /past the end/, d);
    bad(int(0x80, 7, 5000), /past the end/, d);
  });

  test('a table size update above the maximum is an error; up to it is fine', () => {
    bad(int(0x20, 5, 4097), /above 4096/);
    bad(int(0x20, 5, 101), /above 100/, new HpackDecoder(100));
    const d = new HpackDecoder();
    assert.deepEqual(decodeAll(d, Buffer.from([...int(0x20, 5, 4096), 0x82])), [':method', 'GET']);
  });

  test('a table size update after a field is an error; several before the first are fine', () => {
    bad([0x82, 0x20], /after a header field/);
    bad([0x40, ...str('a'), ...str('b'), ...int(0x20, 5, 100)], /after a header field/);
    const d = new HpackDecoder();
    decodeAll(d, Buffer.from([0x40, ...str('a'), ...str('b')]));
    assert.equal(d.dynamicTableSize, 34);
    assert.deepEqual(decodeAll(d, Buffer.from([0x20, ...int(0x20, 5, 4096), 0x84])), [':path', '/']);
    assert.deepEqual(d.dynamicTable(), [], 'size 0 evicted everything');
    bad([0xbe], /past the end/, d);
  });

  test('a truncated integer is an error', () => {
    bad([0xff], /truncated/);
    bad([0xff, 0x80], /truncated/);
    bad([0x7f], /truncated/);
    bad([0x40, 0x7f], /truncated/); // name length
    bad([0x3f, 0xe1], /truncated/);
  });

  test('an integer overflow is an error', () => {
    bad([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], /overflows/); // 5 continuation octets, value above 2^31
    bad([0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], /too long/); // 6 continuation octets
    bad([0x40, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x0f], /overflows/);
    // The largest allowed value decodes (and is then past the table's end).
    bad(int(0x80, 7, 0x7fffffff), /past the end/);
  });

  test('a string past the end of the block is an error', () => {
    bad([0x40, 0x05, 0x61], /past the end of the block/);
    bad([0x01, 0x03, 0x61, 0x62], /past the end of the block/);
    bad([0x01, 0x83, 0xff], /past the end of the block/);
    bad([0x40], /missing/);
    bad([0x41], /missing/);
    bad([0x40, ...str('a')], /missing/);
  });
});

describe('HpackDecoder: dynamic table', () => {
  test('an entry larger than the table empties it', () => {
    const d = new HpackDecoder(64);
    decodeAll(d, Buffer.from([0x40, ...str('a'), ...str('b')]));
    assert.deepEqual(d.dynamicTable(), ['a', 'b']);
    assert.deepEqual(decodeAll(d, Buffer.from([0x40, ...str('big'), ...str('x'.repeat(30))])), ['big', 'x'.repeat(30)]);
    assert.deepEqual(d.dynamicTable(), []);
    assert.equal(d.dynamicTableSize, 0);
    // Exactly the table size fits.
    decodeAll(d, Buffer.from([0x40, ...str('big'), ...str('x'.repeat(29))]));
    assert.equal(d.dynamicTableSize, 64);
  });

  test('many inserts: ring growth and wrap-around keep indexes right', () => {
    const d = new HpackDecoder();
    for (let i = 0; i < 500; i++) {
      const v = String(i).padStart(3, '0'); // entry size 1 + 3 + 32 = 36: 113 entries fit in 4096
      decodeAll(d, Buffer.from([0x40, ...str('k'), ...str(v)]));
      assert.deepEqual(decodeAll(d, Buffer.from([0xbe])), ['k', v]);
    }
    assert.equal(d.dynamicTableSize, 113 * 36);
    const table = d.dynamicTable();
    assert.equal(table.length, 226);
    assert.equal(table[1], '499');
    assert.equal(table[225], '387');
    assert.deepEqual(decodeAll(d, Buffer.from(int(0x80, 7, 61 + 113))), ['k', '387']);
    assert.throws(() => decodeAll(d, Buffer.from(int(0x80, 7, 61 + 114))), HpackError);
    // Shrink to 3 entries, then grow back and insert again.
    decodeAll(d, Buffer.from([...int(0x20, 5, 108), ...int(0x20, 5, 4096)]));
    assert.deepEqual(d.dynamicTable(), ['k', '499', 'k', '498', 'k', '497']);
    decodeAll(d, Buffer.from([0x7e, ...str('new')])); // name of index 62 ('k')
    assert.deepEqual(d.dynamicTable().slice(0, 4), ['k', 'new', 'k', '499']);
  });

  test('a table size update evicts down to the new size', () => {
    const d = new HpackDecoder(256);
    decodeAll(d, hex('4803 3330 3258 0770 7269 7661 7465'));
    assert.equal(d.dynamicTableSize, 42 + 52);
    decodeAll(d, Buffer.from(int(0x20, 5, 60)));
    assert.deepEqual(d.dynamicTable(), ['cache-control', 'private']);
    // The new maximum holds for inserts too.
    decodeAll(d, Buffer.from([0x40, ...str('a'), ...str('b')]));
    assert.deepEqual(d.dynamicTable(), ['a', 'b']);
  });

  test('accepts a plain Uint8Array and decodes only [start, end)', () => {
    const d = new HpackDecoder();
    const backing = new Uint8Array(40).fill(0x80);
    const block = hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff');
    backing.set(block, 7);
    const view = backing.subarray(3, 35);
    const out: string[] = [];
    d.decode(view, 4, 4 + block.length, out, Infinity);
    assert.deepEqual(out, REQ1);
  });
});

describe('HpackDecoder: header list size limit', () => {
  test('HeaderListTooLarge after the whole block, with the dynamic table still updated', () => {
    const d = new HpackDecoder();
    const big = 'v'.repeat(100);
    const first = Buffer.from([0x82, 0x40, ...str('x-big'), ...str(big), 0x40, ...str('x-after'), ...str('1'), 0x84]);
    const out: string[] = [];
    assert.throws(() => d.decode(first, 0, first.length, out, 100), HeaderListTooLarge);
    assert.deepEqual(out, [':method', 'GET'], 'nothing pushed past the limit');
    assert.deepEqual(d.dynamicTable(), ['x-after', '1', 'x-big', big]);
    // The next block refers to both entries the oversized one inserted.
    const second = Buffer.from([0xbf, 0xbe]);
    assert.deepEqual(decodeAll(d, second), ['x-big', big, 'x-after', '1']);
  });

  test('exactly at the limit is fine, one over is not', () => {
    const block = Buffer.from([0x82]); // 7 + 3 + 32 = 42
    assert.deepEqual((() => { const o: string[] = []; new HpackDecoder().decode(block, 0, 1, o, 42); return o; })(), [':method', 'GET']);
    assert.throws(() => new HpackDecoder().decode(block, 0, 1, [], 41), HeaderListTooLarge);
  });

  test('a malformed block is an HpackError even past the limit', () => {
    const block = Buffer.from([0x40, ...str('x-big'), ...str('v'.repeat(100)), 0x80]);
    assert.throws(() => new HpackDecoder().decode(block, 0, block.length, [], 10), HpackError);
  });
});

describe('HpackEncoder', () => {
  const enc = new HpackEncoder();

  test('static table matches are single octets', () => {
    assert.deepEqual([...enc.encode([':method', 'GET'])], [0x82]);
    assert.deepEqual([...enc.encode([':path', '/'])], [0x84]);
    assert.deepEqual([...enc.encode([':scheme', 'https'])], [0x87]);
    assert.deepEqual([...enc.encode(['accept-encoding', 'gzip, deflate'])], [0x90]);
    assert.equal(enc.encode([]).length, 0);
  });

  test('a static name is a literal without indexing with the name index, Huffman when shorter', () => {
    assert.equal(enc.encode(REQ1).toString('hex'), '828684018cf1e3c2e5f23a6ba0ab90f4ff');
    // content-type is index 31: 0000 1111 + 16.
    const b = enc.encode(['content-type', 'application/json']);
    assert.deepEqual([...b.subarray(0, 2)], [0x0f, 0x10]);
    // A string that Huffman would not shorten is sent raw.
    assert.deepEqual([...enc.encode([':path', '\x00'])], [0x04, 0x01, 0x00]);
  });

  test('a new name is a literal without indexing with the name as a string', () => {
    const b = enc.encode(['custom-key', 'custom-value']);
    assert.equal(b.toString('hex'), '008825a849e95ba97d7f8925a849e95bb8e8b4bf');
  });

  test('authorization, proxy-authorization, cookie and set-cookie are never indexed', () => {
    const auth = enc.encode(['authorization', 'Bearer abc']);
    assert.deepEqual([...auth.subarray(0, 2)], [0x1f, 23 - 15]);
    assert.equal(auth[0]! & 0xf0, 0x10);
    assert.deepEqual([...enc.encode(['cookie', 'a=b']).subarray(0, 2)], [0x1f, 32 - 15]);
    assert.deepEqual([...enc.encode(['proxy-authorization', 'x']).subarray(0, 2)], [0x1f, 49 - 15]);
    assert.deepEqual([...enc.encode(['set-cookie', 'x']).subarray(0, 2)], [0x1f, 55 - 15]);
    // Even an empty value, which matches a static entry, stays a never-indexed literal.
    assert.deepEqual([...enc.encode(['cookie', ''])], [0x1f, 0x11, 0x00]);
  });

  test('a typical request round-trips through the decoder, leaving its table empty', () => {
    const high = Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x80 + i)).join('');
    const fields = [
      ':method', 'GET', ':scheme', 'https', ':authority', 'api.example.com:8443', ':path', '/v1/items?q=a%20b&page=2',
      'user-agent', 'reqivo/0.1.0', 'accept', '*/*', 'authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc',
      'cookie', 'session=0123456789abcdef; theme=dark', 'x-empty', '', 'x-long', 'L'.repeat(300), 'x-latin1', high,
      'x-controls', '\x01\x7f\t', 'accept-encoding', 'gzip, deflate', 'x-mixed', 'MiXeD Case',
    ];
    const block = enc.encode(fields);
    const d = new HpackDecoder();
    assert.deepEqual(decodeAll(d, block), fields);
    assert.deepEqual(d.dynamicTable(), []);
    assert.equal(block.indexOf(Buffer.from('Bearer')), -1, 'Huffman-coded, not raw');
    assert.deepEqual(enc.encode(fields), block, 'the same fields give the same bytes');
    // Integers past one octet: the 300-octet value and a 200-octet name.
    const long = ['x-' + 'n'.repeat(198), 'v'.repeat(5000)];
    assert.deepEqual(decodeAll(new HpackDecoder(), enc.encode(long)), long);
  });

  test('a large field list grows the encoder buffer and stays correct', () => {
    const fields: string[] = [];
    for (let i = 0; i < 200; i++) fields.push(`x-field-${i}`, 'value-'.repeat(i));
    assert.deepEqual(decodeAll(new HpackDecoder(), enc.encode(fields)), fields);
    assert.deepEqual([...enc.encode([':method', 'GET'])], [0x82]);
  });
});
