/**
 * HTTP/2 flow control and the frames around it (RFC 9113 §5.5, §6.1, §6.2,
 * §6.7, §6.9), through the public Session API against servers on
 * 127.0.0.1: node:http2 servers for the ordinary cases (tiny windows, a
 * reader that does not read, HPACK tables that evict), the raw frame server
 * (test/helpers/h2-raw.ts) for exact bytes — windows closed and opened late,
 * SETTINGS_MAX_FRAME_SIZE, WINDOW_UPDATE overflows, padding, DATA past the
 * window, PING, unknown frame types. Raw cases assert what the client sent
 * from the frames the raw server recorded.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type http2 from 'node:http2';
import { describe, test } from 'node:test';
import { ProtocolError } from '../../src/errors.js';
import type { Session } from '../../src/client/session.js';
import { STREAM_WINDOW } from '../../src/http2/session.js';
import { HpackDecoder } from '../../src/http2/hpack.js';
import { certs } from '../helpers/certs.js';
import {
  continuationFrame,
  dataFrame,
  FrameType,
  headersFrame,
  hpack,
  paddedDataFrame,
  paddedHeadersFrame,
  pingFrame,
  type RawConn,
  type RawFrame,
  type RawH2Server,
  type RawScript,
  rawFrame,
  rawH2Server,
  responseHead,
  settingsFrame,
  windowUpdateFrame,
} from '../helpers/h2-raw.js';
import { type H2TestServer, h2cServer, h2Server } from '../helpers/h2-servers.js';
import { seededBytes, sleep, waitFor, within } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session: newSession } = useSessions();

const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;
const FLOW_CONTROL_ERROR = 0x3;
const MAX_WINDOW = 0x7fffffff;
const DEFAULT_WINDOW = 65535;
const DEFAULT_MAX_FRAME = 16384;
/** What a StreamResponse queues before it pauses the socket or stream (stream-response.ts HIGH_WATER_MARK). */
const STREAM_QUEUE = 256 * 1024;
/** Every wait of a case is bounded by this (the runner's default would be forever). */
const BOUND_MS = 8000;

type Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

async function raw(script: RawScript, opts: { tls?: boolean; settings?: ReadonlyArray<readonly [number, number]> } = {}): Promise<RawH2Server> {
  const srv = await rawH2Server(script, opts);
  cleanups.push(() => srv.close());
  return srv;
}

async function nodeServer(tls: boolean, handler: Handler, settings: http2.Settings = {}): Promise<H2TestServer> {
  const srv = tls ? await h2Server(handler, { settings }) : await h2cServer(handler, { settings });
  cleanups.push(() => srv.close());
  return srv;
}

function session(tls: boolean): Session {
  const timeout = { connect: 3000, read: BOUND_MS, total: BOUND_MS };
  return newSession(tls ? { tls: { ca: certs().caCert }, timeout } : { http2: 'prior-knowledge', timeout });
}


function sha(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}


/** A request body of unknown length: `buf` in pieces of varying size, yielded across ticks. */
async function* pieces(buf: Buffer): AsyncGenerator<Uint8Array> {
  const sizes = [7001, 1, 65536, 300, 16384, 100_000, 4096];
  let k = 0;
  for (let i = 0; i < buf.length; ) {
    const n = sizes[k++ % sizes.length]!;
    yield buf.subarray(i, i + n);
    i += n;
    if (k % 16 === 0) await new Promise((r) => setImmediate(r));
  }
}

/** The client's DATA frames on `stream` (all streams when omitted). */
function clientData(conn: RawConn, stream?: number): RawFrame[] {
  return conn.frames.filter((f) => f.type === FrameType.DATA && (stream === undefined || f.stream === stream));
}

/** Payload octets of DATA frames (what the raw server received as body, padding and its length octet excluded: the client never pads). */
function octets(frames: RawFrame[]): number {
  return frames.reduce((n, f) => n + f.payload.length, 0);
}

/** Whether the client ended `stream` (DATA with END_STREAM). */
function requestEnded(conn: RawConn, stream: number): boolean {
  return clientData(conn, stream).some((f) => (f.flags & 0x1) !== 0);
}

/** The windows the client gave the raw server so far: its SETTINGS_INITIAL_WINDOW_SIZE plus WINDOW_UPDATEs on `stream`, and on the connection. */
function clientWindows(conn: RawConn, stream: number): { stream: number; connection: number; streamUpdates: number } {
  let initial = DEFAULT_WINDOW;
  let streamUpdates = 0;
  let connection = DEFAULT_WINDOW;
  for (const f of conn.frames) {
    if (f.type === FrameType.SETTINGS && (f.flags & 0x1) === 0) {
      for (let i = 0; i + 6 <= f.payload.length; i += 6) if (f.payload.readUInt16BE(i) === SETTINGS_INITIAL_WINDOW_SIZE) initial = f.payload.readUInt32BE(i + 2);
    } else if (f.type === FrameType.WINDOW_UPDATE) {
      const inc = f.payload.readUInt32BE(0) & 0x7fffffff;
      if (f.stream === 0) connection += inc;
      else if (f.stream === stream) streamUpdates += inc;
    }
  }
  return { stream: initial + streamUpdates, connection, streamUpdates };
}

/** The length DATA frame `f` (as written by the raw server) counts against flow control: its whole payload, padding included. */
function flowLength(f: Buffer): number {
  return f.readUIntBE(0, 3);
}

/**
 * Send `frames` (HEADERS first, then DATA) of `stream` as a well-behaved
 * server would: a DATA frame goes out only when both windows the client
 * gave have room for it. Rejects, naming where it stalled, when the client
 * stops giving windows back for `stallMs`.
 */
async function sendFlowControlled(conn: RawConn, stream: number, frames: Buffer[], stallMs = 2000): Promise<{ sent: number }> {
  let sent = 0;
  let lastProgress = Date.now();
  for (const f of frames) {
    const type = f[3];
    if (type !== FrameType.DATA) {
      await conn.write(f);
      continue;
    }
    const len = flowLength(f);
    for (;;) {
      const w = clientWindows(conn, stream);
      if (w.stream - sent >= len && w.connection - sent >= len) break;
      if (Date.now() - lastProgress > stallMs) {
        throw new Error(`the transfer stalled after ${sent} flow-controlled octets: stream window ${w.stream - sent}, connection window ${w.connection - sent} left, next frame ${len}`);
      }
      await sleep(1);
    }
    await conn.write(f);
    sent += len;
    lastProgress = Date.now();
  }
  return { sent };
}

