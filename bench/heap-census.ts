/**
 * What each kept response holds, object by object (issue 16's kept-response
 * overhead): `node --expose-gc build/bench/heap-census.js [client] [count] [warmup]`
 * (defaults reqivo, 5000, 5000). Against the bench server (own process), the
 * client is warmed up, a heap snapshot taken, `count` responses of 1 KiB kept
 * as the memory bench keeps them (clients.ts `keep`), and a second snapshot
 * lists every object that is new, per kept response: hidden classes, arrays,
 * strings, closures, JIT code. Objects seen in fewer than one response in
 * twenty are one-off costs (code, pools), not per-response ones; native and
 * synthetic entries are outside the JS heap.
 * @module
 */
import { GetCheck } from './checks.js';
import { findClient } from './clients.js';
import { censusSince, gcHard, settle, snapshotMark, used } from './heap.js';
import { BenchServer } from './server-process.js';

const IN_FLIGHT = 16;
const ROWS = 24;

async function main(): Promise<void> {
  const [name = 'reqivo', countArg = '5000', warmArg = '5000'] = process.argv.slice(2);
  const spec = findClient(name);
  if (spec === undefined) throw new Error(`unknown client ${name}`);
  const count = Number(countArg);
  const warmup = Number(warmArg);
  const server = await BenchServer.start();
  const client = await spec.create(server.origin);
  try {
    const get = new GetCheck('/1k');
    const kept: unknown[] = new Array(count).fill(null);
    let next = 0;
    const run = async (n: number, keep: boolean): Promise<void> => {
      next = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < n) {
            const i = next++;
            const k = await client.keep('/1k');
            get.check(k.body);
            if (keep) kept[i] = k.kept;
          }
        }),
      );
    };
    await run(warmup, false);
    gcHard();
    await settle(20);
    gcHard();
    const mark = snapshotMark();
    gcHard();
    const before = used();
    await run(count, true);
    await settle(20);
    gcHard();
    const after = used();
    if (kept.some((k) => k === null)) throw new Error('a response was not kept');
    const rows = censusSince(mark);
    const per = (n: number): string => (n / count).toFixed(3).padStart(9);
    console.log(`${spec.name}: ${count} kept responses of 1 KiB after ${warmup} warm-up requests`);
    console.log(`heapUsed +${((after.heap - before.heap) / count).toFixed(1)} B/resp, arrayBuffers +${((after.ab - before.ab) / count).toFixed(1)} B/resp\n`);
    console.log(`${'B/resp'.padStart(9)} ${'n/resp'.padStart(9)}  type name`);
    for (const r of rows.slice(0, ROWS)) console.log(`${per(r.bytes)} ${per(r.count)}  ${r.kind}`);
    // Native and synthetic entries are outside the JS heap (the body bytes are in the arrayBuffers line).
    const each = rows.filter((r) => r.count * 20 >= count && !r.kind.startsWith('native ') && !r.kind.startsWith('synthetic '));
    const bytes = each.reduce((s, r) => s + r.bytes, 0);
    console.log(`\nin at least one response in twenty: ${(bytes / count).toFixed(1)} B/resp (${each.map((r) => r.kind).join(', ')})`);
    // Keep `kept` alive until after the second snapshot.
    if (kept.length !== count) throw new Error('unreachable');
  } finally {
    await client.close().catch(() => {});
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
