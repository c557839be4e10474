import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { PreparedRequest } from '../../src/core/request.js';
import { Response } from '../../src/client/response.js';

import { StreamResponse } from '../../src/client/stream-response.js';
import { HttpStatusError, RequestError } from '../../src/errors.js';
import { Headers } from '../../src/http/headers.js';
import { httpServer, openSockets, sleep, type TestServer, waitFor } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function server(route?: (req: Seen, res: http.ServerResponse) => void): Promise<TestServer & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const srv = await httpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(s);
      if (route) route(s, res);
      else res.end(JSON.stringify(s));
    });
  });
  cleanups.push(() => srv.close());
  return Object.assign(srv, { seen });
}

describe('onRequest hooks', () => {
  test('run in order, sync and async, and see defaults, cookies and auth merged', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/login') res.setHeader('set-cookie', 'sid=1');
      res.end();
    });
    const s = session({ headers: { 'x-default': 'd' }, auth: { type: 'bearer', token: 't' } });
    await s.get(`${srv.url}/login`);
    const order: string[] = [];
    let snapshot: Record<string, string | string[]> = {};
    s.onRequest((req) => {
      order.push('sync');
      snapshot = req.headers.toJSON();
    });
    s.onRequest(async (req) => {
      await sleep(5);
      order.push('async');
      req.headers.set('x-added', 'yes');
    });
    s.onRequest(() => {
      order.push('last');
    });
    await s.get(`${srv.url}/x`, { headers: { 'x-req': 'r' } });
    assert.deepEqual(order, ['sync', 'async', 'last']);
    assert.equal(snapshot['x-default'], 'd');
    assert.equal(snapshot['x-req'], 'r');
    assert.equal(snapshot['authorization'], 'Bearer t');
    assert.equal(snapshot['cookie'], 'sid=1');
    assert.match(String(snapshot['user-agent']), /^reqivo\//);
    assert.equal(snapshot['accept-encoding'], 'gzip, deflate, br');
    assert.equal(srv.seen[1]!.headers['x-added'], 'yes');
  });

  test('may change method, URL, headers and body, or return a new request', async () => {
    const srv = await server();
    const s = session();
    s.onRequest((req) => {
      req.method = 'put';
      req.url = `${srv.url}/rewritten?q=1`;
      req.body = 'new body';
    });
    s.onRequest((req) => new PreparedRequest(req.method, req.url, new Headers([...req.headers, ['x-replaced', '1']]), req.body as string, null));
    const res = await s.post(`${srv.url}/orig`, { json: { a: 1 } });
    const seen = res.json() as Seen;
    assert.equal(seen.method, 'PUT');
    assert.equal(seen.url, '/rewritten?q=1');
    assert.equal(seen.body, 'new body');
    assert.equal(seen.headers['x-replaced'], '1');
    assert.equal(res.url, `${srv.url}/rewritten?q=1`);
  });

  test('a hook that rewrites the Cookie header owns it', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/set') res.setHeader('set-cookie', 'jar=1');
      res.end();
    });
    const s = session();
    await s.get(`${srv.url}/set`);
    s.onRequest((req) => {
      req.headers.set('cookie', `${req.headers.get('cookie')}; hook=2`);
    });
    await s.get(`${srv.url}/x`);
    assert.equal(srv.seen[1]!.headers.cookie, 'jar=1; hook=2');
  });

  test('a hook that throws rejects the request with that error as cause; nothing is sent', async () => {
    const srv = await server();
    const s = session();
    const boom = new Error('boom');
    s.onRequest(() => {
      throw boom;
    });
    await assert.rejects(s.get(`${srv.url}/x`), (err: unknown) => {
      assert.ok(err instanceof RequestError);
      assert.equal((err as Error).cause, boom);
      assert.equal((err as RequestError).method, 'GET');
      assert.equal((err as RequestError).url, `${srv.url}/x`);
      assert.match((err as Error).message, /^GET http:\/\/127\.0\.0\.1:\d+\/x: onRequest hook #1 failed: boom$/);
      return true;
    });
    assert.equal(srv.seen.length, 0);
  });

  test('an async hook that rejects does the same', async () => {
    const srv = await server();
    const s = session();
    const boom = new TypeError('async boom');
    s.onRequest(async () => {
      await sleep(1);
      throw boom;
    });
    await assert.rejects(s.post(`${srv.url}/y`, { body: 'x' }), (err: unknown) => (err as Error).cause === boom && err instanceof RequestError);
    assert.equal(srv.seen.length, 0);
  });

  test('a hook that makes the request invalid is refused before a byte is written', async () => {
    const srv = await server();
    const s = session();
    s.onRequest((req) => {
      req.method = 'BAD METHOD';
    });
    await assert.rejects(s.get(`${srv.url}/`), RequestError);
    assert.equal(srv.seen.length, 0);
  });
});

