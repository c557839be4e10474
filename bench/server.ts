/**
 * The bench server, run as its own process (see server-process.ts): a raw
 * `node:net` server that answers keep-alive, possibly pipelined HTTP/1.1
 * requests with canned responses, so the client is what is measured.
 *
 * - `GET /1k`, `GET /64k`: fixed bodies (bodies.ts), one write each.
 * - `GET /64m`: 64 MiB, the 64 KiB block repeated 1,024 times, prebuilt once and
 *   written with one `write()` (libuv drains it into the socket).
 * - `POST /echo-len`: reads the body (Content-Length or chunked), answers its length.
 * - `POST /echo-sha1`: same, answers the body's hex SHA-1 (the sampled check).
 *
 * It parses only what it needs: the end of the head, the request line,
 * Content-Length, Transfer-Encoding: chunked and Connection: close. Over IPC
 * (server-ipc.ts) it answers `{ cmd: 'stats' }` with the connections and
 * requests it has seen so far and its own CPU time.
 * @module
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { BLOCK, BODIES, STREAM_SIZE } from './bodies.js';
import { requireIpc, serveOverIpc } from './server-ipc.js';

/** What the server tells the parent when asked. Counters only grow. */
export interface ServerStats {
  connections: number;
  requests: number;
  /** Server process CPU time (user + system), microseconds. */
  cpuMicros: number;
}

/** A request bigger than this is refused: the bench never sends one. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
const RE_CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const RE_CHUNKED = /\r\ntransfer-encoding:[ \t]*[^\r]*chunked/i;
const RE_CLOSE = /\r\nconnection:[ \t]*close/i;

function head(status: string, length: number, type: string): string {
  return `HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\nKeep-Alive: timeout=60\r\n\r\n`;
}

/** Head and body of each fixed response in one buffer, so each is a single write. */
const CANNED = new Map<string, Buffer>();
for (const [path, body] of Object.entries(BODIES)) {
  CANNED.set(path, Buffer.concat([Buffer.from(head('200 OK', body.length, 'application/octet-stream'), 'latin1'), body]));
}
const STREAM_HEAD = Buffer.from(head('200 OK', STREAM_SIZE, 'application/octet-stream'), 'latin1');
const NOT_FOUND = Buffer.from(head('404 Not Found', 9, 'text/plain') + 'not found', 'latin1');
const TOO_LARGE = Buffer.from(
  'HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
  'latin1',
);
const echoCache = new Map<number, Buffer>();

function textResponse(text: string): Buffer {
  return Buffer.from(head('200 OK', Buffer.byteLength(text), 'text/plain') + text, 'latin1');
}

function echoLength(n: number): Buffer {
  let r = echoCache.get(n);
  if (r === undefined) {
    r = textResponse(String(n));
    if (echoCache.size < 64) echoCache.set(n, r);
  }
  return r;
}

const stats: ServerStats = { connections: 0, requests: 0, cpuMicros: 0 };

/** Per-connection state. */
interface Conn {
  socket: net.Socket;
  /** Bytes received and not yet consumed, or null. */
  pending: Buffer | null;
  /** A 64 MiB response is being written: parse nothing until it is done. */
  busy: boolean;
}

/** Where a chunked body ends (index just past it) and its data, or null while incomplete; -1 end on bad framing. */
function parseChunked(buf: Buffer, start: number, pieces: Buffer[]): number | null {
  let p = start;
  // Each iteration consumes one chunk, so this ends within buf.length steps.
  while (p < buf.length) {
    const lineEnd = buf.indexOf(CRLF, p);
    if (lineEnd === -1) return null;
    const line = buf.toString('latin1', p, lineEnd);
    const semi = line.indexOf(';');
    const size = Number.parseInt(semi === -1 ? line : line.slice(0, semi), 16);
    if (!Number.isFinite(size) || size < 0) return -1;
    if (size === 0) {
      if (buf.length < lineEnd + 4) return null;
      if (buf[lineEnd + 2] === 13 && buf[lineEnd + 3] === 10) return lineEnd + 4;
      const end = buf.indexOf(CRLFCRLF, lineEnd + 2);
      return end === -1 ? null : end + 4;
    }
    const dataStart = lineEnd + 2;
    if (buf.length < dataStart + size + 2) return null;
    pieces.push(buf.subarray(dataStart, dataStart + size));
    p = dataStart + size + 2;
  }
  return null;
}

