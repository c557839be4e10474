/**
 * WHATWG fetch on a Session, the request side, in the manner of the WPT
 * fetch tests (fetch/api/request, fetch/api/basic, fetch/api/redirect):
 * input forms, method normalisation and forbidden methods, body types and
 * their Content-Type, redirect modes, network errors and aborts. Every
 * request goes to a real server on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { fetch as reqivoFetch, NetworkError, ReqivoError } from '../../src/index.js';
import { useHarness } from '../helpers/engine.js';
import { httpServer, rawServer, sleep } from '../helpers/servers.js';

const h = useHarness();

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Answers every request with its method, URL, headers and body as JSON; `/r/CODE/N` redirects N times with CODE. */
function echo(req: http.IncomingMessage, res: http.ServerResponse): void {
  const m = /^\/r\/(\d+)\/(\d+)/.exec(req.url ?? '');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (m !== null) {
      const n = Number(m[2]);
      res.writeHead(Number(m[1]), { location: n > 1 ? `/r/${m[1]}/${n - 1}` : '/done' });
      res.end();
      return;
    }
    const out: Echo = { method: req.method!, url: req.url!, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('latin1') };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(out));
  });
}

async function echoServer() {
  return h.server(await httpServer(echo));
}

/** A raw server answering each request with its head as the body (for methods node:http would refuse). */
async function headServer() {
  return h.server(
    await rawServer((socket, head) => {
      const body = Buffer.from(head, 'latin1');
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      socket.write(body);
    }),
  );
}

async function rejectsType(p: Promise<unknown>, message?: RegExp): Promise<TypeError> {
  let caught: unknown;
  await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => {
      caught = e;
    },
  );
  assert.ok(caught instanceof TypeError, `expected a TypeError, got ${String(caught)}`);
  if (message !== undefined) assert.match(caught.message, message);
  return caught;
}

describe('fetch: input', () => {
  test('a string, a URL and a Request all reach the server; the result is a globalThis.Response', async () => {
    const srv = await echoServer();
    const s = h.session();
    for (const input of [`${srv.url}/a?x=1`, new URL(`${srv.url}/a?x=1`), new Request(`${srv.url}/a?x=1`)]) {
      const res = await s.fetch(input);
      assert.ok(res instanceof Response);
      assert.equal(res.status, 200);
      const e = (await res.json()) as Echo;
      assert.equal(e.method, 'GET');
      assert.equal(e.url, '/a?x=1');
    }
  });

  test("a Request's method, headers and body are sent; init overrides them", async () => {
    const srv = await echoServer();
    const s = h.session();
    const req = new Request(`${srv.url}/r`, { method: 'PUT', headers: { 'x-a': '1', 'x-b': '2' }, body: 'from request' });
    const e1 = (await (await s.fetch(req)).json()) as Echo;
    assert.equal(e1.method, 'PUT');
    assert.equal(e1.headers['x-a'], '1');
    assert.equal(e1.body, 'from request');
    assert.equal(e1.headers['content-type'], 'text/plain;charset=UTF-8');
    const req2 = new Request(`${srv.url}/r`, { method: 'PUT', headers: { 'x-a': '1' }, body: 'from request' });
    const e2 = (await (await s.fetch(req2, { method: 'POST', headers: { 'x-c': '3' }, body: 'from init' })).json()) as Echo;
    assert.equal(e2.method, 'POST');
    assert.equal(e2.headers['x-a'], undefined);
    assert.equal(e2.headers['x-c'], '3');
    assert.equal(e2.body, 'from init');
  });

  test('a used Request and a locked ReadableStream body are TypeErrors', async () => {
    const s = h.session();
    const req = new Request('http://127.0.0.1:9/', { method: 'POST', body: 'x' });
    await req.text();
    await rejectsType(s.fetch(req), /already been used/);
    const stream = new ReadableStream();
    stream.getReader();
    await rejectsType(s.fetch('http://127.0.0.1:9/', { method: 'POST', body: stream, duplex: 'half' }), /locked/);
  });

  test('an invalid URL rejects with a TypeError', async () => {
    const s = h.session();
    await rejectsType(s.fetch('http://exa mple.com:99999/'));
    await rejectsType(s.fetch('ftp://127.0.0.1/'));
  });

  test('a relative URL resolves against the session baseUrl', async () => {
    const srv = await echoServer();
    const s = h.session({ baseUrl: `${srv.url}/base/` });
    const e = (await (await s.fetch('rel')).json()) as Echo;
    assert.equal(e.url, '/base/rel');
  });
});

