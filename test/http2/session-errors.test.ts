/**
 * Connection errors of H2Session (session.ts) against a frame-level peer:
 * what the server sends that breaks the connection (RFC 9113 §5.4.1) ends
 * it at once with GOAWAY, and every stream in flight fails with a
 * ProtocolError (or is retried as after any lost connection) long before the
 * read timeout; a server that is merely silent is left alone; a server
 * closing the connection fails each stream with a NetworkError.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NetworkError, ProtocolError } from '../../src/errors.js';
import type { Session } from '../../src/client/session.js';
import { certs } from '../helpers/certs.js';
import { dataFrame, FrameType, headersFrame, type RawH2Server, type RawScript, rawH2Server, responseHead } from '../helpers/h2-raw.js';
import { waitFor, within } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session: newSession } = useSessions();

/** Far above what any case here may take: a case that passes was not saved by the read timeout. */
const READ_MS = 30_000;

async function raw(script: RawScript, tls = false, settings: ReadonlyArray<readonly [number, number]> = []): Promise<RawH2Server> {
  const srv = await rawH2Server(script, { tls, settings });
  cleanups.push(() => srv.close());
  return srv;
}

function session(tls: boolean): Session {
  const timeout = { connect: 5000, read: READ_MS, total: READ_MS };
  return newSession(tls ? { tls: { ca: certs().caCert }, timeout } : { http2: 'prior-knowledge', timeout });
}


function settle(p: Promise<string>): Promise<string | Error> {
  return p.then(
    (v) => v,
    (e: Error) => e,
  );
}

function isEnded(e: unknown): boolean {
  return e instanceof ProtocolError && /HTTP\/2 connection error/.test(e.message);
}

/** A frame header with any type and length, for frames the helper has no builder for. */
function rawFrame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

const ok = (id: number, body: string): Buffer => Buffer.concat([responseHead(id, 200), dataFrame(id, body, true)]);

