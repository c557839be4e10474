/**
 * The fuzz loop: input `i` of a run with seed `s` is generated from
 * `new Rng(s, i)` alone, so any failure replays with `--seed s --index i`.
 * A target throws (anything) when one of its invariants is broken.
 * @module
 */
import { Rng } from './prng.js';

/** One fuzz target: generates an input from `rng`, feeds it, checks its invariants. */
export interface Target {
  /** Name used on the command line and in reports. */
  readonly name: string;
  /** Check one input; throws on a violated invariant. Async only where the code under test is (zlib). */
  one(rng: Rng): void | Promise<void>;
}

/** How long a run lasts: a time budget, a number of inputs, or both (the first reached ends it). */
export interface RunLimits {
  seed: number;
  /** Seconds of fuzzing (default: no time limit). */
  seconds?: number;
  /** Inputs to try (default: no count limit). */
  iterations?: number;
  /** First input index (default 0); with `iterations: 1` it replays one input. */
  from?: number;
}

/** The outcome of one run of one target. */
export interface RunResult {
  target: string;
  seed: number;
  inputs: number;
  ms: number;
  /** The first input that broke an invariant, or null. */
  failure: { index: number; error: unknown } | null;
}

/** Run `target` within `limits`; stops at the first failure. */
export async function fuzz(target: Target, limits: RunLimits): Promise<RunResult> {
  const seconds = limits.seconds ?? Number.POSITIVE_INFINITY;
  const iterations = limits.iterations ?? Number.POSITIVE_INFINITY;
  if (!Number.isFinite(seconds) && !Number.isFinite(iterations)) throw new RangeError('fuzz: give seconds or iterations');
  const from = limits.from ?? 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let i = 0;
  let failure: RunResult['failure'] = null;
  while (i < iterations) {
    // The clock is read every 16 inputs: cheap, and still within a few ms of the budget.
    if ((i & 15) === 0 && performance.now() >= deadline) break;
    const index = from + i;
    i++;
    try {
      const r = target.one(new Rng(limits.seed, index));
      if (r !== undefined) await r;
    } catch (error) {
      failure = { index, error };
      break;
    }
  }
  return { target: target.name, seed: limits.seed, inputs: i, ms: performance.now() - start, failure };
}

/** Run `check`; if it throws, rethrow with `input` attached (base64) so the report shows what failed. */
export function withInput(input: Uint8Array | string, check: () => void): void {
  try {
    check();
  } catch (err) {
    throw annotate(err, input);
  }
}

/** Async {@link withInput}. */
export async function withInputAsync(input: Uint8Array | string, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (err) {
    throw annotate(err, input);
  }
}

function annotate(err: unknown, input: Uint8Array | string): Error {
  const shown = typeof input === 'string' ? JSON.stringify(input) : `(base64) ${Buffer.from(input).toString('base64')}`;
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`${message}\ninput ${shown}`, { cause: err });
}