describe('fetch: methods', () => {
  test('DELETE GET HEAD OPTIONS POST PUT are upper-cased; patch and other methods keep their case', async () => {
    const srv = await headServer();
    const s = h.session();
    const cases: Array<[string, string]> = [
      ['delete', 'DELETE'],
      ['get', 'GET'],
      ['options', 'OPTIONS'],
      ['post', 'POST'],
      ['pUt', 'PUT'],
      ['patch', 'patch'],
      ['Custom', 'Custom'],
      ['PATCH', 'PATCH'],
    ];
    for (const [given, sent] of cases) {
      const text = await (await s.fetch(`${srv.url}/m`, { method: given })).text();
      assert.equal(text.split(' ')[0], sent, `method ${given}`);
    }
    const head = await s.fetch(`${srv.url}/m`, { method: 'head' });
    assert.equal(head.body, null);
    assert.match(srv.requests.at(-1)!, /^HEAD /);
  });

  test('CONNECT, TRACE and TRACK in any case are TypeErrors and send nothing', async () => {
    const srv = await headServer();
    const s = h.session();
    for (const m of ['CONNECT', 'trace', 'Track']) await rejectsType(s.fetch(`${srv.url}/`, { method: m }), /unsupported/);
    assert.equal(srv.accepted, 0);
  });

  test('a method that is not a token is a TypeError', async () => {
    const s = h.session();
    await rejectsType(s.fetch('http://127.0.0.1:9/', { method: 'GE T' }));
  });

  test('GET and HEAD with a body are TypeErrors', async () => {
    const s = h.session();
    await rejectsType(s.fetch('http://127.0.0.1:9/', { body: 'x' }), /GET\/HEAD/);
    await rejectsType(s.fetch('http://127.0.0.1:9/', { method: 'HEAD', body: 'x' }), /GET\/HEAD/);
  });
});

describe('fetch: bodies', () => {
  test('every BodyInit type is sent with the Content-Type Fetch gives it', async () => {
    const srv = await echoServer();
    const s = h.session();
    const bytes = new Uint8Array([104, 105]);
    const cases: Array<[unknown, string, string | undefined]> = [
      ['héllo', 'hÃ©llo', 'text/plain;charset=UTF-8'],
      [new URLSearchParams({ a: '1', b: 'x y' }), 'a=1&b=x+y', 'application/x-www-form-urlencoded;charset=UTF-8'],
      [new Blob(['blob'], { type: 'text/x-blob' }), 'blob', 'text/x-blob'],
      [new Blob(['untyped']), 'untyped', undefined],
      [bytes.buffer, 'hi', undefined],
      [bytes, 'hi', undefined],
      [new DataView(bytes.buffer), 'hi', undefined],
      [42, '42', 'text/plain;charset=UTF-8'],
    ];
    for (const [body, sent, type] of cases) {
      const e = (await (await s.fetch(`${srv.url}/b`, { method: 'POST', body: body as string })).json()) as Echo;
      assert.equal(e.body, sent, `body ${Object.prototype.toString.call(body)}`);
      assert.equal(e.headers['content-type'], type, `content-type of ${Object.prototype.toString.call(body)}`);
    }
  });

  test('FormData goes as multipart/form-data with its boundary', async () => {
    const srv = await echoServer();
    const s = h.session();
    const fd = new FormData();
    fd.append('field', 'value');
    fd.append('file', new Blob(['content'], { type: 'text/plain' }), 'a.txt');
    const e = (await (await s.fetch(`${srv.url}/f`, { method: 'POST', body: fd })).json()) as Echo;
    const m = /^multipart\/form-data; boundary=(.+)$/.exec(e.headers['content-type']!);
    assert.ok(m, e.headers['content-type']);
    assert.ok(e.body.includes(`--${m[1]}`));
    assert.ok(e.body.includes('name="field"\r\n\r\nvalue'));
    assert.ok(e.body.includes('filename="a.txt"'));
  });

  test("a ReadableStream body needs duplex: 'half' (TypeError otherwise), then streams chunked", async () => {
    const srv = await echoServer();
    const s = h.session();
    const make = () =>
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('str'));
          c.enqueue(new TextEncoder().encode('eam'));
          c.close();
        },
      });
    await rejectsType(s.fetch(`${srv.url}/s`, { method: 'POST', body: make() }), /duplex/);
    assert.equal(srv.accepted, 0);
    const e = (await (await s.fetch(`${srv.url}/s`, { method: 'POST', body: make(), duplex: 'half' })).json()) as Echo;
    assert.equal(e.body, 'stream');
    assert.equal(e.headers['transfer-encoding'], 'chunked');
  });

  test('credentials, mode, cache, referrer, integrity, keepalive are accepted and ignored', async () => {
    const srv = await echoServer();
    const s = h.session();
    const res = await s.fetch(`${srv.url}/i`, {
      credentials: 'omit',
      mode: 'cors',
      cache: 'no-store',
      referrer: 'http://elsewhere/',
      referrerPolicy: 'no-referrer',
      integrity: 'sha256-abc',
      keepalive: true,
      window: null,
    });
    const e = (await res.json()) as Echo;
    assert.equal(e.headers['referer'], undefined);
    assert.equal(e.headers['cache-control'], undefined);
  });
});

