/**
 * Runs every example in examples/ (compiled to build/examples/) as a child
 * process: each starts its own server on 127.0.0.1, must exit with code 0
 * and print what it promises.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');

const expected: Record<string, RegExp[]> = {
  cookies: [/^login: 200 welcome back \(via 1 redirect\)$/m, /^cookies in the jar: sid, theme$/m, /^restored session: welcome back$/m, /^after clear: 401$/m],
  auth: [/^basic ok$/m, /^bearer ok$/m, /^digest ok \(nc=00000001\)$/m, /^digest ok \(nc=00000002\)$/m, /^401 challenges answered: 1$/m],
  hooks: [
    /^→ GET \/users\/1 \(auth: Bearer\)$/m,
    /^body: \{"path":"\/users\/1","requestId":"1"\}$/m,
    /^HttpStatusError: 404, response url \/missing$/m,
    /^RequestError, cause: not allowed on Sundays$/m,
  ],
  'cache-file-store': [
    /^first: miss document "v1" \(requests: 1\)$/m,
    /^new session: hit document "v1", age [01] \(requests: 1\)$/m,
    /^no-cache: revalidated after a 304 \(requests: 3\)$/m,
    /^after POST: miss document "v2"$/m,
  ],
  'server-sent-events': [/^text: Hello from a streaming API$/m, /^connections: 2 \(one reconnect with Last-Event-ID\)$/m],
  pagination: [/^first 5 repos: repo-1a, repo-1b, repo-2a, repo-2b, repo-3a \(3 requests\)$/m, /^break at page 3: 3 requests$/m],
  retries: [/^200 ok after 3 attempts; Retry-After honoured: yes$/m, /^POST: 503 after 1 attempt$/m],
  websocket: [
    /^connected, subprotocol chat\.v2$/m,
    /^text: hello$/m,
    /^binary: 3 bytes$/m,
    /^ping answered$/m,
    /^streamed: one, two, three; closed with 1000 \(that is all\)$/m,
    /^connection lost \(1006\), reconnect attempt 1$/m,
    /^reconnected on attempt 1$/m,
    /^after reconnect: still there\?$/m,
    /^drop without reconnect: WebSocketError 1006$/m,
  ],
  observability: [
    /^span HTTP GET \/old status=301 error=none$/m,
    /^span HTTP GET \/new status=200 error=none$/m,
    /^span HTTP GET \/slow status=200 error=none$/m,
    /^span HTTP GET http:\/\/127\.0\.0\.1:9\/refused status=- error=NetworkError$/m,
    /^peer seen: 127\.0\.0\.1:PORT \(http\/1\.1\)$/m,
    /^timings of \/slow: firstByte >= 40 ms: true, reused connection: true$/m,
  ],
  uploads: [
    /^uploaded (\d+)\/\1 bytes in several progress steps$/m,
    /^server saw Content-Length matching the body$/m,
    /^ {2}title=Holiday photos$/m,
    /^ {2}photo: beach\.jpg \(524288 bytes, image\/jpeg\)$/m,
    /^ {2}notes: notes\.txt \(6 bytes, application\/octet-stream\)$/m,
  ],
};

const found = readdirSync(dir)
  .filter((f) => f.endsWith('.js'))
  .map((f) => f.slice(0, -3))
  .sort();

test('every example has expectations, and every expectation an example', () => {
  assert.deepEqual(found, Object.keys(expected).sort());
});

for (const name of found) {
  test(`example ${name} runs and exits 0`, async () => {
    const { stdout, stderr } = await run(process.execPath, [join(dir, `${name}.js`)], { timeout: 20_000 });
    assert.equal(stderr, '');
    for (const re of expected[name] ?? []) assert.match(stdout, re);
  });
}