describe('HTTP/2 connection errors fail the connection at once (RFC 9113 §5.4.1)', () => {
  // [what, the bytes for stream `id`, whether they give that stream its response head]
  const cases: Array<[string, (id: number) => Buffer, boolean]> = [
    ['a HEADERS frame on an even (server) stream id (§5.1.1)', () => responseHead(2, 200), false],
    ['a WINDOW_UPDATE of 0 on the connection (§6.9)', () => rawFrame(FrameType.WINDOW_UPDATE, 0, 0, Buffer.alloc(4)), false],
    ['a PING on a stream (§6.7)', (id) => rawFrame(FrameType.PING, 0, id, Buffer.alloc(8)), false],
    ['a CONTINUATION frame without HEADERS (§6.10)', (id) => rawFrame(FrameType.CONTINUATION, 4, id, Buffer.alloc(0)), false],
    ['DATA on a stream the client never opened (§5.1)', (id) => Buffer.concat([responseHead(id, 200), dataFrame(id + 2, 'stray')]), true],
    ['a frame over SETTINGS_MAX_FRAME_SIZE mid-body (§4.2)', (id) => Buffer.concat([responseHead(id, 200), dataFrame(id, 'part'), rawFrame(FrameType.DATA, 0, id, Buffer.alloc(20_000))]), true],
    ['a header block HPACK cannot decode (RFC 7541 §2.3.3: index 0)', (id) => headersFrame(id, Buffer.from([0x80])), false],
    ['bytes that are no frame after SETTINGS (an HTTP/1.1 answer)', () => Buffer.from('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n', 'latin1'), false],
  ];
  for (const [what, bad, headed] of cases) {
    for (const tls of [false, true]) {
      test(`${what} (${tls ? 'TLS' : 'h2c'}): ProtocolError for the buffered GET and the streamed POST; the GET on the reused session ${headed ? 'fails mid-body' : 'is retried'}`, async () => {
        // On the first connection the bad bytes go out once three streams are open; nothing else is answered there.
        const srv = await raw((c, id) => (c !== srv.conns[0] ? c.write(ok(id, `fine ${id}`)) : id === 5 ? c.write(bad(id)) : undefined), tls, [[3, 10]]);
        const s = session(tls);
        const t0 = Date.now();
        const a = assert.rejects(s.get(`${srv.url}/a`), isEnded);
        await waitFor(() => srv.streams === 1, 2000, 'stream 1');
        const b = assert.rejects(s.stream('POST', `${srv.url}/b`, { body: 'x' }).then((r) => r.bytes()), isEnded);
        await waitFor(() => srv.streams === 2, 2000, 'stream 3');
        const r = settle(s.get(`${srv.url}/r`).then((res) => res.text()));
        const [, , third] = await within(5000, Promise.all([a, b, r]), 'the three requests');
        assert.ok(Date.now() - t0 < 5000, 'failed at once, not by the read timeout');
        if (headed) assert.ok(isEnded(third), `a stream with its head is never retried: ${String(third)}`);
        else assert.equal(third, 'fine 1', 'an idempotent request on a reused session is retried on a new one (as after any lost session)');
        assert.equal((await within(5000, s.get(`${srv.url}/c`), 'the next request')).text(), headed ? 'fine 1' : 'fine 3');
        assert.equal(srv.conns[0]!.frames.filter((f) => f.type === FrameType.HEADERS).length, 3, 'all three went out on the ended session');
        assert.equal(srv.connections, 2);
      });
    }
  }

  test('every stream in flight on the failed connection fails with its own error and URL; the next request gets a new connection', async () => {
    let opened = 0;
    const srv = await raw(
      (c, id) => {
        if (c !== srv.conns[0]) return c.write(ok(id, `second ${id}`));
        if (id === 1) return c.write(ok(id, 'warm'));
        // Five streams open, each with its head; then a frame that ends the connection.
        void c.write(responseHead(id, 200), dataFrame(id, 'part'));
        if (++opened === 5) void c.write(dataFrame(99, 'stray'));
      },
      false,
      [[3, 5]],
    );
    const s = session(false);
    await s.get(`${srv.url}/warm`);
    const posts = Array.from({ length: 5 }, (_, i) => settle(s.post(`${srv.url}/p${i}`, { body: 'x' }).then((r) => r.text())));
    const results = await within(5000, Promise.all(posts), 'the streams of the ended session');
    results.forEach((r, i) => {
      assert.ok(isEnded(r), `stream ${i}: ${String(r)}`);
      assert.match((r as Error).message, new RegExp(`^POST http://127\\.0\\.0\\.1:\\d+/p${i}: `), 'stamped with its own request only');
    });
    assert.equal((await s.get(`${srv.url}/after`)).text(), 'second 1');
    assert.equal(srv.connections, 2);
  });

  test('a silent server is not taken for a dead one: the late response arrives, and no PING was needed', async () => {
    const srv = await raw(async (c, id) => {
      await new Promise((r) => setTimeout(r, 2200));
      await c.write(ok(id, 'late'));
    });
    const s = session(false);
    const r = await within(6000, s.get(`${srv.url}/slow`), 'the slow request');
    assert.equal(r.text(), 'late');
    const pings = srv.conns[0]!.frames.filter((f) => f.type === FrameType.PING);
    assert.equal(pings.length, 0);
  });

  test('a streamed body read slowly and a session going quiet between requests: no PING while frames arrive, no false alarm', async () => {
    const srv = await raw(async (c, id) => {
      await c.write(responseHead(id, 200));
      for (let i = 0; i < 8; i++) {
        await c.write(dataFrame(id, `c${i}`));
        await new Promise((r) => setTimeout(r, 150));
      }
      await c.write(dataFrame(id, '', true));
    });
    const s = session(false);
    const st = await s.stream('GET', `${srv.url}/drip`);
    assert.equal(await within(6000, st.text(), 'the drip'), 'c0c1c2c3c4c5c6c7');
    await new Promise((r) => setTimeout(r, 1200)); // idle: no stream, no probe
    assert.equal((await within(6000, s.stream('GET', `${srv.url}/drip2`).then((x) => x.text()), 'the second drip')), 'c0c1c2c3c4c5c6c7');
    assert.equal(srv.conns[0]!.frames.filter((f) => f.type === FrameType.PING).length, 0);
    assert.equal(srv.connections, 1);
  });

  test('a server closing the connection under streams in flight: each fails with a NetworkError, none hangs', async () => {
    let opened = 0;
    const srv = await raw(
      (c, id) => {
        if (id === 1) return c.write(ok(id, 'warm'));
        void c.write(responseHead(id, 200), dataFrame(id, 'part'));
        if (++opened === 6) setTimeout(() => c.destroy(), 20);
      },
      true,
      [[3, 100]],
    );
    const s = session(true);
    await s.get(`${srv.url}/warm`);
    const all = await within(5000, Promise.all(Array.from({ length: 6 }, (_, i) => settle(s.get(`${srv.url}/g${i}`).then((r) => r.text())))), 'the streams');
    all.forEach((r, i) => {
      assert.ok(r instanceof NetworkError, `stream ${i}: ${String(r)}`);
      assert.match(r.message, new RegExp(`/g${i}: .*HTTP/2 connection`));
    });
  });
});

