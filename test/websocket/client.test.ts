import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { ConnectTimeout, NetworkError, ReqivoError, TlsError, WebSocketError } from '../../src/errors.js';
import { WebSocket, type WebSocketOptions } from '../../src/websocket/index.js';
import { Settings } from '../../src/websocket/options.js';
import { seededBytes } from '../helpers/servers.js';
import { closePayload, connectProxy, hasOpenssl, onCleanup, rawServer, selfSignedCert, serverFrame, sleep, waitFor, wsServer } from './servers.js';

/** A connected client, closed after the test. */
async function open(url: string, options: WebSocketOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { proxy: false, ...options });
  onCleanup(() => ws.close().catch(() => {}));
  await ws.connect();
  return ws;
}

function isWsError(code: number | null, match?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof WebSocketError, `expected a WebSocketError, got ${String(e)}`);
    assert.equal(e.code, code, `close code of: ${e.message}`);
    if (match) assert.match(e.message, match);
    return true;
  };
}

const run = promisify(execFile);

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >>> 8)) & 0xff;
  return b;
}

describe('WebSocket against the ws server: messages', () => {
  test('echo text and binary (Uint8Array, Buffer, ArrayBuffer, DataView), empty messages too', async () => {
    const peer = await wsServer();
    const ws = await open(peer.url);
    assert.equal(ws.readyState, WebSocket.OPEN);
    await ws.send('hello ✓ 😀');
    assert.equal(await ws.receive(), 'hello ✓ 😀');
    await ws.send(new Uint8Array([1, 2, 3]));
    assert.deepEqual(await ws.receive(), Buffer.from([1, 2, 3]));
    await ws.send(new Uint8Array([9, 8, 7, 6]).buffer);
    assert.deepEqual(await ws.receive(), Buffer.from([9, 8, 7, 6]));
    const dv = new DataView(new Uint8Array([0, 5, 6, 0]).buffer, 1, 2);
    await ws.send(dv);
    assert.deepEqual(await ws.receive(), Buffer.from([5, 6]));
    await ws.send('');
    assert.equal(await ws.receive(), '');
    await ws.send(new Uint8Array(0));
    const empty = await ws.receive();
    assert.ok(empty instanceof Uint8Array);
    assert.equal(empty.length, 0);
  });

  test('text stays text and binary stays binary (never guessed from the bytes)', async () => {
    const peer = await wsServer({}, (s) => {
      s.send(Buffer.from('looks like text'), { binary: true });
      s.send('é', { binary: false });
    });
    const ws = await open(peer.url);
    const a = await ws.receive();
    assert.ok(a instanceof Uint8Array);
    assert.equal(Buffer.from(a).toString(), 'looks like text');
    assert.equal(await ws.receive(), 'é');
  });

  test('1 MiB text and binary messages', async () => {
    const peer = await wsServer();
    const ws = await open(peer.url);
    const bin = pattern(2 ** 20);
    await ws.send(bin);
    assert.ok(bin.equals((await ws.receive()) as Buffer));
    const text = 'ab€😀'.repeat(2 ** 18 / 2);
    await ws.send(text);
    assert.equal(await ws.receive(), text);
  });

  test('64 MiB binary message both ways', { timeout: 60_000 }, async () => {
    const peer = await wsServer({ maxPayload: 65 * 2 ** 20 });
    const ws = await open(peer.url, { maxMessageBytes: 65 * 2 ** 20, maxFrameBytes: 65 * 2 ** 20, perMessageDeflate: false });
    const big = pattern(64 * 2 ** 20);
    await ws.send(big);
    const got = (await ws.receive()) as Buffer;
    assert.equal(got.length, big.length);
    assert.ok(big.equals(got));
  });

  test('server-side fragmentation: text cut inside UTF-8 sequences, binary, with pings between fragments', async () => {
    const text = Buffer.from('fragmented ✓ 😀 message');
    const peer = await wsServer({}, (s) => {
      // Cut inside the 3-byte ✓ and the 4-byte 😀.
      s.send(text.subarray(0, 12), { binary: false, fin: false });
      s.ping('mid');
      s.send(text.subarray(12, 18), { binary: false, fin: false });
      s.send(text.subarray(18), { binary: false, fin: true });
      s.send(Buffer.from([1, 2]), { binary: true, fin: false });
      s.send(Buffer.from([]), { binary: true, fin: false });
      s.send(Buffer.from([3]), { binary: true, fin: true });
    });
    const ws = await open(peer.url);
    assert.equal(await ws.receive(), text.toString());
    assert.deepEqual(await ws.receive(), Buffer.from([1, 2, 3]));
  });

  test('server pings are answered with pongs carrying the same data; ping events fire', async () => {
    const peer = await wsServer({}, () => {});
    const ws = new WebSocket(peer.url, { proxy: false });
    onCleanup(() => ws.close().catch(() => {}));
    const pings: string[] = [];
    ws.on('ping', (d) => pings.push(Buffer.from(d).toString()));
    const serverSide = peer.nextClient();
    await ws.connect();
    const s = await serverSide;
    const pong = new Promise<Buffer>((resolve) => s.once('pong', resolve));
    s.ping('are you there');
    assert.equal((await pong).toString(), 'are you there');
    assert.deepEqual(pings, ['are you there']);
  });

  test('a ping flood from a server that does not read: pongs are held back while our buffer is full, and only the latest is sent (bounded memory)', async () => {
    const count = 60_000;
    let server: import('node:net').Socket | null = null;
    const raw = await rawServer((c) => {
      server = c.socket;
      // Never read what the client answers (until the end), and write pings as fast as the client reads them.
      c.socket.pause();
      let i = 0;
      const more = (): void => {
        while (i < count) {
          const payload = Buffer.alloc(125, 0x70);
          payload.writeUInt32BE(i++, 0);
          if (!c.socket.write(serverFrame(9, payload))) {
            c.socket.once('drain', more);
            return;
          }
        }
        c.socket.write(serverFrame(1, 'done'));
      };
      more();
    });
    const ws = await open(raw.url, { perMessageDeflate: false, pingIntervalMs: 0 });
    assert.equal(await ws.receive(), 'done');
    // 60 000 pongs are 7.6 MB: without holding them back, most would sit in the client's socket buffer.
    assert.ok(ws.bufferedAmount < 256 * 1024, `bufferedAmount ${ws.bufferedAmount}`);
    // Once the server reads again, the pong owed goes out last, answering the latest ping.
    server!.resume();
    await waitFor(() => raw.conns[0]!.frames.at(-1)?.payload.readUInt32BE(0) === count - 1, 10_000, 'the last pong');
    const pongs = raw.conns[0]!.frames.filter((f) => f.opcode === 10);
    assert.equal(pongs.length, raw.conns[0]!.frames.length);
    assert.ok(pongs.length < count, `${pongs.length} pongs`);
    for (let k = 1; k < pongs.length; k++) assert.ok(pongs[k]!.payload.readUInt32BE(0) > pongs[k - 1]!.payload.readUInt32BE(0), 'in order');
    await ws.send('still open');
  });

  test('ping() resolves with the round-trip time when the matching pong arrives', async () => {
    const peer = await wsServer();
    const ws = await open(peer.url);
    const rtt = await ws.ping();
    assert.ok(typeof rtt === 'number' && rtt >= 0 && rtt < 5000);
    const [a, b] = await Promise.all([ws.ping('one'), ws.ping(new Uint8Array([2]))]);
    assert.ok(a >= 0 && b >= 0);
    await assert.rejects(ws.ping('x'.repeat(126)), isWsError(null, /126 bytes is too long/));
  });

  test('ping() rejects when no pong comes within timeout', async () => {
    const raw = await rawServer();
    const ws = await open(raw.url, { timeout: 150 });
    const conn = raw.conns[0]!;
    const p = ws.ping('lost');
    await conn.nextFrame(9);
    await assert.rejects(p, isWsError(null, /no pong within 150 ms/));
  });

  test("'message' listeners get every message and messages are then not queued", async () => {
    const peer = await wsServer({}, (s) => {
      for (let i = 0; i < 5; i++) s.send(`m${i}`);
    });
    const ws = new WebSocket(peer.url, { proxy: false });
    onCleanup(() => ws.close().catch(() => {}));
    const got: unknown[] = [];
    const events: string[] = [];
    ws.on('message', (m) => got.push(m));
    ws.on('open', () => events.push('open'));
    ws.once('close', (code) => events.push(`close ${code}`));
    await ws.connect();
    await waitFor(() => got.length === 5, 5000, 'five messages');
    assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.equal(ws.queuedMessages, 0);
    await ws.close();
    assert.deepEqual(events, ['open', 'close 1000']);
  });

  test("a throwing listener does not break the connection; its error goes to 'error' listeners", async () => {
    const peer = await wsServer();
    const ws = new WebSocket(peer.url, { proxy: false });
    onCleanup(() => ws.close().catch(() => {}));
    const thrown: unknown[] = [];
    ws.on('error', (e) => thrown.push(e));
    const seen: unknown[] = [];
    ws.on('message', () => {
      throw new Error('listener bug');
    });
    ws.on('message', (m) => seen.push(m));
    await ws.connect();
    await ws.send('a');
    await ws.send('b');
    await waitFor(() => seen.length === 2 && thrown.length === 2, 5000, 'messages and listener errors');
    assert.equal(ws.readyState, WebSocket.OPEN);
  });

  test('for await iterates messages and ends after a normal close', async () => {
    const peer = await wsServer({}, (s) => {
      s.send('a');
      s.send('b');
      s.send('c');
      s.close(1000, 'done');
    });
    const ws = await open(peer.url);
    const got: unknown[] = [];
    let rounds = 0;
    for await (const m of ws) {
      got.push(m);
      if (++rounds > 10) break;
    }
    assert.deepEqual(got, ['a', 'b', 'c']);
    assert.equal(ws.closeCode, 1000);
    assert.equal(ws.closeReason, 'done');
  });

  test('for await throws a WebSocketError after an error close code', async () => {
    const peer = await wsServer({}, (s) => {
      s.send('only');
      s.close(4001, 'kicked');
    });
    const ws = await open(peer.url);
    const got: unknown[] = [];
    await assert.rejects(async () => {
      for await (const m of ws) got.push(m);
    }, isWsError(4001, /closed \(4001 kicked\)/));
    assert.deepEqual(got, ['only']);
  });

  test('send() on a slow reader waits for drain: backpressure instead of unbounded buffering', async () => {
    const raw = await rawServer((c) => c.socket.pause());
    const ws = await open(raw.url, { perMessageDeflate: false });
    const chunk = Buffer.alloc(256 * 1024, 1);
    let pending: Promise<void> | null = null;
    let sent = 0;
    for (let i = 0; i < 400 && pending === null; i++) {
      const p = ws.send(chunk);
      let done = false;
      void p.then(() => {
        done = true;
      });
      await sleep(0);
      await sleep(0);
      if (!done) pending = p;
      else sent++;
    }
    assert.ok(pending !== null, 'a send() stayed pending while the peer did not read');
    assert.ok(sent < 400);
    assert.ok(ws.bufferedAmount > 0);
    let resolved = false;
    void pending.then(() => {
      resolved = true;
    });
    await sleep(100);
    assert.equal(resolved, false, 'still pending while the peer is paused');
    raw.conns[0]!.socket.resume();
    await pending;
  });

  test('receive side: an unread queue pauses the socket at the high-water mark and resumes when drained', async () => {
    const count = 200;
    const msg = Buffer.alloc(16 * 1024, 7);
    let serverSocket: import('ws').WebSocket | null = null;
    const peer = await wsServer({}, (s) => {
      serverSocket = s;
      for (let i = 0; i < count; i++) {
        const m = Buffer.from(msg);
        m.writeUInt32BE(i, 0);
        s.send(m, { binary: true });
      }
    });
    const ws = await open(peer.url, { receiveHighWaterMark: 64 * 1024, perMessageDeflate: false });
    await waitFor(() => ws.queuedMessages >= 4, 5000, 'queued messages');
    await sleep(200);
    // Held at the mark: the message that crossed it is the last one parsed (bytes already received wait
    // unparsed), so far fewer than all 200 messages were taken off the socket…
    assert.equal(ws.queuedMessages, 4, `queued ${ws.queuedMessages}`);
    // …and the rest waits on the server side.
    assert.ok(serverSocket !== null);
    for (let i = 0; i < count; i++) {
      const m = (await ws.receive()) as Buffer;
      assert.equal(m.readUInt32BE(0), i);
    }
  });
});

