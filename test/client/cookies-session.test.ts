import assert from 'node:assert/strict';
import type http from 'node:http';
import type { LookupFunction } from 'node:net';
import { describe, test } from 'node:test';
import { CookieJar } from '../../src/client/cookies.js';
import { certs } from '../helpers/certs.js';
import { httpServer, httpsServer, type TestServer } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

/** A server recording the Cookie header of each request. */
async function server(route: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestServer & { cookies: Array<string | undefined> }> {
  const cookies: Array<string | undefined> = [];
  const srv = await httpServer((req, res) => {
    cookies.push(req.headers.cookie);
    route(req, res);
  });
  cleanups.push(() => srv.close());
  return Object.assign(srv, { cookies });
}

describe('cookies in a Session', () => {
  test('the jar is on by default: a Set-Cookie is sent back on the next request', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/set') res.setHeader('set-cookie', ['sid=abc; Path=/; HttpOnly', 'theme=dark']);
      res.end();
    });
    const s = session();
    assert.ok(s.cookies instanceof CookieJar);
    await s.get(`${srv.url}/set`);
    await s.get(`${srv.url}/other`);
    assert.equal(srv.cookies[0], undefined);
    assert.equal(srv.cookies[1], 'sid=abc; theme=dark');
    const names = s.cookies!.getCookies(srv.url).map((c) => c.name);
    assert.deepEqual(names.sort(), ['sid', 'theme']);
  });

  test('cookies are applied inside the redirect loop (a login that sets a cookie and redirects)', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/login') {
        res.writeHead(302, { location: '/home', 'set-cookie': 'session=s3cr3t; Path=/' });
        res.end();
      } else res.end(req.headers.cookie === 'session=s3cr3t' ? 'welcome' : 'who are you?');
    });
    const res = await session().post(`${srv.url}/login`, { form: { user: 'ada' } });
    assert.equal(res.text(), 'welcome');
  });

  test('a Set-Cookie for another domain is ignored', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/evil') {
        res.setHeader('set-cookie', ['stolen=1; Domain=example.com; Path=/', 'ip=1; Domain=127.0.0.2', 'tld=1; Domain=com', 'ok=1']);
      }
      res.end();
    });
    const s = session();
    await s.get(`${srv.url}/evil`);
    await s.get(`${srv.url}/next`);
    assert.equal(srv.cookies[1], 'ok=1');
    assert.deepEqual(
      s.cookies!.toJSON().map((c) => c.name),
      ['ok'],
    );
  });

  test('Path scoping, Max-Age=0 deletion and Expires in the past', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/set') res.setHeader('set-cookie', ['api=1; Path=/api', 'root=1; Path=/', 'gone=1']);
      if (req.url === '/del') res.setHeader('set-cookie', ['gone=; Max-Age=0', 'root=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/']);
      res.end();
    });
    const s = session();
    await s.get(`${srv.url}/set`);
    await s.get(`${srv.url}/api/x`);
    await s.get(`${srv.url}/web`);
    assert.equal(srv.cookies[1], 'api=1; root=1; gone=1');
    assert.equal(srv.cookies[2], 'root=1; gone=1');
    await s.get(`${srv.url}/del`);
    await s.get(`${srv.url}/api/x`);
    assert.equal(srv.cookies[4], 'api=1');
  });

  test('the 4096-byte limit counts the octets the server sent: a 3000-byte UTF-8 value is kept and sent back byte-exact', async () => {
    // Header values are latin1 on both sides: each UTF-8 byte is one char here, as on the wire.
    const utf8 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
    const kept = utf8('日'.repeat(1000)); // 3000 octets
    const over = utf8('日'.repeat(1365)) + 'xx'; // 4097 octets with its name
    const srv = await server((req, res) => {
      if (req.url === '/set') res.setHeader('set-cookie', [`j=${kept}; Path=/`, `n=${over}; Path=/`]);
      res.end();
    });
    const s = session();
    await s.get(`${srv.url}/set`);
    await s.get(`${srv.url}/next`);
    assert.equal(Buffer.from(srv.cookies[1] ?? '', 'latin1').toString('utf8'), `j=${'日'.repeat(1000)}`);
    assert.deepEqual(s.cookies!.getCookies().map((c) => c.name), ['j']);
  });

  test('a host-only cookie and a Domain cookie of the same name are two cookies (6265bis §5.7 step 23): neither replaces nor deletes the other', async () => {
    const hosts: string[] = [];
    const srv = await server((req, res) => {
      hosts.push(req.headers.host!.split(':')[0]!);
      if (req.url === '/dom') res.setHeader('set-cookie', 'a=dom; Domain=example.test; Path=/');
      if (req.url === '/host') res.setHeader('set-cookie', 'a=host; Path=/');
      if (req.url === '/del') res.setHeader('set-cookie', 'a=; Max-Age=0; Path=/');
      res.end();
    });
    // Every name is 127.0.0.1: example.test and www.example.test are two hosts of one site.
    const lookup: LookupFunction = (_host, opts, cb) => {
      if (opts.all === true) cb(null, [{ address: '127.0.0.1', family: 4 }]);
      else cb(null, '127.0.0.1', 4);
    };
    const s = session({ lookup });
    const at = (host: string, path: string): string => `http://${host}:${srv.port}${path}`;
    await s.get(at('example.test', '/dom'));
    await s.get(at('example.test', '/host'));
    await s.get(at('www.example.test', '/'));
    await s.get(at('example.test', '/'));
    assert.equal(srv.cookies[2], 'a=dom', 'the Domain cookie still reaches the subdomain');
    assert.equal(srv.cookies[3], 'a=dom; a=host', 'the host gets both, older first');
    await s.get(at('example.test', '/del')); // a host-only deletion
    await s.get(at('www.example.test', '/'));
    await s.get(at('example.test', '/'));
    assert.equal(srv.cookies[5], 'a=dom');
    assert.equal(srv.cookies[6], 'a=dom');
    assert.deepEqual(hosts, ['example.test', 'example.test', 'www.example.test', 'example.test', 'example.test', 'www.example.test', 'example.test']);
  });

  test('Domain=. leaves an empty cookie-domain: a host-only cookie, also when it is the last of several Domain attributes (6265bis §5.6.3, §5.7)', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/set') res.setHeader('set-cookie', ['a=1; Domain=.; Path=/', 'c=1; Domain=evil.example; Domain=.; Path=/', 'x=1; Domain=.; Domain=evil.example; Path=/']);
      res.end();
    });
    const s = session();
    await s.get(`${srv.url}/set`);
    await s.get(`${srv.url}/next`);
    assert.equal(srv.cookies[1], 'a=1; c=1');
    assert.deepEqual(s.cookies!.getCookies().map((c) => [c.name, c.domain, c.hostOnly]), [['a', '127.0.0.1', true], ['c', '127.0.0.1', true]]);
  });

  test('a Secure cookie is not stored from, nor sent to, plain http', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/set') res.setHeader('set-cookie', ['sec=1; Secure', 'plain=1']);
      res.end();
    });
    const s = session();
    s.cookies!.set('presecure', 'x', { domain: '127.0.0.1', secure: true });
    await s.get(`${srv.url}/set`);
    await s.get(`${srv.url}/next`);
    assert.equal(srv.cookies[1], 'plain=1');
  });

  test('over https: prefixed and Secure cookies from a real response, the __Host- rules, and nothing Secure sent back over http', async () => {
    const seen: Array<string | undefined> = [];
    const srv = await httpsServer((req, res) => {
      seen.push(req.headers.cookie);
      if (req.url === '/set') {
        res.setHeader('set-cookie', [
          '__Host-ok=1; Secure; Path=/',
          '__Host-nopath=1; Secure',
          '__Host-dom=1; Secure; Path=/; Domain=127.0.0.1',
          '__Secure-ok=1; Secure',
          '__Secure-insecure=1',
          'sec=1; Secure; Path=/',
          'plain=1; Path=/',
        ]);
      }
      res.end();
    });
    cleanups.push(() => srv.close());
    const plain = await server((_req, res) => res.end());
    const s = session({ tls: { ca: certs().caCert } });
    await s.get(`${srv.url}/set`);
    await s.get(`${srv.url}/next`);
    assert.equal(seen[1], '__Host-ok=1; __Secure-ok=1; sec=1; plain=1');
    // Same host over plain http on another port: ports do not scope cookies (RFC 6265 §8.5), Secure does.
    await s.get(`${plain.url}/x`);
    assert.equal(plain.cookies[0], 'plain=1');
  });

  test('cookies: false turns the jar off', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/set') res.setHeader('set-cookie', 'a=1');
      res.end();
    });
    const s = session({ cookies: false });
    assert.equal(s.cookies, null);
    await s.get(`${srv.url}/set`);
    await s.get(`${srv.url}/next`);
    assert.deepEqual(srv.cookies, [undefined, undefined]);
  });

  test('a Cookie header given by the caller is kept and the jar is appended', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/set') res.setHeader('set-cookie', 'jar=1');
      res.end();
    });
    const s = session();
    await s.get(`${srv.url}/set`);
    await s.get(`${srv.url}/next`, { headers: { cookie: 'mine=2' } });
    assert.equal(srv.cookies[1], 'mine=2; jar=1');
  });

  test('the jar API: set, read, delete, clear, export and import', async () => {
    const srv = await server((_req, res) => res.end());
    const s = session();
    const jar = s.cookies!;
    jar.set('token', 'xyz', { domain: '127.0.0.1', path: '/' });
    await s.get(`${srv.url}/a`);
    assert.equal(srv.cookies[0], 'token=xyz');
    const saved = jar.toJSON();
    assert.equal(saved.length, 1);
    assert.equal(saved[0]!.name, 'token');
    jar.clear();
    await s.get(`${srv.url}/b`);
    assert.equal(srv.cookies[1], undefined);
    // Import into another session's jar.
    const s2 = session();
    s2.cookies!.load(JSON.parse(JSON.stringify(saved)));
    await s2.get(`${srv.url}/c`);
    assert.equal(srv.cookies[2], 'token=xyz');
    assert.equal(s2.cookies!.delete('token', { domain: '127.0.0.1' }), true);
    await s2.get(`${srv.url}/d`);
    assert.equal(srv.cookies[3], undefined);
    assert.equal(CookieJar.fromJSON(saved).getCookieHeader(`${srv.url}/`), 'token=xyz');
  });

  test('cookies set on a redirect hop to another origin stay with that origin', async () => {
    const b = await server((req, res) => {
      if (req.url === '/land') {
        res.writeHead(302, { location: `http://localhost:${b.port}/final`, 'set-cookie': 'fromip=1' });
        res.end();
      } else res.end();
    });
    const a = await server((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${b.port}/land`, 'set-cookie': 'froma=1' });
      res.end();
    });
    const s = session();
    await s.get(`http://localhost:${a.port}/start`);
    // localhost's cookie does not go to 127.0.0.1, and 127.0.0.1's does not go to localhost.
    assert.equal(b.cookies[0], undefined);
    assert.equal(b.cookies[1], 'froma=1');
  });
});

