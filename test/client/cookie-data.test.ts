import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CookieJar } from '../../src/client/cookies.js';
import { InvalidRequestError } from '../../src/errors.js';

const T0 = Date.UTC(2024, 0, 1);

const HOSTS = [
  'example.com', 'www.example.com', 'a.b.example.com', 'www.example.co.il', 'co.il', 'user.github.io', 'github.io',
  '127.0.0.1', '[::1]', 'localhost', 'app.localhost', 'xn--85x722f.xn--55qx5d.cn', 'example.com.', 'a_b.example.com',
];
const PATHS = ['/', '/a', '/a/', '/a/b', '/a/b/c.html', '/%E2%82%AC/x', ''];

const attribute = fc.oneof(
  fc.constantFrom('Secure', 'HttpOnly', 'SameSite=Lax', 'SameSite=Strict', 'SameSite=None', 'SameSite=bogus', 'Path=/', 'Path=/a', 'Path=/a/b', 'Path=/€', 'Path=x'),
  fc.constantFrom('Domain=example.com', 'Domain=.EXAMPLE.com', 'Domain=co.il', 'Domain=example.co.il', 'Domain=github.io', 'Domain=localhost', 'Domain=127.0.0.1', 'Domain=::1', 'Domain=公司.cn', 'Domain=食狮.公司.cn'),
  fc.integer({ min: -10, max: 100_000_000 }).map((s) => `Max-Age=${s}`),
  fc.integer({ min: T0 - 1e9, max: T0 + 1e12 }).map((t) => `Expires=${new Date(t).toUTCString()}`),
);

/** One step: a Set-Cookie from a URL, after the clock moved on. */
const step = fc.record({
  // Mostly no time between steps and few names: replacements and creation-time ties are the hard cases.
  tick: fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 10 * 24 * 3600 * 1000 })),
  name: fc.oneof({ arbitrary: fc.constantFrom('a', 'b'), weight: 4 }, fc.constantFrom('sid', '__Secure-s', '__Host-h', ''), fc.string({ maxLength: 8, unit: 'binary' })),
  value: fc.oneof(fc.constantFrom('1', '"quoted"', 'x=y', ''), fc.string({ maxLength: 12, unit: 'binary' })),
  attributes: fc.array(attribute, { maxLength: 5 }),
  secure: fc.boolean(),
  host: fc.constantFrom(...HOSTS),
  path: fc.constantFrom(...PATHS),
});

function header(s: { name: string; value: string; attributes: string[] }): string {
  const pair = s.name === '' ? s.value : `${s.name}=${s.value}`;
  return [pair, ...s.attributes].join('; ');
}

