/**
 * A raw HTTP/2 server for tests: it writes exact frames (RFC 9113 §4.1), so a
 * test can send what node:http2 servers never would — a reset before
 * END_STREAM, GOAWAY and END_STREAM in one read, CONTINUATION floods, bodies
 * that disagree with their content-length. Over TCP (h2c prior knowledge) or
 * TLS with ALPN `h2`. Header blocks use HPACK literal fields without
 * indexing and without Huffman coding (RFC 7541 §6.2.2), which any decoder
 * must accept. It reads the client's frames only as far as it must: the
 * preface, SETTINGS (answered with an ACK) and the HEADERS that open a
 * stream (handed to the test's script); every frame is recorded.
 */
import net from 'node:net';
import tls from 'node:tls';
import { certs } from './certs.js';

/** Frame types (RFC 9113 §6). */
export const FrameType = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
/** Frame flags. */
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;

/** One frame as the server read it from the client. */
export interface RawFrame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** A client connection as a script sees it. */
export interface RawConn {
  /** Every frame the client sent so far. */
  readonly frames: RawFrame[];
  /** Write bytes in one socket write (after the writes queued before it: scripts of several streams never interleave mid-frame). */
  write(...bufs: Buffer[]): Promise<void>;
  /** Write bytes in pieces of `size` bytes, one write per millisecond (so the client reads them apart), queued likewise. */
  writeSplit(size: number, ...bufs: Buffer[]): Promise<void>;
  /** Destroy the socket. */
  destroy(): void;
  /** Stop reading what the client sends (its frames pile up in its buffers). */
  pause(): void;
  /** Read again after {@link pause}. */
  resume(): void;
  /** Whether the socket is gone. */
  readonly destroyed: boolean;
}

/** Called for each stream the client opens (its HEADERS frame arrived). */
export type RawScript = (conn: RawConn, streamId: number) => void | Promise<void>;

export interface RawH2Server {
  /** `http://127.0.0.1:PORT` or `https://…`. */
  url: string;
  /** Streams the clients opened (requests seen). */
  streams: number;
  /** Connections accepted. */
  connections: number;
  /** Every connection's frames, in order of acceptance. */
  readonly conns: RawConn[];
  close(): Promise<void>;
}

function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1). */
function hpackInt(value: number, prefixBits: number, first: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([first | value]);
  const out = [first | max];
  let v = value - max;
  while (v >= 128) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

/** A header block of literal fields without indexing, new names, no Huffman (RFC 7541 §6.2.2). */
export function hpack(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(Buffer.from([0x00]), hpackInt(n.length, 7, 0), n, hpackInt(v.length, 7, 0), v);
  }
  return Buffer.concat(parts);
}

/** A HEADERS frame carrying `block` (END_HEADERS unless `endHeaders` is false). */
export function headersFrame(stream: number, block: Buffer, opts: { endStream?: boolean; endHeaders?: boolean } = {}): Buffer {
  const flags = (opts.endStream ? Flag.END_STREAM : 0) | (opts.endHeaders === false ? 0 : Flag.END_HEADERS);
  return frame(FrameType.HEADERS, flags, stream, block);
}

/** A response head: `:status` first, then `fields`, in one HEADERS frame. */
export function responseHead(stream: number, status: number, fields: ReadonlyArray<readonly [string, string]> = [], endStream = false): Buffer {
  return headersFrame(stream, hpack([[':status', String(status)], ...fields]), { endStream });
}

/** A CONTINUATION frame (RFC 9113 §6.10). */
export function continuationFrame(stream: number, block: Buffer, endHeaders: boolean): Buffer {
  return frame(FrameType.CONTINUATION, endHeaders ? Flag.END_HEADERS : 0, stream, block);
}

/** A DATA frame (RFC 9113 §6.1). */
export function dataFrame(stream: number, payload: Buffer | string, endStream = false): Buffer {
  return frame(FrameType.DATA, endStream ? Flag.END_STREAM : 0, stream, Buffer.from(payload));
}

/** RST_STREAM with an error code (RFC 9113 §6.4, §7). */
export function rstFrame(stream: number, code: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code, 0);
  return frame(FrameType.RST_STREAM, 0, stream, p);
}

/** GOAWAY (RFC 9113 §6.8). */
export function goawayFrame(lastStream: number, code: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(lastStream & 0x7fffffff, 0);
  p.writeUInt32BE(code, 4);
  return frame(FrameType.GOAWAY, 0, 0, p);
}

