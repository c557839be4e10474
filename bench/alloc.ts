/**
 * Bytes allocated per request, by allocating function: V8's sampling heap
 * profiler (every 256 B, objects a GC already collected included) over N
 * requests of 1 KiB through one Session, C in flight, against a raw
 * `node:net` server on a worker thread (so its allocations are not counted).
 *
 *   node build/bench/alloc.js [--n=50000] [--conc=16] [--method=GET|POST] [--top=25]
 *
 * A sampled figure, steady within ~2 % between runs; it is what "fewer
 * allocations per request" in BENCHMARKS.md was measured with.
 */
import inspector from 'node:inspector/promises';
import { Worker } from 'node:worker_threads';
import { Session } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? fallback : a.slice(name.length + 3);
}

const N = Number(arg('n', '50000'));
const CONC = Number(arg('conc', '16'));
const METHOD = arg('method', 'GET').toUpperCase();
const TOP = Number(arg('top', '25'));

const SERVER = `
const net = require('node:net');
const { parentPort } = require('node:worker_threads');
const res = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\\r\\nContent-Length: 1024\\r\\n\\r\\n'), Buffer.alloc(1024, 97)]);
net.createServer({ noDelay: true }, (s) => {
  let pending = Buffer.alloc(0);
  s.on('error', () => {});
  s.on('data', (d) => {
    pending = Buffer.concat([pending, d]);
    for (;;) {
      const end = pending.indexOf('\\r\\n\\r\\n');
      if (end === -1) return;
      const len = Number(/content-length: *(\\d+)/i.exec(pending.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      if (pending.length < end + 4 + len) return;
      pending = pending.subarray(end + 4 + len);
      s.write(res);
    }
  });
}).listen(0, '127.0.0.1', function () { parentPort.postMessage(this.address().port); });
`;

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

async function main(): Promise<void> {
  const server = new Worker(SERVER, { eval: true });
  const port = await new Promise<number>((resolve) => server.once('message', resolve));
  const session = new Session({ baseUrl: `http://127.0.0.1:${port}`, pool: { maxConnectionsPerOrigin: CONC } });
  const body = METHOD === 'GET' || METHOD === 'HEAD' ? undefined : Buffer.alloc(1024, 98);
  const run = async (n: number): Promise<void> => {
    let i = 0;
    await Promise.all(
      Array.from({ length: CONC }, async () => {
        while (i++ < n) {
          const res = await session.request(METHOD, '/1k', body === undefined ? undefined : { body });
          if (res.body.length !== 1024) throw new Error(`short body: ${res.body.length} bytes`);
        }
      }),
    );
  };
  try {
    await run(20_000);
    const prof = new inspector.Session();
    prof.connect();
    await prof.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    await run(N);
    const { profile } = (await prof.post('HeapProfiler.getSamplingProfile')) as { profile: { head: ProfileNode } };
    await prof.post('HeapProfiler.stopSampling');
    prof.disconnect();
    const bySite = new Map<string, number>();
    let total = 0;
    const walk = (node: ProfileNode): void => {
      const f = node.callFrame;
      const site = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
      total += node.selfSize;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      for (const c of node.children) walk(c);
    };
    walk(profile.head);
    console.log(`${METHOD} 1 KiB, ${CONC} in flight, ${N} requests: ${(total / N).toFixed(0)} B allocated per request (sampled)`);
    for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${(bytes / N).toFixed(0).padStart(6)}  ${site}`);
  } finally {
    await session.close();
    await server.terminate();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