describe('WebSocket: reads through the one shared read buffer (onread)', () => {
  /** Message `i` of connection `c`: lengths from 0 to ~9 KB, binary and text, each its own bytes. */
  function message(c: number, i: number): Buffer | string {
    if (i % 7 === 3) return `conn ${c} message ${i} ✓ `.repeat((i % 5) + 1);
    return seededBytes((i * 997 + c * 131) % 9000, c * 10_000 + i);
  }

  test('two connections read at once while neither reader takes anything: every queued message is intact', async () => {
    const count = 300;
    const peer = await rawServer(async (conn) => {
      const c = Number(/[?&]c=(\d+)/.exec(conn.request)?.[1] ?? '0');
      // The first frames go out with the 101; the rest in bursts, so reads of both connections interleave.
      for (let i = 0; i < count; i += 25) {
        const frames: Buffer[] = [];
        for (let j = i; j < i + 25; j++) {
          const m = message(c, j);
          frames.push(serverFrame(typeof m === 'string' ? 1 : 2, m));
        }
        conn.socket.write(Buffer.concat(frames));
        await sleep(2);
      }
    });
    const [a, b] = await Promise.all([open(`${peer.url}/?c=1`, { perMessageDeflate: false }), open(`${peer.url}/?c=2`, { perMessageDeflate: false })]);
    await waitFor(() => a.queuedMessages === count && b.queuedMessages === count, 10_000, 'all messages queued');
    for (const [c, ws] of [[1, a], [2, b]] as const) {
      for (let i = 0; i < count; i++) assert.deepEqual(await ws.receive(), message(c, i), `connection ${c}, message ${i}`);
    }
  });

  test('wss:// (onread on the TLS socket: decrypted bytes) with a plain ws:// beside it: every queued message is intact', { skip: hasOpenssl() ? false : 'openssl CLI not available' }, async () => {
    const count = 200;
    const send = (s: import('ws').WebSocket, c: number): void => {
      for (let i = 0; i < count; i++) {
        const m = message(c, i);
        s.send(m, { binary: typeof m !== 'string' });
      }
    };
    const cert = selfSignedCert();
    const secure = await wsServer({ perMessageDeflate: false }, (s) => send(s, 1), cert);
    const plain = await wsServer({ perMessageDeflate: false }, (s) => send(s, 2));
    const [a, b] = await Promise.all([open(`wss://localhost:${secure.port}/`, { tls: { ca: cert.cert } }), open(plain.url)]);
    await waitFor(() => a.queuedMessages === count && b.queuedMessages === count, 10_000, 'all messages queued');
    for (let i = 0; i < count; i++) {
      assert.deepEqual(await a.receive(), message(1, i), `wss, message ${i}`);
      assert.deepEqual(await b.receive(), message(2, i), `ws, message ${i}`);
    }
  });

  test('compressed messages to two connections at once: every one inflates to what was sent', async () => {
    const count = 150;
    const peer = await wsServer({ perMessageDeflate: { threshold: 0 } }, (s) => {
      const c = s.protocol === 'c2' ? 2 : 1;
      for (let i = 0; i < count; i++) {
        const m = message(c, i);
        s.send(m, { binary: typeof m !== 'string' });
      }
    });
    const [a, b] = await Promise.all([open(peer.url, { protocols: ['c1'] }), open(peer.url, { protocols: ['c2'] })]);
    assert.ok(a.extensions.includes('permessage-deflate'));
    for (let i = 0; i < count; i++) {
      const [x, y] = await Promise.all([a.receive(), b.receive()]);
      assert.deepEqual(x, message(1, i), `connection 1, message ${i}`);
      assert.deepEqual(y, message(2, i), `connection 2, message ${i}`);
    }
  });
});