describe('request bodies wait for the server’s windows (RFC 9113 §6.9)', () => {
  const body = seededBytes(3 << 20, 0xb0d1);
  const digest = sha(body);

  for (const tls of [false, true]) {
    for (const kind of ['a Buffer', 'an async iterable'] as const) {
      test(`3 MiB as ${kind} against SETTINGS_INITIAL_WINDOW_SIZE=1024 (${tls ? 'TLS' : 'h2c'}): the server gets every byte`, async () => {
        const srv = await nodeServer(
          tls,
          (req, res) => {
            const h = createHash('sha256');
            let n = 0;
            req.on('data', (c: Buffer) => {
              h.update(c);
              n += c.length;
            });
            req.on('end', () => res.end(JSON.stringify({ n, sha: h.digest('hex') })));
          },
          { initialWindowSize: 1024 },
        );
        const s = session(tls);
        // The first stream may start before the server's SETTINGS arrive (65535 octets on the default window, §6.9.2), a second one certainly after.
        for (const round of [1, 2]) {
          const r = await within(BOUND_MS, s.post(`${srv.url}/upload`, { body: kind === 'a Buffer' ? body : pieces(body) }), `upload ${round}`);
          assert.equal(r.status, 200);
          assert.ok(r.ok);
          assert.deepEqual(r.json(), { n: body.length, sha: digest }, `upload ${round}`);
        }
        assert.equal(srv.sessions, 1);
      });
    }
  }
});

