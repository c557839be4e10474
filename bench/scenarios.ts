/**
 * The throughput scenarios and the workload each one drives through a client:
 * `inFlight` workers, each sending its next request when the last one is
 * done, until a deadline or a request count, every body checked (checks.ts).
 * @module
 */
import { STREAM_SIZE } from './bodies.js';
import { GetCheck, PostCheck, StreamCheck } from './checks.js';
import type { Client } from './clients.js';

/** A throughput scenario. */
export interface Scenario {
  /** Name used by `--only` and in the JSON. */
  id: string;
  title: string;
  kind: 'get' | 'post' | 'stream';
  path: string;
  /** Requests in flight at once. */
  inFlight: number;
  /** Connections each client may open, when not the default (clients.ts). */
  connections?: number;
  /**
   * `'h2'`: HTTP/2 over TLS against h2-server.ts with the h2 clients (h2-clients.ts); each client must
   * carry every request over one h2 session (checked with the server's counters, measure.ts).
   */
  protocol?: 'h2';
  /** Warm-up requests (downloads for 'stream') per client: [full, quick]. */
  warmup: readonly [number, number];
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'seq-1k', title: 'Sequential GET, 1 KiB body, one connection', kind: 'get', path: '/1k', inFlight: 1, warmup: [5000, 1500] },
  { id: 'par16-1k', title: 'GET 1 KiB, 16 in flight over 16 connections', kind: 'get', path: '/1k', inFlight: 16, warmup: [5000, 1500] },
  { id: 'par4-64k', title: 'GET 64 KiB, 4 in flight', kind: 'get', path: '/64k', inFlight: 4, warmup: [2000, 600] },
  { id: 'par256-1k', title: 'GET 1 KiB, 256 in flight over 64 connections', kind: 'get', path: '/1k', inFlight: 256, connections: 64, warmup: [5000, 1500] },
  { id: 'get-1m', title: 'GET 1 MiB, 2 in flight', kind: 'get', path: '/1m', inFlight: 2, warmup: [300, 100] },
  { id: 'post16-1k', title: 'POST 1 KiB, 16 in flight', kind: 'post', path: '/echo-len', inFlight: 16, warmup: [5000, 1500] },
  { id: 'stream-64m', title: 'Streaming download of 64 MiB', kind: 'stream', path: '/64m', inFlight: 1, warmup: [2, 1] },
  { id: 'h2-seq-1k', title: 'HTTP/2 over TLS: sequential GET, 1 KiB body, one session', kind: 'get', path: '/1k', inFlight: 1, protocol: 'h2', warmup: [5000, 1500] },
  { id: 'h2-par64-1k', title: 'HTTP/2 over TLS: GET 1 KiB, 64 streams in flight on one session', kind: 'get', path: '/1k', inFlight: 64, protocol: 'h2', warmup: [5000, 1500] },
  { id: 'h2-par16-64k', title: 'HTTP/2 over TLS: GET 64 KiB, 16 streams in flight on one session', kind: 'get', path: '/64k', inFlight: 16, protocol: 'h2', warmup: [2000, 600] },
];

/** What one bounded run of a workload did. */
export interface LoadResult {
  /** Requests (downloads for 'stream') completed. */
  ops: number;
  /** Response body bytes received. */
  bytes: number;
}

/** Runs one scenario's requests through one client. */
export interface Workload {
  /** Run until `deadline` (performance.now() ms) or until `maxOps` requests were sent, whichever comes first. */
  run(deadline: number, maxOps: number): Promise<LoadResult>;
}

/** `inFlight` workers share a request budget; each stops at the deadline or when the budget is spent. */
async function drive(inFlight: number, deadline: number, maxOps: number, op: () => Promise<void>): Promise<number> {
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < maxOps && performance.now() < deadline) {
      issued++;
      await op();
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < inFlight; i++) workers.push(worker());
  await Promise.all(workers);
  return issued;
}

/** The workload of `scenario` on `client`. Stream downloads are hashed whole the first `hashFirst` times. */
export function workloadFor(scenario: Scenario, client: Client, hashFirst = 1): Workload {
  const { inFlight, path } = scenario;
  switch (scenario.kind) {
    case 'get': {
      const check = new GetCheck(path);
      const op = async (): Promise<void> => check.check(await client.get(path));
      return {
        async run(deadline, maxOps) {
          const ops = await drive(inFlight, deadline, maxOps, op);
          return { ops, bytes: ops * check.length };
        },
      };
    }
    case 'post': {
      const check = new PostCheck();
      const op = async (): Promise<void> => {
        const p = check.nextPath();
        check.check(p, await client.post(p, check.body));
      };
      return {
        async run(deadline, maxOps) {
          const ops = await drive(inFlight, deadline, maxOps, op);
          return { ops, bytes: ops * check.body.length };
        },
      };
    }
    case 'stream': {
      let downloads = 0;
      const op = async (): Promise<void> => {
        const check = new StreamCheck(downloads++ < hashFirst);
        await client.stream(path, check.onChunk);
        check.finish();
      };
      return {
        async run(deadline, maxOps) {
          let bytes = 0;
          const ops = await drive(inFlight, deadline, maxOps, async () => {
            await op();
            bytes += STREAM_SIZE;
          });
          return { ops, bytes };
        },
      };
    }
  }
}
