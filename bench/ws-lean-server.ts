/**
 * A lean WebSocket echo server for ws-bench.ts (`--server=lean`, the
 * default): a bare `node:net` server that answers the upgrade, unmasks each
 * client frame and writes it back unmasked with its opcode and FIN bit, pongs
 * pings and echoes a close frame. It writes every echo of one read in one
 * system call and does no per-message work beyond the XOR, so it spends far
 * less per message than a `ws` server: what is left of a round trip is the
 * kernel's and the client's, and clients differ where they really do. Not a
 * conforming server (no UTF-8 check, no limits beyond a sanity cap): a
 * benchmark peer on 127.0.0.1.
 * @module
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { maskInPlace } from '../src/websocket/build.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Largest frame echoed: more is a broken client (the connection is dropped). */
const MAX_FRAME = 64 * 2 ** 20;
/** Largest upgrade request head. */
const MAX_HEAD = 16 * 1024;

/** One connection's state: bytes of a frame (or head) cut across reads, kept (copied) until it completes. */
interface LeanConn {
  socket: net.Socket;
  upgraded: boolean;
  carry: Buffer | null;
}

/** The echo frame (server side: never masked) for a client frame's payload, unmasked into `out` at `at`. */
function writeEcho(out: Buffer, at: number, b0: number, src: Buffer, payloadAt: number, n: number, key: number): number {
  out[at++] = b0;
  if (n < 126) out[at++] = n;
  else if (n < 65536) {
    out[at++] = 126;
    out.writeUInt16BE(n, at);
    at += 2;
  } else {
    out[at++] = 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), at);
    out.writeUInt32BE(n >>> 0, at + 4);
    at += 8;
  }
  src.copy(out, at, payloadAt, payloadAt + n);
  maskInPlace(out, at, at + n, src, key);
  return at + n;
}

/** Echo every complete frame in `buf`; returns the bytes consumed, or -1 to drop the connection. */
function echoFrames(c: LeanConn, buf: Buffer): number {
  let pos = 0;
  let outLen = 0;
  // First pass: how much output, so one buffer (one write) takes every echo of this read.
  const frames: number[] = [];
  while (buf.length - pos >= 2) {
    const b1 = buf[pos + 1]!;
    if ((b1 & 0x80) === 0) return -1; // a client frame must be masked
    let n = b1 & 0x7f;
    let hl = 2;
    if (n === 126) {
      if (buf.length - pos < 4) break;
      n = buf.readUInt16BE(pos + 2);
      hl = 4;
    } else if (n === 127) {
      if (buf.length - pos < 10) break;
      n = buf.readUInt32BE(pos + 2) * 2 ** 32 + buf.readUInt32BE(pos + 6);
      hl = 10;
    }
    if (n > MAX_FRAME) return -1;
    if (buf.length - pos < hl + 4 + n) break;
    frames.push(pos, hl, n);
    outLen += (n < 126 ? 2 : n < 65536 ? 4 : 10) + n;
    pos += hl + 4 + n;
  }
  if (frames.length === 0) return pos;
  const out = Buffer.allocUnsafe(outLen);
  let at = 0;
  let close = false;
  for (let i = 0; i < frames.length; i += 3) {
    const p = frames[i]!;
    const hl = frames[i + 1]!;
    const n = frames[i + 2]!;
    const b0 = buf[p]!;
    const opcode = b0 & 0x0f;
    // A ping is answered with a pong; a close frame is echoed, then the connection ends.
    const outB0 = opcode === 9 ? (b0 & 0xf0) | 10 : b0;
    at = writeEcho(out, at, outB0, buf, p + hl + 4, n, p + hl);
    if (opcode === 8) {
      close = true;
      break;
    }
  }
  c.socket.write(at === out.length ? out : out.subarray(0, at));
  if (close) c.socket.end();
  return pos;
}

function onHead(c: LeanConn, buf: Buffer): number {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return buf.length > MAX_HEAD ? -1 : 0;
  const head = buf.toString('latin1', 0, end);
  const m = /^sec-websocket-key:\s*(\S+)\s*$/im.exec(head);
  if (m === null) return -1;
  const accept = createHash('sha1').update(m[1]! + GUID).digest('base64');
  c.socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  c.upgraded = true;
  return end + 4;
}

/** Handle one read of `c`; an unfinished head or frame is kept for the next. */
function onBytes(c: LeanConn, data: Buffer): void {
  let buf = data;
  if (c.carry !== null) {
    buf = Buffer.concat([c.carry, data]);
    c.carry = null;
  }
  let pos = 0;
  if (!c.upgraded) {
    pos = onHead(c, buf);
    if (pos <= 0) {
      if (pos === -1) c.socket.destroy();
      else c.carry = buf;
      return;
    }
  }
  const used = echoFrames(c, pos === 0 ? buf : buf.subarray(pos));
  if (used === -1) {
    c.socket.destroy();
    return;
  }
  pos += used;
  if (pos < buf.length) c.carry = buf.subarray(pos);
}

/** Start the lean echo server on 127.0.0.1 (`port` 0: any free port). */
export function startLeanServer(port = 0): Promise<net.Server> {
  const server = net.createServer({ noDelay: true });
  server.on('connection', (socket) => {
    const c: LeanConn = { socket, upgraded: false, carry: null };
    socket.on('data', (d: Buffer) => onBytes(c, d));
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