describe('WebSocket: closing', () => {
  test('client close(code, reason): the server sees them, the handshake completes', async () => {
    const peer = await wsServer();
    const serverSide = peer.nextClient();
    const ws = await open(peer.url);
    const s = await serverSide;
    const seen = new Promise<[number, string]>((resolve) => s.once('close', (code, reason) => resolve([code, reason.toString()])));
    const events: string[] = [];
    ws.on('close', (code, reason) => events.push(`${code} ${reason}`));
    await ws.close(4000, 'bye now');
    assert.deepEqual(await seen, [4000, 'bye now']);
    assert.equal(ws.readyState, WebSocket.CLOSED);
    assert.equal(ws.closeCode, 4000, 'the code the server echoed');
    assert.deepEqual(events, ['4000 bye now']);
    await assert.rejects(ws.receive(), isWsError(4000, /closed/));
    await assert.rejects(ws.send('late'), isWsError(4000, /cannot send: the WebSocket is closed/));
    await ws.close(); // again: a no-op
  });

  test('server-initiated close is echoed; closeCode and closeReason set; receive() rejects with the code', async () => {
    const peer = await wsServer({}, () => {});
    const serverSide = peer.nextClient();
    const ws = await open(peer.url);
    const s = await serverSide;
    const serverSaw = new Promise<number>((resolve) => s.once('close', (code) => resolve(code)));
    const pending = ws.receive();
    s.close(4002, 'server says bye');
    await assert.rejects(pending, isWsError(4002, /4002 server says bye/));
    assert.equal(await serverSaw, 4002, 'the echo carries the same code');
    assert.equal(ws.closeCode, 4002);
    assert.equal(ws.closeReason, 'server says bye');
    await waitFor(() => ws.readyState === WebSocket.CLOSED, 5000, 'CLOSED');
  });

  test('after the close frames crossed, the client waits for the server to close TCP first (RFC 6455 §7.1.1), at most `timeout`', async () => {
    // A server that echoes nothing by itself: the test drives it.
    const raw = await rawServer(() => {}, { ignoreClose: true });
    const ws = await open(raw.url, { timeout: 2000 });
    const c = raw.conns[0]!;
    let clientFin = false;
    c.socket.on('end', () => {
      clientFin = true;
    });
    c.socket.write(serverFrame(8, closePayload(1000, 'done')));
    const echo = await c.nextFrame(8);
    assert.equal(echo.payload.readUInt16BE(0), 1000);
    await sleep(150);
    assert.equal(clientFin, false, 'the client did not close its side first');
    assert.equal(ws.readyState, WebSocket.CLOSING);
    c.socket.end();
    await waitFor(() => ws.readyState === WebSocket.CLOSED, 5000, 'CLOSED');
    assert.equal(ws.closeCode, 1000);
    assert.equal(ws.closeReason, 'done');

    // A server that never closes TCP: the client drops it after `timeout`, and the close stays clean (1000).
    const raw2 = await rawServer(() => {}, { ignoreClose: true });
    const ws2 = await open(raw2.url, { timeout: 200 });
    const closed: number[] = [];
    ws2.on('close', (code) => closed.push(code));
    const started = performance.now();
    raw2.conns[0]!.socket.write(serverFrame(8, closePayload(1000)));
    await raw2.conns[0]!.nextFrame(8);
    await raw2.conns[0]!.closed;
    const waited = performance.now() - started;
    assert.ok(waited >= 150 && waited < 2000, `dropped after ${waited.toFixed(0)} ms`);
    await waitFor(() => ws2.readyState === WebSocket.CLOSED, 5000, 'CLOSED');
    assert.deepEqual(closed, [1000]);
  });

  test('without a timeout, a connection failed by us or closed by the server is closed even if the server never closes TCP', { timeout: 20_000 }, async () => {
    for (const failing of [true, false]) {
      const raw = await rawServer(() => {}, { ignoreClose: true });
      // Not open(): its cleanup (close()) would wait for ever without the fix; the raw server's cleanup drops the socket.
      const ws = new WebSocket(raw.url, { proxy: false, timeout: 0 });
      await ws.connect();
      const c = raw.conns[0]!;
      // A server that keeps its side open after the client's FIN (Node's default would end it).
      c.socket.allowHalfOpen = true;
      const closed: number[] = [];
      ws.on('close', (code) => closed.push(code));
      ws.on('error', () => {});
      // Reserved opcode 3: we fail the connection (1002); or a clean close from the server.
      c.socket.write(failing ? serverFrame(3, 'x') : serverFrame(8, closePayload(1000)));
      await assert.rejects(ws.receive(), isWsError(failing ? 1002 : 1000));
      const frame = await c.nextFrame(8);
      assert.equal(frame.payload.readUInt16BE(0), failing ? 1002 : 1000);
      // RFC 6455 §7.1.7 / §7.1.1: the client closes the connection; without a timeout it must not wait for ever.
      await waitFor(() => ws.readyState === WebSocket.CLOSED, 3000, `CLOSED (${failing ? 'failed' : 'server close'})`);
      await waitFor(() => c.socket.readableEnded, 3000, "the client's FIN");
      assert.deepEqual(closed, [failing ? 1002 : 1000]);
      await ws.close();
    }
  });

  test("after close(), the server's pings are still answered until its close frame arrives (RFC 6455 §5.5.2)", async () => {
    const raw = await rawServer(() => {}, { ignoreClose: true });
    const ws = await open(raw.url, { timeout: 2000 });
    const c = raw.conns[0]!;
    const closing = ws.close(1000);
    await c.nextFrame(8);
    // A server that checks the client is alive before it answers the close.
    c.socket.write(serverFrame(9, 'still there?'));
    const pong = await Promise.race([c.nextFrame(10), sleep(1000).then(() => null)]);
    assert.ok(pong !== null, 'no pong after our close frame');
    assert.equal(pong.payload.toString(), 'still there?');
    c.socket.end(serverFrame(8, closePayload(1000)));
    await closing;
    assert.equal(ws.closeCode, 1000);
    // Once the server's close frame arrived, nothing more is answered.
    assert.deepEqual(
      c.frames.map((f) => f.opcode),
      [8, 10],
    );
  });

  test('messages queued before the close can still be read', async () => {
    const peer = await wsServer({}, (s) => {
      s.send('one');
      s.send('two');
      s.close(1000);
    });
    const ws = await open(peer.url);
    await waitFor(() => ws.readyState === WebSocket.CLOSED, 5000, 'CLOSED');
    assert.equal(await ws.receive(), 'one');
    assert.equal(await ws.receive(), 'two');
    await assert.rejects(ws.receive(), isWsError(1000));
  });

  test('a close frame without a code reports 1005', async () => {
    const raw = await rawServer((c) => c.socket.write(serverFrame(8)));
    const ws = await open(raw.url);
    await assert.rejects(ws.receive(), isWsError(1005));
    assert.equal(ws.closeCode, 1005);
    const echo = await raw.conns[0]!.nextFrame(8);
    assert.equal(echo.payload.length, 0);
  });

  test('close() waits for the peer close frame at most `timeout`, then drops TCP (1006)', async () => {
    const raw = await rawServer(() => {}, { ignoreClose: true });
    const ws = await open(raw.url, { timeout: 200 });
    const t0 = performance.now();
    await ws.close(1000, 'x');
    const took = performance.now() - t0;
    assert.ok(took >= 150 && took < 3000, `took ${took} ms`);
    assert.equal(ws.closeCode, 1006);
    const frame = await raw.conns[0]!.nextFrame(8);
    assert.equal(frame.payload.readUInt16BE(0), 1000);
    assert.equal(frame.payload.subarray(2).toString(), 'x');
  });

  test('close() validates the code and the reason', async () => {
    const peer = await wsServer();
    const ws = await open(peer.url);
    await assert.rejects(ws.close(1006), isWsError(null, /invalid close code 1006/));
    await assert.rejects(ws.close(999), isWsError(null, /invalid close code/));
    await assert.rejects(ws.close(1000, 'x'.repeat(124)), isWsError(null, /too long/));
    assert.equal(ws.readyState, WebSocket.OPEN);
  });

  test('Symbol.asyncDispose closes with 1000', async () => {
    const peer = await wsServer();
    const serverSide = peer.nextClient();
    const ws = await open(peer.url);
    const s = await serverSide;
    const seen = new Promise<number>((resolve) => s.once('close', (code) => resolve(code)));
    await ws[Symbol.asyncDispose]();
    assert.equal(await seen, 1000);
    assert.equal(ws.readyState, WebSocket.CLOSED);
  });

  test('a pending receive() rejects with 1006 when the server drops TCP without a close frame (no autoReconnect)', async () => {
    const peer = await wsServer({}, () => {});
    const serverSide = peer.nextClient();
    const ws = await open(peer.url);
    const errors: Error[] = [];
    ws.on('error', (e) => errors.push(e));
    const pending = ws.receive();
    (await serverSide).terminate();
    await assert.rejects(pending, isWsError(1006, /dropped without a close frame/));
    assert.equal(ws.closeCode, 1006);
    assert.equal(errors.length, 1);
    await waitFor(() => ws.readyState === WebSocket.CLOSED, 5000, 'CLOSED');
    await assert.rejects(ws.send('x'), WebSocketError);
  });

  test('keep-alive pings drop a connection whose peer went silent', async () => {
    const raw = await rawServer();
    const ws = await open(raw.url, { pingIntervalMs: 60 });
    await raw.conns[0]!.nextFrame(9);
    await assert.rejects(ws.receive(), isWsError(1006, /no data and no pong/));
    assert.equal(ws.closeCode, 1006);
  });

  test('keep-alive is on by default (30 s), so a silent peer cannot leave receive() pending forever; 0 turns it off', () => {
    const url = new URL('ws://127.0.0.1:1/');
    assert.equal(new Settings(url, { proxy: false }).pingIntervalMs, 30_000);
    assert.equal(new Settings(url, { proxy: false, pingIntervalMs: 0 }).pingIntervalMs, 0);
  });

  test('keep-alive does not drop a live connection after its own event loop stalled', async () => {
    // The server answers pings 20 ms late: the pong lands while this process is blocked, and both the
    // server's pong timer and the next keep-alive tick are overdue when it unblocks (the pong timer first).
    const raw = await rawServer(() => {}, { pongDelayMs: 20 });
    const ws = await open(raw.url, { pingIntervalMs: 200 });
    await raw.conns[0]!.nextFrame(9);
    const until = Date.now() + 500;
    while (Date.now() < until) {
      // busy: well past the next keep-alive tick
    }
    await sleep(100);
    assert.equal(ws.readyState, WebSocket.OPEN);
    const rtt = await ws.ping('still alive');
    assert.ok(rtt >= 0);
  });

  test('keep-alive does not drop a connection whose reading is paused by an unread queue (the peer is not silent: we are not listening)', async () => {
    const msg = Buffer.alloc(16 * 1024, 7);
    const count = 100;
    const peer = await wsServer({}, (s) => {
      for (let i = 0; i < count; i++) s.send(msg, { binary: true });
    });
    const ws = await open(peer.url, { receiveHighWaterMark: 32 * 1024, perMessageDeflate: false, pingIntervalMs: 50 });
    await waitFor(() => ws.queuedMessages > 1, 5000, 'queued messages');
    // Several keep-alive intervals with the socket paused: the pongs wait unread in the kernel.
    await sleep(400);
    assert.equal(ws.readyState, WebSocket.OPEN);
    for (let i = 0; i < count; i++) assert.equal(((await ws.receive()) as Buffer).length, msg.length);
    assert.ok((await ws.ping('alive')) >= 0);
  });

  test('keep-alive pings answered by the server keep the connection open', async () => {
    const peer = await wsServer();
    const ws = await open(peer.url, { pingIntervalMs: 100 });
    await sleep(550);
    assert.equal(ws.readyState, WebSocket.OPEN);
    await ws.send('still here');
    assert.equal(await ws.receive(), 'still here');
  });
});

