/**
 * The sans-I/O protocol with bytes only: no socket, no timer. Each script of
 * server frames is fed whole, then cut at every byte offset, and must give
 * the same events.
 */
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import zlib from 'node:zlib';
import { describe, test } from 'node:test';
import type { WebSocketError } from '../../src/errors.js';
import { Protocol, type ProtocolEvents } from '../../src/websocket/protocol.js';
import { FrameParser } from '../../src/websocket/frame.js';
import { rawFrame } from './frames.js';
import { seededBytes } from '../helpers/servers.js';

type Ev = [string, ...unknown[]];

/** Records events; unmasks what the protocol sends with a server-side parser. */
class Peer implements ProtocolEvents {
  events: Ev[] = [];
  sent: Array<[number, Buffer]> = [];
  /** Compressed frames handed out, waiting for `inflated()`. */
  compressed: Array<[number, boolean, Buffer]> = [];
  readonly #reader = new FrameParser(
    {
      onDataFrame: (opcode, _fin, _c, payload) => this.sent.push([opcode, Buffer.from(payload)]),
      onControlFrame: (opcode, payload) => this.sent.push([opcode, Buffer.from(payload)]),
    },
    { maxFrameBytes: 1 << 20, maxMessageBytes: 1 << 20, expectMasked: true },
  );
  onFirstMessage: (() => void) | null = null;
  onMessage(msg: string | Uint8Array): void {
    this.events.push(['message', typeof msg === 'string' ? msg : Buffer.from(msg)]);
    const first = this.onFirstMessage;
    this.onFirstMessage = null;
    first?.();
  }
  onCompressed(opcode: number, fin: boolean, payload: Buffer): void {
    this.compressed.push([opcode, fin, Buffer.from(payload)]);
  }
  onPing(payload: Buffer): void {
    this.events.push(['ping', payload.toString()]);
  }
  onPong(payload: Buffer): void {
    this.events.push(['pong', payload.toString()]);
  }
  onCloseFrame(code: number, reason: string): void {
    this.events.push(['close', code, reason]);
  }
  onFail(err: WebSocketError): void {
    this.events.push(['fail', err.code]);
  }
  onSend(frame: Buffer): void {
    this.#reader.execute(frame);
  }
}

function make(o: { maxFrameBytes?: number; maxMessageBytes?: number; compressed?: boolean; holdAfterFirst?: boolean } = {}): { p: Protocol; peer: Peer } {
  const peer = new Peer();
  const p = new Protocol(peer, o.maxFrameBytes ?? 1 << 20, o.maxMessageBytes ?? 1 << 20);
  p.open(o.compressed ?? false);
  // As the driver does when the reader's queue crosses its high-water mark.
  if (o.holdAfterFirst === true) peer.onFirstMessage = () => p.hold(true);
  return { p, peer };
}

/** Feed `bytes` whole, then in two pieces cut at every offset: the events and the sent frames are the same each time. */
function everySplit(bytes: Buffer, check: (peer: Peer, p: Protocol) => void, o: Parameters<typeof make>[0] = {}): void {
  for (let cut = 0; cut <= bytes.length; cut++) {
    const { p, peer } = make(o);
    p.receive(bytes.subarray(0, cut));
    p.receive(bytes.subarray(cut));
    try {
      check(peer, p);
    } catch (e) {
      (e as Error).message += ` (cut at ${cut})`;
      throw e;
    }
  }
}

function closeBytes(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}

