import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { DigestAuthState, staticAuthorization } from '../../src/layers/auth.js';
import { Reqivo } from '../../src/client/reqivo.js';

import { InvalidRequestError } from '../../src/errors.js';
import { Headers } from '../../src/http/headers.js';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

async function echoAuth(): Promise<TestServer & { seen: Array<string | undefined> }> {
  const seen: Array<string | undefined> = [];
  const srv = await httpServer((req, res) => {
    seen.push(req.headers.authorization);
    res.end(req.headers.authorization ?? 'none');
  });
  cleanups.push(() => srv.close());
  return Object.assign(srv, { seen });
}

describe('Basic and Bearer', () => {
  test('session-wide Basic', async () => {
    const srv = await echoAuth();
    const res = await session({ auth: { type: 'basic', username: 'ada', password: 'pa:ss é' } }).get(`${srv.url}/`);
    assert.equal(res.text(), `Basic ${Buffer.from('ada:pa:ss é', 'utf8').toString('base64')}`);
  });

  test('per-request auth overrides the session; null turns it off; an explicit header wins', async () => {
    const srv = await echoAuth();
    const s = session({ auth: { type: 'basic', username: 'u', password: 'p' } });
    assert.equal((await s.get(`${srv.url}/`, { auth: { type: 'bearer', token: 'tok' } })).text(), 'Bearer tok');
    assert.equal((await s.get(`${srv.url}/`, { auth: null })).text(), 'none');
    assert.equal((await s.get(`${srv.url}/`, { headers: { Authorization: 'Custom x' } })).text(), 'Custom x');
    s.auth = { type: 'bearer', token: 'changed' };
    assert.equal((await s.get(`${srv.url}/`)).text(), 'Bearer changed');
  });

  test('credentials in the URL become Basic and never appear in res.url', async () => {
    const srv = await echoAuth();
    const res = await session().get(`http://us%20er:p%40ss@127.0.0.1:${srv.port}/x`);
    assert.equal(res.text(), `Basic ${Buffer.from('us er:p@ss').toString('base64')}`);
    assert.equal(res.url, `${srv.url}/x`);
  });

  test('a Basic username with ":" is refused before anything is sent', async () => {
    const srv = await echoAuth();
    await assert.rejects(session({ auth: { type: 'basic', username: 'a:b', password: 'x' } }).get(`${srv.url}/`), InvalidRequestError);
    assert.equal(srv.seen.length, 0);
  });

  test('staticAuthorization', () => {
    assert.equal(staticAuthorization({ type: 'bearer', token: 't' }), 'Bearer t');
    assert.equal(staticAuthorization({ type: 'basic', username: 'a', password: 'b' }), 'Basic YTpi');
    assert.equal(staticAuthorization({ type: 'digest', username: 'a', password: 'b' }), null);
  });
});

// ---- Digest: an independent server-side implementation of RFC 7616 (qop=auth) ----

interface DigestServerOptions {
  algorithm?: 'MD5' | 'SHA-256' | 'MD5-sess' | 'SHA-256-sess';
  /** The qop of the challenge (default `auth, auth-int`); the answer must use `auth-int` when that is all it offers. */
  qop?: string;
  /** Algorithms of further challenges sent before the real one (a weaker one in front, say); their nonces are never accepted. */
  decoys?: string[];
  user?: string;
  password?: string;
  /** Every how many uses a nonce goes stale (0 = never). */
  staleAfter?: number;
  /** After authenticating a request for `from`, redirect it to `to`. */
  redirect?: { from: string; to: string };
}

interface DigestServer extends TestServer {
  /** Authorization header per request (undefined when absent). */
  seen: Array<string | undefined>;
  /** Parsed answers that verified. */
  verified: Array<Record<string, string>>;
  nonces: string[];
}

function parseDigest(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of value.slice(7).matchAll(/([a-z*]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/gi)) out[m[1]!.toLowerCase()] = m[2] ?? m[3]!;
  return out;
}

