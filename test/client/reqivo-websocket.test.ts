/**
 * Reqivo.websocket(): the WebSocket carries the session's identity —
 * default headers, cookies (and handshake Set-Cookie stored back), auth —
 * against the independent `ws` server.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { InvalidRequestError, Reqivo } from '../../src/index.js';

test('a facade WebSocket sends the session cookies, auth and headers, and stores handshake cookies', async () => {
  const seen: IncomingMessage[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('headers', (headers, req) => {
    seen.push(req);
    headers.push('Set-Cookie: ws_session=fromhandshake; Path=/');
  });
  wss.on('connection', (sock) => sock.on('message', (data, isBinary) => sock.send(data, { binary: isBinary })));
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as AddressInfo).port;
  const client = new Reqivo({ baseUrl: `http://127.0.0.1:${port}/api/`, headers: { 'x-app': 'demo' } }).bearerToken('tok');
  client.session.cookies!.set('pref', 'dark', { url: `http://127.0.0.1:${port}/` });
  const ws = client.websocket('echo', { headers: { 'x-extra': '1' } });
  try {
    await ws.connect();
    await ws.send('hi');
    assert.equal(await ws.receive(), 'hi');
    await ws.close(1000, 'done');
    const req = seen[0]!;
    assert.equal(req.url, '/api/echo');
    assert.equal(req.headers.authorization, 'Bearer tok');
    assert.equal(req.headers.cookie, 'pref=dark');
    assert.equal(req.headers['x-app'], 'demo');
    assert.equal(req.headers['x-extra'], '1');
    const names = client.session.cookies!.getCookies(`http://127.0.0.1:${port}/`).map((c) => c.name).sort();
    assert.deepEqual(names, ['pref', 'ws_session']);
  } finally {
    await client.close();
    await new Promise<void>((r) => wss.close(() => r()));
  }
});

test('a relative WebSocket URL cannot leave the origin of baseUrl (and take the auth along); an absolute one can', async () => {
  const client = new Reqivo({ baseUrl: 'http://127.0.0.1:1/api/' }).bearerToken('tok');
  try {
    for (const input of ['//127.0.0.1:2/x', '/\\127.0.0.1:2/x', '\\\\127.0.0.1:2/x', '/\t/127.0.0.1:2/x', 'ws:127.0.0.1:2/x', 'http:127.0.0.1:2/x']) {
      assert.throws(() => client.websocket(input), (e: unknown) => e instanceof InvalidRequestError, JSON.stringify(input));
    }
    assert.equal(client.websocket('ws://127.0.0.1:2/x').url, 'ws://127.0.0.1:2/x');
    assert.equal(client.websocket('/top').url, 'ws://127.0.0.1:1/top');
  } finally {
    await client.close();
  }
});
