import assert from 'node:assert/strict';
import type http from 'node:http';
import { afterEach, describe, test } from 'node:test';
import { Reqivo } from '../../src/client/reqivo.js';
import { Session } from '../../src/client/session.js';
import { StreamResponse } from '../../src/client/stream-response.js';
import { HttpStatusError, RequestError } from '../../src/errors.js';
import { httpServer, type TestServer } from '../helpers/servers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Echo {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function echo(): Promise<TestServer> {
  const srv = await httpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const status = /\/status\/(\d+)/.exec(req.url!);
      res.statusCode = status ? Number(status[1]) : 200;
      res.setHeader('content-type', 'application/json');
      if (req.method === 'HEAD') res.end();
      else res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
  cleanups.push(() => srv.close());
  return srv;
}

function client(opts: ConstructorParameters<typeof Reqivo>[0] = {}): Reqivo {
  const c = new Reqivo({ proxy: false, ...opts });
  cleanups.push(() => c.close());
  return c;
}

describe('Reqivo facade', () => {
  test('fluent setup: bearerToken, hooks in order, baseUrl; every method reaches the server', async () => {
    const srv = await echo();
    const order: string[] = [];
    const c = client({ baseUrl: `${srv.url}/api`, timeout: 5000 })
      .bearerToken('t0k')
      .onRequest((req) => {
        order.push(`req ${req.method}`);
        req.headers.set('x-request-id', '42');
      })
      .onRequest(async () => {
        order.push('req2');
      })
      .onResponse((res) => {
        order.push(`res ${res.status}`);
      });
    assert.ok(c.session instanceof Session);
    const res = await c.get('users/1', { query: { full: true } });
    const e = res.json() as Echo;
    assert.equal(e.url, '/api/users/1?full=true');
    assert.equal(e.headers.authorization, 'Bearer t0k');
    assert.equal(e.headers['x-request-id'], '42');
    assert.deepEqual(order, ['req GET', 'req2', 'res 200']);

    const methods: Array<[string, Promise<{ status: number; json(): unknown }>]> = [
      ['POST', c.post('x', { json: { a: 1 } })],
      ['PUT', c.put('x', { body: 'b' })],
      ['PATCH', c.patch('x', { form: { f: 1 } })],
      ['DELETE', c.delete('x')],
      ['OPTIONS', c.options('x')],
      ['PURGE', c.request('purge', 'x')],
    ];
    for (const [m, p] of methods) assert.equal(((await p).json() as Echo).method, m);
    const head = await c.head('x');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    const st = await c.stream('GET', 'x');
    assert.ok(st instanceof StreamResponse);
    assert.equal(((await st.json()) as Echo).method, 'GET');
  });

  test('basicAuth replaces bearerToken; per-request auth still wins', async () => {
    const srv = await echo();
    const c = client({ baseUrl: srv.url }).bearerToken('x').basicAuth('ada', 'pw');
    assert.equal(((await c.get('/')).json() as Echo).headers.authorization, `Basic ${Buffer.from('ada:pw').toString('base64')}`);
    assert.equal(((await c.get('/', { auth: { type: 'bearer', token: 'one-off' } })).json() as Echo).headers.authorization, 'Bearer one-off');
    assert.deepEqual(c.session.auth, { type: 'basic', username: 'ada', password: 'pw' });
  });

  test('close() and await using end the session', async () => {
    const srv = await echo();
    const c = new Reqivo({ baseUrl: srv.url, proxy: false });
    await c.get('/');
    await c.close();
    await assert.rejects(c.get('/'), RequestError);
    {
      await using d = new Reqivo({ baseUrl: srv.url, proxy: false });
      await d.get('/');
    }
  });
});

describe('raiseForStatus and HttpStatusError', () => {
  test('a 2xx or 3xx returns the response itself', async () => {
    const srv = await echo();
    const c = client({ baseUrl: srv.url, followRedirects: false });
    const res = await c.get('/status/204');
    assert.equal(res.raiseForStatus(), res);
    assert.equal((await c.get('/status/304')).raiseForStatus().status, 304);
  });

  for (const [status, kind] of [
    [404, 'client error'],
    [503, 'server error'],
  ] as const) {
    test(`${status} throws HttpStatusError carrying the response (${kind})`, async () => {
      const srv = await echo();
      const c = client({ baseUrl: srv.url });
      const res = await c.get(`/status/${status}`);
      assert.equal(res.ok, false);
      assert.throws(
        () => res.raiseForStatus(),
        (err: unknown) => {
          assert.ok(err instanceof HttpStatusError);
          assert.equal(err.name, 'HttpStatusError');
          assert.equal(err.status, status);
          assert.equal(err.response, res);
          assert.equal(((err.response as typeof res).json() as Echo).url, `/status/${status}`);
          assert.equal(err.method, 'GET');
          assert.equal(err.url, `${srv.url}/status/${status}`);
          assert.ok(err.message.includes(`GET ${srv.url}/status/${status}: ${status}`));
          assert.ok(err.message.includes(kind));
          return true;
        },
      );
    });
  }

  test('on a StreamResponse too', async () => {
    const srv = await echo();
    const st = await client({ baseUrl: srv.url }).stream('GET', '/status/418');
    assert.throws(() => st.raiseForStatus(), HttpStatusError);
    await st.close();
  });
});
