/**
 * The floor: not a usable client, the limit the others are measured against.
 * One bare `node:net` socket per connection writes a canned request and frames
 * the reply by Content-Length only (no header parsing beyond that, no
 * chunked, no errors worth the name). Every real client's CPU per request is
 * reported as a ratio to this one's (issue 16).
 * @module
 */
import net from 'node:net';
import type { Body, Client } from './clients.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const RE_LENGTH = /\r\ncontent-length: *(\d+)/i;

/** The reply being read on one socket. */
interface Pending {
  /** Body bytes still expected, -1 while the head is incomplete. */
  left: number;
  /** Head bytes gathered while the head is incomplete. */
  head: Buffer | null;
  chunks: Buffer[];
  /** Chunks go here instead of `chunks` (stream). */
  onChunk: ((chunk: Uint8Array) => void) | null;
  status: number;
  resolve(body: Body): void;
  reject(err: Error): void;
}

/** One connection: a socket and the reply it is reading. */
class FloorConn {
  readonly socket: net.Socket;
  pending: Pending | null = null;

  constructor(port: number, onFree: (c: FloorConn) => void, onGone: (c: FloorConn) => void) {
    this.socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => {
      const p = this.pending;
      if (p === null) return;
      if (p.left === -1) {
        const buf = p.head === null ? chunk : Buffer.concat([p.head, chunk]);
        const end = buf.indexOf(CRLFCRLF);
        if (end === -1) {
          p.head = buf;
          return;
        }
        const head = buf.toString('latin1', 0, end + 2);
        p.status = Number(head.slice(9, 12));
        const m = RE_LENGTH.exec(head);
        p.left = m === null ? 0 : Number(m[1]);
        p.head = null;
        chunk = buf.subarray(end + 4);
      }
      if (chunk.length > 0) {
        p.left -= chunk.length;
        if (p.onChunk !== null) p.onChunk(chunk);
        else p.chunks.push(chunk);
      }
      if (p.left <= 0) {
        this.pending = null;
        const c = p.chunks;
        if (p.status !== 200) p.reject(new Error(`floor: status ${p.status}`));
        else p.resolve(c.length === 1 ? c[0]! : Buffer.concat(c));
        onFree(this);
      }
    });
    const gone = (err?: Error): void => {
      const p = this.pending;
      this.pending = null;
      onGone(this);
      if (p !== null) p.reject(err ?? new Error('floor: connection closed'));
    };
    this.socket.on('error', gone);
    this.socket.on('close', () => gone());
  }
}

/** A floor client on `connections` sockets to `origin` (http://127.0.0.1:port). */
export async function createFloor(origin: string, connections: number): Promise<Client> {
  const port = Number(new URL(origin).port);
  const idle: FloorConn[] = [];
  const all = new Set<FloorConn>();
  const waiting: ((c: FloorConn) => void)[] = [];
  const onFree = (c: FloorConn): void => {
    const w = waiting.shift();
    if (w !== undefined) w(c);
    else idle.push(c);
  };
  const onGone = (c: FloorConn): void => {
    all.delete(c);
    const i = idle.indexOf(c);
    if (i !== -1) idle.splice(i, 1);
  };
  const acquire = (): Promise<FloorConn> | FloorConn => {
    const c = idle.pop();
    if (c !== undefined) return c;
    if (all.size < connections) {
      const n = new FloorConn(port, onFree, onGone);
      all.add(n);
      return n;
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const send = async (request: Buffer | string, body: Buffer | null, onChunk: Pending['onChunk']): Promise<Body> => {
    const c = await acquire();
    return new Promise<Body>((resolve, reject) => {
      c.pending = { left: -1, head: null, chunks: [], onChunk, status: 0, resolve, reject };
      if (body === null) c.socket.write(request);
      else {
        c.socket.cork();
        c.socket.write(request);
        c.socket.write(body);
        c.socket.uncork();
      }
    });
  };
  const getHead = (path: string): string => `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`;
  return {
    name: 'floor',
    get: (path) => send(getHead(path), null, null),
    post: (path, data) =>
      send(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${data.length}\r\n\r\n`, data, null),
    async stream(path, onChunk) {
      await send(getHead(path), null, onChunk);
    },
    async keep(path) {
      const body = await send(getHead(path), null, null);
      return { kept: body, body };
    },
    async close() {
      for (const c of all) c.socket.destroy();
      all.clear();
      idle.length = 0;
    },
  };
}
