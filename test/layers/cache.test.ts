/**
 * The cache layer against a real server that counts requests: a hit puts
 * nothing on the wire. Cases named after the HTTP WG cache-tests suite
 * (https://cache-tests.fyi) where one applies to a private client cache.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { MemoryCache, type CacheEntry, type CacheStore } from '../../src/layers/cache-store.js';
import { MockAgent } from '../../src/testing/index.js';
import type { Interceptor } from '../../src/core/dispatch.js';
import { origin, fixed } from '../helpers/cache-origin.js';
import { openSockets, sleep, waitFor } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { session } = useSessions();

const HOUR_AGO = new Date(Date.now() - 3600_000).toUTCString();
const LONG_AGO = new Date(Date.now() - 100 * 86_400_000).toUTCString();

describe('freshness', () => {
  test('freshness-max-age: a hit is served with no request on the wire, with an Age header', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=3600', 'content-type': 'text/plain' }));
    const s = session({ cache: true });
    const a = await s.get(o.url + '/x');
    assert.equal(a.cacheStatus, 'miss');
    const b = await s.get(o.url + '/x');
    assert.equal(b.cacheStatus, 'hit');
    assert.equal(b.text(), 'body 1');
    assert.equal(b.headers.get('age'), '0');
    assert.equal(b.url, a.url);
    // Each hit has its own headers and body: changing one reaches neither the store nor the next hit.
    b.headers.set('x-mine', '1');
    b.body.fill(0);
    const c = await s.get(o.url + '/x');
    assert.equal(c.headers.get('x-mine'), null);
    assert.equal(c.text(), 'body 1');
    assert.equal(o.seen.length, 1);
  });

  test('a hit carries no hop-by-hop field: not Connection nor the fields it names, not Proxy-Authenticate (§3.1)', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=3600', connection: 'keep-alive, X-Hop', 'x-hop': '1', 'proxy-authenticate': 'Basic realm="p"', 'x-end': '2' }));
    const s = session({ cache: true });
    await s.get(o.url);
    const b = await s.get(o.url);
    assert.equal(b.cacheStatus, 'hit');
    assert.equal(b.headers.get('x-hop'), null);
    assert.equal(b.headers.get('proxy-authenticate'), null);
    assert.equal(b.headers.get('connection'), null);
    assert.equal(b.headers.get('x-end'), '2');
  });

  test('credentials in the URL never reach the store keys; different credentials still get different entries', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=3600', 'content-type': 'text/plain' }));
    const mem = new MemoryCache();
    const keys: string[] = [];
    const store: CacheStore = {
      get: (k) => (keys.push(k), mem.get(k)),
      set: (k, e) => (keys.push(k), mem.set(k, e)),
      delete: (k) => (keys.push(k), mem.delete(k)),
    };
    const s = session({ cache: store });
    const ann = o.url.replace('http://', 'http://ann:s3cret@');
    const bob = o.url.replace('http://', 'http://bob:hunter2@');
    assert.equal((await s.get(`${ann}/x`)).text(), 'body 1');
    assert.equal((await s.get(`${ann}/x`)).cacheStatus, 'hit');
    assert.equal((await s.get(`${bob}/x`)).text(), 'body 2');
    assert.equal((await s.get(`${o.url}/x`)).text(), 'body 3');
    assert.equal(o.seen.length, 3);
    assert.ok(keys.length > 0);
    for (const k of keys) assert.doesNotMatch(k, /s3cret|hunter2|ann|bob/, k);
    assert.equal(new Set(keys).size, 3, JSON.stringify(keys));
  });

  test('a hit with a large body gets its own copy of it', async () => {
    const big = Buffer.alloc(100_000, 'z');
    const o = await origin((_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=3600' });
      res.end(big);
    });
    const s = session({ cache: true });
    await s.get(o.url);
    const a = await s.get(o.url);
    assert.equal(a.cacheStatus, 'hit');
    assert.deepEqual(Buffer.from(a.body), big);
    a.body.fill(0);
    assert.deepEqual(Buffer.from((await s.get(o.url)).body), big);
  });

  test('no cache option: cacheStatus is null and every request goes out', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=3600' }));
    const s = session();
    assert.equal((await s.get(o.url)).cacheStatus, null);
    await s.get(o.url);
    assert.equal(o.seen.length, 2);
  });

  test('freshness-max-age-age: an Age header older than max-age makes it stale on arrival', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=60', age: '120' }));
    const s = session({ cache: true });
    await s.get(o.url);
    assert.equal((await s.get(o.url)).cacheStatus, 'miss');
    assert.equal(o.seen.length, 2);
  });

  test('freshness-max-age-s-maxage-private: a private cache ignores s-maxage', async () => {
    const o = await origin(fixed({ 'cache-control': 's-maxage=3600, max-age=0' }));
    const s = session({ cache: true });
    await s.get(o.url);
    await s.get(o.url);
    assert.equal(o.seen.length, 2);
  });

  test('freshness-expires-future / -past / -invalid, freshness-max-age over Expires', async () => {
    const future = new Date(Date.now() + 3600_000).toUTCString();
    const o = await origin((req, res, n) => {
      const h: http.OutgoingHttpHeaders = { date: new Date().toUTCString() };
      if (req.url === '/future') h.expires = future;
      if (req.url === '/past') h.expires = HOUR_AGO;
      if (req.url === '/invalid') h.expires = '0';
      if (req.url === '/both') Object.assign(h, { expires: HOUR_AGO, 'cache-control': 'max-age=3600' });
      res.writeHead(200, h);
      res.end(String(n));
    });
    const s = session({ cache: true });
    for (const p of ['/future', '/past', '/invalid', '/both']) {
      await s.get(o.url + p);
      await s.get(o.url + p);
    }
    assert.deepEqual(o.seen.map((r) => r.url), ['/future', '/past', '/past', '/invalid', '/invalid', '/both']);
  });

  test('freshness-expires-invalid: an Expires that is no HTTP-date (a bare year, a date without time) is already expired, whatever Date.parse makes of it', async () => {
    const o = await origin((req, res, n) => {
      const h: http.OutgoingHttpHeaders = { date: new Date().toUTCString() };
      if (req.url === '/year') h.expires = '2099';
      if (req.url === '/no-time') h.expires = 'Thu, 01 Jan 2099';
      if (req.url === '/asctime') h.expires = 'Thu Jan  1 00:00:00 2099';
      res.writeHead(200, h);
      res.end(String(n));
    });
    const s = session({ cache: true });
    for (const p of ['/year', '/no-time', '/asctime']) {
      await s.get(o.url + p);
      await s.get(o.url + p);
    }
    assert.deepEqual(o.seen.map((r) => r.url), ['/year', '/year', '/no-time', '/no-time', '/asctime']);
  });

  test('heuristic: a 200 with an old Last-Modified is fresh for a while; a 302 is not heuristically cacheable', async () => {
    const o = await origin((req, res) => {
      res.writeHead(req.url === '/moved' ? 302 : 200, { 'last-modified': LONG_AGO, date: new Date().toUTCString(), location: '/doc' });
      res.end('x');
    });
    const s = session({ cache: true, followRedirects: false });
    await s.get(o.url + '/doc');
    assert.equal((await s.get(o.url + '/doc')).cacheStatus, 'hit');
    await s.get(o.url + '/moved');
    await s.get(o.url + '/moved');
    assert.deepEqual(o.seen.map((r) => r.url), ['/doc', '/moved', '/moved']);
  });

  test('freshness-max-age-invalid: a max-age that is no number makes the response stale, with no Last-Modified heuristic instead', async () => {
    const o = await origin((req, res, n) => {
      res.writeHead(200, { 'cache-control': req.url === '/bad' ? 'max-age=abc' : 'max-age', 'last-modified': LONG_AGO, date: new Date().toUTCString() });
      res.end(String(n));
    });
    const s = session({ cache: true });
    for (const p of ['/bad', '/bad', '/empty', '/empty']) assert.notEqual((await s.get(o.url + p)).cacheStatus, 'hit', p);
    assert.equal(o.seen.length, 4);
  });

  test('cc-resp-no-store: not stored; cc-req-no-store: not served', async () => {
    const o = await origin((req, res) => {
      res.writeHead(200, { 'cache-control': req.url === '/ns' ? 'no-store, max-age=3600' : 'max-age=3600' });
      res.end('x');
    });
    const s = session({ cache: true });
    await s.get(o.url + '/ns');
    await s.get(o.url + '/ns');
    await s.get(o.url + '/ok');
    await s.get(o.url + '/ok', { headers: { 'cache-control': 'no-store' } });
    assert.deepEqual(o.seen.map((r) => r.url), ['/ns', '/ns', '/ok', '/ok']);
  });

  test('cc-req-max-age-0 and Pragma: no-cache send the request on', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=3600' }));
    const s = session({ cache: true });
    await s.get(o.url);
    await s.get(o.url, { headers: { 'cache-control': 'max-age=0' } });
    await s.get(o.url, { headers: { pragma: 'no-cache' } });
    assert.equal((await s.get(o.url)).cacheStatus, 'hit');
    assert.equal(o.seen.length, 3);
  });

  test('only GET and HEAD are cached', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=3600' }));
    const s = session({ cache: true });
    await s.request('OPTIONS', o.url);
    await s.request('OPTIONS', o.url);
    await s.head(o.url);
    const h = await s.head(o.url);
    assert.equal(h.cacheStatus, 'hit');
    assert.equal(h.body.length, 0);
    assert.deepEqual(o.seen.map((r) => r.method), ['OPTIONS', 'OPTIONS', 'HEAD']);
  });
});

describe('request directives (§5.2.1)', () => {
  /** An origin whose /<anything> answers `cc` (and `age` when given), with an ETag it answers 304 to. */
  const validating = (cc: string, age?: string) =>
    origin((req, res, n) => {
      if (req.headers['if-none-match'] === '"v"') {
        res.writeHead(304, { etag: '"v"' });
        res.end();
        return;
      }
      res.writeHead(200, { 'cache-control': cc, etag: '"v"', ...(age === undefined ? {} : { age }) });
      res.end(`body ${n}`);
    });

  test('ccreq-magreaterage: a request max-age smaller than the stored age is not served; ccreq-ma1 as a larger one is', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=3600', age: '1800' }));
    const s = session({ cache: true });
    await s.get(o.url);
    assert.equal((await s.get(o.url, { headers: { 'cache-control': 'max-age=3000' } })).cacheStatus, 'hit');
    assert.equal((await s.get(o.url, { headers: { 'cache-control': 'max-age=1000' } })).cacheStatus, 'miss');
    assert.equal(o.seen.length, 2);
  });

  test('ccreq-max-stale / ccreq-max-stale-age: a stale response within max-stale is served as it is; past it, or with must-revalidate or no-cache, it is not', async () => {
    const o = await origin((req, res) => {
      const cc = req.url === '/mr' ? 'max-age=1500, must-revalidate' : req.url === '/nc' ? 'max-age=1500, no-cache' : 'max-age=1500';
      res.writeHead(200, { 'cache-control': cc, age: '2000' });
      res.end(req.url);
    });
    const s = session({ cache: true });
    await s.get(o.url + '/x');
    const a = await s.get(o.url + '/x', { headers: { 'cache-control': 'max-stale=1000' } });
    assert.equal(a.cacheStatus, 'stale');
    assert.equal(a.text(), '/x');
    assert.ok(Number(a.headers.get('age')) >= 2000, 'served with its age');
    assert.equal((await s.get(o.url + '/x', { headers: { 'cache-control': 'max-stale' } })).cacheStatus, 'stale', 'max-stale without a value: any staleness');
    assert.equal(o.seen.length, 1);
    assert.equal((await s.get(o.url + '/x', { headers: { 'cache-control': 'max-stale=100' } })).cacheStatus, 'miss');
    assert.equal(o.seen.length, 2);
    for (const p of ['/mr', '/nc']) {
      await s.get(o.url + p);
      assert.equal((await s.get(o.url + p, { headers: { 'cache-control': 'max-stale' } })).cacheStatus, 'miss', p);
    }
    assert.equal(o.seen.length, 6);
  });

  test('max-stale with max-age: the request max-age still bounds the age', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=1500', age: '2000' }));
    const s = session({ cache: true });
    await s.get(o.url);
    assert.equal((await s.get(o.url, { headers: { 'cache-control': 'max-stale, max-age=1000' } })).cacheStatus, 'miss');
    assert.equal(o.seen.length, 2);
  });

  test('ccreq-min-fresh / ccreq-min-fresh-age: a response not fresh for min-fresh more seconds is not served', async () => {
    const o = await origin((req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=1500', ...(req.url === '/aged' ? { age: '1000' } : {}) });
      res.end('x');
    });
    const s = session({ cache: true });
    await s.get(o.url + '/new');
    await s.get(o.url + '/aged');
    assert.equal((await s.get(o.url + '/new', { headers: { 'cache-control': 'min-fresh=1000' } })).cacheStatus, 'hit');
    assert.equal((await s.get(o.url + '/new', { headers: { 'cache-control': 'min-fresh=2000' } })).cacheStatus, 'miss');
    assert.equal((await s.get(o.url + '/aged', { headers: { 'cache-control': 'min-fresh=1000' } })).cacheStatus, 'miss');
    assert.equal((await s.get(o.url + '/aged', { headers: { 'cache-control': 'min-fresh=100' } })).cacheStatus, 'hit');
    assert.deepEqual(o.seen.map((r) => r.url), ['/new', '/aged', '/new', '/aged']);
  });

  test('ccreq-no-cache-etag / -lm: a request no-cache revalidates a fresh response with its validators', async () => {
    const lm = new Date(Date.now() - 3600_000).toUTCString();
    const o = await origin((req, res) => {
      if (req.headers['if-none-match'] === '"v"' || req.headers['if-modified-since'] === lm) {
        res.writeHead(304, {});
        res.end();
        return;
      }
      res.writeHead(200, { 'cache-control': 'max-age=3600', ...(req.url === '/etag' ? { etag: '"v"' } : { 'last-modified': lm }) });
      res.end(req.url);
    });
    const s = session({ cache: true });
    for (const p of ['/etag', '/lm']) {
      await s.get(o.url + p);
      const r = await s.get(o.url + p, { headers: { 'cache-control': 'no-cache' } });
      assert.equal(r.cacheStatus, 'revalidated', p);
      assert.equal(r.text(), p);
    }
    assert.equal(o.seen[1]!.headers['if-none-match'], '"v"');
    assert.equal(o.seen[3]!.headers['if-modified-since'], lm);
  });

  test('pragma-request-extension: an unknown Pragma does not stop a hit', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=3600' }));
    const s = session({ cache: true });
    await s.get(o.url);
    assert.equal((await s.get(o.url, { headers: { pragma: 'unrecognised-extension' } })).cacheStatus, 'hit');
    assert.equal((await s.get(o.url, { headers: { pragma: 'no-cache', 'cache-control': 'max-age=3600' } })).cacheStatus, 'hit', 'Cache-Control wins over Pragma');
    assert.equal(o.seen.length, 1);
  });

  test('ccreq-oic: only-if-cached answers 504 with nothing sent, not retried; a fresh (or max-stale) response is served', async () => {
    const o = await origin((req, res) => {
      res.writeHead(200, { 'cache-control': req.url === '/stale' ? 'max-age=10' : 'max-age=3600', ...(req.url === '/stale' ? { age: '100' } : {}) });
      res.end(req.url);
    });
    let retries = 0;
    const s = session({ cache: true, hooks: { beforeRetry: [() => void retries++] } });
    const none = await s.get(o.url + '/none', { headers: { 'cache-control': 'only-if-cached' } });
    assert.equal(none.status, 504);
    assert.equal(none.body.length, 0);
    assert.equal(none.cacheStatus, 'miss');
    assert.equal(retries, 0, 'the generated 504 is not retried');
    await s.get(o.url + '/fresh');
    await s.get(o.url + '/stale');
    const fresh = await s.get(o.url + '/fresh', { headers: { 'cache-control': 'only-if-cached' } });
    assert.equal(fresh.cacheStatus, 'hit');
    assert.equal(fresh.text(), '/fresh');
    assert.equal((await s.get(o.url + '/stale', { headers: { 'cache-control': 'only-if-cached' } })).status, 504);
    assert.equal((await s.get(o.url + '/stale', { headers: { 'cache-control': 'only-if-cached, max-stale' } })).cacheStatus, 'stale');
    const st = await s.stream('GET', o.url + '/none', { headers: { 'cache-control': 'only-if-cached' } });
    assert.equal(st.status, 504);
    assert.equal((await st.bytes()).length, 0);
    assert.deepEqual(o.seen.map((r) => r.url), ['/fresh', '/stale']);
  });

  test('cc-resp-immutable-fresh: not revalidated while fresh, even by a reload (max-age=0); a forced reload (no-cache) still is', async () => {
    const o = await validating('max-age=3600, immutable');
    const s = session({ cache: true });
    await s.get(o.url);
    assert.equal((await s.get(o.url, { headers: { 'cache-control': 'max-age=0' } })).cacheStatus, 'hit');
    assert.equal(o.seen.length, 1);
    assert.equal((await s.get(o.url, { headers: { 'cache-control': 'no-cache' } })).cacheStatus, 'revalidated');
    assert.equal(o.seen.length, 2);
  });

  test('cc-resp-immutable-stale: a stale immutable response is revalidated', async () => {
    const o = await validating('max-age=10, immutable', '100');
    const s = session({ cache: true });
    await s.get(o.url);
    assert.equal((await s.get(o.url)).cacheStatus, 'revalidated');
    assert.equal(o.seen[1]!.headers['if-none-match'], '"v"');
  });

  test('a max-age=0 reload revalidates a fresh response without immutable', async () => {
    const o = await validating('max-age=3600');
    const s = session({ cache: true });
    await s.get(o.url);
    assert.equal((await s.get(o.url, { headers: { 'cache-control': 'max-age=0' } })).cacheStatus, 'revalidated');
    assert.equal(o.seen.length, 2);
  });

  test('status-200-must-understand / status-599-must-understand: must-understand overrides no-store only for a status understood here', async () => {
    const o = await origin((req, res) => {
      res.writeHead(req.url === '/599' ? 599 : 200, { 'cache-control': 'max-age=3600, no-store, must-understand' });
      res.end(req.url);
    });
    const s = session({ cache: true });
    for (const p of ['/200', '/200', '/599', '/599']) await s.get(o.url + p);
    assert.deepEqual(o.seen.map((r) => r.url), ['/200', '/599', '/599']);
  });

  test('stale-while-revalidate is not used past a request max-age', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=10, stale-while-revalidate=3600', age: '100' }));
    const s = session({ cache: true });
    await s.get(o.url);
    assert.equal((await s.get(o.url, { headers: { 'cache-control': 'max-age=50' } })).cacheStatus, 'miss');
    assert.equal(o.seen.length, 2);
  });
});

