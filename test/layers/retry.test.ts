import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { exponentialBackoff, isRetryableError, RetryPolicy, retryAfterMs } from '../../src/layers/retry.js';

import { StreamResponse } from '../../src/client/stream-response.js';
import { AbortError, ConnectTimeout, InvalidRequestError, NetworkError, ReadTimeout, TimeoutError, TlsError } from '../../src/errors.js';
import { Headers } from '../../src/http/headers.js';
import { httpServer, rawServer, type TestServer } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

/** Fast backoff so tests do not wait. */
const FAST = { baseMs: 1, maxMs: 5, jitter: 0 };

/** Answers `statuses[i]` to the i-th request (then 200), recording methods and arrival times. */
async function flaky(
  statuses: number[],
  extra: (i: number, res: http.ServerResponse) => void = () => {},
): Promise<TestServer & { times: number[]; methods: string[]; bodies: string[] }> {
  const times: number[] = [];
  const methods: string[] = [];
  const bodies: string[] = [];
  const srv = await httpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const i = times.length;
      times.push(performance.now());
      methods.push(req.method!);
      bodies.push(body);
      res.statusCode = statuses[i] ?? 200;
      extra(i, res);
      res.end(`attempt ${i + 1}`);
    });
  });
  cleanups.push(() => srv.close());
  return Object.assign(srv, { times, methods, bodies });
}

describe('retry policy (unit)', () => {
  test('defaults: limit 2, idempotent methods, 408 413 429 500 502 503 504', () => {
    const p = new RetryPolicy({});
    assert.equal(p.limit, 2);
    assert.deepEqual([...p.methods].sort(), ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PUT', 'TRACE']);
    assert.deepEqual([...p.statusCodes].sort(), [408, 413, 429, 500, 502, 503, 504]);
    assert.equal(p.allows('GET', true), true);
    assert.equal(p.allows('POST', true), false);
    assert.equal(p.allows('GET', false), false);
    assert.equal(new RetryPolicy({ methods: ['post'] }).allows('POST', true), true);
    assert.equal(new RetryPolicy({ limit: 0 }).allows('GET', true), false);
  });

  test('bad options are refused', () => {
    assert.throws(() => new RetryPolicy({ limit: -1 }), InvalidRequestError);
    assert.throws(() => new RetryPolicy({ limit: 1.5 }), InvalidRequestError);
    assert.throws(() => new RetryPolicy({ backoff: { jitter: 2 } }), InvalidRequestError);
    assert.throws(() => new RetryPolicy({ backoff: { factor: 0.5 } }), InvalidRequestError);
    assert.throws(() => new RetryPolicy(null as never), InvalidRequestError);
  });

  test('exponential backoff grows by factor, caps at maxMs, and jitter stays within ±jitter', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((a) => exponentialBackoff(a, 100, 1000, 2, 0)),
      [100, 200, 400, 800, 1000],
    );
    for (let i = 0; i < 200; i++) {
      const d = exponentialBackoff(3, 100, 10_000, 2, 0.25);
      assert.ok(d >= 300 && d <= 500, `${d}`);
    }
    const p = new RetryPolicy({ backoff: (a) => a * 10 });
    assert.equal(p.backoff(3), 30);
    assert.equal(new RetryPolicy({ backoff: () => Number.NaN }).backoff(1), 0);
  });

  test('Retry-After: delay-seconds and HTTP-date; garbage ignored', () => {
    const now = Date.parse('Sun, 06 Nov 1994 08:49:37 GMT');
    assert.equal(retryAfterMs('1', now), 1000);
    assert.equal(retryAfterMs(' 120 ', now), 120_000);
    assert.equal(retryAfterMs('Sun, 06 Nov 1994 08:49:40 GMT', now), 3000);
    assert.equal(retryAfterMs('Sunday, 06-Nov-94 08:49:39 GMT', now), 2000);
    assert.equal(retryAfterMs('Sun Nov  6 08:49:38 1994', now), 1000);
    assert.equal(retryAfterMs('Sun, 06 Nov 1994 08:49:40', now), null);
    assert.equal(retryAfterMs('2 days', now), null);
    assert.equal(retryAfterMs('Sun, 06 Nov 1994 08:49:00 GMT', now), 0);
    assert.equal(retryAfterMs('-1', now), null);
    assert.equal(retryAfterMs('1.5', now), null);
    assert.equal(retryAfterMs('soon', now), null);
    assert.equal(retryAfterMs(null, now), null);
  });

  test('delayForStatus honours Retry-After up to maxRetryAfter; delayForError only for network failures', () => {
    const p = new RetryPolicy({ backoff: FAST, maxRetryAfter: 5000 });
    assert.equal(p.delayForStatus(200, new Headers(), 1), -1);
    assert.equal(p.delayForStatus(503, new Headers([['retry-after', '2']]), 1), 2000);
    assert.equal(p.delayForStatus(503, new Headers([['retry-after', '60']]), 1), -1);
    assert.ok(p.delayForStatus(503, new Headers(), 1) <= 5);
    assert.ok(p.delayForError(new NetworkError('reset'), 1) >= 0);
    assert.ok(p.delayForError(new ConnectTimeout('slow'), 1) >= 0);
    assert.ok(p.delayForError(new ReadTimeout('slow'), 1) >= 0);
    assert.equal(p.delayForError(new TlsError('bad cert'), 1), -1);
    assert.equal(p.delayForError(new TimeoutError('total'), 1), -1);
    assert.equal(p.delayForError(new AbortError('aborted'), 1), -1);
    assert.equal(p.delayForError(new Error('hook'), 1), -1);
    assert.equal(new RetryPolicy({ onNetworkError: false }).delayForError(new NetworkError('x'), 1), -1);
    assert.equal(isRetryableError(new InvalidRequestError('x')), false);
  });
});

