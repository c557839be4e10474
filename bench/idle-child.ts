/**
 * Idle keep-alive memory for one client, in its own `--expose-gc` process
 * (started by idle.ts): `node --expose-gc idle-child.js <client> <origin> <count>`.
 *
 * Warm the client on one connection, collect garbage, then send `count`
 * GETs at once with a pool of `count` connections, so `count` connections
 * open; drop the responses, collect garbage, and report the growth of
 * heapUsed + arrayBuffers. The parent divides by the connections the
 * server saw open.
 * @module
 */
import { reply } from './child.js';
import { GetCheck } from './checks.js';
import { findClient } from './clients.js';
import { gcHard, settle } from './heap.js';

/** What the child measured. */
export interface IdleResult {
  client: string;
  /** Requests sent at once (connections asked for). */
  count: number;
  /** Growth of heapUsed over the idle connections, bytes. */
  heapGrowth: number;
  /** Growth of arrayBuffers (socket buffers held in JS), bytes. */
  arrayBuffersGrowth: number;
}

const WARMUP = 300;

async function main(): Promise<void> {
  const [name, origin, countArg] = process.argv.slice(2);
  const spec = findClient(name ?? '');
  if (spec === undefined || origin === undefined) throw new Error('usage: idle-child.js <client> <origin> [count]');
  const count = Number(countArg ?? 1000);
  const client = await spec.create(origin, count);
  try {
    const get = new GetCheck('/1k');
    // Warm up on one connection: code loaded and optimised, the client's own caches filled.
    for (let i = 0; i < WARMUP; i++) get.check(await client.get('/1k'));
    await settle(50);
    gcHard();
    await settle(50);
    gcHard();
    const m0 = process.memoryUsage();
    // All at once: every request but the first needs a connection of its own.
    const bodies = await Promise.all(Array.from({ length: count }, () => client.get('/1k')));
    for (const b of bodies) get.check(b);
    bodies.length = 0;
    await settle(50);
    gcHard();
    await settle(50);
    gcHard();
    const m1 = process.memoryUsage();
    const result: IdleResult = {
      client: spec.name,
      count,
      heapGrowth: m1.heapUsed - m0.heapUsed,
      arrayBuffersGrowth: m1.arrayBuffers - m0.arrayBuffers,
    };
    reply({ type: 'result', result });
  } finally {
    await client.close().catch(() => {});
  }
}

main().catch((err: unknown) => reply({ type: 'error', error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
