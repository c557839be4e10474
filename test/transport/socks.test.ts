import assert from 'node:assert/strict';
import type net from 'node:net';
import { describe, test } from 'node:test';
import { AbortError, ConnectTimeout, InvalidRequestError, NetworkError, ProxyError } from '../../src/errors.js';
import { openSocksTunnel, socksConnectRequest, socksReplyMessage } from '../../src/transport/socks.js';
import { WebSocket } from '../../src/websocket/index.js';
import { certs } from '../helpers/certs.js';
import { h2Server } from '../helpers/h2-servers.js';
import { httpServer, openSockets, sleep, tcpServer, waitFor } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';
import { Reader, socksServer } from '../helpers/socks-server.js';
import { wsServer } from '../websocket/servers.js';

const { cleanups, session } = useSessions();

async function origin() {
  const o = await httpServer((req, res) => res.end(`${req.method} ${req.url} host=${req.headers.host}`));
  cleanups.push(() => o.close());
  return o;
}

async function socks(opts: Parameters<typeof socksServer>[0] = {}) {
  const s = await socksServer(opts);
  cleanups.push(() => s.close());
  return s;
}

describe('SOCKS5 CONNECT request bytes (RFC 1928 §4)', () => {
  test('IPv4, IPv6 and domain address types; names over 255 bytes are refused', () => {
    assert.deepEqual([...socksConnectRequest('127.0.0.1', 8080)], [5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90]);
    const v6 = socksConnectRequest('::1', 443);
    assert.deepEqual([...v6.subarray(0, 4)], [5, 1, 0, 4]);
    assert.deepEqual([...v6.subarray(4, 20)], [...Array<number>(15).fill(0), 1]);
    assert.deepEqual([...v6.subarray(20)], [1, 187]);
    assert.deepEqual([...socksConnectRequest('2001:db8::ffff:1.2.3.4', 1).subarray(4, 20)], [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
    assert.deepEqual([...socksConnectRequest('a.test', 80)], [5, 1, 0, 3, 6, ...Buffer.from('a.test'), 0, 80]);
    assert.throws(() => socksConnectRequest('a'.repeat(256), 80), InvalidRequestError);
    assert.equal(socksReplyMessage(5), 'connection refused');
    assert.match(socksReplyMessage(0x42), /unassigned reply code 0x42/);
  });
});

describe('SOCKS5 proxies', () => {
  test('http through socks5://: the client resolves the name and sends an IPv4 address', async () => {
    const o = await origin();
    const proxy = await socks();
    const s = session({ proxy: proxy.url });
    const res = await s.get(`http://localhost:${o.port}/a?b=1`);
    assert.equal(res.text(), `GET /a?b=1 host=localhost:${o.port}`);
    assert.equal(proxy.requests.length, 1);
    assert.equal(proxy.requests[0]!.atyp, 1);
    assert.equal(proxy.requests[0]!.host, '127.0.0.1');
    // The tunnel is pooled: a second request reuses it.
    await s.get(`http://localhost:${o.port}/again`);
    assert.equal(proxy.accepted, 1);
  });

  test('socks5h:// sends the name (ATYP 3) for the proxy to resolve', async () => {
    const o = await origin();
    const proxy = await socks({ names: { 'origin.test': '127.0.0.1' } });
    const s = session({ proxy: proxy.url.replace('socks5:', 'socks5h:') });
    const res = await s.get(`http://origin.test:${o.port}/h`);
    assert.equal(res.text(), `GET /h host=origin.test:${o.port}`);
    assert.deepEqual(proxy.requests, [{ atyp: 3, host: 'origin.test', port: o.port, user: null }]);
  });

  test('an IPv6 target goes as ATYP 4', async () => {
    // The test servers listen on 127.0.0.1 only: check the address type the proxy sees, and refuse.
    const proxy = await socks({ reply: 4 });
    const s = session({ proxy: proxy.url });
    await assert.rejects(s.get('http://[::1]:9/'), ProxyError);
    assert.equal(proxy.requests[0]!.atyp, 4);
    assert.equal(proxy.requests[0]!.host, '::1');
  });

  test('username/password (RFC 1929); wrong credentials are a ProxyError that never shows them', async () => {
    const o = await origin();
    const proxy = await socks({ auth: { user: 'alice', pass: 's3cr:t' } });
    const ok = session({ proxy: `socks5://alice:s3cr%3At@127.0.0.1:${proxy.port}` });
    assert.equal((await ok.get(`${o.url}/x`)).status, 200);
    assert.equal(proxy.requests[0]!.user, 'alice');
    const bad = session({ proxy: `socks5://alice:wrong-pw@127.0.0.1:${proxy.port}` });
    await assert.rejects(bad.get(`${o.url}/x`), (e: unknown) => {
      assert.ok(e instanceof ProxyError);
      assert.match(e.message, /refused the credentials/);
      assert.doesNotMatch(`${e.message} ${e.proxy} ${String(e.stack)}`, /wrong-pw/);
      return true;
    });
    const none = session({ proxy: proxy.url });
    await assert.rejects(none.get(`${o.url}/x`), /requires authentication and the proxy URL has no credentials/);
  });

  test('reply codes 0x01–0x08 are typed ProxyErrors naming the failure', async () => {
    const s = session();
    for (let code = 1; code <= 8; code++) {
      const proxy = await socks({ reply: code });
      await assert.rejects(s.get('http://127.0.0.1:9/', { proxy: proxy.url }), (e: unknown) => {
        assert.ok(e instanceof ProxyError, String(e));
        assert.ok(e.message.includes(socksReplyMessage(code)), e.message);
        assert.ok(e.message.includes(`0x0${code}`), e.message);
        assert.equal(e.proxy, proxy.url);
        return true;
      });
    }
  });

  test('a trickling proxy is bounded by the connect timeout (ConnectTimeout)', async () => {
    const proxy = await socks({ trickleMs: 400 });
    const s = session({ proxy: proxy.url, timeout: { connect: 150 } });
    const started = performance.now();
    await assert.rejects(s.get('http://127.0.0.1:9/'), ConnectTimeout);
    assert.ok(performance.now() - started < 2000);
  });

  test('a malformed reply is a ProxyError; no socket is left behind', async () => {
    const proxy = await socks({ malformed: true });
    const s = session({ proxy: proxy.url });
    await assert.rejects(s.get('http://127.0.0.1:9/'), (e: unknown) => e instanceof ProxyError && /invalid reply \(version 4/.test(e.message));
    await waitFor(() => openSockets() === 0, 2000, 'client sockets to close');
  });

  test('https through SOCKS: TLS end to end with the origin name (SNI) and ALPN h2', async () => {
    const o = await h2Server((req, res) => res.end(`h${req.httpVersion} ${req.headers[':authority']}`));
    cleanups.push(() => o.close());
    const proxy = await socks({ names: { localhost: '127.0.0.1' } });
    const s = session({ proxy: `socks5h://127.0.0.1:${proxy.port}`, tls: { ca: certs().caCert } });
    const res = await s.get(`https://localhost:${o.port}/`);
    assert.equal(res.text(), `h2.0 localhost:${o.port}`);
    assert.equal(proxy.requests[0]!.host, 'localhost');
  });

  test('ALL_PROXY may hold a socks5h:// URL', async () => {
    const o = await origin();
    const proxy = await socks({ names: { 'env.test': '127.0.0.1' } });
    const saved = process.env.ALL_PROXY;
    process.env.ALL_PROXY = proxy.url.replace('socks5:', 'socks5h:');
    try {
      const s = session({ proxy: 'env' });
      assert.equal((await s.get(`http://env.test:${o.port}/e`)).text(), `GET /e host=env.test:${o.port}`);
    } finally {
      if (saved === undefined) delete process.env.ALL_PROXY;
      else process.env.ALL_PROXY = saved;
    }
    assert.equal(proxy.requests[0]!.atyp, 3);
  });

  test('ws:// through a SOCKS5 proxy', async () => {
    const peer = await wsServer();
    const proxy = await socks({ names: { 'ws.test': '127.0.0.1' } });
    const ws = new WebSocket(`ws://ws.test:${peer.port}/s`, { proxy: `socks5h://127.0.0.1:${proxy.port}` });
    cleanups.push(() => ws.close().catch(() => {}));
    await ws.connect();
    await ws.send('via socks');
    assert.equal(await ws.receive(), 'via socks');
    assert.equal(proxy.requests[0]!.host, 'ws.test');
  });

  test('timings through SOCKS: no DNS phase for socks5h, connect when the tunnel is up', async () => {
    const o = await origin();
    const proxy = await socks({ names: { 't.test': '127.0.0.1' } });
    const s = session({ proxy: `socks5h://127.0.0.1:${proxy.port}`, timings: true });
    const t = (await s.get(`http://t.test:${o.port}/`)).timings!;
    assert.equal(t.phases.dns, null);
    assert.ok(t.connect !== null && t.socket !== null && t.connect >= t.socket, JSON.stringify(t));
    assert.ok(t.upload !== null && t.upload >= t.connect);
  });

  test('abort during the handshake, a failed socks5 lookup and a name over 255 bytes are typed errors', async () => {
    const slow = await socks({ trickleMs: 400 });
    const s = session({ proxy: slow.url });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(s.get('http://127.0.0.1:9/', { signal: ac.signal }), AbortError);
    const proxy = await socks();
    const lookup = ((host: string, _o: unknown, cb: (e: Error) => void) => cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }))) as never;
    // The advice names the host that does not resolve (it said "the name the host does not resolve").
    await assert.rejects(session({ proxy: proxy.url, lookup }).get('http://nowhere.test/'), (e: unknown) => e instanceof NetworkError && /the name nowhere\.test does not resolve/.test(e.message));
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.test`;
    await assert.rejects(session({ proxy: proxy.url.replace('socks5:', 'socks5h:') }).get(`http://${long}/`), /too long for SOCKS5/);
    assert.equal(proxy.accepted, 0);
  });

  test('different SOCKS proxies (or users) never share a connection', async () => {
    const o = await origin();
    const a = await socks();
    const b = await socks({ auth: { user: 'u', pass: 'p' } });
    const s = session();
    await s.get(`${o.url}/1`, { proxy: a.url });
    await s.get(`${o.url}/2`, { proxy: `socks5://u:p@127.0.0.1:${b.port}` });
    await s.get(`${o.url}/3`);
    assert.equal(a.accepted, 1);
    assert.equal(b.accepted, 1);
    assert.equal(o.accepted, 3);
  });
});