describe('request bodies against the raw server’s exact windows and frame size', () => {
  test('SETTINGS_INITIAL_WINDOW_SIZE=0, opened 200 ms later by SETTINGS and WINDOW_UPDATE: nothing is sent before, the body arrives whole', async () => {
    const body = seededBytes(100 * 1024, 0x100);
    let early = -1;
    const srv = await raw(
      async (c, id) => {
        if (id === 1) {
          // Warm-up: the POST then starts after the client has the server's SETTINGS.
          await c.write(responseHead(id, 200), dataFrame(id, 'warm', true));
          return;
        }
        await sleep(200);
        early = octets(clientData(c, id));
        // The stream's window opens to 65535 by the SETTINGS change (§6.9.2); the connection's by WINDOW_UPDATE; then the stream's is topped up as DATA arrives.
        await c.write(settingsFrame([[SETTINGS_INITIAL_WINDOW_SIZE, DEFAULT_WINDOW]]), windowUpdateFrame(0, 1 << 20));
        let credited = 0;
        const deadline = Date.now() + 5000;
        while (!requestEnded(c, id) && Date.now() < deadline) {
          const got = octets(clientData(c, id));
          if (got - credited >= 8192) {
            await c.write(windowUpdateFrame(id, got - credited));
            credited = got;
          }
          await sleep(2);
        }
        const got = Buffer.concat(clientData(c, id).map((f) => f.payload));
        await c.write(responseHead(id, 200), dataFrame(id, JSON.stringify({ n: got.length, sha: sha(got) }), true));
      },
      { settings: [[SETTINGS_INITIAL_WINDOW_SIZE, 0]] },
    );
    const s = session(false);
    assert.equal((await within(BOUND_MS, s.get(`${srv.url}/warm`), 'warm-up')).text(), 'warm');
    const r = await within(BOUND_MS, s.post(`${srv.url}/upload`, { body }), 'upload');
    assert.deepEqual(r.json(), { n: body.length, sha: sha(body) });
    assert.equal(early, 0, 'DATA octets sent while the stream window was 0');
    const data = clientData(srv.conns[0]!, 3);
    const largest = Math.max(...data.map((f) => f.payload.length));
    assert.ok(largest <= DEFAULT_MAX_FRAME, `a DATA frame of ${largest} octets, over the default SETTINGS_MAX_FRAME_SIZE`);
    assert.equal(srv.connections, 1);
  });

  test('SETTINGS_MAX_FRAME_SIZE=65536: DATA frames of up to 65536 octets are used, none larger', async () => {
    const body = seededBytes(300 * 1024, 0x200);
    const srv = await raw(
      async (c, id) => {
        if (id === 1) {
          await c.write(windowUpdateFrame(0, 4 << 20), responseHead(id, 200), dataFrame(id, 'warm', true));
          return;
        }
        await waitFor(() => requestEnded(c, id), 5000, 'the request body');
        const got = Buffer.concat(clientData(c, id).map((f) => f.payload));
        await c.write(responseHead(id, 200), dataFrame(id, JSON.stringify({ n: got.length, sha: sha(got) }), true));
      },
      {
        settings: [
          [SETTINGS_MAX_FRAME_SIZE, 65536],
          [SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20],
        ],
      },
    );
    const s = session(false);
    await within(BOUND_MS, s.get(`${srv.url}/warm`), 'warm-up');
    const r = await within(BOUND_MS, s.post(`${srv.url}/upload`, { body }), 'upload');
    assert.deepEqual(r.json(), { n: body.length, sha: sha(body) });
    const sizes = clientData(srv.conns[0]!, 3).map((f) => f.payload.length);
    assert.equal(Math.max(...sizes), 65536, `DATA frame sizes ${sizes.join(',')}`);
  });
  test('a SETTINGS change takes an open stream’s window negative: nothing is sent until WINDOW_UPDATEs make it positive, then exactly what they allow (§6.9.2)', async () => {
    const body = seededBytes(300 * 1024, 0x300);
    const seen: Record<string, number> = {};
    const srv = await raw(
      async (c, id) => {
        if (id === 1) {
          await c.write(windowUpdateFrame(0, 4 << 20), responseHead(id, 200), dataFrame(id, 'warm', true));
          return;
        }
        const sent = (): number => octets(clientData(c, id));
        await waitFor(() => sent() >= 100_000, 3000, 'the first 100000 octets');
        await sleep(50);
        seen.initial = sent();
        // 10000 - 100000: the window is -90000.
        await c.write(settingsFrame([[SETTINGS_INITIAL_WINDOW_SIZE, 10_000]]));
        await sleep(30);
        await c.write(windowUpdateFrame(id, 50_000)); // -40000
        await sleep(100);
        seen.stillNegative = sent();
        await c.write(windowUpdateFrame(id, 60_000)); // +20000
        await waitFor(() => sent() >= 120_000, 3000, '20000 more octets');
        await sleep(100);
        seen.positive = sent();
        await c.write(windowUpdateFrame(id, 1 << 20));
        await waitFor(() => requestEnded(c, id), 3000, 'the rest of the body');
        const got = Buffer.concat(clientData(c, id).map((f) => f.payload));
        await c.write(responseHead(id, 200), dataFrame(id, JSON.stringify({ n: got.length, sha: sha(got) }), true));
      },
      { settings: [[SETTINGS_INITIAL_WINDOW_SIZE, 100_000]] },
    );
    const s = session(false);
    await within(BOUND_MS, s.get(`${srv.url}/warm`), 'warm-up');
    const r = await within(BOUND_MS, s.post(`${srv.url}/upload`, { body }), 'upload');
    assert.deepEqual(r.json(), { n: body.length, sha: sha(body) });
    assert.deepEqual(seen, { initial: 100_000, stillNegative: 100_000, positive: 120_000 });
  });

  test('six POSTs share a connection window the server opens 4 KiB at a time: never more in flight than it allows, every body whole', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => seededBytes(200 * 1024 + i * 1111, 0x600 + i));
    let violation = '';
    const loops = new WeakSet<RawConn>();
    const srv = await raw(
      async (c, id) => {
        if (!loops.has(c)) {
          loops.add(c);
          // The connection's receive side: credit what arrived, 4 KiB at a time; check the client kept within what was credited.
          void (async () => {
            let credited = 0;
            const deadline = Date.now() + 6000;
            while (Date.now() < deadline && ![1, 3, 5, 7, 9, 11].every((sid) => requestEnded(c, sid))) {
              const got = octets(clientData(c));
              if (got > DEFAULT_WINDOW + credited && violation === '') violation = `${got} octets sent, ${DEFAULT_WINDOW + credited} allowed`;
              if (got - credited >= 4096) {
                const inc = got - credited;
                credited = got;
                await c.write(windowUpdateFrame(0, inc));
              }
              await sleep(1);
            }
          })();
        }
        await waitFor(() => requestEnded(c, id), 7000, `the body of stream ${id}`);
        const got = Buffer.concat(clientData(c, id).map((f) => f.payload));
        await c.write(responseHead(id, 200), dataFrame(id, sha(got), true));
      },
      { settings: [[SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20]] },
    );
    const s = session(false);
    const all = await within(BOUND_MS, Promise.all(bodies.map((b, i) => s.post(`${srv.url}/${i}`, { body: i % 2 === 0 ? b : pieces(b) }))), 'six uploads');
    all.forEach((r, i) => assert.equal(r.text(), sha(bodies[i]!), `body ${i}`));
    assert.equal(violation, '');
    assert.equal(srv.connections, 1);
  });

  for (const [name, serverFrame] of [
    ['the default SETTINGS_MAX_FRAME_SIZE', 0],
    ['SETTINGS_MAX_FRAME_SIZE=65536', 65536],
  ] as const) {
    test(`a 40 KB request head with ${name}: HEADERS + CONTINUATION no larger than the frame size, END_HEADERS last, END_STREAM on HEADERS only for a GET`, async () => {
      const big = 'h'.repeat(40_000);
      const srv = await raw(
        async (c, id) => {
          await waitFor(() => c.frames.some((f) => f.stream === id && (f.type === FrameType.HEADERS || f.type === FrameType.CONTINUATION) && (f.flags & 0x4) !== 0), 3000, 'END_HEADERS');
          if (id === 5) await waitFor(() => requestEnded(c, id), 3000, 'the body');
          await c.write(responseHead(id, 200), dataFrame(id, 'ok', true));
        },
        { settings: serverFrame === 0 ? [] : [[SETTINGS_MAX_FRAME_SIZE, serverFrame]] },
      );
      const s = session(false);
      await within(BOUND_MS, s.get(`${srv.url}/warm`), 'warm-up');
      await within(BOUND_MS, s.get(`${srv.url}/get`, { headers: { 'x-big': big } }), 'the GET');
      await within(BOUND_MS, s.post(`${srv.url}/post`, { headers: { 'x-big': big }, body: 'payload' }), 'the POST');
      const decoder = new HpackDecoder();
      for (const [id, method] of [
        [1, 'GET'],
        [3, 'GET'],
        [5, 'POST'],
      ] as const) {
        const hs = srv.conns[0]!.frames.filter((f) => f.stream === id && (f.type === FrameType.HEADERS || f.type === FrameType.CONTINUATION));
        const limit = serverFrame === 0 || id === 1 ? DEFAULT_MAX_FRAME : serverFrame;
        hs.forEach((f, i) => {
          assert.equal(f.type, i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, `stream ${id} frame ${i}`);
          assert.ok(f.payload.length <= limit, `stream ${id} frame ${i}: ${f.payload.length} octets over ${limit}`);
          assert.equal((f.flags & 0x4) !== 0, i === hs.length - 1, `stream ${id} frame ${i}: END_HEADERS`);
          assert.equal((f.flags & 0x1) !== 0, i === 0 && method === 'GET', `stream ${id} frame ${i}: END_STREAM`);
        });
        const block = Buffer.concat(hs.map((f) => f.payload));
        assert.equal(hs.length, Math.max(1, Math.ceil(block.length / limit)), `stream ${id}: ${hs.length} frames for a block of ${block.length}`);
        if (id !== 1) assert.ok(hs.length === 1 ? limit > DEFAULT_MAX_FRAME : hs.length >= 2, `stream ${id}: ${hs.length} frames`);
        const out: string[] = [];
        decoder.decode(block, 0, block.length, out, Number.POSITIVE_INFINITY);
        const fields = new Map<string, string>();
        for (let i = 0; i < out.length; i += 2) fields.set(out[i]!, out[i + 1]!);
        assert.equal(fields.get(':method'), method);
        if (id !== 1) assert.equal(fields.get('x-big'), big, `stream ${id}: x-big`);
      }
    });
  }
});