describe('HTTP/2 HEADERS framing: the GOAWAY names the error (RFC 9113 §4.2, §6.2)', () => {
  const block = (): Buffer => Buffer.from([0x88]); // :status 200, indexed
  // [what, the HEADERS frame's flags and payload for stream `id`, the GOAWAY code the client must send]
  const cases: Array<[string, (id: number) => Buffer, number]> = [
    ['PRIORITY flag, 3 octets: too small for its 5 priority octets', (id) => rawFrame(FrameType.HEADERS, 0x20 | 0x4 | 0x1, id, Buffer.alloc(3)), 0x6],
    ['PADDED and PRIORITY, 5 octets: too small for Pad Length + 5 priority octets', (id) => rawFrame(FrameType.HEADERS, 0x28 | 0x4 | 0x1, id, Buffer.alloc(5)), 0x6],
    ['PADDED, Pad Length 200 past the frame', (id) => rawFrame(FrameType.HEADERS, 0x8 | 0x4 | 0x1, id, Buffer.concat([Buffer.from([200]), block()])), 0x1],
    ['PADDED and PRIORITY, Pad Length past the fragment', (id) => rawFrame(FrameType.HEADERS, 0x28 | 0x4 | 0x1, id, Buffer.concat([Buffer.from([2]), Buffer.alloc(5), block()])), 0x1],
  ];
  for (const [what, bad, code] of cases) {
    test(`${what}: GOAWAY(${code === 0x6 ? 'FRAME_SIZE_ERROR' : 'PROTOCOL_ERROR'})`, async () => {
      const srv = await raw((c, id) => c.write(bad(id)));
      const s = session(false);
      await within(5000, assert.rejects(s.get(`${srv.url}/h`), isEnded), 'the request');
      await waitFor(() => srv.conns[0]!.frames.some((f) => f.type === FrameType.GOAWAY), 2000, 'the GOAWAY');
      const goaway = srv.conns[0]!.frames.find((f) => f.type === FrameType.GOAWAY)!;
      assert.equal(goaway.payload.readUInt32BE(4), code);
    });
  }

  test('PADDED and PRIORITY with every field in place and an empty pad: the head is read', async () => {
    const srv = await raw((c, id) => c.write(rawFrame(FrameType.HEADERS, 0x28 | 0x4 | 0x1, id, Buffer.concat([Buffer.from([0]), Buffer.alloc(5), block()]))));
    const s = session(false);
    assert.equal((await within(5000, s.get(`${srv.url}/h`), 'the request')).status, 200);
  });
});
