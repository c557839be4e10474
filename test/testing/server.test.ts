import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NetworkError, ReadTimeout } from '../../src/index.js';
import { startTestServer, type TestServer } from '../../src/testing/index.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

async function start(routes: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const srv = await startTestServer(routes);
  cleanups.push(() => srv.close());
  return srv;
}

describe('startTestServer routes', () => {
  test(':param and * patterns, exact routes first, method-less keys for any method', async () => {
    const srv = await start({
      'GET /users/me': { body: 'exact' },
      'GET /users/:id': (req) => ({ json: { id: req.params.id } }),
      'GET /users/:id/posts/:post': (req) => ({ json: req.params }),
      '/files/*': (req) => ({ body: `${req.method} ${req.params['*']}` }),
    });
    const s = session({ baseUrl: srv.url });
    assert.equal((await s.get('/users/me')).text(), 'exact');
    assert.deepEqual((await s.get('/users/42?x=1')).json(), { id: '42' });
    assert.deepEqual((await s.get('/users/a%20b/posts/7')).json(), { id: 'a b', post: '7' });
    assert.equal((await s.delete('/files/a/b/c.txt')).text(), 'DELETE a/b/c.txt');
    assert.equal((await s.get('/users/')).status, 404);
    assert.equal((await s.get('/users/1/extra')).status, 404);
    assert.equal(srv.requests[1]!.params.id, '42');
  });

  test('an unmatched request gets a 404 naming it and listing the routes', async () => {
    const srv = await start({ 'GET /a': { body: 'a' }, 'POST /b/:id': { status: 201 } });
    const res = await session().post(`${srv.url}/nope?q=1`);
    assert.equal(res.status, 404);
    assert.equal(res.text(), 'reqivo test server: no route matches POST /nope?q=1\nroutes:\n  GET /a\n  POST /b/:id\n');
  });

  test('route() adds or replaces a route', async () => {
    const srv = await start({});
    srv.route('GET /x', { body: '1' });
    const s = session({ baseUrl: srv.url });
    assert.equal((await s.get('/x')).text(), '1');
    srv.route('GET /x', { body: '2' });
    assert.equal((await s.get('/x')).text(), '2');
  });
});

describe('startTestServer faults', () => {
  test("'reset-mid-body' cuts the body: the client gets a NetworkError, never a short body", async () => {
    const srv = await start({ 'GET /cut': { body: 'x'.repeat(10_000), fault: 'reset-mid-body' } });
    await assert.rejects(session().get(`${srv.url}/cut`), NetworkError);
  });

  test("'reset' drops the connection without an answer", async () => {
    const srv = await start({ 'GET /r': { fault: 'reset' } });
    await assert.rejects(session().get(`${srv.url}/r`), NetworkError);
  });

  test("'never' never answers (the read timeout fires)", async () => {
    const srv = await start({ 'GET /n': { fault: 'never' } });
    await assert.rejects(session().get(`${srv.url}/n`, { timeout: { read: 100 } }), ReadTimeout);
  });

  test("'slow-body' trickles the body a byte at a time", async () => {
    const srv = await start({ 'GET /s': { body: 'abcde', fault: 'slow-body', slowMs: 10 } });
    const res = await session().stream('GET', `${srv.url}/s`);
    const chunks: string[] = [];
    for await (const c of res) chunks.push(Buffer.from(c).toString());
    assert.equal(chunks.join(''), 'abcde');
    assert.ok(chunks.length >= 3, `arrived in ${chunks.length} chunks`);
  });
});
