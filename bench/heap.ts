/**
 * Heap measurement helpers shared by the memory children (memory-child.ts,
 * idle-child.ts, ws-memory-child.ts): each runs with `--expose-gc`.
 */

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
