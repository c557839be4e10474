/**
 * The HTTP/2 peers of the h2 scenarios (`h2-*`, over TLS to h2-server.ts),
 * each set up to keep every stream on one connection, trusting the bench's
 * test CA: plain `node:http2` (one session, as a user writes it), undici
 * `Client` with `allowH2`, undici `fetch` on an `allowH2` Agent with one
 * connection, got with `http2: true` (http2-wrapper), reqivo and reqivo
 * `fetch`. Only `get` is used; each checks the status (the scenario checks the
 * body, the server checks that every request came over one h2 session).
 * @module
 */
import http2 from 'node:http2';
import got from 'got';
import http2wrapper from 'http2-wrapper';
import { Agent, Client as UndiciClient, fetch as undiciFetch } from 'undici';
import type { Body, Client, ClientSpec, Kept } from './clients.js';

const IDLE_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Streams each client may run at once on its one connection (above every scenario's in-flight count). */
const STREAMS = 128;

function statusError(client: string, path: string, status: number): Error {
  return new Error(`${client}: ${path} answered status ${status}`);
}

function noCa(name: string): Error {
  return new Error(`${name}: the h2 scenarios need the bench CA`);
}

/** The parts of the surface the h2 scenarios never call. */
function unused(name: string): Pick<Client, 'post' | 'stream' | 'keep'> {
  const no = (): Promise<never> => Promise.reject(new Error(`${name}: only GET is measured over HTTP/2`));
  return { post: no, stream: no, keep: no as () => Promise<Kept> };
}

/** node:http2, one ClientHttp2Session, each body gathered from 'data' events and concatenated. */
async function createNodeHttp2(origin: string, _connections?: number, ca?: string): Promise<Client> {
  if (ca === undefined) throw noCa('node:http2');
  const session = http2.connect(origin, { ca });
  session.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  const get = (path: string): Promise<Body> =>
    new Promise((resolve, reject) => {
      const req = session.request({ ':path': path });
      let status = 0;
      const chunks: Buffer[] = [];
      let n = 0;
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.close(http2.constants.NGHTTP2_CANCEL));
      req.on('response', (headers) => {
        status = Number(headers[':status']);
      });
      req.on('data', (c: Buffer) => {
        chunks.push(c);
        n += c.length;
      });
      req.on('end', () => {
        if (status !== 200) reject(statusError('node:http2', path, status));
        else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, n));
      });
      req.on('error', reject);
    });
  return {
    name: 'node:http2',
    get,
    ...unused('node:http2'),
    close: () => new Promise<void>((resolve) => session.close(() => resolve())),
  };
}

