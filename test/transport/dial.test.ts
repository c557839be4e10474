import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import type { Connection } from '../../src/transport/connection.js';
import { connect } from '../../src/transport/dial.js';
import { sleep, waitFor } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups } = useSessions();

/** A TCP server on 127.0.0.1 for the test's life; `onSocket` gets each accepted socket. */
async function tcpListener(onSocket: (s: net.Socket) => void = () => {}): Promise<number> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  );
  return (srv.address() as net.AddressInfo).port;
}

describe('connect()', () => {
  test('an open connection keeps none of the dialling listeners (a literal IP emits no lookup: its listener would pin the whole dial scope)', async () => {
    const port = await tcpListener();
    for (const host of ['127.0.0.1', 'localhost']) {
      const conn = await connect({ secure: false, host, port, connectTimeoutMs: 5_000 });
      try {
        const s = conn.socket;
        for (const event of ['lookup', 'connect', 'secureConnect']) assert.equal(s.listenerCount(event), 0, `${host}: '${event}' listeners left`);
        // Only the Connection's own error listener stays (Node adds none).
        assert.equal(s.listenerCount('error'), 1, `${host}: 'error' listeners`);
      } finally {
        conn.destroy();
      }
    }
  });
});

describe('connect({ borrowedReads: true }): reads into one shared buffer', () => {
  /** A server that writes `chunks` to each connection once the client sent a byte, one per `write()`, 5 ms apart. */
  function writer(chunks: Buffer[]): Promise<number> {
    return tcpListener((s) => {
      let i = 0;
      const next = (): void => {
        if (i < chunks.length && !s.destroyed) s.write(chunks[i++]!, () => setTimeout(next, 5));
      };
      s.once('data', next);
    });
  }

  const chunks = [Buffer.from('first chunk'), Buffer.alloc(3000, 0x62), Buffer.from('last')];

  /** Collect what the sink is given until `total` bytes came; `borrows` says whether it takes views. */
  function collect(conn: Connection, borrows: boolean, total: number): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      const got: Buffer[] = [];
      let n = 0;
      conn.sink = {
        borrowsReads: borrows,
        onData(_c, data) {
          got.push(data);
          n += data.length;
          if (n >= total) resolve(got);
        },
        onClose: (_c, err) => reject(err ?? new Error('closed early')),
        onTimeout() {},
      };
    });
  }

  test('a sink that does not borrow gets bytes of its own; one that borrows gets views of one buffer, shared by connections', async () => {
    const port = await writer(chunks);
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const a = await connect({ secure: false, host: '127.0.0.1', port, connectTimeoutMs: 5_000, borrowedReads: true });
    const b = await connect({ secure: false, host: '127.0.0.1', port, connectTimeoutMs: 5_000, borrowedReads: true });
    try {
      assert.equal(a.readsBorrowed, true);
      assert.equal(a.socket.listenerCount('data'), 0, "no 'data' listener: it would make pause() powerless");
      const both = Promise.all([collect(a, false, total), collect(b, true, total)]);
      a.socket.write('go');
      b.socket.write('go');
      const [own, views] = await both;
      // Kept as given, the copies still hold what was sent.
      assert.deepEqual(Buffer.concat(own), Buffer.concat(chunks));
      const buffers = new Set(views.map((v) => v.buffer));
      assert.equal(buffers.size, 1, 'every view is of the one shared buffer');
      assert.ok(!own.some((o) => buffers.has(o.buffer)), 'no copy is a view of the shared buffer');
      // Handed over, its bytes would never come as 'data': refused rather than lost.
      assert.throws(() => a.detach(), /cannot be handed over/);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  test('pause() stops reading and resume() goes on; a plain connection is untouched', async () => {
    const port = await writer(chunks);
    const conn = await connect({ secure: false, host: '127.0.0.1', port, connectTimeoutMs: 5_000, borrowedReads: true });
    const plain = await connect({ secure: false, host: '127.0.0.1', port, connectTimeoutMs: 5_000 });
    try {
      assert.equal(plain.readsBorrowed, false);
      assert.equal(plain.socket.listenerCount('data'), 1);
      conn.socket.pause();
      const got: Buffer[] = [];
      conn.sink = { borrowsReads: false, onData: (_c, d) => void got.push(d), onClose() {}, onTimeout() {} };
      conn.socket.write('go');
      await sleep(100);
      assert.equal(got.length, 0, 'nothing read while paused');
      conn.socket.resume();
      const total = chunks.reduce((n, c) => n + c.length, 0);
      await waitFor(() => got.reduce((n, c) => n + c.length, 0) >= total, 2000, 'every chunk');
      assert.deepEqual(Buffer.concat(got), Buffer.concat(chunks));
    } finally {
      conn.destroy();
      plain.destroy();
    }
  });
});
