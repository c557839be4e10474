/**
 * The HTTP/2 stream driver against a frame-level peer (test/helpers/h2-raw.ts):
 * every response is checked against its framing — END_STREAM, RST_STREAM
 * codes, content-length (RFC 9113 §8.1, §8.1.1; RFC 9110 §6.1) — buffered
 * and streamed, with the frames split into small writes unless a case needs
 * them in one read.
 */
import assert from 'node:assert/strict';
import type net from 'node:net';
import { Duplex } from 'node:stream';
import { describe, test } from 'node:test';
import { Connection } from '../../src/transport/connection.js';
import { InvalidResponseError, LimitExceededError, NetworkError, ProtocolError, ReadTimeout, TimeoutError } from '../../src/errors.js';
import type { Session } from '../../src/client/session.js';
import { STREAM_WINDOW } from '../../src/http2/session.js';
import { certs } from '../helpers/certs.js';
import {
  continuationFrame,
  dataFrame,
  FrameType,
  goawayFrame,
  headersFrame,
  hpack,
  type RawConn,
  type RawH2Server,
  type RawScript,
  rawH2Server,
  responseHead,
  rstFrame,
  settingsFrame,
} from '../helpers/h2-raw.js';
import { sleep, waitFor, within } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const NO_ERROR = 0;
const INTERNAL_ERROR = 2;
const CANCEL = 8;
const REFUSED_STREAM = 7;
const ENHANCE_YOUR_CALM = 11;
const MAX_FRAME = 16384;

const { cleanups, session: newSession } = useSessions();

async function raw(script: RawScript, tls = false): Promise<RawH2Server> {
  const srv = await rawH2Server(script, { tls });
  cleanups.push(() => srv.close());
  return srv;
}

function session(tls = false, opts: Parameters<typeof newSession>[0] = {}): Session {
  return newSession(tls ? { tls: { ca: certs().caCert }, ...opts } : { http2: 'prior-knowledge', ...opts });
}

/** A header block split over HEADERS + CONTINUATION frames no larger than the default SETTINGS_MAX_FRAME_SIZE. */
function headerBlock(stream: number, block: Buffer, size = MAX_FRAME): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i === 0 || i < block.length; i += size) {
    const piece = block.subarray(i, i + size);
    const last = i + size >= block.length;
    out.push(i === 0 ? headersFrame(stream, piece, { endHeaders: last }) : continuationFrame(stream, piece, last));
  }
  return out;
}

/** RST_STREAM frames the client sent. */
function clientResets(srv: RawH2Server): number[] {
  return srv.conns.flatMap((c: RawConn) => c.frames.filter((f) => f.type === FrameType.RST_STREAM).map((f) => f.payload.readUInt32BE(0)));
}

/** Run `url` buffered and streamed; both must reject with `check`. */
async function bothReject(s: Session, url: string, check: (e: unknown) => boolean): Promise<void> {
  await assert.rejects(s.get(url), check, 'buffered');
  await assert.rejects(
    s.stream('GET', url).then((r) => r.bytes()),
    check,
    'streamed',
  );
}

