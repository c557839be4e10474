/**
 * The memory bench: each client in its own `--expose-gc` process
 * (memory-child.ts), one after the other, so no client's heap, pools or
 * optimised code colour another's numbers.
 * @module
 */
import { runChild } from './child.js';
import type { ClientSpec } from './clients.js';
import type { MemoryResult } from './memory-child.js';
import type { BenchServer } from './server-process.js';

export type { MemoryResult };

/** One client's memory row: the child's result, or why there is none. */
export interface MemoryRow {
  client: string;
  result: MemoryResult | null;
  /** Connections the server accepted while the child ran (16 expected). */
  connections: number;
  error: string | null;
}

/** Body bytes of each kept response. */
export const KEPT_BODY_BYTES = 1024;
const CHILD_TIMEOUT_MS = 120_000;

/** Run the memory child for every client. */
export async function measureMemory(
  specs: readonly ClientSpec[],
  server: BenchServer,
  count: number,
  log: (msg: string) => void,
): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const spec of specs) {
    log(`  memory: ${spec.name}`);
    const s0 = await server.stats();
    let row: MemoryRow;
    try {
      const result = await runChild<MemoryResult>(
        './memory-child.js',
        ['--expose-gc'],
        [spec.name, server.origin, String(count)],
        CHILD_TIMEOUT_MS,
      );
      row = { client: spec.name, result, connections: 0, error: null };
    } catch (err) {
      row = { client: spec.name, result: null, connections: 0, error: err instanceof Error ? err.message : String(err) };
      log(`  memory: ${spec.name} failed: ${row.error}`);
    }
    const s1 = await server.stats();
    row.connections = s1.connections - s0.connections;
    rows.push(row);
  }
  return rows;
}
