import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import type { Progress } from '../../src/client/options.js';

import { RequestError } from '../../src/errors.js';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

async function sink(): Promise<TestServer & { received: number[]; headers: Array<Record<string, string | string[] | undefined>> }> {
  const received: number[] = [];
  const headers: Array<Record<string, string | string[] | undefined>> = [];
  const srv = await httpServer((req, res) => {
    let n = 0;
    headers.push(req.headers);
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      received.push(n);
      res.end(String(n));
    });
  });
  cleanups.push(() => srv.close());
  return Object.assign(srv, { received, headers });
}

function assertMonotonic(events: Progress[]): void {
  for (let i = 1; i < events.length; i++) assert.ok(events[i]!.loaded >= events[i - 1]!.loaded, 'loaded never goes back');
}

describe('upload progress', () => {
  test('a 1 MiB buffer reports several steps up to loaded = total, with Content-Length kept', async () => {
    const srv = await sink();
    const events: Progress[] = [];
    const body = Buffer.alloc(1024 * 1024, 1);
    const res = await session().post(`${srv.url}/`, { body, onUploadProgress: (p) => events.push({ ...p }) });
    assert.equal(res.text(), String(body.length));
    assert.ok(events.length >= 8, `${events.length} events`);
    assertMonotonic(events);
    assert.ok(events.every((e) => e.total === body.length));
    assert.deepEqual(events.at(-1), { loaded: body.length, total: body.length });
    assert.equal(srv.headers[0]!['content-length'], String(body.length));
    assert.equal(srv.headers[0]!['transfer-encoding'], undefined);
  });

  test('a stream of unknown length reports total null and goes out chunked', async () => {
    const srv = await sink();
    const events: Progress[] = [];
    async function* gen(): AsyncGenerator<string | Uint8Array> {
      yield 'abc';
      yield Buffer.alloc(1000);
      yield '';
      yield 'é';
    }
    await session().put(`${srv.url}/`, { body: gen(), onUploadProgress: (p) => events.push({ ...p }) });
    assert.deepEqual(events, [
      { loaded: 3, total: null },
      { loaded: 1003, total: null },
      { loaded: 1005, total: null },
    ]);
    assert.equal(srv.headers[0]!['transfer-encoding'], 'chunked');
    assert.deepEqual(srv.received, [1005]);
  });

  test('a FormData upload reports against its Content-Length', async () => {
    const srv = await sink();
    const form = new FormData();
    form.append('f', new File([Buffer.alloc(200_000)], 'f.bin'));
    let last = null as Progress | null;
    await session().post(`${srv.url}/`, { body: form, onUploadProgress: (p) => (last = p) });
    assert.ok(last !== null);
    assert.equal(last!.loaded, srv.received[0]);
    assert.equal(last!.total, srv.received[0]);
  });

  test('an empty body reports once; a body replayed on a 307 restarts from 0', async () => {
    let n = 0;
    const srv = await httpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        n++;
        if (req.url === '/redirect' && n === 1) {
          res.writeHead(307, { location: '/final' });
          res.end();
        } else res.end();
      });
    });
    cleanups.push(() => srv.close());
    const s = session();
    const events: Progress[] = [];
    await s.post(`${srv.url}/redirect`, { body: 'x'.repeat(10), onUploadProgress: (p) => events.push({ ...p }) });
    assert.deepEqual(events, [
      { loaded: 10, total: 10 },
      { loaded: 10, total: 10 },
    ]);
    const empty: Progress[] = [];
    await s.post(`${srv.url}/e`, { body: '', onUploadProgress: (p) => empty.push({ ...p }) });
    assert.deepEqual(empty, [{ loaded: 0, total: 0 }]);
  });

  test('a callback that throws fails the request with that error as cause', async () => {
    const srv = await sink();
    const boom = new Error('progress boom');
    await assert.rejects(
      session().post(`${srv.url}/`, {
        body: Buffer.alloc(200_000),
        onUploadProgress: () => {
          throw boom;
        },
      }),
      (err: unknown) => err instanceof RequestError && (err as Error).cause === boom,
    );
  });
});

describe('download progress', () => {
  test('reports loaded against Content-Length, ending at the total', async () => {
    const body = Buffer.alloc(500_000, 2);
    const srv = await httpServer((_req, res) => {
      res.setHeader('content-length', body.length);
      res.end(body);
    });
    cleanups.push(() => srv.close());
    const events: Progress[] = [];
    const res = await session().get(`${srv.url}/`, { onDownloadProgress: (p) => events.push({ ...p }) });
    assert.equal(res.body.length, body.length);
    assert.ok(events.length >= 2);
    assertMonotonic(events);
    assert.deepEqual(events.at(-1), { loaded: body.length, total: body.length });
  });

  test('a decoded body reports decoded bytes with total null; streamed responses report as they are read', async () => {
    const plain = Buffer.alloc(300_000, 'a');
    const gz = zlib.gzipSync(plain);
    const srv = await httpServer((req, res) => {
      if (req.url === '/gz') {
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': gz.length });
        res.end(gz);
      } else res.end(plain);
    });
    cleanups.push(() => srv.close());
    const s = session();
    let last = null as Progress | null;
    await s.get(`${srv.url}/gz`, { onDownloadProgress: (p) => (last = p) });
    assert.deepEqual(last, { loaded: plain.length, total: null });
    const events: Progress[] = [];
    const st = await s.stream('GET', `${srv.url}/plain`, { onDownloadProgress: (p) => events.push({ ...p }) });
    await st.bytes();
    assert.equal(events.at(-1)!.loaded, plain.length);
  });
});
