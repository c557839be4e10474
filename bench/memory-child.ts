/**
 * Memory bench for one client, in its own process under `--expose-gc`
 * (started by memory.ts): `node --expose-gc memory-child.js <client> <origin> <count>`.
 *
 * 1. Streaming: peak RSS growth while downloading 64 MiB chunk by chunk.
 * 2. Kept responses: fetch `count` responses of 1 KiB, keep what a user
 *    naturally keeps of each (clients.ts `keep`), collect garbage, and divide
 *    the growth of heapUsed + arrayBuffers by `count`.
 * @module
 */
import { reply } from './child.js';
import { GetCheck, StreamCheck } from './checks.js';
import { findClient } from './clients.js';
import { gcHard, settle, used } from './heap.js';

/** What the child measured. */
export interface MemoryResult {
  client: string;
  count: number;
  /** Growth of heapUsed + arrayBuffers per kept response, bytes. */
  retainedPerResponse: number;
  heapPerResponse: number;
  arrayBuffersPerResponse: number;
  /** Peak RSS growth during the 64 MiB download, bytes. */
  streamPeakRssGrowth: number;
}

const IN_FLIGHT = 16;
/**
 * Requests before the kept ones: enough that V8 has optimised the path. After
 * 500, ~90 functions still reached TurboFan during the measured 5,000 and their
 * code (~300 KB: heap-census.ts) was counted as ~60 B of every kept response.
 */
const WARMUP = 5000;

async function main(): Promise<void> {
  const [name, origin, countArg] = process.argv.slice(2);
  const spec = findClient(name ?? '');
  if (spec === undefined || origin === undefined) throw new Error('usage: memory-child.js <client> <origin> [count]');
  const count = Number(countArg ?? 5000);
  const client = await spec.create(origin);
  try {
    // 1. Streaming, first, while the process is fresh.
    for (let i = 0; i < 2; i++) await client.stream('/64k', () => {});
    gcHard();
    await settle(20);
    const rss0 = process.memoryUsage.rss();
    let peak = rss0;
    const check = new StreamCheck(false);
    await client.stream('/64m', (chunk) => {
      check.onChunk(chunk);
      const rss = process.memoryUsage.rss();
      if (rss > peak) peak = rss;
    });
    check.finish();

    // 2. Kept responses. Warm up (and open the pool's connections) first.
    const get = new GetCheck('/1k');
    let next = 0;
    const warm = async (): Promise<void> => {
      while (next < WARMUP) {
        next++;
        get.check((await client.keep('/1k')).body);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, warm));
    const kept: unknown[] = new Array(count).fill(null);
    gcHard();
    await settle(20);
    gcHard();
    const before = used();
    next = 0;
    const fill = async (): Promise<void> => {
      while (next < count) {
        const i = next++;
        const k = await client.keep('/1k');
        get.check(k.body);
        kept[i] = k.kept;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, fill));
    await settle(20);
    gcHard();
    const after = used();
    if (kept.some((k) => k === null)) throw new Error('a response was not kept');
    const heap = (after.heap - before.heap) / count;
    const ab = (after.ab - before.ab) / count;
    const result: MemoryResult = {
      client: spec.name,
      count,
      retainedPerResponse: heap + ab,
      heapPerResponse: heap,
      arrayBuffersPerResponse: ab,
      streamPeakRssGrowth: peak - rss0,
    };
    // Keep `kept` alive until after the measurement.
    if (kept.length !== count) throw new Error('unreachable');
    reply({ type: 'result', result });
  } finally {
    await client.close().catch(() => {});
  }
}

main().catch((err: unknown) => reply({ type: 'error', error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
