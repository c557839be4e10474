/**
 * The WebSocket handshake through a Session's dispatch chain
 * (`Reqivo.websocket()`, src/client/upgrade.ts): the Upgrade is a request
 * that hooks, cookies, interceptors and the proxy setting see, against the
 * `ws` server, a raw node:net server writing the 101 by hand, and a CONNECT proxy.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Interceptor, Reqivo, type SessionOptions, WebSocketError } from '../../src/index.js';
import type { PreparedRequest } from '../../src/core/request.js';
import { Response } from '../../src/client/response.js';
import { Headers } from '../../src/http/headers.js';
import { connectProxy, onCleanup, rawServer, serverFrame, wsServer } from '../websocket/servers.js';

function client(options: SessionOptions = {}): Reqivo {
  const c = new Reqivo({ proxy: false, ...options });
  onCleanup(() => c.close());
  return c;
}

describe('Reqivo.websocket(): the Upgrade goes through the session chain', () => {
  test('an onRequest hook sees the Upgrade (GET, http form of the URL) and its header change is sent; onResponse sees the 101', async () => {
    const peer = await wsServer();
    const c = client();
    const seen: string[] = [];
    c.onRequest((req) => {
      seen.push(`${req.method} ${req.url}`);
      req.headers.set('x-from-hook', 'yes');
    });
    const statuses: number[] = [];
    c.onResponse((res) => void statuses.push(res.status));
    const ws = c.websocket(`${peer.url}/hooked`);
    onCleanup(() => ws.close().catch(() => {}));
    await ws.connect();
    await ws.send('hi');
    assert.equal(await ws.receive(), 'hi');
    assert.deepEqual(seen, [`GET http://127.0.0.1:${peer.port}/hooked`]);
    assert.deepEqual(statuses, [101]);
    assert.equal(peer.requests[0]!['x-from-hook'], 'yes');
    // The handshake's own fields are the WebSocket's, not the session's defaults.
    assert.equal(peer.requests[0]!['accept-encoding'], undefined);
    assert.match(String(peer.requests[0]!['user-agent']), /^reqivo\//);
  });

  test('a user interceptor sees the Upgrade; one that answers it without the network fails the connect with a WebSocketError', async () => {
    const peer = await wsServer();
    const c = client();
    const urls: string[] = [];
    const spy: Interceptor = (next) => (req) => {
      urls.push(req.url);
      return next(req);
    };
    c.use(spy);
    const ws = c.websocket(`${peer.url}/spied`);
    onCleanup(() => ws.close().catch(() => {}));
    await ws.connect();
    assert.deepEqual(urls, [`http://127.0.0.1:${peer.port}/spied`]);

    const fake = client();
    fake.use(() => (req: PreparedRequest) => Promise.resolve(new Response(200, 'OK', '1.1', new Headers(), req.url, Buffer.from('no'), 'GET')));
    const ws2 = fake.websocket(`${peer.url}/faked`);
    await assert.rejects(ws2.connect(), (e: unknown) => e instanceof WebSocketError && /answered with 200 without a connection/.test(e.message));
    assert.equal(peer.requests.length, 1);
  });

  test('auth and session cookies go out on the raw wire; Set-Cookie of the 101 is stored in the jar', async () => {
    const raw = await rawServer(() => {}, { extraHeaders: ['Set-Cookie: from101=yes; Path=/'] });
    const c = client().basicAuth('user', 'pw');
    c.cookies!.set('sid', 'abc', { url: `http://127.0.0.1:${raw.port}/` });
    const ws = c.websocket(`${raw.url}/raw`);
    onCleanup(() => ws.close().catch(() => {}));
    await ws.connect();
    const head = raw.conns[0]!.request;
    assert.match(head, /^GET \/raw HTTP\/1\.1\r\n/);
    assert.match(head, /\r\nauthorization: Basic dXNlcjpwdw==(\r\n|$)/i);
    assert.match(head, /\r\ncookie: sid=abc(\r\n|$)/i);
    assert.equal((head.match(/\r\nsec-websocket-key:/gi) ?? []).length, 1);
    assert.deepEqual(
      c.cookies!.getCookies(`http://127.0.0.1:${raw.port}/`).map((k) => k.name).sort(),
      ['from101', 'sid'],
    );
    raw.conns[0]!.socket.write(serverFrame(1, Buffer.from('after')));
    assert.equal(await ws.receive(), 'after');
    // A reconnect-free second WebSocket carries the cookie the 101 set.
    const ws2 = c.websocket(`${raw.url}/again`);
    onCleanup(() => ws2.close().catch(() => {}));
    await ws2.connect();
    assert.match(raw.conns[1]!.request, /\r\ncookie: sid=abc; from101=yes(\r\n|$)/i);
  });

  test("ws:// goes through the session's HTTP proxy with CONNECT", async () => {
    const peer = await wsServer();
    const proxy = await connectProxy();
    const c = client({ proxy: proxy.url });
    const ws = c.websocket(`${peer.url}/via`);
    onCleanup(() => ws.close().catch(() => {}));
    await ws.connect();
    await ws.send('tunnelled');
    assert.equal(await ws.receive(), 'tunnelled');
    assert.deepEqual(proxy.connects, [`127.0.0.1:${peer.port}`]);
  });

  test('a refused upgrade rejects with a WebSocketError and its onError hook runs; no socket is left', async () => {
    const raw = await rawServer(() => {}, { response: 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n' });
    const c = client();
    const errors: Error[] = [];
    c.onError((e) => void errors.push(e));
    const ws = c.websocket(raw.url);
    ws.on('error', () => {});
    await assert.rejects(ws.connect(), (e: unknown) => e instanceof WebSocketError && /refused the WebSocket upgrade: 403/.test(e.message));
    assert.equal(errors.length, 1);
  });
});

describe('Reqivo.websocket(): failures after the 101', () => {
  test('an onResponse hook that throws fails the connect and the upgraded socket is closed', async () => {
    const peer = await wsServer();
    const c = client();
    c.onResponse(() => {
      throw new Error('no thanks');
    });
    const ws = c.websocket(peer.url);
    ws.on('error', () => {});
    await assert.rejects(ws.connect(), /no thanks/);
    const server = peer.clients[0] ?? (await peer.nextClient());
    await new Promise<void>((resolve) => (server.readyState === server.CLOSED ? resolve() : server.once('close', () => resolve())));
  });
});