describe('HTTP/2 framing: a reset is not an end (RFC 9113 §8.1)', () => {
  for (const [name, code] of [
    ['NO_ERROR', NO_ERROR],
    ['CANCEL', CANCEL],
  ] as const) {
    test(`RST_STREAM(${name}) before END_STREAM with content-length: 100 after 30 bytes fails, naming ${name}`, async () => {
      const srv = await raw(async (c, id) => {
        await c.writeSplit(7, responseHead(id, 200, [['content-length', '100']]), dataFrame(id, 'x'.repeat(30)));
        void c.write(rstFrame(id, code));
      });
      const s = session();
      await bothReject(s, `${srv.url}/cl`, (e) => e instanceof ProtocolError || e instanceof NetworkError ? new RegExp(name).test((e as Error).message) : false);
    });

    test(`RST_STREAM(${name}) before END_STREAM without content-length fails too (TLS)`, async () => {
      const srv = await raw(async (c, id) => {
        await c.writeSplit(5, responseHead(id, 200, [['content-type', 'text/plain']]), dataFrame(id, 'partial body'));
        void c.write(rstFrame(id, code));
      }, true);
      const s = session(true);
      await bothReject(s, `${srv.url}/nocl`, (e) => (e instanceof ProtocolError || e instanceof NetworkError) && new RegExp(name).test((e as Error).message));
    });
  }

  test('RST_STREAM(NO_ERROR) after END_STREAM: the complete response is delivered (§8.1)', async () => {
    const srv = await raw((c, id) => c.write(responseHead(id, 200, [['content-length', '5']]), dataFrame(id, 'hello', true), rstFrame(id, NO_ERROR)));
    const s = session();
    const r = await s.get(`${srv.url}/ok`);
    assert.equal(r.text(), 'hello');
    const st = await s.stream('GET', `${srv.url}/ok`);
    assert.equal(await st.text(), 'hello');
  });

  test('RST_STREAM(NO_ERROR) once the whole content-length arrived, END_STREAM never sent: complete (§8.1); without content-length or short of it: truncated', async () => {
    const srv = await raw(async (c, id) => {
      if (id === 1 || id === 3) await c.writeSplit(4, responseHead(id, 200, [['content-length', '5']]), dataFrame(id, 'hello'), rstFrame(id, NO_ERROR));
      else if (id === 5) await c.writeSplit(4, responseHead(id, 200, [['content-length', '6']]), dataFrame(id, 'hello'), rstFrame(id, NO_ERROR));
      else await c.writeSplit(4, responseHead(id, 200), dataFrame(id, 'hello'), rstFrame(id, NO_ERROR));
    });
    const s = session();
    assert.equal((await s.get(`${srv.url}/1`)).text(), 'hello');
    assert.equal(await (await s.stream('GET', `${srv.url}/3`)).text(), 'hello');
    await assert.rejects(s.get(`${srv.url}/5`), (e) => e instanceof ProtocolError && /NO_ERROR before END_STREAM/.test(e.message));
    await assert.rejects(s.get(`${srv.url}/7`), (e) => e instanceof ProtocolError && /NO_ERROR before END_STREAM/.test(e.message));
  });

  test('END_STREAM on the HEADERS frame: an empty body, in the same write and split', async () => {
    const srv = await raw(async (c, id) => {
      if (id === 1) void c.write(responseHead(id, 204, [], true));
      else await c.writeSplit(3, responseHead(id, 200, [['content-length', '0']], true));
    });
    const s = session();
    const a = await s.get(`${srv.url}/a`);
    assert.equal(a.status, 204);
    assert.equal(a.bytes().length, 0);
    const b = await s.get(`${srv.url}/b`);
    assert.equal(b.status, 200);
    assert.equal(b.bytes().length, 0);
  });

  test('a body spread over many DATA frames and small writes arrives whole; other streams are unaffected by a reset one', async () => {
    const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const srv = await raw(async (c, id) => {
      if (id === 3) {
        await c.writeSplit(4, responseHead(id, 200), dataFrame(id, 'abc'));
        void c.write(rstFrame(id, NO_ERROR));
        return;
      }
      const frames = [responseHead(id, 200, [['content-length', String(body.length)]])];
      for (let i = 0; i < body.length; i += 700) frames.push(dataFrame(id, body.subarray(i, i + 700), i + 700 >= body.length));
      await c.writeSplit(11, ...frames);
    });
    const s = session();
    const [a, b, c] = await Promise.allSettled([s.get(`${srv.url}/1`), s.get(`${srv.url}/2`), s.get(`${srv.url}/3`)]);
    assert.equal(a.status, 'fulfilled');
    assert.deepEqual(Buffer.from((a as PromiseFulfilledResult<{ bytes(): Uint8Array }>).value.bytes()), body);
    assert.equal(b.status, 'rejected');
    assert.match(((b as PromiseRejectedResult).reason as Error).message, /NO_ERROR/);
    assert.equal(c.status, 'fulfilled');
    assert.deepEqual(Buffer.from((c as PromiseFulfilledResult<{ bytes(): Uint8Array }>).value.bytes()), body);
  });
});

describe('HTTP/2 framing: content-length must match the DATA (RFC 9113 §8.1.1)', () => {
  test('fewer bytes than content-length, then END_STREAM: InvalidResponseError, buffered and streamed', async () => {
    const srv = await raw((c, id) => c.writeSplit(6, responseHead(id, 200, [['content-length', '100']]), dataFrame(id, 'y'.repeat(30), true)));
    const s = session();
    await bothReject(s, `${srv.url}/short`, (e) => e instanceof InvalidResponseError && /content-length/i.test((e as Error).message));
  });

  test('more bytes than content-length: InvalidResponseError, buffered and streamed', async () => {
    const srv = await raw((c, id) => c.writeSplit(6, responseHead(id, 200, [['content-length', '10']]), dataFrame(id, 'z'.repeat(20), true)));
    const s = session();
    await bothReject(s, `${srv.url}/long`, (e) => e instanceof InvalidResponseError && /content-length/i.test((e as Error).message));
  });

  test('HEAD and 304 responses carry content-length without a body', async () => {
    const srv = await raw((c, id) => c.write(responseHead(id, id === 1 ? 200 : 304, [['content-length', '1234']], true)));
    const s = session();
    const head = await s.head(`${srv.url}/h`);
    assert.equal(head.bytes().length, 0);
    const notModified = await s.get(`${srv.url}/n`);
    assert.equal(notModified.status, 304);
    assert.equal(notModified.bytes().length, 0);
  });
});

