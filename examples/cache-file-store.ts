/**
 * The HTTP cache with a store of your own: a file-backed `{ get, set,
 * delete }` store (async, one JSON file per key, bodies in base64) that
 * survives the session. A fresh response is served with nothing on the
 * wire; a stale one is revalidated with If-None-Match and a 304; a POST
 * invalidates the URL it went to.
 *
 * Run: npx tsc -p tsconfig.test.json && node build/examples/cache-file-store.js
 * (in your project, import from 'reqivo' instead of '../src/index.js').
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CacheEntry, type CacheStore, Session } from '../src/index.js';

/** One file per key; bodies as base64 so the entry is plain JSON. */
class FileStore implements CacheStore {
  constructor(readonly dir: string) {}
  #file(key: string): string {
    return join(this.dir, createHash('sha256').update(key).digest('hex') + '.json');
  }
  async get(key: string): Promise<CacheEntry | undefined> {
    try {
      const saved = JSON.parse(await readFile(this.#file(key), 'utf8')) as { variants: Array<Omit<CacheEntry['variants'][0], 'body'> & { body: string }> };
      return { variants: saved.variants.map((v) => ({ ...v, body: Buffer.from(v.body, 'base64') })) };
    } catch {
      return undefined; // not there (or unreadable): a miss
    }
  }
  async set(key: string, entry: CacheEntry): Promise<void> {
    const variants = entry.variants.map((v) => ({ ...v, body: Buffer.from(v.body).toString('base64') }));
    await writeFile(this.#file(key), JSON.stringify({ variants }));
  }
  async delete(key: string): Promise<void> {
    await unlink(this.#file(key)).catch(() => {});
  }
}

let requests = 0;
let version = 1;
const server = http.createServer((req, res) => {
  requests++;
  if (req.method === 'POST') {
    version++;
    res.writeHead(204);
    res.end();
    return;
  }
  const etag = `"v${version}"`;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag, 'cache-control': 'max-age=60' });
    res.end();
    return;
  }
  // /fresh may be used for a minute; /checked must be revalidated every time.
  res.writeHead(200, { etag, 'content-type': 'text/plain', 'cache-control': req.url === '/fresh' ? 'max-age=60' : 'no-cache' });
  res.end(`document ${etag}`);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const dir = await mkdtemp(join(tmpdir(), 'reqivo-cache-'));

try {
  const first = new Session({ baseUrl: base, cache: new FileStore(dir), proxy: false });
  const a = await first.get('/fresh');
  console.log(`first: ${a.cacheStatus} ${a.text()} (requests: ${requests})`);
  await first.close();

  // A new session over the same directory: the stored response is still fresh.
  const session = new Session({ baseUrl: base, cache: new FileStore(dir), proxy: false });
  const b = await session.get('/fresh');
  console.log(`new session: ${b.cacheStatus} ${b.text()}, age ${b.headers.get('age')} (requests: ${requests})`);

  await session.get('/checked');
  const c = await session.get('/checked');
  console.log(`no-cache: ${c.cacheStatus} after a 304 (requests: ${requests})`);

  await session.post('/fresh');
  const d = await session.get('/fresh');
  console.log(`after POST: ${d.cacheStatus} ${d.text()}`);
  await session.close();
} finally {
  server.close();
  await rm(dir, { recursive: true, force: true });
}
