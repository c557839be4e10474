import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketError } from '../../src/errors.js';
import { compressedFrameLimit, FrameParser } from '../../src/websocket/frame.js';
import { feedSplit, newParser, rawFrame } from './frames.js';

function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Assert that parsing `frame` (fed whole, then byte by byte) fails with `code`. */
function assertRejects(frame: Buffer, code: number, match: RegExp, setup: Parameters<typeof newParser>[0] = {}): void {
  for (const step of [frame.length, 1]) {
    const { parser } = newParser(setup);
    assert.throws(
      () => {
        for (let i = 0; i < frame.length; i += step) parser.execute(frame.subarray(i, i + step));
      },
      (err: unknown) => err instanceof WebSocketError && err.code === code && match.test(err.message),
      `step ${step}`,
    );
  }
}

describe('FrameParser: frame shapes', () => {
  const lengths = [0, 1, 2, 3, 4, 5, 100, 125, 126, 127, 200, 65535, 65536, 70000, 1 << 20];
  for (const len of lengths) {
    test(`binary frame of ${len} bytes (minimal length encoding)`, () => {
      const payload = bytes(len, len + 1);
      const { parser, rec } = newParser();
      assert.equal(parser.execute(rawFrame(2, payload)), rawFrame(2, payload).length);
      assert.equal(rec.events.length, 1);
      const e = rec.events[0]!;
      assert.equal(e.kind, 'data');
      assert.deepEqual(e, { kind: 'data', opcode: 2, fin: true, compressed: false, payload });
    });
  }

  test('non-minimal length encodings are accepted (16-bit and 64-bit forms of small lengths)', () => {
    for (const bits of [16, 64] as const) {
      const { parser, rec } = newParser();
      parser.execute(rawFrame(1, 'hi', { lengthBits: bits }));
      assert.deepEqual(rec.events, [{ kind: 'data', opcode: 1, fin: true, compressed: false, payload: Buffer.from('hi') }]);
    }
  });

  test('text, binary, close, ping and pong opcodes', () => {
    const { parser, rec } = newParser();
    parser.execute(
      Buffer.concat([rawFrame(1, 'text'), rawFrame(2, Buffer.from([1, 2])), rawFrame(9, 'p'), rawFrame(10, 'q'), rawFrame(8, Buffer.from([3, 232]))]),
    );
    assert.deepEqual(
      rec.events.map((e) => [e.kind, e.opcode, e.payload.toString('hex')]),
      [
        ['data', 1, Buffer.from('text').toString('hex')],
        ['data', 2, '0102'],
        ['control', 9, Buffer.from('p').toString('hex')],
        ['control', 10, Buffer.from('q').toString('hex')],
        ['control', 8, '03e8'],
      ],
    );
  });

  test('control frames of 0 and 125 bytes', () => {
    for (const n of [0, 125]) {
      const { parser, rec } = newParser();
      parser.execute(rawFrame(9, bytes(n)));
      assert.equal(rec.events[0]!.payload.length, n);
    }
  });

  test('fragmented message: continuations carry the message opcode, controls may interleave', () => {
    const { parser, rec } = newParser();
    parser.execute(
      Buffer.concat([rawFrame(1, 'ab', { fin: false }), rawFrame(9, 'x'), rawFrame(0, '', { fin: false }), rawFrame(0, 'cd', { fin: false }), rawFrame(10), rawFrame(0, 'e')]),
    );
    assert.deepEqual(
      rec.events.map((e) => (e.kind === 'data' ? `d${e.opcode}${e.fin ? 'F' : '-'}:${e.payload}` : `c${e.opcode}:${e.payload}`)),
      ['d1-:ab', 'c9:x', 'd1-:', 'd1-:cd', 'c10:', 'd1F:e'],
    );
    assert.equal(parser.inMessage, false);
    // A new message may start after the FIN.
    parser.execute(rawFrame(2, 'z'));
    assert.equal(rec.events.length, 7);
  });

  test('RSV1 marks a compressed message when an extension allows it; continuations report it', () => {
    const { parser, rec } = newParser({ rsv1Allowed: true });
    parser.execute(Buffer.concat([rawFrame(1, 'a', { rsv1: true, fin: false }), rawFrame(0, 'b'), rawFrame(2, 'c')]));
    assert.deepEqual(
      rec.events.map((e) => (e.kind === 'data' ? e.compressed : null)),
      [true, true, false],
    );
  });

  test('a zero-length frame is delivered as soon as its header is complete', () => {
    const { parser, rec } = newParser();
    const f = rawFrame(2, '', { lengthBits: 64 });
    for (let i = 0; i < f.length - 1; i++) parser.execute(f.subarray(i, i + 1));
    assert.equal(rec.events.length, 0);
    parser.execute(f.subarray(f.length - 1));
    assert.equal(rec.events.length, 1);
    assert.equal(rec.events[0]!.payload.length, 0);
  });

  test('a payload wholly inside one chunk is handed out as a view (no copy)', () => {
    let seen: Buffer | null = null;
    const parser = new FrameParser(
      {
        onDataFrame(_o, _f, _c, p) {
          seen = p;
        },
        onControlFrame() {},
      },
      { maxFrameBytes: 1e6, maxMessageBytes: 1e6 },
    );
    const buf = rawFrame(2, bytes(300));
    parser.execute(buf);
    assert.ok(seen !== null);
    assert.equal((seen as Buffer).buffer, buf.buffer);
  });

  test('pausing: execute() stops after the frame whose handler set paused, and resumes from there', () => {
    const frames = Buffer.concat([rawFrame(1, 'one'), rawFrame(1, 'two'), rawFrame(1, 'three')]);
    const got: string[] = [];
    const parser: FrameParser = new FrameParser(
      {
        onDataFrame(_o, _f, _c, p) {
          got.push(p.toString());
          parser.paused = true;
        },
        onControlFrame() {},
      },
      { maxFrameBytes: 100, maxMessageBytes: 100 },
    );
    let rest = frames;
    let rounds = 0;
    while (rest.length > 0 && rounds++ < 10) {
      parser.paused = false;
      const n = parser.execute(rest);
      assert.ok(n > 0);
      rest = rest.subarray(n);
    }
    assert.deepEqual(got, ['one', 'two', 'three']);
  });
});

