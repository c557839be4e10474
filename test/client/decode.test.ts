import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';

import { InvalidResponseError, LimitExceededError } from '../../src/errors.js';
import { ACCEPT_ENCODING, type ChunkSink, ContentDecoder, decodingsOf } from '../../src/http/decode.js';
import { h2cServer } from '../helpers/h2-servers.js';
import { httpServer, rawServer, type TestServer, waitFor } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

async function server(handler: http.RequestListener): Promise<TestServer> {
  const srv = await httpServer(handler);
  cleanups.push(() => srv.close());
  return srv;
}

function send(res: http.ServerResponse, encoding: string | null, body: Buffer): void {
  const h: Record<string, string> = { 'content-length': String(body.length), 'content-type': 'text/plain; charset=utf-8' };
  if (encoding !== null) h['content-encoding'] = encoding;
  res.writeHead(200, h);
  res.end(body);
}

const TEXT = 'reqivo decodes this body. '.repeat(2000);

/** Count what zlib actually inflates (not just what reaches the response), to prove a bomb is stopped early. */
function spyOnInflate(): { produced: () => number } {
  let total = 0;
  const classes = [zlib.Gunzip, zlib.Inflate, zlib.InflateRaw, zlib.BrotliDecompress] as unknown as Array<{ prototype: { push: (c: Buffer | null) => boolean } }>;
  for (const C of classes) {
    const proto = C.prototype;
    const had = Object.hasOwn(proto, 'push');
    const orig = proto.push;
    proto.push = function (this: unknown, c: Buffer | null): boolean {
      if (c !== null) total += c.length;
      return orig.call(this, c);
    };
    cleanups.push(() => {
      if (had) proto.push = orig;
      else Reflect.deleteProperty(proto, 'push');
    });
  }
  return { produced: () => total };
}

describe('decodingsOf', () => {
  test('parses codings in decoding order', () => {
    assert.deepEqual(decodingsOf(null), []);
    assert.deepEqual(decodingsOf('identity'), []);
    assert.deepEqual(decodingsOf('GZip'), ['gzip']);
    assert.deepEqual(decodingsOf('x-gzip'), ['gzip']);
    assert.deepEqual(decodingsOf('deflate, br'), ['br', 'deflate']);
    assert.deepEqual(decodingsOf('gzip,identity , br'), ['br', 'gzip']);
    assert.equal(decodingsOf('zstd'), null);
    assert.equal(decodingsOf('gzip, compress'), null);
    assert.throws(() => decodingsOf('gzip, gzip, gzip, gzip, gzip, gzip'), InvalidResponseError);
  });
});

