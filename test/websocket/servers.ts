/**
 * Peers for the WebSocket integration tests, all on 127.0.0.1 with port 0:
 * the `ws` package's server (an independent implementation), a raw
 * node:net server that answers the Upgrade by hand and then writes exact
 * bytes (for the broken-server cases), and a self-signed certificate made
 * with the openssl CLI. Every peer registers its own cleanup.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerOptions, type WebSocket as WsSocket, WebSocketServer } from 'ws';
import { FrameParser } from '../../src/websocket/frame.js';
import { acceptKey } from '../../src/websocket/handshake.js';
import { useSessions } from '../helpers/sessions.js';

// The shared cleanup and leak check (test/helpers/sessions.ts), installed in every file that imports this one.
const { cleanups } = useSessions();

/** Register a cleanup run after the current test (last in, first out). */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

export interface WsPeer {
  wss: WebSocketServer;
  url: string;
  port: number;
  /** Server-side sockets in connection order. */
  clients: WsSocket[];
  /** Request headers of each upgrade, lower-cased names. */
  requests: Array<Record<string, string | string[] | undefined>>;
  /** Resolves with the next server-side connection. */
  nextClient(): Promise<WsSocket>;
}

/** A `ws` server; `onConnection` defaults to echoing every message back with the same type. */
export async function wsServer(options: ServerOptions = {}, onConnection?: (s: WsSocket) => void, tlsOptions?: { cert: string; key: string }): Promise<WsPeer> {
  let server: https.Server | undefined;
  if (tlsOptions) {
    server = https.createServer(tlsOptions);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  }
  const wss = server ? new WebSocketServer({ ...options, server }) : new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  if (!server) await new Promise<void>((resolve) => wss.once('listening', resolve));
  const addr = (server ?? wss).address() as net.AddressInfo;
  const waiting: Array<(s: WsSocket) => void> = [];
  const peer: WsPeer = {
    wss,
    port: addr.port,
    url: `${tlsOptions ? 'wss' : 'ws'}://127.0.0.1:${addr.port}`,
    clients: [],
    requests: [],
    nextClient: () => new Promise((resolve) => waiting.push(resolve)),
  };
  wss.on('connection', (s, req) => {
    peer.clients.push(s);
    peer.requests.push(req.headers);
    s.on('error', () => {});
    if (onConnection) onConnection(s);
    else s.on('message', (data, isBinary) => s.send(data as Buffer, { binary: isBinary }));
    waiting.shift()?.(s);
  });
  onCleanup(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
  });
  return peer;
}

/** A frame the raw server received from the client (unmasked). */
export interface ClientFrame {
  opcode: number;
  fin: boolean;
  payload: Buffer;
}

export interface RawConn {
  socket: net.Socket;
  /** The Upgrade request head. */
  request: string;
  /** Frames received from the client so far. */
  frames: ClientFrame[];
  /** Resolves with the next frame from the client that has this opcode. */
  nextFrame(opcode: number): Promise<ClientFrame>;
  /** Resolves when the client closes TCP. */
  closed: Promise<void>;
}

export interface RawPeer {
  url: string;
  port: number;
  conns: RawConn[];
  nextConn(): Promise<RawConn>;
}

export interface RawServerOptions {
  /** Answer the Upgrade with this head instead of a correct 101 (`{accept}` is replaced by the right key). */
  response?: string;
  /** Never answer. */
  silent?: boolean;
  /** Extra lines for the 101 head. */
  extraHeaders?: string[];
  /** Do not answer the client's close frame (by default it is echoed and TCP closed, as a real server does). */
  ignoreClose?: boolean;
  /** Answer pings with pongs after this many ms (by default pings are not answered). */
  pongDelayMs?: number;
}

/**
 * A hand-written server: reads the Upgrade request, answers with a
 * handcrafted 101 (correct unless told otherwise), records the client's
 * frames (with reqivo's own parser, in server mode), then lets the test
 * write exact bytes.
 */
