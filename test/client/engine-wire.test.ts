/**
 * The request as it appears on the wire, captured byte-exact by a raw
 * server: Host, header merging, framing headers, body content types, query
 * strings and baseUrl joining.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { captureServer, countHeader, headerOf } from '../helpers/servers.js';
import { useHarness } from '../helpers/engine.js';

const h = useHarness();

async function capture() {
  return h.server(await captureServer());
}

describe('request head on the wire', () => {
  test('request line and Host with the port', async () => {
    const srv = await capture();
    const s = h.session();
    await s.get(`${srv.url}/a/b?c=d`);
    const req = srv.requests[0]!;
    assert.equal(req.line, 'GET /a/b?c=d HTTP/1.1');
    assert.equal(req.headers[0]![0], 'Host', 'Host comes first');
    assert.equal(headerOf(req, 'host'), `127.0.0.1:${srv.port}`);
    assert.equal(countHeader(req, 'host'), 1);
  });

  test('default headers are sent and the connection is kept alive (no Connection: close)', async () => {
    const srv = await capture();
    const s = h.session();
    await s.get(`${srv.url}/`);
    const req = srv.requests[0]!;
    assert.match(headerOf(req, 'user-agent')!, /^reqivo\//);
    assert.equal(headerOf(req, 'accept'), '*/*');
    assert.equal(headerOf(req, 'connection'), null);
  });

  test('header names differing only in case produce one line; the request wins over the session', async () => {
    const srv = await capture();
    const s = h.session({ headers: { 'User-Agent': 'session-ua', 'X-Team': 'session', accept: 'text/html' } });
    await s.get(`${srv.url}/`, { headers: { 'user-agent': 'request-ua', 'x-TEAM': 'request', HOST: 'example.test' } });
    const req = srv.requests[0]!;
    assert.equal(countHeader(req, 'user-agent'), 1);
    assert.equal(headerOf(req, 'user-agent'), 'request-ua');
    assert.equal(countHeader(req, 'x-team'), 1);
    assert.equal(headerOf(req, 'x-team'), 'request');
    assert.equal(headerOf(req, 'accept'), 'text/html');
    assert.equal(countHeader(req, 'host'), 1);
    assert.equal(headerOf(req, 'host'), 'example.test', 'an explicit Host header replaces the URL host');
  });

  test('repeated request headers (arrays) are kept as separate lines, in order', async () => {
    const srv = await capture();
    const s = h.session();
    await s.get(`${srv.url}/`, { headers: { 'x-multi': ['one', 'two'] } });
    const req = srv.requests[0]!;
    assert.deepEqual(
      req.headers.filter(([n]) => n === 'x-multi').map(([, v]) => v),
      ['one', 'two'],
    );
  });

  test('user-supplied Content-Length or Transfer-Encoding never duplicate the framing', async () => {
    const srv = await capture();
    const s = h.session();
    await s.post(`${srv.url}/`, { body: 'abc', headers: { 'Content-Length': '999', 'transfer-encoding': 'chunked' } });
    const req = srv.requests[0]!;
    assert.equal(countHeader(req, 'content-length'), 1);
    assert.equal(headerOf(req, 'content-length'), '3');
    assert.equal(countHeader(req, 'transfer-encoding'), 0);
    assert.equal(req.body.toString(), 'abc');
  });

  test('a bodiless GET, HEAD, DELETE, OPTIONS send no framing headers', async () => {
    const srv = await capture();
    const s = h.session({ baseUrl: srv.url });
    await s.get('/');
    await s.delete('/');
    await s.options('/');
    for (const req of srv.requests) {
      assert.equal(headerOf(req, 'content-length'), null, req.line);
      assert.equal(headerOf(req, 'transfer-encoding'), null, req.line);
    }
  });

  test('POST, PUT and PATCH without a body send Content-Length: 0', async () => {
    const srv = await capture();
    const s = h.session({ baseUrl: srv.url });
    await s.post('/');
    await s.put('/');
    await s.patch('/');
    assert.deepEqual(
      srv.requests.map((r) => [r.line.split(' ')[0], headerOf(r, 'content-length'), headerOf(r, 'transfer-encoding')]),
      [
        ['POST', '0', null],
        ['PUT', '0', null],
        ['PATCH', '0', null],
      ],
    );
    assert.equal(srv.accepted, 1);
  });

  test('json, form, URLSearchParams, string, Uint8Array, ArrayBuffer bodies: content type and length', async () => {
    const srv = await capture();
    const s = h.session({ baseUrl: srv.url });
    await s.post('/json', { json: { a: 'é', b: [1, 2] } });
    await s.post('/form', { form: { q: 'a b', tags: ['x', 'y'], n: 1 } });
    await s.post('/usp', { body: new URLSearchParams({ k: 'v&w' }) });
    await s.post('/str', { body: 'héllo' });
    await s.post('/u8', { body: new Uint8Array([1, 2, 3]) });
    await s.post('/ab', { body: new Uint8Array([4, 5]).buffer });
    await s.post('/own-type', { json: [1], headers: { 'Content-Type': 'application/vnd.api+json' } });
    const byPath = new Map(srv.requests.map((r) => [r.line.split(' ')[1], r]));
    const check = (path: string, type: string | null, body: string | Buffer): void => {
      const r = byPath.get(path)!;
      assert.equal(headerOf(r, 'content-type'), type, path);
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      assert.equal(headerOf(r, 'content-length'), String(bytes.length), path);
      assert.deepEqual(r.body, bytes, path);
      assert.equal(r.chunked, false);
    };
    check('/json', 'application/json', '{"a":"é","b":[1,2]}');
    check('/form', 'application/x-www-form-urlencoded', 'q=a+b&tags=x&tags=y&n=1');
    check('/usp', 'application/x-www-form-urlencoded;charset=UTF-8', 'k=v%26w');
    check('/str', 'text/plain;charset=UTF-8', 'héllo');
    check('/u8', null, Buffer.from([1, 2, 3]));
    check('/ab', null, Buffer.from([4, 5]));
    check('/own-type', 'application/vnd.api+json', '[1]');
    assert.equal(countHeader(byPath.get('/own-type')!, 'content-type'), 1);
  });

  test('a large body (over the coalescing size) is sent whole with Content-Length', async () => {
    const srv = await capture();
    const s = h.session();
    const body = Buffer.alloc(100_000, 0x5a);
    await s.post(`${srv.url}/big`, { body });
    const r = srv.requests[0]!;
    assert.equal(headerOf(r, 'content-length'), '100000');
    assert.deepEqual(r.body, body);
  });

  test('query: appended to an existing query, arrays repeat, null/undefined skipped, encoded', async () => {
    const srv = await capture();
    const s = h.session();
    await s.get(`${srv.url}/p?x=1`, { query: { a: [1, 2], b: 'c d&e', skip: undefined, none: null, t: true } });
    await s.get(`${srv.url}/p`, { query: new URLSearchParams([['k', 'v'], ['k', 'w']]) });
    assert.equal(srv.requests[0]!.line, 'GET /p?x=1&a=1&a=2&b=c+d%26e&t=true HTTP/1.1');
    assert.equal(srv.requests[1]!.line, 'GET /p?k=v&k=w HTTP/1.1');
  });

  test('a fragment is never sent', async () => {
    const srv = await capture();
    const s = h.session();
    await s.get(`${srv.url}/page#section`);
    assert.equal(srv.requests[0]!.line, 'GET /page HTTP/1.1');
  });

  test('baseUrl joining: relative paths are appended to the base path; absolute URLs win', async () => {
    const srv = await capture();
    const other = await capture();
    const s = h.session({ baseUrl: `${srv.url}/api/v1` });
    await s.get('users');
    await s.get('/users/1');
    await s.get('');
    await s.get(`${other.url}/elsewhere`);
    const slash = h.session({ baseUrl: `${srv.url}/api/v2/` });
    await slash.get('items?x=1');
    assert.deepEqual(
      srv.requests.map((r) => r.line),
      ['GET /api/v1/users HTTP/1.1', 'GET /api/v1/users/1 HTTP/1.1', 'GET /api/v1/ HTTP/1.1', 'GET /api/v2/items?x=1 HTTP/1.1'],
    );
    assert.equal(other.requests[0]!.line, 'GET /elsewhere HTTP/1.1');
  });

  test('a URL object is accepted, and the method is upper-cased', async () => {
    const srv = await capture();
    const s = h.session();
    await s.request('get', new URL(`${srv.url}/u`));
    assert.equal(srv.requests[0]!.line, 'GET /u HTTP/1.1');
  });

  test('credentials in the URL become Basic auth and are not sent in the request line', async () => {
    const srv = await capture();
    const s = h.session();
    const res = await s.get(`http://us%40er:p%3Ass@127.0.0.1:${srv.port}/private`);
    const r = srv.requests[0]!;
    assert.equal(r.line, 'GET /private HTTP/1.1');
    assert.equal(headerOf(r, 'host'), `127.0.0.1:${srv.port}`);
    assert.equal(headerOf(r, 'authorization'), `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
    assert.ok(!res.url.includes('p%3Ass'), 'res.url has no credentials');
  });
});
