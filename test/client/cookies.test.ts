import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CookieJar, parseCookieDate } from '../../src/client/cookies.js';
import { InvalidRequestError } from '../../src/errors.js';
import { Headers } from '../../src/http/headers.js';

const T0 = Date.UTC(2024, 0, 1);
const DAY = 24 * 3600 * 1000;

/** A jar on a manual clock. */
function clockJar(): { jar: CookieJar; tick(ms: number): void; now(): number } {
  let t = T0;
  const jar = new CookieJar({ now: () => t });
  return { jar, tick: (ms) => (t += ms), now: () => t };
}

describe('CookieJar: storing and sending', () => {
  test('a host-only cookie goes back to its host only; a Domain cookie to subdomains too', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie('a=1', 'http://example.com/'), true);
    assert.equal(jar.setCookie('b=2; Domain=example.com', 'http://example.com/'), true);
    assert.equal(jar.getCookieHeader('http://example.com/x'), 'a=1; b=2');
    assert.equal(jar.getCookieHeader('http://www.example.com/'), 'b=2');
    assert.equal(jar.getCookieHeader('http://notexample.com/'), '');
    assert.equal(jar.getCookieHeader('http://example.org/'), '');
    const [a, b] = jar.getCookies();
    assert.equal(a!.hostOnly, true);
    assert.equal(b!.hostOnly, false);
    assert.equal(b!.domain, 'example.com');
  });

  test('Domain: leading dot ignored, case-folded, attribute names case-insensitive, last one wins', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie('a=1; DOMAIN=.Example.COM; path=/p; PATH=/q', 'http://www.example.com/'), true);
    const [c] = jar.getCookies();
    assert.equal(c!.domain, 'example.com');
    assert.equal(c!.path, '/q');
  });

  test('a Set-Cookie for another domain is ignored', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie('evil=1; Domain=victim.com', 'http://attacker.com/'), false);
    assert.equal(jar.setCookie('evil=1; Domain=sub.attacker.com', 'http://attacker.com/'), false, 'a subdomain of the host is not a parent');
    assert.equal(jar.setCookie('evil=1; Domain=ker.com', 'http://attacker.com/'), false, 'a suffix that is not on a dot');
    assert.equal(jar.size, 0);
  });

  test('public suffixes: Domain=com, Domain=co.uk are ignored; a single-label host may set a host-only cookie', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie('x=1; Domain=com', 'http://example.com/'), false);
    assert.equal(jar.setCookie('x=1; Domain=.com', 'http://example.com/'), false);
    assert.equal(jar.setCookie('x=1; Domain=co.uk', 'http://shop.co.uk/'), false);
    assert.equal(jar.setCookie('x=1; Domain=localhost', 'http://app.localhost/'), false);
    assert.equal(jar.setCookie('x=1; Domain=localhost', 'http://localhost/'), true);
    assert.equal(jar.getCookies()[0]!.hostOnly, true);
    assert.equal(jar.getCookieHeader('http://app.localhost/'), '');
    assert.equal(jar.getCookieHeader('http://localhost:8080/'), 'x=1');
    assert.equal(jar.setCookie('y=1; Domain=shop.co.uk', 'http://www.shop.co.uk/'), true);
  });

  test('the full Public Suffix List: Domain=co.il / com.pl / s3.amazonaws.com / github.io are ignored and never reach a sibling', () => {
    const { jar } = clockJar();
    const cases = [
      ['co.il', 'https://www.example.co.il/', 'https://evil.co.il/'],
      ['com.pl', 'https://shop.com.pl/', 'https://other.com.pl/'],
      ['s3.amazonaws.com', 'https://bucket.s3.amazonaws.com/', 'https://attacker.s3.amazonaws.com/'],
      ['github.io', 'https://user.github.io/', 'https://other.github.io/'],
    ] as const;
    for (const [suffix, from, sibling] of cases) {
      assert.equal(jar.setCookie(`x=1; Domain=${suffix}`, from), false, suffix);
      assert.equal(jar.setCookie(`x=1; Domain=.${suffix.toUpperCase()}`, from), false, suffix);
      assert.equal(jar.getCookieHeader(sibling), '', sibling);
    }
    assert.equal(jar.size, 0);
    // One label more is a registrable domain: allowed, and sent to its own subdomains only.
    assert.equal(jar.setCookie('ok=1; Domain=example.co.il', 'https://www.example.co.il/'), true);
    assert.equal(jar.getCookieHeader('https://api.example.co.il/'), 'ok=1');
    assert.equal(jar.getCookieHeader('https://evil.co.il/'), '');
  });

  test('wildcard and exception rules (*.ck, !www.ck; *.kobe.jp, !city.kobe.jp)', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie('a=1; Domain=shop.ck', 'http://www.shop.ck/'), false, '*.ck makes shop.ck a public suffix');
    assert.equal(jar.setCookie('b=1; Domain=www.shop.ck', 'http://a.www.shop.ck/'), true);
    assert.equal(jar.setCookie('c=1; Domain=www.ck', 'http://a.www.ck/'), true, '!www.ck: www.ck is registrable');
    assert.equal(jar.getCookieHeader('http://b.www.ck/'), 'c=1');
    assert.equal(jar.setCookie('d=1; Domain=c.kobe.jp', 'http://x.c.kobe.jp/'), false);
    assert.equal(jar.setCookie('e=1; Domain=city.kobe.jp', 'http://www.city.kobe.jp/'), true);
    assert.equal(jar.getCookieHeader('http://x.c.kobe.jp/'), '');
  });

  test('a host that is a public suffix may set a cookie only with Domain equal to the host, and it is host-only (§5.3 step 5)', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie('a=1; Domain=github.io', 'https://github.io/'), true);
    assert.equal(jar.setCookie('b=1; Domain=github.io', 'https://user.github.io/'), false);
    assert.equal(jar.setCookie('c=1; Domain=co.il', 'https://co.il/'), true);
    assert.deepEqual(jar.getCookies().map((c) => [c.name, c.domain, c.hostOnly]), [['a', 'github.io', true], ['c', 'co.il', true]]);
    assert.equal(jar.getCookieHeader('https://github.io/'), 'a=1');
    assert.equal(jar.getCookieHeader('https://user.github.io/'), '');
    assert.equal(jar.getCookieHeader('https://www.co.il/'), '');
  });

  test('IDN: Unicode Domain attributes are matched against the punycoded rules', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie('a=1; Domain=公司.cn', 'http://食狮.公司.cn/'), false);
    assert.equal(jar.setCookie('b=1; Domain=食狮.公司.cn', 'http://www.食狮.公司.cn/'), true);
    assert.equal(jar.getCookies()[0]!.domain, 'xn--85x722f.xn--55qx5d.cn');
    assert.equal(jar.getCookieHeader('http://xn--85x722f.xn--55qx5d.cn/'), 'b=1');
    assert.equal(jar.getCookieHeader('http://shishi.公司.cn/'), '');
  });

  test('IP hosts: host-only, a Domain attribute only when it is the exact address', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie('a=1', 'http://127.0.0.1:8080/'), true);
    assert.equal(jar.setCookie('b=2; Domain=127.0.0.1', 'http://127.0.0.1/'), true);
    assert.equal(jar.setCookie('c=3; Domain=0.0.1', 'http://127.0.0.1/'), false);
    assert.equal(jar.setCookie('d=4; Domain=127.0.0.2', 'http://127.0.0.1/'), false);
    assert.equal(jar.setCookie('e=5; Domain=example.com', 'http://127.0.0.1/'), false);
    assert.ok(jar.getCookies().every((c) => c.hostOnly && c.domain === '127.0.0.1'));
    assert.equal(jar.getCookieHeader('http://127.0.0.1:9999/'), 'a=1; b=2');
    assert.equal(jar.getCookieHeader('http://27.0.0.1/'), '');
    assert.equal(jar.getCookieHeader('http://0.0.1/'), '');
    assert.equal(jar.setCookie('v6=1; Domain=::1', 'http://[::1]:3000/'), true);
    assert.equal(jar.getCookieHeader('http://[::1]/'), 'v6=1');
  });

  test('Secure cookies: only set from https, only sent over https / wss', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie('s=1; Secure', 'http://example.com/'), false, 'Secure from http is ignored');
    assert.equal(jar.setCookie('s=1; Secure', 'https://example.com/'), true);
    assert.equal(jar.getCookieHeader('http://example.com/'), '');
    assert.equal(jar.getCookieHeader('ws://example.com/'), '');
    assert.equal(jar.getCookieHeader('https://example.com/'), 's=1');
    assert.equal(jar.getCookieHeader('wss://example.com/'), 's=1');
  });

  test('an insecure origin cannot overwrite or shadow a Secure cookie (6265bis)', () => {
    const { jar } = clockJar();
    jar.setCookie('sid=good; Secure; Domain=example.com', 'https://example.com/');
    assert.equal(jar.setCookie('sid=evil', 'http://example.com/'), false);
    assert.equal(jar.setCookie('sid=evil; Domain=example.com', 'http://www.example.com/'), false);
    assert.equal(jar.setCookie('sid=evil; Path=/admin', 'http://example.com/'), false);
    assert.equal(jar.getCookieHeader('https://example.com/admin'), 'sid=good');
    assert.equal(jar.setCookie('other=ok', 'http://example.com/'), true);
    assert.equal(jar.setCookie('sid=fine', 'http://unrelated.org/'), true);
    // A secure origin may replace it with a non-Secure cookie.
    assert.equal(jar.setCookie('sid=new; Domain=example.com', 'https://example.com/'), true);
    assert.equal(jar.getCookieHeader('http://example.com/'), 'sid=new; other=ok');
  });

  test('__Secure- and __Host- prefixes (case-insensitive)', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie('__Secure-a=1', 'https://example.com/'), false);
    assert.equal(jar.setCookie('__SECURE-a=1', 'https://example.com/'), false);
    assert.equal(jar.setCookie('__Secure-a=1; Secure; Domain=example.com', 'https://www.example.com/'), true);
    assert.equal(jar.setCookie('__Host-b=1; Secure; Path=/', 'https://example.com/'), true);
    assert.equal(jar.setCookie('__Host-c=1; Path=/', 'https://example.com/'), false, 'no Secure');
    assert.equal(jar.setCookie('__Host-d=1; Secure; Domain=example.com; Path=/', 'https://example.com/'), false, 'a Domain attribute');
    assert.equal(jar.setCookie('__Host-e=1; Secure; Path=/x', 'https://example.com/'), false, 'a path other than /');
    assert.equal(jar.setCookie('__host-f=1; Secure', 'https://example.com/deep/page'), false, 'default path is /deep');
    assert.equal(jar.setCookie('__Host-h=1; Secure', 'https://example.com/'), false, 'no Path attribute, even with a default path of /');
    assert.equal(jar.setCookie('__Host-i=1; Secure; Path=/x; Path=/', 'https://example.com/'), true, 'the last Path wins');
    assert.equal(jar.setCookie('=__Host-g=1; Secure; Path=/', 'https://example.com/'), false, 'a nameless cookie smuggling a prefix');
    assert.deepEqual(jar.getCookies().map((c) => c.name).sort(), ['__Host-b', '__Host-i', '__Secure-a']);
  });

  test('flags and SameSite are stored', () => {
    const { jar } = clockJar();
    jar.setCookie('a=1; HttpOnly; SameSite=strict', 'https://example.com/');
    jar.setCookie('b=1; SameSite=NONE; Secure', 'https://example.com/');
    jar.setCookie('c=1; SameSite=bogus', 'https://example.com/');
    const byName = Object.fromEntries(jar.getCookies().map((c) => [c.name, c]));
    assert.equal(byName['a']!.httpOnly, true);
    assert.equal(byName['a']!.sameSite, 'Strict');
    assert.equal(byName['b']!.sameSite, 'None');
    assert.equal(byName['b']!.secure, true);
    assert.equal(byName['c']!.sameSite, null);
  });

  test('malformed cookies are ignored; nameless cookies are kept (6265bis)', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie('', 'http://a.com/'), false);
    assert.equal(jar.setCookie('=', 'http://a.com/'), false);
    assert.equal(jar.setCookie(' ; Path=/', 'http://a.com/'), false);
    assert.equal(jar.setCookie('a=b\u0001c', 'http://a.com/'), false, 'control character');
    assert.equal(jar.setCookie('a=b\u007f', 'http://a.com/'), false, 'DEL');
    assert.equal(jar.setCookie('  k  =  v w  ; Path=/', 'http://a.com/'), true);
    assert.equal(jar.setCookie('justavalue', 'http://a.com/'), true);
    assert.equal(jar.getCookieHeader('http://a.com/'), 'k=v w; justavalue');
  });

  test('a cookie over 4096 bytes (name + value) is ignored', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie(`n=${'x'.repeat(4096)}`, 'http://a.com/'), false);
    assert.equal(jar.setCookie(`n=${'x'.repeat(4095)}`, 'http://a.com/'), true);
    // A header string is latin1, one char per octet on the wire: 'é' (0xE9) is one octet.
    assert.equal(jar.setCookie(`u=${'é'.repeat(2048)}`, 'http://a.com/'), true, 'latin1 chars count one octet each');
    assert.equal(jar.setCookie(`u=${'é'.repeat(4096)}`, 'http://a.com/'), false, '4097 octets');
    assert.equal(jar.setCookie(`w=${'日'.repeat(1365)}`, 'http://a.com/'), true, 'a wider char given by hand counts in UTF-8: 4096 bytes');
    assert.equal(jar.setCookie(`w=${'日'.repeat(1366)}`, 'http://a.com/'), false, '4099 bytes');
    assert.throws(() => jar.set('m', 'y'.repeat(5000), { domain: 'a.com' }), InvalidRequestError);
  });

  test('setCookie with an invalid URL throws InvalidRequestError; no cookies → empty header', () => {
    const jar = new CookieJar();
    assert.throws(() => jar.setCookie('a=1', 'not a url'), InvalidRequestError);
    assert.throws(() => jar.getCookieHeader('::'), InvalidRequestError);
    assert.equal(jar.getCookieHeader('http://example.com/'), '');
  });
});