describe('WINDOW_UPDATE past 2^31-1 (RFC 9113 §6.9.1)', () => {
  test('on a stream: that request fails with FLOW_CONTROL_ERROR, the stream is reset with it, the connection carries on', async () => {
    const srv = await raw(async (c, id) => {
      if (id === 1) await c.write(windowUpdateFrame(id, MAX_WINDOW));
      else await c.write(responseHead(id, 200), dataFrame(id, 'fine', true));
    });
    const s = session(false);
    await within(BOUND_MS, 
      assert.rejects(s.get(`${srv.url}/overflow`), (e) => e instanceof ProtocolError && /FLOW_CONTROL_ERROR/.test(e.message)),
      'the overflowing request',
    );
    await waitFor(() => srv.conns[0]!.frames.some((f) => f.type === FrameType.RST_STREAM), 2000, 'the RST_STREAM of stream 1 to arrive');
    const rst = srv.conns[0]!.frames.filter((f) => f.type === FrameType.RST_STREAM && f.stream === 1);
    assert.deepEqual(
      rst.map((f) => f.payload.readUInt32BE(0)),
      [FLOW_CONTROL_ERROR],
    );
    assert.equal((await within(BOUND_MS, s.get(`${srv.url}/next`), 'the next request')).text(), 'fine');
    assert.equal(srv.connections, 1);
  });

  test('on the connection: a connection error (ProtocolError, GOAWAY FLOW_CONTROL_ERROR); the next request gets a new connection', async () => {
    const srv = await raw(async (c, id) => {
      if (srv.conns.indexOf(c) === 0) await c.write(windowUpdateFrame(0, MAX_WINDOW));
      else await c.write(responseHead(id, 200), dataFrame(id, 'fine', true));
    });
    const s = session(false);
    await within(BOUND_MS, 
      assert.rejects(s.get(`${srv.url}/overflow`), (e) => e instanceof ProtocolError && /FLOW_CONTROL_ERROR/.test(e.message)),
      'the request on the broken connection',
    );
    await waitFor(() => srv.conns[0]!.frames.some((f) => f.type === FrameType.GOAWAY), 2000, 'the GOAWAY to arrive');
    const goaway = srv.conns[0]!.frames.filter((f) => f.type === FrameType.GOAWAY);
    assert.deepEqual(
      goaway.map((f) => f.payload.readUInt32BE(4)),
      [FLOW_CONTROL_ERROR],
    );
    assert.equal((await within(BOUND_MS, s.get(`${srv.url}/next`), 'the next request')).text(), 'fine');
    assert.equal(srv.connections, 2);
  });
});

describe('WINDOW_UPDATE and SETTINGS at the window limits', () => {
  test('windows of exactly 2^31-1 are fine; a SETTINGS change past it on an open stream is a connection FLOW_CONTROL_ERROR (§6.9.2)', async () => {
    const srv = await raw(async (c, id) => {
      if (id === 1) await c.write(windowUpdateFrame(id, MAX_WINDOW - DEFAULT_WINDOW), windowUpdateFrame(0, MAX_WINDOW - DEFAULT_WINDOW), responseHead(id, 200), dataFrame(id, 'at the edge', true));
      else await c.write(windowUpdateFrame(id, MAX_WINDOW - DEFAULT_WINDOW), settingsFrame([[SETTINGS_INITIAL_WINDOW_SIZE, DEFAULT_WINDOW + 1]]));
    });
    const s = session(false);
    assert.equal((await within(BOUND_MS, s.get(`${srv.url}/edge`), 'at the edge')).text(), 'at the edge');
    await within(BOUND_MS, 
      // A POST: a GET on a reused connection would be retried on a new one after the connection error (as after any lost connection).
      assert.rejects(s.post(`${srv.url}/past`), (e) => e instanceof ProtocolError && /FLOW_CONTROL_ERROR/.test(e.message)),
      'past the edge',
    );
    await waitFor(() => srv.conns[0]!.frames.some((f) => f.type === FrameType.GOAWAY), 2000, 'the GOAWAY');
    assert.deepEqual(
      srv.conns[0]!.frames.filter((f) => f.type === FrameType.GOAWAY).map((f) => f.payload.readUInt32BE(4)),
      [FLOW_CONTROL_ERROR],
    );
  });

  test('a WINDOW_UPDATE of 0 on a stream: that request fails (PROTOCOL_ERROR), RST_STREAM(1), the connection carries on', async () => {
    const srv = await raw(async (c, id) => {
      if (id === 1) await c.write(windowUpdateFrame(id, 0));
      else await c.write(responseHead(id, 200), dataFrame(id, 'fine', true));
    });
    const s = session(false);
    await within(BOUND_MS, 
      assert.rejects(s.get(`${srv.url}/zero`), (e) => e instanceof ProtocolError && /PROTOCOL_ERROR/.test(e.message)),
      'the request',
    );
    await waitFor(() => srv.conns[0]!.frames.some((f) => f.type === FrameType.RST_STREAM), 2000, 'the RST_STREAM');
    assert.deepEqual(
      srv.conns[0]!.frames.filter((f) => f.type === FrameType.RST_STREAM).map((f) => [f.stream, f.payload.readUInt32BE(0)]),
      [[1, 0x1]],
    );
    assert.equal((await within(BOUND_MS, s.get(`${srv.url}/next`), 'the next request')).text(), 'fine');
    assert.equal(srv.connections, 1);
  });
});

/**
 * The stream's WINDOW_UPDATE is skipped while the rest of the body fits in the window left (H2Session._consumed); a body
 * that ended exactly at the window once left the server a window of 0, and node:http2 (nghttp2) does not send the empty
 * END_STREAM DATA frame with a 0 window: the response never ended.
 */
