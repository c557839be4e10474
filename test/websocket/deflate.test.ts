import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { describe, test } from 'node:test';
import { WebSocketError } from '../../src/errors.js';
import { normalizeDeflateOptions, PerMessageDeflate } from '../../src/websocket/deflate.js';
import { WebSocket, type WebSocketOptions } from '../../src/websocket/index.js';
import { onCleanup, rawServer, serverFrame, wsServer } from './servers.js';

async function open(url: string, options: WebSocketOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { proxy: false, ...options });
  onCleanup(() => ws.close().catch(() => {}));
  await ws.connect();
  return ws;
}

/** Compress like a permessage-deflate sender: raw deflate, sync flush, without the 00 00 ff ff tail. */
function deflateMessage(data: Buffer): Buffer {
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.deepEqual([...out.subarray(-4)], [0, 0, 0xff, 0xff]);
  return out.subarray(0, -4);
}

const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(2000);

describe('permessage-deflate against the ws server', () => {
  test('negotiated by default; compressed messages both ways, fewer bytes on the wire', async () => {
    const peer = await wsServer({ perMessageDeflate: { threshold: 0 } });
    const ws = await open(peer.url);
    assert.match(ws.extensions, /^permessage-deflate/);
    assert.match(String(peer.requests[0]!['sec-websocket-extensions']), /permessage-deflate; client_max_window_bits/);
    const serverSocket = peer.clients[0]!;
    const before = (serverSocket as unknown as { _socket: import('node:net').Socket })._socket.bytesRead;
    await ws.send(TEXT);
    assert.equal(await ws.receive(), TEXT);
    const read = (serverSocket as unknown as { _socket: import('node:net').Socket })._socket.bytesRead - before;
    assert.ok(read < TEXT.length / 10, `the server read ${read} bytes for a ${TEXT.length}-byte message`);
    const bin = Buffer.alloc(300_000, 0x42);
    await ws.send(bin);
    assert.ok(bin.equals((await ws.receive()) as Buffer));
  });

  test('perMessageDeflate: false offers nothing', async () => {
    const peer = await wsServer({ perMessageDeflate: true });
    const ws = await open(peer.url, { perMessageDeflate: false });
    assert.equal(ws.extensions, '');
    assert.equal(peer.requests[0]!['sec-websocket-extensions'], undefined);
    await ws.send(TEXT);
    assert.equal(await ws.receive(), TEXT);
  });

  test('a server without permessage-deflate: plain messages', async () => {
    const peer = await wsServer({ perMessageDeflate: false });
    const ws = await open(peer.url);
    assert.equal(ws.extensions, '');
    await ws.send(TEXT);
    assert.equal(await ws.receive(), TEXT);
  });

  test('context takeover: many similar messages, with the window carried over', async () => {
    const peer = await wsServer({ perMessageDeflate: { threshold: 0 } });
    const ws = await open(peer.url, { perMessageDeflate: { threshold: 0 } });
    for (let i = 0; i < 50; i++) {
      const m = `message ${i}: ${'lorem ipsum dolor sit amet '.repeat(20)}`;
      await ws.send(m);
      assert.equal(await ws.receive(), m);
    }
  });

  test('no context takeover on both sides, asked by the client', async () => {
    const peer = await wsServer({ perMessageDeflate: { threshold: 0 } });
    const ws = await open(peer.url, { perMessageDeflate: { threshold: 0, clientNoContextTakeover: true, serverNoContextTakeover: true } });
    assert.match(ws.extensions, /server_no_context_takeover/);
    assert.match(ws.extensions, /client_no_context_takeover/);
    for (let i = 0; i < 20; i++) {
      const m = `${i} ${TEXT.slice(0, 5000)}`;
      await ws.send(m);
      assert.equal(await ws.receive(), m);
    }
  });

  test('no context takeover imposed by the server', async () => {
    const peer = await wsServer({ perMessageDeflate: { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true } });
    const ws = await open(peer.url);
    assert.match(ws.extensions, /server_no_context_takeover/);
    for (let i = 0; i < 10; i++) {
      await ws.send(TEXT);
      assert.equal(await ws.receive(), TEXT);
    }
  });

  test('window bits: the server picks client_max_window_bits; the client caps server_max_window_bits', async () => {
    const peer = await wsServer({ perMessageDeflate: { threshold: 0, clientMaxWindowBits: 10 } });
    const ws = await open(peer.url, { perMessageDeflate: { threshold: 0, serverMaxWindowBits: 11 } });
    assert.match(ws.extensions, /client_max_window_bits=10/);
    assert.match(ws.extensions, /server_max_window_bits=11/);
    for (let i = 0; i < 5; i++) {
      await ws.send(TEXT);
      assert.equal(await ws.receive(), TEXT);
    }
  });

  test('order is kept when short (uncompressed) and long (compressed) messages interleave', async () => {
    const peer = await wsServer({ perMessageDeflate: { threshold: 0 } });
    const ws = await open(peer.url, { perMessageDeflate: { threshold: 1024 } });
    const sent: string[] = [];
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < 200; i++) {
      const m = i % 3 === 0 ? `${i}:${'long '.repeat(400)}` : `${i}`;
      sent.push(m);
      sends.push(ws.send(m));
    }
    await Promise.all(sends);
    for (let i = 0; i < sent.length; i++) assert.equal(await ws.receive(), sent[i]);
  });

  test('a close() right after sends goes out after the compressed messages', async () => {
    const peer = await wsServer({ perMessageDeflate: { threshold: 0 } }, (s) => {
      s.on('message', () => received++);
    });
    let received = 0;
    const ws = await open(peer.url, { perMessageDeflate: { threshold: 0 } });
    for (let i = 0; i < 20; i++) void ws.send(TEXT);
    await ws.close();
    assert.equal(received, 20);
  });

  test('server-side fragmented compressed message', async () => {
    const peer = await wsServer({ perMessageDeflate: { threshold: 0 } }, (s) => {
      s.send(TEXT.slice(0, 30000), { fin: false, compress: true });
      s.send(TEXT.slice(30000, 60000), { fin: false, compress: true });
      s.send(TEXT.slice(60000), { fin: true, compress: true });
    });
    const ws = await open(peer.url);
    assert.equal(await ws.receive(), TEXT);
  });

  test('a compressed message inflating past maxMessageBytes → 1009 (a zip bomb stays small)', async () => {
    const peer = await wsServer({ perMessageDeflate: { threshold: 0 }, maxPayload: 2 ** 30 }, (s) => {
      s.send(Buffer.alloc(20 * 2 ** 20), { binary: true, compress: true });
    });
    const serverSide = peer.nextClient();
    const ws = await open(peer.url, { maxMessageBytes: 2 ** 20 });
    const s = await serverSide;
    const serverSaw = new Promise<number>((resolve) => s.once('close', (code) => resolve(code)));
    await assert.rejects(ws.receive(), (e: unknown) => e instanceof WebSocketError && e.code === 1009 && /inflated message exceeds maxMessageBytes/.test(e.message));
    assert.equal(await serverSaw, 1009);
  });
});