/** A hostile SOCKS5 "proxy" on a raw node:net server: `script` reads exactly what it asks for and writes exact bytes. */
async function rawSocks(script: (read: (n: number) => Promise<Buffer>, socket: net.Socket, conn: number) => Promise<void> | void) {
  const srv = await tcpServer((socket, conn) => {
    const reader = new Reader(socket);
    void Promise.resolve(script((n) => reader.take(n), socket, conn)).catch(() => socket.destroy());
  });
  cleanups.push(() => srv.close());
  return { url: `socks5://127.0.0.1:${srv.port}`, port: srv.port, srv };
}

/** openSocksTunnel to 127.0.0.1:9 through `url`; the caller destroys the socket. */
function tunnel(url: string): Promise<net.Socket> {
  return openSocksTunnel(new URL(url), '127.0.0.1', 9, { connectTimeoutMs: 5000 });
}

/** Assert `p` rejects with a ProxyError whose message matches `re`; returns the message. */
async function proxyError(p: Promise<unknown>, re: RegExp): Promise<string> {
  let message = '';
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ProxyError, String(e));
    assert.match(e.message, re);
    message = e.message;
    return true;
  });
  return message;
}

/** Read exactly `n` bytes from a tunnel socket (paused as handed over). */
async function readN(sock: net.Socket, n: number): Promise<Buffer> {
  let buf = Buffer.alloc(0);
  sock.resume();
  while (buf.length < n) {
    const chunk = await new Promise<Buffer>((ok, fail) => {
      sock.once('data', ok);
      sock.once('error', fail);
    });
    buf = Buffer.concat([buf, chunk]);
  }
  sock.pause();
  return buf;
}

