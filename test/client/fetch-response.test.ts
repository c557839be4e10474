/**
 * WHATWG fetch on a Session, the response side, in the manner of the WPT
 * fetch tests (fetch/api/response, fetch/api/headers, fetch/api/abort):
 * the standard Response, headers as WHATWG Headers, null bodies, content
 * decoding, the body read whole or as a stream with backpressure, clone,
 * and aborts during the body read. Against real servers on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ReqivoError } from '../../src/index.js';
import { certs } from '../helpers/certs.js';
import { useHarness } from '../helpers/engine.js';
import { h2Server } from '../helpers/h2-servers.js';
import { httpServer, rawServer, sleep, waitFor } from '../helpers/servers.js';

const h = useHarness();

/**
 * Write `total` bytes to `res` in pieces made by `piece(offset)`, waiting for
 * 'drain' whenever the socket pushes back (`onStall`); `onWritten` hears the
 * running count.
 */
function pump(res: ServerResponse, total: number, piece: (at: number) => Buffer, onWritten: (n: number) => void, onStall: () => void = () => {}): void {
  let written = 0;
  const more = (): void => {
    while (written < total) {
      const p = piece(written);
      written += p.length;
      onWritten(written);
      if (!res.write(p)) {
        onStall();
        res.once('drain', more);
        return;
      }
    }
    res.end();
  };
  more();
}

/** A raw server answering every request with `response` (exact bytes). */
async function fixed(response: string | Buffer) {
  return h.server(await rawServer((socket) => socket.write(response)));
}

describe('fetch: the Response', () => {
  test('status, statusText, ok, type, url, redirected, and an instance of globalThis.Response', async () => {
    const srv = await fixed('HTTP/1.1 201 Made It\r\ncontent-length: 2\r\n\r\nok');
    const s = h.session();
    const res = await s.fetch(`${srv.url}/x#frag`);
    assert.ok(res instanceof globalThis.Response);
    assert.equal(Object.prototype.toString.call(res), '[object Response]');
    assert.equal(res.status, 201);
    assert.equal(res.statusText, 'Made It');
    assert.equal(res.ok, true);
    assert.equal(res.type, 'basic');
    assert.equal(res.url, `${srv.url}/x`);
    assert.equal(res.redirected, false);
    assert.equal(await res.text(), 'ok');
  });

  test('a 101 the Response constructor would refuse is kept (status is never 0), with a null body', async () => {
    const srv = await fixed('HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\nconnection: upgrade\r\n\r\n');
    const s = h.session();
    // The request offers the upgrade: a 101 to one that did not is an error (RFC 9110 §15.2.2).
    const res = await s.fetch(`${srv.url}/`, { headers: { connection: 'upgrade', upgrade: 'x' } });
    assert.equal(res.status, 101);
    assert.equal(res.ok, false);
    assert.equal(res.statusText, 'Switching Protocols');
    assert.equal(res.body, null);
  });

  test('a reason phrase the Response constructor would refuse (a control character) is dropped, the response kept', async () => {
    const srv = await fixed('HTTP/1.1 200 O\x01K\r\ncontent-length: 2\r\n\r\nok');
    const s = h.session();
    const res = await s.fetch(`${srv.url}/`);
    assert.equal(res.statusText, '');
    assert.equal(await res.text(), 'ok');
  });

  test('headers are WHATWG Headers: sorted by name, repeats combined, Set-Cookie kept apart', async () => {
    const srv = await fixed(
      'HTTP/1.1 200 OK\r\nZ-Last: z\r\nX-Dup: 1\r\nSet-Cookie: a=1\r\nA-First: a\r\nX-Dup: 2\r\nSet-Cookie: b=2\r\ncontent-length: 0\r\n\r\n',
    );
    const s = h.session();
    const res = await s.fetch(`${srv.url}/`);
    assert.ok(res.headers instanceof globalThis.Headers);
    assert.deepEqual(
      [...res.headers],
      [
        ['a-first', 'a'],
        ['content-length', '0'],
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
        ['x-dup', '1, 2'],
        ['z-last', 'z'],
      ],
    );
    assert.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
    assert.equal(res.headers.get('X-DUP'), '1, 2');
  });

  test('null body for HEAD, 204, 205 and 304', async () => {
    const srv = h.server(
      await httpServer((req, res) => {
        const code = Number(req.url!.slice(1)) || 200;
        res.writeHead(code, { 'content-length': code === 200 ? '5' : '0' });
        res.end(code === 200 && req.method !== 'HEAD' ? 'hello' : undefined);
      }),
    );
    const s = h.session();
    const head = await s.fetch(`${srv.url}/`, { method: 'HEAD' });
    assert.equal(head.body, null);
    assert.equal(head.headers.get('content-length'), '5');
    assert.equal(await head.text(), '');
    // Reading a null body uses nothing up (as the native Response): still null, unused, readable again.
    assert.equal(head.body, null);
    assert.equal(head.bodyUsed, false);
    assert.equal(await head.text(), '');
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    for (const code of [204, 205, 304]) {
      const res = await s.fetch(`${srv.url}/${code}`);
      assert.equal(res.status, code);
      assert.equal(res.body, null, `status ${code}`);
      assert.deepEqual(await res.json().catch((e: unknown) => (e as Error).name), 'SyntaxError', `status ${code}`);
      assert.equal(res.bodyUsed, false, `status ${code}`);
      assert.equal(res.clone().body, null, `status ${code}`);
    }
  });

  test('gzip, deflate and br bodies are decoded; Content-Encoding stays in the headers', async () => {
    const text = 'decoded body '.repeat(50);
    const encoders: Record<string, (b: Buffer) => Buffer> = { gzip: zlib.gzipSync, deflate: zlib.deflateSync, br: zlib.brotliCompressSync };
    const srv = h.server(
      await httpServer((req, res) => {
        const enc = req.url!.slice(1);
        res.setHeader('content-encoding', enc);
        res.end(encoders[enc]!(Buffer.from(text)));
      }),
    );
    const s = h.session();
    for (const enc of Object.keys(encoders)) {
      const res = await s.fetch(`${srv.url}/${enc}`);
      assert.equal(res.headers.get('content-encoding'), enc);
      assert.equal(await res.text(), text, enc);
    }
    const whole = await (await s.fetch(`${srv.url}/br`)).arrayBuffer();
    assert.equal(whole.byteLength, text.length, "a decoder's output is the whole ArrayBuffer");
    const viaStream = await s.fetch(`${srv.url}/gzip`);
    assert.equal(await new Response(viaStream.body).text(), text);
  });
});