describe('HTTP/2 framing: GOAWAY (RFC 9113 §6.8)', () => {
  test('GOAWAY(INTERNAL_ERROR) in the same read as END_STREAM (TLS): the complete response is delivered', async () => {
    const srv = await raw((c, id) => c.write(responseHead(id, 200, [['content-length', '11']]), dataFrame(id, 'hello world', true), goawayFrame(id, INTERNAL_ERROR)), true);
    const s = session(true);
    const r = await s.get(`${srv.url}/g`);
    assert.equal(r.text(), 'hello world');
    const st = await s.stream('GET', `${srv.url}/g2`);
    assert.equal(await st.text(), 'hello world');
  });

  test('GOAWAY(INTERNAL_ERROR) right after END_STREAM of a body the reader has not read yet (TLS, 90 % of the stream window): delivered whole', async () => {
    const body = Buffer.alloc(Math.floor(STREAM_WINDOW * 0.9), 0x61);
    for (let i = 0; i < body.length; i += 997) body[i] = 0x62;
    const srv = await raw(async (c, id) => {
      const frames = [responseHead(id, 200, [['content-length', String(body.length)]])];
      for (let i = 0; i < body.length; i += MAX_FRAME) frames.push(dataFrame(id, body.subarray(i, i + MAX_FRAME), i + MAX_FRAME >= body.length));
      await c.write(...frames, goawayFrame(id, INTERNAL_ERROR));
    }, true);
    const s = session(true);
    const st = await s.stream('GET', `${srv.url}/big`);
    // Let every frame (and the GOAWAY) arrive before reading: the body waits in buffers when the session dies.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(Buffer.from(await st.bytes()), body);
  });

  test('GOAWAY(INTERNAL_ERROR) before END_STREAM: the truncated response fails', async () => {
    const srv = await raw((c, id) => c.write(responseHead(id, 200, [['content-length', '11']]), dataFrame(id, 'hello'), goawayFrame(id, INTERNAL_ERROR)), true);
    const s = session(true);
    await bothReject(s, `${srv.url}/g`, (e) => e instanceof NetworkError || e instanceof ProtocolError);
  });
});

describe('HTTP/2 framing: header limits answer LimitExceededError and are never retried', () => {
  test('more than maxHeaderCount fields: LimitExceededError (maxHeaderCount), buffered and streamed, never retried', async () => {
    const fields = Array.from({ length: 150 }, (_, i) => [`x-h${i}`, 'v'] as const);
    const srv = await raw((c, id) => c.writeSplit(512, ...headerBlock(id, hpack([[':status', '200'], ...fields])), dataFrame(id, 'ok', true)));
    const s = session(false, { limits: { maxHeaderCount: 100 } });
    // The second request runs on a reused session: a retry would be allowed if the driver took this for a lost request.
    const check = (e: unknown): boolean => e instanceof LimitExceededError && e.limit === 'maxHeaderCount';
    await assert.rejects(s.get(`${srv.url}/1`), check);
    await bothReject(s, `${srv.url}/2`, check);
    assert.equal(srv.streams, 3);
    assert.ok(!clientResets(srv).includes(ENHANCE_YOUR_CALM), 'the client reset a head within SETTINGS_MAX_HEADER_LIST_SIZE with ENHANCE_YOUR_CALM');
  });

  test('3000 fields, past the announced SETTINGS_MAX_HEADER_LIST_SIZE (decoded, then refused by the client): LimitExceededError, never retried', async () => {
    const fields = Array.from({ length: 3000 }, (_, i) => [`x-h${i}`, 'v'] as const);
    const srv = await raw((c, id) => c.writeSplit(4096, ...headerBlock(id, hpack([[':status', '200'], ...fields])), dataFrame(id, 'ok', true)));
    const s = session();
    const check = (e: unknown): boolean => e instanceof LimitExceededError;
    await assert.rejects(s.get(`${srv.url}/1`), check);
    await bothReject(s, `${srv.url}/2`, check);
    assert.equal(srv.streams, 3);
  });

  test('a header block over maxHeaderBytes across CONTINUATION frames: LimitExceededError', async () => {
    const srv = await raw((c, id) => c.writeSplit(3000, ...headerBlock(id, hpack([[':status', '200'], ['x-big', 'v'.repeat(40_000)]])), dataFrame(id, 'ok', true)));
    const s = session(false, { limits: { maxHeaderBytes: 16384 } });
    await assert.rejects(s.get(`${srv.url}/big`), (e) => e instanceof LimitExceededError && e.limit === 'maxHeaderBytes');
    assert.equal(srv.streams, 1);
  });

  test('SETTINGS_MAX_HEADER_LIST_SIZE is announced from maxHeaderBytes and maxHeaderCount (RFC 9113 §6.5.2: 32 octets per field)', async () => {
    const srv = await raw((c, id) => c.write(responseHead(id, 200, [], true)));
    const s = session(false, { limits: { maxHeaderBytes: 12345, maxHeaderCount: 100 } });
    await s.get(`${srv.url}/`);
    const settings = srv.conns[0]!.frames.find((f) => f.type === FrameType.SETTINGS && f.payload.length > 0)!;
    const announced = new Map<number, number>();
    for (let i = 0; i + 6 <= settings.payload.length; i += 6) announced.set(settings.payload.readUInt16BE(i), settings.payload.readUInt32BE(i + 2));
    assert.equal(announced.get(0x6), 12345 + 32 * (100 + 1));
  });

  test('a CONTINUATION flood: LimitExceededError, not retried', async () => {
    const srv = await raw((c, id) => {
      const frames = [headersFrame(id, hpack([[':status', '200']]), { endHeaders: false })];
      for (let i = 0; i < 200; i++) frames.push(continuationFrame(id, hpack([[`x-c${i}`, 'v']]), false));
      void c.writeSplit(512, ...frames);
    });
    const s = session();
    await assert.rejects(s.get(`${srv.url}/flood`), (e) => e instanceof LimitExceededError && e.limit === 'maxHeaderBytes');
    assert.equal(srv.streams, 1);
  });

  test('a server reset with ENHANCE_YOUR_CALM is named and never retried; the session carries on', async () => {
    const srv = await raw(async (c, id) => {
      if (id === 3) {
        await c.writeSplit(5, responseHead(id, 200, [['content-length', '10']]), dataFrame(id, 'abc'));
        await c.write(rstFrame(id, ENHANCE_YOUR_CALM));
      } else if (id === 5) await c.write(rstFrame(id, ENHANCE_YOUR_CALM));
      else await c.write(responseHead(id, 200, [['content-length', '2']]), dataFrame(id, 'ok', true));
    });
    const s = session();
    assert.equal((await s.get(`${srv.url}/1`)).text(), 'ok');
    await assert.rejects(s.get(`${srv.url}/3`), (e) => e instanceof NetworkError && /ENHANCE_YOUR_CALM/.test(e.message));
    // Before the head: the server asks us to calm down (RFC 9113 §7), an answer, not a lost request to retry.
    await assert.rejects(s.get(`${srv.url}/5`), (e) => e instanceof NetworkError && /ENHANCE_YOUR_CALM/.test(e.message));
    assert.equal((await s.get(`${srv.url}/7`)).text(), 'ok');
    assert.equal(srv.streams, 4);
    assert.equal(srv.connections, 1);
  });
});