describe('validation', () => {
  test('conditional-etag: a stale response is revalidated with If-None-Match; the 304 headers are merged (§4.3.4)', async () => {
    const o = await origin((req, res, n) => {
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=3600', 'x-version': 'updated', 'content-length': '99' });
        res.end();
        return;
      }
      res.writeHead(200, { etag: '"v1"', 'cache-control': 'max-age=0', 'x-version': 'first', 'content-type': 'text/plain', 'content-length': '6' });
      res.end(`body ${n}`);
    });
    const s = session({ cache: true });
    await s.get(o.url);
    const b = await s.get(o.url);
    assert.equal(b.status, 200);
    assert.equal(b.cacheStatus, 'revalidated');
    assert.equal(b.text(), 'body 1');
    assert.equal(b.headers.get('x-version'), 'updated');
    assert.equal(b.headers.get('content-length'), '6', 'Content-Length is not updated by a 304 (§3.2)');
    assert.equal(o.seen[1]!.headers['if-none-match'], '"v1"');
    // The 304 made it fresh for an hour.
    assert.equal((await s.get(o.url)).cacheStatus, 'hit');
    assert.equal(o.seen.length, 2);
  });

  test('a 304 whose ETag or Last-Modified names another representation updates nothing: the request goes again without conditions (§4.3.4)', async () => {
    const o = await origin((req, res, n) => {
      if (req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined) {
        // A 304 for the representation the origin has now, not for the stored one.
        res.writeHead(304, req.url === '/etag' ? { etag: '"v2"', 'cache-control': 'max-age=3600' } : { 'last-modified': HOUR_AGO, 'cache-control': 'max-age=3600' });
        res.end();
        return;
      }
      res.writeHead(200, req.url === '/etag' ? { etag: n === 1 ? '"v1"' : '"v2"', 'cache-control': 'max-age=0' } : { 'last-modified': n === 4 ? LONG_AGO : HOUR_AGO, 'cache-control': 'max-age=0' });
      res.end(`body ${n}`);
    });
    const s = session({ cache: true });
    assert.equal((await s.get(o.url + '/etag')).text(), 'body 1');
    const b = await s.get(o.url + '/etag');
    assert.equal(b.text(), 'body 3');
    assert.equal(b.cacheStatus, 'miss');
    assert.equal(b.headers.get('etag'), '"v2"');
    assert.deepEqual(o.seen.map((r) => r.headers['if-none-match'] ?? null), [null, '"v1"', null]);
    assert.equal((await s.get(o.url + '/lm')).text(), 'body 4');
    const c = await s.get(o.url + '/lm');
    assert.equal(c.text(), 'body 6');
    assert.equal(o.seen[4]!.headers['if-modified-since'], LONG_AGO);
    assert.equal(o.seen[5]!.headers['if-modified-since'], undefined);
    // A weak ETag in the 304 matches the strong stored one (weak comparison): the ordinary revalidation.
    const w = await origin((req, res, n) => {
      if (req.headers['if-none-match'] !== undefined) res.writeHead(304, { etag: 'W/"v1"', 'cache-control': 'max-age=3600' });
      else res.writeHead(200, { etag: '"v1"', 'cache-control': 'max-age=0' });
      res.end(req.headers['if-none-match'] !== undefined ? undefined : `body ${n}`);
    });
    await s.get(w.url);
    const d = await s.get(w.url);
    assert.equal(d.cacheStatus, 'revalidated');
    assert.equal(d.text(), 'body 1');
  });

  test('after a 304 the stored response is as old as the 304, not as the Age it first came with', async () => {
    const o = await origin((req, res) => {
      if (req.headers['if-none-match'] === '"a"') res.writeHead(304, { etag: '"a"', 'cache-control': 'max-age=3600' });
      else res.writeHead(200, { etag: '"a"', 'cache-control': 'max-age=60', age: '5000' });
      res.end(req.headers['if-none-match'] ? undefined : 'x');
    });
    const s = session({ cache: true });
    await s.get(o.url);
    assert.equal((await s.get(o.url)).cacheStatus, 'revalidated');
    const c = await s.get(o.url);
    assert.equal(c.cacheStatus, 'hit');
    assert.equal(c.headers.get('age'), '0');
    assert.equal(o.seen.length, 2);
  });

  test('conditional-lm: If-Modified-Since from Last-Modified; a 200 answer replaces the stored one', async () => {
    const o = await origin((req, res, n) => {
      res.writeHead(200, { 'last-modified': HOUR_AGO, 'cache-control': 'max-age=0' });
      res.end(`body ${n}`);
    });
    const s = session({ cache: true });
    await s.get(o.url);
    const b = await s.get(o.url);
    assert.equal(o.seen[1]!.headers['if-modified-since'], HOUR_AGO);
    assert.equal(b.cacheStatus, 'miss');
    assert.equal(b.text(), 'body 2');
  });

  test('cc-resp-no-cache: stored, but revalidated before every use', async () => {
    const o = await origin((req, res) => {
      if (req.headers['if-none-match'] === '"e"') res.writeHead(304, { etag: '"e"' });
      else res.writeHead(200, { etag: '"e"', 'cache-control': 'no-cache, max-age=3600' });
      res.end(req.headers['if-none-match'] ? undefined : 'x');
    });
    const s = session({ cache: true });
    await s.get(o.url);
    assert.equal((await s.get(o.url)).cacheStatus, 'revalidated');
    assert.equal((await s.get(o.url)).cacheStatus, 'revalidated');
    assert.equal(o.seen.length, 3);
  });

  test("a 304 to a request the cache made no condition for is the caller's, as a 'miss' (cacheStatus is null only without a cache)", async () => {
    const o = await origin(fixed({ etag: '"x"' }, 304));
    const r = await session({ cache: true }).get(o.url);
    assert.equal(r.status, 304);
    assert.equal(r.cacheStatus, 'miss');
  });

  test("a caller's own conditional request passes through untouched", async () => {
    const o = await origin((_req, res) => {
      res.writeHead(304, { etag: '"e"', 'cache-control': 'max-age=3600' });
      res.end();
    });
    const s = session({ cache: true });
    const r = await s.get(o.url, { headers: { 'if-none-match': '"e"' } });
    assert.equal(r.status, 304);
    assert.equal(r.cacheStatus, 'miss');
    assert.equal((await s.get(o.url, { headers: { 'If-Modified-Since': HOUR_AGO } })).status, 304);
    assert.equal(o.seen.length, 2);
  });
});