describe('response flow control: a reader that does not read stops the server', () => {
  test('a body of exactly the stream window (1 MiB, content-length) whose END_STREAM comes in an empty DATA frame after it (node:http2 res.write, then res.end): the response completes', async () => {
    const body = seededBytes(STREAM_WINDOW, 0x1111);
    const srv = await nodeServer(false, (_req, res) => {
      res.writeHead(200, { 'content-length': String(body.length) });
      // END_STREAM after the body has gone out: an empty DATA frame, which nghttp2 sends only while the stream window is above 0.
      res.write(body, () => res.end());
    });
    const s = newSession({ http2: 'prior-knowledge', timeout: { connect: 3000, read: 3000, total: 3000 } });
    const r = await within(4000, s.get(`${srv.url}/exact`), 'the response');
    assert.equal(sha(r.bytes()), sha(body));
  });

  test('4 MiB to a StreamResponse not read for 300 ms: the server gets no more than the stream window out, then the body is read whole', async () => {
    const total = 4 << 20;
    const body = seededBytes(total, 0x4444);
    const CHUNK = 16 * 1024;
    // `sent` counts octets whose write callback fired: node:http2 calls it once the DATA left for the socket, which flow control holds back
    // (nghttp2 pulls a stream's queued data only while its window allows). Writes wait for 'drain', so little more than one chunk waits queued.
    let sent = 0;
    let written = 0;
    const srv = await nodeServer(true, (_req, res) => {
      res.writeHead(200, { 'content-length': String(total) });
      const pump = (): void => {
        while (written < total) {
          const piece = body.subarray(written, written + CHUNK);
          written += piece.length;
          const more = res.write(piece, () => {
            sent += piece.length;
          });
          if (!more) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const s = session(true);
    const st = await within(BOUND_MS, s.stream('GET', `${srv.url}/big`), 'the response head');
    await sleep(300);
    const sentBeforeRead = sent;
    // The client's stream window (its SETTINGS_INITIAL_WINDOW_SIZE), plus what the StreamResponse queues before it pauses
    // the stream (taken from the window, so given back), the callbacks' granularity and what sits in node's stream buffer.
    const slack = STREAM_QUEUE + 4 * CHUNK;
    assert.ok(sentBeforeRead <= STREAM_WINDOW + slack, `the server got ${sentBeforeRead} octets out before the reader read anything (stream window ${STREAM_WINDOW}, queue ${STREAM_QUEUE})`);
    assert.ok(sentBeforeRead >= STREAM_WINDOW / 2, `only ${sentBeforeRead} octets went out: the measurement saw no flow at all`);
    assert.ok(written < total, 'the server could write the whole body without a reader');
    const got = Buffer.from(await within(5000, st.bytes(), 'the body'));
    assert.equal(got.length, total);
    assert.equal(sha(got), sha(body));
  });
});

describe('padding (RFC 9113 §6.1, §6.2)', () => {
  const body = seededBytes(5000, 0x9ad);
  /** Head (padded + PRIORITY), body in padded DATA frames of every pad size class, padded trailers. */
  const padded = (id: number): Buffer[] => [
    paddedHeadersFrame(
      id,
      hpack([
        [':status', '200'],
        ['content-length', String(body.length)],
        ['x-pad', 'head'],
      ]),
      { padLength: 37, priority: { dependency: 0, weight: 200, exclusive: true } },
    ),
    paddedDataFrame(id, body.subarray(0, 1000), 0),
    dataFrame(id, body.subarray(1000, 1500)),
    paddedDataFrame(id, body.subarray(1500, 1501), 255),
    paddedDataFrame(id, Buffer.alloc(0), 200),
    paddedDataFrame(id, body.subarray(1501, 4000), 1),
    paddedDataFrame(id, body.subarray(4000), 128),
    paddedHeadersFrame(id, hpack([['x-trailer', 't']]), { padLength: 9, endStream: true }),
  ];

  for (const split of [0, 7]) {
    test(`padded HEADERS (with PRIORITY), padded DATA and padded trailers ${split === 0 ? 'in one write' : `in ${split}-byte writes`}: the body without padding, buffered and streamed`, async () => {
      const srv = await raw((c, id) => (split === 0 ? c.write(...padded(id)) : c.writeSplit(split, ...padded(id))));
      const s = session(false);
      const r = await within(BOUND_MS, s.get(`${srv.url}/buffered`), 'buffered');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-pad'), 'head');
      assert.ok(Buffer.from(r.bytes()).equals(body), 'buffered body');
      const st = await within(BOUND_MS, s.stream('GET', `${srv.url}/streamed`), 'streamed head');
      assert.equal(st.headers.get('x-pad'), 'head');
      const chunks: Buffer[] = [];
      for await (const chunk of st) chunks.push(Buffer.from(chunk));
      assert.ok(Buffer.concat(chunks).equals(body), 'streamed body');
    });
  }

  test('HEADERS with only PRIORITY, and with only PADDED, followed by CONTINUATION', async () => {
    const srv = await raw(async (c, id) => {
      const block = hpack([
        [':status', '200'],
        ['x-a', 'a'.repeat(100)],
        ['x-b', 'b'],
      ]);
      if (id === 1) await c.write(paddedHeadersFrame(id, block, { priority: { dependency: 0, weight: 16 } }), dataFrame(id, 'one', true));
      else await c.write(paddedHeadersFrame(id, block.subarray(0, 50), { padLength: 50, endHeaders: false }), continuationFrame(id, block.subarray(50), true), paddedDataFrame(id, 'two', 3, true));
    });
    const s = session(false);
    const a = await within(BOUND_MS, s.get(`${srv.url}/1`), 'priority only');
    assert.equal(a.headers.get('x-a'), 'a'.repeat(100));
    assert.equal(a.text(), 'one');
    const b = await within(BOUND_MS, s.get(`${srv.url}/2`), 'padded + CONTINUATION');
    assert.equal(b.headers.get('x-b'), 'b');
    assert.equal(b.text(), 'two');
  });

  for (const mode of ['buffered', 'streamed'] as const) {
    test(`2 MiB in padded DATA frames (255 octets of padding each), ${mode}: padding is credited back, the transfer completes`, async () => {
      const total = 2 << 20;
      const big = seededBytes(total, 0x2222);
      const per = DEFAULT_MAX_FRAME - 1 - 255;
      let result = null as { sent: number } | Error | null;
      const srv = await raw(async (c, id) => {
        const frames = [responseHead(id, 200, [['content-length', String(total)]])];
        for (let i = 0; i < total; i += per) frames.push(paddedDataFrame(id, big.subarray(i, i + per), 255, i + per >= total));
        try {
          result = await sendFlowControlled(c, id, frames);
        } catch (err) {
          result = err as Error;
          c.destroy();
        }
      });
      const s = session(false);
      let got: Buffer;
      if (mode === 'buffered') got = Buffer.from((await within(BOUND_MS, s.get(`${srv.url}/padded`), 'the padded body')).bytes());
      else {
        const st = await within(BOUND_MS, s.stream('GET', `${srv.url}/padded`), 'the head');
        const chunks: Buffer[] = [];
        for await (const chunk of st) {
          chunks.push(Buffer.from(chunk));
          // A slow reader: the server must wait for the window, several times.
          if (chunks.length % 32 === 0) await sleep(5);
        }
        got = Buffer.concat(chunks);
      }
      await waitFor(() => result !== null, 2000, 'the raw server to finish sending');
      if (result instanceof Error) throw result;
      assert.equal(got.length, total);
      assert.equal(sha(got), sha(big));
      const sent = (result as { sent: number }).sent;
      const w = clientWindows(srv.conns[0]!, 1);
      assert.ok(sent > total + 100 * 256, 'the padding was counted');
      // Everything but the last frames fit only because the client gave the padding back too.
      assert.ok(w.streamUpdates >= sent - STREAM_WINDOW, `the client's WINDOW_UPDATEs for the stream sum to ${w.streamUpdates}, under ${sent - STREAM_WINDOW}`);
    });
  }

  test('a body sent unpadded up to 50 octets of its end, the last 50 in a frame with 255 octets of padding: the client leaves room for it, the response completes', async () => {
    // The stream window is not given back while the rest of the body (by content-length) fits in it; that rest
    // must leave room for one frame's Pad Length octet and padding, which a server may add to its last frame.
    const total = STREAM_WINDOW - 100;
    const big = seededBytes(total, 0x5150);
    let result = null as { sent: number } | Error | null;
    const srv = await raw(async (c, id) => {
      const frames = [responseHead(id, 200, [['content-length', String(total)]])];
      const unpadded = total - 50;
      for (let i = 0; i < unpadded; i += DEFAULT_MAX_FRAME) frames.push(dataFrame(id, big.subarray(i, Math.min(i + DEFAULT_MAX_FRAME, unpadded))));
      frames.push(paddedDataFrame(id, big.subarray(unpadded), 255, true));
      try {
        result = await sendFlowControlled(c, id, frames, 1500);
      } catch (err) {
        result = err as Error;
        c.destroy();
      }
    });
    const s = session(false);
    const outcome = await within(BOUND_MS, s.get(`${srv.url}/last-padded`).then((r) => r, (e: unknown) => e as Error), 'the response');
    await waitFor(() => result !== null, 3000, 'the raw server to finish sending');
    if (result instanceof Error) throw result;
    if (outcome instanceof Error) throw outcome;
    assert.equal(sha(outcome.bytes()), sha(big));
  });

  test('padding-only DATA frames to a reader that does not read: the padding is given back at once, the server never waits on it for long', async () => {
    // 300 KiB of payload the reader holds (it does not read), then 4000 frames of padding only (256 flow-controlled octets each, 1 MiB in
    // all): more than the window left, so the transfer completes only if the client gives padding back while its reader is paused.
    const payload = seededBytes(300 * 1024, 0x3333);
    let result = null as { sent: number } | Error | null;
    const srv = await raw(async (c, id) => {
      const frames = [responseHead(id, 200)];
      for (let i = 0; i < payload.length; i += DEFAULT_MAX_FRAME) frames.push(dataFrame(id, payload.subarray(i, i + DEFAULT_MAX_FRAME)));
      const pads: Buffer[] = [];
      for (let i = 0; i < 4000; i++) pads.push(paddedDataFrame(id, Buffer.alloc(0), 255));
      frames.push(...pads, dataFrame(id, 'tail', true));
      try {
        result = await sendFlowControlled(c, id, frames);
      } catch (err) {
        result = err as Error;
        c.destroy();
      }
    });
    const s = session(false);
    const st = await within(BOUND_MS, s.stream('GET', `${srv.url}/pad`), 'the head');
    await waitFor(() => result !== null, 5000, 'the raw server to finish sending');
    if (result instanceof Error) throw result;
    const got = Buffer.from(await within(BOUND_MS, st.bytes(), 'the body'));
    assert.ok(got.equals(Buffer.concat([payload, Buffer.from('tail')])));
  });
});

describe('DATA past our stream window (RFC 9113 §6.9.1)', () => {
  test('1.5 MiB on one stream without waiting, to a reader that does not read: FLOW_CONTROL_ERROR, RST_STREAM(3), the connection carries on', async () => {
    const big = seededBytes(1.5 * (1 << 20), 0x1515);
    const srv = await raw(async (c, id) => {
      if (id !== 1) {
        await c.write(responseHead(id, 200), dataFrame(id, 'still here', true));
        return;
      }
      const frames = [responseHead(id, 200)];
      for (let i = 0; i < big.length; i += DEFAULT_MAX_FRAME) frames.push(dataFrame(id, big.subarray(i, i + DEFAULT_MAX_FRAME), i + DEFAULT_MAX_FRAME >= big.length));
      await c.write(...frames);
    });
    const s = session(false);
    const st = await within(BOUND_MS, s.stream('GET', `${srv.url}/flood`), 'the head');
    await waitFor(() => srv.conns[0]!.frames.some((f) => f.type === FrameType.RST_STREAM && f.stream === 1), 3000, 'the client to reset stream 1');
    const rst = srv.conns[0]!.frames.filter((f) => f.type === FrameType.RST_STREAM && f.stream === 1);
    assert.deepEqual(
      rst.map((f) => f.payload.readUInt32BE(0)),
      [FLOW_CONTROL_ERROR],
    );
    await within(BOUND_MS, 
      assert.rejects(st.bytes(), (e) => e instanceof ProtocolError && /FLOW_CONTROL_ERROR/.test(e.message)),
      'the flooded body',
    );
    assert.equal((await within(BOUND_MS, s.get(`${srv.url}/next`), 'the next request')).text(), 'still here');
    assert.equal(srv.connections, 1);
    assert.ok(!srv.conns[0]!.frames.some((f) => f.type === FrameType.GOAWAY), 'the client ended the connection');
  });
  test('DATA on a stream the client reset still counts against the connection window and is given back: 10 MiB after the reset, the connection carries on', async () => {
    const total = 10 << 20;
    let done = false;
    const srv = await raw(async (c, id) => {
      if (id !== 1) {
        await c.write(responseHead(id, 200), dataFrame(id, 'after the flood', true));
        return;
      }
      await c.write(responseHead(id, 200), dataFrame(id, 'x'.repeat(1000)));
      await waitFor(() => c.frames.some((f) => f.type === FrameType.RST_STREAM && f.stream === id), 3000, 'the RST_STREAM of the closed response');
      // A server that has not seen the reset yet goes on sending (§5.1: the client must accept frames in flight); this one ignores the
      // stream window too, but keeps to the connection window the client gave it.
      const chunk = Buffer.alloc(DEFAULT_MAX_FRAME, 0x78);
      let sent = 0;
      const deadline = Date.now() + 6000;
      while (sent < total && Date.now() < deadline) {
        if (clientWindows(c, id).connection - 1000 - sent >= DEFAULT_MAX_FRAME) {
          const batch: Buffer[] = [];
          for (let k = 0; k < 16 && sent < total; k++, sent += DEFAULT_MAX_FRAME) batch.push(dataFrame(id, chunk));
          await c.write(...batch);
        } else await sleep(1);
      }
      done = sent >= total;
    });
    const s = session(false);
    const st = await within(BOUND_MS, s.stream('GET', `${srv.url}/flood`), 'the head');
    await st.close();
    await waitFor(() => done, 7000, 'the raw server to send 10 MiB on the reset stream within the connection window');
    assert.equal((await within(BOUND_MS, s.get(`${srv.url}/next`), 'the next request')).text(), 'after the flood');
    assert.equal(srv.connections, 1);
    assert.ok(!srv.conns[0]!.frames.some((f) => f.type === FrameType.GOAWAY), 'the client ended the connection');
  });
});

describe('PING (RFC 9113 §6.7)', () => {
  test('a PING from the server is answered with a PING ACK carrying the same 8 octets; a PING ACK is not answered', async () => {
    const opaque = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0xfe, 0xff]);
    const srv = await raw(async (c, id) => {
      await c.write(pingFrame(opaque), pingFrame(Buffer.from('unasked!', 'latin1'), true));
      await waitFor(() => c.frames.some((f) => f.type === FrameType.PING), 3000, 'a PING ACK');
      await sleep(50);
      await c.write(responseHead(id, 200), dataFrame(id, 'pong', true));
    });
    const s = session(false);
    assert.equal((await within(BOUND_MS, s.get(`${srv.url}/ping`), 'the request')).text(), 'pong');
    const pings = srv.conns[0]!.frames.filter((f) => f.type === FrameType.PING);
    assert.equal(pings.length, 1, 'one PING frame from the client (the ACK of the server’s PING)');
    assert.equal(pings[0]!.flags, 0x1);
    assert.equal(pings[0]!.stream, 0);
    assert.deepEqual(pings[0]!.payload, opaque);
  });

  for (const [kind, tls] of [['PING', false], ['SETTINGS', false], ['PING', true]] as const) {
    test(`a ${kind} flood${tls ? ' over TLS' : ''} from a server that never reads the acknowledgements: a connection error (ENHANCE_YOUR_CALM), not unbounded buffers`, async () => {
      let flooded = 0;
      const srv = await raw(async (c, id) => {
        if (srv.connections > 1) {
          await c.write(responseHead(id, 200), dataFrame(id, 'calm', true));
          return;
        }
        c.pause();
        // 2,000 frames a write, a millisecond apart, until the client gives up; bounded at 40 MB of frames.
        const one = kind === 'PING' ? pingFrame(Buffer.alloc(8, 7)) : settingsFrame([]);
        const burst = Buffer.concat(Array.from({ length: 2000 }, () => one));
        for (let i = 0; i < 40_000_000 / burst.length && !c.destroyed; i++) {
          await c.write(burst);
          flooded += 2000;
          await sleep(1);
        }
      }, { tls });
      const s = session(tls);
      const err = await within(
        BOUND_MS + 2000,
        s.get(`${srv.url}/flood`).then(
          () => null,
          (e: unknown) => e as Error,
        ),
        'the request',
      );
      assert.ok(err instanceof ProtocolError, `expected a ProtocolError, got ${String(err)}`);
      assert.match(err.message, new RegExp(`ENHANCE_YOUR_CALM.*${kind} frames faster than it reads`));
      assert.ok(flooded >= 2000);
      // The flooded session is gone: the next request opens a new connection.
      assert.equal((await within(BOUND_MS, s.get(`${srv.url}/after`), 'the next request')).text(), 'calm');
      assert.equal(srv.connections, 2);
    });
  }

  test('PINGs while one 8 MiB DATA frame waits in our buffers (a server allowing frames that large, reading slowly) are answered, not taken for a flood', async () => {
    const BODY = 8 * 2 ** 20;
    const srv = await raw(
      async (c, id) => {
        c.pause();
        await c.write(windowUpdateFrame(0, MAX_WINDOW - DEFAULT_WINDOW));
        for (let i = 0; i < 50; i++) {
          await c.write(pingFrame(Buffer.alloc(8, i)));
          await sleep(4);
        }
        c.resume();
        await waitFor(() => c.frames.some((f) => f.type === FrameType.DATA && f.stream === id && (f.flags & 0x1) !== 0), BOUND_MS, 'the whole body');
        const got = c.frames.filter((f) => f.type === FrameType.DATA && f.stream === id).reduce((n, f) => n + f.payload.length, 0);
        await c.write(responseHead(id, 200), dataFrame(id, String(got), true));
      },
      { settings: [[SETTINGS_MAX_FRAME_SIZE, 2 ** 24 - 1], [SETTINGS_INITIAL_WINDOW_SIZE, MAX_WINDOW]] },
    );
    const s = session(false);
    const res = await within(BOUND_MS + 2000, s.post(`${srv.url}/upload`, { body: Buffer.alloc(BODY, 0x75) }), 'the upload');
    assert.equal(res.text(), String(BODY));
    const conn = srv.conns[0]!;
    assert.ok(conn.frames.some((f) => f.type === FrameType.DATA && f.payload.length > 2 ** 20), 'a DATA frame over 1 MiB went out');
    assert.equal(conn.frames.filter((f) => f.type === FrameType.PING && f.flags === 0x1).length, 50, 'every PING answered');
  });
});

describe('HPACK under load: tables that evict, many streams', () => {
  /** The response fields of request `i`: 20 fields, values changing per request, some 1 KiB, now and then one larger than the whole 4096-octet table. */
  function fieldsOf(i: number): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (let k = 0; k < 20; k++) {
      const long = k % 5 === 0;
      const base = `${i}-${k}-`;
      const value = long ? (base + seededBytes(768, i * 31 + k).toString('base64')).slice(0, 1024) : `${base}${'v'.repeat((i * 7 + k) % 40)}`;
      out.push([`x-f${k}`, value]);
    }
    if (i % 7 === 3) out.push(['x-huge', 'h'.repeat(4500) + i]);
    // The same field with a value seen before (an indexed hit while it lasts) and one that never changes.
    out.push(['x-repeat', `r${i % 3}`], ['x-const', 'constant']);
    return out;
  }

  for (const headerTableSize of [0, 4096]) {
    test(`100 responses of varied fields, ${headerTableSize === 0 ? 'a server announcing SETTINGS_HEADER_TABLE_SIZE=0, requests echoed back' : 'the server’s encoder indexing and evicting'}`, async () => {
      const srv = await nodeServer(
        false,
        (req, res) => {
          const i = Number(req.url!.slice(1));
          for (const [name, value] of fieldsOf(i)) res.setHeader(name, value);
          // The request's own varied fields, echoed: what our encoder sent must decode at the server whatever table size it allows.
          res.setHeader('x-echo', String(req.headers['x-req']));
          res.end(`body ${i}`);
        },
        { headerTableSize },
      );
      const s = session(false);
      const all = await within(BOUND_MS, 
        Promise.all(Array.from({ length: 100 }, (_, i) => s.get(`${srv.url}/${i}`, { headers: { 'x-req': `${i}:${'q'.repeat(i * 13)}` } }))),
        '100 requests',
      );
      all.forEach((r, i) => {
        assert.equal(r.status, 200);
        assert.equal(r.text(), `body ${i}`);
        const expected = fieldsOf(i);
        for (const [name, value] of expected) assert.equal(r.headers.get(name), value, `response ${i}, ${name}`);
        assert.equal(r.headers.get('x-echo'), `${i}:${'q'.repeat(i * 13)}`);
        const xs = [...r.headers].filter(([n]) => n.startsWith('x-')).map(([n]) => n);
        assert.equal(xs.length, expected.length + 1, `response ${i}: x- fields ${xs.join(',')}`);
      });
      // Then sequentially too (each block decoded against the table the previous ones left).
      for (let i = 100; i < 130; i++) {
        const r = await within(BOUND_MS, s.get(`${srv.url}/${i}`, { headers: { 'x-req': String(i) } }), `request ${i}`);
        for (const [name, value] of fieldsOf(i)) assert.equal(r.headers.get(name), value, `response ${i}, ${name}`);
      }
      assert.equal(srv.sessions, 1);
    });
  }

  test('200 concurrent GETs on one TLS session: every body verified', async () => {
    const bodyOf = (i: number): Buffer => seededBytes(1000 + ((i * 997) % 50_000), i + 1);
    const srv = await nodeServer(true, (req, res) => {
      const i = Number(req.url!.slice(1));
      res.setHeader('x-i', String(i));
      res.end(bodyOf(i));
    });
    const s = session(true);
    const all = await within(BOUND_MS, 
      Promise.all(Array.from({ length: 200 }, (_, i) => s.get(`${srv.url}/${i}`))),
      '200 requests',
    );
    all.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-i'), String(i));
      assert.equal(sha(r.bytes()), sha(bodyOf(i)), `body ${i}`);
    });
    assert.equal(srv.sessions, 1);
  });
});