/** `sock` behind a plain JavaScript Duplex, as a userland transport gives it. */
function throughJs(sock: net.Socket): net.Socket {
  const js = new Duplex({
    read: () => void sock.resume(),
    write: (chunk: Buffer, _enc, cb) => void sock.write(chunk, cb),
    final: (cb) => {
      sock.end();
      cb();
    },
    destroy: (err, cb) => {
      sock.destroy();
      cb(err);
    },
  });
  sock.on('data', (d: Buffer) => {
    if (!js.push(d)) sock.pause();
  });
  sock.on('end', () => js.push(null));
  sock.on('error', (err) => js.destroy(err));
  sock.on('close', () => js.destroy());
  sock.resume();
  return js as unknown as net.Socket;
}

describe('HTTP/2 over a userland Duplex transport (no socket handle, no ref/unref)', () => {
  test('a session read through a JavaScript Duplex: every body whole, buffered and streamed', async () => {
    const srv = await raw((c, id) =>
      c.write(responseHead(id, 200, [['content-length', '11'], ['x-id', String(id)]]), dataFrame(id, 'hello '), dataFrame(id, `w${String(id % 10)}rld`, true)),
    );
    const s = session();
    const connect = s._pool.connector;
    s._pool.connector = async (opts) => new Connection(throughJs((await connect(opts)).detach()));
    for (let i = 0; i < 5; i++) {
      const r = await s.get(`${srv.url}/${i}`);
      const id = Number(r.headers.get('x-id'));
      assert.equal(r.text(), `hello w${id % 10}rld`);
      const st = await s.stream('GET', `${srv.url}/s${i}`);
      const sid = Number(st.headers.get('x-id'));
      assert.equal(await st.text(), `hello w${sid % 10}rld`);
    }
    assert.equal(srv.connections, 1);
  });
});

