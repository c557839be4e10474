import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type tls from 'node:tls';
import { describe, test } from 'node:test';

import { InvalidRequestError, TlsError, WebSocketError } from '../../src/errors.js';
import { Session } from '../../src/client/session.js';
import { WebSocket } from '../../src/websocket/client.js';
import type { ConnectOptions } from '../../src/transport/connection.js';
import { spkiPin } from '../../src/transport/pins.js';
import { clearTlsSessions, tlsIdentity } from '../../src/transport/tls-cache.js';
import { certs, forgedCerts } from '../helpers/certs.js';
import { h2Server } from '../helpers/h2-servers.js';
import { httpsServer, type TestServer } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

async function server(options: Parameters<typeof httpsServer>[1] = {}): Promise<TestServer & { server: import('node:https').Server; reused: boolean[]; servernames: Array<string | false | null> }> {
  const reused: boolean[] = [];
  const servernames: Array<string | false | null> = [];
  const srv = await httpsServer((req, res) => {
    const sock = req.socket as tls.TLSSocket;
    const peer = sock.getPeerCertificate();
    res.end(peer && peer.subject ? `hello ${peer.subject.CN}` : 'hello anonymous');
  }, options);
  srv.server.on('secureConnection', (s: tls.TLSSocket) => {
    reused.push(s.isSessionReused());
    servernames.push(s.servername);
  });
  cleanups.push(() => srv.close());
  return Object.assign(srv, { reused, servernames });
}

