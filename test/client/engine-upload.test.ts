/**
 * Streaming uploads: async generators, Node Readables and iterables sent
 * byte-exact (checked by sha256 on the server), chunked unless a length is
 * given, with backpressure (the body is pulled lazily), and a failing
 * stream that fails the request and destroys the connection.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AbortError, InvalidRequestError, RequestError } from '../../src/index.js';
import { prng, rejectsWith, useHarness } from '../helpers/engine.js';
import { httpServer, sleep, tcpServer, waitFor } from '../helpers/servers.js';

const h = useHarness();

interface Received {
  sha256: string;
  length: number;
  headers: http.IncomingHttpHeaders;
}

/** A node:http server that hashes each request body and answers with the digest as JSON. */
async function hashServer() {
  const received: Received[] = [];
  const aborted: string[] = [];
  const srv = h.server(
    await httpServer((req, res) => {
      const hash = createHash('sha256');
      let length = 0;
      req.on('data', (c: Buffer) => {
        hash.update(c);
        length += c.length;
      });
      req.on('aborted', () => aborted.push(req.url!));
      req.on('error', () => {});
      req.on('end', () => {
        const r: Received = { sha256: hash.digest('hex'), length, headers: req.headers };
        received.push(r);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ sha256: r.sha256, length }));
      });
    }),
  );
  return Object.assign(srv, { received, aborted });
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('streaming upload', () => {
  test('an async generator of 5 MiB in random chunk sizes arrives byte-exact, chunked', async () => {
    const srv = await hashServer();
    const data = randomBytes(5 * 1024 * 1024);
    const rand = prng(42);
    async function* gen(): AsyncGenerator<Uint8Array> {
      let off = 0;
      while (off < data.length) {
        const n = Math.min(data.length - off, 1 + Math.floor(rand() * 200_000));
        yield data.subarray(off, off + n);
        off += n;
        if (rand() < 0.05) await sleep(0);
      }
    }
    const s = h.session();
    const res = await s.post(`${srv.url}/gen`, { body: gen() });
    assert.deepEqual(res.json(), { sha256: sha(data), length: data.length });
    assert.equal(srv.received[0]!.headers['transfer-encoding'], 'chunked');
    assert.equal(srv.received[0]!.headers['content-length'], undefined);
  });

  test('a Node Readable (fs.createReadStream of a temp file) arrives byte-exact', async () => {
    const srv = await hashServer();
    const dir = mkdtempSync(join(tmpdir(), 'reqivo-upload-'));
    h.defer(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'blob.bin');
    const data = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(file, data);
    const s = h.session();
    const res = await s.put(`${srv.url}/file`, { body: createReadStream(file, { highWaterMark: 50_000 }) });
    assert.deepEqual(res.json(), { sha256: sha(data), length: data.length });
    assert.equal(srv.received[0]!.headers['transfer-encoding'], 'chunked');
  });

  test('a stream with an explicit content-length header is sent with Content-Length, not chunked', async () => {
    const srv = await hashServer();
    const data = randomBytes(300_000);
    async function* gen(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < data.length; i += 64_000) yield data.subarray(i, i + 64_000);
    }
    const s = h.session();
    const res = await s.post(`${srv.url}/len`, { body: gen(), headers: { 'Content-Length': String(data.length) } });
    assert.deepEqual(res.json(), { sha256: sha(data), length: data.length });
    assert.equal(srv.received[0]!.headers['content-length'], String(data.length));
    assert.equal(srv.received[0]!.headers['transfer-encoding'], undefined);
    // The connection stays usable after a streamed, length-framed body.
    assert.equal((await s.post(`${srv.url}/again`, { body: 'x' })).json<{ length: number }>().length, 1);
    assert.equal(srv.accepted, 1);
  });

  test('a stream whose content-length is not an exact integer (over 15 digits) goes chunked instead of a wrong length on the wire', async () => {
    const srv = await hashServer();
    async function* gen(): AsyncGenerator<string> {
      yield 'hello';
    }
    const s = h.session();
    const res = await s.post(`${srv.url}/huge`, { body: gen(), headers: { 'content-length': '99999999999999999999' } });
    assert.deepEqual(res.json(), { sha256: sha(Buffer.from('hello')), length: 5 });
    assert.equal(srv.received[0]!.headers['content-length'], undefined);
    assert.equal(srv.received[0]!.headers['transfer-encoding'], 'chunked');
  });

  test('a stream longer than its declared content-length fails the request instead of corrupting the wire', async () => {
    const srv = await hashServer();
    async function* gen(): AsyncGenerator<string> {
      yield 'hello ';
      yield 'world';
    }
    const s = h.session();
    const url = `${srv.url}/long`;
    await rejectsWith(s.post(url, { body: gen(), headers: { 'content-length': '5' } }), RequestError, 'POST', url, (e) =>
      assert.match(e.message, /longer than its Content-Length/),
    );
  });

  test('a stream shorter than its declared content-length fails the request', async () => {
    const srv = await hashServer();
    async function* gen(): AsyncGenerator<string> {
      yield 'abc';
    }
    const s = h.session();
    const url = `${srv.url}/short`;
    await rejectsWith(s.post(url, { body: gen(), headers: { 'content-length': '10' } }), RequestError, 'POST', url, (e) =>
      assert.match(e.message, /shorter/),
    );
  });

  test('strings and sync iterables stream too (UTF-8 encoded)', async () => {
    const srv = await hashServer();
    const parts = ['héllo ', 'wörld ', '✓'];
    const s = h.session();
    const res = await s.post(`${srv.url}/iter`, { body: new Set(parts) });
    assert.equal(res.json<{ sha256: string }>().sha256, sha(Buffer.from(parts.join(''), 'utf8')));
  });

  test('pieces that are other ArrayBufferViews are sent by their bytes, not their element count (chunked and with a length)', async () => {
    const srv = await hashServer();
    const data = Buffer.from('AABBCCDDEEFFG');
    const pieces = (): unknown[] => [
      new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + 4)), // 2 elements, 4 bytes
      new DataView(data.buffer, data.byteOffset + 4, 4),
      new Float32Array(data.buffer.slice(data.byteOffset + 8, data.byteOffset + 12)), // 1 element, 4 bytes
      data.buffer.slice(data.byteOffset + 12, data.byteOffset + 13), // an ArrayBuffer
    ];
    const s = h.session();
    const chunked = await s.post(`${srv.url}/views`, { body: pieces() as Iterable<Uint8Array> });
    assert.deepEqual(chunked.json(), { sha256: sha(data), length: data.length });
    assert.equal(srv.received[0]!.headers['transfer-encoding'], 'chunked');
    const framed = await s.post(`${srv.url}/views-len`, { body: pieces() as Iterable<Uint8Array>, headers: { 'content-length': String(data.length) } });
    assert.deepEqual(framed.json(), { sha256: sha(data), length: data.length });
    assert.equal(srv.accepted, 1, 'both bodies were framed right: the connection was kept');
  });

  test('a piece that is neither a string nor bytes fails with InvalidRequestError naming its type', async () => {
    const srv = await hashServer();
    const s = h.session();
    const url = `${srv.url}/num`;
    await rejectsWith(s.post(url, { body: ['ok', 7] as unknown as Iterable<string> }), InvalidRequestError, 'POST', url, (e) =>
      assert.match(e.message, /yielded number; each piece must be a string or a Uint8Array/),
    );
    assert.equal(srv.received.length, 0);
    assert.equal((await s.post(`${srv.url}/ok`, { body: 'fine' })).json<{ length: number }>().length, 4);
  });

  test('a generator that throws mid-way rejects the request and the connection is destroyed', async () => {
    const srv = await hashServer();
    const boom = new Error('disk on fire');
    async function* gen(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(100_000, 1);
      await sleep(10);
      yield Buffer.alloc(100_000, 2);
      throw boom;
    }
    const s = h.session();
    const url = `${srv.url}/boom`;
    await rejectsWith(s.post(url, { body: gen() }), RequestError, 'POST', url, (e) => {
      assert.equal(e.cause, boom);
      assert.match(e.message, /disk on fire/);
    });
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to be destroyed');
    await waitFor(() => srv.aborted.length === 1, 2000, 'the server to see the request aborted');
    assert.equal(srv.received.length, 0, 'the server never saw a complete body');
    // The next request works on a new connection.
    assert.equal((await s.post(`${srv.url}/ok`, { body: 'fine' })).json<{ length: number }>().length, 4);
    assert.equal(srv.accepted, 2);
  });

  test('a server that answers (413) before reading the upload: the response is returned, the connection not reused', async () => {
    const srv = h.server(
      await tcpServer((socket) => {
        let answered = false;
        socket.on('data', () => {
          if (answered) return;
          answered = true;
          socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\n\r\nbig');
        });
      }),
    );
    let yielded = 0;
    async function* gen(): AsyncGenerator<Uint8Array> {
      // Bounded: 64 MiB at most, far more than socket buffers hold.
      for (let i = 0; i < 1024; i++) {
        yielded += 65536;
        yield Buffer.alloc(65536);
      }
    }
    const s = h.session({ timeout: { read: 2000 } });
    const res = await s.post(`${srv.url}/up`, { body: gen() });
    assert.equal(res.status, 413);
    assert.equal(res.text(), 'big');
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to be closed');
    assert.ok(yielded < 64 * 1024 * 1024, 'the upload stopped');
  });

  test('the same with a Buffer body still in the socket buffer when the answer comes: the connection is not reused', async () => {
    let stalled: import('node:net').Socket | null = null;
    const srv = h.server(
      await tcpServer((socket, connIndex) => {
        let answered = false;
        socket.on('data', () => {
          if (answered) return;
          answered = true;
          if (connIndex === 0) {
            // Answer at once, keep the connection open, and never read the body.
            socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\n\r\nbig');
            socket.pause();
            stalled = socket;
          } else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh');
        });
      }),
    );
    const s = h.session({ timeout: { read: 2000 } });
    // Far more than the loopback socket buffers hold: most of it is still ours when the 413 arrives.
    const res = await s.post(`${srv.url}/up`, { body: Buffer.alloc(32 * 1024 * 1024) });
    assert.equal(res.status, 413);
    assert.equal(res.text(), 'big');
    // Reused, the GET would sit behind megabytes the server never reads.
    assert.equal((await s.get(`${srv.url}/next`)).text(), 'fresh');
    assert.equal(srv.accepted, 2);
    // Read what was sent, so the server sees the client's close of that connection.
    stalled!.resume();
  });

  test('abort mid-upload: AbortError, the generator is finalised, the connection destroyed', async () => {
    const sockets: import('node:net').Socket[] = [];
    const srv = h.server(
      await tcpServer((socket) => {
        socket.pause();
        sockets.push(socket);
      }),
    );
    let finalised = false;
    async function* gen(): AsyncGenerator<Uint8Array> {
      try {
        // Bounded: 64 MiB at most; the paused server stops it after a few MiB.
        for (let i = 0; i < 1024; i++) yield Buffer.alloc(65536, 3);
      } finally {
        finalised = true;
      }
    }
    const s = h.session();
    const ac = new AbortController();
    const reason = new Error('cancel upload');
    const t = setTimeout(() => ac.abort(reason), 100);
    h.defer(() => clearTimeout(t));
    const url = `${srv.url}/up`;
    await rejectsWith(s.post(url, { body: gen(), signal: ac.signal }), AbortError, 'POST', url, (e) => assert.equal(e.cause, reason));
    await waitFor(() => finalised, 2000, 'the generator to be finalised');
    // A paused socket cannot see the FIN: read again (and discard) to observe the close.
    for (const sock of sockets) sock.resume();
    await waitFor(() => srv.open.size === 0, 2000, 'the connection to be destroyed');
  });

  test('backpressure: a slow reader pulls the generator lazily (the client buffers a few MB at most)', async () => {
    const total = 48 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    let yielded = 0;
    let received = 0;
    let reading = false;
    let socketRef: import('node:net').Socket | null = null;
    const srv = h.server(
      await tcpServer((socket) => {
        socketRef = socket;
        let head = true;
        let buf = Buffer.alloc(0);
        let tail = Buffer.alloc(0);
        socket.pause();
        socket.on('data', (d: Buffer) => {
          if (head) {
            buf = Buffer.concat([buf, d]);
            const end = buf.indexOf('\r\n\r\n');
            if (end === -1) return;
            head = false;
            d = buf.subarray(end + 4);
          }
          received += d.length;
          // Chunk framing adds a few bytes per 64 KiB; the last chunk (`0\r\n\r\n`) ends the body.
          tail = Buffer.concat([tail, d]).subarray(-5);
          if (received >= total && tail.toString('latin1') === '0\r\n\r\n') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone');
        });
      }),
    );
    async function* gen(): AsyncGenerator<Uint8Array> {
      while (yielded < total) {
        yielded += chunk.length;
        yield chunk;
      }
    }
    const s = h.session();
    const p = s.post(`${srv.url}/slow`, { body: gen() });
    await waitFor(() => socketRef !== null, 2000, 'the connection');
    // The server reads nothing for a while: the client must stop pulling.
    await sleep(300);
    const pulledWhilePaused = yielded;
    await sleep(200);
    assert.equal(yielded, pulledWhilePaused, 'no more pulls while the server is not reading');
    assert.equal(received, 0);
    assert.ok(pulledWhilePaused < 16 * 1024 * 1024, `pulled ${pulledWhilePaused} bytes while the server read none`);
    // Now read slowly: what the client pulled stays within a bounded distance of what the server received.
    reading = true;
    let maxAhead = 0;
    const sock = socketRef as unknown as import('node:net').Socket;
    for (let i = 0; i < 2000 && received < total; i++) {
      sock.resume();
      await sleep(1);
      sock.pause();
      maxAhead = Math.max(maxAhead, yielded - received);
    }
    sock.resume();
    const res = await p;
    assert.equal(res.text(), 'done');
    assert.ok(reading);
    assert.ok(received >= total);
    assert.ok(maxAhead < 16 * 1024 * 1024, `client ran ${maxAhead} bytes ahead of the server`);
  });
});
