import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InvalidRequestError } from '../../src/errors.js';
import { type EncodedMultipart, encodeMultipart, escapeMultipartName, multipartChunks } from '../../src/http/multipart.js';

async function bodyOf(enc: EncodedMultipart): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of multipartChunks(enc)) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Encode, then parse back with Node's own WHATWG Response.formData(). */
async function roundTrip(form: FormData): Promise<{ enc: EncodedMultipart; body: Buffer; parsed: FormData }> {
  const enc = encodeMultipart(form);
  const body = await bodyOf(enc);
  const parsed = await new Response(body, { headers: { 'content-type': enc.contentType } }).formData();
  return { enc, body, parsed };
}

describe('encodeMultipart / multipartChunks', () => {
  test('strings and files round-trip through Response.formData(), length is exact', async () => {
    const form = new FormData();
    form.append('name', 'Ada Lovelace');
    form.append('unicode', 'żółć ✓ 日本');
    form.append('name', 'second value');
    form.append('empty', '');
    form.append('file', new File(['hello, file\n'], 'hello.txt', { type: 'text/plain' }));
    form.append('bin', new Blob([new Uint8Array([0, 1, 2, 255, 13, 10])]), 'data.bin');
    form.append('nofile', new File([], 'empty.dat'));
    const { enc, body, parsed } = await roundTrip(form);
    assert.equal(enc.length, body.byteLength);
    assert.deepEqual(parsed.getAll('name'), ['Ada Lovelace', 'second value']);
    assert.equal(parsed.get('unicode'), 'żółć ✓ 日本');
    assert.equal(parsed.get('empty'), '');
    const file = parsed.get('file') as File;
    assert.equal(file.name, 'hello.txt');
    assert.equal(file.type, 'text/plain');
    assert.equal(await file.text(), 'hello, file\n');
    const bin = parsed.get('bin') as File;
    assert.equal(bin.name, 'data.bin');
    assert.equal(bin.type, 'application/octet-stream');
    assert.deepEqual(new Uint8Array(await bin.arrayBuffer()), new Uint8Array([0, 1, 2, 255, 13, 10]));
    const nofile = parsed.get('nofile') as File;
    assert.equal(nofile.name, 'empty.dat');
    assert.equal(nofile.size, 0);
    assert.deepEqual([...parsed.keys()], ['name', 'unicode', 'name', 'empty', 'file', 'bin', 'nofile']);
  });

  test('boundary is random, prefixed, and in the content type; the body ends with the close delimiter', async () => {
    const form = new FormData();
    form.append('a', 'b');
    const e1 = encodeMultipart(form);
    const e2 = encodeMultipart(form);
    assert.match(e1.boundary, /^reqivo-[0-9a-f]{32}$/);
    assert.notEqual(e1.boundary, e2.boundary);
    assert.equal(e1.contentType, `multipart/form-data; boundary=${e1.boundary}`);
    const body = (await bodyOf(e1)).toString('latin1');
    assert.equal(body, `--${e1.boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--${e1.boundary}--\r\n`);
  });

  test('an empty FormData is just the close delimiter', async () => {
    const enc = encodeMultipart(new FormData());
    const body = await bodyOf(enc);
    assert.equal(body.toString(), `--${enc.boundary}--\r\n`);
    assert.equal(enc.length, body.byteLength);
  });

  test('string values: every line break becomes CRLF', async () => {
    const form = new FormData();
    form.append('t', 'a\nb\rc\r\nd');
    const { body, parsed, enc } = await roundTrip(form);
    assert.equal(parsed.get('t'), 'a\r\nb\r\nc\r\nd');
    assert.equal(enc.length, body.byteLength);
  });

  test('names and filenames escape ", CR and LF (WHATWG HTML) and cannot break out of the header', async () => {
    assert.equal(escapeMultipartName('a"b\rc\nd'), 'a%22b%0Dc%0Ad');
    const form = new FormData();
    form.append('evil"\r\nContent-Type: x', 'v');
    form.append('f', new File(['x'], 'a"b\r\n.txt'));
    const enc = encodeMultipart(form);
    const body = await bodyOf(enc);
    const text = body.toString('latin1');
    assert.ok(text.includes('name="evil%22%0D%0AContent-Type: x"'));
    assert.ok(text.includes('filename="a%22b%0D%0A.txt"'));
    // Exactly two parts, nothing injected.
    assert.equal(text.split(`--${enc.boundary}\r\n`).length - 1, 2);
    const parsed = await new Response(body, { headers: { 'content-type': enc.contentType } }).formData();
    assert.equal([...parsed.keys()].length, 2);
  });

  test('a disk-backed File is streamed chunk by chunk, never read whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reqivo-multipart-'));
    try {
      const big = new Uint8Array(3 * 1024 * 1024 + 7);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
      const path = join(dir, 'big.bin');
      await writeFile(path, big);
      const form = new FormData();
      form.append('before', 'x');
      form.append('big', await openAsBlob(path, { type: 'application/x-test' }), 'big.bin');
      form.append('after', 'y');
      const enc = encodeMultipart(form);
      // Head bytes, the Blob by reference, tail bytes: the file is not copied into the parts.
      assert.equal(enc.parts.length, 3);
      assert.ok(enc.parts[1] instanceof Blob);
      assert.equal((enc.parts[1] as Blob).size, big.length);
      let chunks = 0;
      let total = 0;
      let largest = 0;
      for await (const c of multipartChunks(enc)) {
        chunks++;
        total += c.byteLength;
        largest = Math.max(largest, c.byteLength);
      }
      assert.equal(total, enc.length);
      assert.ok(chunks > 10, `expected the file in many chunks, got ${chunks}`);
      assert.ok(largest <= 1024 * 1024, `largest chunk ${largest} bytes`);
      const body = await bodyOf(enc);
      const parsed = await new Response(body, { headers: { 'content-type': enc.contentType } }).formData();
      const f = parsed.get('big') as File;
      assert.equal(f.name, 'big.bin');
      assert.equal(f.type, 'application/x-test');
      assert.deepEqual(new Uint8Array(await f.arrayBuffer()), big);
      assert.equal(parsed.get('before'), 'x');
      assert.equal(parsed.get('after'), 'y');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('chunks can be produced again (replay after a redirect)', async () => {
    const form = new FormData();
    form.append('f', new File(['abc'], 'a.txt'));
    const enc = encodeMultipart(form);
    assert.deepEqual(await bodyOf(enc), await bodyOf(enc));
  });

  test('a Blob part that yields a different size than declared fails instead of corrupting the body', async () => {
    const liar = new Blob(['abc']);
    Object.defineProperty(liar, 'size', { value: 10 });
    const enc: EncodedMultipart = { boundary: 'b', contentType: 'multipart/form-data; boundary=b', length: 10, parts: [liar] };
    await assert.rejects(bodyOf(enc), InvalidRequestError);
  });
});
