/**
 * The readers that take a StreamResponse's chunks as they arrive
 * (client/body-tap.ts): BodyCollector, behind `bytes()`, gathers exactly
 * the bytes it was given, one chunk without a copy; BodyIterator, behind
 * `for await`, hands over queued chunks, then the end or the error in order.
 * The collector is driven directly; the iterator against raw servers
 * writing exact bytes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BodyCollector } from '../../src/client/body-tap.js';
import { NetworkError } from '../../src/index.js';
import { useHarness } from '../helpers/engine.js';
import { rawServer, waitFor } from '../helpers/servers.js';

const h = useHarness();

/** A promise and its settling functions (Promise.withResolvers is newer than Node 20). */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

/** Feed `chunks` to a collector, end it, and return what it resolved to. */
async function collect(chunks: Buffer[]): Promise<Buffer> {
  const { promise, resolve, reject } = deferred<Buffer>();
  const c = new BodyCollector(resolve, reject, () => new Error('closed'));
  for (const chunk of chunks) assert.equal(c.chunk(chunk), true, 'the collector takes every chunk');
  c.end();
  return promise;
}

function pieces(total: number, size: number): Buffer[] {
  const body = Buffer.alloc(total);
  for (let i = 0; i < total; i++) body[i] = (i * 7 + 3) & 0xff;
  const out: Buffer[] = [];
  for (let i = 0; i < total; i += size) out.push(body.subarray(i, Math.min(total, i + size)));
  return out;
}

describe('BodyCollector', () => {
  test('one chunk is returned as it is, without a copy', async () => {
    const only = Buffer.from('hello');
    assert.equal(await collect([only]), only);
  });

  test('no chunk: an empty body', async () => {
    assert.equal((await collect([])).length, 0);
  });

  test('many chunks: joined once, every byte in order, in a buffer of its own', async () => {
    const parts = pieces(100_000, 4096);
    const want = Buffer.concat(parts);
    const got = await collect(parts);
    assert.ok(got.equals(want));
    assert.equal(got.byteOffset, 0);
    assert.equal(got.buffer.byteLength, want.length, 'the buffer holds the body and nothing else');
    assert.ok((await collect(pieces(3, 2))).equals(Buffer.concat(pieces(3, 2))), 'two chunks');
  });

  test('an error or a close rejects; nothing is resolved', async () => {
    const failed = deferred<Buffer>();
    const c1 = new BodyCollector(failed.resolve, failed.reject, () => new Error('closed'));
    c1.chunk(Buffer.from('abc'));
    c1.chunk(Buffer.from('def'));
    c1.error(new Error('boom'));
    await assert.rejects(failed.promise, /boom/);
    const closed = deferred<Buffer>();
    const c2 = new BodyCollector(closed.resolve, closed.reject, () => new Error('closed early'));
    c2.chunk(Buffer.from('abc'));
    c2.closed();
    await assert.rejects(closed.promise, /closed early/);
  });
});

describe('BodyIterator (for await over a StreamResponse)', () => {
  test('chunks queued before the loop started come first, in order, then the rest, then done', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nfirst;');
        setTimeout(() => socket.write('second'), 60);
      }),
    );
    const s = h.session();
    const res = await s.stream('GET', `${srv.url}/`);
    await new Promise((r) => setTimeout(r, 20)); // 'first;' is queued now
    const parts: string[] = [];
    for await (const chunk of res) parts.push(Buffer.from(chunk).toString());
    assert.equal(parts.join(''), 'first;second');
    assert.equal(res.complete, true);
  });

  test('a connection lost while next() waits: the loop throws a NetworkError, after the bytes that came', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart');
        setTimeout(() => socket.destroy(), 60);
      }),
    );
    const s = h.session();
    const res = await s.stream('GET', `${srv.url}/`);
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of res) got.push(Buffer.from(chunk).toString());
      })(),
      (e: unknown) => e instanceof NetworkError && /before the response body ended/.test((e as Error).message),
    );
    assert.deepEqual(got, ['part']);
  });

  test('an error that came while nobody waited is thrown once the queued chunks were taken', async () => {
    const srv = h.server(
      await rawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nearly');
        setTimeout(() => socket.destroy(), 30);
      }),
    );
    const s = h.session();
    const res = await s.stream('GET', `${srv.url}/`);
    const it = res[Symbol.asyncIterator]();
    await waitFor(() => res.complete, 2000, 'the body to fail');
    const first = await it.next();
    assert.equal(first.done, false);
    assert.equal(Buffer.from(first.value as Uint8Array).toString(), 'early');
    await assert.rejects(it.next(), NetworkError);
    assert.equal((await it.next()).done, true, 'over after the error');
  });

  test('the body is claimed on the first next(), as by a generator; a second reader fails there', async () => {
    const srv = h.server(await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')));
    const s = h.session();
    const res = await s.stream('GET', `${srv.url}/`);
    const unused = res[Symbol.asyncIterator]();
    assert.equal(await res.text(), 'ok', 'making an iterator claims nothing');
    await assert.rejects(unused.next(), /already consumed/);
    assert.equal((await unused.next()).done, true);
  });
});
