import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { algorithmStrength, basicAuthorization, digestAuthorization, parseChallenge, parseChallenges } from '../../src/layers/digest.js';
import { InvalidRequestError } from '../../src/errors.js';

// RFC 7616 §3.9.1: the server sends two challenges, SHA-256 first.
const RFC_REALM = 'http-auth@example.org';
const RFC_NONCE = '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v';
const RFC_OPAQUE = 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS';
const RFC_CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
const rfcChallenge = (alg: string): string =>
  `Digest realm="${RFC_REALM}", qop="auth, auth-int", algorithm=${alg}, nonce="${RFC_NONCE}", opaque="${RFC_OPAQUE}"`;

function param(header: string, name: string): string | undefined {
  const m = new RegExp(`(?:^Digest |, )${name}=("(?:[^"\\\\]|\\\\.)*"|[^,]*)`).exec(header);
  if (m === null) return undefined;
  const v = m[1]!;
  return v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('basicAuthorization (RFC 7617)', () => {
  test('the RFC 7617 examples, ASCII and UTF-8', () => {
    assert.equal(basicAuthorization('Aladdin', 'open sesame'), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    assert.equal(basicAuthorization('test', '123\u00a3'), 'Basic dGVzdDoxMjPCow==');
  });

  test('a colon in the password is fine; in the username it is refused', () => {
    assert.equal(basicAuthorization('u', 'a:b'), `Basic ${Buffer.from('u:a:b').toString('base64')}`);
    assert.throws(() => basicAuthorization('a:b', 'p'), InvalidRequestError);
  });
});

describe('parseChallenges / parseChallenge', () => {
  test('several schemes in one value, quoted strings with escapes and commas, token68', () => {
    const list = parseChallenges('Newauth realm="apps", type=1, title="Login to \\"apps\\", please", Basic realm="simple", Negotiate abc+/==');
    assert.equal(list.length, 3);
    assert.equal(list[0]!.scheme, 'Newauth');
    assert.deepEqual({ ...list[0]!.params }, { realm: 'apps', type: '1', title: 'Login to "apps", please' });
    assert.equal(list[1]!.scheme, 'Basic');
    assert.equal(list[1]!.params['realm'], 'simple');
    assert.equal(list[2]!.scheme, 'Negotiate');
    assert.equal(list[2]!.token68, 'abc+/==');
  });

  test('picks the Digest challenge out of several, parameter names are case-insensitive', () => {
    const c = parseChallenge('Basic realm="b", DIGEST Realm="r", NONCE="n", QOP="auth-int,auth", Algorithm=sha-256, stale=TRUE, opaque="o"');
    assert.ok(c !== null);
    assert.equal(c.realm, 'r');
    assert.equal(c.nonce, 'n');
    assert.deepEqual(c.qop, ['auth-int', 'auth']);
    assert.equal(c.algorithm, 'SHA-256');
    assert.equal(c.algorithmGiven, true);
    assert.equal(c.stale, true);
    assert.equal(c.opaque, 'o');
    assert.equal(c.userhash, false);
  });

  test('RFC 7616 §3.9.1: two WWW-Authenticate lines, the first (SHA-256) wins', () => {
    const c = parseChallenge([rfcChallenge('SHA-256'), rfcChallenge('MD5')]);
    assert.equal(c?.algorithm, 'SHA-256');
    assert.deepEqual(c?.qop, ['auth', 'auth-int']);
  });

  test('several Digest challenges: the strongest algorithm wins whatever the order (no downgrade by a challenge put in front)', () => {
    const pick = (...algs: string[]): string | undefined => parseChallenge(algs.map((a, i) => `Digest realm="r", nonce="n${i}", algorithm=${a}, qop="auth"`))?.algorithm;
    assert.equal(pick('MD5', 'SHA-256'), 'SHA-256');
    assert.equal(pick('MD5-sess', 'SHA-512-256', 'SHA-256'), 'SHA-512-256');
    assert.equal(pick('SHA-256', 'SHA-256-sess'), 'SHA-256');
    assert.equal(pick('MD5', 'FOO-1'), 'MD5');
    assert.equal(algorithmStrength('sha-256-SESS'), 2);
    assert.equal(algorithmStrength('FOO'), 0);
  });

  test('an unsupported algorithm is skipped for the next challenge; none left means null', () => {
    assert.equal(parseChallenge('Digest realm="r", nonce="n", algorithm=SHA3-999, Digest realm="r", nonce="m", algorithm=MD5')?.nonce, 'm');
    assert.equal(parseChallenge('Digest realm="r", nonce="n", algorithm=FOO'), null);
    assert.equal(parseChallenge('Basic realm="x"'), null);
    assert.equal(parseChallenge('Digest realm="no nonce"'), null);
    assert.equal(parseChallenge(''), null);
  });

  test('no algorithm means MD5, and is not echoed', () => {
    const c = parseChallenge('Digest realm="r", nonce="n"')!;
    assert.equal(c.algorithm, 'MD5');
    assert.equal(c.algorithmGiven, false);
    assert.deepEqual(c.qop, []);
  });

  test('garbage and an unterminated quote do not throw', () => {
    assert.deepEqual(parseChallenges(', ,  =x, "junk"'), []);
    const c = parseChallenge('Digest nonce="abc, realm=');
    assert.equal(c?.nonce, 'abc, realm=');
  });
});

describe('digestAuthorization (RFC 7616)', () => {
  const base = { username: 'Mufasa', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: RFC_CNONCE };

  test('RFC 7616 §3.9.1 MD5: the exact Authorization of the RFC', () => {
    const h = digestAuthorization({ ...base, challenge: parseChallenge(rfcChallenge('MD5'))! });
    assert.equal(
      h,
      'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, ' +
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", ' +
        'qop=auth, response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    );
  });

  test('RFC 7616 §3.9.1 SHA-256 response', () => {
    const h = digestAuthorization({ ...base, challenge: parseChallenge(rfcChallenge('SHA-256'))! });
    assert.equal(param(h, 'response'), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    assert.equal(param(h, 'algorithm'), 'SHA-256');
    assert.equal(param(h, 'qop'), 'auth');
    assert.equal(param(h, 'nc'), '00000001');
    assert.equal(param(h, 'opaque'), RFC_OPAQUE);
  });

  test('RFC 2617 §3.5 example (MD5, qop=auth, no algorithm in the challenge)', () => {
    const challenge = parseChallenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')!;
    const h = digestAuthorization({ username: 'Mufasa', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', challenge, nc: 1, cnonce: '0a4f113b' });
    assert.equal(param(h, 'response'), '6629fae49393a05397450978507c4ef1');
    assert.equal(param(h, 'algorithm'), undefined);
    assert.equal(param(h, 'opaque'), '5ccc069c403ebaf9f0171e9517f40e41');
  });

  test('RFC 2069 legacy mode: no qop → response = H(HA1:nonce:HA2), no nc/cnonce/qop', () => {
    const challenge = parseChallenge('Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"')!;
    const h = digestAuthorization({ username: 'Mufasa', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', challenge });
    const expected = md5(`${md5('Mufasa:testrealm@host.com:Circle Of Life')}:dcd98b7102dd2f0e8b11d0f600bfb0c093:${md5('GET:/dir/index.html')}`);
    assert.equal(expected, '670fd8c2df070c60b045671b8b24ff02');
    assert.equal(param(h, 'response'), expected);
    assert.equal(param(h, 'nc'), undefined);
    assert.equal(param(h, 'cnonce'), undefined);
    assert.equal(param(h, 'qop'), undefined);
  });

  test('MD5-sess and SHA-256-sess fold nonce and cnonce into HA1', () => {
    for (const [alg, H] of [['MD5-sess', md5], ['SHA-256-sess', sha256]] as const) {
      const challenge = parseChallenge(`Digest realm="r", nonce="N", qop="auth", algorithm=${alg.toUpperCase()}`)!;
      assert.equal(challenge.algorithm, alg);
      const h = digestAuthorization({ username: 'u', password: 'p', method: 'POST', uri: '/x?y=1', challenge, nc: 2, cnonce: 'C' });
      const ha1 = H(`${H('u:r:p')}:N:C`);
      assert.equal(param(h, 'response'), H(`${ha1}:N:00000002:C:auth:${H('POST:/x?y=1')}`));
      assert.equal(param(h, 'algorithm'), alg);
      assert.equal(param(h, 'nc'), '00000002');
    }
  });

  test('SHA-512-256 is supported', () => {
    const H = (s: string): string => createHash('sha512-256').update(s).digest('hex');
    const challenge = parseChallenge('Digest realm="api@example.org", nonce="N", qop="auth", algorithm=SHA-512-256')!;
    const h = digestAuthorization({ username: 'u', password: 'p', method: 'GET', uri: '/', challenge, cnonce: 'C' });
    assert.equal(param(h, 'response'), H(`${H('u:api@example.org:p')}:N:00000001:C:auth:${H('GET:/')}`));
  });

  test('SHA-512 and SHA-512-sess, offered by servers beyond RFC 7616 (httpbin), are answered and rank with SHA-512-256', () => {
    const H = (s: string): string => createHash('sha512').update(s).digest('hex');
    const challenge = parseChallenge('Digest realm="r", nonce="N", qop="auth", algorithm=SHA-512')!;
    assert.equal(challenge.algorithm, 'SHA-512');
    const h = digestAuthorization({ username: 'u', password: 'p', method: 'GET', uri: '/x', challenge, cnonce: 'C' });
    assert.match(h, /algorithm=SHA-512,/);
    assert.equal(param(h, 'response'), H(`${H('u:r:p')}:N:00000001:C:auth:${H('GET:/x')}`));
    const sess = parseChallenge('Digest realm="r", nonce="N", qop="auth", algorithm=sha-512-SESS')!;
    const hs = digestAuthorization({ username: 'u', password: 'p', method: 'GET', uri: '/x', challenge: sess, cnonce: 'C' });
    assert.equal(param(hs, 'response'), H(`${H(`${H('u:r:p')}:N:C`)}:N:00000001:C:auth:${H('GET:/x')}`));
    assert.equal(algorithmStrength('SHA-512'), 3);
    assert.equal(parseChallenge('Digest realm="r", nonce="1", algorithm=MD5, Digest realm="r", nonce="2", algorithm=SHA-512')!.nonce, '2');
  });

  test('userhash=true hashes the username (RFC 7616 §3.4.4)', () => {
    const challenge = parseChallenge(`${rfcChallenge('SHA-256')}, userhash=true`)!;
    const h = digestAuthorization({ ...base, challenge });
    assert.equal(param(h, 'username'), sha256(`Mufasa:${RFC_REALM}`));
    assert.equal(param(h, 'userhash'), 'true');
    // The response still hashes the clear username.
    assert.equal(param(h, 'response'), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  test('a non-ASCII username goes as username* (RFC 8187 encoding)', () => {
    const challenge = parseChallenge('Digest realm="r", nonce="n", qop="auth"')!;
    const h = digestAuthorization({ username: 'J\u00e4s\u00f8n Doe', password: 'p', method: 'GET', uri: '/', challenge, cnonce: 'c' });
    assert.match(h, /^Digest username\*=UTF-8''J%C3%A4s%C3%B8n%20Doe, /);
  });

  test('qop: auth preferred; auth-int only when alone and a body is given; otherwise refused', () => {
    const both = parseChallenge('Digest realm="r", nonce="n", qop="auth-int, auth"')!;
    assert.equal(param(digestAuthorization({ ...base, challenge: both, body: 'x' }), 'qop'), 'auth');
    const intOnly = parseChallenge('Digest realm="r", nonce="n", qop="auth-int"')!;
    const h = digestAuthorization({ ...base, challenge: intOnly, body: 'hello' });
    assert.equal(param(h, 'qop'), 'auth-int');
    const ha1 = md5('Mufasa:r:Circle of Life');
    assert.equal(param(h, 'response'), md5(`${ha1}:n:00000001:${RFC_CNONCE}:auth-int:${md5(`GET:/dir/index.html:${md5('hello')}`)}`));
    assert.throws(() => digestAuthorization({ ...base, challenge: intOnly }), InvalidRequestError);
    // A challenge offering no qop this client speaks is not one it can answer: the next one is taken instead.
    assert.equal(parseChallenge('Digest realm="r", nonce="n", qop="foo"'), null);
    assert.equal(parseChallenge(['Digest realm="r", nonce="n", algorithm=SHA-256, qop="foo"', 'Digest realm="r", nonce="m", qop="auth"'])!.nonce, 'm');
    assert.throws(() => digestAuthorization({ ...base, challenge: { ...intOnly, qop: ['foo'] } }), InvalidRequestError);
  });

  test('a random cnonce when none is given; quotes in values are escaped', () => {
    const challenge = parseChallenge('Digest realm="a \\"b\\"", nonce="n", qop=auth')!;
    const h = digestAuthorization({ username: 'x"y', password: 'p', method: 'GET', uri: '/', challenge });
    assert.match(param(h, 'cnonce')!, /^[0-9a-f]{32}$/);
    assert.equal(param(h, 'realm'), 'a "b"');
    assert.equal(param(h, 'username'), 'x"y');
  });

  test('header injection and bad nonce counts are refused', () => {
    const challenge = parseChallenge('Digest realm="r", nonce="n", qop=auth')!;
    assert.throws(() => digestAuthorization({ ...base, challenge: { ...challenge, nonce: 'n\r\nX-Evil: 1' } }), InvalidRequestError);
    assert.throws(() => digestAuthorization({ ...base, uri: '/a\nb', challenge }), InvalidRequestError);
    assert.throws(() => digestAuthorization({ ...base, challenge, nc: 0 }), InvalidRequestError);
    assert.throws(() => digestAuthorization({ ...base, challenge, nc: 1.5 }), InvalidRequestError);
    assert.throws(() => digestAuthorization({ ...base, challenge: { ...challenge, algorithm: 'SHA-1' } }), InvalidRequestError);
  });
});