describe('FrameParser: text bytes before the frame ends (onTextBytes)', () => {
  function withTextBytes(o: { expectMasked?: boolean; rsv1Allowed?: boolean } = {}) {
    const early: Buffer[] = [];
    const frames: Array<[number, boolean, number, Buffer]> = [];
    const parser = new FrameParser(
      {
        onDataFrame: (opcode, fin, _c, payload, n) => frames.push([opcode, fin, n, Buffer.from(payload)]),
        onControlFrame: () => {},
        onTextBytes: (chunk) => early.push(Buffer.from(chunk)),
      },
      { maxFrameBytes: 1 << 20, maxMessageBytes: 1 << 20, expectMasked: o.expectMasked },
    );
    parser.rsv1Allowed = o.rsv1Allowed ?? false;
    return { parser, early, frames };
  }

  test('a text frame cut across reads hands out its bytes so far; the frame then says how many', () => {
    const { parser, early, frames } = withTextBytes();
    const f = rawFrame(1, 'abcdefgh');
    feedSplit(parser, f, [1, 4, 7]);
    assert.deepEqual(early.map((b) => b.toString()), ['ab', 'cde']);
    assert.deepEqual(frames, [[1, true, 5, Buffer.from('abcdefgh')]]);
    // A continuation of a text message too; a frame whole in one read hands out nothing early.
    const g = Buffer.concat([rawFrame(1, 'xy', { fin: false }), rawFrame(0, 'zzzz')]);
    feedSplit(parser, g, [8]);
    assert.deepEqual(early.map((b) => b.toString()), ['ab', 'cde', 'zz']);
    assert.deepEqual(frames.slice(1), [
      [1, false, 0, Buffer.from('xy')],
      [1, true, 2, Buffer.from('zzzz')],
    ]);
  });

  test('not for binary, compressed, masked or control frames', () => {
    const cases: Array<[Buffer, { expectMasked?: boolean; rsv1Allowed?: boolean }]> = [
      [rawFrame(2, 'abcdefgh'), {}],
      [rawFrame(1, 'abcdefgh', { rsv1: true }), { rsv1Allowed: true }],
      [rawFrame(1, 'abcdefgh', { mask: new Uint8Array([1, 2, 3, 4]) }), { expectMasked: true }],
      [Buffer.concat([rawFrame(1, 'a', { fin: false }), rawFrame(9, 'abcdefgh'), rawFrame(0, 'b')]), {}],
    ];
    for (const [bytes, o] of cases) {
      const { parser, early, frames } = withTextBytes(o);
      for (let i = 0; i < bytes.length; i++) assert.equal(parser.execute(bytes.subarray(i, i + 1)), 1);
      assert.deepEqual(early, []);
      assert.ok(frames.length >= 1 && frames.every((f) => f[2] === 0));
    }
  });
});

