/**
 * The published surface: `import … from 'reqivo'` and 'reqivo/testing'
 * resolve through package.json "exports" (to dist/), and every name of
 * API.md is there, with the error tree as drawn.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

test('every API.md name is exported from reqivo', async () => {
  const m = (await import('reqivo')) as Record<string, unknown>;
  const names = [
    'Session', 'Reqivo', 'Response', 'StreamResponse', 'Headers', 'WebSocket', 'CookieJar',
    'request', 'get', 'head', 'options', 'delete', 'del', 'post', 'put', 'patch', 'stream',
    'ReqivoError', 'RequestError', 'InvalidRequestError', 'NetworkError', 'TlsError', 'TimeoutError', 'ConnectTimeout',
    'ReadTimeout', 'ProtocolError', 'InvalidResponseError', 'LimitExceededError', 'TooManyRedirects', 'RedirectLoopError',
    'HttpStatusError', 'AbortError', 'WebSocketError',
    'MemoryCache', 'SseParser', 'parseLinkHeader',
  ];
  for (const n of names) assert.ok(m[n] !== undefined, `missing export ${n}`);
});

test('the error classes form the tree of API.md, and each name is its class name', async () => {
  const m = await import('reqivo');
  const parent: Array<[new (...a: any[]) => Error, new (...a: any[]) => Error]> = [
    [m.RequestError, m.ReqivoError],
    [m.InvalidRequestError, m.RequestError],
    [m.NetworkError, m.RequestError],
    [m.TlsError, m.NetworkError],
    [m.TimeoutError, m.RequestError],
    [m.ConnectTimeout, m.TimeoutError],
    [m.ReadTimeout, m.TimeoutError],
    [m.ProtocolError, m.RequestError],
    [m.InvalidResponseError, m.ProtocolError],
    [m.LimitExceededError, m.ProtocolError],
    [m.TooManyRedirects, m.RequestError],
    [m.RedirectLoopError, m.RequestError],
    [m.HttpStatusError, m.RequestError],
    [m.AbortError, m.RequestError],
    [m.WebSocketError, m.ReqivoError],
  ];
  for (const [child, base] of parent) {
    assert.equal(Object.getPrototypeOf(child), base, `${child.name} extends ${base.name}`);
  }
  const e = new m.ReadTimeout('slow', { method: 'GET', url: 'http://127.0.0.1/' });
  assert.equal(e.name, 'ReadTimeout');
  assert.equal(e.message, 'GET http://127.0.0.1/: slow');
  assert.ok(e instanceof Error);
});

test('reqivo/testing is exported', async () => {
  const t = await import('reqivo/testing');
  assert.equal(typeof t.startTestServer, 'function');
});
