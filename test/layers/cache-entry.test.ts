/**
 * Stored responses updated by HEAD (RFC 9111 §4.3.5) and HEAD answered
 * from a stored GET, against a real server that records every request.
 * Cases named after the HTTP WG cache-tests suite (updateHead.mjs).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CacheEntry, CacheStore } from '../../src/layers/cache-store.js';
import { origin } from '../helpers/cache-origin.js';
import { useSessions } from '../helpers/sessions.js';

const { session } = useSessions();

describe('HEAD and the stored GET', () => {
  test('a HEAD is answered from a fresh stored GET: no request, no body, the GET headers', async () => {
    const o = await origin((_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=3600', 'content-length': '6', etag: '"g"' });
      res.end('abcdef');
    });
    const s = session({ cache: true });
    await s.get(o.url);
    const h = await s.head(o.url);
    assert.equal(h.cacheStatus, 'hit');
    assert.equal(h.method, 'HEAD');
    assert.equal(h.body.length, 0);
    assert.equal(h.headers.get('content-length'), '6');
    assert.equal(h.headers.get('etag'), '"g"');
    const st = await s.stream('HEAD', o.url);
    assert.equal(st.cacheStatus, 'hit');
    assert.equal((await st.bytes()).length, 0);
    assert.deepEqual(o.seen.map((r) => r.method), ['GET']);
  });

  test('head-writethrough, head-200-retain, head-200-freshness-update, head-200-update: a 200 to HEAD freshens the stale stored GET', async () => {
    const o = await origin((req, res) => {
      if (req.method === 'HEAD') res.writeHead(200, { 'cache-control': 'max-age=1000', 'template-b': '2', etag: '"g"' });
      else res.writeHead(200, { 'cache-control': 'max-age=10', age: '100', 'template-a': '1', 'template-b': '1', etag: '"g"' });
      res.end(req.method === 'HEAD' ? undefined : 'the body');
    });
    const s = session({ cache: true });
    await s.get(o.url);
    const h = await s.head(o.url);
    assert.equal(o.seen[1]!.method, 'HEAD', 'the HEAD went to the origin as a HEAD');
    assert.equal(h.headers.get('template-b'), '2');
    const g = await s.get(o.url);
    assert.equal(g.cacheStatus, 'hit', 'the HEAD made the stored GET fresh');
    assert.equal(g.text(), 'the body');
    assert.equal(g.headers.get('template-a'), '1', 'fields the HEAD did not carry are kept');
    assert.equal(g.headers.get('template-b'), '2', 'fields it did carry are updated');
    assert.equal(o.seen.length, 2);
  });

  test('a 200 to HEAD with another ETag or Content-Length invalidates the stored GET', async () => {
    const o = await origin((req, res) => {
      const etag = req.method === 'HEAD' && req.url === '/etag' ? '"other"' : '"g"';
      const length = req.method === 'HEAD' && req.url === '/length' ? '99' : '8';
      res.writeHead(200, { 'cache-control': req.method === 'HEAD' ? 'max-age=1000' : 'max-age=10', age: req.method === 'HEAD' ? '0' : '100', etag, 'content-length': length });
      res.end(req.method === 'HEAD' ? undefined : 'the body');
    });
    const s = session({ cache: true });
    for (const p of ['/etag', '/length']) {
      await s.get(o.url + p);
      await s.head(o.url + p);
      assert.equal((await s.get(o.url + p)).cacheStatus, 'miss', p);
    }
    assert.deepEqual(o.seen.map((r) => r.method), ['GET', 'HEAD', 'GET', 'GET', 'HEAD', 'GET']);
  });

  test('a stale stored GET answering a HEAD is revalidated with a conditional HEAD; the 304 freshens the GET', async () => {
    const o = await origin((req, res) => {
      if (req.headers['if-none-match'] === '"g"') res.writeHead(304, { 'cache-control': 'max-age=1000' });
      else res.writeHead(200, { 'cache-control': 'max-age=10', age: '100', etag: '"g"' });
      res.end(req.method === 'HEAD' || req.headers['if-none-match'] ? undefined : 'the body');
    });
    const s = session({ cache: true });
    await s.get(o.url);
    const h = await s.head(o.url);
    assert.equal(h.cacheStatus, 'revalidated');
    assert.equal(h.body.length, 0);
    assert.deepEqual(o.seen.map((r) => r.method), ['GET', 'HEAD']);
    const g = await s.get(o.url);
    assert.equal(g.cacheStatus, 'hit');
    assert.equal(g.text(), 'the body');
  });

  test('a stored HEAD never answers a GET', async () => {
    const o = await origin((req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=3600' });
      res.end(req.method === 'HEAD' ? undefined : 'the body');
    });
    const s = session({ cache: true });
    await s.head(o.url);
    const g = await s.get(o.url);
    assert.equal(g.cacheStatus, 'miss');
    assert.equal(g.text(), 'the body');
    assert.equal((await s.head(o.url)).cacheStatus, 'hit');
    assert.deepEqual(o.seen.map((r) => r.method), ['HEAD', 'GET']);
  });
});

describe('HEAD and Vary', () => {
  test('a HEAD invalidating one variant of a stored GET leaves the others', async () => {
    const o = await origin((req, res) => {
      const lang = String(req.headers['accept-language']);
      const etag = req.method === 'HEAD' ? '"new"' : `"${lang}"`;
      res.writeHead(200, { vary: 'Accept-Language', 'cache-control': req.method === 'HEAD' ? 'max-age=1000' : 'max-age=3600', etag });
      res.end(req.method === 'HEAD' ? undefined : lang);
    });
    const s = session({ cache: true });
    const en = { headers: { 'accept-language': 'en' } };
    const fr = { headers: { 'accept-language': 'fr' } };
    await s.get(o.url, en);
    await s.get(o.url, fr);
    // No stored HEAD and the stored GET is fresh: answered from it. A no-cache HEAD goes out, and its other ETag drops the fr variant.
    await s.head(o.url, { headers: { ...fr.headers, 'cache-control': 'no-cache' } });
    assert.equal((await s.get(o.url, fr)).cacheStatus, 'miss');
    assert.equal((await s.get(o.url, en)).cacheStatus, 'hit');
    assert.deepEqual(o.seen.map((r) => r.method), ['GET', 'GET', 'HEAD', 'GET']);
  });

  test('an async store answers a HEAD from its stored GET', async () => {
    const map = new Map<string, CacheEntry>();
    const store: CacheStore = {
      get: (k) => Promise.resolve(map.get(k)),
      set: (k, e) => Promise.resolve(void map.set(k, e)),
      delete: (k) => Promise.resolve(void map.delete(k)),
    };
    const o = await origin((_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=3600' });
      res.end('body');
    });
    const s = session({ cache: store });
    await s.get(o.url);
    assert.equal((await s.head(o.url)).cacheStatus, 'hit');
    assert.equal(o.seen.length, 1);
  });
});