describe('ranges (a 206 is never stored)', () => {
  /** An origin serving 10 bytes, honouring a `bytes=a-b` Range with a 206. */
  const ranged = () =>
    origin((req, res) => {
      const body = Buffer.from('0123456789');
      const m = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''));
      const [a, b] = m ? [Number(m[1]), Number(m[2])] : [0, -1];
      if (a <= b && b < 10) {
        res.writeHead(206, { 'cache-control': 'max-age=3600', 'content-range': `bytes ${a}-${b}/10`, 'content-length': b - a + 1 });
        res.end(body.subarray(a, b + 1));
        return;
      }
      res.writeHead(req.url === '/always206' ? 206 : 200, { 'cache-control': 'max-age=3600', ...(req.url === '/always206' ? { 'content-range': 'bytes 0-9/10' } : {}) });
      res.end(body);
    });

  test('partial-store-complete-reuse-partial (-no-last, -suffix): a range is cut from a fresh stored complete response, nothing sent', async () => {
    const o = await ranged();
    const s = session({ cache: true });
    await s.get(o.url);
    for (const [range, body, contentRange] of [
      ['bytes=2-4', '234', 'bytes 2-4/10'],
      ['bytes=5-', '56789', 'bytes 5-9/10'],
      ['bytes=-3', '789', 'bytes 7-9/10'],
      ['bytes=8-100', '89', 'bytes 8-9/10'],
    ] as const) {
      const part = await s.get(o.url, { headers: { range } });
      assert.equal(part.status, 206, range);
      assert.equal(part.cacheStatus, 'hit');
      assert.equal(part.text(), body);
      assert.equal(part.headers.get('content-range'), contentRange);
      assert.equal(part.headers.get('content-length'), String(body.length));
    }
    const st = await s.stream('GET', o.url, { headers: { range: 'bytes=0-1' } });
    assert.equal(st.status, 206);
    assert.equal(await st.text(), '01');
    const full = await s.get(o.url);
    assert.equal(full.status, 200);
    assert.equal(full.text(), '0123456789');
    assert.equal(o.seen.length, 1);
  });

  test('a range the cache does not cut goes to the origin, its answer not stored: several ranges, unsatisfiable, If-Range, a stale or coded response', async () => {
    const o = await ranged();
    const s = session({ cache: true });
    await s.get(o.url);
    for (const headers of [{ range: 'bytes=0-1,4-5' }, { range: 'bytes=20-30' }, { range: 'bytes=5-2' }, { range: 'items=0-1' }, { range: 'bytes=0-1', 'if-range': '"x"' }, { range: 'bytes=0-1', 'cache-control': 'no-cache' }]) {
      assert.equal((await s.get(o.url, { headers })).cacheStatus, 'miss', JSON.stringify(headers));
    }
    assert.equal(o.seen.length, 7);
    const part = await s.get(o.url, { headers: { range: 'bytes=2-4' } });
    assert.equal(part.cacheStatus, 'hit', 'the answers to those were not stored over the full response');
    const stale = await origin((req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=10', age: req.url === '/stale' ? '100' : '0', ...(req.url === '/gz' ? { 'content-encoding': 'gzip' } : {}) });
      res.end(req.url === '/gz' ? gzipSync('0123456789') : '0123456789');
    });
    for (const p of ['/stale', '/gz']) {
      await s.get(stale.url + p);
      assert.equal((await s.get(stale.url + p, { headers: { range: 'bytes=0-1' } })).cacheStatus, 'miss', p);
    }
    assert.equal(stale.seen.length, 4);
  });

  test('partial content first: a 206 (even to a request without Range) is never served from the cache', async () => {
    const o = await ranged();
    const s = session({ cache: true });
    await s.get(o.url + '/p', { headers: { range: 'bytes=0-1' } });
    const full = await s.get(o.url + '/p');
    assert.equal(full.status, 200);
    assert.equal(full.text(), '0123456789');
    await s.get(o.url + '/always206');
    assert.equal((await s.get(o.url + '/always206')).cacheStatus, 'miss');
    assert.equal(o.seen.length, 4);
  });

  test('If-Range, If-Match and If-Unmodified-Since requests pass by too', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=3600', etag: '"e"' }));
    const s = session({ cache: true });
    await s.get(o.url);
    for (const h of [{ 'if-range': '"e"', range: 'bytes=0-0' }, { 'if-match': '"e"' }, { 'if-unmodified-since': HOUR_AGO }]) {
      assert.equal((await s.get(o.url, { headers: h })).cacheStatus, 'miss');
    }
    assert.equal(o.seen.length, 4);
  });
});

