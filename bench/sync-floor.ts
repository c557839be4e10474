/**
 * The floor under reqivo/sync's hand-off: a bare round trip between the main
 * thread and one worker over a `SharedArrayBuffer`, nothing else (no HTTP,
 * no encoding). Whatever SyncSession costs beyond the async Session, at
 * least one of these round trips is in it. Modes, on the worker's side:
 *
 * - `wait`: the worker blocks in `Atomics.wait` (as reqivo/sync's worker
 *   does right after answering a back-to-back call);
 * - `waitAsync`: the worker idles in its event loop on `Atomics.waitAsync`
 *   (an idle reqivo/sync worker);
 * - `spin`: both sides spin up to 50 µs before they block.
 *
 * The caller always blocks in `Atomics.wait` (after its spin in `spin`).
 * Prints the median µs and CPU µs (all threads) per round trip over rounds.
 *
 * `node build/bench/sync-floor.js [--rounds=N] [--n=N]` (after `npm run build:test`).
 * @module
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { median } from './stats.js';

type Mode = 'wait' | 'waitAsync' | 'spin';
const MODES: readonly Mode[] = ['wait', 'waitAsync', 'spin'];
/** Word 0: 1 = request for the worker, 0 = answered. Word 1: 1 = stop. */
const REQ = 0;
const STOP = 1;
/** Longest any single wait may take: a lost wake-up shows as a slow figure, never a hang. */
const WAIT_MS = 100;
const SPIN_MS = 0.05;

/** `Atomics.waitAsync` (V8 since Node 16; typed only in lib ES2024). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

function spinWhile(a: Int32Array, value: number): void {
  const until = performance.now() + SPIN_MS;
  while (Atomics.load(a, REQ) === value && performance.now() < until);
}

async function serve(a: Int32Array, mode: Mode): Promise<void> {
  // Bounded: the main thread always sets STOP, and terminate() ends the thread in any case.
  for (let i = 0; Atomics.load(a, STOP) === 0 && i < 1e8; i++) {
    if (mode === 'waitAsync') {
      const r = waitAsync(a, REQ, 0, WAIT_MS);
      if (r.async) await r.value;
    } else {
      if (mode === 'spin') spinWhile(a, 0);
      Atomics.wait(a, REQ, 0, WAIT_MS);
    }
    if (Atomics.load(a, REQ) === 1) {
      Atomics.store(a, REQ, 0);
      Atomics.notify(a, REQ);
    }
  }
}

function flag(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : fallback;
}

async function main(): Promise<void> {
  const rounds = flag('rounds', 7);
  const n = flag('n', 20_000);
  const workers = new Map<Mode, { a: Int32Array; w: Worker }>();
  for (const mode of MODES) {
    const a = new Int32Array(new SharedArrayBuffer(8));
    const w = new Worker(new URL(import.meta.url), { workerData: { sab: a.buffer, mode } });
    await new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
    workers.set(mode, { a, w });
  }
  const us = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  const cpu = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  try {
    for (let round = -1; round < rounds; round++) {
      for (let k = 0; k < MODES.length; k++) {
        const mode = MODES[(round + 1 + k) % MODES.length]!;
        const { a } = workers.get(mode)!;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          Atomics.store(a, REQ, 1);
          Atomics.notify(a, REQ);
          if (mode === 'spin') spinWhile(a, 1);
          for (let tries = 0; Atomics.load(a, REQ) !== 0; tries++) {
            if (tries >= 20) throw new Error(`the ${mode} worker stopped answering`);
            Atomics.wait(a, REQ, 1, WAIT_MS);
          }
        }
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        // Round -1 warms up.
        if (round >= 0) {
          us.get(mode)!.push((ms * 1000) / n);
          cpu.get(mode)!.push((c.user + c.system) / n);
        }
      }
    }
  } finally {
    for (const { a, w } of workers.values()) {
      Atomics.store(a, STOP, 1);
      Atomics.notify(a, REQ);
      await w.terminate();
    }
  }
  console.log(`bare round trip main ⇄ worker over a SharedArrayBuffer, median of ${rounds} rounds × ${n}\n`);
  console.log('| worker waits with | µs / round trip | CPU µs / round trip (all threads) |');
  console.log('| --- | ---: | ---: |');
  for (const m of MODES) console.log(`| ${m} | ${median(us.get(m)!).toFixed(1)} | ${median(cpu.get(m)!).toFixed(1)} |`);
  console.log(JSON.stringify({ bench: 'sync-floor', rounds, n, rows: MODES.map((m) => ({ mode: m, us: median(us.get(m)!), cpuUs: median(cpu.get(m)!) })) }));
}

if (isMainThread) await main();
else {
  const { sab, mode } = workerData as { sab: SharedArrayBuffer; mode: Mode };
  const a = new Int32Array(sab);
  // A pending waitAsync does not keep the event loop alive: this timer does.
  const keepAlive = setInterval(() => {}, 1000);
  parentPort!.postMessage('ready');
  await serve(a, mode);
  clearInterval(keepAlive);
}
