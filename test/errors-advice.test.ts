/**
 * Errors that help (issue 12): a refused connection, a name that does not
 * resolve, each timeout and a relative URL without `baseUrl` end with what
 * to do, and connection errors carry the system code on `err.code`.
 * Every case is a real failure against 127.0.0.1 (or the `.invalid` TLD,
 * which never resolves, RFC 6761 §6.4).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ConnectTimeout, InvalidRequestError, NetworkError, ReadTimeout, ReqivoError, TimeoutError } from '../src/index.js';
import { certs } from './helpers/certs.js';
import { rawServer, tcpServer } from './helpers/servers.js';
import { useSessions } from './helpers/sessions.js';

const { cleanups, session } = useSessions();

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function failure<E extends ReqivoError>(p: Promise<unknown>, cls: abstract new (...a: never[]) => E): Promise<E> {
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
  return err;
}

test('a refused connection: ECONNREFUSED on err.code, and the message asks whether the server runs', async () => {
  const port = await closedPort();
  const err = await failure(session().get(`http://127.0.0.1:${port}/x`), NetworkError);
  assert.equal(err.code, 'ECONNREFUSED');
  assert.ok(err.message.endsWith(`; is the server running on 127.0.0.1:${port}?`), err.message);
});

test('a name that does not resolve: ENOTFOUND on err.code, and the message names the host to check', async () => {
  const err = await failure(session({ timeout: 10_000 }).get('http://reqivo-test.invalid/x'), NetworkError);
  // A resolver may also answer "try again" (EAI_AGAIN) when there is no DNS at all.
  assert.ok(err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN', String(err.code));
  assert.match(err.message, /; the name reqivo-test\.invalid does not resolve: check the URL's host name \(or your DNS\)$/);
});

test('a connection reset: ECONNRESET on err.code', async () => {
  const srv = await tcpServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
  cleanups.push(() => srv.close());
  const err = await failure(session().post(`${srv.url}/x`, { body: 'x' }), NetworkError);
  assert.equal(err.code, 'ECONNRESET');
});

test('a connect timeout names timeout.connect and its value, and has code ETIMEDOUT', async () => {
  // A TLS handshake to a server that never answers never completes.
  const srv = await tcpServer((socket) => socket.resume());
  cleanups.push(() => srv.close());
  const s = session({ timeout: { connect: 150 }, tls: { ca: certs().caCert } });
  const err = await failure(s.get(`https://127.0.0.1:${srv.port}/`), ConnectTimeout);
  assert.ok(err.message.endsWith('; raise timeout.connect (now 150 ms) or set it to null'), err.message);
  assert.equal(err.code, 'ETIMEDOUT');
});

test('a read timeout names timeout.read and its value', async () => {
  const srv = await rawServer(() => {});
  cleanups.push(() => srv.close());
  const err = await failure(session({ timeout: { read: 100 } }).get(`${srv.url}/silent`), ReadTimeout);
  assert.ok(err.message.endsWith('; raise timeout.read (now 100 ms) or set it to null'), err.message);
});

test('a total timeout names timeout.total and its value', async () => {
  const srv = await rawServer(() => {});
  cleanups.push(() => srv.close());
  const err = await failure(session({ timeout: { read: null, total: 150 } }).get(`${srv.url}/silent`), TimeoutError);
  assert.equal(err.constructor, TimeoutError);
  assert.ok(err.message.endsWith('; raise timeout.total (now 150 ms) or set it to null'), err.message);
});

test("a relative URL without baseUrl names the session's baseUrl option", async () => {
  const err = await failure(session().get('/users/1'), InvalidRequestError);
  assert.equal(err.message, "GET /users/1: invalid URL: relative URL '/users/1' needs the session's baseUrl option (or pass an absolute URL)");
  // With a baseUrl the same path is fine (it fails later, at the closed port, with a network error).
  const port = await closedPort();
  await failure(session({ baseUrl: `http://127.0.0.1:${port}` }).get('/users/1'), NetworkError);
});