describe('CookieJar: paths', () => {
  test('default-path is the request path up to its last /', () => {
    const { jar } = clockJar();
    jar.setCookie('a=1', 'http://x.com/docs/guide/page.html');
    jar.setCookie('b=1', 'http://x.com/top');
    jar.setCookie('c=1; Path=relative', 'http://x.com/one/two');
    jar.setCookie('d=1; Path=', 'http://x.com/');
    const paths = Object.fromEntries(jar.getCookies().map((c) => [c.name, c.path]));
    assert.deepEqual(paths, { a: '/docs/guide', b: '/', c: '/one', d: '/' });
  });

  test('path-match: a prefix on a / boundary only', () => {
    const { jar } = clockJar();
    jar.setCookie('p=1; Path=/foo', 'http://x.com/');
    assert.equal(jar.getCookieHeader('http://x.com/foo'), 'p=1');
    assert.equal(jar.getCookieHeader('http://x.com/foo/bar'), 'p=1');
    assert.equal(jar.getCookieHeader('http://x.com/foobar'), '');
    assert.equal(jar.getCookieHeader('http://x.com/'), '');
    assert.equal(jar.getCookieHeader('http://x.com/Foo'), '', 'paths are case-sensitive');
  });

  test('order: longer path first, then earlier creation', () => {
    const { jar, tick } = clockJar();
    jar.setCookie('short=1; Path=/', 'http://x.com/');
    tick(1);
    jar.setCookie('late=1; Path=/a/b', 'http://x.com/');
    tick(1);
    jar.setCookie('mid=1; Path=/a', 'http://x.com/');
    tick(1);
    jar.setCookie('later=1; Path=/a/b', 'http://x.com/');
    jar.setCookie('sameMs=1; Path=/a/b', 'http://x.com/');
    assert.equal(jar.getCookieHeader('http://x.com/a/b/c'), 'late=1; later=1; sameMs=1; mid=1; short=1');
  });

  test('replacing a cookie (same name, domain, path) keeps its creation time and its place', () => {
    const { jar, tick } = clockJar();
    jar.setCookie('a=1', 'http://x.com/');
    tick(1000);
    jar.setCookie('b=1', 'http://x.com/');
    tick(1000);
    assert.equal(jar.setCookie('a=2', 'http://x.com/'), true);
    assert.equal(jar.size, 2);
    assert.equal(jar.getCookieHeader('http://x.com/'), 'a=2; b=1');
    assert.equal(jar.getCookies('http://x.com/')[0]!.creation, T0);
    // Another path is another cookie.
    jar.setCookie('a=3; Path=/sub', 'http://x.com/');
    assert.equal(jar.getCookieHeader('http://x.com/sub'), 'a=3; a=2; b=1');
  });
});

