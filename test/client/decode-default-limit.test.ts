/**
 * The default bound on decoded bytes of buffered responses
 * (`limits.maxDecodedBytes`, 32 MiB): a 64 KiB gzip body that inflates to
 * 64 MiB fails under default options instead of filling memory; streamed
 * responses are bounded by backpressure instead and pass whole; the limit
 * can be raised per session or request.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { LimitExceededError } from '../../src/errors.js';
import { httpServer, type TestServer, waitFor } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

async function server(handler: http.RequestListener): Promise<TestServer> {
  const srv = await httpServer(handler);
  cleanups.push(() => srv.close());
  return srv;
}

const MiB = 2 ** 20;
/** 64 MiB of zeros, gzipped: about 64 KiB on the wire. */
const BOMB = zlib.gzipSync(Buffer.alloc(64 * MiB));

function bombServer(): Promise<TestServer> {
  return server((req, res) => {
    if (req.url === '/next') {
      res.end('fine');
      return;
    }
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(BOMB.length) });
    res.end(BOMB);
  });
}

describe('default decoded-size limit (limits.maxDecodedBytes)', () => {
  test('a 64 KiB gzip bomb under default options: LimitExceededError (maxDecodedBytes), connection not pooled', async () => {
    assert.ok(BOMB.length < 80 * 1024, `bomb is ${BOMB.length} bytes`);
    const srv = await bombServer();
    const s = session();
    await assert.rejects(s.get(`${srv.url}/bomb`), (err: unknown) => {
      assert.ok(err instanceof LimitExceededError);
      assert.equal(err.limit, 'maxDecodedBytes');
      assert.match(err.message, /decoded response body exceeds maxDecodedBytes \(33554432\)/);
      return true;
    });
    await waitFor(() => srv.open.size === 0, 2000, 'the server to see the socket close');
    assert.equal((await s.get(`${srv.url}/next`)).text(), 'fine');
    assert.equal(srv.accepted, 2);
  });

  test('a streamed response is not bound by it (backpressure bounds it): all 64 MiB arrive', async () => {
    const srv = await bombServer();
    const res = await session().stream('GET', `${srv.url}/bomb`);
    let n = 0;
    for await (const chunk of res) n += chunk.length;
    assert.equal(n, 64 * MiB);
  });

  test('raised per request, the buffered body decodes whole; an explicit smaller maxBodyBytes still wins', async () => {
    const srv = await bombServer();
    const s = session();
    const res = await s.get(`${srv.url}/bomb`, { limits: { maxDecodedBytes: 64 * MiB } });
    assert.equal(res.body.length, 64 * MiB);
    await assert.rejects(
      session({ limits: { maxBodyBytes: MiB } }).get(`${srv.url}/bomb`),
      (err: unknown) => err instanceof LimitExceededError && err.limit === 'maxBodyBytes',
    );
  });

  test('an identity (not encoded) buffered body over 32 MiB is not affected', async () => {
    const big = Buffer.alloc(33 * MiB, 0x61);
    const srv = await server((_req, res) => res.end(big));
    assert.equal((await session().get(srv.url)).body.length, 33 * MiB);
  });

  test('limits.maxDecodedBytes must be a non-negative number', () => {
    assert.throws(() => session({ limits: { maxDecodedBytes: -1 } }), /limits\.maxDecodedBytes/);
  });
});