describe('ContentDecoder (unit)', () => {
  function collect(): ChunkSink & { out: Buffer[]; ended: boolean; error: Error | null; done: Promise<void> } {
    let finish!: () => void;
    const sink = {
      out: [] as Buffer[],
      ended: false,
      error: null as Error | null,
      done: new Promise<void>((r) => (finish = r)),
      onChunk(c: Buffer) {
        sink.out.push(c);
      },
      onEnd() {
        sink.ended = true;
        finish();
      },
      onError(e: Error) {
        sink.error = e;
        finish();
      },
    };
    return sink;
  }

  test('decodes input fed one byte at a time, for every coding, and reports the settle', async () => {
    const encoders: Array<[('gzip' | 'deflate' | 'br')[], Buffer, string]> = [
      [['gzip'], zlib.gzipSync(TEXT), TEXT],
      [['deflate'], zlib.deflateSync(TEXT), TEXT],
      [['deflate'], zlib.deflateRawSync(TEXT), TEXT],
      [['br'], zlib.brotliCompressSync(TEXT), TEXT],
      [['br', 'gzip'], zlib.brotliCompressSync(zlib.gzipSync(TEXT)), TEXT],
      [['gzip'], Buffer.concat([zlib.gzipSync('two '), zlib.gzipSync('members')]), 'two members'],
    ];
    for (const [codings, data, expected] of encoders) {
      const sink = collect();
      let settled: boolean | null = null;
      const d = new ContentDecoder(sink, codings, Number.POSITIVE_INFINITY, () => assert.fail('no abort'));
      for (const b of data) d.onChunk(Buffer.from([b]));
      d.onWireEnd((ok) => (settled = ok));
      await sink.done;
      assert.equal(sink.error, null);
      const text = Buffer.concat(sink.out).toString();
      assert.ok(text === expected, `${codings}: decoded ${text.length} chars, wrong`);
      assert.equal(settled, true);
      assert.equal(d.decodedBytes, Buffer.byteLength(text));
    }
  });

  test('a one-byte deflate body and an empty body', async () => {
    const sink = collect();
    const d = new ContentDecoder(sink, ['deflate'], 100, () => {});
    d.onChunk(Buffer.from([0x03])); // raw deflate: one empty final fixed block is "03 00"; one byte is truncated
    d.onEnd();
    await sink.done;
    const empty = collect();
    new ContentDecoder(empty, ['gzip'], 100, () => {}).onEnd();
    await empty.done;
    assert.equal(empty.ended, true);
    assert.equal(empty.out.length, 0);
  });

  test('a wire failure reaches the inner sink once; later events are ignored', async () => {
    const sink = collect();
    const d = new ContentDecoder(sink, ['gzip'], 1000, () => assert.fail('no abort'));
    d.onChunk(zlib.gzipSync('partial').subarray(0, 10));
    const err = new Error('reset');
    d.onError(err);
    d.onError(new Error('again'));
    d.onChunk(Buffer.from('late'));
    let settled: boolean | null = null;
    d.onWireEnd((ok) => (settled = ok));
    await sink.done;
    assert.equal(sink.error, err);
    assert.equal(settled, false);
    assert.equal(sink.ended, false);
  });

  test('a failing decoder (undecodable head) fails on the wire end too, releasing the connection as not reusable', async () => {
    const sink = collect();
    const err = new InvalidResponseError('too many codings');
    let aborted: Error | null = null;
    const d = ContentDecoder.failing(sink, err, (e) => (aborted = e));
    let settled: boolean | null = null;
    d.onWireEnd((ok) => (settled = ok));
    await sink.done;
    assert.equal(sink.error, err);
    assert.equal(settled, false);
    assert.equal(aborted, null);
  });

  test('a failure after the wire ended settles false instead of aborting', async () => {
    const sink = collect();
    let aborted = false;
    let settled: boolean | null = null;
    const d = new ContentDecoder(sink, ['gzip'], 1000, () => (aborted = true));
    d.onChunk(zlib.gzipSync(Buffer.alloc(100_000)));
    d.onWireEnd((ok) => (settled = ok));
    await sink.done;
    assert.ok(sink.error instanceof LimitExceededError);
    assert.equal(settled, false);
    assert.equal(aborted, false);
  });
});