describe('fetch: redirects', () => {
  test('follow: 301/302 turn POST into GET and drop the body, 303 turns PUT into GET, 307/308 keep both', async () => {
    const srv = await echoServer();
    const s = h.session();
    const cases: Array<[number, string, string, string]> = [
      [301, 'POST', 'GET', ''],
      [302, 'POST', 'GET', ''],
      [303, 'PUT', 'GET', ''],
      [302, 'PUT', 'PUT', 'data'],
      [307, 'POST', 'POST', 'data'],
      [308, 'POST', 'POST', 'data'],
    ];
    for (const [code, method, after, body] of cases) {
      const res = await s.fetch(`${srv.url}/r/${code}/1`, { method, body: 'data' });
      const e = (await res.json()) as Echo;
      assert.equal(e.method, after, `${code} ${method}`);
      assert.equal(e.body, body, `${code} ${method} body`);
      assert.equal(res.redirected, true);
      assert.equal(res.url, `${srv.url}/done`);
    }
    const direct = await s.fetch(`${srv.url}/done`);
    assert.equal(direct.redirected, false);
    assert.equal(direct.url, `${srv.url}/done`);
    await direct.arrayBuffer();
  });

  test('follow: up to 20 redirects whatever the session maxRedirects; the 21st is a TypeError', async () => {
    const srv = await echoServer();
    const s = h.session({ maxRedirects: 1, followRedirects: false });
    const res = await s.fetch(`${srv.url}/r/302/20`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as Echo).url, '/done');
    const err = await rejectsType(s.fetch(`${srv.url}/r/302/21`), /fetch failed/);
    assert.ok(err.cause instanceof ReqivoError);
    assert.equal(err.cause.name, 'TooManyRedirects');
  });

  test('manual: the 3xx response itself, status and Location visible (as undici in Node, not an opaque redirect)', async () => {
    const srv = await echoServer();
    const s = h.session();
    const res = await s.fetch(`${srv.url}/r/302/1`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/done');
    assert.equal(res.redirected, false);
    assert.equal(res.type, 'basic');
    await res.arrayBuffer();
    const viaRequest = await s.fetch(new Request(`${srv.url}/r/301/1`, { redirect: 'manual' }));
    assert.equal(viaRequest.status, 301);
    await viaRequest.arrayBuffer();
  });

  test('error: a redirect status is a TypeError, with or without Location; another 3xx (304) is a response', async () => {
    const srv = h.server(
      await httpServer((req, res) => {
        if (req.url === '/plain') res.writeHead(304);
        else if (req.url === '/bare') res.writeHead(302);
        else res.writeHead(302, { location: '/x' });
        res.end();
      }),
    );
    const s = h.session();
    const err = await rejectsType(s.fetch(`${srv.url}/r`, { redirect: 'error' }), /fetch failed/);
    assert.ok(err.cause instanceof ReqivoError);
    // Fetch §4.3: the redirect mode is switched on for every redirect status, before any Location is looked up (undici too).
    await rejectsType(s.fetch(`${srv.url}/bare`, { redirect: 'error' }), /fetch failed/);
    const res = await s.fetch(`${srv.url}/plain`, { redirect: 'error' });
    assert.equal(res.status, 304);
    assert.equal(res.body, null);
  });

  test('an invalid redirect mode is a TypeError', async () => {
    const s = h.session();
    await rejectsType(s.fetch('http://127.0.0.1:9/', { redirect: 'sideways' as 'follow' }));
  });
});

