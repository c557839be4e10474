/**
 * Per-instance size of reqivo's hot classes (hot-classes.ts), in its own
 * process: `node --expose-gc --allow-natives-syntax classes-child.js [count]`.
 * For each class: build `count` instances into a preallocated array, collect
 * garbage, divide the heap growth by `count`. With natives syntax on it also
 * reports whether an instance has fast (not dictionary-mode) properties.
 * @module
 */
import { reply } from './child.js';
import { type Fixtures, HOT_CLASSES } from './hot-classes.js';

/** One class's row. */
export interface ClassSize {
  name: string;
  /** Heap bytes per instance, or null when the class could not be built. */
  bytes: number | null;
  /** Own enumerable + private-free field count of one instance. */
  fields: number | null;
  /** `%HasFastProperties` of one instance; null when natives syntax is off. */
  fastProperties: boolean | null;
  error: string | null;
}

function gcHard(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
}

function nativesCheck(): ((o: unknown) => boolean) | null {
  try {
    return new Function('o', 'return %HasFastProperties(o)') as (o: unknown) => boolean;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 100_000);
  const hasFast = nativesCheck();
  const headerList = ['content-type', 'application/octet-stream', 'content-length', '1024', 'keep-alive', 'timeout=60'];
  const fixtures: Fixtures = {
    url: 'http://127.0.0.1:8080/1k',
    body: new Uint8Array(1024),
    headerList,
    headers: null,
    socket: { on: () => fixtures.socket },
    handler: new Proxy({}, { get: () => () => {} }) as Record<string, () => void>,
  };
  try {
    const h = (await import('../src/http/headers.js')) as { Headers: { _fromList?(l: string[]): unknown } };
    fixtures.headers = h.Headers._fromList?.(headerList) ?? null;
  } catch {
    // Headers did not load: its row says so below.
  }
  const rows: ClassSize[] = [];
  const slots: unknown[] = new Array(count).fill(null);
  for (const hc of HOT_CLASSES) {
    try {
      const mod = await import(hc.module);
      const one = hc.create(mod, fixtures);
      slots.fill(null);
      gcHard();
      const before = process.memoryUsage();
      for (let i = 0; i < count; i++) slots[i] = hc.create(mod, fixtures);
      gcHard();
      const after = process.memoryUsage();
      const bytes = (after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers) / count;
      rows.push({
        name: hc.name,
        bytes,
        fields: Object.keys(one as object).length,
        fastProperties: hasFast === null ? null : hasFast(one),
        error: null,
      });
    } catch (err) {
      rows.push({ name: hc.name, bytes: null, fields: null, fastProperties: null, error: err instanceof Error ? err.message : String(err) });
    }
  }
  slots.fill(null);
  reply({ type: 'result', result: rows });
}

main().catch((err: unknown) => reply({ type: 'error', error: err instanceof Error ? err.message : String(err) }));