describe('CookieJar: toJSON → fromJSON round trip', () => {
  test('whatever setCookie stores, fromJSON restores: same cookies, attributes, expiry, creation order, Cookie headers', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40, size: 'medium' }), (steps) => {
        let t = T0;
        const now = (): number => t;
        const jar = new CookieJar({ now });
        for (const s of steps) {
          t += s.tick;
          jar.setCookie(header(s), `${s.secure ? 'https' : 'http'}://${s.host}${s.path}`);
        }
        const json = JSON.parse(JSON.stringify(jar));
        const copy = CookieJar.fromJSON(json, { now });
        assert.deepEqual(copy.toJSON(), jar.toJSON());
        for (const host of HOSTS) {
          for (const scheme of ['http', 'https']) {
            for (const path of PATHS) {
              const url = `${scheme}://${host}${path}`;
              assert.equal(copy.getCookieHeader(url), jar.getCookieHeader(url), url);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('CookieJar: creation order survives the round trip', () => {
  test('a replaced cookie keeps its place among cookies of the same creation time', () => {
    const now = (): number => T0;
    const jar = new CookieJar({ now });
    jar.setCookie('a=1', 'http://example.com/');
    jar.setCookie('b=1', 'http://example.com/');
    jar.setCookie('a=2', 'http://example.com/');
    assert.equal(jar.getCookieHeader('http://example.com/'), 'a=2; b=1');
    assert.deepEqual(jar.toJSON().map((c) => c.name), ['a', 'b'], 'oldest first');
    assert.equal(CookieJar.fromJSON(JSON.parse(JSON.stringify(jar)), { now }).getCookieHeader('http://example.com/'), 'a=2; b=1');
  });
});

describe('CookieJar.set: what it stores round-trips too', () => {
  test('an IPv6 domain is kept in the URL form and sent; an infinite expiry (JSON has no Infinity) is refused', () => {
    const now = (): number => T0;
    const jar = new CookieJar({ now });
    jar.set('v6', '1', { domain: '::1' });
    jar.set('v4', '1', { domain: '127.0.0.1', path: '/x' });
    assert.equal(jar.getCookieHeader('http://[::1]:8080/'), 'v6=1');
    assert.throws(() => jar.set('inf', '1', { domain: 'example.com', expires: Infinity }), InvalidRequestError);
    assert.throws(() => jar.set('inf', '1', { domain: 'example.com', maxAge: Infinity }), InvalidRequestError);
    const copy = CookieJar.fromJSON(JSON.parse(JSON.stringify(jar)), { now, onSkip: (reason) => assert.fail(reason) });
    assert.deepEqual(copy.toJSON(), jar.toJSON());
  });
});

describe('CookieJar.load / fromJSON: a bad entry is skipped with a reason, never aborts the load', () => {
  const good = { name: 'ok', value: '1', domain: 'example.com', path: '/', expires: null, secure: false, httpOnly: false, sameSite: null, hostOnly: false, creation: T0 };
  const bad: Array<[unknown, string]> = [
    [null, 'not an object'],
    [42, 'not an object'],
    ['sid=1', 'not an object'],
    [[good], 'not an object'],
    [{ ...good, name: 5 }, 'name is not a string'],
    [{ ...good, value: undefined }, 'value is not a string'],
    [{ ...good, domain: ['example.com'] }, 'domain is not a string'],
    [{ ...good, path: null }, 'path is not a string'],
    [{ ...good, name: 'a=b' }, 'invalid name'],
    [{ ...good, value: '1\r\nX-Injected: 1' }, 'invalid value'],
    [{ ...good, value: 'a;b' }, 'invalid value'],
    [{ ...good, name: '', value: '' }, 'empty name and value'],
    [{ ...good, path: 'x' }, 'invalid path'],
    [{ ...good, expires: '2030-01-01' }, 'invalid expires'],
    [{ ...good, creation: 'yesterday' }, 'invalid creation'],
    [{ ...good, sameSite: 'lax' }, 'invalid sameSite'],
    [{ ...good, secure: 'yes' }, 'secure, httpOnly and hostOnly must be booleans'],
    [{ ...good, domain: 'bad domain' }, 'invalid domain'],
    [{ ...good, domain: 'exa..mple.com' }, 'invalid domain'],
    [{ ...good, domain: '' }, 'invalid domain'],
    [{ ...good, domain: 'example.com/evil', hostOnly: true }, 'invalid domain'],
    [{ ...good, domain: 'user@example.com', hostOnly: true }, 'invalid domain'],
    [{ ...good, domain: 'example.com:8080', hostOnly: true }, 'invalid domain'],
    [{ ...good, domain: '1.2.3.4.5', hostOnly: true }, 'invalid domain'],
    [{ ...good, domain: 'co.il' }, 'domain is a public suffix'],
    [{ ...good, domain: 'github.io' }, 'domain is a public suffix'],
    [{ ...good, expires: T0 - 1 }, 'expired'],
    [{ ...good, value: 'x'.repeat(5000) }, 'larger than 4096 bytes'],
  ];

  test('each kind of bad entry is reported with its reason and index; the good ones around it load', () => {
    const entries = [good, ...bad.map(([e]) => e), { ...good, name: 'last', domain: '.Example.COM' }];
    const skipped: Array<[string, unknown, number]> = [];
    const jar = CookieJar.fromJSON(entries as never, { now: () => T0, onSkip: (reason, entry, index) => skipped.push([reason, entry, index]) });
    assert.deepEqual(skipped, bad.map(([e, reason], i) => [reason, e, i + 1]));
    assert.deepEqual(jar.toJSON().map((c) => c.name), ['ok', 'last']);
    assert.equal(jar.getCookieHeader('http://www.example.com/'), 'ok=1; last=1');
  });

  test('without onSkip the bad entries are skipped silently; a host-only cookie on a public suffix loads', () => {
    const jar = new CookieJar({ now: () => T0 });
    jar.load([...bad.map(([e]) => e), { ...good, domain: 'github.io', hostOnly: true }, { ...good, name: 'v6', domain: '::1', hostOnly: false }] as never);
    assert.deepEqual(jar.toJSON().map((c) => [c.name, c.domain, c.hostOnly]), [['ok', 'github.io', true], ['v6', '[::1]', true]]);
    assert.equal(jar.getCookieHeader('https://github.io/'), 'ok=1');
    assert.equal(jar.getCookieHeader('https://user.github.io/'), '');
    assert.equal(jar.getCookieHeader('http://[::1]:8080/'), 'v6=1');
  });
});
