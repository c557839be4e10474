import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketError } from '../../src/errors.js';
import { WebSocket, type WebSocketOptions } from '../../src/websocket/index.js';
import { onCleanup, rawServer, sleep, waitFor, wsServer } from './servers.js';

function client(url: string, options: WebSocketOptions = {}): WebSocket {
  const ws = new WebSocket(url, { proxy: false, autoReconnect: true, reconnectDelayMs: 20, ...options });
  onCleanup(() => ws.close().catch(() => {}));
  return ws;
}

interface Log {
  events: string[];
}

function watch(ws: WebSocket): Log {
  const log: Log = { events: [] };
  ws.on('open', () => log.events.push('open'));
  ws.on('reconnecting', (attempt, delay) => {
    assert.ok(delay >= 0);
    log.events.push(`reconnecting ${attempt}`);
  });
  ws.on('reconnect', (attempt) => log.events.push(`reconnect ${attempt}`));
  ws.on('close', (code) => log.events.push(`close ${code}`));
  ws.on('error', (e) => log.events.push(`error ${(e as WebSocketError).code}`));
  return log;
}

describe('auto-reconnect', () => {
  test('a dropped connection comes back: events, onReconnect, and a pending receive() resumes on the new connection', async () => {
    const peer = await wsServer();
    const reconnects: number[] = [];
    const ws = client(peer.url, { onReconnect: (n) => void reconnects.push(n) });
    const log = watch(ws);
    const first = peer.nextClient();
    await ws.connect();
    const pending = ws.receive();
    const second = peer.nextClient();
    (await first).terminate();
    const s2 = await second;
    await waitFor(() => ws.readyState === WebSocket.OPEN, 5000, 'reopened');
    s2.send('from the new connection');
    assert.equal(await pending, 'from the new connection');
    assert.deepEqual(log.events, ['open', 'reconnecting 1', 'open', 'reconnect 1']);
    assert.deepEqual(reconnects, [1]);
    await ws.send('echo?');
    assert.equal(await ws.receive(), 'echo?');
  });

  test('send() during the outage waits and goes out after onReconnect finished', async () => {
    const peer = await wsServer();
    const order: string[] = [];
    const ws = client(peer.url, {
      reconnectDelayMs: 50,
      onReconnect: async () => {
        order.push('onReconnect start');
        await ws.send('resubscribe');
        order.push('onReconnect done');
      },
    });
    const first = peer.nextClient();
    await ws.connect();
    (await first).terminate();
    await waitFor(() => ws.readyState === WebSocket.CONNECTING, 5000, 'reconnecting');
    const sent = ws.send('queued during outage').then(() => order.push('queued sent'));
    await sent;
    assert.deepEqual(order, ['onReconnect start', 'onReconnect done', 'queued sent']);
    assert.equal(await ws.receive(), 'resubscribe');
    assert.equal(await ws.receive(), 'queued during outage');
  });

  test('reconnects after a server close with 1001 (going away) and 1012 (restart)', async () => {
    for (const code of [1001, 1012]) {
      const peer = await wsServer();
      const ws = client(peer.url);
      const log = watch(ws);
      const first = peer.nextClient();
      await ws.connect();
      const second = peer.nextClient();
      (await first).close(code, 'restarting');
      await second;
      await waitFor(() => log.events.includes('reconnect 1'), 5000, `reconnect after ${code}`);
      assert.equal(ws.readyState, WebSocket.OPEN);
      await ws.send('ok');
      assert.equal(await ws.receive(), 'ok');
    }
  });

  test('no reconnect after a server close with 1000: the iterator ends', async () => {
    const peer = await wsServer({}, (s) => s.close(1000, 'bye'));
    const ws = client(peer.url);
    const log = watch(ws);
    await ws.connect();
    const got: unknown[] = [];
    for await (const m of ws) got.push(m);
    assert.deepEqual(got, []);
    await waitFor(() => ws.readyState === WebSocket.CLOSED, 5000, 'CLOSED');
    assert.deepEqual(log.events, ['open', 'close 1000']);
    assert.equal(peer.clients.length, 1);
  });

  test('no reconnect after the user closed', async () => {
    const peer = await wsServer();
    const ws = client(peer.url);
    const log = watch(ws);
    await ws.connect();
    await ws.close();
    await sleep(100);
    assert.equal(peer.clients.length, 1);
    assert.deepEqual(log.events, ['open', 'close 1000']);
  });

  test('no reconnect after a protocol violation the client detected', async () => {
    const raw = await rawServer((c) => c.socket.write(Buffer.from([0x83, 0x00])));
    const ws = client(raw.url);
    await ws.connect();
    await assert.rejects(ws.receive(), (e: unknown) => e instanceof WebSocketError && e.code === 1002);
    await waitFor(() => ws.readyState === WebSocket.CLOSED, 5000, 'CLOSED');
    await sleep(100);
    assert.equal(raw.conns.length, 1);
  });

  test('gives up after maxReconnectAttempts: receive() rejects, error and close events', async () => {
    const peer = await wsServer();
    const ws = client(peer.url, { maxReconnectAttempts: 3, reconnectDelayMs: 10, timeout: 500 });
    const log = watch(ws);
    const first = peer.nextClient();
    await ws.connect();
    const pending = ws.receive();
    // Stop accepting, then drop the connection: every attempt is refused.
    peer.wss.close();
    (await first).terminate();
    await assert.rejects(pending, (e: unknown) => e instanceof WebSocketError && e.code === 1006 && /gave up reconnecting after 3 attempts/.test(e.message));
    assert.deepEqual(log.events, ['open', 'reconnecting 1', 'reconnecting 2', 'reconnecting 3', 'error 1006', 'close 1006']);
    assert.equal(ws.readyState, WebSocket.CLOSED);
  });

  test('the backoff grows exponentially (with jitter between half and all of it)', async () => {
    const peer = await wsServer();
    const delays: number[] = [];
    const ws = client(peer.url, { maxReconnectAttempts: 4, reconnectDelayMs: 40, timeout: 500 });
    ws.on('reconnecting', (_a, delay) => delays.push(delay));
    const first = peer.nextClient();
    await ws.connect();
    peer.wss.close();
    (await first).terminate();
    await assert.rejects(ws.receive(), WebSocketError);
    assert.equal(delays.length, 4);
    for (let i = 0; i < 4; i++) {
      const base = 40 * 2 ** i;
      assert.ok(delays[i]! >= base / 2 && delays[i]! <= base, `attempt ${i + 1}: ${delays[i]} ms for base ${base}`);
    }
  });

  test('close() during the backoff stops reconnecting', async () => {
    const peer = await wsServer();
    const ws = client(peer.url, { reconnectDelayMs: 300 });
    const log = watch(ws);
    const first = peer.nextClient();
    await ws.connect();
    (await first).terminate();
    await waitFor(() => log.events.includes('reconnecting 1'), 5000, 'reconnecting');
    await ws.close();
    await sleep(400);
    assert.equal(peer.clients.length, 1);
    assert.equal(ws.readyState, WebSocket.CLOSED);
    assert.deepEqual(log.events, ['open', 'reconnecting 1', 'close 1006']);
  });

  test('connect() called during an outage resolves with the new connection', async () => {
    const peer = await wsServer();
    const ws = client(peer.url, { reconnectDelayMs: 50 });
    const first = peer.nextClient();
    await ws.connect();
    (await first).terminate();
    await waitFor(() => ws.readyState === WebSocket.CONNECTING, 5000, 'reconnecting');
    assert.equal(await ws.connect(), ws);
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.equal(peer.clients.length, 2, 'no second parallel connection');
  });

  test('headers are computed again for each attempt (fresh credentials)', async () => {
    const peer = await wsServer();
    let n = 0;
    const ws = client(peer.url, { headers: () => ({ authorization: `Bearer t${++n}` }) });
    const first = peer.nextClient();
    await ws.connect();
    const second = peer.nextClient();
    (await first).terminate();
    await second;
    assert.deepEqual(
      peer.requests.map((h) => h.authorization),
      ['Bearer t1', 'Bearer t2'],
    );
  });
});