describe('HTTP/2 response heads: malformed ones are stream errors (RFC 9113 §8.1, §8.2, §8.3)', () => {
  const H = (id: number, fields: ReadonlyArray<readonly [string, string]>, endStream = false): Buffer => headersFrame(id, hpack(fields), { endStream });
  const ok = (id: number): Buffer => Buffer.concat([responseHead(id, 200, [['content-length', '2']]), dataFrame(id, 'ok', true)]);
  // [what, the bytes for the stream, the method]
  const cases: Array<[string, (id: number) => Buffer, string]> = [
    ['DATA before the response HEADERS (§8.1)', (id) => Buffer.concat([dataFrame(id, 'early'), responseHead(id, 200), dataFrame(id, 'ok', true)]), 'GET'],
    ['a field value with a LF (§8.2.1)', (id) => Buffer.concat([H(id, [[':status', '200'], ['x-a', 'b\nc']]), dataFrame(id, 'ok', true)]), 'GET'],
    ['a field value with a NUL (§8.2.1)', (id) => Buffer.concat([H(id, [[':status', '200'], ['x-a', 'b\0c']]), dataFrame(id, 'ok', true)]), 'GET'],
    ['a field value with leading whitespace (§8.2.1)', (id) => Buffer.concat([H(id, [[':status', '200'], ['x-a', ' b']]), dataFrame(id, 'ok', true)]), 'GET'],
    ['a field name with a space (§8.2.1)', (id) => Buffer.concat([H(id, [[':status', '200'], ['x a', 'b']]), dataFrame(id, 'ok', true)]), 'GET'],
    ['content-length that is no number (§8.1.1)', (id) => Buffer.concat([H(id, [[':status', '200'], ['content-length', '2x']]), dataFrame(id, 'ok', true)]), 'GET'],
    ['an upper-case field name (§8.2)', (id) => Buffer.concat([H(id, [[':status', '200'], ['X-Upper', 'a']]), dataFrame(id, 'ok', true)]), 'GET'],
    ...['connection: keep-alive', 'transfer-encoding: chunked', 'keep-alive: timeout=5', 'upgrade: h2c', 'proxy-connection: close', 'te: gzip'].map(
      (f): [string, (id: number) => Buffer, string] => {
        const [name, value] = f.split(': ') as [string, string];
        return [`connection-specific "${f}" (§8.2.2)`, (id) => Buffer.concat([H(id, [[':status', '200'], [name, value]]), dataFrame(id, 'ok', true)]), 'GET'];
      },
    ),
    ['a pseudo-header after a regular field (§8.3)', (id) => Buffer.concat([H(id, [['x-a', 'b'], [':status', '200']]), dataFrame(id, 'ok', true)]), 'GET'],
    ['an unknown pseudo-header (§8.3)', (id) => Buffer.concat([H(id, [[':status', '200'], [':foo', 'b']]), dataFrame(id, 'ok', true)]), 'GET'],
    ['a request pseudo-header in a response (§8.3)', (id) => Buffer.concat([H(id, [[':status', '200'], [':path', '/']]), dataFrame(id, 'ok', true)]), 'GET'],
    ['no :status (§8.3.2)', (id) => Buffer.concat([H(id, [['x-a', 'b']]), dataFrame(id, 'ok', true)]), 'GET'],
    ['two :status (§8.3.2)', (id) => Buffer.concat([H(id, [[':status', '200'], [':status', '201']]), dataFrame(id, 'ok', true)]), 'GET'],
    ['an informational head with END_STREAM (§8.1)', (id) => H(id, [[':status', '103']], true), 'GET'],
    ['101 Switching Protocols (§8.6)', (id) => Buffer.concat([H(id, [[':status', '101']]), ok(id)]), 'GET'],
    ['trailers without END_STREAM (§8.1)', (id) => Buffer.concat([H(id, [[':status', '200']]), dataFrame(id, 'ok'), H(id, [['x-t', 'v']])]), 'GET'],
    ['a pseudo-header in trailers (§8.1)', (id) => Buffer.concat([H(id, [[':status', '200']]), dataFrame(id, 'ok'), H(id, [[':status', '200']], true)]), 'GET'],
    ['DATA in a response to HEAD (RFC 9110 §9.3.2)', (id) => Buffer.concat([responseHead(id, 200, [['content-length', '2']]), dataFrame(id, 'ok', true)]), 'HEAD'],
    ['DATA in a 204 (RFC 9110 §15.3.5)', (id) => Buffer.concat([responseHead(id, 204), dataFrame(id, 'ok', true)]), 'GET'],
    ['DATA in a 304 (RFC 9110 §15.4.5)', (id) => Buffer.concat([responseHead(id, 304), dataFrame(id, 'ok', true)]), 'GET'],
    ['two content-length values that disagree (§8.1.1)', (id) => Buffer.concat([H(id, [[':status', '200'], ['content-length', '2'], ['content-length', '3']]), dataFrame(id, 'ok', true)]), 'GET'],
  ];
  for (const [what, bad, method] of cases) {
    test(`${what}: ProtocolError for that ${method}, never retried; the session carries on`, async () => {
      const srv = await raw((c, id) => c.writeSplit(5, id === 1 ? bad(id) : ok(id)));
      const s = session();
      await assert.rejects(s.request(method, `${srv.url}/bad`), (e) => e instanceof ProtocolError && /PROTOCOL_ERROR/.test((e as Error).message));
      assert.equal((await s.get(`${srv.url}/next`)).text(), 'ok');
      assert.equal(srv.streams, 2, 'not retried');
      assert.equal(srv.connections, 1, 'a stream error, not a connection error');
      assert.deepEqual(clientResets(srv), [1], 'the client reset that stream');
    });
  }

  test(':status outside 200..599 (three digits, as nghttp2 checks): InvalidResponseError, never retried (RFC 9110 §15)', async () => {
    const srv = await raw((c, id) => c.write(id === 1 ? Buffer.concat([H(id, [[':status', '099']]), dataFrame(id, 'ok', true)]) : ok(id)));
    const s = session();
    await assert.rejects(s.get(`${srv.url}/bad`), (e) => e instanceof InvalidResponseError && /:status "099"/.test((e as Error).message));
    assert.equal((await s.get(`${srv.url}/next`)).text(), 'ok');
    assert.equal(srv.streams, 2);
  });

  test('"te: trailers" is the one TE value allowed (RFC 9113 §8.2.2): that response is fine', async () => {
    const srv = await raw((c, id) => c.write(H(id, [[':status', '200'], ['te', 'trailers'], ['content-length', '2']]), dataFrame(id, 'ok', true)));
    const s = session();
    const r = await s.get(`${srv.url}/te`);
    assert.equal(r.text(), 'ok');
    assert.equal(r.headers.get('te'), 'trailers');
    assert.deepEqual(clientResets(srv), []);
  });

  test('103 Early Hints then the final head: the final status and fields only (RFC 9110 §15.2)', async () => {
    const srv = await raw((c, id) => c.writeSplit(4, H(id, [[':status', '103'], ['link', '</a.css>; rel=preload']]), H(id, [[':status', '100']]), H(id, [[':status', '200'], ['content-length', '2']]), dataFrame(id, 'ok', true)));
    const s = session();
    const r = await s.get(`${srv.url}/hints`);
    assert.equal(r.status, 200);
    assert.equal(r.text(), 'ok');
    assert.equal(r.headers.get('link'), null);
  });

  test('32 interim heads are fine; a 33rd is an InvalidResponseError for that stream (as over HTTP/1.1), the connection carries on', async () => {
    const hints = (id: number, n: number): Buffer[] => Array.from({ length: n }, () => H(id, [[':status', '103']]));
    const srv = await raw((c, id) => c.write(...hints(id, id === 1 ? 32 : 40), H(id, [[':status', '200'], ['content-length', '2']]), dataFrame(id, 'ok', true)));
    const s = session();
    assert.equal((await s.get(`${srv.url}/32`)).text(), 'ok');
    await assert.rejects(s.get(`${srv.url}/40`), (e) => e instanceof InvalidResponseError && /more than 32 interim \(1xx\) responses/.test((e as Error).message));
    assert.equal(srv.connections, 1, 'a stream error, not a connection error');
    assert.equal(srv.streams, 2, 'not retried');
  });

  test('empty DATA frames are no progress: a server sending only those meets the read timeout; one byte a frame keeps the response alive', async () => {
    const srv = await raw(async (c, id) => {
      await c.write(responseHead(id, 200));
      // A frame every 25 ms, 60 at most (1.5 s): empty ones for /empty, one byte each (then END_STREAM) for /bytes.
      const bytes = srv.streams > 1;
      for (let i = 0; i < 60 && !c.destroyed; i++) {
        await c.write(dataFrame(id, bytes ? 'b' : ''));
        await sleep(25);
        if (bytes && i === 19) return void (await c.write(dataFrame(id, '', true)));
      }
    });
    const s = session(false, { timeout: { read: 200, total: 5000 } });
    const started = performance.now();
    const err = await s.get(`${srv.url}/empty`).then(
      () => null,
      (e: unknown) => e as Error,
    );
    assert.ok(err instanceof ReadTimeout, `expected a ReadTimeout, got ${String(err)}`);
    assert.ok(err instanceof TimeoutError && err.timeoutMs === 200);
    assert.ok(performance.now() - started < 1400, 'the read timeout, not the end of the server script');
    assert.equal((await s.get(`${srv.url}/bytes`)).text(), 'b'.repeat(20));
  });

  test('trailers (HEADERS with END_STREAM after DATA) end the body; their fields stay out of the head, as HTTP/1.1 trailers do', async () => {
    const srv = await raw((c, id) => c.writeSplit(3, H(id, [[':status', '200'], ['x-head', 'h']]), dataFrame(id, 'hello '), dataFrame(id, 'world'), H(id, [['x-trailer', 't']], true)));
    const s = session();
    const r = await s.get(`${srv.url}/t`);
    assert.equal(r.text(), 'hello world');
    assert.equal(r.headers.get('x-head'), 'h');
    assert.equal(r.headers.get('x-trailer'), null);
    const st = await s.stream('GET', `${srv.url}/t2`);
    assert.equal(await st.text(), 'hello world');
  });
});