describe('WebSocket: violations from the server fail the connection with the right code', () => {
  test('invalid UTF-8 in a text message → 1007, sent to the server and raised from receive()', async () => {
    const raw = await rawServer((c) => c.socket.write(serverFrame(1, Buffer.from([0x68, 0xc3, 0x28]))));
    const ws = new WebSocket(raw.url, { proxy: false });
    onCleanup(() => ws.close().catch(() => {}));
    const errors: unknown[] = [];
    ws.on('error', (e) => errors.push(e));
    await ws.connect();
    await assert.rejects(ws.receive(), isWsError(1007, /not valid UTF-8/));
    const close = await raw.conns[0]!.nextFrame(8);
    assert.equal(close.payload.readUInt16BE(0), 1007);
    assert.equal(ws.closeCode, 1007);
    assert.equal(errors.length, 1);
  });

  test('invalid UTF-8 split across fragments → 1007 (also a message ending mid-sequence)', async () => {
    const raw = await rawServer((c) => {
      c.socket.write(serverFrame(1, Buffer.from([0x61, 0xe2]), false));
      c.socket.write(serverFrame(0, Buffer.from([0x82]), false));
      c.socket.write(serverFrame(0, Buffer.from([0x28]), true));
    });
    const ws = await open(raw.url);
    await assert.rejects(ws.receive(), isWsError(1007));
    const raw2 = await rawServer((c) => {
      c.socket.write(serverFrame(1, Buffer.from([0x61]), false));
      c.socket.write(serverFrame(0, Buffer.from([0xe2, 0x82]), true));
    });
    const ws2 = await open(raw2.url);
    await assert.rejects(ws2.receive(), isWsError(1007, /ends inside a UTF-8 sequence/));
  });

  test('invalid UTF-8 at the start of a text frame still arriving → 1007 at once, before the rest of the frame (fail fast)', async () => {
    const raw = await rawServer((c) => {
      // The head of a 1000-byte text frame and an invalid prefix (a surrogate, ED A0 80); the rest never comes.
      const frame = serverFrame(1, Buffer.concat([Buffer.from('κόσμε', 'utf8'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.alloc(1000, 0x61)]));
      c.socket.write(frame.subarray(0, 4 + 14));
    });
    const ws = await open(raw.url, { perMessageDeflate: false });
    await assert.rejects(ws.receive(), isWsError(1007, /not valid UTF-8/));
    const close = await raw.conns[0]!.nextFrame(8);
    assert.equal(close.payload.readUInt16BE(0), 1007);
  });

  test('invalid UTF-8 in a close reason → 1007', async () => {
    const raw = await rawServer((c) => c.socket.write(serverFrame(8, Buffer.concat([closePayload(1000), Buffer.from([0xff])]))));
    const ws = await open(raw.url);
    await assert.rejects(ws.receive(), isWsError(1007));
  });

  test('a message over maxMessageBytes from the ws server → 1009', async () => {
    const peer = await wsServer({}, (s) => {
      s.send('small');
      s.send('x'.repeat(2000));
    });
    const serverSide = peer.nextClient();
    const ws = await open(peer.url, { maxMessageBytes: 1000, perMessageDeflate: false });
    const s = await serverSide;
    const serverSaw = new Promise<number>((resolve) => s.once('close', (code) => resolve(code)));
    assert.equal(await ws.receive(), 'small');
    await assert.rejects(ws.receive(), isWsError(1009, /exceeds maxMessageBytes \(1000\)/));
    assert.equal(await serverSaw, 1009);
  });

  test('messages of exactly maxMessageBytes pass (whole and fragmented), one byte more → 1009', async () => {
    const peer = await wsServer({}, (s) => {
      s.send(Buffer.alloc(1000, 1), { binary: true });
      for (let i = 0; i < 4; i++) s.send(Buffer.alloc(250, 2), { binary: true, fin: i === 3 });
      s.send(Buffer.alloc(1001, 3), { binary: true });
    });
    const ws = await open(peer.url, { maxMessageBytes: 1000, maxFrameBytes: 1000, perMessageDeflate: false });
    assert.equal(((await ws.receive()) as Buffer).length, 1000);
    assert.ok(Buffer.alloc(1000, 2).equals((await ws.receive()) as Buffer));
    await assert.rejects(ws.receive(), isWsError(1009, /maxFrameBytes \(1000\)/));
  });

  test('a fragmented message over maxMessageBytes → 1009', async () => {
    const peer = await wsServer({}, (s) => {
      for (let i = 0; i < 5; i++) s.send(Buffer.alloc(300), { binary: true, fin: i === 4 });
    });
    const ws = await open(peer.url, { maxMessageBytes: 1000, perMessageDeflate: false });
    await assert.rejects(ws.receive(), isWsError(1009));
  });

  test('a frame over maxFrameBytes → 1009 before its payload arrives', async () => {
    const raw = await rawServer((c) => {
      // Only the header of a 10 MB frame: the limit must fire without waiting for the payload.
      c.socket.write(serverFrame(2, Buffer.alloc(200_000)).subarray(0, 10));
    });
    const ws = await open(raw.url, { maxFrameBytes: 100_000 });
    await assert.rejects(ws.receive(), isWsError(1009, /maxFrameBytes \(100000\)/));
    const close = await raw.conns[0]!.nextFrame(8);
    assert.equal(close.payload.readUInt16BE(0), 1009);
  });

  test('protocol violations → 1002: masked frame, reserved opcode, RSV bits, bad continuation, big control frame', async () => {
    const cases: Array<[string, Buffer]> = [
      ['masked', Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x61 ^ 1])],
      ['reserved opcode', serverFrame(3, 'x')],
      ['RSV1 without deflate', serverFrame(1, 'x', true, true)],
      ['RSV2', Buffer.from([0xa1, 0x01, 0x61])],
      ['continuation first', serverFrame(0, 'x')],
      ['control 126 bytes', Buffer.concat([Buffer.from([0x89, 126, 0, 126]), Buffer.alloc(126)])],
      ['fragmented ping', serverFrame(9, 'x', false)],
      ['close code 1005 on the wire', serverFrame(8, closePayload(1005))],
    ];
    for (const [name, bytes] of cases) {
      const raw = await rawServer((c) => c.socket.write(bytes), {});
      const ws = await open(raw.url, { perMessageDeflate: false });
      await assert.rejects(ws.receive(), isWsError(1002), name);
      const close = await raw.conns[0]!.nextFrame(8);
      assert.equal(close.payload.readUInt16BE(0), 1002, name);
    }
  });

  test('bytes that came in the same packet as the 101 are parsed as frames', async () => {
    const raw = await rawServer(() => {}, {
      response: `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n${serverFrame(1, 'early').toString('latin1')}`,
    });
    const ws = await open(raw.url);
    assert.equal(await ws.receive(), 'early');
  });
});

