/**
 * HTTP/1.1 connections that read into the one shared read buffer (plain
 * HTTP, see route.test.ts): the parser works on views of it, a buffered body
 * copies each chunk once (into one buffer of its Content-Length when it has
 * one) and every other sink gets bytes of its own. Against a raw server that
 * writes each response in small pieces, a turn of the event loop apart, on
 * many connections at once, so every read of one connection lands in the
 * buffer another connection's bytes were just in: a body that kept a view
 * would come out with another response's bytes in it.
 */
import assert from 'node:assert/strict';
import type net from 'node:net';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { prng, useHarness } from '../helpers/engine.js';
import { seededBytes, tcpServer } from '../helpers/servers.js';

const h = useHarness();

/** Framings the server can give a body, named by the first path segment. */
type Kind = 'length' | 'chunked' | 'close' | 'gzip';

/** The body of `/<kind>/<size>/<seed>`: the same bytes for the same path, different for each seed. */
function bodyOf(size: number, seed: number): Buffer {
  return seededBytes(size, seed * 7919 + size);
}

/** Write `data` in pieces of 1 to `max` bytes, a turn of the event loop apart (bounded: at most data.length pieces). */
async function trickle(socket: net.Socket, data: Buffer, rnd: () => number, max: number): Promise<void> {
  for (let at = 0; at < data.length && !socket.destroyed; ) {
    const n = Math.min(data.length - at, 1 + Math.floor(rnd() * max));
    socket.write(data.subarray(at, at + n));
    at += n;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function wire(kind: Kind, body: Buffer, rnd: () => number): Buffer {
  switch (kind) {
    case 'length':
      return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
    case 'gzip': {
      const z = zlib.gzipSync(body);
      return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${z.length}\r\n\r\n`, 'latin1'), z]);
    }
    case 'close':
      return Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n', 'latin1'), body]);
    case 'chunked': {
      const parts: Buffer[] = [Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'latin1')];
      for (let at = 0; at < body.length; ) {
        const n = Math.min(body.length - at, 1 + Math.floor(rnd() * 3000));
        parts.push(Buffer.from(`${n.toString(16)}\r\n`, 'latin1'), body.subarray(at, at + n), Buffer.from('\r\n', 'latin1'));
        at += n;
      }
      parts.push(Buffer.from('0\r\nX-Trailer: t\r\n\r\n', 'latin1'));
      return Buffer.concat(parts);
    }
  }
}

/** A raw server answering `GET /<kind>/<size>/<seed>` requests in trickled pieces, one request at a time per connection. */
async function trickleServer(maxPiece: number) {
  return h.server(
    await tcpServer((socket, index) => {
      const rnd = prng(1000 + index);
      let buf = '';
      let busy = false;
      const next = async (): Promise<void> => {
        if (busy) return;
        busy = true;
        let end: number;
        while ((end = buf.indexOf('\r\n\r\n')) !== -1 && !socket.destroyed) {
          const line = buf.slice(0, buf.indexOf('\r\n'));
          buf = buf.slice(end + 4);
          const [kind, size, seed] = line.split(' ')[1]!.split('/').slice(1) as [Kind, string, string];
          await trickle(socket, wire(kind, bodyOf(Number(size), Number(seed)), rnd), rnd, maxPiece);
          if (kind === 'close') socket.end();
        }
        busy = false;
      };
      socket.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        void next();
      });
    }),
  );
}

describe('HTTP/1.1 over the shared read buffer', () => {
  test('buffered bodies of every framing and size stay intact while other connections read into the same buffer', async () => {
    const srv = await trickleServer(20_000);
    const s = h.session({ pool: { maxConnectionsPerOrigin: 8 } });
    const kinds: Kind[] = ['length', 'chunked', 'close', 'gzip'];
    const sizes = [0, 1, 7, 1024, 4095, 4096, 4097, 65_536, 300_000];
    const jobs: Array<Promise<void>> = [];
    let seed = 0;
    for (const kind of kinds) {
      for (const size of sizes) {
        const mySeed = ++seed;
        jobs.push(
          (async () => {
            const res = await s.get(`${srv.url}/${kind}/${size}/${mySeed}`);
            assert.equal(res.status, 200);
            const want = bodyOf(size, mySeed);
            assert.equal(res.body.length, size, `${kind} ${size}: length`);
            assert.ok(Buffer.from(res.body).equals(want), `${kind} ${size}: the bytes of another response got in`);
          })(),
        );
      }
    }
    await Promise.all(jobs);
    // The bodies were read while other reads went on: they must not change afterwards either.
    const again = await s.get(`${srv.url}/length/70000/999`);
    const kept = Buffer.from(again.body);
    await Promise.all(Array.from({ length: 8 }, (_, i) => s.get(`${srv.url}/length/70000/${2000 + i}`)));
    assert.ok(Buffer.from(again.body).equals(kept), 'a kept body changed when later reads reused the buffer');
    assert.ok(kept.equals(bodyOf(70000, 999)));
  });

  test('responses written one to three bytes at a time: heads, chunk lines and bodies split at nearly every byte', async () => {
    const srv = await trickleServer(3);
    const s = h.session({ pool: { maxConnectionsPerOrigin: 4 } });
    const jobs: Array<Promise<void>> = [];
    let seed = 500;
    for (const kind of ['length', 'chunked', 'close', 'gzip'] as const) {
      for (const size of [0, 1, 60, 4500]) {
        const mySeed = ++seed;
        jobs.push(
          (async () => {
            const res = await s.get(`${srv.url}/${kind}/${size}/${mySeed}`);
            assert.ok(Buffer.from(res.body).equals(bodyOf(size, mySeed)), `${kind} ${size}`);
          })(),
        );
      }
    }
    await Promise.all(jobs);
  });

  test('download progress, streamed bodies read slowly and many small bodies at once', async () => {
    const srv = await trickleServer(5_000);
    const s = h.session({ pool: { maxConnectionsPerOrigin: 6 } });
    const jobs: Array<Promise<void>> = [];
    for (let i = 0; i < 6; i++) {
      // Progress wraps the buffered body: it may see views, the body keeps copies.
      jobs.push(
        (async () => {
          let last = 0;
          const res = await s.get(`${srv.url}/length/200000/${100 + i}`, { onDownloadProgress: (p: { loaded: number }) => void (last = p.loaded) });
          assert.equal(last, 200_000);
          assert.ok(Buffer.from(res.body).equals(bodyOf(200_000, 100 + i)), `progress ${i}`);
        })(),
      );
      // A streamed body is queued for its reader: its chunks must be its own.
      jobs.push(
        (async () => {
          const kind: Kind = i % 2 === 0 ? 'chunked' : 'length';
          const res = await s.stream('GET', `${srv.url}/${kind}/150000/${200 + i}`);
          const parts: Buffer[] = [];
          for await (const c of res) {
            parts.push(Buffer.from(c));
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          assert.ok(Buffer.concat(parts).equals(bodyOf(150_000, 200 + i)), `stream ${kind} ${i}`);
        })(),
      );
      for (let j = 0; j < 10; j++) {
        jobs.push(
          (async () => {
            const res = await s.get(`${srv.url}/length/${100 + j}/${300 + i * 10 + j}`);
            assert.ok(Buffer.from(res.body).equals(bodyOf(100 + j, 300 + i * 10 + j)), `small ${i}.${j}`);
          })(),
        );
      }
    }
    await Promise.all(jobs);
  });
});