describe('Protocol: bytes in, events and bytes out', () => {
  test('messages, fragments with a ping between, UTF-8 cut inside a sequence; the ping is answered', () => {
    const text = 'héllo ✓ wörld';
    const utf8 = Buffer.from(text);
    const script = Buffer.concat([
      rawFrame(1, 'one'),
      rawFrame(2, Buffer.from([0, 1, 2])),
      rawFrame(1, utf8.subarray(0, 2), { fin: false }),
      rawFrame(9, 'p1'),
      rawFrame(0, utf8.subarray(2, 9), { fin: false }),
      rawFrame(0, utf8.subarray(9)),
      rawFrame(10, 'p2'),
      rawFrame(1, ''),
    ]);
    everySplit(script, (peer) => {
      assert.deepEqual(peer.events, [
        ['message', 'one'],
        ['message', Buffer.from([0, 1, 2])],
        ['ping', 'p1'],
        ['message', text],
        ['pong', 'p2'],
        ['message', ''],
      ]);
      assert.deepEqual(peer.sent, [[10, Buffer.from('p1')]]);
    });
  });

  test('a close frame is echoed with its code, and nothing after it is read', () => {
    const script = Buffer.concat([rawFrame(1, 'last'), rawFrame(8, closeBytes(1001, 'bye')), rawFrame(1, 'ignored')]);
    everySplit(script, (peer, p) => {
      assert.deepEqual(peer.events, [['message', 'last'], ['close', 1001, 'bye']]);
      assert.deepEqual(peer.sent, [[8, closeBytes(1001)]]);
      assert.equal(p.closeReceived, true);
      assert.equal(p.closeSent, true);
      assert.equal(p.reading, false);
    });
  });

  test('after our close frame, the peer close is not echoed; pings are still answered until it arrives (RFC 6455 §5.5.2)', () => {
    const { p, peer } = make();
    assert.equal(p.sendClose(closeBytes(1000)), true);
    assert.equal(p.sendClose(closeBytes(1000)), false, 'only one close frame');
    p.receive(Buffer.concat([rawFrame(9, 'late'), rawFrame(8, Buffer.alloc(0)), rawFrame(9, 'after close')]));
    assert.deepEqual(peer.sent, [
      [8, closeBytes(1000)],
      [10, Buffer.from('late')],
    ]);
    assert.deepEqual(peer.events, [['ping', 'late'], ['close', 1005, '']]);
  });

  test('violations fail with their code and send one close frame carrying it', () => {
    const cases: Array<[Buffer, number, { maxMessageBytes?: number }?]> = [
      [rawFrame(1, Buffer.from([0x68, 0xc3, 0x28])), 1007],
      [Buffer.concat([rawFrame(1, Buffer.from([0xe2, 0x9c]), { fin: false }), rawFrame(0, '')]), 1007],
      [rawFrame(3, 'x'), 1002],
      [rawFrame(1, 'x', { rsv1: true }), 1002],
      [rawFrame(0, 'x'), 1002],
      [rawFrame(8, Buffer.from([3])), 1002],
      [Buffer.concat([rawFrame(2, Buffer.alloc(60), { fin: false }), rawFrame(0, Buffer.alloc(60))]), 1009, { maxMessageBytes: 100 }],
    ];
    for (const [bytes, code, o] of cases) {
      everySplit(
        Buffer.concat([bytes, rawFrame(1, 'after')]),
        (peer, p) => {
          assert.deepEqual(peer.events.filter((e) => e[0] === 'fail'), [['fail', code]]);
          assert.equal(peer.sent.length, 1);
          assert.equal(peer.sent[0]![0], 8);
          assert.equal(peer.sent[0]![1].readUInt16BE(0), code);
          assert.equal(p.closeCode, code);
          assert.ok(!peer.events.some((e) => e[1] === 'after'), 'nothing is read after failing');
        },
        o,
      );
    }
  });

  test('a text frame still arriving fails at its first invalid byte (fail fast), not when the frame ends', () => {
    // A 40-byte text frame: valid UTF-8, then a surrogate (ED A0 80), then bytes that never come.
    const prefix = Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xed, 0xa0, 0x80]);
    const frame = rawFrame(1, Buffer.concat([prefix, Buffer.alloc(32, 0x61)]));
    const head = 2;
    for (let cut = head + 1; cut <= head + prefix.length; cut++) {
      const { p, peer } = make();
      p.receive(frame.subarray(0, cut));
      // The bytes so far are a valid prefix up to the ED byte; A0 makes them invalid.
      const bad = cut >= head + 7;
      assert.deepEqual(peer.events, bad ? [['fail', 1007]] : [], `cut at ${cut}`);
      assert.equal(peer.sent.length, bad ? 1 : 0, `cut at ${cut}`);
      if (bad) assert.equal(peer.sent[0]![1].readUInt16BE(0), 1007);
    }
  });

  test('a valid text frame fed one byte at a time (also as a continuation of a fragmented message) comes out whole', () => {
    const text = 'κόσμε €𝄞 ascii';
    const script = Buffer.concat([rawFrame(1, text), rawFrame(1, 'ab€', { fin: false }), rawFrame(0, text)]);
    const { p, peer } = make();
    for (let i = 0; i < script.length; i++) p.receive(script.subarray(i, i + 1));
    assert.deepEqual(peer.events, [
      ['message', text],
      ['message', `ab€${text}`],
    ]);
  });

  test('a message sent as 300 000 one-byte fragments costs about its bytes, not a Buffer object per fragment', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const n = 300_000;
    const { p, peer } = make({ maxMessageBytes: 1 << 22 });
    p.receive(rawFrame(2, 'a', { fin: false }));
    const read = Buffer.concat(Array.from({ length: 1000 }, (_, i) => rawFrame(0, Buffer.from([i & 0xff]), { fin: false })));
    gc();
    const before = process.memoryUsage().heapUsed;
    // Each read in a buffer of its own, as from a socket.
    for (let i = 0; i < n / 1000; i++) p.receive(Buffer.from(read));
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // Kept as views, the fragments would hold ~30 MB of heap (one ~100-byte Buffer object each).
    assert.ok(grown < 8 * 2 ** 20, `heap grew by ${(grown / 2 ** 20).toFixed(1)} MiB for ${n} fragments`);
    p.receive(rawFrame(0, 'z'));
    assert.equal(peer.events.length, 1);
    const msg = peer.events[0]![1] as Buffer;
    assert.equal(msg.length, n + 2);
    assert.equal(msg[0], 0x61);
    for (let i = 0; i < n; i++) if (msg[1 + i] !== (i % 1000) % 256) assert.fail(`byte ${1 + i}`);
    assert.equal(msg[n + 1], 0x7a);
  });

  test('fragments small and large, mixed: the message is their bytes in order', () => {
    const sizes = [1, 5, 2000, 3, 1023, 1024, 1, 16384, 7, 16383, 2, 40000, 1];
    const parts = sizes.map((len, k) => Buffer.alloc(len, k + 1));
    const frames = parts.map((b, k) => rawFrame(k === 0 ? 2 : 0, b, { fin: k === parts.length - 1 }));
    const { p, peer } = make();
    for (const f of frames) p.receive(f);
    assert.deepEqual(peer.events, [['message', Buffer.concat(parts)]]);
    // Text too, cut inside UTF-8 sequences.
    const text = '€𝄞κόσμε'.repeat(700);
    const bytes = Buffer.from(text);
    const cuts = [0, 1, 3, 10, 1500, 1501, 3000, 3003, bytes.length];
    const { p: p2, peer: peer2 } = make();
    for (let k = 0; k + 1 < cuts.length; k++) p2.receive(rawFrame(k === 0 ? 1 : 0, bytes.subarray(cuts[k], cuts[k + 1]), { fin: k + 2 === cuts.length }));
    assert.deepEqual(peer2.events, [['message', text]]);
  });

  test('hold(): no frame is parsed (nor handed out to inflate) while held; going on parses what was kept, in order', () => {
    const deflated = zlib.deflateRawSync(Buffer.from('zipped'), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
    const script = Buffer.concat([rawFrame(1, 'one'), rawFrame(1, deflated, { rsv1: true }), rawFrame(1, 'three'), rawFrame(9, 'ping'), rawFrame(1, 'four')]);
    everySplit(
      script,
      (peer, p) => {
        // The reader's queue filled with the first message: held from then on.
        assert.deepEqual(peer.events, [['message', 'one']]);
        assert.equal(peer.compressed.length, 0, 'nothing handed out to inflate while held');
        assert.equal(peer.sent.length, 0, 'the ping is not parsed (nor answered) yet');
        p.hold(false);
        assert.equal(peer.compressed.length, 1);
        assert.ok(p.waiting);
        p.hold(true);
        // Inflated while held: the message comes, parsing stays held.
        p.inflated(1, true, [Buffer.from('zipped')]);
        assert.ok(!p.waiting);
        assert.deepEqual(peer.events, [['message', 'one'], ['message', 'zipped']]);
        p.hold(false);
        assert.deepEqual(peer.events, [['message', 'one'], ['message', 'zipped'], ['message', 'three'], ['ping', 'ping'], ['message', 'four']]);
        assert.deepEqual(peer.sent.map(([op, b]) => [op, b.toString()]), [[10, 'ping']]);
      },
      { compressed: true, holdAfterFirst: true },
    );
  });

  test('compressed frames: parsing waits for inflated(), bytes received meanwhile stay in order', () => {
    const deflated = zlib.deflateRawSync(Buffer.from('zipped'), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
    const script = Buffer.concat([rawFrame(1, deflated.subarray(0, 3), { rsv1: true, fin: false }), rawFrame(0, deflated.subarray(3)), rawFrame(1, 'plain')]);
    everySplit(
      script,
      (peer, p) => {
        // The driver's inflater answers each frame in turn (here: all the output at the message's end).
        const input: Buffer[] = [];
        for (let i = 0; i < 3 && peer.compressed.length > 0; i++) {
          assert.equal(p.waiting, true);
          assert.deepEqual(peer.events, [], 'nothing overtakes the compressed message');
          const [opcode, fin, payload] = peer.compressed.shift()!;
          input.push(payload);
          if (fin) input.push(Buffer.from([0, 0, 0xff, 0xff]));
          p.inflated(opcode, fin, fin ? [zlib.inflateRawSync(Buffer.concat(input), { finishFlush: zlib.constants.Z_SYNC_FLUSH })] : []);
        }
        assert.equal(p.waiting, false);
        assert.deepEqual(peer.events, [['message', 'zipped'], ['message', 'plain']]);
      },
      { compressed: true },
    );
  });

  test('inflated output that is not UTF-8 fails with 1007', () => {
    const { p, peer } = make({ compressed: true });
    p.receive(rawFrame(1, Buffer.from([1, 2, 3]), { rsv1: true }));
    p.inflated(1, true, [Buffer.from([0x61, 0xff])]);
    assert.deepEqual(peer.events, [['fail', 1007]]);
  });

  test('open() starts a fresh connection: state and a half-received message are forgotten', () => {
    const { p, peer } = make();
    p.receive(Buffer.concat([rawFrame(1, 'par', { fin: false }), rawFrame(8, closeBytes(1012))]));
    p.open(false);
    assert.equal(p.closeReceived, false);
    assert.equal(p.closeCode, null);
    p.receive(rawFrame(1, 'fresh'));
    assert.deepEqual(peer.events, [['close', 1012, ''], ['message', 'fresh']]);
  });
});