describe('WebSocket: handshake', () => {
  test('subprotocols: the one the server selects', async () => {
    const peer = await wsServer({ handleProtocols: (set) => (set.has('v2') ? 'v2' : false) });
    const ws = await open(peer.url, { protocols: ['v1', 'v2'] });
    assert.equal(ws.protocol, 'v2');
    assert.equal(peer.requests[0]!['sec-websocket-protocol'], 'v1, v2');
    const ws2 = await open(peer.url, { protocols: 'v1' });
    assert.equal(ws2.protocol, '');
  });

  test('a subprotocol the client did not offer fails the handshake', async () => {
    const raw = await rawServer(() => {}, { extraHeaders: ['Sec-WebSocket-Protocol: evil'] });
    const ws = new WebSocket(raw.url, { proxy: false, protocols: ['good'] });
    await assert.rejects(ws.connect(), isWsError(null, /subprotocol "evil", not one of good/));
    assert.equal(ws.readyState, WebSocket.CLOSED);
  });

  test('custom headers reach the server; a headers function runs per attempt; onResponse sees the 101', async () => {
    const peer = await wsServer();
    let calls = 0;
    const statuses: number[] = [];
    await open(`${peer.url}/path?q=1`, {
      headers: async () => {
        calls++;
        return { 'X-Token': `t${calls}`, Origin: 'http://app.example' };
      },
      onResponse: (r) => statuses.push(r.status),
    });
    const h = peer.requests[0]!;
    assert.equal(h['x-token'], 't1');
    assert.equal(h.origin, 'http://app.example');
    assert.equal(h['sec-websocket-version'], '13');
    assert.equal(h.host, `127.0.0.1:${peer.port}`);
    assert.deepEqual(statuses, [101]);
  });

  test('invalid options and headers are refused in the constructor', () => {
    assert.throws(() => new WebSocket('ftp://x/'), isWsError(null, /unsupported WebSocket URL scheme/));
    assert.throws(() => new WebSocket('ws://127.0.0.1/', { protocols: ['a', 'a'] }), isWsError(null, /listed twice/));
    assert.throws(() => new WebSocket('ws://127.0.0.1/', { maxMessageBytes: -1 }), isWsError(null, /maxMessageBytes/));
    assert.throws(() => new WebSocket('ws://127.0.0.1/', { perMessageDeflate: { serverMaxWindowBits: 20 } }), isWsError(null, /serverMaxWindowBits/));
  });

  test('a header with CR/LF is refused before anything is sent', async () => {
    const raw = await rawServer();
    const ws = new WebSocket(raw.url, { proxy: false, headers: { 'x-a': 'v\r\nx-b: injected' } });
    await assert.rejects(ws.connect(), isWsError(null, /invalid value for header x-a/));
  });

  test('URL credentials that are not valid percent-encoding: connect() rejects with a WebSocketError, nothing is sent', async () => {
    const raw = await rawServer();
    const ws = new WebSocket(raw.url.replace('ws://', 'ws://a%zz:p@'), { proxy: false });
    await assert.rejects(ws.connect(), isWsError(null, /percent-encoded/));
    await sleep(20);
    assert.equal(raw.conns.length, 0);
  });

  test('a redirect is not followed: WebSocketError naming the Location', async () => {
    const raw = await rawServer(() => {}, { response: 'HTTP/1.1 301 Moved Permanently\r\nLocation: ws://127.0.0.1:1/new\r\nContent-Length: 0\r\n\r\n' });
    const ws = new WebSocket(raw.url, { proxy: false });
    await assert.rejects(ws.connect(), isWsError(null, /301 Moved Permanently to ws:\/\/127\.0\.0\.1:1\/new\); redirects are not followed/));
  });

  test('a refused upgrade names the status; the error names the method and URL', async () => {
    const peer = await wsServer({
      verifyClient: (_info, cb) => cb(false, 403, 'Forbidden'),
    });
    const ws = new WebSocket(`${peer.url}/secret`, { proxy: false });
    await assert.rejects(ws.connect(), (e: unknown) => {
      assert.ok(e instanceof WebSocketError);
      assert.match(e.message, /^GET ws:\/\/127\.0\.0\.1:\d+\/secret: server refused the WebSocket upgrade: 403 Forbidden/);
      assert.equal(e.url, `${peer.url}/secret`);
      return true;
    });
  });

  test('a wrong Sec-WebSocket-Accept fails the handshake', async () => {
    const raw = await rawServer(() => {}, { response: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n' });
    await assert.rejects(new WebSocket(raw.url, { proxy: false }).connect(), isWsError(null, /Sec-WebSocket-Accept is wrong/));
  });

  test('connection refused → NetworkError; no answer → ConnectTimeout within `timeout`', async () => {
    const raw = await rawServer(() => {}, { silent: true });
    const dead = new WebSocket('ws://127.0.0.1:1/', { proxy: false });
    await assert.rejects(dead.connect(), (e: unknown) => e instanceof NetworkError && e instanceof ReqivoError);
    assert.equal(dead.readyState, WebSocket.CLOSED);
    const slow = new WebSocket(raw.url, { proxy: false, timeout: 150 });
    const t0 = performance.now();
    await assert.rejects(slow.connect(), (e: unknown) => e instanceof ConnectTimeout && /within 150 ms/.test(e.message));
    assert.ok(performance.now() - t0 < 3000);
  });

  test('state errors: send/receive before connect, connect after close', async () => {
    const peer = await wsServer();
    const ws = new WebSocket(peer.url, { proxy: false });
    await assert.rejects(ws.send('x'), isWsError(null, /not connected: call connect\(\) first/));
    await assert.rejects(ws.receive(), isWsError(null, /not connected/));
    await ws.connect();
    assert.equal(await ws.connect(), ws, 'connect() again is a no-op');
    await ws.close();
    await assert.rejects(ws.connect(), isWsError(null, /closed; create a new one/));
  });

  test('send() before the handshake completes waits for it', async () => {
    const peer = await wsServer();
    const ws = new WebSocket(peer.url, { proxy: false });
    onCleanup(() => ws.close().catch(() => {}));
    const connecting = ws.connect();
    const sent = ws.send('early bird');
    await connecting;
    await sent;
    assert.equal(await ws.receive(), 'early bird');
  });

  test('close() during the handshake: connect() rejects, nothing leaks', async () => {
    const raw = await rawServer(() => {}, { silent: true });
    const ws = new WebSocket(raw.url, { proxy: false });
    const connecting = ws.connect();
    await sleep(50);
    await ws.close();
    await assert.rejects(connecting, isWsError(1006, /closed before the connection opened/));
    assert.equal(ws.readyState, WebSocket.CLOSED);
  });

  test('AbortSignal: aborts the handshake, and later a pending receive()', async () => {
    const raw = await rawServer(() => {}, { silent: true });
    const ac = new AbortController();
    const ws = new WebSocket(raw.url, { proxy: false, signal: ac.signal });
    const p = ws.connect();
    setTimeout(() => ac.abort(new Error('stop')), 30);
    await assert.rejects(p, (e: unknown) => e instanceof ReqivoError && e.name === 'AbortError');

    const peer = await wsServer();
    const ac2 = new AbortController();
    const ws2 = await open(peer.url, { signal: ac2.signal });
    const pending = ws2.receive();
    ac2.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof ReqivoError && e.name === 'AbortError');
    await waitFor(() => ws2.readyState === WebSocket.CLOSED, 5000, 'CLOSED');
  });
});