/** undici `request()` on a Client (one connection) with `allowH2`, streams multiplexed on it. */
async function createUndiciH2(origin: string, _connections?: number, ca?: string): Promise<Client> {
  if (ca === undefined) throw noCa('undici-h2');
  const client = new UndiciClient(origin, {
    allowH2: true,
    connect: { ca },
    maxConcurrentStreams: STREAMS,
    pipelining: STREAMS,
    keepAliveTimeout: IDLE_MS,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  return {
    name: 'undici-h2',
    async get(path) {
      const { statusCode, body } = await client.request({ method: 'GET', path });
      const bytes = await body.arrayBuffer();
      if (statusCode !== 200) throw statusError('undici-h2', path, statusCode);
      return bytes;
    },
    ...unused('undici-h2'),
    close: () => client.close(),
  };
}

/** undici's `fetch()` on an Agent with `allowH2` and one connection per origin. */
async function createUndiciFetchH2(origin: string, _connections?: number, ca?: string): Promise<Client> {
  if (ca === undefined) throw noCa('fetch-h2');
  const agent = new Agent({
    allowH2: true,
    connections: 1,
    connect: { ca },
    maxConcurrentStreams: STREAMS,
    pipelining: STREAMS,
    keepAliveTimeout: IDLE_MS,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  return {
    name: 'fetch-h2',
    async get(path) {
      const res = await undiciFetch(origin + path, { dispatcher: agent });
      if (res.status !== 200) {
        await res.body?.cancel();
        throw statusError('fetch-h2', path, res.status);
      }
      return res.arrayBuffer();
    },
    ...unused('fetch-h2'),
    close: () => agent.close(),
  };
}

/**
 * An http2-wrapper Agent whose streams send no redundant RST_STREAM (issue 16: got-h2 failed every
 * h2 scenario). got, through http2-wrapper's IncomingMessage, destroys each stream as soon as the
 * response body ends: both sides have sent END_STREAM, but node:http2 has not run its close callback
 * yet, so `destroy()` submits RST_STREAM(NO_ERROR) — one per request. The node:http2 server's nghttp2
 * (≥ 1.57, its CVE-2023-44487 rapid-reset guard: 1,000 received resets, refilled at 33/s) then
 * answers with GOAWAY(INTERNAL_ERROR) after ~1,100 requests: "Session closed with error code 2", and
 * REFUSED_STREAM for the streams in flight (nodejs/node#51585). Node 20 cannot raise that limit
 * (`streamResetBurst`/`streamResetRate` came later), so here a `destroy()` without an error of a
 * stream whose both sides ended is left to node:http2, which closes the stream a moment later
 * without a frame, as it does for every other client. Everything else got does is unchanged.
 */
class NoResetAgent extends http2wrapper.Agent {
  override async request(...args: Parameters<http2wrapper.Agent['request']>): Promise<http2.ClientHttp2Stream> {
    const stream = await super.request(...args);
    const destroy = stream.destroy;
    stream.destroy = function (this: http2.ClientHttp2Stream, err?: Error): http2.ClientHttp2Stream {
      if (err == null && !this.closed && this.readableEnded && this.writableEnded) return this;
      return destroy.call(this, err);
    };
    return stream;
  }
}

/** got with `http2: true` (http2-wrapper) on its own http2-wrapper Agent ({@link NoResetAgent}), retries off, buffer bodies. */
async function createGotH2(origin: string, _connections?: number, ca?: string): Promise<Client> {
  if (ca === undefined) throw noCa('got-h2');
  const agent = new NoResetAgent();
  const g = got.extend({
    http2: true,
    agent: { http2: agent },
    https: { certificateAuthority: ca },
    retry: { limit: 0 },
    timeout: { request: REQUEST_TIMEOUT_MS },
  });
  return {
    name: 'got-h2',
    async get(path) {
      const res = await g.get(origin + path, { responseType: 'buffer' });
      if (res.statusCode !== 200) throw statusError('got-h2', path, res.statusCode);
      if (res.httpVersion !== '2.0') throw new Error(`got-h2: ${path} came over HTTP/${res.httpVersion}`);
      return res.body;
    },
    ...unused('got-h2'),
    async close() {
      agent.destroy();
    },
  };
}

/** reqivo's Session (HTTP/2 negotiated by ALPN, its default for https). */
async function createReqivoH2(origin: string, _connections?: number, ca?: string): Promise<Client> {
  if (ca === undefined) throw noCa('reqivo');
  const { Session } = await import('../src/index.js');
  const session = new Session({
    tls: { ca },
    pool: { maxIdleMs: IDLE_MS },
    timeout: { connect: 10_000, read: REQUEST_TIMEOUT_MS },
    proxy: false,
  });
  return {
    name: 'reqivo',
    async get(path) {
      const res = await session.get(origin + path);
      if (res.status !== 200) throw statusError('reqivo', path, res.status);
      return res.body;
    },
    ...unused('reqivo'),
    close: () => session.close(),
  };
}

/** reqivo's `fetch()` on a Session set up like {@link createReqivoH2}. */
async function createReqivoFetchH2(origin: string, _connections?: number, ca?: string): Promise<Client> {
  if (ca === undefined) throw noCa('reqivo-fetch');
  const { Session } = await import('../src/index.js');
  const session = new Session({
    tls: { ca },
    pool: { maxIdleMs: IDLE_MS },
    timeout: { connect: 10_000, read: REQUEST_TIMEOUT_MS },
    proxy: false,
  });
  return {
    name: 'reqivo-fetch',
    async get(path) {
      const res = await session.fetch(origin + path);
      if (res.status !== 200) {
        await res.body?.cancel();
        throw statusError('reqivo-fetch', path, res.status);
      }
      return res.arrayBuffer();
    },
    ...unused('reqivo-fetch'),
    close: () => session.close(),
  };
}

/** Every HTTP/2 client, baseline first. */
export const H2_CLIENTS: readonly ClientSpec[] = [
  { name: 'node:http2', description: 'node:http2, one session', create: createNodeHttp2 },
  { name: 'undici-h2', description: 'undici request() on a Client with allowH2', create: createUndiciH2 },
  { name: 'fetch-h2', description: "undici's fetch() on an allowH2 Agent, one connection", create: createUndiciFetchH2 },
  { name: 'got-h2', description: 'got with http2: true (http2-wrapper Agent, one session, no RST_STREAM after each response)', create: createGotH2 },
  { name: 'reqivo', description: 'reqivo Session (h2 by ALPN)', create: createReqivoH2 },
  { name: 'reqivo-fetch', description: "reqivo's fetch() on a Session (h2 by ALPN)", create: createReqivoFetchH2 },
];

/** The client the h2 tables take their ratios against. */
export const H2_BASELINE = 'node:http2';