async function digestServer(opts: DigestServerOptions = {}): Promise<DigestServer> {
  const algorithm = opts.algorithm ?? 'MD5';
  const user = opts.user ?? 'Mufasa';
  const password = opts.password ?? 'Circle of Life';
  const realm = 'http-auth@example.org';
  const opaque = 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS';
  const H = (s: string): string => createHash(algorithm.startsWith('MD5') ? 'md5' : 'sha256').update(s).digest('hex');
  const qopOffer = opts.qop ?? 'auth, auth-int';
  const qopWanted = qopOffer === 'auth-int' ? 'auth-int' : 'auth';
  const seen: Array<string | undefined> = [];
  const verified: Array<Record<string, string>> = [];
  const nonces: string[] = [];
  const uses = new Map<string, number>();
  const lastNc = new Map<string, number>();
  const newNonce = (): string => {
    const n = randomBytes(12).toString('hex');
    nonces.push(n);
    uses.set(n, 0);
    return n;
  };
  const challenge = (res: http.ServerResponse, stale: boolean): void => {
    const n = newNonce();
    res.writeHead(401, {
      'www-authenticate': [
        'Basic realm="fallback"',
        ...(opts.decoys ?? []).map((a) => `Digest realm="${realm}", qop="auth", algorithm=${a}, nonce="decoy-${a}", opaque="${opaque}"`),
        `Digest realm="${realm}", qop="${qopOffer}", algorithm=${algorithm}, nonce="${n}", opaque="${opaque}"${stale ? ', stale=true' : ''}`,
      ],
      'content-type': 'text/plain',
    });
    res.end('authenticate, please');
  };
  const srv = await httpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const auth = req.headers.authorization;
      seen.push(auth);
      if (auth === undefined || !auth.startsWith('Digest ')) return challenge(res, false);
      const p = parseDigest(auth);
      const count = uses.get(p['nonce']!);
      if (count === undefined) return challenge(res, true);
      if (opts.staleAfter && count >= opts.staleAfter) return challenge(res, true);
      const nc = Number.parseInt(p['nc']!, 16);
      // A nonce count must grow with each use of a nonce (replay protection).
      if (!(nc > (lastNc.get(p['nonce']!) ?? 0))) return challenge(res, false);
      let ha1 = H(`${user}:${realm}:${password}`);
      if (algorithm.endsWith('-sess')) ha1 = H(`${ha1}:${p['nonce']}:${p['cnonce']}`);
      const ha2 = qopWanted === 'auth-int' ? H(`${req.method}:${req.url}:${H(body)}`) : H(`${req.method}:${req.url}`);
      const expected = H(`${ha1}:${p['nonce']}:${p['nc']}:${p['cnonce']}:${p['qop']}:${ha2}`);
      const ok =
        p['username'] === user &&
        p['realm'] === realm &&
        p['uri'] === req.url &&
        p['qop'] === qopWanted &&
        p['opaque'] === opaque &&
        p['algorithm'] === algorithm &&
        p['response'] === expected;
      if (!ok) return challenge(res, false);
      uses.set(p['nonce']!, count + 1);
      lastNc.set(p['nonce']!, nc);
      verified.push(p);
      if (opts.redirect && req.url === opts.redirect.from) {
        res.writeHead(302, { location: opts.redirect.to });
        res.end();
        return;
      }
      res.end(`hello ${user}: ${req.method} ${body}`);
    });
  });
  cleanups.push(() => srv.close());
  return Object.assign(srv, { seen, verified, nonces });
}

