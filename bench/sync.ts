/**
 * The blocking API against its alternatives: sequential GET /1k on one
 * keep-alive connection from reqivo's async Session (`await s.get()`), from
 * `SyncSession` (`s.get()`, worker thread + Atomics.wait) and from
 * `sync-fetch` (a child process per call). Rounds are interleaved and their
 * order rotated; the table gives the median µs per request over the rounds.
 *
 * CPU time (`process.cpuUsage()`, every thread of this process, so the
 * worker's too) per request is given beside the wall time: on a loaded machine
 * it moves far less than the latency. So does the SyncSession's ratio to the
 * async Session within each round (the two run back to back), whose median
 * is printed after the table.
 *
 * `node build/bench/sync.js [--rounds=N] [--n=N] [--no-process]` (after
 * `npm run build:test`; `--no-process` leaves sync-fetch out).
 * @module
 */
import { createRequire } from 'node:module';
import { Session } from '../src/index.js';
import { SyncSession } from '../src/sync/index.js';
import { BenchServer } from './server-process.js';
import { median } from './stats.js';

const flag = (name: string, fallback: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : fallback;
};
const ROUNDS = flag('rounds', 7);
/** `--no-process`: leave sync-fetch out (quick runs while tuning). */
const WITH_PROCESS = !process.argv.includes('--no-process');
const N = flag('n', 2000);
/** sync-fetch spawns a process per call: a few calls per round are enough to time it. */
const N_PROCESS = Math.max(3, Math.round(N / 200));

type SyncFetch = (url: string) => { status: number; arrayBuffer(): ArrayBuffer };
const syncFetch = createRequire(import.meta.url)('sync-fetch') as SyncFetch;

interface Client {
  name: string;
  n: number;
  /** Run `n` sequential GETs; returns ms. */
  run(n: number): Promise<number>;
  close(): Promise<void> | void;
}

function check(status: number, bytes: number): void {
  if (status !== 200 || bytes !== 1024) throw new Error(`bad response: ${status}, ${bytes} bytes`);
}

async function main(): Promise<void> {
  const server = await BenchServer.start();
  const url = `${server.origin}/1k`;
  const session = new Session({ proxy: false });
  const sync = new SyncSession({ proxy: false });
  const clients: Client[] = [
    {
      name: 'reqivo Session (async)',
      n: N,
      async run(n) {
        const t = performance.now();
        for (let i = 0; i < n; i++) {
          const r = await session.get(url);
          check(r.status, r.body.byteLength);
        }
        return performance.now() - t;
      },
      close: () => session.close(),
    },
    {
      name: 'reqivo/sync SyncSession',
      n: N,
      async run(n) {
        const t = performance.now();
        for (let i = 0; i < n; i++) {
          const r = sync.get(url);
          check(r.status, r.body.byteLength);
        }
        return performance.now() - t;
      },
      close: () => sync.close(),
    },
    {
      name: 'sync-fetch 0.7.1 (process per call)',
      n: N_PROCESS,
      async run(n) {
        const t = performance.now();
        for (let i = 0; i < n; i++) {
          const r = syncFetch(url);
          check(r.status, r.arrayBuffer().byteLength);
        }
        return performance.now() - t;
      },
      close: () => {},
    },
  ];
  if (!WITH_PROCESS) clients.pop();
  try {
    // Warm-up: thousands of calls for the in-process clients (both ends of the worker's hand-off get optimised; with
    // a quarter of a round the first rounds still ran unoptimised code and came out ~1.9× against ~1.2× later), a few for sync-fetch.
    for (const c of clients) await c.run(c.n === N ? Math.max(3000, N) : Math.max(2, Math.round(c.n / 4)));
    const perRequest = new Map<string, number[]>(clients.map((c) => [c.name, []]));
    const cpuPerRequest = new Map<string, number[]>(clients.map((c) => [c.name, []]));
    /** Each round's SyncSession µs over the async Session's in the same round: the two run back to back, so the machine's drift between rounds cancels. */
    const roundRatios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < clients.length; k++) {
        const c = clients[(round + k) % clients.length]!;
        const cpu0 = process.cpuUsage();
        const ms = await c.run(c.n);
        const cpu = process.cpuUsage(cpu0);
        perRequest.get(c.name)!.push((ms / c.n) * 1000);
        cpuPerRequest.get(c.name)!.push((cpu.user + cpu.system) / c.n);
      }
      roundRatios.push(perRequest.get(clients[1]!.name)![round]! / perRequest.get(clients[0]!.name)![round]!);
      process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
    }
    const base = median(perRequest.get(clients[0]!.name)!);
    const cpuBase = median(cpuPerRequest.get(clients[0]!.name)!);
    const rows = clients.map((c, i) => {
      const us = median(perRequest.get(c.name)!);
      const cpu = median(cpuPerRequest.get(c.name)!);
      return {
        client: c.name,
        requests: c.n * ROUNDS,
        medianUs: Math.round(us),
        vsAsync: Number((us / base).toFixed(2)),
        // A child process's CPU is not this process's: only the in-process clients have a figure.
        cpuUs: i < 2 ? Math.round(cpu) : null,
        cpuVsAsync: i < 2 ? Number((cpu / cpuBase).toFixed(2)) : null,
      };
    });
    const syncUs = rows[1]!.medianUs;
    console.log(`sequential GET /1k, keep-alive, median of ${ROUNDS} rounds (server ${server.pinned ? 'pinned to its own core' : 'not pinned'})\n`);
    console.log('| client | requests | µs / request | × async Session | CPU µs / request (all threads) | CPU × async |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows) console.log(`| ${r.client} | ${r.requests} | ${r.medianUs} | ${r.vsAsync} | ${r.cpuUs ?? '–'} | ${r.cpuVsAsync ?? '–'} |`);
    const perRound = Number(median(roundRatios).toFixed(2));
    console.log(`\nSyncSession × async Session within each round: median ${perRound} (rounds: ${roundRatios.map((r) => r.toFixed(2)).join(', ')})`);
    if (rows[2] !== undefined) console.log(`SyncSession is ${(rows[2].medianUs / syncUs).toFixed(0)}× faster than a process per call.`);
    console.log(JSON.stringify({ bench: 'sync', rounds: ROUNDS, rows, syncVsAsyncPerRound: perRound }));
  } finally {
    for (const c of clients) await c.close();
    await server.stop();
  }
}

await main();
