/**
 * One-off requests on the process-wide default Session (API.md: like
 * Python's requests.get), and the promise that its idle pooled connections
 * never keep the process alive.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as reqivo from '../../src/index.js';
import { startTestServer, type TestServer } from '../../src/testing/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer({
    '/echo': (req) => ({ json: { method: req.method, body: req.body.toString() } }),
    '/stream': { body: 'streamed' },
  });
});
after(() => server.close());

test('every one-off helper sends its method on the shared default session', async () => {
  const calls: Array<[string, Promise<reqivo.Response>]> = [
    ['GET', reqivo.get(`${server.url}/echo`)],
    ['HEAD', reqivo.head(`${server.url}/echo`)],
    ['OPTIONS', reqivo.options(`${server.url}/echo`)],
    ['DELETE', reqivo.del(`${server.url}/echo`)],
    ['DELETE', reqivo.delete(`${server.url}/echo`)],
    ['POST', reqivo.post(`${server.url}/echo`, { body: 'p' })],
    ['PUT', reqivo.put(`${server.url}/echo`, { body: 'u' })],
    ['PATCH', reqivo.patch(`${server.url}/echo`, { json: 1 })],
    ['PATCH', reqivo.request('patch', `${server.url}/echo`)],
  ];
  for (const [method, p] of calls) {
    const res = await p;
    assert.equal(res.status, 200);
    if (method !== 'HEAD') assert.equal(res.json<{ method: string }>().method, method);
  }
  assert.equal(reqivo.defaultSession(), reqivo.defaultSession());
  const s = await reqivo.stream('GET', `${server.url}/stream`);
  assert.equal(await s.text(), 'streamed');
  const seen = server.requests.filter((r) => r.url === '/echo').map((r) => r.method);
  assert.deepEqual(seen.sort(), calls.map(([m]) => m).sort());
});

test('idle connections of the default session do not keep the process alive', async () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const script = join(here, '..', 'fixtures', 'one-off.js');
  const t0 = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, [script, `${server.url}/echo`], { timeout: 10_000 });
  assert.equal(stdout.trim(), '200');
  // The server keeps connections open for 5 s; the child exited well before that.
  assert.ok(performance.now() - t0 < 4000, 'the child process stayed alive on an idle connection');
});
