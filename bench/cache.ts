/**
 * A cache hit against a keep-alive round trip: the same GET, sequential,
 * once with `cache: true` and a fresh stored response (nothing on the wire),
 * once without a cache (one request on an idle keep-alive connection to a
 * node:http server in this process). Interleaved rounds, medians of µs per
 * request. The bar: a hit costs less than a tenth of the round trip.
 *
 * Run: npx tsc -p tsconfig.test.json && node build/bench/cache.js [rounds=7] [perRound=4000]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from '../src/index.js';

const rounds = Number(process.argv[2] ?? 7);
const perRound = Number(process.argv[3] ?? 4000);
const body = Buffer.alloc(1024, 'x');
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, 'cache-control': 'max-age=3600', etag: '"b"' });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/doc`;

const cached = new Session({ cache: true, proxy: false });
const plain = new Session({ proxy: false });

async function round(s: Session, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const res = await s.get(url);
    if (res.body.length !== body.length) throw new Error('short body');
  }
  return ((performance.now() - t0) * 1000) / n;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
// Warm both: JIT, the connection, the stored response.
await round(cached, 2000);
await round(plain, 2000);
const hit: number[] = [];
const trip: number[] = [];
for (let r = 0; r < rounds; r++) {
  if (r % 2 === 0) {
    hit.push(await round(cached, perRound));
    trip.push(await round(plain, perRound));
  } else {
    trip.push(await round(plain, perRound));
    hit.push(await round(cached, perRound));
  }
}
const h = median(hit);
const t = median(trip);
console.log(`cache hit:            ${h.toFixed(1)} µs/request (median of ${rounds} rounds of ${perRound})`);
console.log(`keep-alive round trip: ${t.toFixed(1)} µs/request`);
console.log(`hit / round trip:      ${(h / t).toFixed(3)} (${h < t / 10 ? 'under' : 'NOT under'} a tenth)`);
await cached.close();
await plain.close();
server.close();