const IPV4_REPLY = [5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90];
const IPV6_REPLY = [5, 0, 0, 4, ...Array<number>(15).fill(0), 1, 0x1f, 0x90];
const DOMAIN_REPLY = [5, 0, 0, 3, 11, ...Buffer.from('bnd.example'), 0x1f, 0x90];
/** The CONNECT request openSocksTunnel sends for 127.0.0.1:9. */
const REQUEST_TO_9 = [5, 1, 0, 1, 127, 0, 0, 1, 0, 9];

describe('SOCKS5 against a hostile raw server (exact bytes)', () => {
  test('the method selection: a bad version byte, 0xFF with and without credentials, 0x02 unasked, a method never offered', async () => {
    const cases: Array<[number[], boolean, RegExp]> = [
      [[4, 0], false, /sent an invalid answer \(version 4, not 5\)/],
      [[5, 0xff], false, /requires authentication and the proxy URL has no credentials/],
      [[5, 0xff], true, /accepts none of the offered authentication methods/],
      [[5, 2], false, /requires authentication and the proxy URL has no credentials/],
      [[5, 1], false, /chose an authentication method that was not offered \(0x1\)/],
    ];
    const greetings: number[][] = [];
    const proxy = await rawSocks(async (read, socket, conn) => {
      const [ver, n] = await read(2);
      greetings.push([ver!, n!, ...(await read(n!))]);
      socket.write(Buffer.from(cases[conn]![0]));
    });
    for (const [, creds, re] of cases) await proxyError(tunnel(creds ? `socks5://u:p@127.0.0.1:${proxy.port}` : proxy.url), re);
    assert.deepEqual(greetings, [[5, 1, 0], [5, 1, 0], [5, 2, 0, 2], [5, 1, 0], [5, 1, 0]]);
    await waitFor(() => proxy.srv.open.size === 0, 2000, 'every refused connection to close');
  });

  test('RFC 1929: the exact sub-negotiation bytes (UTF-8, percent-decoded); a failure status is a ProxyError that never shows the password', async () => {
    let sub: number[] = [];
    const proxy = await rawSocks(async (read, socket) => {
      await read(4);
      socket.write(Buffer.from([5, 2]));
      const [ver, ulen] = await read(2);
      const user = await read(ulen!);
      const [plen] = await read(1);
      sub = [ver!, ulen!, ...user, plen!, ...(await read(plen!))];
      // The status arrives a byte at a time.
      socket.write(Buffer.from([1]));
      await sleep(5);
      socket.write(Buffer.from([1]));
    });
    const message = await proxyError(tunnel(`socks5://us%C3%A9r:p%40ss@127.0.0.1:${proxy.port}`), /refused the credentials \(RFC 1929 status 1\)/);
    assert.deepEqual(sub, [1, 5, ...Buffer.from('usér'), 4, ...Buffer.from('p@ss')]);
    assert.ok(!message.includes('p@ss') && !message.includes('p%40ss'), message);
    // A name the sub-negotiation cannot carry is refused before anything is sent.
    await proxyError(tunnel(`socks5://${'u'.repeat(256)}:p@127.0.0.1:${proxy.port}`), /cannot take a user name or password over 255 bytes/);
  });

  test('credentials that are not valid percent-encoding are an InvalidRequestError before the proxy is dialled, never an exception thrown from the socket', async () => {
    let connections = 0;
    const proxy = await rawSocks(async (read, socket) => {
      connections++;
      await read(4);
      socket.write(Buffer.from([5, 2]));
    });
    for (const creds of ['a%zz:p', 'u:%C3', 'u%:p']) {
      await assert.rejects(tunnel(`socks5://${creds}@127.0.0.1:${proxy.port}`), (e: unknown) => {
        assert.ok(e instanceof InvalidRequestError, String(e));
        assert.match(e.message, /credentials that are not valid percent-encoded UTF-8/);
        return true;
      });
      const url = `socks5h://${creds}@127.0.0.1:${proxy.port}`;
      assert.throws(() => session({ proxy: url }), InvalidRequestError);
      await assert.rejects(session().get('http://127.0.0.1:9/', { proxy: url }), InvalidRequestError);
    }
    assert.equal(connections, 0);
  });

  test('every REP error code is a ProxyError naming it, unassigned ones too; an unknown address type is refused', async () => {
    const codes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0xff];
    const proxy = await rawSocks(async (read, socket, conn) => {
      await read(3);
      socket.write(Buffer.from([5, 0]));
      await read(REQUEST_TO_9.length);
      if (conn < codes.length) socket.end(Buffer.from([5, codes[conn]!, 0, 1, 0, 0, 0, 0, 0, 0]));
      else socket.end(Buffer.from([5, 0, 0, 5, 0, 0, 0, 0, 0, 0]));
    });
    for (const code of codes) {
      const hex = `0x${code.toString(16).padStart(2, '0')}`;
      const message = await proxyError(tunnel(proxy.url), new RegExp(`refused to connect to 127\\.0\\.0\\.1:9: .+ \\(${hex}\\)`));
      if (code <= 8) assert.ok(message.includes(socksReplyMessage(code)), message);
      else assert.ok(message.includes(`unassigned reply code ${hex}`), message);
    }
    await proxyError(tunnel(proxy.url), /sent an invalid reply \(address type 5\)/);
  });

  test('the method selection and the reply split at every byte, for IPv4, IPv6 and domain replies: the tunnel opens and carries bytes both ways', async () => {
    const replies = [IPV4_REPLY, IPV6_REPLY, DOMAIN_REPLY];
    const plan: Array<{ bytes: number[]; split: number }> = [];
    for (const r of replies) {
      const bytes = [5, 0, ...r];
      for (let split = 1; split < bytes.length; split++) plan.push({ bytes, split });
      plan.push({ bytes, split: -1 }); // one byte per write
    }
    const requests: number[][] = [];
    const proxy = await rawSocks(async (read, socket, conn) => {
      const { bytes, split } = plan[conn]!;
      await read(3);
      // The reply goes out before the request is read: a client may get both answers in one chunk.
      if (split === -1) {
        for (const b of bytes) {
          socket.write(Buffer.from([b]));
          await sleep(1);
        }
      } else {
        socket.write(Buffer.from(bytes.slice(0, split)));
        await sleep(2);
        socket.write(Buffer.from(bytes.slice(split)));
      }
      requests.push([...(await read(REQUEST_TO_9.length))]);
      socket.write(await read(4)); // echo through the "tunnel"
    });
    for (let i = 0; i < plan.length; i++) {
      const sock = await tunnel(proxy.url);
      try {
        sock.write('ping');
        assert.equal((await readN(sock, 4)).toString(), 'ping', `plan ${i}`);
      } finally {
        sock.destroy();
      }
    }
    assert.equal(requests.length, plan.length);
    for (const r of requests) assert.deepEqual(r, REQUEST_TO_9);
  });

  test('bytes right behind the reply reach the tunnel; a reply then close fails the request as a NetworkError, not a ProxyError; a close mid-reply is a ProxyError', async () => {
    const proxy = await rawSocks(async (read, socket, conn) => {
      await read(3);
      socket.write(Buffer.from([5, 0]));
      await read(REQUEST_TO_9.length);
      if (conn === 0) socket.write(Buffer.concat([Buffer.from(IPV4_REPLY), Buffer.from('early bytes')]));
      else if (conn === 1) socket.end(Buffer.from(IPV4_REPLY));
      else socket.end(Buffer.from(IPV4_REPLY.slice(0, 6)));
    });
    const sock = await tunnel(proxy.url);
    try {
      assert.equal((await readN(sock, 11)).toString(), 'early bytes');
    } finally {
      sock.destroy();
    }
    await assert.rejects(session({ proxy: proxy.url }).get('http://127.0.0.1:9/'), (e: unknown) => {
      assert.ok(e instanceof NetworkError && !(e instanceof ProxyError), String(e));
      return true;
    });
    await proxyError(tunnel(proxy.url), /closed the connection before the tunnel to 127\.0\.0\.1:9 was open/);
    await waitFor(() => openSockets() === 0, 2000, 'client sockets to close');
  });
});
