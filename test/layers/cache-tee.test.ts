/**
 * Streamed misses stored by the cache (cache-tee.ts): a `session.stream()`
 * body read to its end is stored, one cut short, closed early, failing to
 * decode or larger than the store's bound is not — against real servers.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { MemoryCache } from '../../src/layers/cache-store.js';
import { origin } from '../helpers/cache-origin.js';
import { useSessions } from '../helpers/sessions.js';

const { session } = useSessions();

describe('streamed misses', () => {
  test('a streamed body read to its end is stored: the next GET and the next stream are hits', async () => {
    const o = await origin((_req, res, n) => {
      res.writeHead(200, { 'cache-control': 'max-age=3600', 'content-type': 'text/plain' });
      // Chunked, in pieces.
      res.write(`part one of ${n}, `);
      setTimeout(() => res.end('part two'), 5);
    });
    const store = new MemoryCache();
    const s = session({ cache: store });
    const st = await s.stream('GET', o.url);
    assert.equal(st.cacheStatus, 'miss');
    assert.equal(await st.text(), 'part one of 1, part two');
    const b = await s.get(o.url);
    assert.equal(b.cacheStatus, 'hit');
    assert.equal(b.text(), 'part one of 1, part two');
    assert.equal(b.headers.get('transfer-encoding'), null, 'hop-by-hop fields are not stored');
    const again = await s.stream('GET', o.url);
    assert.equal(again.cacheStatus, 'hit');
    assert.equal(await again.text(), 'part one of 1, part two');
    assert.equal(o.seen.length, 1);
    assert.equal(store.size, 1);
  });

  test('a gzip stream is stored as it came (coded) and decoded on every hit', async () => {
    const gz = gzipSync('x'.repeat(10_000));
    const o = await origin((_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=3600', 'content-encoding': 'gzip', 'content-length': gz.length });
      res.end(gz);
    });
    const s = session({ cache: true });
    assert.equal((await (await s.stream('GET', o.url)).text()).length, 10_000);
    assert.equal((await s.get(o.url)).text(), 'x'.repeat(10_000));
    assert.deepEqual(Buffer.from((await s.get(o.url, { decompress: false })).body), gz);
    assert.equal(o.seen.length, 1);
  });

  test('a body that fails to decode is not stored', async () => {
    const bad = Buffer.concat([gzipSync('hello').subarray(0, 10), Buffer.from('not gzip at all')]);
    const o = await origin((_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=3600', 'content-encoding': 'gzip', 'content-length': bad.length });
      res.end(bad);
    });
    const store = new MemoryCache();
    const s = session({ cache: store });
    const st = await s.stream('GET', o.url);
    await assert.rejects(st.text(), { name: 'InvalidResponseError' });
    assert.equal(store.size, 0);
  });

  test('a body cut short stores nothing (and fails for the reader)', async () => {
    const o = await origin((_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=3600', 'content-length': '100' });
      res.write('only some');
      setTimeout(() => res.socket!.destroy(), 5);
    });
    const store = new MemoryCache();
    const s = session({ cache: store });
    const st = await s.stream('GET', o.url);
    await assert.rejects(st.text());
    assert.equal(store.size, 0);
  });

  test('a stream closed before its body arrived stores nothing', async () => {
    const o = await origin((_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=3600' });
      res.write('first');
      const t = setTimeout(() => res.end('rest'), 200);
      res.on('close', () => clearTimeout(t));
    });
    const store = new MemoryCache();
    const s = session({ cache: store });
    const st = await s.stream('GET', o.url);
    for await (const chunk of st) {
      assert.ok(chunk.length > 0);
      break;
    }
    assert.equal(store.size, 0);
    assert.equal((await s.get(o.url)).cacheStatus, 'miss');
  });

  test("a body larger than the store's bound streams through whole and is not stored", async () => {
    const big = Buffer.alloc(50_000, 'y');
    const o = await origin((_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=3600' });
      res.write(big.subarray(0, 20_000));
      res.end(big.subarray(20_000));
    });
    const store = new MemoryCache({ maxBytes: 10_000 });
    const s = session({ cache: store });
    const body = await (await s.stream('GET', o.url)).bytes();
    assert.equal(body.length, 50_000);
    assert.equal(store.size, 0);
  });

  test('a no-store response, or a request with no-store, is not stored', async () => {
    const o = await origin((req, res) => {
      res.writeHead(200, { 'cache-control': req.url === '/ns' ? 'no-store' : 'max-age=3600' });
      res.end('x');
    });
    const store = new MemoryCache();
    const s = session({ cache: store });
    await (await s.stream('GET', o.url + '/ns')).text();
    await (await s.stream('GET', o.url + '/ok', { headers: { 'cache-control': 'no-store' } })).text();
    assert.equal(store.size, 0);
  });

  test('a stale stored response revalidated by a stream: the 304 serves the stored body', async () => {
    const o = await origin((req, res) => {
      if (req.headers['if-none-match'] === '"s"') {
        res.writeHead(304, { 'cache-control': 'max-age=3600' });
        res.end();
        return;
      }
      res.writeHead(200, { 'cache-control': 'max-age=10', age: '100', etag: '"s"' });
      res.end('stored body');
    });
    const s = session({ cache: true });
    await (await s.stream('GET', o.url)).text();
    const st = await s.stream('GET', o.url);
    assert.equal(st.cacheStatus, 'revalidated');
    assert.equal(await st.text(), 'stored body');
    assert.equal((await s.get(o.url)).cacheStatus, 'hit');
    assert.equal(o.seen.length, 2);
  });
});
