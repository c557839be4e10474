import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { isRedirect, nextHop } from '../../src/layers/redirect.js';
import { Session } from '../../src/client/session.js';
import { InvalidRequestError, InvalidResponseError, RedirectLoopError, RequestError, TooManyRedirects } from '../../src/errors.js';
import { certs } from '../helpers/certs.js';
import { useSessions } from '../helpers/sessions.js';
import { httpServer, httpsServer, rawServer, type TestServer, waitFor } from '../helpers/servers.js';

const { cleanups, session: newSession } = useSessions();

function session(opts: ConstructorParameters<typeof Session>[0] = {}): Session {
  return newSession({ tls: { ca: certs().caCert }, ...opts });
}

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A server that records each request (with its body) and answers with `route`. */
async function server(route: (req: Seen, res: http.ServerResponse) => void, secure = false): Promise<TestServer & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(s);
      route(s, res);
    });
  };
  const srv = secure ? await httpsServer(handler) : await httpServer(handler);
  cleanups.push(() => srv.close());
  return Object.assign(srv, { seen });
}

function redirect(res: http.ServerResponse, status: number, location: string): void {
  res.writeHead(status, { location, 'content-length': '0' });
  res.end();
}

describe('redirect rules (unit)', () => {
  test('isRedirect covers 301 302 303 307 308 only', () => {
    for (const s of [301, 302, 303, 307, 308]) assert.equal(isRedirect(s), true);
    for (const s of [200, 300, 304, 305, 306, 309, 400]) assert.equal(isRedirect(s), false);
  });

  test('nextHop: method rewriting by status', () => {
    const from = new URL('http://a.test/x/y');
    assert.deepEqual(
      [301, 302, 303, 307, 308].map((s) => nextHop(from, 'POST', s, '/z', false).method),
      ['GET', 'GET', 'GET', 'POST', 'POST'],
    );
    assert.equal(nextHop(from, 'HEAD', 303, '/z', false).method, 'HEAD');
    assert.equal(nextHop(from, 'PUT', 303, '/z', false).dropBody, true);
    assert.equal(nextHop(from, 'PUT', 307, '/z', false).dropBody, false);
    // Only POST is rewritten by 301/302 (RFC 9110 §15.4.2-3, Fetch); other methods keep method and body.
    assert.equal(nextHop(from, 'DELETE', 302, '/z', false).method, 'DELETE');
    assert.equal(nextHop(from, 'PUT', 301, '/z', false).method, 'PUT');
    assert.equal(nextHop(from, 'PUT', 301, '/z', false).dropBody, false);
  });

  test('nextHop: relative Location, origin change and bad targets', () => {
    const from = new URL('http://a.test:8080/x/y?q=1');
    assert.equal(nextHop(from, 'GET', 302, 'z', false).url.href, 'http://a.test:8080/x/z');
    assert.equal(nextHop(from, 'GET', 302, '../up', false).url.href, 'http://a.test:8080/up');
    assert.equal(nextHop(from, 'GET', 302, '?p=2', false).url.href, 'http://a.test:8080/x/y?p=2');
    assert.equal(nextHop(from, 'GET', 302, '//b.test/', false).crossOrigin, true);
    assert.equal(nextHop(from, 'GET', 302, 'http://a.test:8081/', false).crossOrigin, true);
    assert.equal(nextHop(from, 'GET', 302, 'https://a.test:8080/', false).crossOrigin, true);
    assert.equal(nextHop(from, 'GET', 302, 'http://A.TEST:8080/other', false).crossOrigin, false);
    assert.throws(() => nextHop(from, 'GET', 302, 'ftp://a.test/', false), InvalidRequestError);
    assert.throws(() => nextHop(from, 'GET', 302, 'http://[::1', false), InvalidRequestError);
    assert.throws(() => nextHop(new URL('https://a.test/'), 'GET', 302, 'http://a.test/', false), RequestError);
    assert.equal(nextHop(new URL('https://a.test/'), 'GET', 302, 'http://a.test/', true).url.protocol, 'http:');
  });
});

