/**
 * Fuzz targets of our HTTP/2: `hpack` (src/http2/hpack.ts) and `h2-frames`
 * (the FrameReader of src/http2/frames.ts).
 *
 * hpack: random header lists (names and values over all 256 octets, empty
 * ones, long ones, static-table names) encoded and decoded back exactly; the
 * encoded block then mutated and decoded by two fresh decoders: each either
 * throws HpackError / HeaderListTooLarge or gives a list of strings, and both
 * give the same outcome.
 *
 * h2-frames: a random sequence of frames (DATA padded or not, HEADERS,
 * SETTINGS, PING, unknown types) fed whole and split at random points gives
 * the same events; mutated bytes never throw out of the reader: they give
 * frames or one onFrameError, and nothing after the error.
 * @module
 */
import assert from 'node:assert/strict';
import { FrameReader, type FrameSink, writeFrameHead } from '../../src/http2/frames.js';
import { HeaderListTooLarge, HpackDecoder, HpackEncoder, HpackError } from '../../src/http2/hpack.js';
import { type Target, withInput } from '../engine.js';
import { mutate } from '../mutate.js';
import type { Rng } from '../prng.js';

const NAMES = [':status', ':path', 'content-type', 'content-length', 'date', 'set-cookie', 'cookie', 'authorization', 'accept-encoding', 'x-custom', 'etag', 'location'];

function octets(rng: Rng, max: number): string {
  let s = '';
  for (let n = rng.size(max); n > 0; n--) s += String.fromCharCode(rng.chance(0.8) ? rng.range(0x20, 0x7e) : rng.int(256));
  return s;
}

function fields(rng: Rng): string[] {
  const out: string[] = [];
  for (let n = rng.int(20); n > 0; n--) out.push(rng.chance(0.5) ? rng.pick(NAMES) : octets(rng, 30).toLowerCase(), rng.chance(0.05) ? octets(rng, 5000) : octets(rng, 60));
  return out;
}

function outcome(block: Buffer, max: number): string {
  const out: string[] = [];
  try {
    new HpackDecoder(256).decode(block, 0, block.length, out, max);
  } catch (err) {
    if (err instanceof HpackError) return 'HpackError';
    if (err instanceof HeaderListTooLarge) return 'HeaderListTooLarge';
    throw err;
  }
  for (const s of out) assert.equal(typeof s, 'string');
  assert.equal(out.length % 2, 0, 'name, value pairs');
  return JSON.stringify(out);
}

/** The HPACK codec target. */
export const hpack: Target = {
  name: 'hpack',
  one(rng) {
    const list = fields(rng);
    const block = new HpackEncoder().encode(list);
    withInput(block, () => {
      const back: string[] = [];
      new HpackDecoder().decode(block, 0, block.length, back, Number.POSITIVE_INFINITY);
      assert.deepEqual(back, list, 'encode then decode gives the fields back');
    });
    const bad = rng.chance(0.3) ? rng.bytes(rng.size(200)) : mutate(rng, block, null, 4);
    const max = rng.chance(0.5) ? Number.POSITIVE_INFINITY : rng.range(32, 4000);
    withInput(bad, () => assert.equal(outcome(bad, max), outcome(bad, max), 'the same block, the same outcome'));
  },
};

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(9 + payload.length);
  writeFrameHead(b, 0, payload.length, type, flags, stream);
  payload.copy(b, 9);
  return b;
}

function frames(rng: Rng): Buffer {
  const out: Buffer[] = [];
  for (let n = 1 + rng.int(8); n > 0; n--) {
    const stream = rng.chance(0.8) ? 1 + 2 * rng.int(4) : 0;
    switch (rng.int(5)) {
      case 0: {
        const data = rng.bytes(rng.size(3000));
        if (rng.chance(0.5)) {
          const pad = rng.int(256);
          out.push(frame(0, 0x8 | (rng.chance(0.3) ? 1 : 0), stream, Buffer.concat([Buffer.from([pad]), data, Buffer.alloc(pad)])));
        } else out.push(frame(0, rng.chance(0.3) ? 1 : 0, stream, data));
        break;
      }
      case 1:
        out.push(frame(1, 0x4, stream, rng.bytes(rng.size(100))));
        break;
      case 2:
        out.push(frame(4, 0, 0, rng.bytes(6 * rng.int(4))));
        break;
      case 3:
        out.push(frame(6, 0, 0, rng.bytes(8)));
        break;
      default:
        out.push(frame(0x10 + rng.int(0xe0), rng.int(256), stream, rng.bytes(rng.size(50))));
    }
  }
  return Buffer.concat(out);
}

/** Events of a FrameReader fed `bytes` in the pieces `cuts` give, DATA pieces joined per frame. */
function events(bytes: Buffer, cuts: readonly number[]): string[] {
  const log: string[] = [];
  let data: Buffer[] = [];
  let failed = false;
  const sink: FrameSink = {
    onFrame: (type, flags, stream, payload) => {
      assert.ok(!failed, 'nothing after an error');
      log.push(`frame ${type} ${flags} ${stream} ${payload.toString('hex')}`);
    },
    onDataStart: (flags, stream, length) => {
      assert.ok(!failed, 'nothing after an error');
      data = [];
      log.push(`data ${flags} ${stream} ${length}`);
      return true;
    },
    onData: (_stream, piece) => {
      assert.ok(piece.length > 0, 'no empty DATA piece');
      data.push(piece);
    },
    onDataEnd: (flags, stream) => log.push(`end ${flags} ${stream} ${Buffer.concat(data).toString('hex')}`),
    onFrameError: (code, message) => {
      assert.ok(!failed, 'one error');
      assert.equal(typeof message, 'string');
      failed = true;
      log.push(`error ${code}`);
    },
  };
  const r = new FrameReader(sink, 16384);
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    r.push(bytes.subarray(at, c));
    at = c;
  }
  return log;
}

/** The frame reader target. */
export const h2Frames: Target = {
  name: 'h2-frames',
  one(rng) {
    let bytes = frames(rng);
    if (rng.chance(0.4)) bytes = mutate(rng, bytes, null, 3);
    withInput(bytes, () => {
      const whole = events(bytes, []);
      assert.deepEqual(events(bytes, rng.splits(bytes.length, 12)), whole, 'the same events however the bytes are split');
    });
  },
};
