import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StoredCookie } from '../../src/client/cookie-data.js';
import { CookieStore, MAX_COOKIES, MAX_COOKIES_PER_DOMAIN } from '../../src/client/cookie-store.js';
import { CookieJar } from '../../src/client/cookies.js';

const T0 = Date.UTC(2024, 0, 1);

/** A jar on a manual clock. */
function clockJar(): { jar: CookieJar; tick(ms: number): void } {
  let t = T0;
  const jar = new CookieJar({ now: () => t });
  return { jar, tick: (ms) => (t += ms) };
}

function cookie(name: string, domain: string, path = '/', expires: number | null = null, hostOnly = false): StoredCookie {
  return new StoredCookie(name, '1', domain, path, expires, false, false, null, hostOnly, T0, 0);
}

describe('CookieStore', () => {
  test('same name, domain and path replaces (keeping the creation time); an expired cookie only deletes', () => {
    const store = new CookieStore();
    assert.equal(store.store(cookie('a', 'x.com'), T0), true);
    const newer = new StoredCookie('a', '2', 'x.com', '/', null, false, false, null, false, T0 + 5, 0);
    assert.equal(store.store(newer, T0 + 5), true);
    assert.equal(store.count, 1);
    assert.equal(newer.creation, T0);
    assert.equal(store.store(cookie('a', 'x.com', '/', T0), T0 + 10), false);
    assert.equal(store.count, 0);
  });

  test('matching walks the host and its parents: host-only cookies only on their host; expired ones are dropped on the way', () => {
    const store = new CookieStore();
    store.store(cookie('d', 'x.com'), T0);
    store.store(cookie('h', 'x.com', '/', null, true), T0);
    store.store(cookie('old', 'a.x.com', '/', T0 + 1), T0);
    assert.deepEqual(store.matching('a.x.com', false, '/', T0).map((c) => c.name).sort(), ['d', 'old']);
    assert.deepEqual(store.matching('a.x.com', false, '/', T0 + 1).map((c) => c.name), ['d']);
    assert.equal(store.count, 2);
    assert.deepEqual(store.matching('x.com', false, '/', T0).map((c) => c.name).sort(), ['d', 'h']);
    assert.deepEqual(store.matching('', false, '/', T0), []);
  });

  test('delete by name, domain and path; clear by domain keeps other sites and IP hosts that only end like it', () => {
    const store = new CookieStore();
    store.store(cookie('a', 'x.com', '/'), T0);
    store.store(cookie('a', 'x.com', '/p'), T0);
    store.store(cookie('a', 'y.com'), T0);
    assert.equal(store.delete('a', 'x.com', '/p'), true);
    assert.equal(store.delete('a', 'x.com', '/p'), false);
    assert.equal(store.delete('a', null, null), true);
    assert.equal(store.count, 0);
    store.store(cookie('s', 'a.x.com'), T0);
    store.store(cookie('t', 'x.com'), T0);
    store.store(cookie('u', 'notx.com'), T0);
    store.store(cookie('ip', '1.0.0.1', '/', null, true), T0);
    store.clear('x.com');
    assert.deepEqual(store.all(T0).map((c) => c.name).sort(), ['ip', 'u']);
    store.clear('0.1');
    assert.equal(store.count, 2);
    store.clear();
    assert.equal(store.count, 0);
  });
});

describe('CookieStore through a CookieJar: memory bounds', () => {
  test(`at most ${MAX_COOKIES_PER_DOMAIN} per domain: the least recently used goes`, () => {
    const { jar, tick } = clockJar();
    for (let i = 0; i < MAX_COOKIES_PER_DOMAIN; i++) {
      jar.setCookie(`c${i}=1; Path=/p${i}`, 'http://x.com/');
      tick(1);
    }
    // Sending c0 makes it recent; c1 is now the least recently used.
    assert.equal(jar.getCookieHeader('http://x.com/p0'), 'c0=1');
    tick(1);
    // Reading without sending does not count.
    assert.equal(jar.getCookies('http://x.com/p1').length, 1);
    jar.setCookie('new=1', 'http://x.com/');
    assert.equal(jar.size, MAX_COOKIES_PER_DOMAIN);
    const names = new Set(jar.getCookies().map((c) => c.name));
    assert.ok(names.has('c0'));
    assert.ok(!names.has('c1'));
    assert.ok(names.has('new'));
    // Expired cookies are evicted before live ones.
    jar.setCookie('c2=1; Path=/p2; Max-Age=1', 'http://x.com/');
    tick(2000);
    jar.setCookie('newer=1', 'http://x.com/');
    const after = new Set(jar.getCookies().map((c) => c.name));
    assert.ok(!after.has('c2'));
    assert.ok(after.has('c3'));
    assert.ok(after.has('newer'));
  });

  test(`at most ${MAX_COOKIES} in the jar`, () => {
    const { jar, tick } = clockJar();
    const domains = Math.ceil(MAX_COOKIES / MAX_COOKIES_PER_DOMAIN) + 1;
    for (let d = 0; d < domains; d++) {
      for (let i = 0; i < MAX_COOKIES_PER_DOMAIN; i++) jar.setCookie(`c${i}=1`, `http://d${d}.test/`);
      tick(1);
    }
    assert.equal(jar.size, MAX_COOKIES);
    // The oldest domain lost its cookies first; the newest kept all of its.
    assert.equal(jar.getCookies(`http://d${domains - 1}.test/`).length, MAX_COOKIES_PER_DOMAIN);
    assert.equal(jar.getCookies('http://d0.test/').length, 0);
  });

  test('many domains do not slow a lookup down (it walks the host suffixes only)', () => {
    const jar = new CookieJar();
    for (let d = 0; d < 2000; d++) jar.setCookie('a=1; Domain=site' + d + '.com', `http://www.site${d}.com/`);
    jar.setCookie('z=1; Domain=target.com', 'http://target.com/');
    const t = process.hrtime.bigint();
    for (let i = 0; i < 10_000; i++) jar.getCookieHeader('http://a.b.target.com/');
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    assert.equal(jar.getCookieHeader('http://a.b.target.com/'), 'z=1');
    assert.ok(ms < 2000, `10,000 lookups took ${ms} ms`);
  });
});