describe('retries (integration)', () => {
  test('retries are off by default, and with retry: false', async () => {
    const srv = await flaky([503, 503]);
    const res = await session().get(`${srv.url}/`);
    assert.equal(res.status, 503);
    assert.equal(srv.times.length, 1);
    assert.equal((await session({ retry: false }).get(`${srv.url}/`)).status, 503);
    assert.equal(srv.times.length, 2);
  });

  test('a GET is retried on 503 until it succeeds', async () => {
    const srv = await flaky([503, 502]);
    const res = await session({ retry: { limit: 2, backoff: FAST } }).get(`${srv.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.text(), 'attempt 3');
    assert.equal(srv.times.length, 3);
  });

  test('the last response is returned when the limit is reached', async () => {
    const srv = await flaky([500, 500, 500, 500]);
    const res = await session({ retry: { limit: 2, backoff: FAST } }).get(`${srv.url}/`);
    assert.equal(res.status, 500);
    assert.equal(res.text(), 'attempt 3');
    assert.equal(srv.times.length, 3);
  });

  test('Retry-After: 1 waits about a second', async () => {
    const srv = await flaky([503], (i, res) => {
      if (i === 0) res.setHeader('retry-after', '1');
    });
    const t0 = performance.now();
    const res = await session({ retry: { limit: 1, backoff: FAST } }).get(`${srv.url}/`);
    const elapsed = performance.now() - t0;
    assert.equal(res.status, 200);
    const gap = srv.times[1]! - srv.times[0]!;
    assert.ok(gap >= 900, `waited only ${gap} ms`);
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
  });

  test('Retry-After as an HTTP-date is honoured', async () => {
    let target = 0;
    const srv = await flaky([429], (i, res) => {
      if (i === 0) {
        // HTTP-dates have one-second precision: aim at the second after next.
        target = (Math.floor(Date.now() / 1000) + 2) * 1000;
        res.setHeader('retry-after', new Date(target).toUTCString());
      }
    });
    const res = await session({ retry: { limit: 1, backoff: FAST } }).get(`${srv.url}/`);
    assert.equal(res.status, 200);
    const waited = srv.times[1]! - srv.times[0]!;
    assert.ok(waited >= 900 && waited < 3500, `waited ${waited} ms`);
  });

  test('a Retry-After longer than maxRetryAfter gives up with the response', async () => {
    const srv = await flaky([503], (_i, res) => res.setHeader('retry-after', '3600'));
    const t0 = performance.now();
    const res = await session({ retry: { limit: 2 } }).get(`${srv.url}/`);
    assert.equal(res.status, 503);
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(srv.times.length, 1);
  });

  test('never past the total timeout: when the wait would pass it, the last response stands', async () => {
    const srv = await flaky([503, 503], (_i, res) => res.setHeader('retry-after', '2'));
    const t0 = performance.now();
    const res = await session({ retry: { limit: 3 } }).get(`${srv.url}/`, { timeout: { total: 1000 } });
    assert.equal(res.status, 503);
    assert.ok(performance.now() - t0 < 900, 'did not wait for a retry that could not finish in time');
    assert.equal(srv.times.length, 1);
  });

  test('a POST is not retried by default, and is when listed in methods', async () => {
    const srv = await flaky([503, 503]);
    const s = session({ retry: { limit: 2, backoff: FAST } });
    const res = await s.post(`${srv.url}/`, { json: { n: 1 } });
    assert.equal(res.status, 503);
    assert.equal(srv.times.length, 1);
    const res2 = await s.post(`${srv.url}/`, { json: { n: 2 }, retry: { limit: 2, methods: ['POST'], backoff: FAST } });
    assert.equal(res2.status, 200);
    assert.deepEqual(srv.bodies.slice(1), ['{"n":2}', '{"n":2}']);
  });

  test('per-request retry: false turns a session policy off; custom statusCodes', async () => {
    const srv = await flaky([503, 418, 418]);
    const s = session({ retry: { limit: 2, backoff: FAST } });
    assert.equal((await s.get(`${srv.url}/`, { retry: false })).status, 503);
    assert.equal((await s.get(`${srv.url}/`, { retry: { statusCodes: [418], backoff: FAST } })).status, 200);
    assert.equal(srv.times.length, 4);
  });

  test('network errors: a GET is retried on a fresh connection; a POST never is', async () => {
    let n = 0;
    const srv = await rawServer((socket) => {
      n++;
      if (n === 1 || n === 3) {
        socket.destroy();
        return;
      }
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
    cleanups.push(() => srv.close());
    const s = session({ retry: { limit: 2, backoff: FAST } });
    const res = await s.get(`${srv.url}/`);
    assert.equal(res.text(), 'ok');
    assert.equal(srv.requests.length, 2);
    await assert.rejects(s.post(`${srv.url}/`, { body: 'charge card' }), NetworkError);
    assert.equal(srv.requests.length, 3);
  });

  test('a one-shot stream body is not retried once it was sent', async () => {
    const srv = await flaky([503]);
    async function* gen(): AsyncGenerator<string> {
      yield 'once';
    }
    const res = await session({ retry: { limit: 2, methods: ['PUT'], backoff: FAST } }).put(`${srv.url}/`, { body: gen() });
    assert.equal(res.status, 503);
    assert.equal(srv.times.length, 1);
  });

  test('an abort during the wait ends the request promptly with AbortError', async () => {
    const srv = await flaky([503], (_i, res) => res.setHeader('retry-after', '10'));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = performance.now();
    await assert.rejects(session({ retry: { limit: 1, maxRetryAfter: 20_000 } }).get(`${srv.url}/`, { signal: ac.signal }), AbortError);
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(srv.times.length, 1);
  });

  test('stream(): retried responses are read whole and the final one is a StreamResponse', async () => {
    const srv = await flaky([503, 503, 503]);
    const s = session({ retry: { limit: 1, backoff: FAST } });
    const res = await s.stream('GET', `${srv.url}/`);
    assert.ok(res instanceof StreamResponse);
    assert.equal(res.status, 503);
    assert.equal(await res.text(), 'attempt 2');
    const ok = await session({ retry: { limit: 5, backoff: FAST } }).stream('GET', `${srv.url}/`);
    assert.ok(ok instanceof StreamResponse);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'attempt 4');
  });

  test('retries happen per hop of a redirect chain and count against one limit', async () => {
    const seen: string[] = [];
    const srv = await httpServer((req, res) => {
      seen.push(req.url!);
      if (req.url === '/a') {
        res.writeHead(302, { location: '/b' });
        res.end();
      } else if (seen.filter((u) => u === '/b').length < 3) {
        res.statusCode = 503;
        res.end();
      } else res.end('b');
    });
    cleanups.push(() => srv.close());
    const res = await session({ retry: { limit: 2, backoff: FAST } }).get(`${srv.url}/a`);
    assert.equal(res.text(), 'b');
    assert.deepEqual(seen, ['/a', '/b', '/b', '/b']);
    assert.deepEqual(res.redirects, [`${srv.url}/a`]);
  });
});