describe('HTTP/2 server push refused (RFC 9113 §6.5.2, §8.4)', () => {
  const pushPromise = (id: number): Buffer => {
    const block = Buffer.concat([Buffer.from([0, 0, 0, 2]), hpack([[':method', 'GET'], [':scheme', 'http'], [':authority', 'x'], [':path', '/p']])]);
    const head = Buffer.alloc(9);
    head.writeUIntBE(block.length, 0, 3);
    head[3] = 5; // PUSH_PROMISE
    head[4] = 0x4; // END_HEADERS
    head.writeUInt32BE(id, 5);
    return Buffer.concat([head, block]);
  };
  for (const where of ['before', 'after'] as const) {
    test(`PUSH_PROMISE ${where} the response head despite SETTINGS_ENABLE_PUSH=0: a connection error (ProtocolError); the next request gets a new connection`, async () => {
      const srv = await raw((c, id) =>
        c.write(c !== srv.conns[0] ? Buffer.concat([responseHead(id, 200), dataFrame(id, 'fresh', true)]) : where === 'before' ? Buffer.concat([pushPromise(id), responseHead(id, 200), dataFrame(id, 'ok', true)]) : Buffer.concat([responseHead(id, 200), pushPromise(id), dataFrame(id, 'ok', true)])),
      );
      const s = session();
      await assert.rejects(s.get(`${srv.url}/push`), (e) => e instanceof ProtocolError);
      assert.equal((await s.get(`${srv.url}/next`)).text(), 'fresh');
      assert.equal(srv.connections, 2);
      const settings = srv.conns[0]!.frames.find((f) => f.type === FrameType.SETTINGS && (f.flags & 1) === 0)!;
      const pairs = Array.from({ length: settings.payload.length / 6 }, (_, i) => [settings.payload.readUInt16BE(i * 6), settings.payload.readUInt32BE(i * 6 + 2)]);
      assert.deepEqual(pairs.find(([k]) => k === 2), [2, 0], 'the client announced SETTINGS_ENABLE_PUSH=0');
    });
  }

  test('a server announcing SETTINGS_ENABLE_PUSH=1: a connection error (ProtocolError)', async () => {
    const srv = await rawH2Server((c, id) => c.write(responseHead(id, 200), dataFrame(id, 'ok', true)), { settings: [[2, 1]] });
    cleanups.push(() => srv.close());
    const s = session();
    await assert.rejects(s.get(`${srv.url}/x`), (e) => e instanceof ProtocolError);
  });
});

