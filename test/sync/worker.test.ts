/**
 * The worker failing: exiting, throwing, hanging. Each surfaces as a typed
 * error within its bound (never a caller blocked forever), and the session
 * refuses later calls. Also the refusal to block inside the worker itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReqivoError, TimeoutError } from '../../src/index.js';
import { SyncSession, SyncWorkerError } from '../../src/sync/index.js';
import { useServerThread } from './use-server.js';

const CRASH_WORKER = new URL('./crash-worker.js', import.meta.url);
const { server: serverThread, track } = useServerThread();

function session(livenessMs?: number): SyncSession {
  return track(new SyncSession({ baseUrl: serverThread().url, proxy: false }, { workerUrl: CRASH_WORKER, ...(livenessMs ? { livenessMs } : {}) }));
}

function assertWorkerError(fn: () => unknown, bound: number, check: (e: SyncWorkerError) => boolean): void {
  const t = performance.now();
  assert.throws(fn, (e: unknown) => e instanceof SyncWorkerError && e instanceof ReqivoError && check(e));
  assert.ok(performance.now() - t < bound, `took ${performance.now() - t} ms`);
}

test('the worker exiting mid-request throws SyncWorkerError at once; the session is closed afterwards', () => {
  const s = session();
  assert.equal(s.get('/echo').status, 200);
  assertWorkerError(() => s.get('/__exit'), 3000, (e) => e.method === 'GET' && e.message.includes(`GET ${serverThread().url}/__exit`) && /exited/.test(e.message));
  assert.equal(s.closed, true);
  assertWorkerError(() => s.get('/echo'), 1000, (e) => /worker failed earlier/.test(e.message) && e.cause instanceof SyncWorkerError);
});

test('an uncaught error in the worker throws SyncWorkerError whose cause carries the fatal error', () => {
  const s = session();
  assertWorkerError(() => s.get('/__throw'), 3000, (e) => e.cause instanceof Error && /boom from the test worker/.test((e.cause as Error).message));
});

test('a hung worker (event loop blocked) is detected by its silent heartbeat', () => {
  const s = session(600);
  assertWorkerError(() => s.get('/__busy?ms=6000'), 4000, (e) => /stopped responding/.test(e.message));
});

test('a hung worker cannot outlast the total timeout: TimeoutError within total + margin', () => {
  const s = session();
  const t = performance.now();
  assert.throws(() => s.get('/__busy?ms=5000', { timeout: { total: 300 } }), (e: unknown) => e instanceof TimeoutError && e.timeoutMs === 300);
  assert.ok(performance.now() - t < 3000, `took ${performance.now() - t} ms`);
});

test('a request the caller gave up on (worker late) does not disturb the next one', () => {
  const s = session();
  const t = performance.now();
  assert.throws(
    () => s.get('/__busy?ms=2000', { timeout: { total: 100 } }),
    (e: unknown) => e instanceof TimeoutError && /no response from the reqivo\/sync worker/.test(e.message) && e.method === 'GET',
  );
  assert.ok(performance.now() - t < 2000, `took ${performance.now() - t} ms`);
  assert.equal(s.closed, false);
  assert.equal(s.get('/echo').json<{ url: string }>().url, '/echo');
});

test('blocking inside the reqivo/sync worker thread is refused with a clear error', () => {
  const key = Symbol.for('reqivo.sync.worker');
  const g = globalThis as Record<symbol, unknown>;
  g[key] = true;
  try {
    assert.throws(() => new SyncSession(), (e: unknown) => e instanceof ReqivoError && /inside its own worker/.test(e.message));
  } finally {
    delete g[key];
  }
});

test('a request given up on while still in the slot (worker busy) is taken back, never sent', () => {
  const s = session();
  assert.throws(() => s.get('/__busy?ms=3500', { timeout: { total: 100 } }), TimeoutError);
  assert.throws(() => s.get('/echo?late=1', { timeout: { total: 100 } }), TimeoutError);
  const seen = s.get('/seen').json<string[]>();
  assert.ok(!seen.includes('/echo?late=1'), JSON.stringify(seen));
  assert.equal(s.get('/echo?after=1').json<{ url: string }>().url, '/echo?after=1');
});