describe('CookieJar: expiry', () => {
  test('Max-Age expires on the injected clock', () => {
    const { jar, tick } = clockJar();
    jar.setCookie('a=1; Max-Age=60', 'http://x.com/');
    jar.setCookie('s=session', 'http://x.com/');
    assert.equal(jar.getCookies()[0]!.expires, T0 + 60_000);
    tick(59_999);
    assert.equal(jar.getCookieHeader('http://x.com/'), 'a=1; s=session');
    tick(1);
    assert.equal(jar.getCookieHeader('http://x.com/'), 's=session');
    assert.equal(jar.size, 1);
    assert.equal(jar.getCookies()[0]!.expires, null);
  });

  test('Max-Age beats Expires, in either order', () => {
    const { jar } = clockJar();
    assert.equal(jar.setCookie('a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=100', 'http://x.com/'), true);
    assert.equal(jar.setCookie('b=1; Max-Age=100; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'http://x.com/'), true);
    assert.equal(jar.setCookie('c=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Max-Age=0', 'http://x.com/'), false);
    assert.deepEqual(jar.getCookies().map((c) => [c.name, c.expires]), [['a', T0 + 100_000], ['b', T0 + 100_000]]);
  });

  test('Max-Age <= 0 and a past Expires delete an existing cookie', () => {
    const { jar } = clockJar();
    jar.setCookie('a=1', 'http://x.com/');
    jar.setCookie('b=1', 'http://x.com/');
    jar.setCookie('c=1', 'http://x.com/');
    assert.equal(jar.setCookie('a=; Max-Age=0', 'http://x.com/'), false);
    assert.equal(jar.setCookie('b=; Max-Age=-5', 'http://x.com/'), false);
    assert.equal(jar.setCookie('c=; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'http://x.com/'), false);
    assert.equal(jar.size, 0);
  });

  test('an invalid Max-Age or Expires is ignored (the cookie stays a session cookie)', () => {
    const { jar } = clockJar();
    jar.setCookie('a=1; Max-Age=10s', 'http://x.com/');
    jar.setCookie('b=1; Max-Age=', 'http://x.com/');
    jar.setCookie('c=1; Expires=tomorrow', 'http://x.com/');
    assert.deepEqual(jar.getCookies().map((c) => c.expires), [null, null, null]);
  });

  test('server lifetimes are capped at 400 days (6265bis)', () => {
    const { jar } = clockJar();
    jar.setCookie('a=1; Max-Age=999999999999', 'http://x.com/');
    jar.setCookie('b=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT', 'http://x.com/');
    for (const c of jar.getCookies()) assert.equal(c.expires, T0 + 400 * DAY);
  });

  test('Expires in the formats servers send (RFC 6265 §5.1.1)', () => {
    const { jar } = clockJar();
    jar.setCookie('a=1; Expires=Wed, 09 Jun 2024 10:18:14 GMT', 'http://x.com/');
    assert.equal(jar.getCookies()[0]!.expires, Date.UTC(2024, 5, 9, 10, 18, 14));
    assert.equal(parseCookieDate('Sun, 06 Nov 1994 08:49:37 GMT'), Date.UTC(1994, 10, 6, 8, 49, 37));
    assert.equal(parseCookieDate('Sunday, 06-Nov-94 08:49:37 GMT'), Date.UTC(1994, 10, 6, 8, 49, 37));
    assert.equal(parseCookieDate('Sun Nov  6 08:49:37 1994'), Date.UTC(1994, 10, 6, 8, 49, 37));
    assert.equal(parseCookieDate('06-nov-2030 8:9:7'), Date.UTC(2030, 10, 6, 8, 9, 7));
    assert.equal(parseCookieDate('Thu, 01-Jan-69 00:00:01 GMT'), Date.UTC(2069, 0, 1, 0, 0, 1));
    assert.equal(parseCookieDate('Thu, 01-Jan-70 00:00:01 GMT'), Date.UTC(1970, 0, 1, 0, 0, 1));
    assert.equal(parseCookieDate('Sat, 30 Feb 2030 00:00:00 GMT'), null, 'no such day');
    assert.equal(parseCookieDate('Mon, 01 Jan 1600 00:00:00 GMT'), null, 'before 1601');
    assert.equal(parseCookieDate('Mon, 01 Jan 2030 24:00:00 GMT'), null);
    assert.equal(parseCookieDate('Mon, 32 Jan 2030 00:00:00 GMT'), null);
    assert.equal(parseCookieDate('Mon, 01 Jan 2030'), null, 'no time');
    assert.equal(parseCookieDate(''), null);
  });
});

describe('CookieJar: manual API, import and export', () => {
  test('set / delete / clear', () => {
    const { jar } = clockJar();
    jar.set('a', '1', { domain: '.Example.com' });
    jar.set('b', '2', { url: 'https://api.example.com/v1' });
    jar.set('c', '3', { domain: 'example.com', path: '/x', secure: true, httpOnly: true, sameSite: 'Lax', maxAge: 10 });
    jar.set('d', '4', { domain: 'other.org', expires: new Date(T0 + DAY) });
    assert.equal(jar.getCookieHeader('https://api.example.com/x/y'), 'c=3; a=1; b=2');
    assert.equal(jar.getCookieHeader('http://www.example.com/'), 'a=1');
    const c = jar.getCookies().find((k) => k.name === 'c')!;
    assert.deepEqual(c, { name: 'c', value: '3', domain: 'example.com', path: '/x', expires: T0 + 10_000, secure: true, httpOnly: true, sameSite: 'Lax', hostOnly: false, creation: T0 });
    assert.equal(jar.getCookies().find((k) => k.name === 'd')!.expires, T0 + DAY);
    assert.equal(jar.delete('a'), true);
    assert.equal(jar.delete('a'), false);
    assert.equal(jar.delete('c', { domain: 'example.com', path: '/other' }), false);
    assert.equal(jar.delete('c', { domain: 'example.com', path: '/x' }), true);
    assert.equal(jar.size, 2);
    jar.set('e', '5', { domain: 'deep.api.example.com' });
    jar.clear('example.com');
    assert.deepEqual(jar.getCookies().map((k) => k.name), ['d']);
    jar.clear();
    assert.equal(jar.size, 0);
  });

  test('set with a public-suffix domain stores a host-only cookie, never one for the whole suffix', () => {
    const { jar } = clockJar();
    jar.set('a', '1', { domain: 'co.il' });
    jar.set('b', '2', { domain: '.github.io' });
    assert.deepEqual(jar.getCookies().map((c) => [c.name, c.domain, c.hostOnly]), [['a', 'co.il', true], ['b', 'github.io', true]]);
    assert.equal(jar.getCookieHeader('https://evil.co.il/'), '');
    assert.equal(jar.getCookieHeader('https://co.il/'), 'a=1');
  });

  test('set refuses bad input with InvalidRequestError', () => {
    const jar = new CookieJar();
    assert.throws(() => jar.set('a', '1', {}), InvalidRequestError);
    assert.throws(() => jar.set('a b', '1', { domain: 'x.com' }), InvalidRequestError);
    assert.throws(() => jar.set('a;', '1', { domain: 'x.com' }), InvalidRequestError);
    assert.throws(() => jar.set('a', '1;b=2', { domain: 'x.com' }), InvalidRequestError);
    assert.throws(() => jar.set('a', '1\r\n', { domain: 'x.com' }), InvalidRequestError);
    assert.throws(() => jar.set('a', '1', { domain: 'x.com', path: 'nope' }), InvalidRequestError);
    assert.throws(() => jar.set('a', '1', { domain: 'bad domain' }), InvalidRequestError);
    assert.equal(jar.size, 0);
  });

  test('toJSON → JSON → fromJSON round-trip keeps every field and the send order', () => {
    const { jar, tick, now } = clockJar();
    jar.setCookie('a=1; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax', 'https://example.com/');
    tick(5);
    jar.setCookie('b=2; Domain=example.com; Path=/app; Secure', 'https://example.com/');
    tick(5);
    jar.setCookie('c=3', 'http://127.0.0.1:8080/x/y');
    jar.setCookie('gone=1; Max-Age=1', 'https://example.com/');
    tick(1000);
    const json = JSON.parse(JSON.stringify(jar));
    assert.equal(json.length, 3, 'expired cookies are not exported');
    const copy = CookieJar.fromJSON(json, { now });
    assert.deepEqual(copy.getCookies(), jar.getCookies());
    for (const u of ['https://example.com/app/z', 'https://www.example.com/app', 'http://127.0.0.1/x/', 'http://example.com/']) {
      assert.equal(copy.getCookieHeader(u), jar.getCookieHeader(u), u);
    }
  });

  test('load skips expired entries and replaces same-key ones; only a non-array throws', () => {
    const { jar } = clockJar();
    const base = { name: 'a', value: '1', domain: 'x.com', path: '/', expires: null, secure: false, httpOnly: false, sameSite: null, hostOnly: true, creation: T0 };
    jar.load([base, { ...base, name: 'old', expires: T0 - 1 }, { ...base, value: '2' }]);
    assert.equal(jar.getCookieHeader('http://x.com/'), 'a=2');
    assert.throws(() => jar.load({} as never), InvalidRequestError);
  });

  test('setCookiesFromResponse takes Headers or the raw values', () => {
    const { jar } = clockJar();
    const h = new Headers([
      ['Set-Cookie', 'a=1; Expires=Wed, 09 Jun 2100 10:18:14 GMT'],
      ['Content-Type', 'text/plain'],
      ['set-cookie', 'b=2, c=3'],
      ['Set-Cookie', 'evil=1; Domain=other.com'],
    ]);
    assert.equal(jar.setCookiesFromResponse(h, 'http://x.com/'), 2);
    assert.equal(jar.setCookiesFromResponse(['d=4', 'e=5; Secure'], new URL('http://x.com/')), 1);
    assert.equal(jar.getCookieHeader('http://x.com/'), 'a=1; b=2, c=3; d=4');
  });
});
