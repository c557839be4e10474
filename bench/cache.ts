/**
 * A cache hit against a keep-alive round trip: the same GET, sequential,
 * once with `cache: true` and a fresh stored response (nothing on the wire),
 * once without a cache (one request on an idle keep-alive connection to a
 * node:http server in this process); and, to show what of a hit is the
 * Session's own work, a Session whose interceptor answers with a ready
 * Response (no cache, no network). Interleaved rounds; the ratio is taken
 * per round (both halves under the same load) and its median reported,
 * with its range. The bar: a hit costs less than a tenth of the
 * round trip.
 *
 * Run: npx tsc -p tsconfig.test.json && node build/bench/cache.js [rounds=7] [perRound=4000]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Response, Session } from '../src/index.js';
import type { Interceptor } from '../src/core/dispatch.js';

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
const ready: Interceptor = () => (req) => Promise.resolve(new Response(200, 'OK', '1.1', ['content-length', '1024'], req.url, Buffer.from(body), req.method));
const floor = new Session({ proxy: false, interceptors: [ready] });

async function round(s: Session, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const res = await s.get(url);
    if (res.body.length !== body.length) throw new Error('short body');
  }
  return ((performance.now() - t0) * 1000) / n;
}

/** Hits (and interceptor answers) run this many times as many requests a round: about as long as the round trips, so one scheduling hiccup weighs on both alike. */
const HIT_SCALE = 10;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
// Warm all three: JIT, the connection, the stored response.
await round(cached, 2000);
await round(plain, 2000);
await round(floor, 2000);
const hit: number[] = [];
const trip: number[] = [];
const bare: number[] = [];
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  let h: number;
  let t: number;
  if (r % 2 === 0) {
    h = await round(cached, perRound * HIT_SCALE);
    t = await round(plain, perRound);
  } else {
    t = await round(plain, perRound);
    h = await round(cached, perRound * HIT_SCALE);
  }
  hit.push(h);
  trip.push(t);
  ratios.push(h / t);
  bare.push(await round(floor, perRound * HIT_SCALE));
}
const h = median(hit);
const t = median(trip);
const q = median(ratios);
console.log(`cache hit:             ${h.toFixed(2)} µs/request (median of ${rounds} rounds of ${perRound * HIT_SCALE})`);
console.log(`keep-alive round trip: ${t.toFixed(1)} µs/request (rounds of ${perRound})`);
console.log(`interceptor answer:    ${median(bare).toFixed(2)} µs/request (the Session's own share of a hit)`);
console.log(`hit / round trip:      ${q.toFixed(3)} median per round, ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)} (${q < 0.1 ? 'under' : 'NOT under'} a tenth)`);
await cached.close();
await plain.close();
await floor.close();
server.close();
