/**
 * FrameReader and headersFrames (src/http2/frames.ts) on their own: the
 * reader must report the same frames however the socket splits the bytes
 * (whole, cut at every offset, byte by byte, in random pieces), hand DATA
 * over as pieces whose concatenation is the payload without padding while
 * onDataStart reports the whole payload (what flow control counts, RFC 9113
 * §6.9.1), and fail on the malformed frames of §4.2 and §6.1 with nothing
 * reported after the failure.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_MAX_FRAME, FrameReader, type FrameSink, headersFrames } from '../../src/http2/frames.js';
import { dataFrame, paddedDataFrame, pingFrame, rawFrame, settingsFrame } from '../helpers/h2-raw.js';
import { seededBytes } from '../helpers/servers.js';

const DATA = 0x0;
const HEADERS = 0x1;
const SETTINGS = 0x4;
const PING = 0x6;
const CONTINUATION = 0x9;
const UNKNOWN = 0xfa;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;

/** What the reader reported, with a DATA frame's pieces joined into one `data` event. */
type Event =
  | { kind: 'frame'; type: number; flags: number; stream: number; payload: string }
  | { kind: 'data'; flags: number; stream: number; length: number; payload: string; endFlags: number }
  | { kind: 'error'; code: number };

/** A FrameSink that records what it is told and checks the order of the DATA calls. */
class Recorder implements FrameSink {
  readonly events: Event[] = [];
  /** Calls made after an error or after onDataStart returned false: must stay 0. */
  late = 0;
  /** onDataStart answers this (false: the connection failed). */
  accept: (stream: number) => boolean = () => true;
  #open: { flags: number; stream: number; length: number; pieces: Buffer[] } | null = null;
  #stopped = false;

