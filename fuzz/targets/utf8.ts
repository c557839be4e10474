/**
 * Fuzz target: the UTF-8 validator (src/websocket/utf8.ts). Inputs are
 * strings of code points (ASCII, 2-4 byte sequences, surrogates and
 * beyond-U+10FFFF encodings), half of them mutated. Invariants:
 * `isValidUtf8` and the incremental `Utf8Validator`, fed at random splits,
 * agree with `new TextDecoder('utf-8', { fatal: true })`.
 * @module
 */
import assert from 'node:assert/strict';
import { isValidUtf8, Utf8Validator } from '../../src/websocket/utf8.js';
import { splitAt } from '../../test/http1/parser-harness.js';
import { withInput, type Target } from '../engine.js';
import { mutate } from '../mutate.js';
import type { Rng } from '../prng.js';

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function reference(b: Uint8Array): boolean {
  try {
    fatal.decode(b);
    return true;
  } catch {
    return false;
  }
}

/** Encode code point `cp` the UTF-8 way, also where UTF-8 forbids it (surrogates, above U+10FFFF, overlong). */
function encode(cp: number, overlong: boolean): number[] {
  if (cp < 0x80 && !overlong) return [cp];
  if (cp < 0x800 && !(overlong && cp >= 0x80)) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | ((cp >> 18) & 0x07), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}

function generate(rng: Rng): Buffer {
  const out: number[] = [];
  for (let n = rng.size(200); n > 0; n--) {
    const r = rng.int(100);
    let cp: number;
    if (r < 50) cp = rng.int(0x80);
    else if (r < 70) cp = rng.range(0x80, 0x7ff);
    else if (r < 85) cp = rng.range(0x800, 0xffff);
    else if (r < 97) cp = rng.range(0x10000, 0x10ffff);
    else cp = rng.pick([0xd800, 0xdfff, 0x110000, 0x1fffff, 0xfffe, 0xfeff]);
    out.push(...encode(cp, rng.chance(0.01)));
  }
  return Buffer.from(out);
}

/** The UTF-8 validator target. */
export const utf8: Target = {
  name: 'utf8',
  one(rng) {
    const g = generate(rng);
    const data = rng.chance(0.5) ? mutate(rng, g, null, 2) : g;
    withInput(data, () => {
      const expected = reference(data);
      assert.equal(isValidUtf8(data), expected, 'isValidUtf8 agrees with TextDecoder');
      for (let k = 0; k < 3; k++) {
        const v = new Utf8Validator();
        let ok = true;
        for (const part of splitAt(data, rng.splits(data.length))) {
          if (!v.push(part)) {
            ok = false;
            break;
          }
        }
        if (ok) ok = v.end();
        assert.equal(ok, expected, `Utf8Validator at random split ${k} agrees with TextDecoder`);
      }
    });
  },
};
