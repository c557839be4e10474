/** httpie's item syntax: unit tests of the splitter, then each item kind through the bin against a real server. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseItem } from '../../src/cli/items.js';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { reqivo, tempDir } from './bin.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: TestServer;
let last: Seen;
before(async () => {
  server = await httpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      last = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      res.end('ok');
    });
  });
});
after(() => server.close());

test('an item splits at its first separator, longest first; a backslash escapes one', () => {
  assert.deepEqual(parseItem('X-A:1'), { sep: ':', key: 'X-A', value: '1' });
  assert.deepEqual(parseItem('a:=[1]'), { sep: ':=', key: 'a', value: '[1]' });
  assert.deepEqual(parseItem('q==x=y'), { sep: '==', key: 'q', value: 'x=y' });
  assert.deepEqual(parseItem('a=@f'), { sep: '=@', key: 'a', value: 'f' });
  assert.deepEqual(parseItem('a:=@f'), { sep: ':=@', key: 'a', value: 'f' });
  assert.deepEqual(parseItem('H:@f'), { sep: ':@', key: 'H', value: 'f' });
  assert.deepEqual(parseItem('up@f.txt'), { sep: '@', key: 'up', value: 'f.txt' });
  assert.deepEqual(parseItem('@-'), { sep: '@', key: '', value: '-' });
  assert.deepEqual(parseItem('a\\:b=c'), { sep: '=', key: 'a:b', value: 'c' });
  assert.throws(() => parseItem('plain'), /not a request item/);
});

test('headers, header removal, header from a file, and query parameters', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'token.txt'), 'secret-token\n');
  const r = await reqivo([`${server.url}/h?x=1`, 'X-One:1', 'User-Agent:', 'X-File:@token.txt', 'q==a b', 'q==2'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(last.method, 'GET');
  assert.equal(last.url, '/h?x=1&q=a+b&q=2');
  assert.equal(last.headers['x-one'], '1');
  assert.equal(last.headers['x-file'], 'secret-token');
  assert.equal(last.headers['user-agent'], undefined);
});

test('data fields make a JSON object and the method POST: strings, raw JSON, JSON and strings from files', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'tags.json'), '["a","b"]');
  writeFileSync(join(dir, 'bio.txt'), 'line 1\nline 2');
  const r = await reqivo([server.url, 'name=Ada', 'age:=36', 'admin:=true', 'tags:=@tags.json', 'bio=@bio.txt'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(last.method, 'POST');
  assert.equal(last.headers['content-type'], 'application/json');
  assert.equal(last.headers.accept, 'application/json, */*;q=0.5');
  assert.deepEqual(JSON.parse(last.body), { name: 'Ada', age: 36, admin: true, tags: ['a', 'b'], bio: 'line 1\nline 2' });
});

test('--form sends urlencoded fields; --multipart and field@file send multipart/form-data with the file', async () => {
  await reqivo(['--form', 'PUT', server.url, 'a=1', 'b=x y']);
  assert.equal(last.method, 'PUT');
  assert.match(String(last.headers['content-type']), /^application\/x-www-form-urlencoded/);
  assert.equal(last.body, 'a=1&b=x+y');

  const dir = tempDir();
  writeFileSync(join(dir, 'note.txt'), 'file body');
  const r = await reqivo([server.url, 'title=hi', 'doc@note.txt'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const type = String(last.headers['content-type']);
  assert.match(type, /^multipart\/form-data; boundary=/);
  assert.match(last.body, /name="title"\r\n\r\nhi\r\n/);
  assert.match(last.body, /name="doc"; filename="note.txt"\r\nContent-Type: application\/octet-stream\r\n\r\nfile body\r\n/);
  assert.equal(Number(last.headers['content-length']), Buffer.byteLength(last.body));

  await reqivo(['--multipart', server.url, 'only=field']);
  assert.match(String(last.headers['content-type']), /^multipart\/form-data/);
});

test('a raw body from a file (@file, =@file), from stdin (@-), and piped stdin without items', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'raw.bin'), 'RAW\x01BYTES');
  await reqivo([server.url, '@raw.bin'], { cwd: dir });
  assert.equal(last.method, 'POST');
  assert.equal(last.body, 'RAW\x01BYTES');
  await reqivo(['PUT', server.url, '=@raw.bin'], { cwd: dir });
  assert.equal(last.body, 'RAW\x01BYTES');
  await reqivo([server.url, '@-', 'Content-Type:text/plain'], { input: 'from stdin' });
  assert.equal(last.body, 'from stdin');
  assert.equal(last.headers['content-type'], 'text/plain');
  await reqivo([server.url], { input: '{"piped":true}' });
  assert.equal(last.method, 'POST');
  assert.equal(last.body, '{"piped":true}');
});

test('--ignore-stdin leaves piped input alone; mixing a raw body with fields is a usage error (exit 2)', async () => {
  await reqivo(['--ignore-stdin', server.url], { input: 'not sent' });
  assert.equal(last.method, 'GET');
  assert.equal(last.body, '');
  const r = await reqivo([server.url, '@-', 'a=1'], { input: 'x' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^reqivo: error: a raw body \(@file or @-\) cannot be mixed with data fields/);
  const bad = await reqivo([server.url, 'a:={nope']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not valid JSON/);
});
