/**
 * SyncSession against real servers on their own threads: every method, every
 * body type, persistence across calls (connection, cookies, TLS session),
 * large responses through a small window, limits, and reqivo's errors thrown
 * synchronously with their classes, causes and request names.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, afterEach, before, test } from 'node:test';
import {
  ConnectTimeout,
  HttpStatusError,
  InvalidRequestError,
  InvalidResponseError,
  LimitExceededError,
  NetworkError,
  ProtocolError,
  ReadTimeout,
  ReqivoError,
  Response,
  TimeoutError,
  TlsError,
  TooManyRedirects,
} from '../../src/index.js';
import { SyncSession, type SyncSessionOptions, SyncWorkerError } from '../../src/sync/index.js';
import type { SyncInternals } from '../../src/sync/session.js';
import { certs } from '../helpers/certs.js';
import { type ServerThread, startServerThread } from './server-thread.js';

let server: ServerThread;
let tlsServer: ServerThread;
const open: SyncSession[] = [];

before(async () => {
  const c = certs();
  [server, tlsServer] = await Promise.all([startServerThread(), startServerThread({ key: c.serverKey, cert: c.serverCert })]);
});
after(async () => {
  await Promise.all([server.close(), tlsServer.close()]);
});
afterEach(() => {
  while (open.length > 0) open.pop()!.close();
});

function session(opts: SyncSessionOptions = {}, internal?: SyncInternals): SyncSession {
  const s = new SyncSession({ baseUrl: server.url, proxy: false, ...opts }, internal);
  open.push(s);
  return s;
}

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  bodyLength: number;
  conn: number;
  tlsReused: boolean | null;
}

test('every method returns a reqivo Response, on one kept-alive connection', () => {
  const s = session();
  const conns = new Set<number>();
  for (const m of ['get', 'head', 'options', 'delete', 'post', 'put', 'patch'] as const) {
    const res = s[m]('/echo?x=1');
    assert.ok(res instanceof Response);
    assert.equal(res.status, 200);
    assert.equal(res.ok, true);
    assert.equal(res.reason, 'OK');
    assert.equal(res.httpVersion, '1.1');
    assert.equal(res.url, `${server.url}/echo?x=1`);
    assert.equal(res.headers.get('content-type'), 'application/json');
    if (m === 'head') {
      assert.equal(res.body.byteLength, 0);
      continue;
    }
    const echo = res.json<Echo>();
    assert.equal(echo.method, m.toUpperCase());
    conns.add(echo.conn);
  }
  const custom = s.request('PROPFIND', '/echo').json<Echo>();
  assert.equal(custom.method, 'PROPFIND');
  conns.add(custom.conn);
  assert.equal(conns.size, 1, 'connections persist across calls');
});

test('text(), json(), raiseForStatus() and redirects behave as on reqivo Response', () => {
  const s = session();
  const res = s.get('/redirect');
  assert.equal(res.url, `${server.url}/echo?from=redirect`);
  assert.deepEqual(res.redirects, [`${server.url}/redirect`]);
  assert.equal(res.json<Echo>().url, '/echo?from=redirect');
  assert.equal(s.get('/gzip').text(), 'hello, gzip');
  const nf = s.get('/status/404');
  assert.equal(nf.ok, false);
  assert.throws(
    () => nf.raiseForStatus(),
    (e: unknown) => e instanceof HttpStatusError && e.status === 404 && e.message.includes(`GET ${server.url}/status/404`),
  );
  assert.throws(() => s.get('/redirect', { maxRedirects: 0 }), TooManyRedirects);
});

test('cookies persist across calls', () => {
  const s = session();
  s.get('/set-cookie');
  assert.equal(s.get('/echo').json<Echo>().headers.cookie, 'sid=abc');
  const other = session({ cookies: false });
  other.get('/set-cookie');
  assert.equal(other.get('/echo').json<Echo>().headers.cookie, undefined);
});

test('session and request options reach the worker: headers, query, timeout, followRedirects', () => {
  const s = session({ headers: { 'x-default': 'd' } });
  const echo = s.get('/echo', { headers: new Map([['x-req', 'r']]), query: new URLSearchParams({ a: '1', b: '2' }) }).json<Echo>();
  assert.equal(echo.headers['x-default'], 'd');
  assert.equal(echo.headers['x-req'], 'r');
  assert.equal(echo.url, '/echo?a=1&b=2');
  assert.equal(s.get('/echo', { query: { q: ['x', 'y'] } }).json<Echo>().url, '/echo?q=x&q=y');
  assert.equal(s.get('/redirect', { followRedirects: false }).status, 302);
  // retry: false at session level is "off", as for a Session (it used to be refused there).
  assert.equal(session({ retry: false }).get('/status/503').status, 503);
});

test('bodies: string, bytes, ArrayBuffer, URLSearchParams, json, form, FormData, Blob, a sync iterable, a file', () => {
  const s = session();
  const post = (opts: Parameters<SyncSession['post']>[1]): Echo => s.post('/echo', opts).json<Echo>();
  let e = post({ body: 'héllo' });
  assert.equal(e.body, 'héllo');
  assert.equal(e.headers['content-type'], 'text/plain;charset=UTF-8');
  const bytes = Buffer.from('0123456789');
  e = post({ body: bytes.subarray(2, 5) });
  assert.equal(e.body, '234');
  assert.equal(bytes.toString(), '0123456789', "the caller's buffer is neither detached nor changed");
  assert.equal(post({ body: new TextEncoder().encode('ab').buffer }).body, 'ab');
  e = post({ body: new URLSearchParams({ k: 'v w' }) });
  assert.equal(e.body, 'k=v+w');
  assert.equal(e.headers['content-type'], 'application/x-www-form-urlencoded;charset=UTF-8');
  e = post({ json: { a: [1, 2], d: new Date(0) } });
  assert.deepEqual(JSON.parse(e.body), { a: [1, 2], d: '1970-01-01T00:00:00.000Z' });
  assert.equal(e.headers['content-type'], 'application/json');
  e = post({ form: { a: '1', b: ['2', '3'] } });
  assert.equal(e.body, 'a=1&b=2&b=3');
  const fd = new FormData();
  fd.append('field', 'value');
  fd.append('upload', new Blob(['file-bytes'], { type: 'text/plain' }), 'f.txt');
  e = post({ body: fd });
  assert.match(e.headers['content-type']!, /^multipart\/form-data; boundary=/);
  assert.match(e.body, /name="field"\r\n\r\nvalue\r\n/);
  assert.match(e.body, /name="upload"; filename="f.txt"\r\nContent-Type: text\/plain\r\n\r\nfile-bytes\r\n/);
  assert.equal(post({ body: new Blob(['blob!']) }).body, 'blob!');
  function* gen(): Generator<string | Uint8Array> {
    yield 'a';
    yield Buffer.from('b');
  }
  e = post({ body: gen() });
  assert.equal(e.body, 'ab');
  assert.equal(e.headers['transfer-encoding'], 'chunked');

  const dir = mkdtempSync(join(tmpdir(), 'reqivo-sync-'));
  try {
    const file = join(dir, 'up.bin');
    writeFileSync(file, Buffer.alloc(300_000, 7));
    e = s.put('/echo', { file }).json<Echo>();
    assert.equal(e.bodyLength, 300_000);
    assert.equal(e.headers['content-length'], '300000');
    assert.equal(s.put('/echo', { file: pathToFileURL(file) }).json<Echo>().bodyLength, 300_000);
    assert.throws(
      () => s.put('/echo', { file: join(dir, 'missing') }),
      (err: unknown) => err instanceof InvalidRequestError && /ENOENT/.test(String((err.cause as Error).message)),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bodies that cannot cross threads are refused before anything is sent', () => {
  const s = session();
  async function* agen(): AsyncGenerator<string> {
    yield 'x';
  }
  assert.throws(() => s.post('/echo', { body: agen() as never }), (e: unknown) => e instanceof InvalidRequestError && e.message.startsWith(`POST ${server.url}/echo: `));
  assert.throws(() => s.post('/echo', { body: 'a', file: '/etc/hostname' }), InvalidRequestError);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => s.post('/echo', { json: cyclic }), InvalidRequestError);
  assert.throws(() => s.get('/echo', { headers: { 'x-bad': 'a\r\nb' } }), InvalidRequestError);
  assert.throws(() => new SyncSession({ timeout: -1 }), InvalidRequestError);
  assert.throws(() => new SyncSession({ tls: { checkServerIdentity: () => undefined } as never }), InvalidRequestError);
  assert.equal(s.get('/echo').status, 200, 'the session still works');
});

test('a response larger than the shared window crosses in parts, with and without Content-Length', () => {
  const s = session({}, { windowBytes: 64 * 1024 });
  for (const q of ['n=3000000', 'n=3000000&chunked=1']) {
    const res = s.get(`/big?${q}`);
    assert.equal(res.body.byteLength, 3_000_000);
    for (let i = 0; i < res.body.byteLength; i += 997) assert.equal(res.body[i], i % 251, `byte ${i}`);
  }
  assert.equal(s.get('/echo').status, 200);
});

test('maxBodyBytes is honoured in the worker: LimitExceededError', () => {
  const s = session({ limits: { maxBodyBytes: 1000 } });
  assert.throws(() => s.get('/big?n=5000&chunked=1'), (e: unknown) => e instanceof LimitExceededError && e.limit === 'maxBodyBytes');
  assert.equal(s.get('/big?n=1000').body.byteLength, 1000);
  assert.throws(() => s.get('/big?n=2000', { limits: { maxBodyBytes: 1500 } }), LimitExceededError);
});

test('network errors keep their class, cause and the request name', () => {
  const s = session();
  assert.throws(
    () => s.get('http://127.0.0.1:1/nothing'),
    (e: unknown) =>
      e instanceof NetworkError &&
      e instanceof ReqivoError &&
      e.name === 'NetworkError' &&
      e.method === 'GET' &&
      e.url === 'http://127.0.0.1:1/nothing' &&
      e.message.startsWith('GET http://127.0.0.1:1/nothing: ') &&
      e.cause instanceof Error &&
      (e.cause as NodeJS.ErrnoException).code === 'ECONNREFUSED' &&
      (e.stack ?? '').includes('session.test'),
  );
  assert.throws(() => s.get('/reset'), NetworkError);
  assert.throws(() => s.get(`http://127.0.0.1:${server.garbagePort}/`), (e: unknown) => e instanceof InvalidResponseError && e instanceof ProtocolError);
});

test('timeouts: read, connect and the total deadline, each within its bound', () => {
  const s = session();
  let t = performance.now();
  assert.throws(() => s.get('/slow?ms=5000', { timeout: { read: 300 } }), (e: unknown) => e instanceof ReadTimeout && e.timeoutMs === 300);
  assert.ok(performance.now() - t < 3000);
  t = performance.now();
  // The body trickles forever: only the total deadline can end it.
  assert.throws(() => s.get('/drip?ms=50', { timeout: { read: 2000, total: 400 } }), TimeoutError);
  assert.ok(performance.now() - t < 3000);
  t = performance.now();
  // A TLS handshake with a peer that never answers: the connect phase times out.
  assert.throws(() => s.get(`https://127.0.0.1:${server.silentPort}/`, { timeout: { connect: 300 } }), (e: unknown) => e instanceof ConnectTimeout && e.timeoutMs === 300);
  assert.ok(performance.now() - t < 3000);
  assert.equal(s.get('/echo').status, 200, 'the session is usable after a timeout');
});

test('waiting on a slow server, the caller stops spinning: 40 calls of 15 ms cost its thread little more CPU than with no spin', { skip: availableParallelism() < 2 || !existsSync(`/proc/self/task/${process.pid}/schedstat`) }, () => {
  // CPU time of this (the calling) thread alone, in ms: the worker and the server threads are not in it.
  const cpuMs = (): number => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ')[0]) / 1e6;
  const used = (s: SyncSession): number => {
    assert.equal(s.get('/echo').status, 200);
    const before = cpuMs();
    for (let i = 0; i < 40; i++) assert.equal(s.get('/slow?ms=15').text(), 'late');
    return cpuMs() - before;
  };
  const still = used(session({}, { callerSpinUs: 0 }));
  const spinning = used(session());
  // A 1 ms spin on every call would add 40 ms; backing off after 8 misses in a row adds ~10 ms.
  assert.ok(spinning - still < 25, `the calling thread used ${spinning.toFixed(1)} ms of CPU, ${still.toFixed(1)} ms without a spin`);
});

test('the default total deadline is kept by the caller: TimeoutError at that bound, the request cancelled, the session usable', () => {
  const s = session({}, { defaultTotalMs: 400 });
  let t = performance.now();
  assert.throws(
    () => s.get('/drip?ms=50', { timeout: { read: 2000 } }),
    (e: unknown) => e instanceof TimeoutError && e.timeoutMs === 400 && /no response from the reqivo\/sync worker/.test(e.message),
  );
  const took = performance.now() - t;
  assert.ok(took >= 390 && took < 2000, `took ${took} ms`);
  assert.equal(s.get('/echo').status, 200);
  // A total the options set is the worker's Session's own: its error, not the caller's.
  t = performance.now();
  assert.throws(
    () => s.get('/drip?ms=50', { timeout: { read: 2000, total: 300 } }),
    (e: unknown) => e instanceof TimeoutError && e.timeoutMs === 300 && !/reqivo\/sync worker/.test(e.message),
  );
  assert.ok(performance.now() - t < 2000);
  const own = session({ timeout: { total: 300 } }, { defaultTotalMs: 60_000 });
  assert.throws(() => own.get('/drip?ms=50'), (e: unknown) => e instanceof TimeoutError && e.timeoutMs === 300 && !/reqivo\/sync worker/.test(e.message));
});

test('https: the connection and TLS session persist across calls', () => {
  const c = certs();
  const s = session({ baseUrl: tlsServer.url, tls: { ca: c.caCert } });
  const a = s.get('/echo').json<Echo>();
  const b = s.get('/echo', { headers: { connection: 'close' } }).json<Echo>();
  assert.equal(a.conn, b.conn);
  const c2 = s.get('/echo').json<Echo>();
  assert.notEqual(c2.conn, a.conn);
  assert.equal(c2.tlsReused, true, 'the new connection resumed the TLS session');
  const bad = session({ baseUrl: tlsServer.url });
  assert.throws(() => bad.get('/echo'), TlsError);
});

test('a call after close() throws a ReqivoError, also once the worker has exited; close() is idempotent', async () => {
  const s = new SyncSession({ baseUrl: server.url, proxy: false });
  assert.equal(s.get('/echo').status, 200);
  s.close();
  s.close();
  assert.equal(s.closed, true);
  const closed = (e: unknown): boolean => e instanceof ReqivoError && !(e instanceof SyncWorkerError) && /the session is closed/.test(e.message);
  assert.throws(() => s.get('/echo'), closed);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.throws(() => s.get('/echo'), closed);
});