describe('Digest (RFC 7616)', () => {
  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    test(`${algorithm}: answers the 401 challenge once, then authenticates up front with nc counting`, async () => {
      const srv = await digestServer({ algorithm });
      const s = session({ auth: { type: 'digest', username: 'Mufasa', password: 'Circle of Life' } });
      const res = await s.get(`${srv.url}/dir/index.html?x=1`);
      assert.equal(res.status, 200);
      assert.equal(res.text(), 'hello Mufasa: GET ');
      assert.equal(srv.seen.length, 2);
      assert.equal(srv.seen[0], undefined);
      assert.equal(srv.verified[0]!['nc'], '00000001');
      assert.equal(srv.verified[0]!['uri'], '/dir/index.html?x=1');
      // Same origin, same nonce: no 401 round trip, the nonce count goes up.
      const res2 = await s.get(`${srv.url}/other`);
      assert.equal(res2.status, 200);
      assert.equal(srv.seen.length, 3);
      assert.equal(srv.verified[1]!['nc'], '00000002');
      assert.equal(srv.verified[1]!['nonce'], srv.verified[0]!['nonce']);
      const res3 = await s.post(`${srv.url}/form`, { json: { a: 1 } });
      assert.equal(res3.text(), 'hello Mufasa: POST {"a":1}');
      assert.equal(srv.verified[2]!['nc'], '00000003');
    });
  }

  test('a same-origin redirect is signed afresh for its new URI, without another 401', async () => {
    const srv = await digestServer({ redirect: { from: '/old', to: '/new?x=1' } });
    const s = session({ auth: { type: 'digest', username: 'Mufasa', password: 'Circle of Life' } });
    const res = await s.get(`${srv.url}/old`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.redirects, [`${srv.url}/old`]);
    assert.equal(srv.seen.length, 3);
    assert.equal(srv.verified[1]!['uri'], '/new?x=1');
    assert.equal(srv.verified[1]!['nc'], '00000002');
  });

  test('a stale nonce is answered again with the new nonce, counting from 1', async () => {
    const srv = await digestServer({ staleAfter: 1 });
    const s = session({ auth: { type: 'digest', username: 'Mufasa', password: 'Circle of Life' } });
    assert.equal((await s.get(`${srv.url}/a`)).status, 200);
    const res = await s.get(`${srv.url}/b`);
    assert.equal(res.status, 200);
    // 401, answer; preemptive (stale → 401), answer with the new nonce.
    assert.equal(srv.seen.length, 4);
    assert.equal(srv.verified[1]!['nonce'], srv.nonces[1]);
    assert.equal(srv.verified[1]!['nc'], '00000001');
  });

  test('wrong credentials: one resend, then the 401 is returned (no loop)', async () => {
    const srv = await digestServer();
    const s = session({ auth: { type: 'digest', username: 'Mufasa', password: 'wrong' } });
    const res = await s.get(`${srv.url}/`);
    assert.equal(res.status, 401);
    assert.equal(res.text(), 'authenticate, please');
    assert.equal(srv.seen.length, 2);
    // Next request: tries up front with the remembered nonce; the repeated nonce means refused, so no resend.
    const res2 = await s.get(`${srv.url}/`);
    assert.equal(res2.status, 401);
    assert.ok(srv.seen.length <= 4);
  });

  test('per-request digest auth and the Reqivo facade', async () => {
    const srv = await digestServer({ user: 'ü-user', password: 'pw' });
    const s = session();
    const res = await s.get(`${srv.url}/x`, { auth: { type: 'digest', username: 'ü-user', password: 'pw' } });
    // A non-ASCII user name goes out as username* (RFC 7616 §3.4.4), which this server does not read.
    assert.equal(res.status, 401);
    const srv2 = await digestServer();
    const client = new Reqivo({ proxy: false }).digestAuth('Mufasa', 'Circle of Life');
    cleanups.push(() => client.close());
    assert.equal((await client.get(`${srv2.url}/y`)).status, 200);
  });

  test('stream(): the 401 is answered and the final response streamed', async () => {
    const srv = await digestServer();
    const s = session({ auth: { type: 'digest', username: 'Mufasa', password: 'Circle of Life' } });
    const res = await s.stream('GET', `${srv.url}/s`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello Mufasa: GET ');
    assert.equal(srv.accepted, 1);
  });

  test('a one-shot stream body is not resent on a challenge', async () => {
    const srv = await digestServer();
    const s = session({ auth: { type: 'digest', username: 'Mufasa', password: 'Circle of Life' } });
    async function* gen(): AsyncGenerator<string> {
      yield 'once';
    }
    const res = await s.post(`${srv.url}/s`, { body: gen() });
    assert.equal(res.status, 401);
    assert.equal(srv.seen.length, 1);
  });

  test('a 401 without a Digest challenge is returned as is', async () => {
    const srv = await httpServer((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="x"' });
      res.end('no');
    });
    cleanups.push(() => srv.close());
    const res = await session({ auth: { type: 'digest', username: 'a', password: 'b' } }).get(`${srv.url}/`);
    assert.equal(res.status, 401);
    assert.equal(srv.accepted, 1);
  });

  test('a challenge from another origin reached by a redirect is not answered', async () => {
    const other = await digestServer();
    const first = await httpServer((_req, res) => {
      res.writeHead(302, { location: `${other.url}/steal` });
      res.end();
    });
    cleanups.push(() => first.close());
    const res = await session({ auth: { type: 'digest', username: 'Mufasa', password: 'Circle of Life' } }).get(`${first.url}/`);
    assert.equal(res.status, 401);
    assert.deepEqual(other.seen, [undefined]);
  });

  for (const algorithm of ['MD5-sess', 'SHA-256-sess'] as const) {
    test(`${algorithm}: HA1 folds in both nonces; answered, then up front with nc counting`, async () => {
      const srv = await digestServer({ algorithm });
      const s = session({ auth: { type: 'digest', username: 'Mufasa', password: 'Circle of Life' } });
      assert.equal((await s.get(`${srv.url}/a`)).status, 200);
      assert.equal((await s.get(`${srv.url}/b`)).status, 200);
      assert.deepEqual(srv.verified.map((v) => [v['algorithm'], v['nc']]), [[algorithm, '00000001'], [algorithm, '00000002']]);
      assert.notEqual(srv.verified[0]!['cnonce'], srv.verified[1]!['cnonce']);
    });
  }

  test('qop=auth-int alone: the body is hashed into the answer (GET with none, POST with one), up front too', async () => {
    const srv = await digestServer({ algorithm: 'SHA-256', qop: 'auth-int' });
    const s = session({ auth: { type: 'digest', username: 'Mufasa', password: 'Circle of Life' } });
    const r1 = await s.get(`${srv.url}/a`);
    assert.equal(r1.status, 200);
    const r2 = await s.post(`${srv.url}/b`, { body: 'some body' });
    assert.equal(r2.text(), 'hello Mufasa: POST some body');
    assert.deepEqual(srv.verified.map((v) => [v['qop'], v['nc']]), [['auth-int', '00000001'], ['auth-int', '00000002']]);
    // 401 + answer, then one request up front.
    assert.equal(srv.seen.length, 3);
    // A stream body cannot be hashed: the 401 comes back as is, nothing is resent.
    async function* gen(): AsyncGenerator<string> {
      yield 'once';
    }
    const before = srv.seen.length;
    const r3 = await s.post(`${srv.url}/c`, { body: gen() });
    assert.equal(r3.status, 401);
    assert.equal(srv.seen.length, before + 1);
  });

  test('a weaker challenge put in front of a SHA-256 one is not chosen (no downgrade to MD5)', async () => {
    const srv = await digestServer({ algorithm: 'SHA-256', decoys: ['MD5', 'MD5-sess'] });
    const s = session({ auth: { type: 'digest', username: 'Mufasa', password: 'Circle of Life' } });
    const res = await s.get(`${srv.url}/x`);
    assert.equal(res.status, 200);
    assert.equal(srv.verified[0]!['algorithm'], 'SHA-256');
  });

  test('after SHA-256, a server switching to MD5 (same nonce, or a new stale one) gets no answer', async () => {
    let n = 0;
    const seen: Array<string | undefined> = [];
    const srv = await httpServer((req, res) => {
      seen.push(req.headers.authorization);
      n++;
      const alg = n === 1 ? 'SHA-256' : 'MD5';
      if (n === 2 && req.headers.authorization?.includes('algorithm=SHA-256')) {
        res.end('ok');
        return;
      }
      const nonce = n <= 3 ? 'n1' : `n${n}`;
      res.writeHead(401, { 'www-authenticate': `Digest realm="r", qop="auth", algorithm=${alg}, nonce="${nonce}"${n > 3 ? ', stale=true' : ''}` });
      res.end('again');
    });
    cleanups.push(() => srv.close());
    const s = session({ auth: { type: 'digest', username: 'u', password: 'p' } });
    assert.equal((await s.get(`${srv.url}/1`)).text(), 'ok');
    // Up front with SHA-256; the answer is an MD5 challenge on the same nonce: returned as is.
    assert.equal((await s.get(`${srv.url}/2`)).status, 401);
    // Up front with SHA-256 again; an MD5 stale=true challenge with a new nonce: returned as is too.
    assert.equal((await s.get(`${srv.url}/3`)).status, 401);
    assert.equal(seen.length, 4);
    assert.ok(seen.slice(1).every((a) => a !== undefined && a.includes('algorithm=SHA-256')), JSON.stringify(seen));
    assert.ok(!seen.some((a) => a?.includes('algorithm=MD5')));
  });

  test('DigestAuthState: nothing remembered → no preemptive answer; unsupported qop → null', () => {
    const st = new DigestAuthState();
    const auth = { type: 'digest' as const, username: 'u', password: 'p' };
    const url = new URL('http://h.test/x');
    assert.equal(st.preemptive(auth, 'GET', url), null);
    assert.equal(st.answer(auth, 'GET', url, new Headers([['www-authenticate', 'Digest realm="r", nonce="n", qop="auth-int"']])), null);
    assert.equal(st.answer(auth, 'GET', url, new Headers()), null);
    const a = st.answer(auth, 'GET', url, new Headers([['www-authenticate', 'Digest realm="r", nonce="n", qop="auth"']]));
    assert.match(a!, /^Digest username="u", realm="r", uri="\/x", nonce="n", nc=00000001, /);
    assert.match(st.preemptive(auth, 'GET', new URL('http://h.test/y'))!, /nc=00000002/);
    // Other origin: nothing.
    assert.equal(st.preemptive(auth, 'GET', new URL('http://h.test:81/y')), null);
    // A later challenge weaker than the one answered: no qop (RFC 2069 form), or MD5 after SHA-256, is not answered.
    assert.equal(st.answer(auth, 'GET', url, new Headers([['www-authenticate', 'Digest realm="r", nonce="n2", stale=true']])), null);
    assert.match(st.answer(auth, 'GET', url, new Headers([['www-authenticate', 'Digest realm="r", nonce="n3", algorithm=SHA-256, qop="auth"']]))!, /algorithm=SHA-256/);
    assert.equal(st.answer(auth, 'GET', url, new Headers([['www-authenticate', 'Digest realm="r", nonce="n4", algorithm=MD5, qop="auth", stale=true']])), null);
    assert.match(st.answer(auth, 'GET', url, new Headers([['www-authenticate', 'Digest realm="r", nonce="n5", algorithm=SHA-512-256, qop="auth"']]))!, /algorithm=SHA-512-256/);
    st.clear();
    assert.equal(st.preemptive(auth, 'GET', url), null);
  });
});
