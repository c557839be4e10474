/**
 * Response semantics over real sockets: bodiless responses (HEAD, 204, 304)
 * that must not hang, chunked and close-delimited framing, interim 1xx,
 * charset decoding, cached json(), raiseForStatus and ok.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpStatusError, InvalidResponseError, NetworkError, RequestError, Response } from '../../src/index.js';
import { useHarness } from '../helpers/engine.js';
import { httpServer, rawServer } from '../helpers/servers.js';

const h = useHarness();

/** A raw keep-alive server answering `GET <path>` with `routes[path]` (raw bytes) and anything else with a small 200. */
async function raw(routes: Record<string, string | Buffer>) {
  return h.server(
    await rawServer((socket, head, connIndex) => {
      const path = head.split(' ')[1]!;
      const out = routes[path];
      if (out !== undefined) socket.write(out);
      else socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${`conn${connIndex}`.length}\r\n\r\nconn${connIndex}`);
    }),
  );
}

describe('response framing', () => {
  test('HEAD with a Content-Length does not hang, has an empty body, and keeps the connection', async () => {
    const srv = h.server(
      await rawServer((socket, head) => {
        if (head.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 12345\r\nContent-Type: text/plain\r\n\r\n');
        else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nget');
      }),
    );
    const s = h.session({ baseUrl: srv.url, timeout: { read: 1000 } });
    const res = await s.head('/');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '12345');
    assert.equal(res.body.length, 0);
    assert.equal((await s.get('/')).text(), 'get');
    assert.equal(srv.accepted, 1);
  });

  test('a HEAD answered with a body by mistake: the bytes are never read as the next response', async () => {
    const srv = h.server(
      await rawServer((socket, head, connIndex) => {
        if (head.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody');
        else socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nconn${connIndex}`);
      }),
    );
    const s = h.session({ baseUrl: srv.url, pool: { maxConnectionsPerOrigin: 1 }, timeout: { read: 2000 } });
    const [head, get] = await Promise.all([s.head('/'), s.get('/')]);
    assert.equal(head.body.length, 0);
    assert.equal(get.status, 200);
    assert.equal(get.text(), 'conn1');
    assert.equal((await s.head('/')).status, 200);
    assert.equal((await s.get('/')).text(), 'conn2');
  });

  test('HEAD through stream() ends at once', async () => {
    const srv = await raw({});
    const s = h.session({ baseUrl: srv.url, timeout: { read: 1000 } });
    const res = await s.stream('HEAD', '/');
    assert.equal((await res.bytes()).length, 0);
  });

  test('204 and 304 have empty bodies whatever Content-Length says; the connection is reused', async () => {
    const srv = await raw({
      '/204': 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n',
      '/304': 'HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\nETag: "x"\r\n\r\n',
    });
    const s = h.session({ baseUrl: srv.url, timeout: { read: 1000 } });
    const a = await s.get('/204');
    assert.equal(a.status, 204);
    assert.equal(a.body.length, 0);
    assert.equal(a.text(), '');
    const b = await s.get('/304');
    assert.equal(b.status, 304);
    assert.equal(b.body.length, 0);
    assert.equal(b.ok, false);
    assert.equal((await s.get('/x')).text(), 'conn0');
    assert.equal(srv.accepted, 1);
  });

  test('204 and 304 followed by body bytes: the bytes are never read as the next response; the connection is closed', async () => {
    const smuggled = 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil';
    const srv = await raw({
      '/204': `HTTP/1.1 204 No Content\r\n\r\n${smuggled}`,
      '/304': `HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\nevil`,
    });
    const s = h.session({ baseUrl: srv.url, pool: { maxConnectionsPerOrigin: 1 }, timeout: { read: 2000 } });
    const a = await s.get('/204');
    assert.equal(a.status, 204);
    assert.equal(a.body.length, 0);
    assert.equal((await s.get('/')).text(), 'conn1');
    const b = await s.get('/304');
    assert.equal(b.status, 304);
    assert.equal(b.body.length, 0);
    // /304 went on conn1 (kept alive after '/'), which its stray body then closed.
    assert.equal((await s.get('/')).text(), 'conn2');
    assert.equal(srv.accepted, 3);
  });

  test('a chunked body whose last chunk is not followed by the final CRLF before close is a NetworkError', async () => {
    const srv = h.server(
      await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n')),
    );
    const s = h.session({ baseUrl: srv.url, timeout: { read: 2000 } });
    await assert.rejects(s.get('/'), (e: unknown) => e instanceof NetworkError && /before the response body ended/.test(e.message));
  });

  test('interim 100 Continue and 103 Early Hints are skipped', async () => {
    const srv = await raw({
      '/': 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal',
    });
    const s = h.session({ baseUrl: srv.url });
    const res = await s.get('/');
    assert.equal(res.status, 200);
    assert.equal(res.text(), 'real');
    assert.equal(res.headers.get('link'), null);
  });

  test('a chunked body is decoded (extensions and trailers included)', async () => {
    const srv = await raw({
      '/': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: yes\r\n\r\n',
    });
    const s = h.session({ baseUrl: srv.url });
    const res = await s.get('/');
    assert.equal(res.text(), 'hello world');
    assert.equal((await s.get('/after')).text(), 'conn0', 'the connection is reusable after a chunked body');
  });

  test('a chunked body from node:http arrives whole', async () => {
    const srv = h.server(
      await httpServer((_req, res) => {
        res.write('part1-');
        setTimeout(() => {
          res.write('part2-');
          res.end('end');
        }, 5);
      }),
    );
    const s = h.session();
    const res = await s.get(`${srv.url}/`);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    assert.equal(res.text(), 'part1-part2-end');
  });

  test('Content-Length and chunked together: chunked wins and the connection is not reused', async () => {
    const srv = await raw({
      '/': 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    });
    const s = h.session({ baseUrl: srv.url });
    assert.equal((await s.get('/')).text(), 'hello');
    assert.equal((await s.get('/next')).text(), 'conn1');
  });

  test('an HTTP/1.0 close-delimited body is read to EOF and the connection is not reused', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n');
        socket.write('read me ');
        setTimeout(() => socket.end('to the end'), 10);
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    const res = await s.get('/');
    assert.equal(res.httpVersion, '1.0');
    assert.equal(res.text(), 'read me to the end');
    const again = await s.get('/');
    assert.equal(again.text(), 'read me to the end');
    assert.equal(srv.accepted, 2);
  });

  test('an HTTP/1.1 body without length (Connection: close) is read to EOF', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close');
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    assert.equal((await s.get('/')).text(), 'until close');
    assert.equal((await s.get('/')).text(), 'until close');
    assert.equal(srv.accepted, 2);
  });

  test('an HTTP/1.0 response with Content-Length and keep-alive is reused', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok');
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    await s.get('/');
    await s.get('/');
    assert.equal(srv.accepted, 1);
  });

  test('a 101 to a request that offered no Upgrade is an InvalidResponseError; the connection is closed (RFC 9110 §15.2.2)', async () => {
    const srv = await raw({ '/switch': 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: upgrade\r\n\r\nnot http' });
    const s = h.session({ baseUrl: srv.url, timeout: { read: 2000 } });
    await assert.rejects(s.get('/switch'), (e: unknown) => {
      assert.ok(e instanceof InvalidResponseError, String(e));
      assert.match(e.message, new RegExp(`^GET ${srv.url}/switch: 101 Switching Protocols to a request that offered no Upgrade`));
      return true;
    });
    await assert.rejects(
      (async () => {
        const st = await s.stream('GET', '/switch');
        await st.text();
      })(),
      InvalidResponseError,
    );
    // The bytes after the 101 are never read as a response: the next request opens a new connection.
    assert.equal((await s.get('/')).text(), 'conn2');
  });

  test('a 101 to a request that offered Upgrade ends the response at its head; the connection is not reused', async () => {
    const srv = await raw({ '/switch': 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: upgrade\r\n\r\nnot http' });
    const s = h.session({ baseUrl: srv.url, timeout: { read: 2000 } });
    const res = await s.get('/switch', { headers: { Connection: 'upgrade', Upgrade: 'foo' } });
    assert.equal(res.status, 101);
    assert.equal(res.body.length, 0);
    assert.equal((await s.get('/')).text(), 'conn1');
  });

  test('a malformed chunk extension is an InvalidResponseError and the connection is closed (RFC 9112 §7.1.1)', async () => {
    const srv = await raw({
      '/quote': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a="x\r\nhello\r\n0\r\n\r\n',
      '/ctl': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;\x01\r\nhello\r\n0\r\n\r\n',
      '/ok': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 ; a=b ;c="d;\\"e"\r\nhello\r\n0;x\r\n\r\n',
    });
    const s = h.session({ baseUrl: srv.url, timeout: { read: 2000 } });
    assert.equal((await s.get('/ok')).text(), 'hello');
    for (const path of ['/quote', '/ctl']) {
      await assert.rejects(s.get(path), (e: unknown) => e instanceof InvalidResponseError && /invalid chunk extension/.test(e.message));
    }
    assert.equal((await s.get('/')).text(), 'conn2');
    assert.equal(srv.accepted, 3);
  });

  test('differing Content-Length values are rejected as InvalidResponseError', async () => {
    const srv = await raw({ '/': 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd' });
    const s = h.session({ baseUrl: srv.url });
    await assert.rejects(s.get('/'), (e: unknown) => e instanceof InvalidResponseError && e.message.startsWith(`GET ${srv.url}/:`));
  });

  test('response headers keep order, casing and repeats', async () => {
    const srv = await raw({
      '/': 'HTTP/1.1 200 Fine Thanks\r\nX-One: 1\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Folded: a\r\n  b\r\nContent-Length: 0\r\n\r\n',
    });
    const s = h.session({ baseUrl: srv.url, cookies: false });
    const res = await s.get('/');
    assert.equal(res.reason, 'Fine Thanks');
    assert.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
    assert.equal(res.headers.get('x-folded'), 'a b');
    assert.deepEqual([...res.headers].map(([n]) => n), ['X-One', 'Set-Cookie', 'set-cookie', 'X-Folded', 'Content-Length']);
  });
});

describe('Response API', () => {
  test('text() decodes by charset: latin1, iso-8859-1, utf-8 with BOM, default utf-8', async () => {
    const body = (type: string | null, bytes: number[]): Buffer => {
      const ct = type === null ? '' : `Content-Type: ${type}\r\n`;
      return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${ct}Content-Length: ${bytes.length}\r\n\r\n`, 'latin1'), Buffer.from(bytes)]);
    };
    const srv = await raw({
      '/latin1': body('text/plain; charset=latin1', [0x63, 0x61, 0x66, 0xe9]),
      '/iso': body('text/html; charset="ISO-8859-1"', [0xfc, 0x62, 0x65, 0x72]),
      '/bom': body('text/plain; charset=utf-8', [0xef, 0xbb, 0xbf, 0x68, 0xc3, 0xa9]),
      '/default': body(null, [0xe2, 0x9c, 0x93]),
      '/unknown': body('text/plain; charset=x-no-such-charset', [0x6f, 0x6b]),
    });
    const s = h.session({ baseUrl: srv.url });
    assert.equal((await s.get('/latin1')).text(), 'café');
    assert.equal((await s.get('/iso')).text(), 'über');
    assert.equal((await s.get('/bom')).text(), 'hé');
    assert.equal((await s.get('/default')).text(), '✓');
    assert.equal((await s.get('/unknown')).text(), 'ok');
  });

  test('text() decodes windows-1252 and its aliases by the Encoding standard: 0x80-0x9F are € ‘ ’ “ ” …, not C1 controls', async () => {
    const bytes = [0x93, 0x80, 0x31, 0x94, 0x85, 0xe9];
    const head = (cs: string): string => `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=${cs}\r\nContent-Length: ${bytes.length}\r\n\r\n`;
    const labels = ['windows-1252', 'iso-8859-1', 'latin1', 'us-ascii'];
    const srv = await raw(Object.fromEntries(labels.map((cs) => [`/${cs}`, Buffer.concat([Buffer.from(head(cs), 'latin1'), Buffer.from(bytes)])])));
    const s = h.session({ baseUrl: srv.url });
    for (const cs of labels) {
      assert.equal((await s.get(`/${cs}`)).text(), '“€1”…é', cs);
      assert.equal(await (await s.stream('GET', `/${cs}`)).text(), '“€1”…é', `${cs}, streamed`);
    }
  });

  test('json() is parsed once and cached; text() is cached too', async () => {
    const srv = await raw({ '/': 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"k":[1,2,3]}' });
    const s = h.session({ baseUrl: srv.url });
    const res = await s.get('/');
    const a = res.json<{ k: number[] }>();
    assert.deepEqual(a, { k: [1, 2, 3] });
    assert.equal(res.json(), a, 'same object');
    assert.equal(await res.json(), a, 'await works too');
    assert.equal(res.text(), '{"k":[1,2,3]}');
    assert.equal(res.text(), res.text());
  });

  test('json() of a non-JSON body throws InvalidResponseError naming the request', async () => {
    const srv = await raw({ '/': 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnope' });
    const s = h.session({ baseUrl: srv.url });
    const res = await s.get('/');
    assert.throws(
      () => res.json(),
      (e: unknown) => e instanceof InvalidResponseError && e.message.includes(`GET ${srv.url}/`) && e.cause instanceof SyntaxError,
    );
  });

  test('raiseForStatus throws HttpStatusError with .response and .status for >= 400, returns the response otherwise', async () => {
    const srv = await raw({
      '/404': 'HTTP/1.1 404 Not Found\r\nContent-Length: 7\r\n\r\nmissing',
      '/503': 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n',
      '/302': 'HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n',
    });
    const s = h.session({ baseUrl: srv.url });
    const notFound = await s.get('/404');
    assert.equal(notFound.ok, false);
    assert.equal(notFound.text(), 'missing');
    assert.throws(
      () => notFound.raiseForStatus(),
      (e: unknown) => {
        assert.ok(e instanceof HttpStatusError);
        assert.ok(e instanceof RequestError);
        assert.equal(e.name, 'HttpStatusError');
        assert.equal(e.response, notFound);
        assert.equal(e.status, 404);
        assert.match(e.message, new RegExp(`^GET ${srv.url}/404: 404 Not Found`));
        return true;
      },
    );
    assert.throws(() => notFound.raiseForStatus(), HttpStatusError);
    const unavailable = await s.get('/503');
    assert.throws(() => unavailable.raiseForStatus(), (e: unknown) => e instanceof HttpStatusError && e.status === 503);
    const ok = await s.get('/ok');
    assert.equal(ok.ok, true);
    assert.equal(ok.raiseForStatus(), ok);
    const found = await s.get('/302');
    assert.equal(found.status, 302, 'a redirect without Location is returned as is');
    assert.equal(found.ok, false);
    assert.equal(found.raiseForStatus(), found);
  });

  test('a Response carries status, reason, httpVersion, url, method and bytes()', async () => {
    const srv = await raw({});
    const s = h.session({ baseUrl: srv.url });
    const res = await s.post('/thing?x=1', { body: 'b' });
    assert.ok(res instanceof Response);
    assert.equal(res.status, 200);
    assert.equal(res.reason, 'OK');
    assert.equal(res.httpVersion, '1.1');
    assert.equal(res.url, `${srv.url}/thing?x=1`);
    assert.equal(res.method, 'POST');
    assert.equal(Buffer.from(res.bytes()).toString(), 'conn0');
  });
});
