import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { HttpStatusError, NetworkError, Reqivo, RequestError, type RetryInfo } from '../../src/index.js';
import { httpServer, rawServer, sleep, type TestServer } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

async function server(handler: http.RequestListener): Promise<TestServer & { seen: http.IncomingHttpHeaders[] }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const srv = await httpServer((req, res) => {
    seen.push(req.headers);
    handler(req, res);
  });
  cleanups.push(() => srv.close());
  return Object.assign(srv, { seen });
}

describe('beforeRetry', () => {
  test('runs before each retry in order, async, with attempt, response and delay; may change the next attempt', async () => {
    let n = 0;
    const srv = await server((_req, res) => {
      if (n++ < 2) res.writeHead(503, { 'retry-after': '0' }).end();
      else res.end('ok');
    });
    const calls: string[] = [];
    const s = session({
      retry: { limit: 3 },
      hooks: {
        beforeRetry: [
          async (req, info: RetryInfo) => {
            await sleep(2);
            calls.push(`first ${info.attempt} ${info.response?.status} ${info.error} ${info.delayMs}`);
            req.headers.set('x-attempt', String(info.attempt + 1));
          },
          (_req, info) => void calls.push(`second ${info.attempt}`),
        ],
      },
    });
    const res = await s.get(`${srv.url}/`);
    assert.equal(res.text(), 'ok');
    assert.equal(res.retries, 2);
    assert.deepEqual(calls, ['first 1 503 null 0', 'second 1', 'first 2 503 null 0', 'second 2']);
    assert.deepEqual(
      srv.seen.map((h) => h['x-attempt'] ?? null),
      [null, '2', '3'],
    );
  });

  test('sees the error of a failed attempt', async () => {
    let conns = 0;
    const srv = await rawServer((socket) => {
      if (conns++ === 0) socket.destroy();
      else socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    });
    cleanups.push(() => srv.close());
    const errors: unknown[] = [];
    const s = session({ retry: { limit: 1, backoff: () => 0 } });
    s.beforeRetry((_req, info) => void errors.push(info.error));
    const res = await s.get(`${srv.url}/`);
    assert.equal(res.text(), 'ok');
    assert.equal(res.retries, 1);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof NetworkError);
  });

  test('a throwing hook rejects with a RequestError whose cause is its error, and no retry is sent', async () => {
    const srv = await server((_req, res) => res.writeHead(503).end());
    const boom = new Error('no more');
    const s = session({ retry: { limit: 2, backoff: () => 0 } });
    s.beforeRetry(() => {
      throw boom;
    });
    const err = await s.get(`${srv.url}/`).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RequestError);
    assert.equal(err.cause, boom);
    assert.match(err.message, /beforeRetry hook #1 failed: no more/);
    assert.equal(srv.seen.length, 1);
  });

  test('a response that was not retried has retries = 0', async () => {
    const srv = await server((_req, res) => res.end());
    const s = session({ retry: { limit: 2 } });
    assert.equal((await s.get(`${srv.url}/`)).retries, 0);
    assert.equal((await s.stream('GET', `${srv.url}/`)).retries, 0);
  });
});

describe('beforeRedirect', () => {
  test('runs before each hop with the next request and the redirect response; may change the hop', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/a') res.writeHead(301, { location: '/b' }).end();
      else if (req.url === '/b') res.writeHead(307, { location: '/c' }).end();
      else res.end(String(req.headers['x-hop']));
    });
    const seen: string[] = [];
    const s = session();
    s.beforeRedirect((req, res) => {
      seen.push(`${res.status} -> ${new URL(req.url).pathname} hop ${req.hops}`);
      req.headers.set('x-hop', String(req.hops));
    });
    const res = await s.get(`${srv.url}/a`);
    assert.equal(res.text(), '2');
    assert.deepEqual(seen, ['301 -> /b hop 1', '307 -> /c hop 2']);
  });
});

describe('onError', () => {
  test('sees the failure once, named with its request, and may replace it', async () => {
    const srv = await rawServer((socket) => socket.destroy());
    cleanups.push(() => srv.close());
    const seen: Error[] = [];
    class Wrapped extends RequestError {}
    const s = session({
      hooks: {
        onError: [(err) => void seen.push(err), (err) => new Wrapped(`wrapped: ${err.message}`, { cause: err })],
      },
    });
    const err = await s.get(`${srv.url}/`).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof Wrapped);
    assert.ok(err.cause instanceof NetworkError);
    assert.equal(seen.length, 1);
    assert.ok(seen[0] instanceof NetworkError);
    assert.match(seen[0]!.message, new RegExp(`GET ${srv.url}/`));
  });

  test('a throwing onError hook rejects with a RequestError whose cause is its error', async () => {
    const srv = await rawServer((socket) => socket.destroy());
    cleanups.push(() => srv.close());
    const boom = new Error('hook broke');
    const s = session();
    s.onError(() => {
      throw boom;
    });
    const err = await s.get(`${srv.url}/`).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RequestError);
    assert.equal(err.cause, boom);
    // Like every error, it names the request.
    assert.equal(err.method, 'GET');
    assert.match(err.message, new RegExp(`^GET ${srv.url}/: onError hook #1 failed: hook broke$`));
  });
});

describe('the Reqivo facade', () => {
  test('has the hooks as fluent methods and is itself the session', async () => {
    let n = 0;
    const srv = await server((req, res) => {
      if (req.url === '/r') res.writeHead(302, { location: '/s' }).end();
      else if (n++ === 0) res.writeHead(500).end();
      else res.writeHead(404).end();
    });
    const events: string[] = [];
    const client = new Reqivo({ proxy: false, retry: { limit: 1, backoff: () => 0, statusCodes: [500] } })
      .beforeRedirect(() => void events.push('redirect'))
      .beforeRetry(() => void events.push('retry'))
      .onError((e) => void events.push(`error ${e.name}`))
      .onResponse((res) => {
        res.raiseForStatus();
      });
    cleanups.push(() => client.close());
    assert.equal(client.session, client);
    const err = await client.get(`${srv.url}/r`).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof HttpStatusError);
    assert.equal(err.status, 404);
    assert.deepEqual(events, ['redirect', 'retry', 'error HttpStatusError']);
  });
});
