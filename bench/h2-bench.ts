/**
 * HTTP/2 benchmark: reqivo vs undici (`allowH2: true`), 100 concurrent
 * requests at a time over one session to a node:http2 secure server running
 * in a child process (so the server's CPU is not the client's).
 *
 * Run: `npx tsc -p tsconfig.test.json && node build/bench/h2-bench.js [rounds]`
 * Prints requests per second for each client, the ratio, and how many
 * sessions / HTTP/1.1 requests the server saw (it must be one session per
 * client run and no HTTP/1.1). A benchmark, not a test: it never fails on a time.
 */
import { fork } from 'node:child_process';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { H2Origin } from '../src/http2/session.js';
import { Session } from '../src/client/session.js';
import { certs } from '../test/helpers/certs.js';

const CONCURRENCY = 100;
const BODY = Buffer.alloc(1024, 'x');

interface ServerStats {
  sessions: number;
  streams: number;
  http1: number;
}

/** Child process: serve 1 KiB responses over h2 (with the parent's test certificate) until told to stop. */
function runServer(): void {
  const c = { serverKey: process.env.BENCH_KEY!, serverCert: process.env.BENCH_CERT! };
  let stats: ServerStats = { sessions: 0, streams: 0, http1: 0 };
  const server = http2.createSecureServer({ key: c.serverKey, cert: c.serverCert, allowHTTP1: true, settings: { maxConcurrentStreams: 1000 } });
  server.on('session', () => stats.sessions++);
  server.on('request', (req, res) => {
    if (req.httpVersion === '2.0') stats.streams++;
    else stats.http1++;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BODY.length });
    res.end(BODY);
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.send!({ port: typeof addr === 'object' && addr !== null ? addr.port : 0 });
  });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stats') {
      process.send!({ stats });
      stats = { sessions: 0, streams: 0, http1: 0 };
    } else if (m.cmd === 'stop') {
      server.close();
      process.exit(0);
    }
  });
}

type Round = () => Promise<number>;

async function timeRounds(round: Round, rounds: number): Promise<number> {
  for (let i = 0; i < 5; i++) await round(); // warm-up
  const t0 = performance.now();
  let n = 0;
  for (let i = 0; i < rounds; i++) n += await round();
  return (n / (performance.now() - t0)) * 1000;
}

async function reqivoRun(url: string, ca: string, rounds: number): Promise<number> {
  const session = new Session({ tls: { ca }, proxy: false, cookies: false });
  try {
    const round: Round = async () => {
      const all = await Promise.all(Array.from({ length: CONCURRENCY }, () => session.get(url)));
      for (const r of all) if (r.status !== 200 || r.body.length !== BODY.length || r.httpVersion !== '2') throw new Error('bad reqivo response');
      return all.length;
    };
    const rps = await timeRounds(round, rounds);
    for (const op of session._pool.origins()) {
      const m = op.multiplexed;
      if (m instanceof H2Origin && m.sessionsOpened !== 1) throw new Error(`reqivo opened ${m.sessionsOpened} sessions`);
    }
    return rps;
  } finally {
    await session.close();
  }
}

async function undiciRun(url: string, ca: string, rounds: number): Promise<number> {
  const u = new URL(url);
  const client = new Client(u.origin, { allowH2: true, connect: { ca, rejectUnauthorized: true }, maxConcurrentStreams: 1000, pipelining: CONCURRENCY });
  try {
    const round: Round = async () => {
      const all = await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          const r = await client.request({ path: u.pathname, method: 'GET' });
          const body = Buffer.from(await r.body.arrayBuffer());
          if (r.statusCode !== 200 || body.length !== BODY.length) throw new Error('bad undici response');
          return 1;
        }),
      );
      return all.length;
    };
    return await timeRounds(round, rounds);
  } finally {
    await client.close();
  }
}

function ask<T>(child: ReturnType<typeof fork>, cmd: string): Promise<T> {
  return new Promise<T>((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send({ cmd });
  });
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 100);
  const c = certs();
  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_KEY: c.serverKey, BENCH_CERT: c.serverCert },
  });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
  const url = `https://127.0.0.1:${port}/data`;
  const results: { reqivo: number[]; undici: number[] } = { reqivo: [], undici: [] };
  try {
    for (let trial = 0; trial < 3; trial++) {
      for (const name of trial % 2 === 0 ? (['reqivo', 'undici'] as const) : (['undici', 'reqivo'] as const)) {
        const rps = name === 'reqivo' ? await reqivoRun(url, c.caCert, rounds) : await undiciRun(url, c.caCert, rounds);
        const { stats } = await ask<{ stats: ServerStats }>(child, 'stats');
        if (stats.sessions !== 1 || stats.http1 !== 0) throw new Error(`${name}: server saw ${stats.sessions} sessions, ${stats.http1} HTTP/1.1 requests`);
        results[name].push(rps);
        console.log(`trial ${trial + 1} ${name.padEnd(6)} ${rps.toFixed(0).padStart(7)} req/s  (${stats.streams} streams on ${stats.sessions} session)`);
      }
    }
  } finally {
    child.send({ cmd: 'stop' });
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const r = median(results.reqivo);
  const u = median(results.undici);
  console.log(`\nHTTP/2, ${CONCURRENCY} concurrent requests over one session, ${rounds} rounds x 3 trials (median):`);
  console.log(`  reqivo ${r.toFixed(0)} req/s`);
  console.log(`  undici ${u.toFixed(0)} req/s (allowH2)`);
  console.log(`  ratio reqivo/undici = ${(r / u).toFixed(2)}`);
}

if (process.argv.includes('--server')) runServer();
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