  onFrame(type: number, flags: number, stream: number, payload: Buffer): void {
    this.#check();
    assert.equal(this.#open, null, 'a whole frame inside a DATA frame');
    // The payload may share the socket chunk's memory: copy it now.
    this.events.push({ kind: 'frame', type, flags, stream, payload: payload.toString('hex') });
  }

  onDataStart(flags: number, stream: number, length: number): boolean {
    this.#check();
    assert.equal(this.#open, null, 'onDataStart inside a DATA frame');
    if (!this.accept(stream)) {
      this.#stopped = true;
      return false;
    }
    this.#open = { flags, stream, length, pieces: [] };
    return true;
  }

  onData(stream: number, piece: Buffer): void {
    this.#check();
    assert.ok(this.#open !== null, 'onData outside a DATA frame');
    assert.equal(stream, this.#open.stream);
    assert.ok(piece.length > 0, 'an empty DATA piece');
    this.#open.pieces.push(Buffer.from(piece));
  }

  onDataEnd(flags: number, stream: number): void {
    this.#check();
    const open = this.#open;
    assert.ok(open !== null, 'onDataEnd outside a DATA frame');
    assert.equal(stream, open.stream);
    this.#open = null;
    this.events.push({ kind: 'data', flags: open.flags, stream, length: open.length, payload: Buffer.concat(open.pieces).toString('hex'), endFlags: flags });
  }

  onFrameError(code: number, _message: string): void {
    this.#check();
    this.#stopped = true;
    this.events.push({ kind: 'error', code });
  }

  #check(): void {
    if (this.#stopped) this.late++;
  }
}

/** Feed `chunks` to a new reader; what it reported. */
function read(chunks: Buffer[], maxFrameSize = DEFAULT_MAX_FRAME, setup?: (r: Recorder) => void): Recorder {
  const rec = new Recorder();
  setup?.(rec);
  const reader = new FrameReader(rec, maxFrameSize);
  for (const c of chunks) reader.push(c);
  return rec;
}

/** `buf` cut at `offsets` (sorted). */
function cut(buf: Buffer, offsets: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const o of offsets) {
    out.push(buf.subarray(prev, o));
    prev = o;
  }
  out.push(buf.subarray(prev));
  return out;
}

/** A deterministic PRNG (xorshift32) for the random cuts. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/** A padded DATA frame whose padding octets are not zero (a reader must skip them, not read them). */
function noisyPaddedData(stream: number, payload: Buffer, pad: number, endStream = false): Buffer {
  const f = paddedDataFrame(stream, payload, pad, endStream);
  f.fill(0xee, f.length - pad);
  return f;
}

// The sequence every split must read the same way, with the events it must give.
const settingsPayload = Buffer.from([0x00, 0x04, 0x00, 0x10, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x64]);
const headersBlock = seededBytes(40, 1);
const body1 = seededBytes(100, 2);
const body2 = seededBytes(50, 3);
const body3 = seededBytes(10, 4);
const unknownPayload = seededBytes(33, 5);
const pingData = Buffer.from('0123abcd', 'latin1');
const headers3 = seededBytes(17, 6);
const body4 = seededBytes(700, 7);

const SEQUENCE = Buffer.concat([
  rawFrame(SETTINGS, 0, 0, settingsPayload),
  rawFrame(HEADERS, END_HEADERS, 1, headersBlock),
  dataFrame(1, body1),
  noisyPaddedData(1, body2, 20),
  pingFrame(pingData),
  rawFrame(UNKNOWN, 0xff, 1, unknownPayload),
  paddedDataFrame(1, body3, 0),
  // Pad Length = length - 1: no payload at all, only padding.
  noisyPaddedData(1, Buffer.alloc(0), 5),
  rawFrame(UNKNOWN, 0, 0, Buffer.alloc(0)),
  dataFrame(1, Buffer.alloc(0), true),
  rawFrame(SETTINGS, 0x1, 0, Buffer.alloc(0)),
  rawFrame(HEADERS, END_HEADERS, 3, headers3),
  noisyPaddedData(3, body4, 255, true),
]);

const EXPECTED: Event[] = [
  { kind: 'frame', type: SETTINGS, flags: 0, stream: 0, payload: settingsPayload.toString('hex') },
  { kind: 'frame', type: HEADERS, flags: END_HEADERS, stream: 1, payload: headersBlock.toString('hex') },
  { kind: 'data', flags: 0, stream: 1, length: 100, payload: body1.toString('hex'), endFlags: 0 },
  { kind: 'data', flags: PADDED, stream: 1, length: 1 + 50 + 20, payload: body2.toString('hex'), endFlags: PADDED },
  { kind: 'frame', type: PING, flags: 0, stream: 0, payload: pingData.toString('hex') },
  { kind: 'frame', type: UNKNOWN, flags: 0xff, stream: 1, payload: unknownPayload.toString('hex') },
  { kind: 'data', flags: PADDED, stream: 1, length: 1 + 10, payload: body3.toString('hex'), endFlags: PADDED },
  { kind: 'data', flags: PADDED, stream: 1, length: 1 + 5, payload: '', endFlags: PADDED },
  { kind: 'frame', type: UNKNOWN, flags: 0, stream: 0, payload: '' },
  { kind: 'data', flags: END_STREAM, stream: 1, length: 0, payload: '', endFlags: END_STREAM },
  { kind: 'frame', type: SETTINGS, flags: 0x1, stream: 0, payload: '' },
  { kind: 'frame', type: HEADERS, flags: END_HEADERS, stream: 3, payload: headers3.toString('hex') },
  { kind: 'data', flags: PADDED | END_STREAM, stream: 3, length: 1 + 700 + 255, payload: body4.toString('hex'), endFlags: PADDED | END_STREAM },
];

describe('FrameReader: the same frames however the bytes are split', () => {
  test('fed whole', () => {
    const rec = read([SEQUENCE]);
    assert.deepEqual(rec.events, EXPECTED);
    assert.equal(rec.late, 0);
  });

  test('split in two at every byte offset', () => {
    for (let i = 0; i <= SEQUENCE.length; i++) {
      const rec = read(cut(SEQUENCE, [i]));
      assert.deepEqual(rec.events, EXPECTED, `split at ${i}`);
    }
  });

  test('split in three at every pair of offsets near the frame boundaries of the padded frames', () => {
    // Every cut pair within the first padded DATA frame and the frames around it (an exhaustive pairwise run of the whole sequence is quadratic).
    const start = 9 + settingsPayload.length + 9 + headersBlock.length + 9 + body1.length - 4;
    const end = start + 4 + 9 + 1 + 50 + 20 + 9 + 8 + 4;
    for (let i = start; i < end; i++) {
      for (let j = i; j < end; j++) {
        const rec = read(cut(SEQUENCE, [i, j]));
        assert.deepEqual(rec.events, EXPECTED, `split at ${i}, ${j}`);
      }
    }
  });

  test('byte by byte, with empty chunks between the bytes', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < SEQUENCE.length; i++) chunks.push(SEQUENCE.subarray(i, i + 1), Buffer.alloc(0));
    const rec = read(chunks);
    assert.deepEqual(rec.events, EXPECTED);
  });

  test('in 500 random chunkings', () => {
    const rnd = prng(0x5eed);
    for (let round = 0; round < 500; round++) {
      const offsets = new Set<number>();
      const n = 1 + Math.floor(rnd() * 40);
      for (let k = 0; k < n; k++) offsets.add(Math.floor(rnd() * SEQUENCE.length));
      const sorted = [...offsets].sort((a, b) => a - b);
      const rec = read(cut(SEQUENCE, sorted));
      assert.deepEqual(rec.events, EXPECTED, `cuts ${sorted.join(',')}`);
    }
  });

  test('a DATA frame of exactly SETTINGS_MAX_FRAME_SIZE octets, and a padded one, byte by byte and whole', () => {
    const big = seededBytes(DEFAULT_MAX_FRAME, 9);
    const padded = seededBytes(DEFAULT_MAX_FRAME - 1 - 255, 10);
    const seq = Buffer.concat([dataFrame(5, big), noisyPaddedData(5, padded, 255, true)]);
    const expected: Event[] = [
      { kind: 'data', flags: 0, stream: 5, length: DEFAULT_MAX_FRAME, payload: big.toString('hex'), endFlags: 0 },
      { kind: 'data', flags: PADDED | END_STREAM, stream: 5, length: DEFAULT_MAX_FRAME, payload: padded.toString('hex'), endFlags: PADDED | END_STREAM },
    ];
    assert.deepEqual(read([seq]).events, expected);
    const chunks: Buffer[] = [];
    for (let i = 0; i < seq.length; i++) chunks.push(seq.subarray(i, i + 1));
    assert.deepEqual(read(chunks).events, expected);
  });

  test('DATA pieces share the chunk they came in (no copy of a frame split over reads)', () => {
    const payload = seededBytes(3000, 11);
    const frame = dataFrame(1, payload);
    const pieces: Buffer[] = [];
    const reader = new FrameReader({
      onFrame: () => assert.fail('no other frame'),
      onDataStart: () => true,
      onData: (_s, p) => pieces.push(p),
      onDataEnd: () => {},
      onFrameError: () => assert.fail('no error'),
    });
    const second = frame.subarray(1000);
    reader.push(frame.subarray(0, 1000));
    reader.push(second);
    assert.equal(Buffer.concat(pieces).toString('hex'), payload.toString('hex'));
    assert.equal(pieces.length, 2);
    assert.equal(pieces[1]!.buffer, second.buffer, 'the second piece is a view of the second chunk');
  });
});

describe('FrameReader: malformed frames are connection errors, and nothing is read after them', () => {
  const settings = settingsFrame([]);
  const after = Buffer.concat([pingFrame(Buffer.alloc(8)), dataFrame(1, 'after')]);

  function failsWith(frames: Buffer, code: number, what: string, maxFrameSize = DEFAULT_MAX_FRAME): void {
    const all = Buffer.concat([settings, frames, after]);
    const expected: Event[] = [{ kind: 'frame', type: SETTINGS, flags: 0, stream: 0, payload: '' }, { kind: 'error', code }];
    const splits: Array<[string, Buffer[]]> = [['whole', [all]]];
    for (let i = 1; i < all.length; i++) splits.push([`split at ${i}`, cut(all, [i])]);
    const bytewise: Buffer[] = [];
    for (let i = 0; i < all.length; i++) bytewise.push(all.subarray(i, i + 1));
    splits.push(['byte by byte', bytewise]);
    for (const [how, chunks] of splits) {
      const rec = read(chunks, maxFrameSize);
      assert.deepEqual(rec.events, expected, `${what}, ${how}`);
      assert.equal(rec.late, 0, `${what}, ${how}: calls after the error`);
    }
  }

  test('a DATA frame over maxFrameSize: FRAME_SIZE_ERROR (6)', () => {
    failsWith(dataFrame(1, seededBytes(DEFAULT_MAX_FRAME + 1, 12)), 6, 'DATA of 16385');
  });

  test('a HEADERS and an unknown frame over maxFrameSize: FRAME_SIZE_ERROR (6), judged from the head alone', () => {
    failsWith(rawFrame(HEADERS, END_HEADERS, 1, seededBytes(DEFAULT_MAX_FRAME + 1, 13)), 6, 'HEADERS of 16385');
    // Only the 9-octet head of an oversized frame is needed to fail: a reader that waited for the payload would hang on a 16 MiB length.
    const head = rawFrame(UNKNOWN, 0, 0, Buffer.alloc(0));
    head.writeUIntBE(0xffffff, 0, 3);
    const rec = read([settings, head]);
    assert.deepEqual(rec.events.at(-1), { kind: 'error', code: 6 });
  });

  test('a larger maxFrameSize accepts the same frame', () => {
    const payload = seededBytes(DEFAULT_MAX_FRAME + 1, 12);
    const rec = read([dataFrame(1, payload)], DEFAULT_MAX_FRAME + 1);
    assert.deepEqual(rec.events, [{ kind: 'data', flags: 0, stream: 1, length: payload.length, payload: payload.toString('hex'), endFlags: 0 }]);
  });

  test('padded DATA whose Pad Length is the frame length or more: PROTOCOL_ERROR (1)', () => {
    for (const [len, pad] of [
      [1, 1],
      [5, 5],
      [5, 6],
      [5, 255],
      [255, 255],
      [200, 255],
    ] as const) {
      const f = rawFrame(DATA, PADDED, 1, Buffer.alloc(len));
      f[9] = pad;
      failsWith(f, 1, `length ${len}, Pad Length ${pad}`);
    }
  });

  test('padded DATA whose Pad Length is the frame length - 1 is valid (an empty payload)', () => {
    const f = rawFrame(DATA, PADDED | END_STREAM, 1, Buffer.alloc(256));
    f[9] = 255;
    assert.deepEqual(read([f]).events, [{ kind: 'data', flags: PADDED | END_STREAM, stream: 1, length: 256, payload: '', endFlags: PADDED | END_STREAM }]);
  });

  test('PADDED DATA of length 0 (no room for the Pad Length): FRAME_SIZE_ERROR (6)', () => {
    failsWith(rawFrame(DATA, PADDED, 1, Buffer.alloc(0)), 6, 'PADDED DATA of length 0');
  });

  test('a sink answering false to onDataStart stops the reader: nothing of that frame or later', () => {
    const seq = Buffer.concat([dataFrame(1, 'first'), dataFrame(3, 'refused'), pingFrame(Buffer.alloc(8)), dataFrame(1, 'later')]);
    const setup = (r: Recorder): void => {
      r.accept = (stream) => stream !== 3;
    };
    const expected: Event[] = [{ kind: 'data', flags: 0, stream: 1, length: 5, payload: Buffer.from('first').toString('hex'), endFlags: 0 }];
    for (let i = 0; i <= seq.length; i++) {
      const rec = read(cut(seq, [i]), DEFAULT_MAX_FRAME, setup);
      assert.deepEqual(rec.events, expected, `split at ${i}`);
      assert.equal(rec.late, 0, `split at ${i}: calls after onDataStart returned false`);
    }
  });

  test('kill(): bytes after it are ignored, even mid-frame', () => {
    const rec = new Recorder();
    const reader = new FrameReader(rec);
    const f = dataFrame(1, seededBytes(100, 14));
    reader.push(f.subarray(0, 50));
    reader.kill();
    reader.push(f.subarray(50));
    reader.push(pingFrame(Buffer.alloc(8)));
    assert.deepEqual(rec.events, []);
  });
});

describe('headersFrames(): a header block as HEADERS + CONTINUATION', () => {
  /** Read frames of `buf` (any size) into [type, flags, stream, payload]. */
  function frames(buf: Buffer, maxFrame: number): Array<{ type: number; flags: number; stream: number; payload: Buffer }> {
    const out: Array<{ type: number; flags: number; stream: number; payload: Buffer }> = [];
    const reader = new FrameReader(
      {
        onFrame: (type, flags, stream, payload) => out.push({ type, flags, stream, payload: Buffer.from(payload) }),
        onDataStart: () => assert.fail('no DATA'),
        onData: () => {},
        onDataEnd: () => {},
        onFrameError: (code, m) => assert.fail(`frame error ${code}: ${m}`),
      },
      maxFrame,
    );
    reader.push(buf);
    return out;
  }

  for (const endStream of [true, false]) {
    for (const prefix of [Buffer.from([0x20]), null]) {
      test(`a block larger than maxFrame, endStream ${endStream}, ${prefix === null ? 'no prefix' : 'a table size update prefix'}`, () => {
        const maxFrame = DEFAULT_MAX_FRAME;
        const block = seededBytes(3 * maxFrame + 123, 15);
        const out = frames(headersFrames(7, prefix, block, endStream, maxFrame), maxFrame);
        assert.equal(out.length, 4);
        out.forEach((f, i) => {
          assert.equal(f.type, i === 0 ? HEADERS : CONTINUATION, `frame ${i} type`);
          assert.equal(f.stream, 7);
          assert.ok(f.payload.length <= maxFrame, `frame ${i} of ${f.payload.length}`);
          assert.equal((f.flags & END_HEADERS) !== 0, i === out.length - 1, `END_HEADERS on frame ${i}`);
          assert.equal((f.flags & END_STREAM) !== 0, i === 0 && endStream, `END_STREAM on frame ${i}`);
          assert.equal(f.flags & ~(END_HEADERS | END_STREAM), 0, `frame ${i}: no other flag`);
        });
        const expected = prefix === null ? block : Buffer.concat([prefix, block]);
        assert.ok(Buffer.concat(out.map((f) => f.payload)).equals(expected), 'reassembled block');
      });
    }
  }

  test('sizes at the edge: exactly maxFrame is one frame, one octet more is two; a small maxFrame gives many', () => {
    const prefix = Buffer.from([0x20]);
    const one = frames(headersFrames(1, prefix, seededBytes(DEFAULT_MAX_FRAME - 1, 16), true, DEFAULT_MAX_FRAME), DEFAULT_MAX_FRAME);
    assert.equal(one.length, 1);
    assert.equal(one[0]!.flags, END_HEADERS | END_STREAM);
    assert.equal(one[0]!.payload.length, DEFAULT_MAX_FRAME);
    const block = seededBytes(DEFAULT_MAX_FRAME, 17);
    const two = frames(headersFrames(1, prefix, block, true, DEFAULT_MAX_FRAME), DEFAULT_MAX_FRAME);
    assert.deepEqual(
      two.map((f) => [f.type, f.flags, f.payload.length]),
      [
        [HEADERS, END_STREAM, DEFAULT_MAX_FRAME],
        [CONTINUATION, END_HEADERS, 1],
      ],
    );
    assert.ok(Buffer.concat(two.map((f) => f.payload)).equals(Buffer.concat([prefix, block])));
    const many = frames(headersFrames(3, null, seededBytes(1000, 18), false, 100), 100);
    assert.equal(many.length, 10);
    assert.ok(many.every((f, i) => f.payload.length === 100 && (f.flags === (i === 9 ? END_HEADERS : 0))));
  });
});