describe('Vary', () => {
  test('vary-match hits, vary-no-match misses (a request on the wire), and both variants are kept', async () => {
    const o = await origin((req, res) => {
      res.writeHead(200, { vary: 'Accept-Language', 'cache-control': 'max-age=3600' });
      res.end(`lang ${req.headers['accept-language']}`);
    });
    const s = session({ cache: true });
    await s.get(o.url, { headers: { 'accept-language': 'en' } });
    assert.equal((await s.get(o.url, { headers: { 'accept-language': 'en' } })).cacheStatus, 'hit');
    const fr = await s.get(o.url, { headers: { 'accept-language': 'fr' } });
    assert.equal(fr.cacheStatus, 'miss');
    assert.equal(fr.text(), 'lang fr');
    assert.equal((await s.get(o.url, { headers: { 'accept-language': 'en' } })).text(), 'lang en');
    assert.equal((await s.get(o.url, { headers: { 'accept-language': 'fr' } })).cacheStatus, 'hit');
    assert.equal((await s.get(o.url)).cacheStatus, 'miss', 'vary-omit: a request without the header is another variant');
    assert.equal(o.seen.length, 3);
  });

  test("vary-cookie: the jar's cookies count as the request's Cookie, so a page stored before a login is not served after it", async () => {
    const o = await origin((req, res) => {
      if (req.url === '/login') {
        res.writeHead(200, { 'set-cookie': 'sid=alice; Path=/' });
        res.end('ok');
        return;
      }
      res.writeHead(200, { vary: 'Cookie', 'cache-control': 'max-age=3600' });
      res.end(`page for ${req.headers.cookie ?? 'anon'}`);
    });
    const s = session({ cache: true });
    assert.equal((await s.get(`${o.url}/p`)).text(), 'page for anon');
    assert.equal((await s.get(`${o.url}/p`)).cacheStatus, 'hit');
    await s.get(`${o.url}/login`);
    const after = await s.get(`${o.url}/p`);
    assert.equal(after.text(), 'page for sid=alice');
    assert.equal(after.cacheStatus, 'miss');
    const again = await s.get(`${o.url}/p`);
    assert.equal(again.cacheStatus, 'hit', 'the logged-in variant is a hit too');
    assert.equal(again.text(), 'page for sid=alice');
    // The caller's own Cookie goes with the jar's, as on the wire.
    const own = await s.get(`${o.url}/p`, { headers: { cookie: 'x=1' } });
    assert.equal(own.cacheStatus, 'miss');
    assert.equal((await s.get(`${o.url}/p`, { headers: { cookie: 'x=1' } })).cacheStatus, 'hit');
    assert.equal(o.seen.length, 4);
  });

  test('vary-star: a response with Vary: * is never served from the cache', async () => {
    const o = await origin(fixed({ vary: '*', 'cache-control': 'max-age=3600' }));
    const s = session({ cache: true });
    await s.get(o.url);
    await s.get(o.url);
    assert.equal(o.seen.length, 2);
  });
});

