import assert from 'node:assert/strict';
import type http from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import {
  createResponse,
  InvalidRequestError,
  type Interceptor,
  LimitExceededError,
  RequestError,
  Response,
  Session,
  StreamResponse,
} from '../../src/index.js';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

async function server(handler: http.RequestListener): Promise<TestServer & { hits: string[]; connections: number }> {
  const hits: string[] = [];
  const srv = await httpServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  let connections = 0;
  srv.server.on('connection', () => connections++);
  cleanups.push(() => srv.close());
  return Object.assign(srv, {
    hits,
    get connections() {
      return connections;
    },
  });
}

/** An interceptor that records `label method path` of each request it sees. */
function recorder(label: string, log: string[]): Interceptor {
  return (next) => async (req) => {
    log.push(`${label} ${req.method} ${new URL(req.url).pathname}`);
    const res = await next(req);
    log.push(`${label} <- ${res.status}`);
    return res;
  };
}

describe('interceptors', () => {
  test('run in order, the first outermost, and may change the request on its way out', async () => {
    const srv = await server((req, res) => res.end(String(req.headers['x-tag'])));
    const log: string[] = [];
    const tag: Interceptor = (next) => (req) => {
      req.headers.set('x-tag', 'from-interceptor');
      return next(req);
    };
    const s = session({ interceptors: [recorder('a', log), recorder('b', log), tag] });
    const res = await s.get(`${srv.url}/x`);
    assert.equal(res.text(), 'from-interceptor');
    assert.deepEqual(log, ['a GET /x', 'b GET /x', 'b <- 200', 'a <- 200']);
  });

  test('see every redirect hop and every retry attempt, while onRequest/onResponse run once per exchange', async () => {
    let flaky = 0;
    const srv = await server((req, res) => {
      if (req.url === '/start') res.writeHead(302, { location: '/flaky' }).end();
      else if (req.url === '/flaky' && flaky++ < 2) res.writeHead(503).end();
      else res.end('done');
    });
    const log: string[] = [];
    let requestHooks = 0;
    let responseHooks = 0;
    const s = session({ interceptors: [recorder('i', log)], retry: { limit: 3, backoff: () => 1 } });
    s.onRequest(() => void requestHooks++);
    s.onResponse(() => void responseHooks++);
    const res = await s.get(`${srv.url}/start`);
    assert.equal(res.text(), 'done');
    assert.equal(res.retries, 2);
    assert.deepEqual(
      log.filter((l) => !l.includes('<-')),
      ['i GET /start', 'i GET /flaky', 'i GET /flaky', 'i GET /flaky'],
    );
    assert.deepEqual(srv.hits, ['GET /start', 'GET /flaky', 'GET /flaky', 'GET /flaky']);
    assert.equal(requestHooks, 1);
    assert.equal(responseHooks, 1);
  });

  test('may answer without touching the network; the layers outside treat the answer as a real response', async () => {
    const srv = await server((_req, res) => res.end('network'));
    const answer: Interceptor = (next) => (req) => {
      const path = new URL(req.url).pathname;
      if (path === '/login') return createResponse(req, { status: 302, headers: { location: '/home', 'set-cookie': 'sid=abc; Path=/' } });
      if (path === '/home') {
        return createResponse(req, {
          status: 200,
          headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' },
          body: gzipSync(JSON.stringify({ cookie: req.headers.get('cookie') })),
        });
      }
      return next(req);
    };
    const s = session({ interceptors: [answer] });
    const res = await s.get(`${srv.url}/login`);
    assert.equal(res.status, 200);
    assert.equal(res.url, `${srv.url}/home`);
    assert.deepEqual(res.redirects, [`${srv.url}/login`]);
    // Decoded by the decoding layer, with the cookie the jar stored from the mocked 302.
    assert.deepEqual(res.json(), { cookie: 'sid=abc' });
    assert.equal(srv.connections, 0, 'no connection was opened');
    // Unmatched requests still reach the server.
    assert.equal((await s.get(`${srv.url}/other`)).text(), 'network');
    assert.equal(srv.hits.length, 1);
  });

  test('a made-up response is a StreamResponse for stream(), and limits apply to it', async () => {
    const big: Interceptor = () => (req) => createResponse(req, { status: 200, body: 'x'.repeat(1000) });
    const s = session({ interceptors: [big] });
    const streamed = await s.stream('GET', 'http://127.0.0.1:9/a');
    assert.ok(streamed instanceof StreamResponse);
    assert.equal(await streamed.text(), 'x'.repeat(1000));
    await assert.rejects(s.get('http://127.0.0.1:9/a', { limits: { maxBodyBytes: 10 } }), LimitExceededError);
  });

  test('may replace the response', async () => {
    const srv = await server((_req, res) => res.end('original'));
    const replace: Interceptor = (next) => async (req) => {
      const res = await next(req);
      return createResponse(req, { status: 299, body: `${(res as Response).text()} replaced` });
    };
    const s = session({ interceptors: [replace] });
    const res = await s.get(`${srv.url}/`);
    assert.equal(res.status, 299);
    assert.equal(res.text(), 'original replaced');
  });

  test('use() adds an interceptor inside the existing ones and returns the session', async () => {
    const srv = await server((_req, res) => res.end());
    const log: string[] = [];
    const s = session({ interceptors: [recorder('first', log)] });
    await s.get(`${srv.url}/one`);
    assert.equal(s.use(recorder('second', log)), s);
    log.length = 0;
    await s.get(`${srv.url}/two`);
    assert.deepEqual(log, ['first GET /two', 'second GET /two', 'second <- 200', 'first <- 200']);
  });

  test('an interceptor that throws rejects with a RequestError naming the request, with the error as cause', async () => {
    const boom = new Error('boom');
    const s = session({
      interceptors: [
        () => () => {
          throw boom;
        },
      ],
    });
    const err = await s.get('http://127.0.0.1:9/x').then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RequestError);
    assert.equal(err.cause, boom);
    assert.match(err.message, /GET http:\/\/127\.0\.0\.1:9\/x/);
  });

  test('bad interceptors fail fast with InvalidRequestError', () => {
    assert.throws(() => new Session({ interceptors: [42 as unknown as Interceptor] }), InvalidRequestError);
    assert.throws(() => new Session().use('x' as unknown as Interceptor), InvalidRequestError);
  });

  test('createResponse refuses a status outside 100..599', async () => {
    const s = session({ interceptors: [() => (req) => createResponse(req, { status: 42 })] });
    await assert.rejects(s.get('http://127.0.0.1:9/x'), InvalidRequestError);
  });
});
