/** The network flags of the bin: auth, redirects, timeouts, HTTP/2, proxies, TLS, timings, --check-status, --offline. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spkiPin } from '../../src/index.js';
import { certs } from '../helpers/certs.js';
import { h2cServer, h2Server } from '../helpers/h2-servers.js';
import { httpServer, httpsServer, type TestServer } from '../helpers/servers.js';
import { reqivo, tempDir } from './bin.js';

let server: TestServer;
let seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

before(async () => {
  server = await httpServer((req, res) => {
    seen.push({ url: req.url!, headers: req.headers });
    const url = req.url!;
    if (url.startsWith('/status/')) {
      const code = Number(url.slice(8));
      res.writeHead(code, code >= 300 && code < 400 ? { location: '/landed' } : {});
      return void res.end(`status ${code}`);
    }
    if (url.startsWith('/loop')) {
      res.writeHead(302, { location: `/loop?n=${seen.length}` });
      return void res.end();
    }
    if (url === '/slow') return void setTimeout(() => res.end('late'), 3000);
    if (url === '/wait') return void setTimeout(() => res.end('waited'), 400);
    if (url === '/digest') {
      // RFC 7616 §3.4 with qop=auth, checked for user ada / password pw.
      const auth = req.headers.authorization ?? '';
      const f = Object.fromEntries([...auth.matchAll(/(\w+)="?([^",]+)"?/g)].map((m) => [m[1], m[2]]));
      const expected = md5(`${md5('ada:r:pw')}:n0nce:${f.nc}:${f.cnonce}:auth:${md5(`GET:${f.uri}`)}`);
      if (auth.startsWith('Digest ') && f.response === expected) return void res.end('digest ok');
      res.writeHead(401, { 'www-authenticate': 'Digest realm="r", nonce="n0nce", qop="auth", algorithm=MD5' });
      return void res.end();
    }
    res.end('ok');
  });
});
after(() => server.close());

test('-a user:pass sends Basic; -A bearer sends the token; -A digest answers the challenge', async () => {
  seen = [];
  await reqivo(['-a', 'ada:s3:cret', server.url]);
  assert.equal(seen[0]!.headers.authorization, `Basic ${Buffer.from('ada:s3:cret').toString('base64')}`);
  await reqivo(['-A', 'bearer', '-a', 'tok123', server.url]);
  assert.equal(seen[1]!.headers.authorization, 'Bearer tok123');
  const d = await reqivo(['-A', 'digest', '-a', 'ada:pw', `${server.url}/digest`]);
  assert.equal(d.stdout, 'digest ok');
  const bad = await reqivo(['-a', 'nocolon', server.url]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /give user:password/);
});

test('redirects are shown, not followed, by default; --follow follows; --max-redirects bounds it (exit 6)', async () => {
  const shown = await reqivo(['-h', `${server.url}/status/302`]);
  assert.match(shown.stdout, /^HTTP\/1\.1 302 Found\n/);
  const followed = await reqivo(['--follow', `${server.url}/status/302`]);
  assert.equal(followed.stdout, 'ok');
  const loop = await reqivo(['--follow', '--max-redirects=3', `${server.url}/loop`]);
  assert.equal(loop.code, 6);
  assert.match(loop.stderr, /^reqivo: error: GET http:\/\/127\.0\.0\.1:\d+\/loop.*\(TooManyRedirects\) — raise --max-redirects/);
});

test('--check-status exits 3/4/5 by status class with a warning when piped; without it, 0', async () => {
  for (const [code, exit] of [[200, 0], [302, 3], [404, 4], [503, 5]] as const) {
    const r = await reqivo(['--check-status', `${server.url}/status/${code}`]);
    assert.equal(r.code, exit, `status ${code}`);
    if (exit !== 0) assert.match(r.stderr, new RegExp(`^reqivo: warning: HTTP ${code} `));
  }
  assert.equal((await reqivo([`${server.url}/status/500`])).code, 0);
  // Followed, a 3xx is not the final status.
  assert.equal((await reqivo(['--check-status', '--follow', `${server.url}/status/301`])).code, 0);
});

test('--timeout in seconds: a slow server ends in a one-line timeout error, exit 2', async () => {
  const r = await reqivo(['--timeout=0.3', `${server.url}/slow`]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^reqivo: error: GET http:\/\/127\.0\.0\.1:\d+\/slow: .*\((ReadTimeout|TimeoutError)\) — .*raise --timeout/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.equal((await reqivo(['--timeout=5', `${server.url}/wait`])).stdout, 'waited');
});

test('--timings prints the phases to stderr (firstByte and total at least the server delay)', async () => {
  const r = await reqivo(['--timings', `${server.url}/wait`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'waited');
  const first = Number(/firstByte ([\d.]+) ms/.exec(r.stderr)?.[1]);
  const total = Number(/total ([\d.]+) ms/.exec(r.stderr)?.[1]);
  assert.ok(first >= 350 && total >= first, r.stderr);
  // Every phase of res.timings is named; a fresh connection to an IP address: TCP, no DNS, no TLS.
  assert.match(r.stderr, /^timings: wait [\d.]+ ms {2}dns - {2}tcp [\d.]+ ms {2}tls - {2}request [\d.]+ ms {2}firstByte [\d.]+ ms {2}download [\d.]+ ms {2}total [\d.]+ ms$/m);
});

test('--offline prints the request as it would be sent and sends nothing', async () => {
  seen = [];
  const r = await reqivo(['--offline', `${server.url}/o`, 'a=1', 'X-K:v', 'p==1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(seen.length, 0);
  assert.match(r.stdout, /^POST \/o\?p=1 HTTP\/1\.1\nHost: 127\.0\.0\.1:\d+\nuser-agent: reqivo\/[\d.]+\n/);
  assert.match(r.stdout, /\nContent-Type: application\/json\nContent-Length: 9\n\n\{"a":"1"\}\n\n$/);
  // The shorthand expands to localhost, and no DNS or connection is needed for it.
  const short = await reqivo(['--offline', ':3000/x']);
  assert.match(short.stdout, /^GET \/x HTTP\/1\.1\nHost: localhost:3000\n/);
});

test('--proxy sends the request in absolute-form to the proxy; http_proxy from the environment too (upper-case HTTP_PROXY ignored, httpoxy); --proxy=none ignores it', async () => {
  const proxied: string[] = [];
  const proxy = await httpServer((req, res) => {
    proxied.push(req.url!);
    res.end('via proxy');
  });
  try {
    const r = await reqivo(['--proxy', proxy.url, 'http://127.0.0.1:9/far']);
    assert.equal(r.stdout, 'via proxy');
    const env = await reqivo(['http://127.0.0.1:9/env'], { env: { http_proxy: proxy.url } });
    assert.equal(env.stdout, 'via proxy');
    assert.deepEqual(proxied, ['http://127.0.0.1:9/far', 'http://127.0.0.1:9/env']);
    const off = await reqivo(['--proxy=none', `${server.url}/direct`], { env: { http_proxy: proxy.url } });
    assert.equal(off.stdout, 'ok');
    const upper = await reqivo([`${server.url}/direct`], { env: { HTTP_PROXY: proxy.url } });
    assert.equal(upper.stdout, 'ok');
    assert.equal(proxied.length, 2);
  } finally {
    await proxy.close();
  }
});

test('--verify=CA trusts a private CA, --verify=no skips checks, default fails with the fix in one line', async () => {
  const c = certs();
  const tls = await httpsServer((_req, res) => res.end('secure'));
  const dir = tempDir();
  writeFileSync(join(dir, 'ca.pem'), c.caCert);
  try {
    const failed = await reqivo([tls.url]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^reqivo: error: GET https:\/\/127\.0\.0\.1:\d+\/: .*\(TlsError\) — for a private CA use --verify=CA_FILE/);
    assert.doesNotMatch(failed.stderr, /\n\s+at /);
    assert.equal((await reqivo([`--verify=${join(dir, 'ca.pem')}`, tls.url])).stdout, 'secure');
    assert.equal((await reqivo(['--verify=no', tls.url])).stdout, 'secure');
    // --pin: the right SPKI pin passes, a wrong one fails.
    const pin = spkiPin(c.serverCert);
    assert.equal((await reqivo(['--verify=no', `--pin=${pin}`, tls.url])).stdout, 'secure');
    const wrong = await reqivo(['--verify=no', `--pin=sha256/${Buffer.alloc(32).toString('base64')}`, tls.url]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /\(TlsError\) — the certificate matches no --pin/);
  } finally {
    await tls.close();
  }
});

test('--cert and --cert-key present a client certificate (mTLS)', async () => {
  const c = certs();
  const mtls = await httpsServer(
    (req, res) => res.end((req.socket as import('node:tls').TLSSocket).authorized ? 'client ok' : 'anonymous'),
    { requestCert: true, rejectUnauthorized: false, ca: c.caCert },
  );
  const dir = tempDir();
  writeFileSync(join(dir, 'ca.pem'), c.caCert);
  writeFileSync(join(dir, 'client.pem'), c.clientCert);
  writeFileSync(join(dir, 'client.key'), c.clientKey);
  try {
    const verify = `--verify=${join(dir, 'ca.pem')}`;
    assert.equal((await reqivo([verify, mtls.url])).stdout, 'anonymous');
    const r = await reqivo([verify, `--cert=${join(dir, 'client.pem')}`, `--cert-key=${join(dir, 'client.key')}`, mtls.url]);
    assert.equal(r.stdout, 'client ok', r.stderr);
  } finally {
    await mtls.close();
  }
});

test('--http2 speaks h2 (ALPN on https, prior knowledge on http); --http1 stays on HTTP/1.1', async () => {
  const h2 = await h2Server((req, res) => res.end(`v${req.httpVersion}`));
  const h2c = await h2cServer((req, res) => res.end(`v${req.httpVersion}`));
  try {
    const a = await reqivo(['--http2', '--verify=no', '-h', h2.url]);
    assert.match(a.stdout, /^HTTP\/2 200/);
    assert.equal((await reqivo(['--http1', '--verify=no', h2.url])).stdout, 'v1.1');
    assert.equal((await reqivo(['--http2', h2c.url])).stdout, 'v2.0');
  } finally {
    await h2.close();
    await h2c.close();
  }
});
