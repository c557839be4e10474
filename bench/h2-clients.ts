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

/** An h2 client's setup, given the bench CA to trust. */
type H2Setup = (origin: string, ca: string) => Promise<Client>;

/** The `create` of a {@link ClientSpec} for `setup`: every h2 scenario runs over TLS with the bench CA. */
function withCa(name: string, setup: H2Setup): ClientSpec['create'] {
  return (origin, _connections, ca) => {
    if (ca === undefined) return Promise.reject(new Error(`${name}: the h2 scenarios need the bench CA`));
    return setup(origin, ca);
  };
}

/** The one shape of every h2 adapter: a GET that checks its status, and `close`; the rest of the surface is never called. */
function h2Client(name: string, get: (path: string) => Promise<Body>, close: () => Promise<void>): Client {
  const no = (): Promise<never> => Promise.reject(new Error(`${name}: only GET is measured over HTTP/2`));
  return { name, get, post: no, stream: no, keep: no as () => Promise<Kept>, close };
}

/** What {@link fetchGet} needs of a WHATWG `Response` (undici's and reqivo's alike). */
interface FetchedResponse {
  readonly status: number;
  readonly body: { cancel(): Promise<void> } | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The GET of a fetch()-like client: a status other than 200 cancels the body and rejects. */
function fetchGet(name: string, origin: string, doFetch: (url: string) => Promise<FetchedResponse>): (path: string) => Promise<Body> {
  return async (path) => {
    const res = await doFetch(origin + path);
    if (res.status !== 200) {
      await res.body?.cancel();
      throw statusError(name, path, res.status);
    }
    return res.arrayBuffer();
  };
}

/** node:http2, one ClientHttp2Session, each body gathered from 'data' events and concatenated. */
async function createNodeHttp2(origin: string, ca: string): Promise<Client> {
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
  return h2Client('node:http2', get, () => new Promise<void>((resolve) => session.close(() => resolve())));
}

/** What undici's Client and Agent are given: one connection's streams multiplexed, the bench's timeouts. */
function undiciH2Options(ca: string) {
  return {
    allowH2: true,
    connect: { ca },
    maxConcurrentStreams: STREAMS,
    pipelining: STREAMS,
    keepAliveTimeout: IDLE_MS,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  };
}

/** undici `request()` on a Client (one connection) with `allowH2`, streams multiplexed on it. */
async function createUndiciH2(origin: string, ca: string): Promise<Client> {
  const client = new UndiciClient(origin, undiciH2Options(ca));
  const get = async (path: string): Promise<Body> => {
    const { statusCode, body } = await client.request({ method: 'GET', path });
    const bytes = await body.arrayBuffer();
    if (statusCode !== 200) throw statusError('undici-h2', path, statusCode);
    return bytes;
  };
  return h2Client('undici-h2', get, () => client.close());
}

/** undici's `fetch()` on an Agent with `allowH2` and one connection per origin. */
async function createUndiciFetchH2(origin: string, ca: string): Promise<Client> {
  const agent = new Agent({ ...undiciH2Options(ca), connections: 1 });
  const get = fetchGet('fetch-h2', origin, (url) => undiciFetch(url, { dispatcher: agent }));
  return h2Client('fetch-h2', get, () => agent.close());
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
async function createGotH2(origin: string, ca: string): Promise<Client> {
  const agent = new NoResetAgent();
  const g = got.extend({
    http2: true,
    agent: { http2: agent },
    https: { certificateAuthority: ca },
    retry: { limit: 0 },
    timeout: { request: REQUEST_TIMEOUT_MS },
  });
  const get = async (path: string): Promise<Body> => {
    const res = await g.get(origin + path, { responseType: 'buffer' });
    if (res.statusCode !== 200) throw statusError('got-h2', path, res.statusCode);
    if (res.httpVersion !== '2.0') throw new Error(`got-h2: ${path} came over HTTP/${res.httpVersion}`);
    return res.body;
  };
  return h2Client('got-h2', get, async () => {
    agent.destroy();
  });
}

/** The Session of both reqivo adapters (HTTP/2 negotiated by ALPN, its default for https). */
async function reqivoSession(ca: string) {
  const { Session } = await import('../src/index.js');
  return new Session({
    tls: { ca },
    pool: { maxIdleMs: IDLE_MS },
    timeout: { connect: 10_000, read: REQUEST_TIMEOUT_MS },
    proxy: false,
  });
}

/** reqivo's Session. */
async function createReqivoH2(origin: string, ca: string): Promise<Client> {
  const session = await reqivoSession(ca);
  const get = async (path: string): Promise<Body> => {
    const res = await session.get(origin + path);
    if (res.status !== 200) throw statusError('reqivo', path, res.status);
    return res.body;
  };
  return h2Client('reqivo', get, () => session.close());
}

/** reqivo's `fetch()` on a Session set up like {@link createReqivoH2}'s. */
async function createReqivoFetchH2(origin: string, ca: string): Promise<Client> {
  const session = await reqivoSession(ca);
  return h2Client('reqivo-fetch', fetchGet('reqivo-fetch', origin, (url) => session.fetch(url)), () => session.close());
}

/** Every HTTP/2 client, baseline first. */
export const H2_CLIENTS: readonly ClientSpec[] = [
  { name: 'node:http2', description: 'node:http2, one session', create: withCa('node:http2', createNodeHttp2) },
  { name: 'undici-h2', description: 'undici request() on a Client with allowH2', create: withCa('undici-h2', createUndiciH2) },
  { name: 'fetch-h2', description: "undici's fetch() on an allowH2 Agent, one connection", create: withCa('fetch-h2', createUndiciFetchH2) },
  { name: 'got-h2', description: 'got with http2: true (http2-wrapper Agent, one session, no RST_STREAM after each response)', create: withCa('got-h2', createGotH2) },
  { name: 'reqivo', description: 'reqivo Session (h2 by ALPN)', create: withCa('reqivo', createReqivoH2) },
  { name: 'reqivo-fetch', description: "reqivo's fetch() on a Session (h2 by ALPN)", create: withCa('reqivo-fetch', createReqivoFetchH2) },
];

/** The client the h2 tables take their ratios against. */
export const H2_BASELINE = 'node:http2';
