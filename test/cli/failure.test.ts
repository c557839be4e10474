/** Errors: one line naming the request, the cause and the fix; the exit code by kind; a stack only with --debug. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe } from '../../src/cli/failure.js';
import { ConnectTimeout, NetworkError, TooManyRedirects } from '../../src/index.js';
import { httpServer, tcpServer } from '../helpers/servers.js';
import { reqivo } from './bin.js';

test('kinds map to httpie exit codes and hints', () => {
  assert.equal(describe(new ConnectTimeout('connect timed out', { method: 'GET', url: 'http://a/' })).code, 2);
  assert.equal(describe(new TooManyRedirects('too many', { method: 'GET', url: 'http://a/' })).code, 6);
  const refused = describe(new NetworkError('refused', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
  assert.equal(refused.code, 1);
  assert.match(refused.line, /\(NetworkError\) — is the server running on that host and port\?$/);
  assert.doesNotMatch(describe(new Error('a\nb')).line, /\n/);
});

test('a refused connection is one line naming the request, the cause and the fix; --debug adds the stack', async () => {
  // A port that was just in use and is now closed: nothing listens there.
  const s = await tcpServer((sock) => sock.destroy());
  const port = s.port;
  await s.close();
  const r = await reqivo([`http://127.0.0.1:${port}/x`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^reqivo: error: GET http://127\\.0\\.0\\.1:${port}/x: .*ECONNREFUSED.* \\(NetworkError\\) — is the server running on that host and port\\?\\n$`));
  const d = await reqivo(['--debug', `http://127.0.0.1:${port}/x`]);
  assert.equal(d.code, 1);
  assert.match(d.stderr, /\n\s+at /);
});

test('a missing @file is one line with the path and the fix', async () => {
  const r = await reqivo(['--offline', 'http://127.0.0.1:9/', '@/nonexistent/body.json']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^reqivo: error: ENOENT: no such file or directory, open '\/nonexistent\/body\.json' \(ENOENT\) — check the file path\n$/);
});

test('a URL that does not parse is a usage error', async () => {
  const r = await reqivo(['http://[nope/']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is not a URL \(see reqivo --help\)\n$/);
});

test('Ctrl-C (SIGINT) during a request exits 130 with one line', async () => {
  const slow = await httpServer((_req, res) => {
    res.writeHead(200);
    res.write('first part\n');
    // Never ends by itself; closed by the test.
  });
  try {
    const r = await reqivo(['--stream', slow.url], {
      onStdout: (text, child) => {
        if (text.includes('first part')) child.kill('SIGINT');
      },
    });
    assert.equal(r.code, 130);
    assert.equal(r.stderr, '\nreqivo: interrupted\n');
  } finally {
    await slow.close();
  }
});
