/**
 * A compressed body read slowly through a StreamResponse must not be
 * inflated into memory ahead of the reader: the decoder pauses zlib, not
 * only the socket.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { Session } from '../../src/index.js';
import { httpServer, sleep, type TestServer } from '../helpers/servers.js';

const DECODED = 256 * 1024 * 1024; // 256 MiB of zeros, ~250 KiB gzipped
let server: TestServer;
let gz: Buffer;

before(async () => {
  gz = zlib.gzipSync(Buffer.alloc(DECODED), { level: 9 });
  server = await httpServer((_req, res) => {
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': gz.length });
    res.end(gz);
  });
});
after(() => server.close());

test('a slow reader of a gzip stream bounds the inflated bytes held in memory', async () => {
  const session = new Session({ baseUrl: server.url });
  try {
    let inflated = 0; // decoded bytes handed to the response so far (progress counts after decoding)
    const res = await session.stream('GET', '/bomb', { onDownloadProgress: (p) => (inflated = p.loaded) });
    const it = res[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.done, false);
    await sleep(400); // the reader stalls; unbounded inflation would reach 256 MiB here
    if (process.env.SHOW) console.log('inflated MiB', inflated / 1048576);
    assert.ok(inflated < 4 * 1024 * 1024, `inflated ahead of the reader: ${(inflated / 1048576).toFixed(1)} MiB`);
    // Reading on still works, and the data is what was sent.
    let total = (first.value as Uint8Array).byteLength;
    for (let i = 0; i < 50; i++) {
      const r = await it.next();
      if (r.done) break;
      assert.ok((r.value as Uint8Array).every((b) => b === 0));
      total += (r.value as Uint8Array).byteLength;
    }
    assert.ok(total > 0);
    await res.close();
  } finally {
    await session.close();
  }
});
