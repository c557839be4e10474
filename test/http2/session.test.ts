import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { H2Origin } from '../../src/http2/origin.js';
import { Session } from '../../src/client/session.js';
import { AbortError, LimitExceededError, NetworkError, ReadTimeout, ReqivoError } from '../../src/errors.js';
import { certs } from '../helpers/certs.js';
import { useSessions } from '../helpers/sessions.js';
import { type H2TestServer, h2cServer, h2Server } from '../helpers/h2-servers.js';
import { httpsServer, sleep, type TestServer, waitFor } from '../helpers/servers.js';
import { dataFrame, goawayFrame, rawH2Server, responseHead } from '../helpers/h2-raw.js';

const { cleanups, session: newSession } = useSessions();

function session(opts: ConstructorParameters<typeof Session>[0] = {}): Session {
  return newSession({ tls: { ca: certs().caCert }, ...opts });
}

async function server(handler: Parameters<typeof h2Server>[0], options?: http2.SecureServerOptions): Promise<H2TestServer> {
  const srv = await h2Server(handler, options);
  cleanups.push(() => srv.close());
  return srv;
}

function h2OriginOf(s: Session): H2Origin {
  for (const op of s._pool.origins()) if (op.multiplexed instanceof H2Origin) return op.multiplexed;
  throw new Error('no HTTP/2 origin');
}