describe('decompression (integration)', () => {
  test('Accept-Encoding: gzip, deflate, br is sent by default', async () => {
    let ae: string | undefined;
    const srv = await server((req, res) => {
      ae = req.headers['accept-encoding'];
      res.end();
    });
    await session().get(`${srv.url}/`);
    assert.equal(ae, 'gzip, deflate, br');
    assert.equal(ACCEPT_ENCODING, 'gzip, deflate, br');
  });

  const cases: Array<[string, string, () => Buffer]> = [
    ['gzip', 'gzip', () => zlib.gzipSync(TEXT)],
    ['x-gzip', 'x-gzip', () => zlib.gzipSync(TEXT)],
    ['deflate (zlib)', 'deflate', () => zlib.deflateSync(TEXT)],
    ['deflate (raw)', 'deflate', () => zlib.deflateRawSync(TEXT)],
    ['br', 'br', () => zlib.brotliCompressSync(TEXT)],
    ['chained gzip, br', 'gzip, br', () => zlib.brotliCompressSync(zlib.gzipSync(TEXT))],
    ['chained deflate, gzip (two header lines)', 'deflate\u0000gzip', () => zlib.gzipSync(zlib.deflateSync(TEXT))],
  ];
  for (const [name, encoding, make] of cases) {
    test(`decodes ${name}, buffered and streamed, on one pooled connection`, async () => {
      const body = make();
      const srv = await server((_req, res) => {
        if (encoding.includes('\u0000')) {
          res.setHeader('content-encoding', encoding.split('\u0000'));
          res.writeHead(200, { 'content-length': String(body.length) });
          res.end(body);
        } else send(res, encoding, body);
      });
      const s = session();
      const res = await s.get(`${srv.url}/`);
      assert.ok(res.text() === TEXT, 'buffered body decoded');
      // Headers tell what came over the wire.
      assert.ok(res.headers.get('content-encoding') !== null);
      const st = await s.stream('GET', `${srv.url}/`);
      assert.ok((await st.text()) === TEXT, 'streamed body decoded');
      await s.get(`${srv.url}/`);
      assert.equal(srv.accepted, 1);
    });
  }

  test('decompress: false — session-wide and per request — leaves the body as sent and no Accept-Encoding', async () => {
    const gz = zlib.gzipSync(TEXT);
    const seen: Array<string | undefined> = [];
    const srv = await server((req, res) => {
      seen.push(req.headers['accept-encoding']);
      send(res, 'gzip', gz);
    });
    const off = session({ decompress: false });
    assert.deepEqual(Buffer.from((await off.get(`${srv.url}/`)).body), gz);
    const on = session();
    assert.deepEqual(Buffer.from((await on.get(`${srv.url}/`, { decompress: false })).body), gz);
    // An Accept-Encoding the caller set is theirs to keep.
    assert.deepEqual(Buffer.from((await on.get(`${srv.url}/`, { decompress: false, headers: { 'accept-encoding': 'gzip' } })).body), gz);
    assert.deepEqual(seen, [undefined, undefined, 'gzip']);
  });

  test('a streamed response is decoded chunk by chunk as it arrives', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      const gz = zlib.createGzip();
      gz.pipe(res);
      gz.write('first line\n');
      gz.flush(() => {
        void released.then(() => gz.end('second line\n'));
      });
    });
    const res = await session().stream('GET', `${srv.url}/`);
    const lines = res.lines()[Symbol.asyncIterator]();
    assert.deepEqual(await lines.next(), { value: 'first line', done: false });
    release();
    assert.deepEqual(await lines.next(), { value: 'second line', done: false });
    assert.equal((await lines.next()).done, true);
  });

  test('a 10 MB gzip bomb with maxBodyBytes 1 MiB stops after ~1 MiB decoded; the connection is closed, not pooled', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024));
    const srv = await server((req, res) => {
      if (req.url === '/bomb') send(res, 'gzip', bomb);
      else res.end('fine');
    });
    const spy = spyOnInflate();
    const s = session({ limits: { maxBodyBytes: 1024 * 1024 } });
    let delivered = 0;
    await assert.rejects(
      s.get(`${srv.url}/bomb`, { onDownloadProgress: (p) => (delivered = p.loaded) }),
      (err: unknown) => {
        assert.ok(err instanceof LimitExceededError);
        assert.equal(err.limit, 'maxBodyBytes');
        assert.match(err.message, /^GET http:\/\/127\.0\.0\.1:\d+\/bomb: decoded response body exceeds maxBodyBytes \(1048576\)/);
        return true;
      },
    );
    // About 1 MiB decoded: zlib stopped within a chunk or two of the limit, far from 10 MB.
    assert.ok(delivered <= 1024 * 1024 && delivered > 900 * 1024, `delivered ${delivered}`);
    assert.ok(spy.produced() > 1024 * 1024 && spy.produced() < 1024 * 1024 + 128 * 1024, `zlib produced ${spy.produced()}`);
    // The server sees its socket close, and the next request needs a new connection.
    await waitFor(() => srv.open.size === 0, 2000, 'the server to see the socket close');
    assert.equal((await s.get(`${srv.url}/next`)).text(), 'fine');
    assert.equal(srv.accepted, 2);
  });

  test('a bomb is stopped on a streamed response too, and for br', async () => {
    const gzBomb = zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024));
    const brBomb = zlib.brotliCompressSync(Buffer.alloc(10 * 1024 * 1024));
    const srv = await server((req, res) => send(res, req.url === '/br' ? 'br' : 'gzip', req.url === '/br' ? brBomb : gzBomb));
    const spy = spyOnInflate();
    const s = session({ limits: { maxBodyBytes: 1024 * 1024 } });
    const st = await s.stream('GET', `${srv.url}/gz`);
    let got = 0;
    await assert.rejects(
      (async () => {
        for await (const c of st) got += c.length;
      })(),
      LimitExceededError,
    );
    assert.ok(got <= 1024 * 1024);
    await assert.rejects(s.get(`${srv.url}/br`), LimitExceededError);
    assert.ok(spy.produced() < 2 * (1024 * 1024 + 128 * 1024), `zlib produced ${spy.produced()}`);
    await waitFor(() => srv.open.size === 0, 2000, 'sockets to close');
  });

  test('a bomb is caught even when the whole compressed body fits one read (checked before the connection is pooled)', async () => {
    // 1 MiB + 1 of zeros compresses to ~1 KB: the wire body ends long before zlib is done.
    const body = zlib.gzipSync(Buffer.alloc(1024 * 1024 + 1));
    const srv = await server((_req, res) => send(res, 'gzip', body));
    const s = session({ limits: { maxBodyBytes: 1024 * 1024 } });
    await assert.rejects(s.get(`${srv.url}/`), LimitExceededError);
    await waitFor(() => srv.open.size === 0, 2000, 'the socket to close');
    // Exactly at the limit is fine.
    const ok = session({ limits: { maxBodyBytes: 1024 * 1024 + 1 } });
    assert.equal((await ok.get(`${srv.url}/`)).body.length, 1024 * 1024 + 1);
  });

  test('corrupt data → InvalidResponseError, and the connection is not reused', async () => {
    const srv = await server((req, res) => (req.url === '/bad' ? send(res, 'gzip', Buffer.from('this is not gzip at all')) : res.end('ok')));
    const s = session();
    await assert.rejects(s.get(`${srv.url}/bad`), (err: unknown) => {
      assert.ok(err instanceof InvalidResponseError);
      assert.match((err as Error).message, /cannot decode the gzip response body/);
      return true;
    });
    await s.get(`${srv.url}/ok`);
    assert.equal(srv.accepted, 2);
  });

  test('a compressed stream cut short is an InvalidResponseError, never a shorter body; the connection is not reused', async () => {
    // The framing (Content-Length) is whole; the compressed stream inside it is not.
    const text = 'hello world, hello world, hello world';
    const gz = zlib.gzipSync(text);
    const zl = zlib.deflateSync(text);
    const br = zlib.brotliCompressSync(TEXT);
    const cases: Record<string, [string, Buffer]> = {
      '/gzip-trailer': ['gzip', gz.subarray(0, gz.length - 8)],
      '/gzip-data': ['gzip', gz.subarray(0, 14)],
      '/deflate-data': ['deflate', zl.subarray(0, zl.length - 8)],
      '/deflate-raw': ['deflate', zlib.deflateRawSync(TEXT).subarray(0, 40)],
      '/br': ['br', br.subarray(0, br.length - 3)],
      '/gzip-br': ['br, gzip', zlib.gzipSync(br.subarray(0, br.length - 3))],
    };
    const srv = await server((req, res) => {
      const c = cases[req.url!];
      if (c === undefined) res.end('ok');
      else send(res, c[0], c[1]);
    });
    const s = session({ pool: { maxConnectionsPerOrigin: 1 } });
    for (const path of Object.keys(cases)) {
      await assert.rejects(s.get(`${srv.url}${path}`), (err: unknown) => {
        assert.ok(err instanceof InvalidResponseError, `${path}: ${String(err)}`);
        assert.match((err as Error).message, /cannot decode the (gzip|deflate|br) response body: unexpected end of file/);
        return true;
      });
      await assert.rejects(
        (async () => {
          const st = await s.stream('GET', `${srv.url}${path}`);
          await st.text();
        })(),
        InvalidResponseError,
        `${path} streamed`,
      );
    }
    assert.equal((await s.get(`${srv.url}/ok`)).text(), 'ok');
    // Every failed response closed its connection: 12 failures, then one fresh connection for /ok.
    assert.equal(srv.accepted, Object.keys(cases).length * 2 + 1);
  });

  test('bytes after the end of a gzip stream: another member is decoded, garbage is an InvalidResponseError', async () => {
    const gz = zlib.gzipSync('hello');
    const srv = await server((req, res) => {
      if (req.url === '/members') send(res, 'gzip', Buffer.concat([gz, zlib.gzipSync(' world')]));
      else if (req.url === '/garbage') send(res, 'gzip', Buffer.concat([gz, Buffer.from('GARBAGE!')]));
      else res.end('ok');
    });
    const s = session({ pool: { maxConnectionsPerOrigin: 1 } });
    assert.equal((await s.get(`${srv.url}/members`)).text(), 'hello world');
    await assert.rejects(s.get(`${srv.url}/garbage`), (err: unknown) => err instanceof InvalidResponseError && /cannot decode the gzip response body/.test(err.message));
    assert.equal((await s.get(`${srv.url}/ok`)).text(), 'ok');
    assert.equal(srv.accepted, 2);
  });

  test('unknown codings pass through untouched; too many codings fail', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/zstd') send(res, 'zstd', Buffer.from('opaque'));
      else send(res, 'gzip, gzip, gzip, gzip, gzip, gzip', Buffer.from('x'));
    });
    const s = session();
    const res = await s.get(`${srv.url}/zstd`);
    assert.equal(res.text(), 'opaque');
    assert.equal(res.headers.get('content-encoding'), 'zstd');
    await assert.rejects(s.get(`${srv.url}/many`), InvalidResponseError);
    await assert.rejects(
      (async () => {
        const st = await s.stream('GET', `${srv.url}/many`);
        await st.text();
      })(),
      InvalidResponseError,
    );
  });

  test('bodiless responses with Content-Encoding: HEAD, 204, 304, empty 200', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/204') {
        res.writeHead(204, { 'content-encoding': 'gzip' });
        res.end();
      } else if (req.url === '/304') {
        res.writeHead(304, { 'content-encoding': 'br' });
        res.end();
      } else if (req.url === '/empty') send(res, 'deflate', Buffer.alloc(0));
      else send(res, 'gzip', zlib.gzipSync('x'));
    });
    const s = session();
    assert.equal((await s.head(`${srv.url}/`)).body.length, 0);
    assert.equal((await s.get(`${srv.url}/204`)).status, 204);
    assert.equal((await s.get(`${srv.url}/304`)).status, 304);
    assert.equal((await s.get(`${srv.url}/empty`)).body.length, 0);
    assert.equal(srv.accepted, 1);
  });

  test('chunked framing with one-byte chunks (deflate detection across chunks)', async () => {
    const data = zlib.deflateSync('tiny chunks');
    const srv = await rawServer((socket) => {
      let out = 'HTTP/1.1 200 OK\r\ncontent-encoding: deflate\r\ntransfer-encoding: chunked\r\n\r\n';
      for (const b of data) out += `1\r\n${String.fromCharCode(b)}\r\n`;
      socket.write(Buffer.from(`${out}0\r\n\r\n`, 'latin1'));
    });
    cleanups.push(() => srv.close());
    assert.equal((await session().get(`${srv.url}/`)).text(), 'tiny chunks');
  });

  test('HTTP/2 (h2c): bodies are decoded and a bomb is stopped with LimitExceededError', async () => {
    const gz = zlib.gzipSync(TEXT);
    const bomb = zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024));
    const srv = await h2cServer((req, res) => {
      res.setHeader('content-encoding', 'gzip');
      res.end(req.url === '/bomb' ? bomb : gz);
    });
    cleanups.push(() => srv.close());
    const s = session({ http2: 'prior-knowledge', limits: { maxBodyBytes: 1024 * 1024 } });
    const res = await s.get(`${srv.url}/`);
    assert.equal(res.httpVersion, '2');
    assert.ok(res.text() === TEXT, 'decoded over h2');
    await assert.rejects(s.get(`${srv.url}/bomb`), LimitExceededError);
    // The session survives a stream reset; the next request still works.
    assert.ok((await s.get(`${srv.url}/`)).text() === TEXT);
  });
});
