import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { ReqivoError, WebSocketError } from '../../src/errors.js';
import { WebSocket, type WebSocketOptions } from '../../src/websocket/index.js';
import { onCleanup, rawServer, sleep, waitFor, wsServer } from './servers.js';

async function open(url: string, options: WebSocketOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { proxy: false, ...options });
  onCleanup(() => ws.close().catch(() => {}));
  await ws.connect();
  return ws;
}

describe('WebSocket edge cases', () => {
  test('a burst of sends in one tick goes out in order (batched writes past the socket high-water mark)', async () => {
    const peer = await wsServer();
    const ws = await open(peer.url, { perMessageDeflate: false });
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < 300; i++) {
      const b = Buffer.alloc(1024, i & 0xff);
      b.writeUInt16BE(i, 0);
      sends.push(ws.send(b));
    }
    await Promise.all(sends);
    for (let i = 0; i < 300; i++) assert.equal(((await ws.receive()) as Buffer).readUInt16BE(0), i);
  });

  test('thousands of queued messages are read in order (queue compaction)', async () => {
    const n = 3000;
    const peer = await wsServer({}, (s) => {
      for (let i = 0; i < n; i++) s.send(String(i));
    });
    const ws = await open(peer.url);
    await waitFor(() => ws.queuedMessages === n, 10_000, 'all messages queued');
    for (let i = 0; i < n; i++) assert.equal(await ws.receive(), String(i));
    assert.equal(ws.queuedMessages, 0);
  });

  test('the iterator waits for messages that arrive later', async () => {
    const peer = await wsServer({}, (s) => {
      setTimeout(() => s.send('late 1'), 30);
      setTimeout(() => s.send('late 2'), 60);
      setTimeout(() => s.close(1001, 'going away'), 90);
    });
    const ws = await open(peer.url);
    const got: unknown[] = [];
    for await (const m of ws) got.push(m);
    assert.deepEqual(got, ['late 1', 'late 2']);
    assert.equal(ws.closeCode, 1001);
  });

  test('a drop rejects pending pings and sends waiting for drain', async () => {
    const raw = await rawServer((c) => c.socket.pause());
    const ws = await open(raw.url, { perMessageDeflate: false });
    const ping = ws.ping('p');
    let waiting: Promise<void> | null = null;
    for (let i = 0; i < 200 && waiting === null; i++) {
      const p = ws.send(Buffer.alloc(512 * 1024));
      let done = false;
      p.then(
        () => {
          done = true;
        },
        () => {},
      );
      await sleep(1);
      if (!done) waiting = p;
    }
    assert.ok(waiting !== null, 'a send waits for drain');
    raw.conns[0]!.socket.destroy();
    await assert.rejects(waiting, (e: unknown) => e instanceof WebSocketError && e.code === 1006);
    await assert.rejects(ping, (e: unknown) => e instanceof WebSocketError && e.code === 1006);
  });

  test('compressions in flight when the connection drops are rejected, not lost silently', async () => {
    const raw = await rawServer((c) => c.socket.once('data', () => c.socket.destroy()), { extraHeaders: ['Sec-WebSocket-Extensions: permessage-deflate'] });
    const ws = await open(raw.url, { perMessageDeflate: { threshold: 0 } });
    const big = 'compress me '.repeat(200_000);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => ws.send(big)));
    const rejected = results.filter((r) => r.status === 'rejected');
    assert.ok(rejected.length > 0, 'some sends were rejected');
    for (const r of rejected) assert.ok((r as PromiseRejectedResult).reason instanceof WebSocketError);
  });

  test('an onReconnect hook that fails is reported as an error; sends still resume', async () => {
    const peer = await wsServer();
    const errors: string[] = [];
    const ws = new WebSocket(peer.url, {
      proxy: false,
      autoReconnect: true,
      reconnectDelayMs: 10,
      onReconnect: () => {
        throw new Error('hook broke');
      },
    });
    onCleanup(() => ws.close().catch(() => {}));
    ws.on('error', (e) => errors.push(e.message));
    const first = peer.nextClient();
    await ws.connect();
    (await first).terminate();
    await waitFor(() => ws.readyState === WebSocket.CONNECTING, 5000, 'reconnecting');
    await ws.send('after');
    assert.equal(await ws.receive(), 'after');
    assert.deepEqual(errors, ['hook broke']);

    const ws2 = new WebSocket(peer.url, { proxy: false, autoReconnect: true, reconnectDelayMs: 10, onReconnect: () => Promise.reject(new Error('async hook broke')) });
    onCleanup(() => ws2.close().catch(() => {}));
    const errors2: string[] = [];
    ws2.on('error', (e) => errors2.push(e.message));
    const next = peer.nextClient();
    await ws2.connect();
    (await next).terminate();
    await waitFor(() => ws2.readyState === WebSocket.CONNECTING, 5000, 'reconnecting');
    await ws2.send('after 2');
    assert.equal(await ws2.receive(), 'after 2');
    assert.deepEqual(errors2, ['async hook broke']);
  });

  test('an already aborted signal: connect() rejects at once', async () => {
    const ac = new AbortController();
    ac.abort();
    const ws = new WebSocket('ws://127.0.0.1:9/', { proxy: false, signal: ac.signal });
    await assert.rejects(ws.connect(), (e: unknown) => e instanceof ReqivoError && e.name === 'AbortError');
    assert.equal(ws.readyState, WebSocket.CLOSED);
    await assert.rejects(ws.receive(), (e: unknown) => e instanceof ReqivoError && e.name === 'AbortError');
  });

  test('a signal that never fires is released after a normal close', async () => {
    const peer = await wsServer();
    const ac = new AbortController();
    const ws = await open(peer.url, { signal: ac.signal });
    assert.equal(getEventListeners(ac.signal, 'abort').length, 1, 'listening while open');
    await ws.close();
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0, 'the listener is removed at close');
    ac.abort(); // after the close: no effect
    assert.equal(ws.closeCode, 1000);
  });

  test('on/once/off', async () => {
    const peer = await wsServer({}, (s) => {
      s.send('a');
      s.send('b');
    });
    const ws = new WebSocket(peer.url, { proxy: false });
    onCleanup(() => ws.close().catch(() => {}));
    const seen: string[] = [];
    const l = (m: unknown): void => void seen.push(`on:${m}`);
    ws.on('message', l);
    ws.once('message', (m) => seen.push(`once:${m}`));
    const removed = (m: unknown): void => void seen.push(`removed:${m}`);
    ws.once('message', removed);
    ws.off('message', removed);
    await ws.connect();
    await waitFor(() => seen.length >= 3, 5000, 'messages');
    assert.deepEqual(seen, ['on:a', 'once:a', 'on:b']);
    ws.off('message', l);
    assert.throws(() => ws.on('nope' as 'open', () => {}), /unknown WebSocket event/);
  });
});
