/**
 * The WebSocket handshake through a Session's dispatch chain
 * (`Reqivo.websocket()`, src/client/upgrade.ts): the Upgrade is a request
 * that hooks, Digest auth, cookies, interceptors, an installed MockAgent and
 * the proxy setting see, against the `ws` server, raw node:net servers
 * writing the 101 (or a 401 Digest challenge, a redirect) by hand, and a
 * CONNECT proxy.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { describe, test } from 'node:test';
import { type Interceptor, Reqivo, type SessionOptions, WebSocketError } from '../../src/index.js';
import type { PreparedRequest } from '../../src/core/request.js';
import { Response } from '../../src/client/response.js';
import { Headers } from '../../src/http/headers.js';
import { MockAgent, MockNotMatchedError } from '../../src/testing/mock-agent.js';
import { acceptKey } from '../../src/websocket/handshake.js';
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

/** Parameters of a `Digest k="v", k=v` value, by name. */
function digestParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of value.replace(/^Digest\s+/i, '').matchAll(/([a-z*]+)=(?:"([^"]*)"|([^,\s]*))/gi)) out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  return out;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/**
 * A raw server demanding Digest (realm "ws", qop=auth, MD5) for user/pw: an
 * Upgrade without valid credentials gets a 401 challenge (always the same
 * nonce), one with them the 101; each connection's request head is kept.
 */
async function digestServer(): Promise<{ url: string; heads: string[] }> {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (d: Buffer) => {
      if (buf.includes('\r\n\r\n')) return;
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      const head = buf.slice(0, buf.indexOf('\r\n\r\n'));
      heads.push(head);
      const auth = /^authorization:\s*(.*)$/im.exec(head)?.[1] ?? null;
      const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? '';
      let valid = false;
      if (auth !== null && /^Digest /i.test(auth)) {
        const p = digestParams(auth);
        const ha1 = md5(`${p['username']}:ws:pw`);
        const ha2 = md5(`GET:${p['uri']}`);
        valid = p['username'] === 'user' && p['nonce'] === 'n0nce' && p['response'] === md5(`${ha1}:n0nce:${p['nc']}:${p['cnonce']}:auth:${ha2}`);
      }
      if (valid) {
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`, 'latin1');
        socket.write(serverFrame(1, Buffer.from('welcome')));
      } else {
        socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="ws", qop="auth", nonce="n0nce", opaque="op"\r\nContent-Length: 6\r\n\r\ndenied', 'latin1');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}`, heads };
}

describe('Reqivo.websocket(): Digest auth, redirects and MockAgent', () => {
  test('a 401 Digest challenge to the Upgrade is answered once with credentials; the 101 then opens the WebSocket', async () => {
    const srv = await digestServer();
    const c = client().digestAuth('user', 'pw');
    const statuses: number[] = [];
    c.onResponse((res) => void statuses.push(res.status));
    const ws = c.websocket(`${srv.url}/chat?room=1`);
    onCleanup(() => ws.close().catch(() => {}));
    await ws.connect();
    assert.equal(await ws.receive(), 'welcome');
    assert.equal(srv.heads.length, 2);
    assert.doesNotMatch(srv.heads[0]!, /\r\nauthorization:/i);
    const auth = digestParams(/\r\nauthorization:\s*(.*)/i.exec(srv.heads[1]!)![1]!);
    assert.equal(auth['uri'], '/chat?room=1');
    assert.equal(auth['opaque'], 'op');
    // Each connection has its own Sec-WebSocket-Key (RFC 6455 §4.1).
    const keyOf = (h: string): string | undefined => /\r\nsec-websocket-key:\s*(\S+)/i.exec(h)?.[1];
    assert.notEqual(keyOf(srv.heads[0]!), keyOf(srv.heads[1]!));
    // One final response: the hooks see the 101, not the challenge the Digest layer answered.
    assert.deepEqual(statuses, [101]);
  });

  test('refused credentials: the second 401 fails the connect with a WebSocketError (no third attempt)', async () => {
    const srv = await digestServer();
    const c = client().digestAuth('user', 'wrong');
    const ws = c.websocket(srv.url);
    ws.on('error', () => {});
    await assert.rejects(ws.connect(), (e: unknown) => e instanceof WebSocketError && /refused the WebSocket upgrade: 401 Unauthorized/.test(e.message));
    assert.equal(srv.heads.length, 2);
    // Without Digest credentials the challenge is not answered at all.
    const plain = client();
    const ws2 = plain.websocket(srv.url);
    ws2.on('error', () => {});
    await assert.rejects(ws2.connect(), (e: unknown) => e instanceof WebSocketError && /401/.test(e.message));
    assert.equal(srv.heads.length, 3);
  });

  test('a redirect is not followed even with followRedirects (the default): the WebSocketError names the Location', async () => {
    const raw = await rawServer(() => {}, { response: 'HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:1/moved\r\nContent-Length: 0\r\n\r\n' });
    const c = client({ followRedirects: true });
    const statuses: number[] = [];
    c.onResponse((res) => void statuses.push(res.status));
    const ws = c.websocket(`${raw.url}/old`);
    ws.on('error', () => {});
    await assert.rejects(
      ws.connect(),
      (e: unknown) => e instanceof WebSocketError && /redirect \(302 Found to ws:\/\/127\.0\.0\.1:1\/moved\); redirects are not followed/.test(e.message),
    );
    assert.deepEqual(statuses, [302]);
  });

  test('an installed MockAgent refuses the handshake with MockNotMatchedError (no connection); enableNetConnect lets it through', async () => {
    const peer = await wsServer();
    const mock = new MockAgent();
    mock.get(peer.url.replace(/^ws/, 'http')).intercept({ path: '/mocked' }).reply(101, '');
    mock.install();
    onCleanup(() => void mock.uninstall());
    const c = client();
    const ws = c.websocket(`${peer.url}/mocked`);
    ws.on('error', () => {});
    await assert.rejects(
      ws.connect(),
      (e: unknown) => e instanceof MockNotMatchedError && e.message.includes(`${peer.url}/mocked`) && /does not mock WebSocket/.test(e.message) && /enableNetConnect\("127\.0\.0\.1:\d+"\)/.test(e.message),
    );
    assert.equal(peer.requests.length, 0);
    // The same MockAgent as a session interceptor behaves alike.
    mock.uninstall();
    const viaOption = client({ interceptors: [mock.interceptor] });
    const ws2 = viaOption.websocket(`${peer.url}/mocked`);
    ws2.on('error', () => {});
    await assert.rejects(ws2.connect(), (e: unknown) => e instanceof MockNotMatchedError);
    assert.equal(peer.requests.length, 0);
    mock.install();
    mock.enableNetConnect('127.0.0.1');
    const ws3 = c.websocket(`${peer.url}/real`);
    onCleanup(() => ws3.close().catch(() => {}));
    await ws3.connect();
    await ws3.send('through');
    assert.equal(await ws3.receive(), 'through');
    assert.equal(peer.requests.length, 1);
  });
});
