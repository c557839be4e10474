/**
 * POSTs lost while nginx reloads (issue 9 item 11): 32 POSTs kept in flight
 * over HTTP/1.1 keep-alive by reqivo and by undici at the same time, while
 * `nginx -s reload` runs every 250 ms. Counts, per client, POSTs that failed
 * and how (error message). Needs an nginx already running with keep-alive on
 * 127.0.0.1 (a `return 200` location will do):
 *
 *   node build/bench/nginx-reload.js --url=http://127.0.0.1:18481/ --conf=/tmp/ng/nginx.conf --prefix=/tmp/ng/ [--reloads=20] [--key]
 *
 * `--only=reqivo` or `--only=undici` runs one client. `--key` sends an `Idempotency-Key` header with every reqivo POST.
 */
import { execFileSync } from 'node:child_process';
import { Agent, request } from 'undici';
import { Session } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? fallback : a.slice(name.length + 3);
}

const url = arg('url', 'http://127.0.0.1:18481/');
const conf = arg('conf', '/tmp/h1-nginx/nginx.conf');
const prefix = arg('prefix', '/tmp/h1-nginx/');
const reloads = Number(arg('reloads', '20'));
const withKey = process.argv.includes('--key');
const only = arg('only', '');
const IN_FLIGHT = 32;
const RELOAD_MS = 250;

interface Tally {
  ok: number;
  failed: number;
  errors: Map<string, number>;
}

function tally(): Tally {
  return { ok: 0, failed: 0, errors: new Map() };
}

function count(t: Tally, err: unknown): void {
  t.failed++;
  const msg = String((err as Error)?.message ?? err).replace(/\d+/g, 'N');
  t.errors.set(msg, (t.errors.get(msg) ?? 0) + 1);
}

/** Keep IN_FLIGHT POSTs going until `stop()` is true. */
async function load(send: (i: number) => Promise<void>, t: Tally, stop: () => boolean): Promise<void> {
  let i = 0;
  const worker = async (): Promise<void> => {
    while (!stop()) {
      try {
        await send(i++);
        t.ok++;
      } catch (err) {
        count(t, err);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

async function main(): Promise<void> {
  const session = new Session({ proxy: false, pool: { maxConnectionsPerOrigin: IN_FLIGHT } });
  const agent = new Agent({ connections: IN_FLIGHT });
  const body = JSON.stringify({ hello: 'world', pad: 'x'.repeat(200) });
  const r = tally();
  const u = tally();
  let done = false;
  const stop = (): boolean => done;
  const sendR = async (i: number): Promise<void> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (withKey) headers['idempotency-key'] = `k${i}`;
    const res = await session.post(url, { body, headers });
    if (res.status !== 200) throw new Error(`status ${res.status}`);
  };
  const sendU = async (): Promise<void> => {
    const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  };
  const loads = Promise.all([only === 'undici' ? null : load(sendR, r, stop), only === 'reqivo' ? null : load(sendU, u, stop)]);
  for (let n = 0; n < reloads; n++) {
    await new Promise((res) => setTimeout(res, RELOAD_MS));
    execFileSync('nginx', ['-c', conf, '-p', prefix, '-s', 'reload']);
  }
  await new Promise((res) => setTimeout(res, RELOAD_MS));
  done = true;
  await loads;
  await session.close();
  await agent.close();
  const show = (name: string, t: Tally): void => {
    console.log(`${name}: ${t.ok} ok, ${t.failed} failed (${(t.failed / reloads).toFixed(1)} per reload)`);
    for (const [m, c] of t.errors) console.log(`  ${c} × ${m}`);
  };
  console.log(`${reloads} reloads every ${RELOAD_MS} ms, ${IN_FLIGHT} POSTs in flight per client${withKey ? ', reqivo with Idempotency-Key' : ''}`);
  show('reqivo', r);
  show('undici', u);
}

await main();