describe('redirects (integration)', () => {
  for (const status of [301, 302, 303]) {
    test(`${status} turns a POST into a GET without body or body headers`, async () => {
      const srv = await server((req, res) => {
        if (req.url === '/start') redirect(res, status, '/landing');
        else res.end(`${req.method} ${req.body.length}`);
      });
      const s = session();
      const res = await s.post(`${srv.url}/start`, { json: { a: 1 } });
      assert.equal(res.text(), 'GET 0');
      assert.equal(srv.seen[1]!.method, 'GET');
      assert.equal(srv.seen[1]!.headers['content-type'], undefined);
      assert.equal(srv.seen[1]!.headers['content-length'], undefined);
      assert.equal(srv.seen[1]!.headers['transfer-encoding'], undefined);
      assert.equal(res.url, `${srv.url}/landing`);
      assert.deepEqual(res.redirects, [`${srv.url}/start`]);
    });
  }

  test('303 keeps HEAD as HEAD', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/start') redirect(res, 303, '/landing');
      else res.end('x');
    });
    const res = await session().head(`${srv.url}/start`);
    assert.equal(res.status, 200);
    assert.deepEqual(
      srv.seen.map((r) => r.method),
      ['HEAD', 'HEAD'],
    );
  });

  for (const status of [307, 308]) {
    test(`${status} keeps the method and resends the body`, async () => {
      const srv = await server((req, res) => {
        if (req.url === '/start') redirect(res, status, '/landing');
        else res.end(`${req.method} ${req.headers['content-type']} ${req.body}`);
      });
      const res = await session().put(`${srv.url}/start`, { json: { a: 1 } });
      assert.equal(res.text(), 'PUT application/json {"a":1}');
      assert.equal(srv.seen[0]!.body, '{"a":1}');
    });
  }

  test('307 with a one-shot stream body fails clearly instead of sending a corrupt request', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/start') redirect(res, 307, '/landing');
      else res.end('should not get here');
    });
    async function* gen(): AsyncGenerator<string> {
      yield 'part1';
      yield 'part2';
    }
    await assert.rejects(session().post(`${srv.url}/start`, { body: gen() }), (err: unknown) => {
      assert.ok(err instanceof RequestError);
      assert.match((err as Error).message, /POST http:\/\/127\.0\.0\.1:\d+\/start: cannot follow the 307 redirect: the request body is a one-shot stream/);
      return true;
    });
    assert.equal(srv.seen.length, 1);
    assert.equal(srv.seen[0]!.body, 'part1part2');
  });

  test('relative Locations resolve against the current URL; the chain is in res.redirects', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/a/b') redirect(res, 302, 'c');
      else if (req.url === '/a/c') redirect(res, 301, '../d?x=1');
      else if (req.url === '/d?x=1') redirect(res, 302, `http://127.0.0.1:${srv.port}/final`);
      else res.end(req.url);
    });
    const res = await session().get(`${srv.url}/a/b`);
    assert.equal(res.text(), '/final');
    assert.equal(res.url, `${srv.url}/final`);
    assert.deepEqual(res.redirects, [`${srv.url}/a/b`, `${srv.url}/a/c`, `${srv.url}/d?x=1`]);
  });

  test('a response that was not redirected has an empty chain', async () => {
    const srv = await server((_req, res) => res.end('ok'));
    const res = await session().get(`${srv.url}/`);
    assert.deepEqual(res.redirects, []);
  });

  test('maxRedirects → TooManyRedirects naming the request', async () => {
    const srv = await server((req, res) => redirect(res, 302, `/n${Number(req.url.slice(2) || 0) + 1}`));
    const s = session({ maxRedirects: 3 });
    await assert.rejects(s.get(`${srv.url}/n0`), (err: unknown) => {
      assert.ok(err instanceof TooManyRedirects);
      assert.match((err as Error).message, /^GET http:\/\/127\.0\.0\.1:\d+\/n3: exceeded maxRedirects \(3\)/);
      return true;
    });
    assert.equal(srv.seen.length, 4);
    // Per request override.
    await assert.rejects(s.get(`${srv.url}/n0`, { maxRedirects: 0 }), TooManyRedirects);
  });

  test('maxRedirects that could never stop a chain (NaN, negative, not a number) is refused before anything is sent', async () => {
    const srv = await server((req, res) => redirect(res, 302, `/n${Number(req.url.slice(2) || 0) + 1}`));
    for (const bad of [Number.NaN, -1, '3', null]) {
      assert.throws(() => new Session({ maxRedirects: bad as number }), InvalidRequestError, String(bad));
      await assert.rejects(session().get(`${srv.url}/n0`, { maxRedirects: bad as number }), InvalidRequestError, String(bad));
    }
    assert.equal(srv.seen.length, 0);
    await assert.rejects(session({ maxRedirects: 3 }).get(`${srv.url}/n0`), TooManyRedirects);
    assert.equal(srv.seen.length, 4);
  });

  test('a redirect loop → RedirectLoopError', async () => {
    const srv = await server((req, res) => redirect(res, 302, req.url === '/a' ? '/b' : '/a'));
    await assert.rejects(session().get(`${srv.url}/a`), (err: unknown) => {
      assert.ok(err instanceof RedirectLoopError);
      assert.match((err as Error).message, /redirect loop/);
      return true;
    });
    assert.equal(srv.seen.length, 2);
  });

  test('redirecting to the same URL with a new cookie is not a loop (login pattern)', async () => {
    const srv = await server((req, res) => {
      if (req.headers.cookie === 'step=2') res.end('done');
      else {
        res.setHeader('set-cookie', 'step=2; Path=/');
        redirect(res, 302, '/same');
      }
    });
    const res = await session().get(`${srv.url}/same`);
    assert.equal(res.text(), 'done');
  });

  test('followRedirects: false returns the 3xx (session-wide and per request)', async () => {
    const srv = await server((req, res) => (req.url === '/start' ? redirect(res, 302, '/landing') : res.end('landed')));
    const res = await session({ followRedirects: false }).get(`${srv.url}/start`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/landing');
    const res2 = await session().get(`${srv.url}/start`, { followRedirects: false });
    assert.equal(res2.status, 302);
    assert.equal(srv.seen.length, 2);
  });

  test('a redirect to another port does not leak Authorization, Cookie or Proxy-Authorization', async () => {
    const b = await server((_req, res) => res.end('on B'));
    const a = await server((req, res) => {
      if (req.url === '/go') redirect(res, 302, `http://127.0.0.1:${b.port}/landing`);
      else res.end('on A');
    });
    const s = session();
    const res = await s.get(`${a.url}/go`, {
      headers: { authorization: 'Bearer secret', cookie: 'sid=secret', 'proxy-authorization': 'Basic c2VjcmV0' },
    });
    assert.equal(res.text(), 'on B');
    assert.equal(a.seen[0]!.headers.authorization, 'Bearer secret');
    assert.equal(a.seen[0]!.headers.cookie, 'sid=secret');
    const onB = b.seen[0]!.headers;
    assert.equal(onB.authorization, undefined);
    assert.equal(onB.cookie, undefined);
    assert.equal(onB['proxy-authorization'], undefined);
  });

  test('a Host header the caller set goes to its own origin only: a redirect elsewhere sends the new URL authority', async () => {
    const b = await server((_req, res) => res.end('on B'));
    const a = await server((req, res) => {
      if (req.url === '/same') redirect(res, 302, '/go');
      else if (req.url === '/go') redirect(res, 302, `http://localhost:${b.port}/landing`);
      else res.end('on A');
    });
    const s = session();
    const res = await s.get(`${a.url}/same`, { headers: { host: 'vhost.test' } });
    assert.equal(res.text(), 'on B');
    assert.deepEqual(a.seen.map((r) => r.headers.host), ['vhost.test', 'vhost.test'], 'kept on the same origin');
    assert.equal(b.seen[0]!.headers.host, `localhost:${b.port}`);
    // A session-wide Host is the caller's too.
    const s2 = session({ headers: { host: 'vhost.test' } });
    await s2.get(`${a.url}/go`);
    assert.equal(b.seen[1]!.headers.host, `localhost:${b.port}`);
  });

  test('session-wide auth is not re-applied after an origin change, and kept on the same origin', async () => {
    const b = await server((_req, res) => res.end('on B'));
    const a = await server((req, res) => {
      if (req.url === '/same') redirect(res, 302, '/next');
      else if (req.url === '/next') redirect(res, 302, `http://127.0.0.1:${b.port}/x`);
      else res.end();
    });
    const s = session({ auth: { type: 'bearer', token: 't0k' } });
    await s.get(`${a.url}/same`);
    assert.equal(a.seen[0]!.headers.authorization, 'Bearer t0k');
    assert.equal(a.seen[1]!.headers.authorization, 'Bearer t0k');
    assert.equal(b.seen[0]!.headers.authorization, undefined);
  });

  test('https → http is refused unless allowInsecureRedirects', async () => {
    const plain = await server((_req, res) => res.end('plain'));
    const secure = await server((_req, res) => redirect(res, 302, `http://127.0.0.1:${plain.port}/x`), true);
    const s = session();
    await assert.rejects(s.get(`${secure.url}/`), (err: unknown) => {
      assert.ok(err instanceof RequestError);
      assert.match((err as Error).message, /refusing to follow a redirect from https to http/);
      return true;
    });
    assert.equal(plain.seen.length, 0);
    const res = await s.get(`${secure.url}/`, { allowInsecureRedirects: true });
    assert.equal(res.text(), 'plain');
  });

  test('a redirect to an unsupported scheme fails with InvalidRequestError', async () => {
    const srv = await server((_req, res) => redirect(res, 302, 'ftp://127.0.0.1/file'));
    await assert.rejects(session().get(`${srv.url}/`), InvalidRequestError);
  });

  test('a 3xx without Location is returned as is', async () => {
    const srv = await server((_req, res) => {
      res.statusCode = 302;
      res.end('no location');
    });
    const res = await session().get(`${srv.url}/`);
    assert.equal(res.status, 302);
    assert.equal(res.text(), 'no location');
  });

  test('stream() follows redirects and resolves with the final StreamResponse', async () => {
    const srv = await server((req, res) => (req.url === '/start' ? redirect(res, 301, '/big') : res.end('y'.repeat(100_000))));
    const s = session();
    const res = await s.stream('GET', `${srv.url}/start`);
    assert.equal(res.status, 200);
    assert.equal(res.url, `${srv.url}/big`);
    assert.deepEqual(res.redirects, [`${srv.url}/start`]);
    assert.equal((await res.text()).length, 100_000);
    // The redirect response was read whole, so one connection served both.
    assert.equal(srv.accepted, 1);
  });

  test('stream(): a redirect whose small body is still arriving is read to its end and its connection reused', async () => {
    const srv = await server((req, res) => {
      if (req.url !== '/start') return void res.end(`at ${req.url}`);
      // Chunked, 3 KB in three pieces 20 ms apart: not complete when the head is handled.
      res.writeHead(302, { location: '/next' });
      let n = 0;
      const t = setInterval(() => {
        res.write('r'.repeat(1000));
        if (++n === 3) {
          clearInterval(t);
          res.end();
        }
      }, 20);
      res.on('close', () => clearInterval(t));
    });
    const s = session();
    const res = await s.stream('GET', `${srv.url}/start`);
    assert.equal(await res.text(), 'at /next');
    assert.equal(srv.accepted, 1, 'the drained redirect left its connection reusable');
  });

  test('stream(): a redirect with a large body is not read: its connection is closed and the next hop gets a new one', async () => {
    let redirectSocketClosed = false;
    const srv = await server((req, res) => {
      if (req.url !== '/start') return void res.end(`at ${req.url}`);
      res.on('close', () => (redirectSocketClosed = true));
      // 8 MiB declared, written 64 KiB at a time as the client takes them: a client that read it all would take a while.
      res.writeHead(302, { location: '/next', 'content-length': String(8 * 2 ** 20) });
      const chunk = Buffer.alloc(64 * 1024, 0x72);
      let sent = 0;
      const pump = (): void => {
        while (sent < 8 * 2 ** 20 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    const s = session();
    const res = await s.stream('GET', `${srv.url}/start`);
    assert.equal(await res.text(), 'at /next');
    // A drained connection would have been reused for the next hop.
    assert.equal(srv.accepted, 2, 'the redirect connection was dropped, not drained');
    await waitFor(() => redirectSocketClosed, 2000, 'the server to see the redirect connection close');
  });

  test('stream(): a redirect with a chunked body past 64 KiB is read that far, then its connection is closed', async () => {
    const srv = await server((req, res) => {
      if (req.url !== '/start') return void res.end(`at ${req.url}`);
      res.writeHead(302, { location: '/next' });
      // 200 KB of unknown length in pieces a turn apart, and no end: the body is never complete, so only reading it decides.
      let n = 0;
      const t = setInterval(() => {
        if (res.destroyed || n++ === 20) return void clearInterval(t);
        res.write('c'.repeat(10_000));
      }, 2);
      res.on('close', () => clearInterval(t));
    });
    const s = session();
    const res = await s.stream('GET', `${srv.url}/start`);
    assert.equal(await res.text(), 'at /next');
    assert.equal(srv.accepted, 2, 'a body past the drain limit is not worth the connection');
  });

  test('a Location with a tab, CR or other control character is refused, not cleaned up and followed', async () => {
    // A raw server, since node:http refuses to write such values; HTAB is legal in a field value.
    const target = await server((_req, res) => res.end('followed'));
    for (const loc of ['/x\ty', 'java\tscript:alert(1)', `http://127.0.0.1:${target.port}/a\tb`, '/a\x01b', '/a\x7fb']) {
      const raw = await rawServer((sock) => sock.end(`HTTP/1.1 302 Found\r\nLocation: ${loc}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
      cleanups.push(() => raw.close());
      await assert.rejects(session().get(`${raw.url}/`), (e: unknown) => e instanceof InvalidRequestError && /control characters/.test((e as Error).message), JSON.stringify(loc));
      assert.equal(raw.requests.length, 1, JSON.stringify(loc));
    }
    assert.equal(target.seen.length, 0);
    assert.throws(() => nextHop(new URL('http://a.test/'), 'GET', 302, '/a\nb', false), InvalidRequestError);
  });

  test('two different Location fields are an InvalidResponseError, not a guess; the same one twice is followed', async () => {
    const target = await server((req, res) => res.end(`at ${req.url}`));
    const raw = await rawServer((sock, head) => {
      const two = head.startsWith('GET /two ');
      const second = two ? `http://127.0.0.1:${target.port}/b` : '/same';
      sock.write(`HTTP/1.1 302 Found\r\nLocation: /same\r\nLocation: ${second}\r\nContent-Length: 0\r\n\r\n`);
    });
    cleanups.push(() => raw.close());
    const s = session();
    await assert.rejects(s.get(`${raw.url}/two`), (e: unknown) => e instanceof InvalidResponseError && /2 different Location fields/.test((e as Error).message));
    assert.equal(target.seen.length, 0);
    // The same value twice: one Location. (/same redirects again, to itself: a loop.)
    await assert.rejects(s.get(`${raw.url}/dup`), RedirectLoopError);
  });

  test('userinfo in a Location is neither sent as credentials nor shown in res.url or res.redirects', async () => {
    const b = await server((_req, res) => res.end('on B'));
    const a = await server((_req, res) => redirect(res, 302, `http://bob:s3cret@127.0.0.1:${b.port}/landed`));
    const res = await session().get(`${a.url}/start`);
    assert.equal(res.text(), 'on B');
    assert.equal(b.seen[0]!.headers.authorization, undefined);
    assert.equal(res.url, `${b.url}/landed`);
    assert.doesNotMatch(JSON.stringify(res.redirects), /s3cret/);
  });

  test('credentials in the request URL never appear in res.redirects or a redirect error', async () => {
    const a = await server((req, res) => redirect(res, 302, req.url === '/1' ? '/2' : '/1'));
    const url = `http://ann:pw0rd@127.0.0.1:${a.port}/1`;
    const res = await session().get(url.replace('/1', '/x'), { maxRedirects: 0, followRedirects: true }).catch((e: unknown) => e);
    assert.ok(res instanceof TooManyRedirects);
    assert.doesNotMatch(`${(res as Error).message} ${String((res as Error).stack)}`, /pw0rd/);
    await assert.rejects(session().get(url), (e: unknown) => e instanceof RedirectLoopError && !/pw0rd/.test((e as Error).message));
    assert.equal(a.seen[0]!.headers.authorization, `Basic ${Buffer.from('ann:pw0rd').toString('base64')}`);
  });

  test('a chain that leaves the origin and comes back does not carry the credentials back either', async () => {
    const a = await server((req, res) => {
      if (req.url === '/start') redirect(res, 307, `http://127.0.0.1:${b.port}/bounce`);
      else res.end('home');
    });
    const b = await server((_req, res) => redirect(res, 308, `${a.url}/home`));
    const s = session();
    const res = await s.post(`${a.url}/start`, {
      body: 'payload',
      headers: { authorization: 'Bearer secret', cookie: 'sid=secret', 'proxy-authorization': 'Basic c2VjcmV0' },
    });
    assert.equal(res.text(), 'home');
    assert.deepEqual(res.redirects, [`${a.url}/start`, `${b.url}/bounce`]);
    assert.deepEqual(
      a.seen.map((r) => [r.method, r.url, r.body, r.headers.authorization, r.headers.cookie, r.headers['proxy-authorization']]),
      [
        ['POST', '/start', 'payload', 'Bearer secret', 'sid=secret', 'Basic c2VjcmV0'],
        ['POST', '/home', 'payload', undefined, undefined, undefined],
      ],
    );
    assert.equal(b.seen[0]!.body, 'payload');
    assert.equal(b.seen[0]!.headers.authorization, undefined);
    assert.equal(b.seen[0]!.headers.cookie, undefined);
  });

  test('a non-ASCII Location is followed as UTF-8', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/start') {
        res.writeHead(302, { location: Buffer.from('/caf\u00e9', 'utf8').toString('latin1'), 'content-length': '0' });
        res.end();
      } else res.end(req.url);
    });
    const res = await session().get(`${srv.url}/start`);
    assert.equal(res.text(), '/caf%C3%A9');
  });
});
