/**
 * `npm run fuzz -- [--seconds N] [--seed S] [--target NAME]... [--iterations N] [--index I]`
 *
 * Runs each target for N seconds (default 10) from seed S (default 1) and
 * prints inputs per second; on a broken invariant prints the target, seed,
 * input index and error, and exits 1. `--index I --iterations 1` replays one
 * input. Different seeds explore different inputs; the same seed the same.
 * @module
 */
import { parseArgs } from 'node:util';
import { fuzz } from './engine.js';
import { TARGETS } from './targets/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    target: { type: 'string', multiple: true },
    iterations: { type: 'string' },
    index: { type: 'string', default: '0' },
  },
});

const names = values.target ?? TARGETS.map((t) => t.name);
const unknown = names.filter((n) => !TARGETS.some((t) => t.name === n));
if (unknown.length > 0) {
  console.error(`unknown target ${unknown.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}
const seed = Number(values.seed);
const seconds = Number(values.seconds);
const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
let failed = false;
for (const target of TARGETS.filter((t) => names.includes(t.name))) {
  const r = await fuzz(target, { seed, seconds, iterations, from: Number(values.index) });
  const rate = Math.round(r.inputs / (r.ms / 1000));
  console.log(`${r.target.padEnd(12)} seed ${seed}  ${String(r.inputs).padStart(9)} inputs  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${String(rate).padStart(7)} inputs/s`);
  if (r.failure !== null) {
    failed = true;
    console.error(`FAILED ${r.target} --seed ${seed} --index ${r.failure.index}`);
    const e = r.failure.error;
    // Messages can hold whole payloads: keep the report readable.
    const text = e instanceof Error ? `${e.message}\n${e.stack?.split('\n').slice(1, 6).join('\n') ?? ''}` : String(e);
    console.error(text.length > 4000 ? `${text.slice(0, 4000)}…` : text);
  }
}
process.exit(failed ? 1 : 0);
