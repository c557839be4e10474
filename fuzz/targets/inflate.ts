/**
 * Fuzz target: the permessage-deflate inflater (src/websocket/deflate.ts).
 *
 * A message is compressed (raw deflate, sync-flushed, the 00 00 ff ff tail
 * cut as RFC 7692 §7.2.1 says), cut into frames, half of them mutated, and
 * inflated frame by frame through PerMessageDeflate. Invariants: every
 * callback error is a WebSocketError with close code 1007 or 1009, nothing
 * throws; two different frame cuts give the same output, or both fail; the output never
 * exceeds maxMessageBytes; an unmutated message inflates to its original.
 * @module
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { WebSocketError } from '../../src/errors.js';
import { PerMessageDeflate } from '../../src/websocket/deflate.js';
import { normalizeDeflateOptions } from '../../src/websocket/negotiate.js';
import { splitAt } from '../../test/http1/parser-harness.js';
import { type Target, withInputAsync } from '../engine.js';
import { mutate } from '../mutate.js';
import type { Rng } from '../prng.js';

const OPTIONS = normalizeDeflateOptions(true)!;
const PARAMS = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

/** Inflate `frames` as one message; resolves to the output, or `error <code>`. */
function inflate(frames: Uint8Array[], maxMessageBytes: number): Promise<string> {
  const pmd = new PerMessageDeflate(PARAMS, OPTIONS, maxMessageBytes);
  const out: Buffer[] = [];
  return new Promise<string>((resolve, reject) => {
    const next = (i: number): void => {
      const f = frames[i]!;
      const fin = i === frames.length - 1;
      pmd.decompress(Buffer.from(f.buffer, f.byteOffset, f.byteLength), fin, (err, chunks, bytes) => {
        try {
          if (err !== null) {
            assert.ok(err instanceof WebSocketError && (err.code === 1007 || err.code === 1009), `typed inflate error (${err.message})`);
            resolve(`error ${err.code}`);
            return;
          }
          let n = 0;
          for (const c of chunks) n += c.length;
          assert.equal(n, bytes, 'reported byte count');
          out.push(...chunks);
          const total = out.reduce((s, c) => s + c.length, 0);
          assert.ok(total <= maxMessageBytes, 'output within maxMessageBytes');
          if (fin) resolve(Buffer.concat(out).toString('hex'));
          else next(i + 1);
        } catch (e) {
          reject(e as Error);
        }
      });
    };
    next(0);
  }).finally(() => pmd.close(new WebSocketError('fuzz run over')));
}

function compress(rng: Rng, message: Buffer): Buffer {
  const level = rng.range(0, 9);
  const z = zlib.deflateRawSync(message, { level, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return z.subarray(0, z.length - 4);
}

function message(rng: Rng): Buffer {
  const n = rng.size(20000);
  // Repetitive text compresses well (long back-references); random bytes do not.
  if (rng.chance(0.5)) return rng.bytes(n);
  const words = ['reqivo ', 'deflate ', 'frame ', '{"a":1} ', '\u00e9t\u00e9 '];
  let s = '';
  while (s.length < n) s += rng.pick(words);
  return Buffer.from(s.slice(0, n));
}

/** The permessage-deflate inflater target. */
export const inflateTarget: Target = {
  name: 'inflate',
  async one(rng) {
    const original = message(rng);
    let data = compress(rng, original);
    const mutated = rng.chance(0.5);
    if (mutated) data = mutate(rng, data, null, 3);
    const max = rng.chance(0.2) ? rng.int(original.length + 1) : 1 << 24;
    await withInputAsync(data, async () => {
      const a = await inflate(splitAt(data, rng.splits(data.length, 4)), max);
      const b = await inflate(splitAt(data, rng.splits(data.length, 4)), max);
      // A corrupt message that also inflates past the limit may fail either way first (1007 or 1009), depending on the cuts.
      if (a.startsWith('error') && b.startsWith('error')) return;
      assert.equal(a, b, 'the same result whatever the frame cuts');
      if (!mutated) assert.equal(a, original.length > max ? 'error 1009' : original.toString('hex'), 'an unmutated message inflates to its original');
    });
  },
};