describe('cookies in a Session: public suffixes and saved jars', () => {
  test('Domain=co.il / github.io from a real response are ignored and never reach a sibling site (through an HTTP proxy on 127.0.0.1)', async () => {
    // The proxy answers for every site itself, so the requests name real public suffixes and stay on 127.0.0.1.
    const seen: Array<[string, string | undefined]> = [];
    const proxy = await server((req, res) => {
      seen.push([req.url!, req.headers.cookie]);
      if (req.url!.endsWith('/set')) {
        res.setHeader('set-cookie', ['wide=1; Domain=co.il; Path=/', 'pages=1; Domain=github.io; Path=/', 'site=1; Domain=example.co.il; Path=/', 'own=1']);
      }
      res.end();
    });
    const s = session({ proxy: proxy.url });
    await s.get('http://www.example.co.il/set');
    await s.get('http://evil.co.il/');
    await s.get('http://api.example.co.il/');
    await s.get('http://www.example.co.il/');
    assert.deepEqual(seen, [
      ['http://www.example.co.il/set', undefined],
      ['http://evil.co.il/', undefined],
      ['http://api.example.co.il/', 'site=1'],
      ['http://www.example.co.il/', 'site=1; own=1'],
    ]);
  });

  test('a saved jar restores into a new session; a bad entry in the file is skipped with its reason', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/login') res.setHeader('set-cookie', ['sid=abc; Path=/; HttpOnly; Max-Age=3600', 'pref=dark; Path=/app']);
      res.end();
    });
    const s1 = session();
    await s1.get(`${srv.url}/login`);
    const saved = JSON.parse(JSON.stringify(s1.cookies));
    saved.splice(1, 0, { ...saved[0], name: 'evil', domain: 'co.il', hostOnly: false }, 'garbage');
    const skipped: string[] = [];
    const s2 = session();
    s2.cookies!.load(saved, { onSkip: (reason) => skipped.push(reason) });
    assert.deepEqual(skipped, ['domain is a public suffix', 'not an object']);
    assert.deepEqual(s2.cookies!.toJSON(), s1.cookies!.toJSON());
    await s2.get(`${srv.url}/app/x`);
    assert.equal(srv.cookies.at(-1), 'pref=dark; sid=abc');
  });
});
