/**
 * The WebSocket floor (ws-bench.ts `--floor`): not a usable client, the limit
 * any Node client is measured against. One bare `node:net` socket does the
 * upgrade with a canned request, reads into one reused buffer (`onread`),
 * writes frames built (and masked) once in
 * advance, and counts echoed bytes instead of parsing frames (it knows each
 * echo's size). What it costs per message is Node's socket I/O and the
 * echo server; what a real client costs on top of it is its own work.
 * @module
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** One client's way of running the ws-bench scenarios; each call does `n` messages' worth of work. */
export interface WsDriver {
  name: string;
  /** Send one message and wait for its echo, `n` times. */
  roundTrips(msg: Buffer | string, n: number): Promise<void>;
  /** Send `batch` messages back to back, then wait for all echoes. */
  pipelined(msg: Buffer, batch: number): Promise<void>;
  close(): Promise<void>;
}

const UPGRADE_TIMEOUT_MS = 10_000;

/** A masked client frame carrying `msg` (text for a string). */
function clientFrame(msg: Buffer | string): Buffer {
  const payload = typeof msg === 'string' ? Buffer.from(msg, 'utf8') : msg;
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0, 0x80 | n]) : n < 65536 ? Buffer.from([0, 0x80 | 126, n >>> 8, n & 0xff]) : null;
  if (head === null) throw new Error('floor: message too large');
  head[0] = 0x80 | (typeof msg === 'string' ? 1 : 2);
  const key = randomBytes(4);
  const masked = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) masked[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([head, key, masked]);
}

/** Bytes of the server's (unmasked) echo of `msg`. */
function echoLength(msg: Buffer | string): number {
  const n = typeof msg === 'string' ? Buffer.byteLength(msg) : msg.length;
  return (n < 126 ? 2 : n < 65536 ? 4 : 10) + n;
}

/** A floor client on one connection to the echo server at `port`. */
export async function wsFloorDriver(port: number): Promise<WsDriver> {
  let received = 0;
  let target = 0;
  let wake: (() => void) | null = null;
  let head: Buffer | null = Buffer.alloc(0);
  let upgraded: ((err: Error | null) => void) | null = null;
  // Read into one reused buffer (`onread`): no Buffer and no stream work per read, the least Node can do.
  const onRead = (nread: number, buf: Uint8Array): boolean => {
    if (head !== null) {
      // Before the 101: gather the head; bytes after it are the first echoes (none are expected).
      head = Buffer.concat([head, buf.subarray(0, nread)]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return true;
      const ok = head.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101');
      received += head.length - end - 4;
      const status = head.subarray(0, 40).toString('latin1');
      head = null;
      upgraded?.(ok ? null : new Error(`floor: ${status}`));
      return true;
    }
    received += nread;
    if (wake !== null && received >= target) {
      const w = wake;
      wake = null;
      w();
    }
    return true;
  };
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true, onread: { buffer: Buffer.allocUnsafe(64 * 1024), callback: onRead } });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('floor: no upgrade response')), UPGRADE_TIMEOUT_MS);
    socket.once('error', reject);
    upgraded = (err) => {
      clearTimeout(timer);
      if (err !== null) reject(err);
      else resolve();
    };
    socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
  const frames = new Map<Buffer | string, Buffer>();
  const frameOf = (msg: Buffer | string): Buffer => {
    let f = frames.get(msg);
    if (f === undefined) frames.set(msg, (f = clientFrame(msg)));
    return f;
  };
  const until = (bytes: number): Promise<void> =>
    received >= bytes
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          target = bytes;
          wake = resolve;
        });
  return {
    name: 'floor',
    async roundTrips(msg, n) {
      const frame = frameOf(msg);
      const echo = echoLength(msg);
      for (let i = 0; i < n; i++) {
        const want = received + echo;
        socket.write(frame);
        await until(want);
      }
    },
    async pipelined(msg, batch) {
      const frame = frameOf(msg);
      const want = received + batch * echoLength(msg);
      socket.cork();
      for (let i = 0; i < batch; i++) socket.write(frame);
      socket.uncork();
      await until(want);
    },
    close: () =>
      new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.destroy();
      }),
  };
}
