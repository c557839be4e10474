/**
 * Pagination: `session.paginate()` follows `Link: <…>; rel="next"` (as the
 * GitHub API sends it), yields pages or — with `items` — the items of each
 * page, and stops as soon as the loop does: no request is sent for a page
 * nobody reads.
 *
 * Run: npx tsc -p tsconfig.test.json && node build/examples/pagination.js
 * (in your project, import from 'reqivo' instead of '../src/index.js').
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from '../src/index.js';

let requests = 0;
const server = http.createServer((req, res) => {
  requests++;
  const page = Number(new URL(req.url!, 'http://x').searchParams.get('page') ?? '1');
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
  if (page < 50) headers.link = `</repos?page=${page + 1}>; rel="next", </repos?page=50>; rel="last"`;
  res.writeHead(200, headers);
  res.end(JSON.stringify([{ name: `repo-${page}a` }, { name: `repo-${page}b` }]));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const session = new Session({ baseUrl: base, proxy: false });
try {
  const names: string[] = [];
  for await (const repo of session.paginate('/repos', { items: (res) => res.json() as { name: string }[], limit: 5 })) names.push(repo.name);
  console.log(`first 5 repos: ${names.join(', ')} (${requests} requests)`);

  requests = 0;
  let pages = 0;
  for await (const _page of session.paginate('/repos')) {
    if (++pages === 3) break;
  }
  console.log(`break at page 3: ${requests} requests`);
} finally {
  await session.close();
  server.close();
}