describe('proxies', () => {
  test('ws:// through an HTTP proxy with CONNECT', async () => {
    const peer = await wsServer();
    const proxy = await connectProxy();
    const ws = await open(`${peer.url}/via-proxy`, { proxy: proxy.url });
    await ws.send('tunnelled');
    assert.equal(await ws.receive(), 'tunnelled');
    assert.deepEqual(proxy.connects, [`127.0.0.1:${peer.port}`]);
  });

  test('wss:// through an HTTP proxy: TLS runs inside the tunnel', { skip: hasOpenssl() ? false : 'openssl CLI not available' }, async () => {
    const cert = selfSignedCert();
    const peer = await wsServer({}, undefined, cert);
    const proxy = await connectProxy();
    const ws = await open(`wss://localhost:${peer.port}/`, { proxy: proxy.url, tls: { ca: cert.cert } });
    await ws.send('secret');
    assert.equal(await ws.receive(), 'secret');
    assert.deepEqual(proxy.connects, [`localhost:${peer.port}`]);
  });
});

describe('wss:// with a self-signed certificate', () => {
  const skip = hasOpenssl() ? false : 'openssl CLI not available';

  test('trusted through tls.ca: echo works', { skip }, async () => {
    const cert = selfSignedCert();
    const peer = await wsServer({}, undefined, cert);
    const ws = await open(`wss://localhost:${peer.port}/`, { tls: { ca: cert.cert } });
    await ws.send('secure ✓');
    assert.equal(await ws.receive(), 'secure ✓');
    const ws2 = await open(`wss://127.0.0.1:${peer.port}/`, { tls: { ca: cert.cert } });
    await ws2.send(new Uint8Array([1]));
    assert.deepEqual(await ws2.receive(), Buffer.from([1]));
  });

  test('untrusted by default: TlsError', { skip }, async () => {
    const cert = selfSignedCert();
    const peer = await wsServer({}, undefined, cert);
    const ws = new WebSocket(`wss://127.0.0.1:${peer.port}/`, { proxy: false });
    await assert.rejects(ws.connect(), (e: unknown) => e instanceof TlsError);
  });

  test('rejectUnauthorized: false connects anyway', { skip }, async () => {
    const cert = selfSignedCert();
    const peer = await wsServer({}, undefined, cert);
    const ws = await open(`wss://127.0.0.1:${peer.port}/`, { tls: { rejectUnauthorized: false } });
    await ws.send('ok');
    assert.equal(await ws.receive(), 'ok');
  });
});