describe('FrameParser: split at every byte', () => {
  const stream = Buffer.concat([
    rawFrame(1, 'héllo wörld'),
    rawFrame(2, bytes(126, 7)),
    rawFrame(9, 'ping!'),
    rawFrame(2, bytes(0)),
    rawFrame(1, 'frag-', { fin: false }),
    rawFrame(10, ''),
    rawFrame(0, 'ment'),
    rawFrame(2, bytes(300, 9), { lengthBits: 64 }),
    rawFrame(2, bytes(70000, 3)),
    rawFrame(8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')])),
  ]);
  const reference = (() => {
    const { parser, rec } = newParser();
    parser.execute(stream);
    return rec.events;
  })();

  test('reference parse sees every frame', () => {
    assert.equal(reference.length, 10);
  });

  test('two pieces, cut at every offset', () => {
    // The long frame makes every cut expensive; cut everywhere in the first
    // 700 bytes and in the last 100, and every 97 bytes in between.
    const cuts: number[] = [];
    for (let i = 1; i < stream.length; i++) if (i < 700 || i > stream.length - 100 || i % 97 === 0) cuts.push(i);
    for (const c of cuts) {
      const { parser, rec } = newParser();
      feedSplit(parser, stream, [c]);
      assert.deepEqual(rec.events, reference, `cut at ${c}`);
    }
  });

  test('three pieces, every pair of cuts over the small frames', () => {
    const small = Buffer.concat([rawFrame(1, 'ab'), rawFrame(2, bytes(130, 2)), rawFrame(9, 'x'), rawFrame(1, 'c', { fin: false }), rawFrame(0, 'd')]);
    const { parser: p0, rec: r0 } = newParser();
    p0.execute(small);
    for (let a = 1; a < small.length; a++) {
      for (let b = a + 1; b < small.length; b++) {
        const { parser, rec } = newParser();
        feedSplit(parser, small, [a, b]);
        assert.deepEqual(rec.events, r0.events, `cuts at ${a}, ${b}`);
      }
    }
  });

  test('one byte at a time', () => {
    const { parser, rec } = newParser();
    for (let i = 0; i < stream.length; i++) parser.execute(stream.subarray(i, i + 1));
    assert.deepEqual(rec.events, reference);
  });
});

describe('FrameParser: violations carry the close code', () => {
  test('RSV2 and RSV3 → 1002', () => {
    assertRejects(rawFrame(1, 'x', { rsv2: true }), 1002, /RSV2 or RSV3/);
    assertRejects(rawFrame(1, 'x', { rsv3: true }), 1002, /RSV2 or RSV3/);
    assertRejects(rawFrame(1, 'x', { rsv2: true }), 1002, /RSV2 or RSV3/, { rsv1Allowed: true });
  });

  test('RSV1 without a negotiated extension → 1002', () => {
    assertRejects(rawFrame(1, 'x', { rsv1: true }), 1002, /RSV1 set, and no extension/);
  });

  test('RSV1 on a continuation or a control frame → 1002 even with permessage-deflate', () => {
    assertRejects(Buffer.concat([rawFrame(1, 'a', { fin: false, rsv1: true }), rawFrame(0, 'b', { rsv1: true })]), 1002, /continuation frame has RSV1/, {
      rsv1Allowed: true,
    });
    assertRejects(rawFrame(9, '', { rsv1: true }), 1002, /control frame has RSV1/, { rsv1Allowed: true });
  });

  test('reserved opcodes 3–7 and 11–15 → 1002', () => {
    for (const op of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) assertRejects(rawFrame(op, 'x'), 1002, /reserved opcode/);
  });

  test('a masked frame from the server → 1002', () => {
    assertRejects(rawFrame(1, 'x', { mask: new Uint8Array([1, 2, 3, 4]) }), 1002, /masked/);
  });

  test('an unmasked frame when masks are expected (server view) → 1002', () => {
    assertRejects(rawFrame(1, 'x'), 1002, /unmasked/, { expectMasked: true });
  });

  test('control frame over 125 bytes → 1002 (also with a 16-bit length)', () => {
    assertRejects(rawFrame(9, bytes(126)), 1002, /control frame of 126 bytes/);
    assertRejects(rawFrame(10, bytes(10), { lengthBits: 16, declaredLength: 200 }), 1002, /control frame of 200 bytes/);
  });

  test('fragmented control frame → 1002', () => {
    for (const op of [8, 9, 10]) assertRejects(rawFrame(op, 'x', { fin: false }), 1002, /fragmented control frame/);
  });

  test('64-bit length with the most significant bit set → 1002', () => {
    assertRejects(rawFrame(2, '', { lengthBits: 64, declaredLength: 0x8000000000000000n }), 1002, /most significant bit/);
  });

  test('continuation without a message → 1002', () => {
    assertRejects(rawFrame(0, 'x'), 1002, /continuation frame without a message/);
  });

  test('new text/binary frame before the previous message ended → 1002', () => {
    assertRejects(Buffer.concat([rawFrame(1, 'a', { fin: false }), rawFrame(2, 'b')]), 1002, /before the previous message ended/);
  });

  test('frame over maxFrameBytes → 1009 from the header alone, before any payload byte', () => {
    const { parser, rec } = newParser({ maxFrameBytes: 1000 });
    const head = rawFrame(2, bytes(1001)).subarray(0, 4);
    assert.throws(() => parser.execute(head), (e: unknown) => e instanceof WebSocketError && e.code === 1009 && /maxFrameBytes \(1000\)/.test(e.message));
    assert.equal(rec.events.length, 0);
  });

  test('a frame of exactly maxFrameBytes passes', () => {
    const { parser, rec } = newParser({ maxFrameBytes: 1000 });
    parser.execute(rawFrame(2, bytes(1000)));
    assert.equal(rec.events.length, 1);
  });

  test('a compressed frame may exceed maxFrameBytes by DEFLATE growth: exactly at that limit passes, one over → 1009', () => {
    const limit = compressedFrameLimit(1000);
    assert.ok(limit > 1000 && limit < 1200, `limit ${limit}`);
    const ok = newParser({ maxFrameBytes: 1000, rsv1Allowed: true });
    ok.parser.execute(Buffer.concat([rawFrame(2, bytes(limit), { fin: false, rsv1: true }), rawFrame(0, bytes(limit))]));
    assert.equal(ok.rec.events.length, 2, 'the first frame and a continuation of the compressed message');
    const over = newParser({ maxFrameBytes: 1000, rsv1Allowed: true });
    assert.throws(
      () => over.parser.execute(rawFrame(2, bytes(limit + 1), { rsv1: true }).subarray(0, 4)),
      (e: unknown) => e instanceof WebSocketError && e.code === 1009 && /maxFrameBytes \(1000, compressed\)/.test(e.message),
    );
    const plain = newParser({ maxFrameBytes: 1000, rsv1Allowed: true });
    assert.throws(() => plain.parser.execute(rawFrame(2, bytes(1001)).subarray(0, 4)), (e: unknown) => e instanceof WebSocketError && e.code === 1009);
  });

  test('huge 64-bit lengths → 1009 (beyond 2^53 too)', () => {
    assertRejects(rawFrame(2, '', { lengthBits: 64, declaredLength: 2n ** 40n }), 1009, /exceeds maxFrameBytes/);
    assertRejects(rawFrame(2, '', { lengthBits: 64, declaredLength: 2n ** 62n }), 1009, /exceeds maxFrameBytes/);
  });

  test('message over maxMessageBytes across fragments → 1009 at the frame that crosses it', () => {
    const { parser, rec } = newParser({ maxFrameBytes: 100, maxMessageBytes: 250 });
    parser.execute(Buffer.concat([rawFrame(2, bytes(100), { fin: false }), rawFrame(0, bytes(100), { fin: false })]));
    assert.equal(rec.events.length, 2);
    assert.throws(
      () => parser.execute(rawFrame(0, bytes(100)).subarray(0, 2)),
      (e: unknown) => e instanceof WebSocketError && e.code === 1009 && /maxMessageBytes \(250\)/.test(e.message),
    );
  });

  test('control frames do not count toward the message size', () => {
    const { parser, rec } = newParser({ maxFrameBytes: 100, maxMessageBytes: 100 });
    parser.execute(Buffer.concat([rawFrame(2, bytes(50), { fin: false }), rawFrame(9, bytes(100)), rawFrame(0, bytes(50))]));
    assert.equal(rec.events.length, 3);
  });

  test('a compressed message is not limited by the parser (the inflated size is, by the caller)', () => {
    const { parser, rec } = newParser({ maxFrameBytes: 100, maxMessageBytes: 150, rsv1Allowed: true });
    parser.execute(Buffer.concat([rawFrame(2, bytes(100), { fin: false, rsv1: true }), rawFrame(0, bytes(100))]));
    assert.equal(rec.events.length, 2);
  });

  test('reset() forgets a partial frame and message', () => {
    const { parser, rec } = newParser();
    parser.execute(rawFrame(1, 'abc', { fin: false }));
    parser.execute(rawFrame(0, 'defgh').subarray(0, 3));
    assert.equal(parser.partial, true);
    parser.reset();
    assert.equal(parser.partial, false);
    assert.equal(parser.inMessage, false);
    parser.execute(rawFrame(2, 'z'));
    assert.equal(rec.events.at(-1)!.payload.toString(), 'z');
  });
});
