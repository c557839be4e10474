/**
 * A short, fixed-seed run of every fuzz target (fuzz/): the same inputs on
 * every run, about a second per target. `npm run fuzz -- --seconds N` runs
 * them longer, from any seed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzz } from '../fuzz/engine.js';
import { TARGETS } from '../fuzz/targets/index.js';

/** Inputs per target: about a second each on a loaded 2-core machine. */
const ITERATIONS: Record<string, number> = { 'http-parser': 1500, 'ws-frame': 300, 'ws-protocol': 300, inflate: 600, utf8: 15000, cookie: 20000, hpack: 3000, 'h2-frames': 3000 };

for (const target of TARGETS) {
  test(`fuzz ${target.name}: ${ITERATIONS[target.name]} inputs from seed 9`, async () => {
    const r = await fuzz(target, { seed: 9, iterations: ITERATIONS[target.name]! });
    if (r.failure !== null) {
      const e = r.failure.error;
      assert.fail(`${target.name} --seed 9 --index ${r.failure.index}: ${e instanceof Error ? e.message.slice(0, 4000) : String(e)}`);
    }
    assert.equal(r.inputs, ITERATIONS[target.name]);
  });
}

test('an input replays from its seed and index alone', async () => {
  const seen: number[] = [];
  const probe = { name: 'probe', one: (rng: { u32(): number }) => void seen.push(rng.u32()) };
  await fuzz(probe, { seed: 3, iterations: 5 });
  await fuzz(probe, { seed: 3, iterations: 1, from: 3 });
  assert.equal(seen.length, 6);
  assert.equal(seen[5], seen[3]);
  assert.notEqual(seen[3], seen[4]);
});