function bodyLength(pieces: Buffer[]): number {
  let n = 0;
  for (const b of pieces) n += b.length;
  return n;
}

function bodySha1(pieces: Buffer[]): string {
  const h = createHash('sha1');
  for (const b of pieces) h.update(b);
  return h.digest('hex');
}

/**
 * The whole 64 MiB response (head and body) in one buffer, built on first use
 * and shared by every connection: one `write()` hands it to libuv, which
 * feeds the socket from it as fast as the kernel takes it, so pushing the
 * stream costs the server almost nothing in JavaScript and the client's
 * reading is what the scenario measures.
 */
let streamResponse: Buffer | null = null;

function streamBytes(): Buffer {
  if (streamResponse === null) {
    const parts: Buffer[] = [STREAM_HEAD];
    for (let i = 0; i < STREAM_SIZE / BLOCK.length; i++) parts.push(BLOCK);
    streamResponse = Buffer.concat(parts);
  }
  return streamResponse;
}

/** Write the 64 MiB response in one go; parse the next request once it is all flushed. */
function streamBody(conn: Conn, close: boolean): void {
  const socket = conn.socket;
  conn.busy = true;
  socket.write(streamBytes(), (err) => {
    if (err || socket.destroyed) return;
    conn.busy = false;
    if (close) socket.end();
    else handle(conn);
  });
}

/** Answer every complete request in `conn.pending`, in order. */
function handle(conn: Conn): void {
  const socket = conn.socket;
  socket.cork();
  try {
    // Each iteration consumes one whole request; it stops when the buffer
    // holds no complete request, so it is bounded by the bytes received.
    while (conn.pending !== null && !conn.busy && !socket.destroyed) {
      const buf = conn.pending;
      const headEnd = buf.indexOf(CRLFCRLF);
      if (headEnd === -1) {
        if (buf.length > MAX_REQUEST_BYTES) socket.end(TOO_LARGE);
        return;
      }
      const headText = buf.toString('latin1', 0, headEnd + 2);
      const sp1 = headText.indexOf(' ');
      const sp2 = headText.indexOf(' ', sp1 + 1);
      const method = headText.slice(0, sp1);
      let path = headText.slice(sp1 + 1, sp2);
      const q = path.indexOf('?');
      if (q !== -1) path = path.slice(0, q);
      const bodyStart = headEnd + 4;
      const pieces: Buffer[] = [];
      let end: number;
      if (RE_CHUNKED.test(headText)) {
        const e = parseChunked(buf, bodyStart, pieces);
        if (e === -1) {
          socket.destroy();
          return;
        }
        if (e === null) {
          if (buf.length > MAX_REQUEST_BYTES) socket.end(TOO_LARGE);
          return;
        }
        end = e;
      } else {
        const m = RE_CONTENT_LENGTH.exec(headText);
        const n = m ? Number(m[1]) : 0;
        if (n > MAX_REQUEST_BYTES) {
          socket.end(TOO_LARGE);
          return;
        }
        if (buf.length < bodyStart + n) return;
        if (n > 0) pieces.push(buf.subarray(bodyStart, bodyStart + n));
        end = bodyStart + n;
      }
      conn.pending = end === buf.length ? null : buf.subarray(end);
      stats.requests++;
      const close = RE_CLOSE.test(headText);
      if (method === 'GET' && path === '/64m') {
        streamBody(conn, close);
        return;
      }
      let res: Buffer | undefined;
      if (method === 'POST' && path === '/echo-len') res = echoLength(bodyLength(pieces));
      else if (method === 'POST' && path === '/echo-sha1') res = textResponse(bodySha1(pieces));
      else if (method === 'GET') res = CANNED.get(path);
      socket.write(res ?? NOT_FOUND);
      if (close) {
        socket.end();
        return;
      }
    }
  } finally {
    socket.uncork();
  }
}

function onConnection(socket: net.Socket): void {
  stats.connections++;
  socket.setNoDelay(true);
  const conn: Conn = { socket, pending: null, busy: false };
  socket.on('data', (chunk: Buffer) => {
    conn.pending = conn.pending === null ? chunk : Buffer.concat([conn.pending, chunk]);
    if (!conn.busy) handle(conn);
  });
  socket.on('error', () => socket.destroy());
}

/** Start listening on 127.0.0.1 and talk to the parent over IPC. */
function main(): void {
  requireIpc('bench/server.js');
  serveOverIpc(net.createServer({ noDelay: true }, onConnection), stats);
}

main();
