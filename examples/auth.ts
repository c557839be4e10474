/**
 * Authentication: Basic and Bearer (session-wide or per request), and Digest
 * (RFC 7616), which reqivo answers when the server challenges with a 401 and
 * then reuses for later requests with a growing nonce count.
 *
 * Run: npx tsc -p tsconfig.test.json && node build/examples/auth.js
 * (in your project, import from 'reqivo' instead of '../src/index.js').
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Reqivo, Session } from '../src/index.js';

const USER = 'ada';
const PASS = 'lovelace';
const REALM = 'example';
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const nonce = randomBytes(8).toString('hex');
let challenges = 0;

const server = http.createServer((req, res) => {
  const auth = req.headers.authorization ?? '';
  if (req.url === '/basic') {
    res.end(auth === `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}` ? 'basic ok' : 'basic refused');
  } else if (req.url === '/bearer') {
    res.end(auth === 'Bearer token-123' ? 'bearer ok' : 'bearer refused');
  } else {
    // Digest, qop=auth, MD5.
    const p = Object.fromEntries([...auth.matchAll(/(\w+)="?([^",]+)"?/g)].map((m) => [m[1], m[2]]));
    const expected = md5(`${md5(`${USER}:${REALM}:${PASS}`)}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${md5(`${req.method}:${req.url}`)}`);
    if (auth.startsWith('Digest ') && p.response === expected) {
      res.end(`digest ok (nc=${p.nc})`);
    } else {
      challenges++;
      res.writeHead(401, { 'www-authenticate': `Digest realm="${REALM}", qop="auth", nonce="${nonce}", algorithm=MD5` });
      res.end();
    }
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const session = new Session({ baseUrl: base, auth: { type: 'basic', username: USER, password: PASS } });
const client = new Reqivo({ baseUrl: base }).digestAuth(USER, PASS);
try {
  console.log((await session.get('/basic')).text());
  // Per request: overrides the session's auth.
  console.log((await session.get('/bearer', { auth: { type: 'bearer', token: 'token-123' } })).text());

  console.log((await client.get('/digest/a')).text());
  console.log((await client.get('/digest/b')).text());
  console.log(`401 challenges answered: ${challenges}`);
} finally {
  await session.close();
  await client.close();
  server.close();
}