describe('stale responses', () => {
  test('stale-while-revalidate: served stale at once, revalidated in the background, then a hit', async () => {
    const o = await origin((req, res, n) => {
      // The first answer is already 100 s old: stale on arrival, inside its revalidation window.
      res.writeHead(200, n === 1 ? { 'cache-control': 'max-age=60, stale-while-revalidate=3600', age: '100' } : { 'cache-control': 'max-age=3600' });
      res.end(`body ${n}`);
    });
    const s = session({ cache: true });
    await s.get(o.url);
    const b = await s.get(o.url);
    assert.equal(b.cacheStatus, 'stale');
    assert.equal(b.text(), 'body 1');
    await waitFor(() => o.seen.length === 2, 5000, 'the background revalidation');
    await sleep(20);
    const c = await s.get(o.url);
    assert.equal(c.cacheStatus, 'hit');
    assert.equal(c.text(), 'body 2');
  });

  test('stale-while-revalidate: a 304 to the background revalidation freshens the stored response', async () => {
    const o = await origin((req, res) => {
      if (req.headers['if-none-match'] === '"w"') res.writeHead(304, { 'cache-control': 'max-age=3600' });
      else res.writeHead(200, { 'cache-control': 'max-age=60, stale-while-revalidate=3600', age: '100', etag: '"w"' });
      res.end(req.headers['if-none-match'] ? undefined : 'first');
    });
    let sets = 0;
    const store = new (class extends MemoryCache {
      override set(key: string, entry: CacheEntry): void {
        sets++;
        super.set(key, entry);
      }
    })();
    const s = session({ cache: store });
    await s.get(o.url);
    assert.equal((await s.get(o.url)).cacheStatus, 'stale');
    await waitFor(() => sets === 2, 5000, 'the background 304 to be merged into the store');
    const c = await s.get(o.url);
    assert.equal(c.cacheStatus, 'hit');
    assert.equal(c.text(), 'first');
    assert.equal(o.seen[1]!.headers['if-none-match'], '"w"');
    assert.equal(o.seen.length, 2);
  });

  test("a background revalidation carries the caller's Cookie header and the jar's cookies", async () => {
    const o = await origin((req, res, n) => {
      const h: http.OutgoingHttpHeaders = n === 1 ? { 'cache-control': 'max-age=60, stale-while-revalidate=3600', age: '100', 'set-cookie': 'jar=1; Path=/' } : { 'cache-control': 'max-age=3600' };
      res.writeHead(200, h);
      res.end('x');
    });
    const s = session({ cache: true });
    await s.get(o.url, { headers: { cookie: 'mine=2' } });
    assert.equal((await s.get(o.url, { headers: { cookie: 'mine=2' } })).cacheStatus, 'stale');
    await waitFor(() => o.seen.length === 2, 5000, 'the background revalidation');
    assert.equal(o.seen[1]!.headers.cookie, 'mine=2; jar=1');
  });

  test('background revalidation ends with close(): no socket left behind', async () => {
    const hanging: http.ServerResponse[] = [];
    const o = await origin((_req, res, n) => {
      if (n > 1) {
        hanging.push(res); // never answers
        return;
      }
      res.writeHead(200, { 'cache-control': 'max-age=1, stale-while-revalidate=3600', age: '100' });
      res.end('x');
    });
    const before = openSockets();
    const s = session({ cache: true });
    await s.get(o.url);
    assert.equal((await s.get(o.url)).cacheStatus, 'stale');
    await waitFor(() => o.seen.length === 2, 5000, 'the background request');
    await s.close();
    await waitFor(() => openSockets() <= before, 2000, 'the background socket to close');
  });

  test('stale-if-error: a 5xx or a network failure on revalidation serves the stale response', async () => {
    const o = await origin((req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'cache-control': 'max-age=60, stale-if-error=3600', age: '100' });
        res.end('kept');
      } else if (n === 2) {
        res.writeHead(503);
        res.end('down');
      } else res.socket!.destroy();
    });
    const s = session({ cache: true });
    await s.get(o.url);
    const b = await s.get(o.url);
    assert.equal(b.cacheStatus, 'stale');
    assert.equal(b.text(), 'kept');
    const c = await s.get(o.url, { retry: false });
    assert.equal(c.cacheStatus, 'stale');
  });

  test('must-revalidate: no stale-if-error, the 503 is returned', async () => {
    const o = await origin((_req, res, n) => {
      res.writeHead(n === 1 ? 200 : 503, { 'cache-control': 'max-age=60, stale-if-error=3600, must-revalidate', age: '100' });
      res.end('x');
    });
    const s = session({ cache: true });
    await s.get(o.url);
    assert.equal((await s.get(o.url)).status, 503);
  });
});