describe('WebSocket close() with a full, unread queue', () => {
  test("the server's close frame behind unread messages is still read: a clean close, not the close timeout", async () => {
    const peer = await wsServer({}, (s) => {
      // 400 × 16 KiB: far past a 64 KiB receiveHighWaterMark and the kernel's socket buffers, so
      // the client stops reading and the server's close frame would wait behind the rest.
      for (let i = 0; i < 400; i++) s.send(Buffer.alloc(16 * 1024, i));
    });
    const server = peer.nextClient();
    const ws = await open(peer.url, { receiveHighWaterMark: 64 * 1024, timeout: 5000 });
    const s = await server;
    await waitFor(() => s.bufferedAmount > 0, 3000, 'the server to be backed up (the client stopped reading)');
    const started = Date.now();
    await ws.close(1000, 'done');
    assert.equal(ws.closeCode, 1000, 'the peer echoed our close (a timed-out close is 1006)');
    assert.ok(Date.now() - started < 4000, 'well before the 5 s close timeout');
    // What was queued before close() can still be read, in order.
    const first = await ws.receive();
    assert.ok(first instanceof Uint8Array && first.length === 16 * 1024 && first[0] === 0);
  });
});

describe('WebSocket responseHeaders', () => {
  test('the 101 fields of the current connection, multi-valued ones kept, the same Headers on every read', async () => {
    const peer = await wsServer();
    peer.wss.on('headers', (headers) => headers.push('X-Trace: a b', 'Set-Cookie: s=1', 'Set-Cookie: t=2'));
    const ws = await open(peer.url);
    const h = ws.responseHeaders!;
    assert.equal(h.get('upgrade')?.toLowerCase(), 'websocket');
    assert.equal(h.get('x-trace'), 'a b');
    assert.match(h.get('sec-websocket-accept') ?? '', /^[A-Za-z0-9+/]{27}=$/);
    assert.deepEqual(h.getSetCookie(), ['s=1', 't=2']);
    assert.equal(ws.responseHeaders, h);
    await ws.close();
  });
});

describe('lean objects', () => {
  test('WebSocket, FrameParser, Utf8Validator, PerMessageDeflate, Inbox stay in V8 fast mode through real use', async () => {
    const child = join(dirname(fileURLToPath(import.meta.url)), 'fast-properties-child.js');
    const { stdout } = await run(process.execPath, ['--allow-natives-syntax', child], { timeout: 30_000 });
    assert.deepEqual(JSON.parse(stdout), { WebSocket: true, WebSocketAfterClose: true, FrameParser: true, Utf8Validator: true, PerMessageDeflate: true, Inbox: true });
  });

  test('a WebSocket has no own enumerable keys beyond its declared public fields', () => {
    const ws = new WebSocket('ws://127.0.0.1:9/', { proxy: false });
    assert.deepEqual(Object.keys(ws).sort(), ['closeCode', 'closeReason', 'extensions', 'protocol', 'readyState', 'url'].sort());
    assert.equal(ws.responseHeaders, null);
  });
});