describe('HTTP/2 framing: graceful GOAWAY during a body (RFC 9113 §6.8)', () => {
  test('GOAWAY(NO_ERROR, last = this stream) mid-body: the stream finishes whole, the next request gets a new connection', async () => {
    const srv = await raw(async (c, id) => {
      if (c !== srv.conns[0]) return c.write(responseHead(id, 200), dataFrame(id, 'new', true));
      await c.writeSplit(4, responseHead(id, 200), dataFrame(id, 'first '), goawayFrame(id, NO_ERROR));
      await new Promise((r) => setTimeout(r, 30));
      await c.writeSplit(4, dataFrame(id, 'half'), dataFrame(id, '', true));
    });
    const s = session();
    assert.equal((await s.get(`${srv.url}/a`)).text(), 'first half');
    assert.equal((await s.get(`${srv.url}/b`)).text(), 'new');
    assert.equal(srv.connections, 2);
  });

  for (const cl of [true, false]) {
    test(`GOAWAY(NO_ERROR, last = this stream) mid-body, then the server closes the connection (${cl ? 'with' : 'without'} content-length): an error, never a short body`, async () => {
      const srv = await raw(async (c, id) => {
        await c.write(responseHead(id, 200, cl ? [['content-length', '100']] : []), dataFrame(id, 'part'), goawayFrame(id, NO_ERROR));
        await new Promise((r) => setTimeout(r, 30));
        c.destroy();
      });
      const s = session();
      await bothReject(s, `${srv.url}/cut`, (e) => e instanceof NetworkError || e instanceof ProtocolError);
    });
  }
});

describe('HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS from the server (RFC 9113 §5.1.2, §6.5.2)', () => {
  test('0, then raised to 2, then lowered to 1 below the streams in flight: requests wait, then never exceed the limit in force; all succeed', async () => {
    let open = 0;
    let peak = 0;
    let lowered = false;
    let peakLowered = 0;
    const opened: number[] = [];
    const srv = await rawH2Server(
      async (c, id) => {
        opened.push(Date.now());
        peak = Math.max(peak, ++open);
        if (lowered) peakLowered = Math.max(peakLowered, open);
        await new Promise((r) => setTimeout(r, 40));
        open--;
        await c.write(responseHead(id, 200), dataFrame(id, `id ${id}`, true));
      },
      { settings: [[3, 0]] },
    );
    cleanups.push(() => srv.close());
    const s = session();
    // The first stream may go out before the server's SETTINGS are read (the initial limit is one stream).
    const first = await s.get(`${srv.url}/first`);
    assert.equal(first.status, 200);
    const t0 = Date.now();
    const raise = setTimeout(() => void srv.conns[0]!.write(settingsFrame([[3, 2]])), 200);
    cleanups.push(() => clearTimeout(raise));
    const waiting = Array.from({ length: 6 }, (_, i) => s.get(`${srv.url}/w${i}`).then((r) => r.text()));
    const texts = await Promise.all(waiting);
    assert.equal(texts.length, 6);
    assert.ok(opened.slice(1).every((t) => t >= t0 + 190), 'no stream opened while the limit was 0');
    assert.equal(peak, 2, 'never more than 2 once raised');
    // Two in flight, then the limit drops to 1: the next streams wait until both are done, then go one at a time.
    const inFlight = [s.get(`${srv.url}/f0`), s.get(`${srv.url}/f1`)];
    await waitFor(() => open === 2, 2000, 'two streams in flight');
    lowered = true;
    await srv.conns[0]!.write(settingsFrame([[3, 1]]));
    await new Promise((r) => setTimeout(r, 10));
    const later = Array.from({ length: 4 }, (_, i) => s.get(`${srv.url}/l${i}`));
    await Promise.all([...inFlight, ...later]);
    assert.equal(peakLowered, 1, 'after the limit dropped to 1, no stream opened beside another');
    assert.equal(srv.connections, 1);
  });
});