describe('invalidation (§4.4)', () => {
  test('invalidation-post, invalidation-put, invalidation-delete: the target URI is no longer served', async () => {
    const o = await origin(fixed({ 'cache-control': 'max-age=3600' }));
    const s = session({ cache: true });
    for (const m of ['POST', 'PUT', 'DELETE']) {
      await s.get(o.url + '/r');
      assert.equal((await s.get(o.url + '/r')).cacheStatus, 'hit');
      await s.request(m, o.url + '/r');
      assert.equal((await s.get(o.url + '/r')).cacheStatus, 'miss', m);
    }
  });

  test('invalidation-location / -content-location: same origin only; an error response invalidates nothing', async () => {
    const other = await origin(fixed({ 'cache-control': 'max-age=3600' }));
    const o = await origin((req, res) => {
      if (req.method === 'POST' && req.url === '/fail') res.writeHead(500, { location: '/a' });
      else if (req.method === 'POST') res.writeHead(200, { location: '/a', 'content-location': `${other.url}/b` });
      else res.writeHead(200, { 'cache-control': 'max-age=3600' });
      res.end('x');
    });
    const s = session({ cache: true });
    await s.get(o.url + '/a');
    await s.get(other.url + '/b');
    await s.post(o.url + '/fail');
    assert.equal((await s.get(o.url + '/a')).cacheStatus, 'hit', 'a 500 invalidates nothing');
    await s.post(o.url + '/form');
    assert.equal((await s.get(o.url + '/a')).cacheStatus, 'miss');
    assert.equal((await s.get(other.url + '/b')).cacheStatus, 'hit', 'another origin is left alone');
  });
});