describe('permessage-deflate against a raw server', () => {
  const accept = ['Sec-WebSocket-Extensions: permessage-deflate'];

  test('a hand-compressed message split over frames (RSV1 on the first only)', async () => {
    const compressed = deflateMessage(Buffer.from('hello hello hello ✓'));
    const raw = await rawServer(
      (c) => {
        c.socket.write(serverFrame(1, compressed.subarray(0, 3), false, true));
        c.socket.write(serverFrame(0, compressed.subarray(3), true, false));
        c.socket.write(serverFrame(1, 'plain', true, false));
      },
      { extraHeaders: accept },
    );
    const ws = await open(raw.url);
    assert.equal(await ws.receive(), 'hello hello hello ✓');
    assert.equal(await ws.receive(), 'plain', 'an uncompressed message on a deflate connection');
  });

  test('invalid compressed data → 1007', async () => {
    const raw = await rawServer((c) => c.socket.write(serverFrame(2, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]), true, true)), { extraHeaders: accept });
    const ws = await open(raw.url);
    await assert.rejects(ws.receive(), (e: unknown) => e instanceof WebSocketError && e.code === 1007 && /invalid compressed message/.test(e.message));
    const close = await raw.conns[0]!.nextFrame(8);
    assert.equal(close.payload.readUInt16BE(0), 1007);
  });

  test('compressed text that is not UTF-8 → 1007', async () => {
    const raw = await rawServer((c) => c.socket.write(serverFrame(1, deflateMessage(Buffer.from([0x61, 0xff])), true, true)), { extraHeaders: accept });
    const ws = await open(raw.url);
    await assert.rejects(ws.receive(), (e: unknown) => e instanceof WebSocketError && e.code === 1007);
  });

  test('the client compresses with RSV1 and strips the tail; the raw server inflates it', async () => {
    const raw = await rawServer(() => {}, { extraHeaders: accept });
    const ws = await open(raw.url, { perMessageDeflate: { threshold: 10 } });
    await ws.send(TEXT);
    await ws.send('short');
    const conn = raw.conns[0]!;
    const first = await conn.nextFrame(1);
    const second = await conn.nextFrame(1);
    const inflated = zlib.inflateRawSync(Buffer.concat([first.payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    assert.equal(inflated.toString(), TEXT);
    assert.ok(first.payload.length < TEXT.length / 10);
    assert.equal(second.payload.toString(), 'short', 'below the threshold: sent as is');
  });

  test('a server that accepts an extension that was never offered fails the handshake', async () => {
    const raw = await rawServer(() => {}, { extraHeaders: accept });
    const ws = new WebSocket(raw.url, { proxy: false, perMessageDeflate: false });
    await assert.rejects(ws.connect(), (e: unknown) => e instanceof WebSocketError && /which was not offered/.test(e.message));
  });

  test('client_max_window_bits=8 from the server: messages are sent uncompressed (zlib cannot make an 8-bit window)', async () => {
    const raw = await rawServer(() => {}, { extraHeaders: ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=8'] });
    const ws = await open(raw.url, { perMessageDeflate: { threshold: 0 } });
    await ws.send(TEXT);
    const f = await raw.conns[0]!.nextFrame(1);
    assert.equal(f.payload.toString(), TEXT);
  });
});

describe('PerMessageDeflate unit', () => {
  const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  const opts = normalizeDeflateOptions({ threshold: 0 })!;

  test('compress → decompress round trip, callbacks in order, raw items in their turn', async () => {
    const d = new PerMessageDeflate(params, opts, 2 ** 20);
    const order: string[] = [];
    const outs: Buffer[] = [];
    await new Promise<void>((resolve) => {
      d.compress(Buffer.from('a'.repeat(1000)), (err, out) => {
        assert.equal(err, null);
        order.push('c1');
        outs.push(out);
      });
      d.compress(Buffer.from('raw'), (_e, out) => {
        order.push(`raw:${out.toString()}`);
      }, true);
      d.compress(Buffer.from('b'.repeat(1000)), (_e, out) => {
        order.push('c2');
        outs.push(out);
        resolve();
      });
    });
    assert.deepEqual(order, ['c1', 'raw:raw', 'c2']);
    const inflated: string[] = [];
    for (const o of outs) {
      await new Promise<void>((resolve) =>
        d.decompress(o, true, (err, chunks) => {
          assert.equal(err, null);
          inflated.push(Buffer.concat(chunks).toString());
          resolve();
        }),
      );
    }
    assert.deepEqual(inflated, ['a'.repeat(1000), 'b'.repeat(1000)]);
    d.close(new WebSocketError('done'));
  });

  test('close() answers pending compressions with the reason', async () => {
    const d = new PerMessageDeflate(params, opts, 2 ** 20);
    const errs: Array<string | undefined> = [];
    d.compress(Buffer.alloc(100_000), (e) => errs.push(e?.message));
    d.compress(Buffer.alloc(10), (e) => errs.push(e?.message));
    d.close(new WebSocketError('gone'));
    assert.deepEqual([...errs], ['gone', 'gone']);
    d.compress(Buffer.alloc(1), (e) => errs.push(e?.message));
    assert.equal(errs.length, 3);
  });

  test('many connections compressing at once all complete (the process-wide zlib limit queues, never drops)', async () => {
    const all: Array<Promise<void>> = [];
    const ds: PerMessageDeflate[] = [];
    for (let i = 0; i < 40; i++) {
      const d = new PerMessageDeflate(params, opts, 2 ** 20);
      ds.push(d);
      for (let j = 0; j < 3; j++) {
        all.push(
          new Promise<void>((resolve, reject) =>
            d.compress(Buffer.alloc(50_000, i), (e) => {
              if (e) reject(e);
              else resolve();
            }),
          ),
        );
      }
    }
    await Promise.all(all);
    for (const d of ds) d.close(new WebSocketError('done'));
  });
});