describe('HTTP/2: a server that serves a few streams a connection (nginx keepalive_requests)', () => {
  test('streams past the first 2 of each connection refused (REFUSED_STREAM, then GOAWAY): 30 concurrent GETs and POSTs all succeed, each answered once', async () => {
    const answered = new Map<string, number>();
    const srv = await raw(async (c, id) => {
      const n = c.frames.filter((f) => f.type === FrameType.HEADERS).length;
      if (n > 2) {
        await c.write(rstFrame(id, REFUSED_STREAM));
        if (n === 3) await c.write(goawayFrame(3, NO_ERROR));
        return;
      }
      const key = `${srv.conns.indexOf(c)}:${id}`;
      answered.set(key, (answered.get(key) ?? 0) + 1);
      await c.write(responseHead(id, 200, [['content-length', '2']]), dataFrame(id, 'ok', true));
    });
    const s = session();
    const all = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? s.get(`${srv.url}/g${i}`) : s.post(`${srv.url}/p${i}`, { body: `b${i}` })).then((r) => r.text())));
    assert.deepEqual(all, Array.from({ length: 30 }, () => 'ok'));
    assert.equal([...answered.values()].reduce((a, b) => a + b, 0), 30, 'each request answered exactly once');
    assert.ok(srv.connections >= 15, `two streams a connection: ${srv.connections} connections`);
  });
});

describe('HTTP/2: a stream refused once (RFC 9113 §8.7)', () => {
  test('REFUSED_STREAM before any response: the POST (never processed) is sent again at once on the same connection, not after the idle timeout', async () => {
    const srv = await raw(async (c, id) => {
      if (id === 1) return c.write(rstFrame(id, REFUSED_STREAM));
      await c.write(responseHead(id, 200, [['content-length', '2']]), dataFrame(id, 'ok', true));
    });
    // The session idles far longer than the test may take: only the reset itself may start the retry.
    const s = session(false, { pool: { maxIdleMs: 30_000 }, timeout: { read: 30_000, total: 30_000 } });
    const r = await within(2000, s.post(`${srv.url}/p`, { body: 'x' }), 'the refused POST');
    assert.equal(r.text(), 'ok');
    assert.equal(srv.streams, 2, 'sent twice');
    assert.equal(srv.connections, 1, 'the connection is still good');
  });
});

describe('HTTP/2: a server that refuses every stream', () => {
  test('REFUSED_STREAM on every connection: the request fails with a NetworkError naming it after a bounded number of connections', async () => {
    const srv = await raw((c, id) => c.write(rstFrame(id, REFUSED_STREAM)));
    const s = session();
    await assert.rejects(s.get(`${srv.url}/never`), (e) => e instanceof NetworkError && /REFUSED_STREAM/.test(e.message));
    assert.ok(srv.streams >= 2 && srv.streams <= 11, `tried ${srv.streams} times`);
  });
});

describe('HTTP/2: no WINDOW_UPDATE the rest of the body does not need', () => {
  const body = (n: number): Buffer => Buffer.alloc(n, 0x61);
  const serve = (size: number) => async (c: RawConn, id: number): Promise<void> => {
    const frames = [responseHead(id, 200, [['content-length', String(size)]])];
    const b = body(size);
    for (let i = 0; i < size; i += MAX_FRAME) frames.push(dataFrame(id, b.subarray(i, i + MAX_FRAME), i + MAX_FRAME >= size));
    await c.writeSplit(64 * 1024, ...frames);
  };
  const updates = (srv: RawH2Server, stream: number): number => srv.conns[0]!.frames.filter((f) => f.type === FrameType.WINDOW_UPDATE && f.stream === stream).length;

  test('a body that fits in the stream window with room left gets none; a 3 MiB one gets them and arrives whole', async () => {
    // Room left (more than one frame's padding): a window run down to 0 would hold back a server's END_STREAM sent in an empty DATA frame.
    const small = await raw(serve(STREAM_WINDOW - 1024));
    const s = session();
    assert.equal((await s.get(`${small.url}/fits`)).bytes().length, STREAM_WINDOW - 1024);
    assert.equal(updates(small, 1), 0, 'the rest always fitted the window left');
    const big = await raw(serve(3 << 20));
    const r = await s.get(`${big.url}/big`);
    assert.ok(Buffer.from(r.bytes()).equals(body(3 << 20)));
    assert.ok(updates(big, 1) >= 2, 'the window given back as the body was read');
  });
});
