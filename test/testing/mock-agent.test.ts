import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, test } from 'node:test';
import { ConnectTimeout, get, NetworkError, Session, StreamResponse, TimeoutError } from '../../src/index.js';
import { MockAgent, MockNotMatchedError } from '../../src/testing/index.js';
import { httpServer } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();
const API = 'https://api.test';

afterEach(() => new MockAgent().uninstall());

function mocked(mock: MockAgent, opts: ConstructorParameters<typeof Session>[0] = {}): Session {
  return session({ interceptors: [mock.interceptor], ...opts });
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => assert.fail('expected a rejection'),
    (e: Error) => e,
  );
}

describe('MockAgent: matching and replies', () => {
  test('replies with JSON, headers and status, with no network (api.test does not resolve)', async () => {
    const mock = new MockAgent();
    mock.get(API).intercept({ path: '/users/1', method: 'GET' }).reply(200, { id: 1 }, { headers: { 'x-a': '1' } });
    const res = await mocked(mock).get(`${API}/users/1`);
    assert.equal(res.status, 200);
    assert.equal(res.reason, 'OK');
    assert.deepEqual(res.json(), { id: 1 });
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('x-a'), '1');
    assert.equal(res.url, `${API}/users/1`);
    mock.assertNoPendingInterceptors();
  });

  test('path as RegExp and predicate; query, header and body matchers', async () => {
    const mock = new MockAgent();
    const pool = mock.get(API);
    pool.intercept({ path: /^\/items\/\d+$/ }).reply(200, 'regexp');
    pool.intercept({ path: (p) => p.startsWith('/fn/') }).reply(200, 'predicate');
    pool.intercept({ path: '/search', query: { q: 'cats', page: 2 } }).reply(200, 'query');
    pool.intercept({ path: '/h', headers: { authorization: /^Bearer / } }).reply(200, 'header');
    pool.intercept({ path: '/b', method: 'POST', body: { name: 'Grace' } }).reply(201, 'json body');
    pool.intercept({ path: '/b', method: 'POST', body: /Ada/ }).reply(201, 'regexp body');
    const s = mocked(mock);
    assert.equal((await s.get(`${API}/items/42`)).text(), 'regexp');
    assert.equal((await s.get(`${API}/fn/x`)).text(), 'predicate');
    assert.equal((await s.get(`${API}/search?page=2&q=cats&x=1`)).text(), 'query');
    assert.equal((await s.get(`${API}/h`, { headers: { authorization: 'Bearer t' } })).text(), 'header');
    assert.equal((await s.post(`${API}/b`, { json: { name: 'Grace' } })).text(), 'json body');
    const streamed = async function* () {
      yield 'name=';
      yield 'Ada';
    };
    assert.equal((await s.post(`${API}/b`, { body: streamed() })).text(), 'regexp body');
    assert.deepEqual(mock.pendingInterceptors(), []);
  });

  test('a reply function sees the request', async () => {
    const mock = new MockAgent();
    mock
      .get(API)
      .intercept({ path: '/echo', method: 'PUT' })
      .reply((req) => ({ status: 202, body: { method: req.method, path: req.path, body: req.body, ct: req.headers.get('content-type') } }));
    const res = await mocked(mock).put(`${API}/echo?x=1`, { body: 'hi' });
    assert.equal(res.status, 202);
    assert.deepEqual(res.json(), { method: 'PUT', path: '/echo?x=1', body: 'hi', ct: 'text/plain;charset=UTF-8' });
  });

  test('times(n) answers n requests; then the request fails naming it and the closest interceptor', async () => {
    const mock = new MockAgent();
    mock.get(API).intercept({ path: '/once' }).times(2).reply(200, 'ok');
    mock.get(API).intercept({ path: '/other', method: 'POST' }).reply(200);
    const s = mocked(mock);
    await s.get(`${API}/once`);
    await s.get(`${API}/once`);
    const err = await rejection(s.get(`${API}/once`));
    assert.ok(err instanceof MockNotMatchedError);
    assert.match(err.message, /no mock interceptor matched GET https:\/\/api\.test\/once; closest: GET https:\/\/api\.test\/once \(it is used up\)/);
    const miss = await rejection(s.get(`${API}/othr`));
    assert.match(miss.message, /closest: .*(path differs|used up)/);
  });

  test('persist() answers any number of requests and is pending only until first called', async () => {
    const mock = new MockAgent();
    mock.get(API).intercept({ path: '/p' }).reply(200, 'p').persist();
    assert.equal(mock.pendingInterceptors().length, 1);
    const s = mocked(mock);
    for (let i = 0; i < 5; i++) assert.equal((await s.get(`${API}/p`)).text(), 'p');
    assert.equal(mock.pendingInterceptors().length, 0);
  });

  test('assertNoPendingInterceptors lists what was not called', () => {
    const mock = new MockAgent();
    mock.get(API).intercept({ path: '/a' }).reply(200);
    mock.get(API).intercept({ path: '/b', method: 'DELETE' }).times(3).reply(204);
    assert.throws(() => mock.assertNoPendingInterceptors(), /2 mock interceptors are still pending:\n- GET https:\/\/api\.test\/a \(called 0 times\)\n- DELETE https:\/\/api\.test\/b/);
  });
});

