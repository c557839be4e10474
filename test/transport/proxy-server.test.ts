import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { Session } from '../../src/client/session.js';
import { ConnectTimeout, InvalidRequestError, NetworkError, TlsError } from '../../src/errors.js';
import { openTunnel, ProxyError } from '../../src/transport/proxy.js';
import { certs } from '../helpers/certs.js';
import { h2Server } from '../helpers/h2-servers.js';
import { httpServer, httpsServer, tcpServer } from '../helpers/servers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface TestProxy {
  url: string;
  port: number;
  /** Authorities asked for with CONNECT (after auth). */
  connects: string[];
  /** Absolute-form targets forwarded (after auth). */
  forwarded: string[];
  /** Proxy-Authorization values seen. */
  auths: Array<string | null>;
  /** Requests refused with 407. */
  denied: number;
  /** TCP connections accepted. */
  accepted: number;
}

/** An HTTP proxy: CONNECT tunnels and absolute-form forwarding, optional Basic auth, counting what passes. */
async function proxyServer(opts: { user?: string; pass?: string; refuseConnect?: number; silentConnect?: boolean; tunnelTo?: number } = {}): Promise<TestProxy> {
  const expected = opts.user !== undefined ? `Basic ${Buffer.from(`${opts.user}:${opts.pass}`).toString('base64')}` : null;
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const state: TestProxy = { url: '', port: 0, connects: [], forwarded: [], auths: [], denied: 0, accepted: 0 };
  const authorized = (req: http.IncomingMessage): boolean => {
    const got = req.headers['proxy-authorization'] ?? null;
    state.auths.push(got);
    return expected === null || got === expected;
  };
  const server = http.createServer((req, res) => {
    if (!authorized(req)) {
      state.denied++;
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' });
      res.end('auth please');
      return;
    }
    state.forwarded.push(req.url ?? '');
    const target = new URL(req.url ?? '');
    const { 'proxy-authorization': _dropped, ...headers } = req.headers;
    const up = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers },
      (ures) => {
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        ures.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (s: net.Socket) => {
    state.accepted++;
    track(s);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    if (opts.silentConnect) return;
    if (!authorized(req)) {
      state.denied++;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (opts.refuseConnect) {
      client.end(`HTTP/1.1 ${opts.refuseConnect} Forbidden\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    state.connects.push(req.url ?? '');
    const m = /^(.*):(\d+)$/.exec(req.url ?? '')!;
    // tunnelTo: every tunnel goes to that local port, whatever authority was asked for (a target that is not 127.0.0.1).
    const up = net.connect(opts.tunnelTo ?? Number(m[2]), opts.tunnelTo !== undefined ? '127.0.0.1' : m[1]!.replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    track(up);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return state;
}

function session(opts: ConstructorParameters<typeof Session>[0] = {}): Session {
  const s = new Session({ tls: { ca: certs().caCert }, ...opts });
  cleanups.push(() => s.close());
  return s;
}

async function origin(): Promise<{ url: string; hosts: string[]; proxyAuths: Array<string | undefined> }> {
  const hosts: string[] = [];
  const proxyAuths: Array<string | undefined> = [];
  const srv = await httpServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    proxyAuths.push(req.headers['proxy-authorization']);
    res.end(`origin ${req.method} ${req.url}`);
  });
  cleanups.push(() => srv.close());
  return { url: srv.url, hosts, proxyAuths };
}

describe('HTTP through a proxy (absolute-form)', () => {
  test('requests are forwarded in absolute-form and pooled per proxy', async () => {
    const proxy = await proxyServer();
    const o = await origin();
    const s = session({ proxy: proxy.url });
    const r1 = await s.get(`${o.url}/a?x=1`);
    const r2 = await s.post(`${o.url}/b`, { body: 'hi' });
    assert.equal(r1.text(), 'origin GET /a?x=1');
    assert.equal(r2.text(), 'origin POST /b');
    assert.deepEqual(proxy.forwarded, [`${o.url}/a?x=1`, `${o.url}/b`]);
    assert.equal(proxy.accepted, 1, 'one pooled connection to the proxy');
    assert.equal(o.hosts[0], new URL(o.url).host);
    assert.equal(proxy.connects.length, 0);
  });

  test('credentials in the proxy URL go to the proxy as Proxy-Authorization', async () => {
    const proxy = await proxyServer({ user: 'al ice', pass: 'p@ss:word' });
    const o = await origin();
    const s = session({ proxy: `http://al%20ice:p%40ss%3Aword@127.0.0.1:${proxy.port}` });
    const r = await s.get(`${o.url}/secret`);
    assert.equal(r.text(), 'origin GET /secret');
    assert.equal(proxy.denied, 0);
    assert.equal(o.proxyAuths[0], undefined, 'the origin never sees the proxy credentials');
  });

  test('407 from the proxy → ProxyError saying it refused the credentials', async () => {
    const proxy = await proxyServer({ user: 'u', pass: 'right' });
    const o = await origin();
    const s = session({ proxy: `http://u:wrong@127.0.0.1:${proxy.port}` });
    await assert.rejects(s.get(`${o.url}/x`), (e: unknown) => {
      assert.ok(e instanceof ProxyError && e instanceof NetworkError);
      assert.equal(e.status, 407);
      assert.match(e.message, /proxy http:\/\/127\.0\.0\.1:\d+ refused the credentials \(407/);
      assert.doesNotMatch(e.message, /wrong/);
      return true;
    });
    const s2 = session({ proxy: proxy.url });
    await assert.rejects(s2.get(`${o.url}/x`), /requires authentication \(407/);
  });
});

describe('HTTPS through a proxy (CONNECT tunnel)', () => {
  test('https requests go through one CONNECT tunnel, TLS end to end', async () => {
    const proxy = await proxyServer({ user: 'u', pass: 'p' });
    const seen: Array<string | undefined> = [];
    const srv = await httpsServer((req, res) => {
      seen.push(req.headers['proxy-authorization']);
      res.end(`tls ${req.url}`);
    });
    cleanups.push(() => srv.close());
    const s = session({ proxy: `http://u:p@127.0.0.1:${proxy.port}` });
    assert.equal((await s.get(`${srv.url}/one`)).text(), 'tls /one');
    assert.equal((await s.get(`${srv.url}/two`)).text(), 'tls /two');
    assert.deepEqual(proxy.connects, [`127.0.0.1:${srv.port}`]);
    assert.equal(proxy.forwarded.length, 0);
    assert.deepEqual(proxy.auths, ['Basic dTpw']);
    assert.deepEqual(seen, [undefined, undefined]);
  });

  test('HTTP/2 is negotiated through the tunnel', async () => {
    const proxy = await proxyServer();
    const srv = await h2Server((req, res) => res.end(`h2 ${req.url}`));
    cleanups.push(() => srv.close());
    const s = session({ proxy: proxy.url });
    const all = await Promise.all(Array.from({ length: 10 }, (_, i) => s.get(`${srv.url}/${i}`)));
    all.forEach((r, i) => {
      assert.equal(r.httpVersion, '2');
      assert.equal(r.text(), `h2 /${i}`);
    });
    assert.equal(proxy.connects.length, 1);
    assert.equal(srv.sessions, 1);
  });

  test('an IP address target is verified against that address, not against the proxy host (IP SANs through a tunnel)', async () => {
    // The certificate holds IP:127.0.0.1 only; the proxy is at 127.0.0.1 and tunnels 10.255.255.1 to the local server.
    const srv = await httpsServer((_req, res) => res.end('tls'));
    cleanups.push(() => srv.close());
    const proxy = await proxyServer({ tunnelTo: srv.port });
    const s = session({ proxy: proxy.url });
    await assert.rejects(s.get('https://10.255.255.1:8443/x'), (e: unknown) => e instanceof TlsError && /10\.255\.255\.1/.test(e.message));
    assert.deepEqual(proxy.connects, ['10.255.255.1:8443']);
    // The address the certificate does name still works through the same proxy.
    assert.equal((await s.get(`${srv.url}/ok`)).text(), 'tls');
  });

  test('407 on CONNECT → ProxyError (refused credentials); other refusals name the status', async () => {
    const proxy = await proxyServer({ user: 'u', pass: 'p' });
    const s = session({ proxy: `http://u:bad@127.0.0.1:${proxy.port}` });
    await assert.rejects(s.get('https://127.0.0.1:1/x'), (e: unknown) => e instanceof ProxyError && e.status === 407 && /refused the credentials/.test(e.message) && /GET https:\/\/127\.0\.0\.1:1\/x/.test(e.message));
    const refusing = await proxyServer({ refuseConnect: 403 });
    const s2 = session({ proxy: refusing.url });
    await assert.rejects(s2.get('https://127.0.0.1:1/x'), (e: unknown) => e instanceof ProxyError && e.status === 403 && /refused to tunnel to 127\.0\.0\.1:1: 403/.test(e.message));
  });

  test('the connect timeout is a deadline for the whole tunnel set-up: a proxy trickling its answer fails in time', async () => {
    // One byte every 50 ms never leaves the socket idle for long: only a deadline stops it (issue 9, item 6).
    const reply = Buffer.from(`HTTP/1.1 200 OK\r\nX-Slow: ${'a'.repeat(400)}\r\n\r\n`);
    const timers = new Set<NodeJS.Timeout>();
    const proxy = await tcpServer((socket) => {
      let i = 0;
      const t = setInterval(() => {
        if (i >= reply.length || socket.destroyed) {
          clearInterval(t);
          timers.delete(t);
          return;
        }
        socket.write(reply.subarray(i, ++i));
      }, 50);
      timers.add(t);
      socket.on('close', () => {
        clearInterval(t);
        timers.delete(t);
      });
    });
    cleanups.push(async () => {
      for (const t of timers) clearInterval(t);
      await proxy.close();
    });
    const s = session({ proxy: proxy.url, timeout: { connect: 400 } });
    const started = performance.now();
    await assert.rejects(s.get('https://127.0.0.1:1/x'), (e: unknown) => e instanceof ConnectTimeout && /CONNECT/.test(e.message));
    const took = performance.now() - started;
    // The trickle would take ~20 s; the deadline is 400 ms (generous margin for a loaded machine).
    assert.ok(took < 3000, `took ${took} ms`);
  });

  test('a proxy that never answers CONNECT hits the connect timeout; an unreachable proxy is a NetworkError', async () => {
    const proxy = await proxyServer({ silentConnect: true });
    const s = session({ proxy: proxy.url, timeout: { connect: 150 } });
    await assert.rejects(s.get('https://127.0.0.1:1/x'), (e: unknown) => e instanceof ConnectTimeout);
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const s2 = session({ proxy: `http://127.0.0.1:${port}` });
    await assert.rejects(s2.get('https://127.0.0.1:1/x'), (e: unknown) => e instanceof NetworkError && !(e instanceof ProxyError));
  });

  test('openTunnel gives a raw socket (for ws/wss) with bytes flowing both ways', async () => {
    const proxy = await proxyServer();
    const echo = net.createServer((sock) => sock.pipe(sock));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const echoSockets = new Set<net.Socket>();
    echo.on('connection', (c) => echoSockets.add(c));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const c of echoSockets) c.destroy();
          echo.close(() => r());
        }),
    );
    const port = (echo.address() as AddressInfo).port;
    const sock = await openTunnel(proxy.url, '127.0.0.1', port, { connectTimeoutMs: 2000, headers: { 'user-agent': 'reqivo-test' } });
    const got = await new Promise<string>((resolve) => {
      sock.once('data', (d: Buffer) => resolve(d.toString()));
      sock.resume(); // handed over paused, so no byte is lost before a listener is attached
      sock.write('ping');
    });
    sock.destroy();
    assert.equal(got, 'ping');
    assert.deepEqual(proxy.connects, [`127.0.0.1:${port}`]);
  });

  test('openTunnel refuses a target host with CR/LF or spaces, or a port outside 1-65535, before anything reaches the proxy', async () => {
    const heads: string[] = [];
    const raw = await tcpServer((sock) => {
      sock.on('data', (d: Buffer) => heads.push(d.toString('latin1')));
      sock.on('error', () => {});
    });
    cleanups.push(() => raw.close());
    const proxy = `http://127.0.0.1:${raw.port}`;
    const bad: Array<[string, number]> = [
      ['a.example\r\nX-Injected: 1', 443],
      ['a.example\nX-Injected: 1', 443],
      ['a.example 443 HTTP/1.1', 443],
      ['a.example:1', 443],
      ['', 443],
      ['a.example', Number.NaN],
      ['a.example', 0],
      ['a.example', 70000],
    ];
    for (const [host, port] of bad) {
      for (const p of [proxy, `socks5h://127.0.0.1:${raw.port}`]) {
        await assert.rejects(openTunnel(p, host, port, { connectTimeoutMs: 300 }), (e: unknown) => e instanceof InvalidRequestError && /invalid tunnel target/.test(e.message));
      }
    }
    assert.deepEqual(heads, []);
  });
});

describe('choosing the proxy', () => {
  test("proxy: 'env' honours http_proxy and NO_PROXY; per-request proxy overrides the session's", async () => {
    const proxy = await proxyServer();
    const o = await origin();
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY, http_proxy: process.env.http_proxy, no_proxy: process.env.no_proxy };
    try {
      delete process.env.http_proxy;
      delete process.env.no_proxy;
      delete process.env.HTTP_PROXY;
      process.env.http_proxy = proxy.url;
      process.env.NO_PROXY = 'example.com';
      const viaEnv = session();
      assert.equal((await viaEnv.get(`${o.url}/env`)).text(), 'origin GET /env');
      assert.equal(proxy.forwarded.length, 1);

      process.env.NO_PROXY = `localhost, 127.0.0.1:${new URL(o.url).port}`;
      const bypass = session({ proxy: 'env' });
      assert.equal((await bypass.get(`${o.url}/direct`)).text(), 'origin GET /direct');
      assert.equal(proxy.forwarded.length, 1, 'NO_PROXY bypassed the proxy');

      // Per-request overrides.
      assert.equal((await bypass.get(`${o.url}/forced`, { proxy: proxy.url })).text(), 'origin GET /forced');
      assert.equal(proxy.forwarded.length, 2);
      const never = session({ proxy: false });
      await never.get(`${o.url}/never`);
      assert.equal(proxy.forwarded.length, 2);
      await viaEnv.get(`${o.url}/off`, { proxy: false });
      assert.equal(proxy.forwarded.length, 2);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test('an invalid proxy option is refused when the Session is made', () => {
    assert.throws(() => new Session({ proxy: 'socks4://127.0.0.1:1080' }), /unsupported proxy scheme/);
  });
});
