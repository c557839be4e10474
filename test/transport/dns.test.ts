import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, test } from 'node:test';
import { InvalidRequestError } from '../../src/errors.js';
import type { ConnectOptions } from '../../src/transport/connection.js';
import { connect } from '../../src/transport/dial.js';
import { certs } from '../helpers/certs.js';
import { httpServer, httpsServer } from '../helpers/servers.js';
import { connectProxy } from '../websocket/servers.js';
import { useSessions } from '../helpers/sessions.js';
import { socksServer } from '../helpers/socks-server.js';

const { cleanups, session } = useSessions();

interface Call {
  host: string;
  family: unknown;
}

/** A lookup that resolves `*.test` to 127.0.0.1 after `delayMs`, recording each call. */
function fakeLookup(delayMs = 0) {
  const calls: Call[] = [];
  const lookup = (host: string, opts: { family?: unknown; all?: boolean }, cb: (...args: unknown[]) => void): void => {
    calls.push({ host, family: opts.family });
    setTimeout(() => {
      if (!host.endsWith('.test')) cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), '', 0);
      else if (opts.all) cb(null, [{ address: '127.0.0.1', family: 4 }] satisfies LookupAddress[]);
      else cb(null, '127.0.0.1', 4);
    }, delayMs);
  };
  return { calls, lookup: lookup as unknown as NonNullable<ConnectOptions['lookup']> };
}

async function origin() {
  const o = await httpServer((req, res) => res.end(`${req.socket.remoteAddress} ${req.headers.host}`));
  cleanups.push(() => o.close());
  return o;
}

describe('DNS and socket options', () => {
  test('a custom lookup resolves a made-up name, for every new connection to it', async () => {
    const o = await origin();
    const { calls, lookup } = fakeLookup();
    const s = session({ lookup });
    assert.equal((await s.get(`http://api.test:${o.port}/`)).text(), `127.0.0.1 api.test:${o.port}`);
    await s.get(`http://api.test:${o.port}/`); // reused: no lookup
    await s.get(`http://other.test:${o.port}/`);
    assert.deepEqual(calls.map((c) => c.host), ['api.test', 'other.test']);
  });

  test('family: 4 is passed to the lookup', async () => {
    const o = await origin();
    const { calls, lookup } = fakeLookup();
    const s = session({ lookup, family: 4 });
    await s.get(`http://api.test:${o.port}/`);
    assert.equal(calls[0]!.family, 4);
  });

  test('localAddress: the server sees it as the remote address', async () => {
    const o = await origin();
    const s = session({ localAddress: '127.0.0.1' });
    assert.match((await s.get(`${o.url}/`)).text(), /^127\.0\.0\.1 /);
    // 127.0.0.2 is loopback too on Linux: a local address that is not the default proves it is used.
    if (process.platform === 'linux') {
      const s2 = session({ localAddress: '127.0.0.2' });
      assert.match((await s2.get(`${o.url}/`)).text(), /^127\.0\.0\.2 /);
    }
  });

  test('autoSelectFamily: on by default, passed through when off', async () => {
    const o = await origin();
    const seen: unknown[] = [];
    // net.connect calls lookup with all: true only under happy eyeballs (autoSelectFamily).
    const lookup = ((host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
      seen.push(opts.all === true);
      fakeLookup().lookup(host, opts as never, cb as never);
    }) as unknown as NonNullable<ConnectOptions['lookup']>;
    await session({ lookup }).get(`http://a.test:${o.port}/`);
    await session({ lookup, autoSelectFamily: false }).get(`http://b.test:${o.port}/`);
    assert.deepEqual(seen, [true, false]);
  });

  test('a slow lookup shows in res.timings.phases.dns', async () => {
    const o = await origin();
    const { lookup } = fakeLookup(80);
    const s = session({ lookup });
    const res = await s.get(`http://api.test:${o.port}/`, { timings: true });
    assert.ok(res.timings!.phases.dns! >= 70, `dns phase ${res.timings!.phases.dns}`);
  });

  test('the lookup also serves proxy hops and socks5:// targets', async () => {
    const o = await origin();
    const proxy = await socksServer();
    cleanups.push(() => proxy.close());
    const { calls, lookup } = fakeLookup();
    const s = session({ lookup, proxy: `socks5://socks.test:${proxy.port}` });
    assert.equal((await s.get(`http://api.test:${o.port}/`)).text(), `127.0.0.1 api.test:${o.port}`);
    assert.deepEqual(calls.map((c) => c.host).sort(), ['api.test', 'socks.test']);
    assert.equal(proxy.requests[0]!.host, '127.0.0.1');
  });

  test('the lookup resolves an HTTP proxy named for a CONNECT tunnel', async () => {
    const o = await httpsServer((_req, res) => res.end('tls'));
    cleanups.push(() => o.close());
    const proxy = await connectProxy();
    const { calls, lookup } = fakeLookup();
    const s = session({ lookup, proxy: proxy.url.replace('127.0.0.1', 'proxy.test'), tls: { ca: certs().caCert } });
    assert.equal((await s.get(`https://localhost:${o.port}/`)).text(), 'tls');
    assert.deepEqual(calls.map((c) => c.host), ['proxy.test']);
    assert.deepEqual(proxy.connects, [`localhost:${o.port}`]);
  });

  test('bad values are refused when the Session is made; typos are caught', () => {
    assert.throws(() => session({ family: 5 as 4 }), /family must be 4 or 6/);
    assert.throws(() => session({ localAddress: 'nope' }), /localAddress must be an IP address/);
    assert.throws(() => session({ lookup: 'x' as never }), /lookup must be a function/);
    assert.throws(() => session({ autoSelectFamily: 1 as never }), InvalidRequestError);
    assert.throws(() => session({ lookUp: fakeLookup().lookup } as never), /did you mean "lookup"/);
  });

  test('connect() takes lookup and family directly', async () => {
    const o = await origin();
    const { calls, lookup } = fakeLookup();
    const conn = await connect({ secure: false, host: 'direct.test', port: o.port, lookup, family: 4 });
    conn.destroy();
    assert.deepEqual(calls, [{ host: 'direct.test', family: 4 }]);
  });
});
