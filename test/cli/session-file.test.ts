/** --session: cookies, auth and headers kept in a file between runs of the bin. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { reqivo, tempDir } from './bin.js';

let server: TestServer;
let seen: IncomingHttpHeaders[] = [];
before(async () => {
  server = await httpServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/login') res.setHeader('set-cookie', ['sid=s3cr3t; Path=/; HttpOnly', 'theme=dark; Path=/']);
    res.end('ok');
  });
});
after(() => server.close());

test('--session=NAME stores cookies, auth and headers under XDG_CONFIG_HOME/reqivo/sessions/<host_port>/ and sends them next time', async () => {
  const config = tempDir();
  const env = { XDG_CONFIG_HOME: config };
  seen = [];
  const first = await reqivo(['--session=dev', '-a', 'ada:pw', `${server.url}/login`, 'X-Team:core', 'Content-Type:text/plain'], { env });
  assert.equal(first.code, 0, first.stderr);
  const file = join(config, 'reqivo', 'sessions', `127.0.0.1_${server.port}`, 'dev.json');
  const data = JSON.parse(readFileSync(file, 'utf8')) as { headers: Record<string, string>; auth: unknown; cookies: Array<{ name: string; value: string }> };
  assert.deepEqual(data.headers, { 'X-Team': 'core' });
  assert.deepEqual(data.auth, { type: 'basic', username: 'ada', password: 'pw' });
  assert.deepEqual(data.cookies.map((c) => `${c.name}=${c.value}`).sort(), ['sid=s3cr3t', 'theme=dark']);
  assert.equal(statSync(file).mode & 0o777, 0o600);

  const second = await reqivo(['--session=dev', `${server.url}/me`], { env });
  assert.equal(second.code, 0, second.stderr);
  const h = seen[1]!;
  assert.equal(h.cookie, 'sid=s3cr3t; theme=dark');
  assert.equal(h.authorization, `Basic ${Buffer.from('ada:pw').toString('base64')}`);
  assert.equal(h['x-team'], 'core');
  assert.equal(h['content-type'], undefined);
});

test('--session=PATH uses that file; a header item updates it, Header: removes it; --session-read-only leaves it', async () => {
  const dir = tempDir();
  const file = join(dir, 's.json');
  await reqivo([`--session=${file}`, server.url, 'X-A:1', 'X-B:2']);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).headers, { 'X-A': '1', 'X-B': '2' });
  await reqivo([`--session=${file}`, server.url, 'X-A:one', 'X-B:']);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).headers, { 'X-A': 'one' });
  await reqivo([`--session=${file}`, '--session-read-only', server.url, 'X-C:3']);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).headers, { 'X-A': 'one' });
  const ro = join(dir, 'never.json');
  await reqivo([`--session=${ro}`, '--session-read-only', server.url]);
  assert.ok(!existsSync(ro));
});

test('a broken session file is one error line with the fix, exit 2', async () => {
  const dir = tempDir();
  const file = join(dir, 'bad.json');
  writeFileSync(file, '{nope');
  const r = await reqivo([`--session=${file}`, server.url]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^reqivo: error: session file .*bad\.json is not valid JSON .*fix or delete it/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
