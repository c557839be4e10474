/**
 * HTTPS over HTTP/1.1 against node:https with certificates made by openssl
 * at test time: trust by `tls.ca`, failures as TlsError, opt-out of
 * verification, SNI/servername checks, and keep-alive reuse.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NetworkError, TlsError } from '../../src/index.js';
import { certs } from '../helpers/certs.js';
import { rejectsWith, useHarness } from '../helpers/engine.js';
import { httpsServer } from '../helpers/servers.js';

const h = useHarness();

async function server(options: Parameters<typeof httpsServer>[1] = {}) {
  return h.server(
    await httpsServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`tls ${req.socket.remotePort}`);
    }, options),
  );
}

describe('TLS', () => {
  test('https GET with tls.ca works over HTTP/1.1', async () => {
    const srv = await server();
    const s = h.session({ tls: { ca: certs().caCert }, http2: false });
    const res = await s.get(`${srv.url}/hello`);
    assert.equal(res.status, 200);
    assert.equal(res.httpVersion, '1.1');
    assert.match(res.text(), /^tls \d+$/);
    assert.equal(res.url, `${srv.url}/hello`);
  });

  test('https GET with the default http2 setting against an HTTP/1.1-only server', async () => {
    const srv = await server();
    const s = h.session({ tls: { ca: certs().caCert } });
    const res = await s.get(`${srv.url}/`);
    assert.equal(res.httpVersion, '1.1');
    assert.match(res.text(), /^tls /);
  });

  test('a self-signed certificate without ca → TlsError', async () => {
    const c = certs();
    const srv = await server({ key: c.selfSignedKey, cert: c.selfSignedCert });
    const s = h.session({ http2: false });
    const url = `${srv.url}/`;
    await rejectsWith(s.get(url), TlsError, 'GET', url, (e) => {
      assert.ok(e instanceof NetworkError);
      assert.ok(e.cause instanceof Error);
    });
  });

  test('a certificate from an unknown CA → TlsError', async () => {
    const srv = await server();
    const s = h.session({ http2: false, tls: { ca: certs().otherCaCert } });
    await rejectsWith(s.get(`${srv.url}/`), TlsError, 'GET', `${srv.url}/`);
  });

  test('rejectUnauthorized: false accepts a self-signed certificate', async () => {
    const c = certs();
    const srv = await server({ key: c.selfSignedKey, cert: c.selfSignedCert });
    const s = h.session({ http2: false, tls: { rejectUnauthorized: false } });
    const res = await s.get(`${srv.url}/`);
    assert.equal(res.status, 200);
  });

  test('the self-signed certificate given as ca is trusted', async () => {
    const c = certs();
    const srv = await server({ key: c.selfSignedKey, cert: c.selfSignedCert });
    const s = h.session({ http2: false, tls: { ca: c.selfSignedCert } });
    assert.equal((await s.get(`${srv.url}/`)).status, 200);
  });

  test('a servername the certificate does not cover → TlsError; one it covers works', async () => {
    const srv = await server();
    const bad = h.session({ http2: false, tls: { ca: certs().caCert, servername: 'wrong.example.com' } });
    await rejectsWith(bad.get(`${srv.url}/`), TlsError, 'GET', `${srv.url}/`, (e) => assert.match(e.message, /wrong\.example\.com|altnames|hostname/i));
    const good = h.session({ http2: false, tls: { ca: certs().caCert, servername: 'localhost' } });
    assert.equal((await good.get(`${srv.url}/`)).status, 200);
  });

  test('HTTPS keep-alive: 10 sequential GETs use one TLS connection', async () => {
    const srv = await server();
    let handshakes = 0;
    srv.server.on('secureConnection', () => handshakes++);
    const s = h.session({ http2: false, tls: { ca: certs().caCert } });
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add((await s.get(`${srv.url}/${i}`)).text());
    assert.equal(handshakes, 1);
    assert.equal(srv.accepted, 1);
    assert.equal(seen.size, 1);
  });

  test('a TLS failure leaves no connection in the pool', async () => {
    const c = certs();
    const srv = await server({ key: c.selfSignedKey, cert: c.selfSignedCert });
    const s = h.session({ http2: false });
    for (let i = 0; i < 3; i++) await assert.rejects(s.get(`${srv.url}/`), TlsError);
    const pool = [...s._pool.origins()][0]!;
    assert.equal(pool.size, 0);
    assert.equal(pool.idle.length, 0);
  });
});