describe('fetch: loading', () => {
  test("importing reqivo does not load Node's fetch implementation; the first fetch() does, and works", async () => {
    const index = new URL('../../src/index.js', import.meta.url).href;
    const srv = await fixed('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi');
    // In a fresh process: whether node:internal/deps/undici is loaded after the import, then after one fetch.
    const program = `
      const { Session } = await import(${JSON.stringify(index)});
      const loaded = () => process.moduleLoadList.some((m) => m.includes('undici'));
      const atImport = loaded();
      const s = new Session();
      const res = await s.fetch(${JSON.stringify(srv.url + '/')});
      const text = await res.text();
      await s.close();
      console.log(JSON.stringify({ atImport, afterFetch: loaded(), isResponse: res instanceof Response, text }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', program], { timeout: 20_000 });
    assert.deepEqual(JSON.parse(stdout), { atImport: false, afterFetch: true, isResponse: true, text: 'hi' });
  });
});

describe('fetch: HTTP/2', () => {
  test('over h2 (ALPN): status, no reason phrase, headers and a streamed body', async () => {
    const srv = await h2Server((req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.write('over ');
      setTimeout(() => res.end(`h2 ${req.url}`), 10);
    });
    h.defer(() => srv.close());
    const s = h.session({ tls: { ca: certs().caCert } });
    const res = await s.fetch(`${srv.url}/two`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 200);
    assert.equal(res.statusText, '');
    assert.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
    assert.equal(await res.text(), 'over h2 /two');
    assert.equal(srv.streams, 1);
  });
});

describe('fetch: reading the body', () => {
  test('text, json, arrayBuffer, bytes and blob; text is UTF-8 whatever the charset, a BOM dropped', async () => {
    const srv = h.server(
      await httpServer((req, res) => {
        res.setHeader('content-type', req.url === '/json' ? 'application/json' : 'text/plain; charset=iso-8859-1');
        res.end(req.url === '/json' ? '{"a":[1,2]}' : Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo')]));
      }),
    );
    const s = h.session();
    assert.deepEqual(await (await s.fetch(`${srv.url}/json`)).json(), { a: [1, 2] });
    assert.equal(await (await s.fetch(`${srv.url}/t`)).text(), 'héllo');
    const ab = await (await s.fetch(`${srv.url}/json`)).arrayBuffer();
    assert.ok(ab instanceof ArrayBuffer);
    assert.equal(ab.byteLength, 11);
    const blob = await (await s.fetch(`${srv.url}/json`)).blob();
    assert.equal(blob.type, 'application/json');
    assert.equal(await blob.text(), '{"a":[1,2]}');
    const twice = await s.fetch(`${srv.url}/json`);
    await assert.rejects(twice.json().then(() => twice.json()), TypeError);
    assert.equal(twice.bodyUsed, true);
  });

  test('bytes() and formData(); after a whole read, body is a locked stream; a body taken as a stream still reads whole', async () => {
    const srv = h.server(
      await httpServer((_req, res) => {
        res.setHeader('content-type', 'application/x-www-form-urlencoded');
        res.end('a=1&b=two');
      }),
    );
    const s = h.session();
    // bytes() is newer than Node 20's Response type.
    const bytes = await ((await s.fetch(`${srv.url}/`)) as Response & { bytes(): Promise<Uint8Array> }).bytes();
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(Buffer.from(bytes).toString(), 'a=1&b=two');
    const form = await (await s.fetch(`${srv.url}/`)).formData();
    assert.equal(form.get('b'), 'two');
    const read = await s.fetch(`${srv.url}/`);
    await read.text();
    assert.ok(read.body instanceof ReadableStream);
    assert.equal(read.body.locked, true);
    const streamed = await s.fetch(`${srv.url}/`);
    assert.ok(streamed.body !== null);
    assert.equal(streamed.bodyUsed, false);
    assert.equal(await streamed.text(), 'a=1&b=two');
    assert.equal(streamed.bodyUsed, true);
  });

  test('the body stream of a response whose signal aborted is errored with the reason', async () => {
    const srv = h.server(await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nsome')));
    const s = h.session();
    const ac = new AbortController();
    const res = await s.fetch(`${srv.url}/`, { signal: ac.signal });
    const reason = new Error('gone');
    ac.abort(reason);
    await assert.rejects(res.body!.getReader().read(), (e) => e === reason);
  });

  test('invalid JSON is a SyntaxError; reading twice is a TypeError', async () => {
    const srv = await fixed('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n{x}');
    const s = h.session();
    const res = await s.fetch(`${srv.url}/`);
    assert.equal(res.bodyUsed, false);
    await assert.rejects(res.json(), SyntaxError);
    assert.equal(res.bodyUsed, true);
    await assert.rejects(res.text(), TypeError);
  });

  test('the arrayBuffer is its own memory, not the socket buffer the head came in, nor one shared by joined chunks', async () => {
    const srv = await fixed('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody');
    const s = h.session();
    const ab = await (await s.fetch(`${srv.url}/`)).arrayBuffer();
    assert.equal(ab.byteLength, 4);
    assert.equal(Buffer.from(ab).toString(), 'body');
    const big = Buffer.alloc(300_000, 121);
    const srv2 = h.server(
      await httpServer((_req, res) => {
        res.write(big.subarray(0, 1000));
        setTimeout(() => res.end(big.subarray(1000)), 20);
      }),
    );
    const joined = await (await s.fetch(`${srv2.url}/`)).arrayBuffer();
    assert.equal(joined.byteLength, big.length);
    assert.ok(Buffer.from(joined).equals(big));
  });

  test('the body as a ReadableStream: chunks as they arrive, then done; bodyUsed once read', async () => {
    const srv = h.server(
      await httpServer((_req, res) => {
        res.write('first;');
        setTimeout(() => res.end('second'), 30);
      }),
    );
    const s = h.session();
    const res = await s.fetch(`${srv.url}/`);
    const body = res.body!;
    assert.ok(body instanceof ReadableStream);
    assert.equal(res.body, body, 'the same stream each time');
    const reader = body.getReader();
    const parts: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await reader.read();
      if (r.done) break;
      parts.push(Buffer.from(r.value).toString());
    }
    assert.equal(parts.join(''), 'first;second');
    assert.ok(parts.length >= 2);
    assert.equal(res.bodyUsed, true);
    await assert.rejects(res.text(), TypeError);
  });

  test('a large body is pulled with backpressure: the server stalls while nobody reads', async () => {
    const chunk = Buffer.alloc(64 * 1024, 120);
    let written = 0;
    let stalled = false;
    const srv = h.server(
      await httpServer((_req, res) => {
        pump(
          res,
          64 * 1024 * 1024,
          () => chunk,
          (n) => (written = n),
          () => (stalled = true),
        );
      }),
    );
    const s = h.session();
    const res = await s.fetch(`${srv.url}/`);
    await waitFor(() => stalled, 3000, 'the server to see backpressure');
    await sleep(50);
    const before = written;
    assert.ok(before < 16 * 1024 * 1024, `wrote ${before} bytes before anyone read`);
    const reader = res.body!.getReader();
    let got = 0;
    for (let i = 0; i < 100 && got < 2 * 1024 * 1024; i++) {
      const r = await reader.read();
      if (r.done) break;
      got += r.value.length;
    }
    assert.ok(got >= 2 * 1024 * 1024);
    await reader.cancel();
  });

  test('a body stream made but not read holds a bounded queue: the server stalls, then every byte arrives in order', async () => {
    const TOTAL = 32 * 1024 * 1024;
    let written = 0;
    let stalled = false;
    const srv = h.server(
      await httpServer((_req, res) => {
        res.writeHead(200, { 'content-length': String(TOTAL) });
        const pump = (): void => {
          while (written < TOTAL) {
            const piece = Buffer.alloc(64 * 1024);
            piece.writeUInt32LE(written / piece.length, 0);
            written += piece.length;
            if (!res.write(piece)) {
              stalled = true;
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
      }),
    );
    const s = h.session();
    const res = await s.fetch(`${srv.url}/`);
    const body = res.body!;
    await waitFor(() => stalled, 3000, 'the server to see backpressure');
    await sleep(100);
    assert.ok(written < 16 * 1024 * 1024, `wrote ${written} bytes while the stream was not read`);
    const all: Buffer[] = [];
    for await (const chunk of body) all.push(Buffer.from(chunk));
    const got = Buffer.concat(all);
    assert.equal(got.length, TOTAL);
    for (let i = 0; i < TOTAL; i += 64 * 1024) assert.equal(got.readUInt32LE(i), i / (64 * 1024), `block at ${i}`);
    assert.equal(res.bodyUsed, true);
  });

  test('a reader that stops and starts again, several times: the server stalls at each stop, every byte arrives in order', async () => {
    const BLOCK = 64 * 1024;
    // Large enough that kernel socket buffers (autotuned up to tcp_rmem's max) cannot hold the rest at any stop.
    const TOTAL = 96 * 1024 * 1024;
    let written = 0;
    const srv = h.server(
      await httpServer((_req, res) => {
        res.writeHead(200, { 'content-length': String(TOTAL) });
        pump(
          res,
          TOTAL,
          (at) => {
            const piece = Buffer.alloc(BLOCK);
            piece.writeUInt32LE(at / BLOCK, 0);
            return piece;
          },
          (n) => (written = n),
        );
      }),
    );
    const s = h.session();
    const res = await s.fetch(`${srv.url}/`);
    const reader = res.body!.getReader();
    const parts: Buffer[] = [];
    let got = 0;
    const readUpTo = async (n: number): Promise<boolean> => {
      for (let i = 0; i < 10_000 && got < n; i++) {
        const r = await reader.read();
        if (r.done) return false;
        parts.push(Buffer.from(r.value));
        got += r.value.length;
      }
      return true;
    };
    // Three stops: at each, the writer must come to a halt with a bounded amount unread.
    for (let stop = 1; stop <= 3; stop++) {
      assert.ok(await readUpTo(stop * 4 * 1024 * 1024), `body ended early at stop ${stop}`);
      // Stalled: nothing more written over 100 ms (bounded: 50 looks).
      let last = -1;
      for (let i = 0; i < 50 && written !== last; i++) {
        last = written;
        await sleep(100);
      }
      assert.equal(written, last, `the server did not stall at stop ${stop}`);
      assert.ok(written < TOTAL, `stop ${stop}: the whole body was written while nobody read (${written})`);
      assert.ok(written - got < 64 * 1024 * 1024, `stop ${stop}: ${written - got} bytes unread`);
    }
    await readUpTo(TOTAL);
    assert.equal((await reader.read()).done, true);
    const all = Buffer.concat(parts);
    assert.equal(all.length, TOTAL);
    for (let i = 0; i < TOTAL; i += BLOCK) assert.equal(all.readUInt32LE(i), i / BLOCK, `block at ${i}`);
  });

  test('cancelling the body stream closes the connection instead of pooling it', async () => {
    const srv = h.server(
      await httpServer((_req, res) => {
        res.write('part');
      }),
    );
    const s = h.session();
    const res = await s.fetch(`${srv.url}/`);
    const reader = res.body!.getReader();
    assert.equal(Buffer.from((await reader.read()).value!).toString(), 'part');
    await reader.cancel();
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to close');
  });

  test('clone(): both copies read the whole body; the copy keeps url, status and type', async () => {
    const srv = await fixed('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello');
    const s = h.session();
    const res = await s.fetch(`${srv.url}/c`);
    const copy = res.clone();
    assert.ok(copy instanceof Response);
    assert.equal(copy.url, `${srv.url}/c`);
    assert.equal(copy.type, 'basic');
    assert.equal(copy.status, 200);
    assert.deepEqual(await Promise.all([res.text(), copy.text()]), ['hello', 'hello']);
    assert.throws(() => res.clone(), TypeError);
  });

  test('a connection lost mid-body errors the read with a TypeError whose cause is the reqivo error', async () => {
    const srv = await fixed('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial');
    const s = h.session();
    const res = await s.fetch(`${srv.url}/`);
    for (const sock of srv.open) sock.destroy();
    const err = await res.text().then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TypeError);
    assert.ok(err.cause instanceof ReqivoError);
    const res2 = await s.fetch(`${srv.url}/`);
    for (const sock of srv.open) sock.destroy();
    const reader = res2.body!.getReader();
    await assert.rejects(
      (async () => {
        for (let i = 0; i < 10; i++) if ((await reader.read()).done) return;
      })(),
      (e: Error) => e instanceof TypeError && e.cause instanceof ReqivoError,
    );
  });
});

describe('fetch: abort during the body', () => {
  test('aborting while the body streams errors the read with the reason and closes the connection', async () => {
    const srv = h.server(await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nsome')));
    const s = h.session();
    const ac = new AbortController();
    const res = await s.fetch(`${srv.url}/`, { signal: ac.signal });
    const reader = res.body!.getReader();
    assert.equal(Buffer.from((await reader.read()).value!).toString(), 'some');
    const reason = new Error('stop reading');
    ac.abort(reason);
    await assert.rejects(reader.read(), (e) => e === reason);
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to close');
  });

  test('aborting before text() is called rejects it with the reason', async () => {
    const srv = h.server(await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nsome')));
    const s = h.session();
    const ac = new AbortController();
    const res = await s.fetch(`${srv.url}/`, { signal: ac.signal });
    const reason = new Error('changed my mind');
    ac.abort(reason);
    await assert.rejects(res.text(), (e) => e === reason);
  });

  test('aborting while text() waits for the rest of the body rejects it with the reason', async () => {
    const srv = h.server(await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nsome')));
    const s = h.session();
    const ac = new AbortController();
    const res = await s.fetch(`${srv.url}/`, { signal: ac.signal });
    const p = res.text();
    await sleep(30);
    ac.abort(new Error('enough'));
    await assert.rejects(p, /enough/);
  });

  test('AbortSignal.timeout() during the body: the read rejects with a TimeoutError DOMException', async () => {
    const srv = h.server(await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nsome')));
    const s = h.session();
    const res = await s.fetch(`${srv.url}/`, { signal: AbortSignal.timeout(100) });
    await assert.rejects(res.arrayBuffer(), (e: Error) => e instanceof DOMException && e.name === 'TimeoutError');
  });
});