describe('onResponse hooks', () => {
  test('run once per final response (not for redirect hops), in order, and may replace it', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/start') {
        res.writeHead(302, { location: '/end' });
        res.end();
      } else res.end('final');
    });
    const s = session();
    const calls: string[] = [];
    s.onResponse((res) => {
      calls.push(`a ${res.status} ${res.url}`);
    });
    s.onResponse(async (res) => {
      await sleep(1);
      calls.push('b');
      return new Response(299, 'Replaced', res.httpVersion, res.headers, res.url, Buffer.from('replaced'), 'GET');
    });
    s.onResponse((res) => {
      calls.push(`c ${res.status}`);
    });
    const res = await s.get(`${srv.url}/start`);
    assert.deepEqual(calls, [`a 200 ${srv.url}/end`, 'b', 'c 299']);
    assert.equal(res.status, 299);
    assert.equal(res.text(), 'replaced');
  });

  test('a hook that throws rejects with that error as cause; the connection is not leaked', async () => {
    const srv = await server();
    const s = session();
    const boom = new Error('response boom');
    s.onResponse(() => {
      throw boom;
    });
    const before = openSockets();
    await assert.rejects(s.get(`${srv.url}/x`), (err: unknown) => {
      assert.ok(err instanceof RequestError);
      assert.equal((err as Error).cause, boom);
      assert.match((err as Error).message, /^GET http:\/\/127\.0\.0\.1:\d+\/x: /);
      return true;
    });
    // The buffered response was complete: its connection went back to the pool and serves the next request.
    s.hooks.response.length = 0;
    await s.get(`${srv.url}/y`);
    assert.equal(srv.accepted, 1);
    await s.close();
    await waitFor(() => openSockets() <= before, 2000, 'sockets to close');
  });

  test('raiseForStatus in a hook surfaces as HttpStatusError carrying the response', async () => {
    const srv = await server((_req, res) => {
      res.statusCode = 404;
      res.end('missing');
    });
    const s = session();
    s.onResponse((res) => {
      res.raiseForStatus();
    });
    await assert.rejects(s.get(`${srv.url}/nope`), (err: unknown) => {
      assert.ok(err instanceof HttpStatusError);
      assert.equal(err.status, 404);
      assert.equal(err.response.status, 404);
      assert.equal((err.response as Response).text(), 'missing');
      assert.match(err.message, /^GET http:\/\/127\.0\.0\.1:\d+\/nope: 404 Not Found/);
      return true;
    });
  });

  test('stream(): a hook that throws closes the unread response, so its connection is not held', async () => {
    const srv = await server((_req, res) => {
      res.write('x'.repeat(1024));
      // Never ends the body: only the client closing frees the socket.
    });
    const s = session();
    const boom = new Error('nope');
    s.onResponse(() => {
      throw boom;
    });
    await assert.rejects(s.stream('GET', `${srv.url}/`), (err: unknown) => {
      assert.ok(err instanceof RequestError);
      assert.equal((err as Error).cause, boom);
      assert.match((err as Error).message, /onResponse hook #1 failed: nope$/);
      return true;
    });
    await waitFor(() => srv.open.size === 0, 2000, 'the server to see the connection close');
  });

  test('stream(): hooks see the StreamResponse before the body is read', async () => {
    const srv = await server((_req, res) => res.end('streamed'));
    const s = session();
    let seen: unknown = null;
    s.onResponse((res) => {
      seen = res;
    });
    const res = await s.stream('GET', `${srv.url}/`);
    assert.ok(seen instanceof StreamResponse);
    assert.equal(seen, res);
    assert.equal(await res.text(), 'streamed');
  });
});