let pfxCache: Buffer | null = null;
/** The test client certificate and key as a PKCS#12 bundle with passphrase 'secret'. */
function clientPfx(): Buffer {
  if (pfxCache !== null) return pfxCache;
  const c = certs();
  const dir = mkdtempSync(join(tmpdir(), 'reqivo-pfx-'));
  try {
    writeFileSync(join(dir, 'c.crt'), c.clientCert);
    writeFileSync(join(dir, 'c.key'), c.clientKey);
    execFileSync('openssl', ['pkcs12', '-export', '-in', 'c.crt', '-inkey', 'c.key', '-out', 'c.p12', '-passout', 'pass:secret'], { cwd: dir, stdio: 'pipe' });
    pfxCache = readFileSync(join(dir, 'c.p12'));
    return pfxCache;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('mTLS (client certificates)', () => {
  test('a server that requires a client certificate: cert/key works, pfx+passphrase works, none fails with TlsError', async () => {
    const c = certs();
    const srv = await server({ requestCert: true, rejectUnauthorized: true, ca: c.caCert });
    const withCert = session({ tls: { ca: c.caCert, cert: c.clientCert, key: c.clientKey } });
    assert.equal((await withCert.get(`${srv.url}/`)).text(), 'hello reqivo client');
    const withPfx = session({ tls: { ca: c.caCert, pfx: clientPfx(), passphrase: 'secret' } });
    assert.equal((await withPfx.get(`${srv.url}/`)).text(), 'hello reqivo client');
    const without = session({ tls: { ca: c.caCert } });
    await assert.rejects(without.get(`${srv.url}/`), (e: unknown) => {
      assert.ok(e instanceof TlsError, `got ${(e as Error).name}: ${(e as Error).message}`);
      assert.match(e.message, /client certificate \(mTLS\)/);
      return true;
    });
  });

  test('a wrong passphrase is a clear error, not a hang', async () => {
    const c = certs();
    const srv = await server({ requestCert: true, rejectUnauthorized: true, ca: c.caCert });
    const s = session({ tls: { ca: c.caCert, pfx: clientPfx(), passphrase: 'nope' } });
    await assert.rejects(s.get(`${srv.url}/`), (e: unknown) => e instanceof TlsError && /invalid TLS settings/.test(e.message));
  });

  test('mTLS over HTTP/2: required certificate present works; missing → TlsError', async () => {
    const c = certs();
    const srv = await h2Server((_req, res) => res.end('h2 mtls'), { requestCert: true, rejectUnauthorized: true, ca: c.caCert });
    cleanups.push(() => srv.close());
    const ok = session({ tls: { ca: c.caCert, cert: c.clientCert, key: c.clientKey } });
    const r = await ok.get(`${srv.url}/`);
    assert.equal(r.httpVersion, '2');
    assert.equal(r.text(), 'h2 mtls');
    const bad = session({ tls: { ca: c.caCert } });
    await assert.rejects(bad.get(`${srv.url}/`), (e: unknown) => e instanceof TlsError && /client certificate/.test(e.message));
  });
});

describe('certificate pinning (SPKI SHA-256)', () => {
  test('a pin of the server certificate or of its CA matches', async () => {
    const c = certs();
    const srv = await server();
    const leaf = session({ tls: { ca: c.caCert, pins: [spkiPin(c.serverCert)] } });
    assert.equal((await leaf.get(`${srv.url}/`)).status, 200);
    const ca = session({ tls: { ca: c.caCert, pins: ['sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', spkiPin(c.caCert)] } });
    assert.equal((await ca.get(`${srv.url}/`)).status, 200);
  });

  test('a pin that matches nothing in the chain → TlsError mentioning pinning, nothing is sent', async () => {
    const c = certs();
    let requests = 0;
    const srv = await server();
    srv.server.on('request', () => requests++);
    const s = session({ tls: { ca: c.caCert, pins: [spkiPin(c.otherCaCert)] } });
    await assert.rejects(s.get(`${srv.url}/`), (e: unknown) => {
      assert.ok(e instanceof TlsError);
      assert.match(e.message, /certificate pinning failed/);
      assert.match(e.message, /sha256\//);
      return true;
    });
    assert.equal(requests, 0);
  });

  test('tls.pins that pin nothing (an empty list, a malformed pin) are refused when the Session or WebSocket is made, never a silent unpinned connection', async () => {
    const c = certs();
    const srv = await server();
    for (const pins of [[], ['sha256/short='], [spkiPin(c.serverCert), 'md5/abc'], 'sha256/x'] as unknown as string[][]) {
      assert.throws(() => new Session({ tls: { ca: c.caCert, pins } }), (e: unknown) => e instanceof InvalidRequestError && /tls\.pins/.test(e.message));
      assert.throws(() => new WebSocket(`wss://127.0.0.1:${srv.port}/`, { tls: { ca: c.caCert, pins } }), (e: unknown) => e instanceof WebSocketError && /tls\.pins/.test(e.message));
    }
    // A right one still connects.
    assert.equal((await session({ tls: { ca: c.caCert, pins: [spkiPin(c.serverCert)] } }).get(`${srv.url}/`)).status, 200);
  });

  test('an attacker leaf presented with the real pinned CA fails, whether or not the chain is verified', async () => {
    // The forged leaf names the real CA as issuer and Node links the two by name; only the signature tells them apart.
    const c = certs();
    const f = forgedCerts();
    let requests = 0;
    const srv = await server({ key: f.leafKey, cert: f.leafCert + c.caCert });
    srv.server.on('request', () => requests++);
    const pins = [spkiPin(c.caCert)];
    const unverified = session({ tls: { rejectUnauthorized: false, pins } });
    await assert.rejects(unverified.get(`${srv.url}/`), (e: unknown) => e instanceof TlsError && /pinning failed/.test(e.message));
    // Verified through a CA the client trusts (as if a public CA had been tricked): the pin must still refuse it.
    const verified = session({ tls: { ca: [f.evilCaCert], pins } });
    await assert.rejects(verified.get(`${srv.url}/`), (e: unknown) => e instanceof TlsError && /pinning failed/.test(e.message));
    assert.equal(requests, 0);
    // The attacker's own leaf is what the handshake proved: pinning it is the one way to accept this server.
    assert.equal((await session({ tls: { rejectUnauthorized: false, pins: [spkiPin(f.leafCert)] } }).get(`${srv.url}/`)).status, 200);
  });

  test('a genuine chain passes a CA pin with rejectUnauthorized true or false', async () => {
    const c = certs();
    const srv = await server({ cert: c.serverCert + c.caCert });
    const pins = [spkiPin(c.caCert)];
    assert.equal((await session({ tls: { ca: c.caCert, pins } }).get(`${srv.url}/`)).status, 200);
    assert.equal((await session({ tls: { rejectUnauthorized: false, pins } }).get(`${srv.url}/`)).status, 200);
    assert.equal((await session({ tls: { rejectUnauthorized: false, pins: [spkiPin(c.serverCert)] } }).get(`${srv.url}/`)).status, 200);
  });

  test('pinned connections never resume a TLS session, so every handshake is pin-checked', async () => {
    clearTlsSessions();
    const c = certs();
    const srv = await server();
    const tlsOpts = { ca: c.caCert, pins: [spkiPin(c.caCert)] };
    for (let i = 0; i < 3; i++) {
      const s = session({ tls: tlsOpts });
      assert.equal((await s.get(`${srv.url}/${i}`)).status, 200);
      await s.close();
    }
    assert.deepEqual(srv.reused, [false, false, false]);
    const wrong = session({ tls: { ca: c.caCert, pins: [spkiPin(c.otherCaCert)] } });
    await assert.rejects(wrong.get(`${srv.url}/`), (e: unknown) => e instanceof TlsError && /pinning/.test(e.message));
  });
});

describe('verification, CA bundles, servername', () => {
  test('an untrusted chain fails with TlsError saying the chain is not trusted; a custom CA fixes it', async () => {
    const c = certs();
    const srv = await server();
    await assert.rejects(session().get(`${srv.url}/`), (e: unknown) => e instanceof TlsError && /chain is not trusted/.test(e.message));
    await assert.rejects(session({ tls: { ca: c.otherCaCert } }).get(`${srv.url}/`), (e: unknown) => e instanceof TlsError && /verification failed/.test(e.message));
    assert.equal((await session({ tls: { ca: [c.otherCaCert, c.caCert] } }).get(`${srv.url}/`)).status, 200);
    assert.equal((await session({ tls: { rejectUnauthorized: false } }).get(`${srv.url}/`)).status, 200);
  });

  test('a self-signed certificate is refused by default; TLS 1.2 is the default floor, minVersion raises it', async () => {
    const c = certs();
    const self = await server({ cert: c.selfSignedCert, key: c.selfSignedKey });
    await assert.rejects(session().get(`${self.url}/`), (e: unknown) => e instanceof TlsError && /self-signed|not trusted/i.test(e.message));
    // The certificate itself as the CA: trusted then.
    assert.equal((await session({ tls: { ca: c.selfSignedCert } }).get(`${self.url}/`)).status, 200);
    const old = await server({ maxVersion: 'TLSv1.2' });
    assert.equal((await session({ tls: { ca: c.caCert } }).get(`${old.url}/`)).status, 200);
    // The message says what failed and names the floor, not only OpenSSL's "alert protocol version".
    await assert.rejects(session({ tls: { ca: c.caCert, minVersion: 'TLSv1.3' } }).get(`${old.url}/`), (e: unknown) => {
      assert.ok(e instanceof TlsError, String(e));
      assert.match(e.message, /no TLS version in common: this client accepts TLSv1\.3 or newer \(tls\.minVersion\)/);
      assert.ok(!e.message.includes('\n'), e.message);
      assert.ok(e.cause instanceof Error);
      return true;
    });
  });

  test('servername overrides SNI and the name checked; a mismatch names the host name check', async () => {
    const c = certs();
    const srv = await server();
    const s = session({ tls: { ca: c.caCert, servername: 'localhost' } });
    assert.equal((await s.get(`${srv.url}/`)).status, 200);
    assert.equal(srv.servernames.at(-1), 'localhost');
    // A fully qualified name (trailing dot) is sent in SNI without the dot (RFC 6066 §3), and still verified.
    const toLocal = (_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void): void => (o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4));
    const lookup = toLocal as unknown as NonNullable<ConnectOptions['lookup']>;
    assert.equal((await session({ tls: { ca: c.caCert }, lookup }).get(`https://localhost.:${srv.port}/`)).status, 200);
    assert.equal(srv.servernames.at(-1), 'localhost');
    assert.equal((await session({ tls: { ca: c.caCert, servername: 'localhost.' } }).get(`${srv.url}/`)).status, 200);
    assert.equal(srv.servernames.at(-1), 'localhost');
    const bad = session({ tls: { ca: c.caCert, servername: 'example.com' } });
    await assert.rejects(bad.get(`${srv.url}/`), (e: unknown) => e instanceof TlsError && /host name check failed/.test(e.message));
  });
});

describe('TLS session cache', () => {
  test('a new connection with the same settings resumes the TLS session', async () => {
    clearTlsSessions();
    const c = certs();
    const srv = await server();
    const opts = { ca: c.caCert };
    for (let i = 0; i < 3; i++) {
      const s = session({ tls: opts });
      await s.get(`${srv.url}/`);
      await s.close();
    }
    assert.deepEqual(srv.reused, [false, true, true]);
  });

  test('a session verified under one CA is never resumed under other trust settings', async () => {
    clearTlsSessions();
    const c = certs();
    const srv = await server();
    assert.equal((await session({ tls: { ca: c.caCert } }).get(`${srv.url}/`)).status, 200);
    // Default trust store: must do (and fail) a full verification, not resume the trusted session.
    await assert.rejects(session().get(`${srv.url}/`), (e: unknown) => e instanceof TlsError);
    await assert.rejects(session({ tls: { ca: c.otherCaCert } }).get(`${srv.url}/`), (e: unknown) => e instanceof TlsError);
    assert.notEqual(tlsIdentity({ ca: c.caCert }), tlsIdentity({ ca: c.otherCaCert }));
    assert.equal(tlsIdentity({ ca: c.caCert }), tlsIdentity({ ca: c.caCert }));
  });

  test('sessionCache: false never resumes', async () => {
    clearTlsSessions();
    const c = certs();
    const srv = await server();
    for (let i = 0; i < 2; i++) {
      const s = session({ tls: { ca: c.caCert, sessionCache: false } });
      await s.get(`${srv.url}/`);
      await s.close();
    }
    assert.deepEqual(srv.reused, [false, false]);
  });
});
