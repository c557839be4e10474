/**
 * The bodies buffered Responses keep (ResponseBuilder): small ones copied
 * into shared slabs, each its own bytes (no overlap, intact after many more
 * responses), large ones in their own buffer, over a real keep-alive connection.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Response } from '../../src/index.js';
import { useHarness } from '../helpers/engine.js';
import { rawServer } from '../helpers/servers.js';

const h = useHarness();

/** Body of request `i`: `size(i)` bytes, each `(i * 7 + k) & 255`. */
function bodyOf(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let k = 0; k < size; k++) b[k] = (i * 7 + k) & 255;
  return b;
}

test('small bodies share slabs without overlapping; each stays intact while others are made and changed', async () => {
  // Sizes that are not multiples of 8 and that cross slab ends (16 KiB) at different offsets.
  const sizes = Array.from({ length: 120 }, (_, i) => [1, 13, 700, 1021, 2049, 4095][i % 6]!);
  const srv = h.server(
    await rawServer((socket, _head, _conn, i) => {
      const body = bodyOf(i, sizes[i]!);
      socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]));
    }),
  );
  const s = h.session({ baseUrl: srv.url });
  const kept: Response[] = [];
  for (let i = 0; i < sizes.length; i++) kept.push(await s.get('/'));
  const buffers = new Set<ArrayBufferLike>();
  for (let i = 0; i < kept.length; i++) {
    const b = kept[i]!.body;
    assert.equal(b.byteLength, sizes[i]);
    assert.ok(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(bodyOf(i, sizes[i]!)), `body ${i} intact`);
    buffers.add(b.buffer);
  }
  const total = sizes.reduce((a, n) => a + n, 0);
  assert.ok(buffers.size < kept.length / 2, `${kept.length} small bodies in ${buffers.size} ArrayBuffers`);
  assert.ok(buffers.size >= Math.ceil(total / (16 * 1024)), 'no slab holds more than its size');
  // Scribble over every body: none reaches another.
  for (const r of kept) r.body.fill(0xee);
  for (const r of kept) assert.ok(r.body.every((x) => x === 0xee));
});

test('a body of 4 KiB or more is not put in a shared slab', async () => {
  const big = bodyOf(3, 5000);
  const srv = h.server(
    await rawServer((socket) => {
      // Head and body in one write: the body arrives as a view of a read that also holds the head.
      socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`, 'latin1'), big]));
    }),
  );
  const s = h.session({ baseUrl: srv.url });
  const a = await s.get('/');
  const b = await s.get('/');
  assert.ok(Buffer.from(a.body).equals(big));
  assert.ok(Buffer.from(b.body).equals(big));
  assert.notEqual(a.body.buffer, b.body.buffer);
  assert.ok(a.body.buffer.byteLength < 2 * big.length, `a ${a.body.buffer.byteLength}-byte ArrayBuffer for a ${big.length}-byte body`);
});