describe('fetch: failures and aborts', () => {
  test("a network failure is TypeError('fetch failed') with the reqivo error as cause", async () => {
    const srv = await rawServer((socket) => socket.destroy());
    const url = srv.url;
    await srv.close();
    const s = h.session();
    const err = await rejectsType(s.fetch(`${url}/`), /^fetch failed$/);
    assert.ok(err.cause instanceof NetworkError);
    assert.equal((err.cause as NetworkError).code, 'ECONNREFUSED');
  });

  test('a connection closed before the head: TypeError with cause', async () => {
    const srv = h.server(await rawServer((socket) => socket.destroy()));
    const s = h.session();
    const err = await rejectsType(s.fetch(`${srv.url}/`));
    assert.ok(err.cause instanceof ReqivoError);
  });

  test('a signal aborted before the call rejects with its reason; nothing is sent', async () => {
    const srv = await headServer();
    const s = h.session();
    const reason = new Error('not now');
    const ac = new AbortController();
    ac.abort(reason);
    await assert.rejects(s.fetch(`${srv.url}/`, { signal: ac.signal }), (e) => e === reason);
    const req = new Request(`${srv.url}/`, { signal: ac.signal });
    await assert.rejects(s.fetch(req), (e) => e === reason);
    await assert.rejects(s.fetch(`${srv.url}/`, { signal: AbortSignal.abort() }), (e: Error) => e.name === 'AbortError');
    assert.equal(srv.accepted, 0);
  });

  test('aborting while waiting for the head rejects with the reason', async () => {
    const srv = h.server(await rawServer(() => {}));
    const s = h.session();
    const ac = new AbortController();
    const reason = new Error('too slow');
    const p = s.fetch(`${srv.url}/`, { signal: ac.signal });
    await sleep(50);
    ac.abort(reason);
    await assert.rejects(p, (e) => e === reason);
  });

  test('AbortSignal.timeout() rejects with a DOMException named TimeoutError', async () => {
    const srv = h.server(await rawServer(() => {}));
    const s = h.session();
    await assert.rejects(s.fetch(`${srv.url}/`, { signal: AbortSignal.timeout(50) }), (e: Error) => {
      assert.ok(e instanceof DOMException);
      assert.equal(e.name, 'TimeoutError');
      return true;
    });
  });

  test("the session's timeouts still apply: a read timeout is a TypeError with the reqivo TimeoutError as cause", async () => {
    const srv = h.server(await rawServer(() => {}));
    const s = h.session({ timeout: { read: 100 } });
    const err = await rejectsType(s.fetch(`${srv.url}/`));
    assert.ok(err.cause instanceof ReqivoError);
    assert.equal(err.cause.name, 'ReadTimeout');
  });
});

describe('fetch: the session', () => {
  test('the top-level fetch runs on the default session and is exported from reqivo', async () => {
    const srv = h.server(
      await httpServer((_req, res) => {
        res.setHeader('connection', 'close');
        res.end('default');
      }),
    );
    const res = await reqivoFetch(`${srv.url}/`);
    assert.ok(res instanceof Response);
    assert.equal(await res.text(), 'default');
    const published = (await import('reqivo')) as Record<string, unknown>;
    assert.equal(typeof published.fetch, 'function');
  });

  test("the session's cookie jar, hooks and default headers apply", async () => {
    const srv = h.server(
      await httpServer((req, res) => {
        res.setHeader('set-cookie', 'sid=42; Path=/');
        res.end(JSON.stringify({ cookie: req.headers.cookie ?? null, hook: req.headers['x-hook'] ?? null, ua: req.headers['user-agent'] }));
      }),
    );
    const s = h.session();
    s.onRequest((req) => {
      req.headers.set('x-hook', 'yes');
    });
    const first = (await (await s.fetch(`${srv.url}/`)).json()) as Record<string, string | null>;
    assert.equal(first.cookie, null);
    assert.equal(first.hook, 'yes');
    assert.match(first.ua!, /^reqivo\//);
    const second = (await (await s.fetch(`${srv.url}/`)).json()) as Record<string, string | null>;
    assert.equal(second.cookie, 'sid=42');
  });

  test('WHATWG Headers and pair lists as init headers', async () => {
    const srv = await echoServer();
    const s = h.session();
    const hs = new Headers([['x-one', '1']]);
    hs.append('x-two', 'a');
    hs.append('x-two', 'b');
    const e = (await (await s.fetch(`${srv.url}/`, { headers: hs })).json()) as Echo;
    assert.equal(e.headers['x-one'], '1');
    assert.equal(e.headers['x-two'], 'a, b');
    const e2 = (await (await s.fetch(`${srv.url}/`, { headers: [['x-p', 'q']] })).json()) as Echo;
    assert.equal(e2.headers['x-p'], 'q');
  });
});
