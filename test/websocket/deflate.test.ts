import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, test } from 'node:test';
import { WebSocketError } from '../../src/errors.js';
import { PerMessageDeflate } from '../../src/websocket/deflate.js';
import { normalizeDeflateOptions } from '../../src/websocket/negotiate.js';
import { WebSocket, type WebSocketOptions } from '../../src/websocket/index.js';
import { onCleanup, rawServer, serverFrame, sleep, waitFor, wsServer } from './servers.js';

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

  test('bufferedAmount counts messages waiting for compression (and behind one), then drops to 0', async () => {
    const peer = await wsServer({ perMessageDeflate: { threshold: 0 } });
    const ws = await open(peer.url);
    assert.equal(ws.bufferedAmount, 0);
    const big = Buffer.from(TEXT);
    const sends = [ws.send(big), ws.send('short'), ws.send(big)];
    // Nothing has reached the socket yet: the first message is being compressed, the others wait behind it.
    assert.equal(ws.bufferedAmount, 2 * big.length + 5);
    await Promise.all(sends);
    for (let i = 0; i < 3; i++) await ws.receive();
    assert.equal(ws.bufferedAmount, 0);
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

describe('permessage-deflate: limits (maxFrameBytes on the wire, maxMessageBytes inflated)', () => {
  test('an incompressible 16 MiB message at the default limits passes though its compressed frame is larger', { timeout: 60_000 }, async () => {
    const big = randomBytes(16 * 2 ** 20);
    const peer = await wsServer({ perMessageDeflate: { threshold: 0 } }, (s) => s.send(big, { binary: true, compress: true }));
    const ws = await open(peer.url);
    const got = (await ws.receive()) as Buffer;
    assert.equal(got.length, big.length);
    assert.ok(got.equals(big));
  });

  test('incompressible messages of exactly maxMessageBytes pass, one byte more → 1009', async () => {
    const n = 2 ** 20;
    const atLimit = randomBytes(n);
    const over = randomBytes(n + 1);
    const peer = await wsServer({ perMessageDeflate: { threshold: 0 } }, (s) => {
      s.send(atLimit, { binary: true, compress: true });
      s.send(over, { binary: true, compress: true });
    });
    const serverSide = peer.nextClient();
    const ws = await open(peer.url, { maxMessageBytes: n, maxFrameBytes: n });
    const s = await serverSide;
    const serverSaw = new Promise<number>((resolve) => s.once('close', (code) => resolve(code)));
    assert.ok(atLimit.equals((await ws.receive()) as Buffer));
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

  test('an unread queue stops inflating: compressed messages already received wait compressed, not inflated into the queue', async () => {
    // 20 messages of 4 MiB each, ~4 KiB compressed: all of them arrive in one or two reads.
    const big = Buffer.alloc(4 * 2 ** 20, 0x61);
    const compressed = zlib.deflateRawSync(big, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
    const count = 20;
    const raw = await rawServer((c) => c.socket.write(Buffer.concat(Array.from({ length: count }, () => serverFrame(2, compressed, true, true)))), {
      extraHeaders: accept,
    });
    const ws = await open(raw.url, { receiveHighWaterMark: 1024 * 1024 });
    await waitFor(() => ws.queuedMessages > 0, 5000, 'a message');
    await sleep(200);
    // Past the high-water mark, nothing more is inflated: 80 MiB would be queued otherwise.
    assert.equal(ws.queuedMessages, 1);
    for (let i = 0; i < count; i++) assert.ok(big.equals((await ws.receive()) as Buffer), `message ${i}`);
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

  function compress(d: PerMessageDeflate, data: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => d.compress(data, (err, out) => (err === null ? resolve(out) : reject(err))));
  }

  test('compress → decompress round trip, the window carried over between messages', async () => {
    const d = new PerMessageDeflate(params, opts, 2 ** 20);
    const outs = [await compress(d, Buffer.from('a'.repeat(1000))), await compress(d, Buffer.from('a'.repeat(1000)))];
    assert.ok(outs[1]!.length < outs[0]!.length, 'the second message refers back to the first');
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
    assert.deepEqual(inflated, ['a'.repeat(1000), 'a'.repeat(1000)]);
    d.close(new WebSocketError('done'));
  });

  test('close() answers the compression in flight with the reason; later ones fail at once', async () => {
    const d = new PerMessageDeflate(params, opts, 2 ** 20);
    const errs: Array<string | undefined> = [];
    d.compress(Buffer.alloc(100_000), (e) => errs.push(e?.message));
    d.close(new WebSocketError('gone'));
    assert.deepEqual([...errs], ['gone']);
    d.compress(Buffer.alloc(1), (e) => errs.push(e?.message));
    assert.deepEqual([...errs], ['gone', 'the connection is closed']);
  });

  test('many connections compressing at once all complete (the process-wide zlib limit queues, never drops)', async () => {
    const all: Array<Promise<void>> = [];
    const ds: PerMessageDeflate[] = [];
    for (let i = 0; i < 40; i++) {
      const d = new PerMessageDeflate(params, opts, 2 ** 20);
      ds.push(d);
      // Each connection compresses its three messages one after the other, as its Sender does.
      all.push((async () => {
        for (let j = 0; j < 3; j++) await compress(d, Buffer.alloc(50_000, i));
      })());
    }
    await Promise.all(all);
    for (const d of ds) d.close(new WebSocketError('done'));
  });
});

/** A server that ends every message with a DEFLATE block marked BFINAL (zlib Z_FINISH), as RFC 7692 §7.2.3.3 allows. */
class FinishingCompressor {
  #window: Buffer = Buffer.alloc(0);
  readonly #takeover: boolean;
  readonly #windowBytes: number;
  readonly #windowBits: number;
  constructor(takeover: boolean, windowBits = 15) {
    this.#takeover = takeover;
    this.#windowBits = windowBits;
    this.#windowBytes = 2 ** windowBits;
  }
  /** Compress one message; with context takeover the new stream is primed with the last window of everything sent so far. */
  message(text: string, flush: number = zlib.constants.Z_FINISH): Buffer {
    const data = Buffer.from(text, 'utf8');
    const opts: zlib.ZlibOptions = { finishFlush: flush, windowBits: this.#windowBits };
    if (this.#takeover && this.#window.length > 0) opts.dictionary = this.#window;
    let out = zlib.deflateRawSync(data, opts);
    if (flush === zlib.constants.Z_SYNC_FLUSH) out = out.subarray(0, -4);
    if (this.#takeover) this.#window = Buffer.concat([this.#window, data]).subarray(-this.#windowBytes);
    return out;
  }
}

describe('permessage-deflate: messages ending with a BFINAL block (RFC 7692 §7.2.3.3)', () => {
  // Similar messages of varied words: with context takeover later ones are mostly back-references into earlier ones.
  let seed = 7;
  const words = Array.from({ length: 300 }, () => ((seed = (seed * 48271) % 2147483647), (seed % 100_000).toString(36))).join(' ');
  const texts = [0, 1, 2, 3].map((i) => `message ${i}: ${words} ✓`);

  async function receiveAll(extension: string, frames: Buffer[], options: WebSocketOptions = {}): Promise<unknown[]> {
    const raw = await rawServer((c) => c.socket.write(Buffer.concat(frames)), { extraHeaders: [`Sec-WebSocket-Extensions: ${extension}`] });
    const ws = await open(raw.url, options);
    const got: unknown[] = [];
    for (let i = 0; i < texts.length; i++) got.push(await ws.receive());
    return got;
  }

  test('server_no_context_takeover: every message is a whole DEFLATE stream', async () => {
    const c = new FinishingCompressor(false);
    const got = await receiveAll(
      'permessage-deflate; server_no_context_takeover',
      texts.map((t) => serverFrame(1, c.message(t), true, true)),
    );
    assert.deepEqual(got, texts);
  });

  test('context takeover, a server that starts each stream afresh: no message is lost after the first', async () => {
    const c = new FinishingCompressor(false);
    const got = await receiveAll('permessage-deflate', texts.map((t) => serverFrame(1, c.message(t), true, true)));
    assert.deepEqual(got, texts);
  });

  test('context takeover, each new stream primed with the previous window: back-references into earlier messages resolve', async () => {
    const c = new FinishingCompressor(true);
    const payloads = texts.map((t) => c.message(t));
    // The window really is used: later messages are a fraction of a standalone compression.
    assert.ok(payloads[2]!.length * 3 < zlib.deflateRawSync(Buffer.from(texts[2]!)).length, `${payloads[2]!.length} bytes`);
    const got = await receiveAll('permessage-deflate', payloads.map((p) => serverFrame(1, p, true, true)));
    assert.deepEqual(got, texts);
  });

  test('context takeover: sync-flushed and BFINAL messages mixed, fragmented, with an uncompressed one between', async () => {
    const c = new FinishingCompressor(true);
    const z = zlib.constants;
    const p0 = c.message(texts[0]!, z.Z_SYNC_FLUSH);
    const p1 = c.message(texts[1]!, z.Z_FINISH);
    const p3 = c.message(texts[3]!, z.Z_FINISH);
    const frames = [
      serverFrame(1, p0, true, true),
      serverFrame(1, p1.subarray(0, 5), false, true),
      serverFrame(0, p1.subarray(5, p1.length - 1), false),
      serverFrame(0, p1.subarray(p1.length - 1), true),
      serverFrame(1, texts[2]!, true, false),
      serverFrame(1, p3, true, true),
    ];
    // texts[2] goes uncompressed: it never enters either side's LZ77 window.
    const got = await receiveAll('permessage-deflate', frames);
    assert.deepEqual(got, texts);
  });

  test('a smaller server window (server_max_window_bits=10) is carried over too', async () => {
    const c = new FinishingCompressor(true, 10);
    const got = await receiveAll(
      'permessage-deflate; server_max_window_bits=10',
      texts.map((t) => serverFrame(1, c.message(t), true, true)),
      { perMessageDeflate: { serverMaxWindowBits: 10 } },
    );
    assert.deepEqual(got, texts);
  });

  test('the RFC 7692 §7.2.3.4 example: a BFINAL block followed by a padding byte, twice', async () => {
    const hello = Buffer.from([0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00]);
    const raw = await rawServer((c) => c.socket.write(Buffer.concat([serverFrame(1, hello, true, true), serverFrame(1, hello, true, true)])), {
      extraHeaders: ['Sec-WebSocket-Extensions: permessage-deflate'],
    });
    const ws = await open(raw.url);
    assert.equal(await ws.receive(), 'Hello');
    assert.equal(await ws.receive(), 'Hello');
  });
});