describe('HTTP/2 over TLS (ALPN)', () => {
  test('negotiates h2, reports httpVersion 2, strips pseudo-headers, keeps multi-valued fields', async () => {
    const srv = await server((req, res) => {
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
      res.setHeader('x-path', req.url);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, authority: req.headers[':authority'], ua: req.headers['user-agent'] }));
    });
    const s = session();
    const res = await s.get(`${srv.url}/hello?x=1`, { headers: { connection: 'keep-alive', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', upgrade: 'h2c' } });
    assert.equal(res.status, 200);
    assert.equal(res.httpVersion, '2');
    assert.equal(res.reason, '');
    assert.equal(res.headers.get('x-path'), '/hello?x=1');
    assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
    for (const [name] of res.headers) assert.ok(!name.startsWith(':'), `pseudo-header ${name} leaked`);
    const body = res.json() as { method: string; authority: string; ua: string };
    assert.equal(body.method, 'GET');
    assert.equal(body.authority, `127.0.0.1:${srv.port}`);
    assert.match(body.ua, /^reqivo\//);
    assert.equal(srv.sessions, 1);
    assert.equal(srv.http1Requests, 0);
  });

  test('fields named like Object.prototype properties reach the server', async () => {
    const srv = await server((req, res) => res.end(JSON.stringify([req.headers.constructor, Object.getOwnPropertyDescriptor(req.headers, '__proto__')?.value])));
    const headers = new Headers();
    headers.append('constructor', 'c');
    headers.append('__proto__', 'p');
    const res = await session().get(`${srv.url}/`, { headers });
    assert.deepEqual(res.json(), ['c', 'p']);
  });

  test('50 concurrent GETs share exactly one session', async () => {
    let active = 0;
    let peak = 0;
    const srv = await server((req, res) => {
      active++;
      peak = Math.max(peak, active);
      setTimeout(() => {
        active--;
        res.end(`item ${req.url}`);
      }, 20);
    });
    const s = session();
    const all = await Promise.all(Array.from({ length: 50 }, (_, i) => s.get(`${srv.url}/item/${i}`)));
    all.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.httpVersion, '2');
      assert.equal(r.text(), `item /item/${i}`);
    });
    assert.equal(srv.sessions, 1);
    assert.equal(srv.streams, 50);
    assert.ok(peak > 1, `requests were multiplexed (peak ${peak})`);
    // A later request reuses the same session.
    await s.get(`${srv.url}/again`);
    assert.equal(srv.sessions, 1);
  });

  test('respects the server maxConcurrentStreams (2): never more active, all succeed', async () => {
    let active = 0;
    let peak = 0;
    const srv = await server(
      (req, res) => {
        active++;
        peak = Math.max(peak, active);
        req.stream.once('close', () => active--);
        setTimeout(() => res.end(req.url), 10);
      },
      { settings: { maxConcurrentStreams: 2 } },
    );
    const s = session();
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => s.get(`${srv.url}/n/${i}`)));
    all.forEach((r, i) => {
      assert.equal(r.text(), `/n/${i}`);
    });
    assert.ok(peak <= 2, `peak ${peak} exceeds 2`);
    assert.equal(peak, 2);
    assert.equal(srv.streams, 12, 'no stream was refused and retried');
    assert.equal(srv.sessions, 1);
  });

  test('GOAWAY mid-flight: unprocessed streams are retried on a new session, all succeed', async () => {
    const served: string[] = [];
    let first: http2.Http2Session | null = null;
    let lastProcessed = 0;
    const srv = await server((req, res) => {
      const sess = req.stream.session!;
      if (first === null) first = sess;
      if (sess === first) {
        const id = req.stream.id!;
        if (lastProcessed !== 0 && id > lastProcessed) return; // announced as not processed
        if (served.length === 4) {
          lastProcessed = id;
          sess.goaway(http2.constants.NGHTTP2_NO_ERROR, id);
        }
      }
      served.push(req.url);
      setTimeout(() => res.end(`ok ${req.url}`), 5);
    });
    const s = session();
    // Let the first session learn the server's settings so many streams go out at once.
    await s.get(`${srv.url}/warm`);
    const n = 20;
    const all = await Promise.all(Array.from({ length: n }, (_, i) => s.get(`${srv.url}/g/${i}`)));
    all.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.text(), `ok /g/${i}`);
    });
    assert.equal(srv.sessions, 2, 'a second session took the retried streams');
    assert.ok(lastProcessed > 0, 'the server sent GOAWAY');
    assert.equal(new Set(served).size, n + 1, 'every request was processed exactly once');
    assert.equal(served.length, n + 1);
  });

  for (const secure of [true, false]) {
    for (const refuse of [false, true]) {
      const what = refuse ? 'the new connection is closed before any byte: stream 3 rejects' : 'stream 3 is answered on a new connection';
      test(`GOAWAY(last 1) and stream 1's whole response in one write while stream 3 is in flight (${secure ? 'TLS' : 'h2c'}): 1 is answered, ${what}`, async () => {
        let held = false;
        const srv = await rawH2Server(
          (c, id) => {
            if (c === srv.conns[0]) {
              // Hold stream 1 until stream 3 is open too, then answer 1 and announce that 3 was not processed.
              if (id === 3) void c.write(goawayFrame(1, 0), responseHead(1, 200, [['content-length', '3']]), dataFrame(1, 'one', true));
              else held = true;
            } else void c.write(responseHead(id, 200), dataFrame(id, `again ${id}`, true));
          },
          { tls: secure, refuse: (i) => refuse && i > 0 },
        );
        cleanups.push(() => srv.close());
        const s = secure ? session() : newSession({ http2: 'prior-knowledge' });
        const settle = (p: Promise<string>): Promise<{ ok: string } | { err: unknown }> =>
          p.then(
            (ok) => ({ ok }),
            (err: unknown) => ({ err }),
          );
        const p1 = settle(s.get(`${srv.url}/1`).then((r) => r.text()));
        const p3 = settle(s.get(`${srv.url}/3`).then((r) => r.text()));
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('a request never settled')), 5000);
        });
        try {
          const [a, b] = await Promise.race([Promise.all([p1, p3]), bound]);
          assert.ok(held, 'stream 1 was opened first');
          assert.deepEqual(a, { ok: 'one' });
          if (refuse) {
            assert.ok('err' in b && b.err instanceof NetworkError, `stream 3 fails with a NetworkError: ${JSON.stringify(b)}`);
            assert.equal(srv.connections, 2, 'one reconnect, no retry loop');
          } else assert.deepEqual(b, { ok: 'again 1' });
        } finally {
          clearTimeout(timer);
        }
        assert.equal(srv.conns[0]!.frames.filter((f) => f.type === 1).length, 2, 'both streams went out on the first connection');
      });
    }
  }

  test('GOAWAY and REFUSED_STREAM retry a POST the server never processed (body replayed)', async () => {
    let goneAway = false;
    let refused = false;
    const bodies: string[] = [];
    const srv = await server((req, res) => {
      const sess = req.stream.session!;
      if (req.url === '/goaway' && !goneAway) {
        goneAway = true;
        // Only stream 1 (the warm-up) was processed on this session; this POST was not.
        sess.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
        return;
      }
      if (req.url === '/refuse' && !refused) {
        refused = true;
        req.stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      let b = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (b += c));
      req.on('end', () => {
        bodies.push(b);
        res.end(`got ${b}`);
      });
    });
    const s = session();
    await s.get(`${srv.url}/warm`);
    const res = await s.post(`${srv.url}/goaway`, { json: { a: 1 } });
    assert.equal(res.text(), 'got {"a":1}');
    assert.equal(srv.sessions, 2);
    async function* once(): AsyncGenerator<string> {
      yield 'one-';
      yield 'shot';
    }
    // A one-shot stream body that was never sent (refused before DATA was read) is fine too; bytes are always fine.
    const res2 = await s.post(`${srv.url}/refuse`, { body: Buffer.from('bytes') });
    assert.equal(res2.text(), 'got bytes');
    const res3 = await s.post(`${srv.url}/stream`, { body: once() });
    assert.equal(res3.text(), 'got one-shot');
    assert.deepEqual(bodies, ['', '{"a":1}', 'bytes', 'one-shot']);
  });

  test('a session that dies with streams in flight: idempotent requests on a reused session are retried, a POST is not', async () => {
    let crashes = 0;
    const srv = await server((req, res) => {
      if (req.url!.startsWith('/crash') && crashes++ === 0) {
        // Processed streams die with the session (the last stream id covers them).
        setTimeout(() => req.stream.session?.destroy(), 5);
        return;
      }
      setTimeout(() => res.end(`ok ${req.url}`), 20);
    });
    const s = session();
    await s.get(`${srv.url}/warm`);
    const [a, b] = await Promise.all([s.get(`${srv.url}/crash`), s.get(`${srv.url}/slow`)]);
    assert.equal(a.text(), 'ok /crash');
    assert.equal(b.text(), 'ok /slow');
    assert.equal(srv.sessions, 2);
    crashes = 0;
    await assert.rejects(s.post(`${srv.url}/crash-post`, { body: 'x' }), (e: unknown) => e instanceof NetworkError);
  });

  test('POST body streamed with flow control (5 MiB async iterable)', async () => {
    const srv = await server((req, res) => {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        h.update(c);
        n += c.length;
      });
      req.on('end', () => res.end(JSON.stringify({ n, sha: h.digest('hex'), cl: req.headers['content-length'] ?? null })));
    });
    const chunk = Buffer.alloc(64 * 1024, 7);
    const expected = createHash('sha256');
    for (let i = 0; i < 80; i++) expected.update(chunk);
    async function* gen(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 80; i++) {
        if (i % 16 === 0) await sleep(1);
        yield chunk;
      }
    }
    const s = session();
    const res = await s.post(`${srv.url}/upload`, { body: gen() });
    assert.equal(res.httpVersion, '2');
    assert.deepEqual(res.json(), { n: 80 * chunk.length, sha: expected.digest('hex'), cl: null });
    // A body of known length sends content-length.
    const res2 = await s.put(`${srv.url}/upload`, { body: Buffer.from('hello') });
    assert.equal((res2.json() as { cl: string }).cl, '5');
  });

  test('StreamResponse over HTTP/2: head first, body as it arrives', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('line 1\n');
      setTimeout(() => {
        res.write('line 2\n');
        setTimeout(() => res.end('line 3\n'), 10);
      }, 10);
    });
    const s = session();
    const r = await s.stream('GET', `${srv.url}/lines`);
    assert.equal(r.httpVersion, '2');
    assert.equal(r.status, 200);
    assert.equal(r.complete, false);
    const lines: string[] = [];
    for await (const line of r.lines()) lines.push(line);
    assert.deepEqual(lines, ['line 1', 'line 2', 'line 3']);
  });

  test('a large streamed response is paused and resumed by the reader', async () => {
    const total = 4 * 1024 * 1024;
    const srv = await server((_req, res) => {
      res.end(Buffer.alloc(total, 1));
    });
    const s = session();
    const r = await s.stream('GET', `${srv.url}/big`);
    let n = 0;
    for await (const c of r) {
      n += c.length;
      if (n < 1024 * 1024) await sleep(0);
    }
    assert.equal(n, total);
  });

  test('closing a StreamResponse early cancels only its stream; the session carries on', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/endless') {
        const t = setInterval(() => res.write(Buffer.alloc(1024)), 5);
        req.stream.on('close', () => clearInterval(t));
        return;
      }
      res.end('fine');
    });
    const s = session();
    const r = await s.stream('GET', `${srv.url}/endless`);
    for await (const _ of r) break;
    const ok = await s.get(`${srv.url}/after`);
    assert.equal(ok.text(), 'fine');
    assert.equal(srv.sessions, 1);
  });

  test('abort and read timeout end one stream with AbortError / ReadTimeout; others succeed', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/hang') return;
      res.end('ok');
    });
    const s = session();
    await s.get(`${srv.url}/warm`);
    const ac = new AbortController();
    const p = s.get(`${srv.url}/hang`, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 30);
    await assert.rejects(p, (e: unknown) => e instanceof AbortError && /GET https:\/\/127\.0\.0\.1:\d+\/hang/.test(e.message));
    await assert.rejects(s.get(`${srv.url}/hang`, { timeout: { read: 80 } }), (e: unknown) => e instanceof ReadTimeout);
    await assert.rejects(s.get(`${srv.url}/hang`, { timeout: { total: 80 } }), (e: unknown) => (e as Error).name === 'TimeoutError');
    assert.equal((await s.get(`${srv.url}/ok`)).text(), 'ok');
    assert.equal(srv.sessions, 1);
  });

  test('content decoding works over HTTP/2 (gzip)', async () => {
    const text = 'squeeze me '.repeat(1000);
    const srv = await server((req, res) => {
      res.setHeader('content-encoding', 'gzip');
      res.setHeader('x-accept-encoding', String(req.headers['accept-encoding'] ?? ''));
      res.end(gzipSync(text));
    });
    const s = session();
    const r = await s.get(`${srv.url}/gz`);
    assert.equal(r.httpVersion, '2');
    assert.match(r.headers.get('x-accept-encoding') ?? '', /gzip/);
    assert.equal(r.text(), text);
    const st = await s.stream('GET', `${srv.url}/gz`);
    assert.equal(await st.text(), text);
  });

  test('limits apply to HTTP/2 responses', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/many') for (let i = 0; i < 20; i++) res.setHeader(`x-h${i}`, 'v');
      res.end(Buffer.alloc(1000));
    });
    const s = session();
    await assert.rejects(s.get(`${srv.url}/many`, { limits: { maxHeaderCount: 10 } }), (e: unknown) => e instanceof LimitExceededError && e.limit === 'maxHeaderCount');
    await assert.rejects(s.get(`${srv.url}/body`, { limits: { maxBodyBytes: 100 } }), (e: unknown) => e instanceof LimitExceededError && e.limit === 'maxBodyBytes');
  });

  test('server stream reset maps to NetworkError naming the code', async () => {
    const srv = await server((req) => {
      req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
    const s = session();
    await assert.rejects(s.post(`${srv.url}/x`, { body: 'a' }), (e: unknown) => e instanceof NetworkError && /INTERNAL_ERROR/.test(e.message));
  });

  test('idle session closes after pool.maxIdleMs; the next request opens a new one', async () => {
    const srv = await server((_req, res) => res.end('ok'));
    const s = session({ pool: { maxIdleMs: 100 } });
    await s.get(`${srv.url}/a`);
    assert.equal(srv.sessions, 1);
    await waitFor(() => srv.live.size === 0, 3000, 'idle session close');
    await s.get(`${srv.url}/b`);
    assert.equal(srv.sessions, 2);
  });

  test('an idle HTTP/2 session never keeps the process alive', async () => {
    const srv = await server((_req, res) => res.end('ok'));
    const sessionJs = new URL('../../src/client/session.js', import.meta.url).href;
    const script = `
      import { Session } from ${JSON.stringify(sessionJs)};
      const s = new Session({ tls: { ca: process.env.CA }, proxy: false, pool: { maxIdleMs: 60000 } });
      const r = await s.get(process.env.URL);
      console.log(r.httpVersion, r.text());
    `;
    const started = Date.now();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, CA: certs().caCert, URL: `${srv.url}/x` },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d));
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error('the child process was kept alive by an idle session'));
      }, 10_000);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(text.trim());
      });
    });
    assert.equal(out, '2 ok');
    assert.ok(Date.now() - started < 10_000);
  });

  test('session.close() closes the HTTP/2 session', async () => {
    const srv = await server((_req, res) => res.end('ok'));
    const s = session();
    await s.get(`${srv.url}/a`);
    const origin = h2OriginOf(s);
    assert.equal(origin.sessions, 1);
    await s.close();
    await waitFor(() => srv.live.size === 0, 3000, 'server session closed');
  });

  test("http2: false uses HTTP/1.1 against the same server", async () => {
    const srv = await server((_req, res) => res.end('ok'));
    const s = session({ http2: false });
    const r = await s.get(`${srv.url}/a`);
    assert.equal(r.httpVersion, '1.1');
    assert.equal(srv.http1Requests, 1);
    assert.equal(srv.sessions, 0);
  });
});

