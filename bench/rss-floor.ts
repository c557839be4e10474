/**
 * The floor under "peak RSS growth while streaming 64 MiB": a raw node:net
 * socket that only counts the bytes, next to reqivo's StreamResponse, both
 * reading 64 MiB from a server in a child process. Node allocates a fresh
 * 64 KiB buffer per socket read and frees them only when V8 collects
 * garbage, so the raw socket sets the floor any client can reach without
 * reusing read buffers.
 *
 *   npx tsc -p tsconfig.test.json && node build/bench/rss-floor.js
 * @module
 */
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const TOTAL = 64 * 1024 * 1024;

function serve(): void {
  const chunk = Buffer.alloc(64 * 1024, 7);
  const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${TOTAL}\r\n\r\n`);
  const srv = net.createServer((s) => {
    s.once('data', (req) => {
      const http = req.toString('latin1').startsWith('GET ');
      if (http) s.write(head);
      let sent = 0;
      const pump = (): void => {
        while (sent < TOTAL) {
          sent += chunk.length;
          if (!s.write(chunk)) {
            s.once('drain', pump);
            return;
          }
        }
        if (!http) s.end();
      };
      pump();
    });
  });
  srv.listen(0, '127.0.0.1', () => process.send!((srv.address() as AddressInfo).port));
}

async function measure(name: string, fn: () => Promise<number>): Promise<void> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 2);
  const n = await fn();
  clearInterval(t);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(`${name.padEnd(40)} ${(n / 1048576).toFixed(0)} MiB read, peak RSS growth ${((peak - base) / 1048576).toFixed(1)} MiB`);
}

async function measureOne(which: string, port: number): Promise<void> {
  if (which === 'raw') {
    await measure('raw node:net socket, bytes counted', () =>
      new Promise<number>((resolve, reject) => {
        let n = 0;
        const s = net.connect(port, '127.0.0.1', () => s.write('go'));
        s.on('data', (d: Buffer) => {
          n += d.length;
        });
        s.on('end', () => resolve(n));
        s.on('error', reject);
      }),
    );
    return;
  }
  const { Session } = await import('../src/index.js');
  const session = new Session({ proxy: false });
  await measure('reqivo StreamResponse, bytes counted', async () => {
    const res = await session.stream('GET', `http://127.0.0.1:${port}/`);
    let n = 0;
    for await (const c of res) n += c.byteLength;
    return n;
  });
  await session.close();
}

/** Each measurement in its own process, so one's freed pages do not lower the other's growth. */
async function main(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const server = fork(self, ['server']);
  const port = await new Promise<number>((r) => server.once('message', (m) => r(m as number)));
  try {
    for (const which of ['raw', 'reqivo', 'raw', 'reqivo']) {
      const child = fork(self, ['measure', which, String(port)]);
      await new Promise<void>((r) => child.once('exit', () => r()));
    }
  } finally {
    server.kill();
  }
}

if (process.argv[2] === 'server') serve();
else if (process.argv[2] === 'measure') await measureOne(process.argv[3]!, Number(process.argv[4]));
else await main();
