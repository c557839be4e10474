/**
 * Retries (opt-in): idempotent requests are retried on 408/413/429/5xx and
 * on network errors, with exponential backoff plus jitter; a `Retry-After`
 * from the server is honoured, and no wait ever runs past the total timeout.
 *
 * Run: npx tsc -p tsconfig.test.json && node build/examples/retries.js
 * (in your project, import from 'reqivo' instead of '../src/index.js').
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from '../src/index.js';

let attempts = 0;
const server = http.createServer((req, res) => {
  attempts++;
  if (req.url === '/flaky' && attempts === 1) {
    res.writeHead(503, { 'retry-after': '1' });
    res.end('busy, come back in a second');
  } else if (req.url === '/flaky' && attempts === 2) {
    res.writeHead(502);
    res.end('bad gateway');
  } else res.end(`ok after ${attempts} attempts`);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const session = new Session({
  baseUrl: base,
  timeout: { total: 10_000 },
  retry: { limit: 3, backoff: { baseMs: 50, maxMs: 2000, factor: 2, jitter: 0.2 } },
});
try {
  const t0 = performance.now();
  const res = await session.get('/flaky');
  const elapsed = performance.now() - t0;
  console.log(`${res.status} ${res.text()}; Retry-After honoured: ${elapsed >= 900 ? 'yes' : 'no'}`);

  // A POST is not idempotent: never retried unless the policy lists it.
  attempts = 0;
  const post = await session.post('/flaky', { json: { order: 1 } });
  console.log(`POST: ${post.status} after ${attempts} attempt`);
} finally {
  await session.close();
  server.close();
}
