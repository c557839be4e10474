/** `npm run demo` keeps working: run the built demo and check what it shows. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

test('the demo runs against its own local server and shows reuse, typed errors and the command line', async () => {
  const demo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'cli', 'demo.js');
  const { stdout } = await promisify(execFile)(process.execPath, [demo], { timeout: 30_000 });
  assert.match(stdout, /local server at http:\/\/127\.0\.0\.1:\d+/);
  assert.match(stdout, /json\(\)\s+\{"id":1,"name":"Ada Lovelace"\}/);
  assert.match(stdout, /cookie sent back\s+session=abc123/);
  assert.match(stdout, /received\s+1048576 bytes/);
  assert.match(stdout, /500 sequential GETs\s+\d+ ms, 0 new connection\(s\)/);
  assert.match(stdout, /ReadTimeout: GET http:\/\/127\.0\.0\.1:\d+\/slow: /);
  assert.match(stdout, /command line: reqivo -v --ignore-stdin POST :\d+\/users name=Grace admin:=true\n {2}POST \/users HTTP\/1\.1\n/);
  assert.match(stdout, /\n {2}\{"name":"Grace","admin":true\}\n\n {2}HTTP\/1\.1 201 Created\n/);
  assert.match(stdout, /done\.\n$/);
});