describe('unknown frame types are ignored (RFC 9113 §5.5)', () => {
  const body = seededBytes(40_000, 0xfa);
  const frames = (id: number): Buffer[] => [
    rawFrame(0xfa, 0xff, id, seededBytes(10, 1)),
    responseHead(id, 200, [['content-length', String(body.length)]]),
    dataFrame(id, body.subarray(0, 10_000)),
    rawFrame(0xfa, 0, id, seededBytes(100, 2)),
    rawFrame(0xfa, 0x1, 0, seededBytes(DEFAULT_MAX_FRAME, 3)),
    dataFrame(id, body.subarray(10_000, 30_000 - 5_000)),
    rawFrame(0xfb, 0x8, 99, Buffer.alloc(0)),
    rawFrame(0xff, 0x4, id + 2, seededBytes(7, 4)),
    dataFrame(id, body.subarray(25_000)),
    rawFrame(0xfa, 0, id, seededBytes(1, 5)),
    dataFrame(id, Buffer.alloc(0), true),
  ];

  for (const split of [0, 997]) {
    test(`on the stream, on stream 0 and on idle streams, mid-response ${split === 0 ? 'in one write' : `in ${split}-byte writes`}: the body arrives whole, buffered and streamed`, async () => {
      const srv = await raw((c, id) => (split === 0 ? c.write(...frames(id)) : c.writeSplit(split, ...frames(id))));
      const s = session(false);
      const r = await within(BOUND_MS, s.get(`${srv.url}/a`), 'buffered');
      assert.ok(Buffer.from(r.bytes()).equals(body));
      const st = await within(BOUND_MS, s.stream('GET', `${srv.url}/b`), 'streamed');
      assert.ok(Buffer.from(await within(BOUND_MS, st.bytes(), 'streamed body')).equals(body));
      assert.equal(srv.connections, 1);
      assert.ok(!srv.conns[0]!.frames.some((f) => f.type === FrameType.GOAWAY || f.type === FrameType.RST_STREAM), 'the client objected to an unknown frame');
    });
  }

  test('but an unknown frame inside a header block is a connection error (RFC 9113 §6.10)', async () => {
    const srv = await raw((c, id) => c.write(headersFrame(id, hpack([[':status', '200']]), { endHeaders: false }), rawFrame(0xfa, 0, id, Buffer.alloc(4)), continuationFrame(id, hpack([['x', 'y']]), true), dataFrame(id, 'no', true)));
    const s = session(false);
    await within(BOUND_MS, 
      assert.rejects(s.get(`${srv.url}/`), (e) => e instanceof ProtocolError && /CONTINUATION/.test(e.message)),
      'the request',
    );
    await waitFor(() => srv.conns[0]!.frames.some((f) => f.type === FrameType.GOAWAY), 2000, 'the GOAWAY to arrive');
    assert.ok(srv.conns[0]!.frames.some((f) => f.type === FrameType.GOAWAY && f.payload.readUInt32BE(4) === 0x1), 'GOAWAY(PROTOCOL_ERROR)');
  });
});

describe('flow control after GOAWAY: the windows a body still needs are given back', () => {
  for (const declared of [true, false]) {
    test(`GOAWAY(last = this stream), then a 10 MiB body (more than the 8 MiB connection window)${declared ? ' with content-length' : ', no content-length'}: arrives whole`, async () => {
      const body = seededBytes(10 << 20, 7);
      const srv = await nodeServer(false, (req, res) => {
        if (declared) res.setHeader('content-length', String(body.length));
        req.stream.session?.goaway(0, req.stream.id ?? 0);
        let at = 0;
        const more = (): void => {
          while (at < body.length) {
            const piece = body.subarray(at, at + (1 << 20));
            at += piece.length;
            if (!res.write(piece)) {
              res.once('drain', more);
              return;
            }
          }
          res.end();
        };
        more();
      });
      const s = session(false);
      const r = await within(BOUND_MS, s.get(`${srv.url}/after-goaway`), 'the body after GOAWAY');
      assert.equal(sha(r.bytes()), sha(body));
    });
  }
});