describe('MockAgent: through the real layers', () => {
  test('redirects, Set-Cookie and content decoding apply to mocked responses', async () => {
    const mock = new MockAgent();
    const pool = mock.get(API);
    pool.intercept({ path: '/login', method: 'POST' }).reply(303, null, { headers: { location: '/me', 'set-cookie': 'sid=s1; Path=/; Secure' } });
    pool
      .intercept({ path: '/me', headers: { cookie: 'sid=s1' } })
      .reply(200, gzipSync('{"me":true}'), { headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' } });
    const res = await mocked(mock).post(`${API}/login`, { form: { user: 'u' } });
    assert.equal(res.url, `${API}/me`);
    assert.deepEqual(res.json(), { me: true });
  });

  test('replyWithError surfaces as the typed error a real failure gives, and the retry layer retries it', async () => {
    const mock = new MockAgent();
    mock.get(API).intercept({ path: /\/flaky/ }).times(2).replyWithError('ECONNRESET');
    mock.get(API).intercept({ path: '/flaky' }).reply(200, 'finally');
    const res = await mocked(mock, { retry: { limit: 3, backoff: () => 0 } }).get(`${API}/flaky`);
    assert.equal(res.text(), 'finally');
    assert.equal(res.retries, 2);

    mock.get(API).intercept({ path: '/refused' }).replyWithError('ECONNREFUSED');
    const err = await rejection(mocked(mock).get(`${API}/refused`));
    assert.ok(err instanceof NetworkError);
    assert.equal((err as NetworkError).code, 'ECONNREFUSED');
    assert.match(err.message, /GET https:\/\/api\.test\/refused/);
    mock.get(API).intercept({ path: '/slow-connect' }).replyWithError('ETIMEDOUT');
    assert.ok((await rejection(mocked(mock).get(`${API}/slow-connect`))) instanceof ConnectTimeout);
  });

  test('delay() holds the answer; the request timeout still applies', async () => {
    const mock = new MockAgent();
    mock.get(API).intercept({ path: '/slow' }).delay(40).reply(200, 'late');
    mock.get(API).intercept({ path: '/slower' }).delay(5000).reply(200, 'never');
    const s = mocked(mock);
    const t = performance.now();
    assert.equal((await s.get(`${API}/slow`)).text(), 'late');
    assert.ok(performance.now() - t >= 35);
    assert.ok((await rejection(s.get(`${API}/slower`, { timeout: { total: 50 } }))) instanceof TimeoutError);
  });

  test('stream() gets a StreamResponse of the mocked body', async () => {
    const mock = new MockAgent();
    mock.get(API).intercept({ path: '/lines' }).reply(200, 'a\nb\nc\n');
    const res = await mocked(mock).stream('GET', `${API}/lines`);
    assert.ok(res instanceof StreamResponse);
    const lines: string[] = [];
    for await (const l of res.lines()) lines.push(l);
    assert.deepEqual(lines, ['a', 'b', 'c']);
  });
});

describe('MockAgent: install and net connect', () => {
  test('install() routes every Session and the one-off helpers through the mock; uninstall() undoes it', async () => {
    const mock = new MockAgent().install();
    mock.get(API).intercept({ path: '/global' }).times(2).reply(200, 'mocked');
    assert.equal((await get(`${API}/global`)).text(), 'mocked');
    assert.equal((await session().get(`${API}/global`)).text(), 'mocked');
    mock.uninstall();
    const plain = session({ timeout: { connect: 2000 } });
    // No mock any more: the unresolvable host fails on the network.
    assert.ok((await rejection(plain.get('http://api.test/global'))) instanceof NetworkError);
  });

  test('enableNetConnect lets chosen hosts through to the real network', async () => {
    const srv = await httpServer((_req, res) => res.end('real'));
    cleanups.push(() => srv.close());
    const mock = new MockAgent();
    mock.get(API).intercept({ path: '/x' }).reply(200, 'mocked');
    const s = mocked(mock);
    assert.ok((await rejection(s.get(`${srv.url}/`))) instanceof MockNotMatchedError);
    mock.enableNetConnect('127.0.0.1');
    assert.equal((await s.get(`${srv.url}/`)).text(), 'real');
    assert.equal((await s.post(`${srv.url}/`, { body: (async function* () { yield 'streamed'; })() })).text(), 'real');
    assert.ok((await rejection(s.get('https://elsewhere.test/'))) instanceof MockNotMatchedError);
    mock.disableNetConnect();
    assert.ok((await rejection(s.get(`${srv.url}/`))) instanceof MockNotMatchedError);
  });
});
