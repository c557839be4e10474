/**
 * Issue 9, item 1: HTTP/2 over TLS must not truncate bodies under
 * concurrency. Node can deliver a stream's DATA before its 'response' event;
 * every body here is checked byte for byte against what the server sent.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { certs } from '../helpers/certs.js';
import { h2Server } from '../helpers/h2-servers.js';
import { dataFrame, rawH2Server, responseHead } from '../helpers/h2-raw.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

/** The body for request `i`: 1 KiB that differs per request. */
function bodyFor(i: number): Buffer {
  const seed = createHash('sha256').update(String(i)).digest();
  const out = Buffer.alloc(1024);
  for (let k = 0; k < out.length; k++) out[k] = seed[k % seed.length]! ^ (k & 0xff);
  return out;
}

describe('HTTP/2 over TLS under concurrency: every body whole', () => {
  for (const concurrency of [64, 200]) {
    test(`${concurrency} concurrent streams on one TLS session, 5 rounds, every 1 KiB body verified`, async () => {
      const srv = await h2Server((req, res) => {
        const i = Number(req.url.slice(1));
        res.setHeader('content-length', '1024');
        res.end(bodyFor(i));
      }, { settings: { maxConcurrentStreams: 1000 } });
      cleanups.push(() => srv.close());
      const s = session({ tls: { ca: certs().caCert } });
      let checked = 0;
      for (let round = 0; round < 5; round++) {
        const base = round * concurrency;
        const all = await Promise.all(Array.from({ length: concurrency }, (_, k) => s.get(`${srv.url}/${base + k}`)));
        all.forEach((r, k) => {
          assert.equal(r.status, 200);
          assert.equal(r.httpVersion, '2');
          assert.deepEqual(Buffer.from(r.bytes()), bodyFor(base + k), `body of request ${base + k}`);
          checked++;
        });
      }
      assert.equal(checked, concurrency * 5);
      assert.equal(srv.sessions, 1);
    });
  }

  test('DATA in the same read as the response HEADERS (before node emits the response): every body whole, buffered and streamed', async () => {
    const srv = await rawH2Server(
      (c, id) => {
        const body = bodyFor(id);
        // HEADERS, DATA and END_STREAM of several streams land in one TLS record.
        void c.write(responseHead(id, 200, [['content-length', '1024'], ['x-stream', String(id)]]), dataFrame(id, body.subarray(0, 500)), dataFrame(id, body.subarray(500), true));
      },
      { tls: true },
    );
    cleanups.push(() => srv.close());
    const s = session({ tls: { ca: certs().caCert } });
    for (let round = 0; round < 3; round++) {
      const buffered = await Promise.all(Array.from({ length: 64 }, (_, k) => s.get(`${srv.url}/${round}/${k}`)));
      for (const r of buffered) assert.deepEqual(Buffer.from(r.bytes()), bodyFor(Number(r.headers.get('x-stream'))));
      const streamed = await Promise.all(
        Array.from({ length: 64 }, () => s.stream('GET', `${srv.url}/s`).then(async (r) => [Number(r.headers.get('x-stream')), Buffer.from(await r.bytes())] as const)),
      );
      for (const [id, b] of streamed) assert.deepEqual(b, bodyFor(id));
    }
    assert.equal(srv.connections, 1);
  });
});
