/**
 * `npm run demo`: starts a local server on 127.0.0.1 and shows reqivo at
 * work — JSON, cookies, redirects, streaming, keep-alive reuse, concurrency,
 * a typed timeout error, and the `reqivo` command line — then shuts
 * everything down.
 * @module
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestServer } from '../testing/server.js';
import { ReadTimeout, Session } from '../index.js';

function line(label: string, value: unknown): void {
  console.log(`  ${label.padEnd(34)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

async function main(): Promise<void> {
  const server = await startTestServer({
    'GET /users/1': { json: { id: 1, name: 'Ada Lovelace' } },
    'POST /users': (req) => ({ status: 201, json: { created: JSON.parse(req.body.toString()) } }),
    'GET /login': { status: 302, headers: { location: '/me', 'set-cookie': 'session=abc123; Path=/; HttpOnly' } },
    'GET /me': (req) => ({ json: { cookie: req.headers.cookie ?? null } }),
    'GET /big': { body: 'x'.repeat(1 << 20) },
    'GET /slow': { delayMs: 500, body: 'late' },
    '/hello': { body: 'hello' },
  });
  console.log(`reqivo demo — local server at ${server.url}\n`);
  const session = new Session({ baseUrl: server.url, timeout: { connect: 2000, read: 2000 } });
  try {
    const user = await session.get('/users/1');
    console.log('GET /users/1');
    line('status', `${user.status} ${user.reason} (HTTP/${user.httpVersion})`);
    line('content-type', user.headers.get('content-type'));
    line('json()', user.json());

    const created = await session.post('/users', { json: { name: 'Grace Hopper' } });
    console.log('\nPOST /users with json');
    line('status', created.status);
    line('json()', created.json());

    const me = await session.get('/login');
    console.log('\nGET /login → 302 with Set-Cookie → /me');
    line('final url', me.url);
    line('redirect chain', me.redirects);
    line('cookie sent back', me.json<{ cookie: string }>().cookie);

    const stream = await session.stream('GET', '/big');
    let bytes = 0;
    let chunks = 0;
    for await (const chunk of stream) {
      bytes += chunk.byteLength;
      chunks++;
    }
    console.log('\nstream GET /big');
    line('received', `${bytes} bytes in ${chunks} chunks`);

    const before = server.connections;
    const t0 = performance.now();
    for (let i = 0; i < 500; i++) await session.get('/hello');
    const seqMs = performance.now() - t0;
    const seqConns = server.connections - before;
    const t1 = performance.now();
    await Promise.all(Array.from({ length: 200 }, () => session.get('/hello')));
    const parMs = performance.now() - t1;
    console.log('\nkeep-alive pool');
    line('500 sequential GETs', `${seqMs.toFixed(0)} ms, ${seqConns} new connection(s)`);
    line('200 concurrent GETs', `${parMs.toFixed(0)} ms, ${server.connections} connections in all (cap 10)`);

    console.log('\ntyped errors');
    try {
      await session.get('/slow', { timeout: { read: 100 } });
    } catch (err) {
      line('read timeout of 100 ms', `${(err as Error).name}: ${(err as Error).message}`);
      line('instanceof ReadTimeout', err instanceof ReadTimeout);
    }

    // The bin as a child process (this process keeps serving meanwhile, so the call must not block).
    const bin = fileURLToPath(new URL('./main.js', import.meta.url));
    const cli = ['-v', '--ignore-stdin', 'POST', `${server.url}/users`, 'name=Grace', 'admin:=true'];
    const { stdout } = await promisify(execFile)(process.execPath, [bin, ...cli], { timeout: 10_000 });
    console.log(`\ncommand line: reqivo ${cli.join(' ').replace(server.url, ':' + new URL(server.url).port)}`);
    console.log(stdout.trimEnd().replace(/^(?=.)/gm, '  '));
  } finally {
    await session.close();
    await server.close();
  }
  console.log('\ndone.');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
