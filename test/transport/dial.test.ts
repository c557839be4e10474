import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { connect } from '../../src/transport/dial.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups } = useSessions();

async function tcpListener(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
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
