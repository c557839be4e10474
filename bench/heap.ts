/**
 * Heap measurement helpers shared by the memory children (memory-child.ts,
 * idle-child.ts, ws-memory-child.ts) and heap-census.ts: each runs with `--expose-gc`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';

/** Two full collections (the second frees what the first's finalizers released). */
export function gcHard(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
}

/** Let pending callbacks and finalizers run before measuring. */
export async function settle(ms: number): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, ms));
}

/** heapUsed and arrayBuffers now, bytes. */
export function used(): { heap: number; ab: number } {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, ab: m.arrayBuffers };
}

/** One row of a {@link Census}: objects of one kind, by V8's heap-snapshot type and name. */
export interface CensusRow {
  /** `type name`, e.g. `object Response`, `code (code deopt data)`, `string "OK"`. */
  kind: string;
  count: number;
  bytes: number;
}

/**
 * The highest object id of a heap snapshot: V8 numbers objects as a snapshot
 * first sees them, upwards, so anything with a higher id in a later snapshot
 * is newer (a number, so that keeping it allocates nothing in between).
 */
export type SnapshotMark = number;

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function takeSnapshot(): RawSnapshot {
  // v8.getHeapSnapshot() is a stream; writeHeapSnapshot to a temp file is simpler and synchronous.
  const file = path.join(os.tmpdir(), `reqivo-census-${process.pid}-${Date.now()}.heapsnapshot`);
  v8.writeHeapSnapshot(file);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RawSnapshot;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function eachNode(s: RawSnapshot, visit: (id: number, type: string, name: string, size: number) => void): void {
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const [ti, ni, ii, si] = ['type', 'name', 'id', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number, number];
  const n = s.nodes;
  for (let i = 0; i + width <= n.length; i += width) {
    visit(n[i + ii]!, types[n[i + ti]!] ?? '?', s.strings[n[i + ni]!] ?? '', n[i + si]!);
  }
}

/** Take a heap snapshot (after {@link gcHard}) and return its {@link SnapshotMark}. */
export function snapshotMark(): SnapshotMark {
  let max = 0;
  eachNode(takeSnapshot(), (id, type) => {
    // Embedder (native, synthetic) nodes are numbered apart, from the top of the range.
    if (id > max && type !== 'native' && type !== 'synthetic') max = id;
  });
  return max;
}

/**
 * Take a second snapshot and count the objects newer than `mark` (V8 keeps
 * an object's snapshot id for its life), grouped by type and name,
 * largest first: what a batch of kept responses added to the heap, object by object.
 */
export function censusSince(mark: SnapshotMark): CensusRow[] {
  const rows = new Map<string, CensusRow>();
  eachNode(takeSnapshot(), (id, type, name, size) => {
    if (id <= mark) return;
    const kind = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? `${type} ${JSON.stringify(name.slice(0, 32))}` : `${type} ${name}`;
    const row = rows.get(kind);
    if (row === undefined) rows.set(kind, { kind, count: 1, bytes: size });
    else {
      row.count++;
      row.bytes += size;
    }
  });
  return [...rows.values()].sort((a, b) => b.bytes - a.bytes);
}
