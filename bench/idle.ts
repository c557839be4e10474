/**
 * The idle keep-alive memory bench (`--only=idle`, issue 16): each client
 * in its own `--expose-gc` process (idle-child.ts) opens 1,000 keep-alive
 * connections to the bench server and leaves them idle; the heap growth
 * divided by the connections the server saw opened is the memory one idle
 * connection costs in the client.
 * @module
 */
import { runChild } from './child.js';
import type { ClientSpec } from './clients.js';
import type { IdleResult } from './idle-child.js';
import type { BenchServer } from './server-process.js';

export type { IdleResult };

/** One client's idle-connection row. */
export interface IdleRow {
  client: string;
  result: IdleResult | null;
  /** Connections the server accepted while the child ran (the warm-up's one included). */
  connections: number;
  /** (heap + arrayBuffers growth) / (connections - 1): the warm-up connection was open before the first reading. */
  bytesPerConnection: number | null;
  error: string | null;
}

/** Idle connections each client opens. */
export const IDLE_CONNECTIONS = 1000;
const CHILD_TIMEOUT_MS = 120_000;

/** Run the idle child for every client. */
export async function measureIdle(specs: readonly ClientSpec[], server: BenchServer, log: (msg: string) => void): Promise<IdleRow[]> {
  const rows: IdleRow[] = [];
  for (const spec of specs) {
    log(`  idle: ${spec.name}`);
    const s0 = await server.stats();
    let row: IdleRow;
    try {
      const result = await runChild<IdleResult>('./idle-child.js', ['--expose-gc'], [spec.name, server.origin, String(IDLE_CONNECTIONS)], CHILD_TIMEOUT_MS);
      row = { client: spec.name, result, connections: 0, bytesPerConnection: null, error: null };
    } catch (err) {
      row = { client: spec.name, result: null, connections: 0, bytesPerConnection: null, error: err instanceof Error ? err.message : String(err) };
      log(`  idle: ${spec.name} failed: ${row.error}`);
    }
    const s1 = await server.stats();
    row.connections = s1.connections - s0.connections;
    if (row.result !== null && row.connections > 1) {
      row.bytesPerConnection = (row.result.heapGrowth + row.result.arrayBuffersGrowth) / (row.connections - 1);
    }
    rows.push(row);
  }
  return rows;
}
