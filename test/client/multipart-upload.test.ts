import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { InvalidRequestError } from '../../src/errors.js';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

interface Upload {
  url: string;
  method: string;
  contentType: string;
  contentLength: string | undefined;
  transferEncoding: string | undefined;
  raw: Buffer;
}

/** Records each upload; the multipart body is parsed by an independent parser (the WHATWG Request of Node's fetch). */
async function server(redirectFirst = false): Promise<TestServer & { uploads: Upload[] }> {
  const uploads: Upload[] = [];
  const srv = await httpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      uploads.push({
        url: req.url!,
        method: req.method!,
        contentType: req.headers['content-type'] ?? '',
        contentLength: req.headers['content-length'],
        transferEncoding: req.headers['transfer-encoding'],
        raw: Buffer.concat(chunks),
      });
      if (redirectFirst && uploads.length === 1) {
        res.writeHead(307, { location: '/again' });
        res.end();
      } else res.end('stored');
    });
  });
  cleanups.push(() => srv.close());
  return Object.assign(srv, { uploads });
}

async function parse(u: Upload): Promise<FormData> {
  return new Request('http://x.test/', { method: 'POST', headers: { 'content-type': u.contentType }, body: u.raw }).formData();
}

describe('FormData uploads (multipart/form-data)', () => {
  test('fields and Blob/File parts arrive intact, with a Content-Length', async () => {
    const srv = await server();
    const form = new FormData();
    form.append('name', 'Ada Lovelace');
    form.append('multi\nline', 'a\nb\r\nc');
    form.append('note', 'é ünïcode ✓');
    form.append('doc', new File(['hello file'], 'notes "v1".txt', { type: 'text/plain' }));
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    form.append('bin', new Blob([binary], { type: 'application/octet-stream' }), 'bytes.bin');
    form.append('empty', new File([], 'empty.txt'));
    const res = await session().post(`${srv.url}/upload`, { body: form });
    assert.equal(res.text(), 'stored');
    const u = srv.uploads[0]!;
    assert.match(u.contentType, /^multipart\/form-data; boundary=reqivo-[0-9a-f]{32}$/);
    assert.equal(u.transferEncoding, undefined);
    assert.equal(Number(u.contentLength), u.raw.length);
    const parsed = await parse(u);
    assert.equal(parsed.get('name'), 'Ada Lovelace');
    assert.equal(parsed.get('note'), 'é ünïcode ✓');
    assert.equal(parsed.get('multi\r\nline') ?? parsed.get('multi\nline'), 'a\r\nb\r\nc');
    const doc = parsed.get('doc') as File;
    // Escaped on the wire as WHATWG HTML says; the receiving parser restores the quotes.
    assert.ok(u.raw.includes('filename="notes %22v1%22.txt"'));
    assert.equal(doc.name, 'notes "v1".txt');
    assert.equal(doc.type, 'text/plain');
    assert.equal(await doc.text(), 'hello file');
    const bin = parsed.get('bin') as File;
    assert.equal(bin.name, 'bytes.bin');
    assert.deepEqual(Buffer.from(await bin.arrayBuffer()), binary);
    assert.equal((parsed.get('empty') as File).size, 0);
  });

  test('a large File is streamed with an exact Content-Length', async () => {
    const srv = await server();
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const form = new FormData();
    form.append('file', new File([big], 'big.bin'));
    await session().post(`${srv.url}/`, { body: form });
    const u = srv.uploads[0]!;
    assert.equal(Number(u.contentLength), u.raw.length);
    const file = (await parse(u)).get('file') as File;
    assert.equal(file.size, big.length);
    assert.ok(Buffer.from(await file.arrayBuffer()).equals(big));
  });

  test('a 307 redirect replays the multipart body byte for byte', async () => {
    const srv = await server(true);
    const form = new FormData();
    form.append('k', 'v');
    form.append('f', new Blob(['blob data']), 'b.txt');
    const res = await session().put(`${srv.url}/first`, { body: form });
    assert.equal(res.text(), 'stored');
    assert.equal(srv.uploads.length, 2);
    assert.equal(srv.uploads[1]!.method, 'PUT');
    assert.ok(srv.uploads[1]!.raw.equals(srv.uploads[0]!.raw));
    assert.equal(((await parse(srv.uploads[1]!)).get('f') as File).name, 'b.txt');
  });

  test('a caller-set Content-Type is kept; a plain Blob body sends its type and size', async () => {
    const srv = await server();
    const s = session();
    await s.post(`${srv.url}/`, { body: new Blob(['{"a":1}'], { type: 'application/json' }) });
    assert.equal(srv.uploads[0]!.contentType, 'application/json');
    assert.equal(srv.uploads[0]!.contentLength, '7');
    const form = new FormData();
    form.append('a', 'b');
    await s.post(`${srv.url}/`, { body: form, headers: { 'content-type': 'multipart/mixed; boundary=custom' } });
    assert.equal(srv.uploads[1]!.contentType, 'multipart/mixed; boundary=custom');
  });

  test('each upload gets a fresh boundary', async () => {
    const srv = await server();
    const s = session();
    const form = new FormData();
    form.append('a', 'b');
    await s.post(`${srv.url}/`, { body: form });
    await s.post(`${srv.url}/`, { body: form });
    assert.notEqual(srv.uploads[0]!.contentType, srv.uploads[1]!.contentType);
  });

  test('body plus json is refused before sending', async () => {
    const srv = await server();
    await assert.rejects(session().post(`${srv.url}/`, { body: new FormData(), json: {} }), InvalidRequestError);
    assert.equal(srv.uploads.length, 0);
  });
});
