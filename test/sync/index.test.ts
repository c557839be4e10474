/**
 * The one-off helpers on the default worker, a script that never calls
 * close() (it still exits), and SyncSessions on several threads at once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { after, before, test } from 'node:test';
import { NetworkError } from '../../src/index.js';
import { defaultSyncSession, deleteSync, getSync, headSync, optionsSync, patchSync, postSync, putSync, requestSync } from '../../src/sync/index.js';
import { type ServerThread, startServerThread } from './server-thread.js';

let server: ServerThread;
before(async () => {
  server = await startServerThread();
});
after(async () => {
  defaultSyncSession().close();
  await server.close();
});

const SYNC_INDEX = new URL('../../src/sync/index.js', import.meta.url).href;
const SERVER_THREAD = new URL('./server-thread.js', import.meta.url).href;

test("'reqivo/sync' resolves through package.json exports, with the error classes of 'reqivo'", async () => {
  const sync = (await import('reqivo/sync' as string)) as Record<string, unknown>;
  const main = (await import('reqivo' as string)) as { RequestError: new (...a: never[]) => Error };
  for (const n of ['SyncSession', 'SyncWorkerError', 'defaultSyncSession', 'requestSync', 'getSync', 'headSync', 'optionsSync', 'deleteSync', 'postSync', 'putSync', 'patchSync']) {
    assert.equal(typeof sync[n], 'function', n);
  }
  assert.ok((sync.SyncWorkerError as { prototype: object }).prototype instanceof main.RequestError);
});

test('one-off helpers run on one lazily started default session', () => {
  const s = defaultSyncSession();
  assert.equal(defaultSyncSession(), s);
  const method = (r: { json<T>(): T }): string => r.json<{ method: string }>().method;
  assert.equal(method(getSync(`${server.url}/echo`, { proxy: false })), 'GET');
  assert.equal(headSync(`${server.url}/echo`, { proxy: false }).status, 200);
  assert.equal(method(optionsSync(`${server.url}/echo`, { proxy: false })), 'OPTIONS');
  assert.equal(method(deleteSync(`${server.url}/echo`, { proxy: false })), 'DELETE');
  assert.equal(postSync(`${server.url}/echo`, { json: { a: 1 }, proxy: false }).json<{ body: string }>().body, '{"a":1}');
  assert.equal(method(putSync(`${server.url}/echo`, { proxy: false })), 'PUT');
  assert.equal(method(patchSync(`${server.url}/echo`, { proxy: false })), 'PATCH');
  assert.equal(method(requestSync('get', `${server.url}/echo`, { proxy: false })), 'GET');
  assert.throws(() => getSync('http://127.0.0.1:1/', { proxy: false }), NetworkError);
  s.close();
  assert.notEqual(defaultSyncSession(), s, 'a closed default session is replaced');
});

test('a script that never calls close() still exits', () => {
  const script = `
    import { SyncSession, getSync } from ${JSON.stringify(SYNC_INDEX)};
    import { startServerThread } from ${JSON.stringify(SERVER_THREAD)};
    const server = await startServerThread();
    const s = new SyncSession({ baseUrl: server.url, proxy: false });
    const a = s.get('/echo').status;
    const b = getSync(server.url + '/echo', { proxy: false }).status;
    await server.close();
    console.log('done', a, b);
  `;
  const dir = mkdtempSync(join(tmpdir(), 'reqivo-sync-exit-'));
  try {
    const file = join(dir, 'script.mjs');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.signal, null, 'the script exited by itself, before the 30 s kill');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'done 200 200');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a script run by node --input-type=module -e, from stdin, or with it in NODE_OPTIONS, gets its worker, also beside --expose-gc', () => {
  // The worker inherits the parent's flags; under --input-type Node refused to
  // load the worker file and the first call hung for the 15 s startup bound.
  // The server runs on a thread of this process, so it answers while spawnSync blocks us.
  const script = `
    import { SyncSession } from ${JSON.stringify(SYNC_INDEX)};
    const s = new SyncSession({ baseUrl: ${JSON.stringify(server.url)}, proxy: false });
    console.log('done', s.get('/echo').status);
  `;
  const runs = [
    [['--input-type=module', '-e', script], '', {}],
    [['--input-type', 'module'], script, {}],
    [['-e', script], '', { NODE_OPTIONS: '--input-type=module' }],
    // With a process-wide flag beside it, which a worker's explicit execArgv may not hold.
    [['--expose-gc', '--max-old-space-size=512', '--input-type=module', '-e', script], '', {}],
  ] as const;
  for (const [args, input, env] of runs) {
    const r = spawnSync(process.execPath, args, { input, encoding: 'utf8', timeout: 10_000, env: { ...process.env, ...env } });
    assert.equal(r.signal, null, `${args[0]} ${args[1]} ${JSON.stringify(env)}: exited before the 10 s kill`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'done 200');
  }
});

test('several threads block on their own SyncSessions at the same time', async () => {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.index).then(({ SyncSession }) => {
      const s = new SyncSession({ baseUrl: workerData.url, proxy: false });
      const conns = new Set();
      for (let i = 0; i < 20; i++) conns.add(s.get('/echo?i=' + i).json().conn);
      s.close();
      parentPort.postMessage(conns.size);
    });
  `;
  const workers = [0, 1, 2].map(() => new Worker(code, { eval: true, workerData: { index: SYNC_INDEX, url: server.url } }));
  const exits = workers.map((w) => once(w, 'exit'));
  const sizes = await Promise.all(workers.map(async (w) => (await once(w, 'message'))[0] as number));
  assert.deepEqual(sizes, [1, 1, 1], 'each thread kept its own connection alive');
  await Promise.all(exits);
});