describe('HTTP/2 fallback and h2c', () => {
  test('an HTTP/1.1-only https server: ALPN picks http/1.1, concurrent requests all use HTTP/1.1', async () => {
    const srv: TestServer = await httpsServer((_req, res) => {
      setTimeout(() => res.end('h1'), 5);
    });
    cleanups.push(() => srv.close());
    const s = session();
    const all = await Promise.all(Array.from({ length: 5 }, () => s.get(`${srv.url}/x`)));
    for (const r of all) {
      assert.equal(r.httpVersion, '1.1');
      assert.equal(r.text(), 'h1');
    }
    const again = await s.get(`${srv.url}/y`);
    assert.equal(again.httpVersion, '1.1');
    assert.ok(srv.accepted <= 5);
  });

  test("h2c with http2: 'prior-knowledge' on http:// URLs", async () => {
    const srv = await h2cServer((req, res) => {
      setTimeout(() => res.end(`h2c ${req.url}`), 5);
    });
    cleanups.push(() => srv.close());
    const s = session({ http2: 'prior-knowledge' });
    const all = await Promise.all(Array.from({ length: 10 }, (_, i) => s.get(`${srv.url}/c/${i}`)));
    all.forEach((r, i) => {
      assert.equal(r.httpVersion, '2');
      assert.equal(r.text(), `h2c /c/${i}`);
    });
    assert.equal(srv.sessions, 1);
    const post = await s.post(`${srv.url}/p`, { body: 'x' });
    assert.equal(post.status, 200);
  });

  test('a failed connect fails every queued request, each with its own URL in the message', async () => {
    const probe = await h2cServer((_req, res) => res.end());
    const deadUrl = probe.url;
    await probe.close();
    const s = session({ http2: 'prior-knowledge' });
    const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => s.get(`${deadUrl}/d/${i}`)));
    results.forEach((r, i) => {
      assert.equal(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as Error;
      assert.ok(e instanceof NetworkError, e.name);
      assert.ok(e.message.startsWith(`GET ${deadUrl}/d/${i}: `), e.message);
    });
  });

  test('plain http stays HTTP/1.1 under the default http2 mode', async () => {
    const srv = await h2cServer((_req, res) => res.end('x'));
    cleanups.push(() => srv.close());
    const s = session({ timeout: 1000 });
    // An h2c-only server does not speak HTTP/1.1: the request fails rather than silently upgrading.
    const r = await s.get(`${srv.url}/`).then(
      (res) => res.httpVersion,
      (e: unknown) => (e instanceof ReqivoError ? 'error' : 'foreign error'),
    );
    assert.equal(r, 'error');
  });
});