export async function rawServer(onConn: (c: RawConn) => void = () => {}, o: RawServerOptions = {}): Promise<RawPeer> {
  const sockets = new Set<net.Socket>();
  const waiting: Array<(c: RawConn) => void> = [];
  const peer: RawPeer = { url: '', port: 0, conns: [], nextConn: () => new Promise((resolve) => waiting.push(resolve)) };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let head = Buffer.alloc(0);
    let upgraded = false;
    let closedResolve!: () => void;
    const conn: RawConn = {
      socket,
      request: '',
      frames: [],
      nextFrame: (opcode) =>
        new Promise((resolve) => {
          const found = conn.frames.find((f) => f.opcode === opcode && !seen.has(f));
          if (found) {
            seen.add(found);
            resolve(found);
          } else frameWaiters.push({ opcode, resolve });
        }),
      closed: new Promise((resolve) => {
        closedResolve = resolve;
      }),
    };
    const seen = new Set<ClientFrame>();
    const frameWaiters: Array<{ opcode: number; resolve: (f: ClientFrame) => void }> = [];
    const parser = new FrameParser(
      {
        onDataFrame(opcode, fin, _c, payload) {
          push({ opcode, fin, payload: Buffer.from(payload) });
        },
        onControlFrame(opcode, payload) {
          push({ opcode, fin: true, payload: Buffer.from(payload) });
          if (opcode === 9 && o.pongDelayMs !== undefined) {
            const data = Buffer.from(payload);
            setTimeout(() => {
              if (!socket.destroyed) socket.write(serverFrame(10, data));
            }, o.pongDelayMs);
          }
          if (opcode === 8 && !o.ignoreClose && !socket.destroyed) {
            socket.end(serverFrame(8, payload.subarray(0, 2)));
          }
        },
      },
      { maxFrameBytes: 2 ** 30, maxMessageBytes: 2 ** 30, expectMasked: true },
    );
    parser.rsv1Allowed = true;
    const push = (f: ClientFrame): void => {
      conn.frames.push(f);
      const i = frameWaiters.findIndex((w) => w.opcode === f.opcode);
      if (i !== -1) {
        seen.add(f);
        frameWaiters.splice(i, 1)[0]!.resolve(f);
      }
    };
    socket.on('close', () => {
      sockets.delete(socket);
      closedResolve();
    });
    socket.on('data', (data) => {
      if (upgraded) {
        try {
          parser.execute(data);
        } catch {
          socket.destroy();
        }
        return;
      }
      head = Buffer.concat([head, data]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      upgraded = true;
      conn.request = head.subarray(0, end).toString('latin1');
      if (o.silent) return;
      const key = /^sec-websocket-key:\s*(\S+)/im.exec(conn.request)?.[1] ?? '';
      const response =
        o.response ??
        ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Accept: {accept}', ...(o.extraHeaders ?? []), '', ''].join('\r\n');
      socket.write(Buffer.from(response.replace('{accept}', acceptKey(key)), 'latin1'));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) parser.execute(rest);
      peer.conns.push(conn);
      onConn(conn);
      waiting.shift()?.(conn);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.port = (server.address() as net.AddressInfo).port;
  peer.url = `ws://127.0.0.1:${peer.port}`;
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return peer;
}

export interface ConnectProxy {
  url: string;
  /** Authorities asked for with CONNECT. */
  connects: string[];
}

/** A minimal HTTP proxy that only tunnels (CONNECT), counting what it tunnels. */
export async function connectProxy(): Promise<ConnectProxy> {
  const sockets = new Set<net.Socket>();
  const state: ConnectProxy = { url: '', connects: [] };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => {});
    client.on('close', () => sockets.delete(client));
    let head = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      client.removeListener('data', onData);
      const m = /^CONNECT (\S+):(\d+) HTTP\/1\.1/.exec(head.toString('latin1'));
      if (m === null) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      state.connects.push(`${m[1]}:${m[2]}`);
      const upstream = net.connect(Number(m[2]), m[1]!, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const rest = head.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => {
        sockets.delete(upstream);
        client.destroy();
      });
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

/** An unmasked server frame. */
export function serverFrame(opcode: number, payload: Uint8Array | string = '', fin = true, rsv1 = false): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const n = data.length;
  const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, data]);
}

/** A close frame payload. */
export function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}

let certCache: { cert: string; key: string } | null = null;

/** Whether the openssl CLI works here. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** A self-signed certificate for 127.0.0.1 and localhost (made once per process). */
export function selfSignedCert(): { cert: string; key: string } {
  if (certCache !== null) return certCache;
  const dir = mkdtempSync(join(tmpdir(), 'reqivo-ws-cert-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-days', '1'],
      { cwd: dir, stdio: 'pipe' },
    );
    certCache = { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
    return certCache;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wait until `cond()` holds, checking every 5 ms, at most `ms`. */
export async function waitFor(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
