/**
 * Runs every ```js block of the README's Quick start against a local server,
 * through the published entry point (`import … from 'reqivo'` resolves via
 * package.json "exports" to dist/), so the README never rots.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { startTestServer, type TestServer } from '../src/testing/server.js';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let server: TestServer;
let wss: WebSocketServer;
let wsUrl: string;

before(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (sock) => sock.on('message', (data, isBinary) => sock.send(data, { binary: isBinary })));
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  server = await startTestServer({
    'GET /users/1': { json: { id: 1, name: 'Ada' } },
    'POST /users': (req) => ({ status: 201, json: JSON.parse(req.body.toString()) }),
    'GET /big': { body: 'x'.repeat(300_000) },
    'GET /slow': { delayMs: 1000, body: 'late' },
    'GET /me': (req) => ({ json: { auth: req.headers.authorization, id: req.headers['x-request-id'] } }),
  });
});
after(async () => {
  await server.close();
  await new Promise<void>((r) => wss.close(() => r()));
});

function blocks(lang: 'js' | 'ts' = 'js'): string[] {
  const md = readFileSync(join(root, 'README.md'), 'utf8');
  const section = md.slice(md.indexOf('## Quick start'), md.indexOf('## What you get'));
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
}

test('the README starts with the developer commands, then tells users to npm install reqivo', () => {
  const md = readFileSync(join(root, 'README.md'), 'utf8');
  const commands = [...md.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
  assert.deepEqual(commands.slice(0, 2), ['npm install\nnpm test', 'npm install reqivo']);
  assert.ok(md.indexOf('npm install reqivo') < md.indexOf('## Quick start'));
});

test('the TypeScript examples type-check against the built declarations (res.json<T>() is typed)', async () => {
  const ts = blocks('ts');
  assert.ok(ts.length >= 1 && ts.some((code) => code.includes('.json<')));
  const dir = join(root, 'build', 'readme');
  mkdirSync(dir, { recursive: true });
  const files = ts.map((code, i) => {
    const file = join(dir, `example-${i + 1}.ts`);
    writeFileSync(file, code);
    return file;
  });
  // 'reqivo' resolves to this package itself (self-reference through "exports"), i.e. to dist/*.d.ts.
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', ...files];
  await run(process.execPath, [tsc, ...args], { cwd: root, timeout: 60_000 }).catch((err: { stdout?: string }) => assert.fail(`tsc failed:\n${err.stdout ?? String(err)}`));
});

test('the README quick start has examples', () => {
  assert.ok(blocks().length >= 6);
});

const expected: RegExp[] = [
  /^200 true application\/json\nAda\n$/,
  /"name":"Ada"/,
  /^downloaded 300000 bytes\n$/,
  /^too slow: GET http:\/\/127\.0\.0\.1:\d+\/slow: /,
  /^200 http:\/\/127\.0\.0\.1:\d+\/me\n\{ auth: 'Bearer secret-token', id: '42' \}\n$/,
  /^echo: hello\n$/,
];

for (const [i, code] of blocks().entries()) {
  test(`README example ${i + 1} runs`, async () => {
    const dir = join(root, 'build', 'readme');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `example-${i + 1}.mjs`);
    writeFileSync(file, code.replaceAll('http://127.0.0.1:8080', server.url).replaceAll('ws://127.0.0.1:9000', wsUrl));
    const { stdout } = await run(process.execPath, [file], { timeout: 20_000 });
    assert.match(stdout, expected[i] ?? /[\s\S]*/);
  });
}
