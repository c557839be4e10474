/**
 * The channel between caller and worker at its edges: the head as text or
 * as JSON, responses around the size of one window, and requests that take
 * the shared slot or postMessage.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHead, decodeShort, encodeHead, encodeShort, plainJson, type RequestMessage, SpinBackoff, SPIN_BACKOFF_MAX, type WireHead } from '../../src/sync/protocol.js';
import { SyncSession } from '../../src/sync/index.js';
import { useServerThread } from './use-server.js';

const { server: serverThread, track } = useServerThread();

function session(windowBytes?: number): SyncSession {
  return track(new SyncSession({ baseUrl: serverThread().url, proxy: false }, windowBytes ? { windowBytes } : {}));
}

const head: WireHead = {
  status: 200,
  reason: 'OK',
  httpVersion: '1.1',
  url: 'http://127.0.0.1/x',
  method: 'GET',
  headers: ['content-type', 'text/plain', 'x-empty', '', 'x-latin1', 'caf\u00e9'],
  redirects: ['http://127.0.0.1/a', 'http://127.0.0.1/b'],
  length: 12,
};

test('the head as text: round trip, empty fields, latin1; NUL or a wide character means JSON instead', () => {
  assert.deepEqual(decodeHead(encodeHead(head)!), head);
  const bare = { ...head, reason: '', headers: [], redirects: [], length: -1 };
  assert.deepEqual(decodeHead(encodeHead(bare)!), bare);
  assert.equal(encodeHead({ ...head, reason: 'a\0b' }), null);
  assert.equal(encodeHead({ ...head, headers: ['x', '\u20ac'] }), null);
  assert.equal(decodeHead('200\0OK'), null);
  assert.equal(decodeHead(['200', 'OK', '1.1', 'u', 'GET', '0', '0', 'odd'].join('\0')), null);
});

test('a request without options crosses as id NUL method NUL url; any option, body or NUL means JSON', () => {
  const m: RequestMessage = { t: 'req', id: 42, method: 'GET', url: 'http://127.0.0.1/caf\u00e9?a=\u20ac', opts: {}, body: null, query: null, json: null, file: null };
  const text = encodeShort(m);
  assert.equal(text, '42\0GET\0http://127.0.0.1/caf\u00e9?a=\u20ac');
  assert.deepEqual(decodeShort(text!), m);
  assert.equal(encodeShort({ ...m, opts: { headers: [] } }), null);
  assert.equal(encodeShort({ ...m, body: 'x' }), null);
  assert.equal(encodeShort({ ...m, json: '1' }), null);
  assert.equal(encodeShort({ ...m, query: 'a=1' }), null);
  assert.equal(encodeShort({ ...m, file: '/f' }), null);
  assert.equal(encodeShort({ ...m, url: 'http://h/a\0b' }), null);
  assert.equal(encodeShort({ ...m, method: 'G\0T' }), null);
});

test('SpinBackoff: after N misses in a row it skips 1, 2, 4, … up to the cap; a hit ends that', () => {
  // Which of the next `n` waits spin, each spin missing unless it is in `hits` (indices of spinning waits).
  const run = (b: SpinBackoff, n: number, hits = new Set<number>()): string => {
    let out = '';
    for (let i = 0, spun = 0; i < n; i++) {
      if (!b.spins()) {
        out += '.';
      } else if (hits.has(spun++)) {
        b.hit();
        out += 'H';
      } else {
        b.miss();
        out += 's';
      }
    }
    return out;
  };
  // The worker's rule: back off at the first miss.
  assert.equal(run(new SpinBackoff(1), 15), 's.s..s....s....');
  // The caller's: 8 misses in a row first; a hit resets the count and the back-off.
  assert.equal(run(new SpinBackoff(8), 14), 'ssssssss.s..s.');
  assert.equal(run(new SpinBackoff(3), 12, new Set([3])), 'sss.Hsss.s..');
  const capped = new SpinBackoff(1);
  const long = run(capped, 1000);
  const gaps = long.split('s').slice(1, -1).map((g) => g.length);
  assert.equal(Math.max(...gaps), SPIN_BACKOFF_MAX);
  assert.deepEqual(gaps.slice(0, 7), [1, 2, 4, 8, 16, 32, 64]);
});

test('plainJson: only data that JSON carries unchanged', () => {
  assert.equal(plainJson({ a: [1, 'x', true, null, { b: 2.5 }] }), true);
  const holey: unknown[] = [1];
  holey[2] = 3;
  for (const v of [{ a: undefined }, holey, Number.NaN, Number.POSITIVE_INFINITY, -0, new Date(0), new Uint8Array(1), 1n, () => 1, new Map()]) {
    assert.equal(plainJson(v), false, String(v));
  }
});

test('responses around one window: 0 bytes, every size up to the window filling exactly, and past it', () => {
  const w = 4096;
  const s = session(w);
  for (const chunked of ['', '&chunked=1']) {
    const sizes = [0, 1];
    for (let n = w - 320; n <= w + 16; n++) sizes.push(n);
    for (const n of sizes) {
      const res = s.get(`/big?n=${n}${chunked}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.byteLength, n, `n=${n}${chunked}`);
      for (let i = 0; i < n; i += 61) assert.equal(res.body[i], i % 251, `n=${n}${chunked} byte ${i}`);
      if (n > 0) assert.equal(res.body[n - 1], (n - 1) % 251);
    }
  }
});

test('a head larger than the window crosses as JSON in parts', () => {
  const s = session(4096);
  const res = s.get('/big-head?n=10000');
  assert.equal(res.headers.get('x-big'), 'h'.repeat(10000));
  assert.equal(res.text(), 'ok');
  assert.equal(s.get('/echo').status, 200);
});

test('requests that cannot use the slot go by postMessage: too big, an undefined option, bytes', () => {
  const s = session();
  const big = 'v'.repeat(20_000);
  const echo = (r: ReturnType<SyncSession['get']>): { headers: Record<string, string>; body: string } => r.json();
  assert.equal(echo(s.post('/echo', { body: big, headers: { 'x-h': 'h'.repeat(4000) } })).body, big);
  assert.equal(echo(s.get('/echo', { headers: { 'x-a': '1' }, timeout: undefined })).headers['x-a'], '1');
  assert.equal(echo(s.post('/echo', { body: new TextEncoder().encode('bytes') })).body, 'bytes');
  assert.equal(echo(s.post('/echo', { body: 'caf\u00e9 \u20ac' })).body, 'caf\u00e9 \u20ac');
});

test('calls back to back and calls with pauses between them all get their own answers', () => {
  const s = session();
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 40; i++) {
    // Pauses shorter and longer than the worker's wait for the next call, and none.
    if (i % 8 === 0) Atomics.wait(pause, 0, 0, 5);
    else if (i % 8 === 4) Atomics.wait(pause, 0, 0, 0.15);
    assert.equal(s.get(`/echo?i=${i}`).json<{ url: string }>().url, `/echo?i=${i}`);
    assert.equal(s.get(`/echo?j=${i}`, { headers: { 'x-i': String(i) } }).json<{ headers: Record<string, string> }>().headers['x-i'], String(i));
  }
});
