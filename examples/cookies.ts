/**
 * Sessions with cookies: log in once, and the session's cookie jar carries
 * the session cookie to every later request — redirects included. The jar
 * can be read, exported to JSON and loaded into another session.
 *
 * Run: npx tsc -p tsconfig.test.json && node build/examples/cookies.js
 * (in your project, import from 'reqivo' instead of '../src/index.js').
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CookieJar, Session } from '../src/index.js';

// A tiny site: POST /login sets a session cookie and redirects to /dashboard.
const server = http.createServer((req, res) => {
  const cookie = req.headers.cookie ?? '';
  if (req.method === 'POST' && req.url === '/login') {
    res.writeHead(303, {
      location: '/dashboard',
      'set-cookie': ['sid=s3cr3t; Path=/; HttpOnly; SameSite=Lax', 'theme=dark; Path=/; Max-Age=3600'],
    });
    res.end();
  } else if (req.url === '/dashboard') {
    res.statusCode = cookie.includes('sid=s3cr3t') ? 200 : 401;
    res.end(res.statusCode === 200 ? 'welcome back' : 'please log in');
  } else if (req.url === '/tracker') {
    // A cookie for another site is ignored by the jar.
    res.setHeader('set-cookie', 'track=1; Domain=ads.example');
    res.end('ok');
  } else res.end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const session = new Session({ baseUrl: base });
try {
  const res = await session.post('/login', { form: { user: 'ada', password: 'lovelace' } });
  // The 303 was followed with the cookie the login response set.
  console.log(`login: ${res.status} ${res.text()} (via ${res.redirects.length} redirect)`);

  await session.get('/tracker');
  const names = session.cookies!.getCookies(base).map((c) => c.name);
  console.log(`cookies in the jar: ${names.join(', ')}`);

  // Save the jar and restore it into a fresh session.
  const saved = JSON.stringify(session.cookies!.toJSON());
  const other = new Session({ baseUrl: base });
  other.cookies!.load(CookieJar.fromJSON(JSON.parse(saved)).toJSON());
  console.log(`restored session: ${(await other.get('/dashboard')).text()}`);
  await other.close();

  session.cookies!.clear();
  console.log(`after clear: ${(await session.get('/dashboard')).status}`);
} finally {
  await session.close();
  server.close();
}
