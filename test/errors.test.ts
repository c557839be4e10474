/**
 * No error carries URL credentials: not in its message, its stack, its
 * `url` or any other property, nor anywhere down its `cause` chain (a
 * TypeError from `new URL` holds the whole input in `.input`) — issue 9
 * item 7. The password used everywhere holds an `@`, the case that
 * defeats a naive `//[^@]*@` scrub.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { CookieJar } from '../src/client/cookies.js';
import { nextHop } from '../src/layers/redirect.js';
import { InvalidRequestError, NetworkError, RedirectLoopError, ReqivoError, redactUrl, TooManyRedirects, WebSocketError } from '../src/errors.js';
import { ProxyError, parseProxyUrl, proxyFor } from '../src/transport/proxy.js';
import { WebSocket } from '../src/websocket/client.js';
import { useSessions } from './helpers/sessions.js';
import { httpServer, tcpServer } from './helpers/servers.js';

const { cleanups, session } = useSessions();

/** Pieces of the password `s3cr@t-pw`, raw and percent-encoded: none may appear. */
const SECRETS = ['s3cr', 't-pw'];
const PW = 's3cr@t-pw';

/** Every string an error exposes: message, stack, own string properties, down the cause chain. */
function exposed(err: unknown): string[] {
  const out: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 10 && e !== null && typeof e === 'object'; depth++) {
    for (const key of Object.getOwnPropertyNames(e)) {
      const v = (e as Record<string, unknown>)[key];
      if (typeof v === 'string') out.push(`${key}=${v}`);
    }
    if (e instanceof Error) out.push(`message=${e.message}`);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

function assertClean(err: unknown): true {
  assert.ok(err instanceof ReqivoError, `a ReqivoError: ${String(err)}`);
  for (const s of exposed(err)) {
    for (const secret of SECRETS) assert.ok(!s.includes(secret), `leaks ${secret}: ${s}`);
  }
  return true;
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('redactUrl', () => {
  test('removes userinfo up to the last @ of the authority, parseable or not', () => {
    assert.equal(redactUrl(`http://user:${PW}@h.test/x`), 'http://h.test/x');
    assert.equal(redactUrl(`http://user:${PW}@h.test:99999/x`), 'http://***@h.test:99999/x');
    assert.equal(redactUrl(`  http://u:a@b@c@[bad/x@y`), '  http://***@y');
    assert.equal(redactUrl('http://h.test/a@b'), 'http://h.test/a@b');
    assert.equal(redactUrl('not a url'), 'not a url');
    // Without `//`, `user:pw@host` parses as an opaque URL with no userinfo: still redacted, username too.
    assert.equal(redactUrl(`user:${PW}@h.test:3128`), '***@h.test:3128');
    assert.equal(redactUrl(`http:/user:${PW}@h.test:99999`), '***@h.test:99999');
  });
});

describe('no credentials in errors', () => {
  test('an invalid URL whose password holds @', async () => {
    const s = session();
    await assert.rejects(s.get(`http://user:${PW}@127.0.0.1:99999/x`), (e: unknown) => e instanceof InvalidRequestError && assertClean(e));
    await assert.rejects(s.get(`http://user:${PW}@[::1/x`), (e: unknown) => e instanceof InvalidRequestError && assertClean(e));
  });

  test('a baseUrl with credentials: invalid baseUrl, invalid input against it', async () => {
    assert.throws(() => session({ baseUrl: `http://user:${PW}@127.0.0.1:99999/` }), (e: unknown) => e instanceof InvalidRequestError && assertClean(e));
    const s = session({ baseUrl: `http://user:${PW}@127.0.0.1:1/api/` });
    await assert.rejects(s.get('http://[bad/x'), (e: unknown) => e instanceof InvalidRequestError && assertClean(e));
    await assert.rejects(s.get('../x'), (e: unknown) => e instanceof InvalidRequestError && assertClean(e));
  });

  test('a network error for a URL with credentials', async () => {
    const port = await closedPort();
    await assert.rejects(session().get(`http://user:${PW}@127.0.0.1:${port}/x`), (e: unknown) => e instanceof NetworkError && assertClean(e));
  });

  test('RedirectLoopError and TooManyRedirects', async () => {
    const srv = await httpServer((req, res) => {
      if (req.url === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else res.writeHead(302, { location: `http://user:${encodeURIComponent(PW)}@127.0.0.1:${srv.port}/n${req.url}` }).end();
    });
    cleanups.push(() => srv.close());
    const s = session();
    await assert.rejects(s.get(`http://user:${encodeURIComponent(PW)}@127.0.0.1:${srv.port}/loop`), (e: unknown) => e instanceof RedirectLoopError && assertClean(e));
    await assert.rejects(s.get(`${srv.url}/more`, { maxRedirects: 2 }), (e: unknown) => e instanceof TooManyRedirects && assertClean(e));
  });

  test('redirects to an invalid Location or from https to http', () => {
    const from = new URL('https://a.test/');
    assert.throws(() => nextHop(from, 'GET', 302, `http://user:${PW}@b.test:99999/`, false), (e: unknown) => assertClean(e));
    assert.throws(() => nextHop(from, 'GET', 302, `http://user:${encodeURIComponent(PW)}@b.test/`, false), (e: unknown) => assertClean(e));
  });

  test('proxy URLs with credentials: invalid, from the environment, refused by the proxy', async () => {
    assert.throws(() => parseProxyUrl(`http://user:${PW}@p.test:99999`), (e: unknown) => assertClean(e));
    assert.throws(() => parseProxyUrl(`user:${PW}@p.test:99999`), (e: unknown) => assertClean(e));
    assert.throws(() => session({ proxy: `http://user:${PW}@p.test:99999` }), (e: unknown) => assertClean(e));
    assert.throws(() => proxyFor('http://a.test/', { http_proxy: `http://user:${PW}@p.test:99999` }), (e: unknown) => assertClean(e));
    const proxy = await tcpServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n'));
    });
    cleanups.push(() => proxy.close());
    const s = session({ proxy: `http://user:${encodeURIComponent(PW)}@127.0.0.1:${proxy.port}` });
    await assert.rejects(s.get(`https://user:${encodeURIComponent(PW)}@127.0.0.1:1/x`), (e: unknown) => e instanceof ProxyError && assertClean(e));
  });

  test('WebSocket URLs with credentials: invalid, or the connection fails', async () => {
    assert.throws(() => new WebSocket(`ws://user:${PW}@127.0.0.1:99999/`), (e: unknown) => e instanceof WebSocketError && assertClean(e));
    const port = await closedPort();
    const ws = new WebSocket(`ws://user:${encodeURIComponent(PW)}@127.0.0.1:${port}/`, { proxy: false });
    assert.ok(!ws.url.includes('s3cr'), ws.url);
    await assert.rejects(ws.connect(), (e: unknown) => assertClean(e));
  });

  test('the cookie jar, given an invalid URL', () => {
    const jar = new CookieJar();
    assert.throws(() => jar.getCookieHeader(`http://user:${PW}@h.test:99999/`), (e: unknown) => assertClean(e));
  });

});