describe('with the rest of the session', () => {
  test('content-coded bodies are stored raw and decoded on every hit, for session.stream() too', async () => {
    const gz = gzipSync('hello gzip');
    const o = await origin((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'cache-control': 'max-age=3600', 'content-length': gz.length });
      res.end(gz);
    });
    const store = new MemoryCache();
    const s = session({ cache: store });
    assert.equal((await s.get(o.url)).text(), 'hello gzip');
    assert.equal((await s.get(o.url)).text(), 'hello gzip');
    const st = await s.stream('GET', o.url);
    assert.equal(st.cacheStatus, 'hit');
    assert.equal(await st.text(), 'hello gzip');
    const raw = await s.get(o.url, { decompress: false });
    assert.deepEqual(Buffer.from(raw.body), gz);
    assert.equal(o.seen.length, 1);
  });

  test('a cached 301 is served for its hop: a redirect chain from the cache sends nothing', async () => {
    const o = await origin((req, res) => {
      if (req.url === '/old') res.writeHead(301, { location: '/new', 'cache-control': 'max-age=3600' });
      else res.writeHead(200, { 'cache-control': 'max-age=3600' });
      res.end(req.url);
    });
    const s = session({ cache: true });
    await s.get(o.url + '/old');
    const b = await s.get(o.url + '/old');
    assert.equal(b.text(), '/new');
    assert.equal(b.redirects.length, 1);
    assert.equal(o.seen.length, 2);
  });

  test('a hit does not apply the stored Set-Cookie again', async () => {
    const o = await origin((req, res) => {
      if (req.url === '/page') res.writeHead(200, { 'set-cookie': 'v=1; Path=/', 'cache-control': 'max-age=3600' });
      else res.writeHead(200, { 'set-cookie': 'v=2; Path=/' });
      res.end('x');
    });
    const s = session({ cache: true });
    await s.get(o.url + '/page');
    await s.get(o.url + '/change');
    assert.equal((await s.get(o.url + '/page')).cacheStatus, 'hit');
    assert.equal(s.cookies!.getCookieHeader(new URL(o.url)), 'v=2');
  });

  test("an interceptor's answer is cached like one from the network", async () => {
    let calls = 0;
    const answer: Interceptor = () => async (req) => {
      calls++;
      const { createResponse } = await import('../../src/client/respond.js');
      return createResponse(req, { status: 200, headers: { 'cache-control': 'max-age=3600' }, body: 'made up' });
    };
    const s = session({ cache: true, interceptors: [answer] });
    await s.get('http://api.test/x');
    const b = await s.get('http://api.test/x');
    assert.equal(b.cacheStatus, 'hit');
    assert.equal(b.text(), 'made up');
    assert.equal(calls, 1);
  });

  test('a MockAgent reply is cached', async () => {
    const mock = new MockAgent();
    mock.get('http://api.test').intercept({ path: '/m' }).reply(200, 'mocked', { headers: { 'cache-control': 'max-age=60' } });
    const s = session({ cache: true, interceptors: [mock.interceptor] });
    await s.get('http://api.test/m');
    assert.equal((await s.get('http://api.test/m')).text(), 'mocked');
    mock.assertNoPendingInterceptors();
  });

  test('an async { get, set, delete } store works', async () => {
    const map = new Map<string, string>();
    const store: CacheStore = {
      get: async (k) => {
        const v = map.get(k);
        if (v === undefined) return undefined;
        const e = JSON.parse(v) as { variants: Array<Record<string, unknown> & { body: string }> };
        return { variants: e.variants.map((x) => ({ ...x, body: Buffer.from(x.body, 'base64') })) } as unknown as CacheEntry;
      },
      set: async (k, e) => {
        map.set(k, JSON.stringify({ variants: e.variants.map((x) => ({ ...x, body: Buffer.from(x.body).toString('base64') })) }));
      },
      delete: async (k) => {
        map.delete(k);
      },
    };
    const o = await origin(fixed({ 'cache-control': 'max-age=3600' }));
    const s = session({ cache: store });
    await s.get(o.url);
    assert.equal((await s.get(o.url)).text(), 'body 1');
    assert.equal(o.seen.length, 1);
    assert.equal(map.size, 1);
  });
});

describe('MemoryCache', () => {
  const entry = (n: number): CacheEntry => ({
    variants: [{ vary: [], status: 200, reason: 'OK', httpVersion: '1.1', headers: [], body: new Uint8Array(n), requestTime: 0, responseTime: 0 }],
  });

  test('evicts the least recently used entries past maxBytes; an entry larger than maxBytes is not kept', () => {
    const c = new MemoryCache({ maxBytes: 1200 }); // each entry: 300 body bytes + 64 of bookkeeping
    c.set('a', entry(300));
    c.set('b', entry(300));
    c.set('c', entry(300));
    c.get('a'); // a is now the most recently used
    c.set('d', entry(300));
    assert.equal(c.get('b'), undefined);
    assert.ok(c.get('a') && c.get('c') && c.get('d'));
    assert.ok(c.bytes <= 1200);
    c.set('big', entry(2000));
    assert.equal(c.get('big'), undefined);
    c.delete('a');
    assert.equal(c.size, 2);
  });

  test('bad options and bad stores are refused', () => {
    assert.throws(() => new MemoryCache({ maxBytes: -1 }), { name: 'InvalidRequestError' });
    assert.throws(() => session({ cache: {} as CacheStore }), { name: 'InvalidRequestError' });
  });
});