/** SETTINGS with `[id, value]` pairs (RFC 9113 §6.5). */
export function settingsFrame(pairs: ReadonlyArray<readonly [number, number]> = []): Buffer {
  const p = Buffer.alloc(6 * pairs.length);
  pairs.forEach(([id, value], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, p);
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** SETTINGS with the ACK flag (RFC 9113 §6.5.3). */
export function settingsAckFrame(): Buffer {
  return frame(FrameType.SETTINGS, Flag.ACK, 0);
}

/**
 * A reader of what an HTTP/2 client writes: checks the connection preface
 * (RFC 9113 §3.4; `onBadPreface` otherwise), then calls `onFrame` for each
 * complete frame, however the bytes are split.
 */
export function clientFrameReader(onFrame: (f: RawFrame) => void, onBadPreface: () => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  let prefaced = false;
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    if (!prefaced) {
      if (buf.length < PREFACE.length) return;
      if (!buf.subarray(0, PREFACE.length).equals(PREFACE)) {
        onBadPreface();
        return;
      }
      buf = buf.subarray(PREFACE.length);
      prefaced = true;
    }
    while (buf.length >= 9) {
      const len = buf.readUIntBE(0, 3);
      if (buf.length < 9 + len) break;
      const f: RawFrame = { type: buf[3]!, flags: buf[4]!, stream: buf.readUInt32BE(5) & 0x7fffffff, payload: buf.subarray(9, 9 + len) };
      buf = buf.subarray(9 + len);
      onFrame(f);
    }
  };
}
/** Every server dies after this long at the latest, whatever the test does. */
const MAX_LIFE_MS = 60_000;

/**
 * Start a raw HTTP/2 server on 127.0.0.1. `script` runs once per stream the
 * client opens. The server's SETTINGS (`settings`, default none) go out as
 * soon as a connection is accepted.
 */
export async function rawH2Server(
  script: RawScript,
  opts: {
    tls?: boolean;
    settings?: ReadonlyArray<readonly [number, number]>;
    /** Destroy connection number `index` (0 for the first) as soon as it is accepted (after the TLS handshake), before any frame. */
    refuse?: (index: number) => boolean;
  } = {},
): Promise<RawH2Server> {
  const sockets = new Set<net.Socket>();
  const state: RawH2Server = {
    url: '',
    streams: 0,
    connections: 0,
    conns: [],
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(life);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const onSocket = (sock: net.Socket): void => {
    const index = state.connections++;
    sockets.add(sock);
    if (opts.refuse?.(index)) {
      sock.on('error', () => {});
      sock.destroy();
      return;
    }
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    const frames: RawFrame[] = [];
    let queue = Promise.resolve();
    const enqueue = (job: () => void | Promise<void>): Promise<void> => (queue = queue.then(job));
    const conn: RawConn = {
      frames,
      write: (...bufs) =>
        enqueue(() => {
          if (!sock.destroyed) sock.write(Buffer.concat(bufs));
        }),
      writeSplit: (size, ...bufs) =>
        enqueue(async () => {
          const all = Buffer.concat(bufs);
          for (let i = 0; i < all.length && !sock.destroyed; i += size) {
            sock.write(all.subarray(i, i + size));
            await new Promise((r) => setTimeout(r, 1));
          }
        }),
      destroy: () => sock.destroy(),
      pause: () => sock.pause(),
      resume: () => sock.resume(),
      get destroyed() {
        return sock.destroyed;
      },
    };
    state.conns.push(conn);
    sock.write(settingsFrame(opts.settings));
    sock.on(
      'data',
      clientFrameReader(
        (f) => {
          frames.push(f);
          if (f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) === 0) sock.write(frame(FrameType.SETTINGS, Flag.ACK, 0));
          else if (f.type === FrameType.HEADERS) {
            state.streams++;
            void script(conn, f.stream);
          }
        },
        () => sock.destroy(),
      ),
    );
  };
  let server: net.Server;
  if (opts.tls) {
    const c = certs();
    server = tls.createServer({ key: c.serverKey, cert: c.serverCert, ALPNProtocols: ['h2'] }, onSocket);
  } else server = net.createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const life = setTimeout(() => void state.close(), MAX_LIFE_MS);
  life.unref();
  state.url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return state;
}

/** A frame of any type, flags and stream, with any payload (lengths are not checked: a test may send what no server should). */
export function rawFrame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  return frame(type, flags, stream, payload);
}

/** A DATA frame with the PADDED flag: Pad Length `padLength`, then `payload`, then that many zero octets (RFC 9113 §6.1). */
export function paddedDataFrame(stream: number, payload: Buffer | string, padLength: number, endStream = false): Buffer {
  const body = Buffer.from(payload);
  return frame(FrameType.DATA, 0x8 | (endStream ? Flag.END_STREAM : 0), stream, Buffer.concat([Buffer.from([padLength]), body, Buffer.alloc(padLength)]));
}

/**
 * A HEADERS frame with PADDED and/or PRIORITY (RFC 9113 §6.2): Pad Length,
 * then the 5 priority octets (exclusive bit, stream dependency, weight), then
 * `block`, then the padding.
 */
export function paddedHeadersFrame(
  stream: number,
  block: Buffer,
  opts: { padLength?: number; priority?: { dependency: number; weight: number; exclusive?: boolean }; endStream?: boolean; endHeaders?: boolean } = {},
): Buffer {
  const parts: Buffer[] = [];
  let flags = (opts.endStream ? Flag.END_STREAM : 0) | (opts.endHeaders === false ? 0 : Flag.END_HEADERS);
  if (opts.padLength !== undefined) {
    flags |= 0x8;
    parts.push(Buffer.from([opts.padLength]));
  }
  if (opts.priority !== undefined) {
    flags |= 0x20;
    const p = Buffer.alloc(5);
    p.writeUInt32BE(((opts.priority.exclusive ? 0x80000000 : 0) | (opts.priority.dependency & 0x7fffffff)) >>> 0, 0);
    p[4] = opts.priority.weight;
    parts.push(p);
  }
  parts.push(block);
  if (opts.padLength !== undefined) parts.push(Buffer.alloc(opts.padLength));
  return frame(FrameType.HEADERS, flags, stream, Buffer.concat(parts));
}

/** PING (or its ACK) with 8 octets of opaque data (RFC 9113 §6.7). */
export function pingFrame(data: Buffer, ack = false): Buffer {
  return frame(FrameType.PING, ack ? Flag.ACK : 0, 0, data);
}

/** WINDOW_UPDATE with `increment` (reserved bit clear; RFC 9113 §6.9). */
export function windowUpdateFrame(stream: number, increment: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(increment & 0x7fffffff, 0);
  return frame(FrameType.WINDOW_UPDATE, 0, stream, p);
}