/** Keeps what the protocol hands out as it is (no copy), to see whether it survives the reuse of borrowed bytes. */
class Keeper implements ProtocolEvents {
  messages: Array<string | Buffer> = [];
  compressed: Array<[number, boolean, Buffer]> = [];
  /** Called after each message (to hold parsing, as a full reader queue does). */
  afterMessage: (() => void) | null = null;
  onMessage(msg: string | Uint8Array): void {
    this.messages.push(msg as string | Buffer);
    this.afterMessage?.();
  }
  onCompressed(opcode: number, fin: boolean, payload: Buffer): void {
    this.compressed.push([opcode, fin, payload]);
  }
  onPing(): void {}
  onPong(): void {}
  onCloseFrame(): void {}
  onFail(err: WebSocketError): void {
    throw err;
  }
  onSend(): void {}
}

describe('Protocol: borrowed bytes (a shared read buffer, reused by the next read)', () => {
  const whole = seededBytes(5000, 1);
  const big = seededBytes(3000, 2);
  const script = Buffer.concat([
    rawFrame(2, seededBytes(64, 3)),
    rawFrame(2, whole), // whole in one read: handed out as a view unless copied
    rawFrame(2, big.subarray(0, 1500), { fin: false }), // pieces ≥ 1 KiB are kept as views unless copied
    rawFrame(0, big.subarray(1500)),
    rawFrame(1, 'text ✓'),
    rawFrame(2, seededBytes(20_000, 4)), // spans reads: gathered in the parser's own buffer
  ]);
  const expected = [seededBytes(64, 3), whole, big, 'text ✓', seededBytes(20_000, 4)];

  /** Feed `bytes` in reads of `size` through one buffer of exactly that size, scribbled over after each read. */
  function feedBorrowed(p: Protocol, bytes: Buffer, size: number, between?: () => void): void {
    const shared = Buffer.allocUnsafe(size);
    for (let at = 0; at < bytes.length; at += size) {
      const n = bytes.copy(shared, 0, at, Math.min(at + size, bytes.length));
      p.receive(shared.subarray(0, n), true);
      shared.fill(0xee);
      between?.();
    }
  }

  test('every message kept (binary views, big fragments, held bytes) is intact after the buffer is reused', () => {
    // 1: a read at every byte boundary.
    for (const size of [1, 3, 7, 64, 1000, 5006, 8192, script.length]) {
      const k = new Keeper();
      const p = new Protocol(k, 1 << 20, 1 << 20);
      p.open(false);
      feedBorrowed(p, script, size);
      assert.deepEqual(k.messages, expected, `reads of ${size} bytes`);
    }
  });

  test('bytes left unparsed while held are copied, and parse intact later', () => {
    for (const size of [100, 5006, script.length]) {
      const k = new Keeper();
      const p = new Protocol(k, 1 << 20, 1 << 20);
      p.open(false);
      // Hold after every message, release after each read: the rest of each read waits in the protocol.
      k.afterMessage = () => p.hold(true);
      feedBorrowed(p, script, size, () => {
        for (let i = 0; i < 10; i++) p.hold(false);
      });
      for (let i = 0; i < 10; i++) p.hold(false);
      assert.deepEqual(k.messages, expected, `reads of ${size} bytes`);
    }
  });

  test('a compressed frame handed out to inflate is a copy (zlib reads it later)', () => {
    const input = Buffer.from('hello hello hello hello');
    const deflated = zlib.deflateRawSync(input, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
    const k = new Keeper();
    const p = new Protocol(k, 1 << 20, 1 << 20);
    p.open(true);
    feedBorrowed(p, Buffer.concat([rawFrame(1, deflated, { rsv1: true }), rawFrame(1, 'after')]), 1 << 16);
    assert.equal(k.compressed.length, 1);
    assert.deepEqual(zlib.inflateRawSync(Buffer.concat([k.compressed[0]![2], Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }), input);
    p.inflated(1, true, [input]);
    assert.deepEqual(k.messages, [input.toString(), 'after']);
  });
});
