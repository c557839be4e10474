/**
 * Lean hot objects (DESIGN.md): every field of a hot class is declared and
 * set in its constructor — no field is added later, none deleted — so V8
 * keeps them in fast mode. Checked two ways: own keys against the declared
 * list after real use, and `%HasFastProperties` in a child process run with
 * --allow-natives-syntax.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Headers, Session } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/server.js';

const here = dirname(fileURLToPath(import.meta.url));
let server: TestServer;
before(async () => {
  server = await startTestServer({ '/r': { json: { a: 1 }, headers: { 'x-a': '1', 'set-cookie': 'a=b' } }, '/s': { body: 'x'.repeat(5000) } });
});
after(() => server.close());

test('Response and Headers keep exactly their declared own fields after use', async () => {
  const session = new Session({ baseUrl: server.url });
  try {
    const res = await session.get('/r');
    res.text();
    res.json();
    res.headers.get('content-type');
    assert.deepEqual(Object.keys(res), ['url', 'body']);
    assert.equal(res.headers, res.headers, 'the headers wrapper is cached');
    assert.deepEqual(Object.keys(res.headers), ['_list']);
    const st = await session.stream('GET', '/s');
    await st.text();
    assert.deepEqual(Object.keys(st), ['status', 'reason', 'httpVersion', 'headers', 'url', 'method', 'redirects']);
  } finally {
    await session.close();
  }
});

test('hot objects are in fast (not dictionary) mode after real requests', async () => {
  const script = join(here, 'fixtures', 'fast-properties.js');
  const { stdout } = await promisify(execFile)(process.execPath, ['--allow-natives-syntax', script, server.url], { timeout: 30_000 });
  const report = JSON.parse(stdout) as Record<string, boolean>;
  assert.ok(Object.keys(report).length >= 6, stdout);
  for (const [name, fast] of Object.entries(report)) assert.equal(fast, true, `${name} is in dictionary mode`);
});

test('Headers never grows a per-instance Map', () => {
  const h = new Headers({ a: '1', b: '2' });
  h.set('c', '3');
  h.delete('a');
  assert.deepEqual(Object.keys(h), ['_list']);
  assert.ok(Array.isArray(h._list));
});
