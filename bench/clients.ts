/**
 * One adapter per HTTP client under test, all with the same small surface
 * (`get`, `post`, `stream`, `keep`, `close`), configured the way a user who
 * cares about keep-alive would: up to {@link MAX_CONNECTIONS} connections to
 * the one origin, idle connections kept 60 s, a 30 s bound on each request in
 * the client's own terms, no proxy, no retries where a client retries by
 * default. Each adapter checks the status; the scenarios check the bodies.
 * @module
 */
import http from 'node:http';
import axios from 'axios';
import got from 'got';
import { Agent, Pool, fetch as undiciFetch } from 'undici';
import { createFloor } from './floor.js';

/** Connections per origin each client may open. */
export const MAX_CONNECTIONS = 16;
const IDLE_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** A response body as the client hands it over. */
export type Body = Uint8Array | ArrayBuffer;

/** What a user naturally keeps of a response, and its body for the check. */
export interface Kept {
  kept: unknown;
  body: Body;
}

/** The surface every client adapter implements. Paths start with '/'. */
export interface Client {
  readonly name: string;
  /** GET `path`; rejects unless the status is 200; resolves to the body. */
  get(path: string): Promise<Body>;
  /** POST `body` to `path`; rejects unless the status is 200; resolves to the response body. */
  post(path: string, body: Buffer): Promise<Body>;
  /** GET `path` as a stream, handing every chunk to `onChunk` as it arrives. */
  stream(path: string, onChunk: (chunk: Uint8Array) => void): Promise<void>;
  /** GET `path` and return what a user would keep of the response (for the memory bench). */
  keep(path: string): Promise<Kept>;
  /** Close every connection. */
  close(): Promise<void>;
}

/** How to make a client, by name. */
export interface ClientSpec {
  /** Short name used by `--clients` and in the tables. */
  name: string;
  /** What is measured, for the report. */
  description: string;
  /**
   * Make the client, allowed `connections` connections to the origin (default {@link MAX_CONNECTIONS});
   * `ca` is the CA certificate to trust (the HTTP/2 scenarios, over TLS).
   */
  create(origin: string, connections?: number, ca?: string): Promise<Client>;
}

function statusError(client: string, path: string, status: number): Error {
  return new Error(`${client}: ${path} answered status ${status}`);
}

/** undici `request` on a Pool: the baseline. */
async function createUndiciRequest(origin: string, connections = MAX_CONNECTIONS): Promise<Client> {
  const pool = new Pool(origin, {
    connections,
    keepAliveTimeout: IDLE_MS,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  return {
    name: 'undici',
    async get(path) {
      const { statusCode, body } = await pool.request({ method: 'GET', path });
      const bytes = await body.arrayBuffer();
      if (statusCode !== 200) throw statusError('undici', path, statusCode);
      return bytes;
    },
    async post(path, data) {
      const { statusCode, body } = await pool.request({ method: 'POST', path, body: data });
      const bytes = await body.arrayBuffer();
      if (statusCode !== 200) throw statusError('undici', path, statusCode);
      return bytes;
    },
    async stream(path, onChunk) {
      const { statusCode, body } = await pool.request({ method: 'GET', path });
      if (statusCode !== 200) {
        body.destroy();
        throw statusError('undici', path, statusCode);
      }
      for await (const chunk of body) onChunk(chunk as Uint8Array);
    },
    async keep(path) {
      const { statusCode, headers, body } = await pool.request({ method: 'GET', path });
      const bytes = await body.arrayBuffer();
      if (statusCode !== 200) throw statusError('undici', path, statusCode);
      return { kept: { statusCode, headers, body: bytes }, body: bytes };
    },
    close: () => pool.close(),
  };
}

/** What {@link fetchClient} needs of a WHATWG `Response` (undici's and reqivo's alike). */
interface FetchLikeResponse {
  readonly status: number;
  readonly body: (AsyncIterable<unknown> & { cancel(): Promise<void> }) | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A {@link Client} over a WHATWG `fetch`: the two fetch() adapters differ only in the call and the close. */
function fetchClient(
  name: string,
  doFetch: (url: string, init: { method: string; body?: Buffer }) => Promise<FetchLikeResponse>,
  origin: string,
  close: () => Promise<void>,
): Client {
  const call = async (path: string, init: { method: string; body?: Buffer }) => {
    const res = await doFetch(origin + path, init);
    if (res.status !== 200) {
      await res.body?.cancel();
      throw statusError(name, path, res.status);
    }
    return res;
  };
  return {
    name,
    async get(path) {
      return (await call(path, { method: 'GET' })).arrayBuffer();
    },
    async post(path, data) {
      return (await call(path, { method: 'POST', body: data })).arrayBuffer();
    },
    async stream(path, onChunk) {
      const res = await call(path, { method: 'GET' });
      if (res.body === null) return;
      for await (const chunk of res.body) onChunk(chunk as Uint8Array);
    },
    async keep(path) {
      const response = await call(path, { method: 'GET' });
      const bytes = await response.arrayBuffer();
      return { kept: { response, body: bytes }, body: bytes };
    },
    close,
  };
}

/** undici's `fetch` (the package's, same version as `request`) on its own Agent. */
async function createUndiciFetch(origin: string, connections = MAX_CONNECTIONS): Promise<Client> {
  const agent = new Agent({
    connections,
    keepAliveTimeout: IDLE_MS,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  return fetchClient('fetch', (url, init) => undiciFetch(url, { ...init, dispatcher: agent }), origin, () => agent.close());
}

/** node:http with a keep-alive Agent, the body gathered from 'data' events. */
async function createNodeHttp(origin: string, connections = MAX_CONNECTIONS): Promise<Client> {
  // maxFreeSockets: every connection may stay idle (the default, 256, would close the rest of the idle bench's 1,000).
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, timeout: REQUEST_TIMEOUT_MS });
  const { hostname, port } = new URL(origin);
  const send = (method: string, path: string, data: Buffer | null): Promise<{ res: http.IncomingMessage; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = data === null ? undefined : { 'content-length': data.length };
      const req = http.request({ hostname, port, path, method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        let n = 0;
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          n += c.length;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) reject(statusError('node:http', path, res.statusCode ?? 0));
          else resolve({ res, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, n) });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('node:http: request timed out')));
      req.end(data ?? undefined);
    });
  return {
    name: 'node:http',
    async get(path) {
      return (await send('GET', path, null)).body;
    },
    async post(path, data) {
      return (await send('POST', path, data)).body;
    },
    stream(path, onChunk) {
      return new Promise((resolve, reject) => {
        const req = http.request({ hostname, port, path, method: 'GET', agent }, (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(statusError('node:http', path, res.statusCode ?? 0));
            return;
          }
          res.on('data', (chunk: Buffer) => {
            try {
              onChunk(chunk);
            } catch (err) {
              res.destroy();
              reject(err);
            }
          });
          res.on('end', resolve);
          res.on('error', reject);
        });
        req.on('error', reject);
        req.on('timeout', () => req.destroy(new Error('node:http: request timed out')));
        req.end();
      });
    },
    async keep(path) {
      const { res, body } = await send('GET', path, null);
      return { kept: { response: res, body }, body };
    },
    async close() {
      agent.destroy();
    },
  };
}

/** axios with its Node http adapter on a keep-alive Agent, bodies as Buffers. */
async function createAxios(origin: string, connections = MAX_CONNECTIONS): Promise<Client> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const ax = axios.create({
    baseURL: origin,
    httpAgent: agent,
    proxy: false,
    timeout: REQUEST_TIMEOUT_MS,
    responseType: 'arraybuffer',
  });
  return {
    name: 'axios',
    async get(path) {
      const res = await ax.get<Buffer>(path);
      if (res.status !== 200) throw statusError('axios', path, res.status);
      return res.data;
    },
    async post(path, data) {
      const res = await ax.post<Buffer>(path, data, { headers: { 'content-type': 'application/octet-stream' } });
      if (res.status !== 200) throw statusError('axios', path, res.status);
      return res.data;
    },
    async stream(path, onChunk) {
      const res = await ax.get<AsyncIterable<Buffer>>(path, { responseType: 'stream' });
      if (res.status !== 200) throw statusError('axios', path, res.status);
      for await (const chunk of res.data) onChunk(chunk);
    },
    async keep(path) {
      const res = await ax.get<Buffer>(path);
      if (res.status !== 200) throw statusError('axios', path, res.status);
      return { kept: res, body: res.data };
    },
    async close() {
      agent.destroy();
    },
  };
}

/** got on a keep-alive Agent, retries off, bodies as Buffers. */
async function createGot(origin: string, connections = MAX_CONNECTIONS): Promise<Client> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const g = got.extend({
    agent: { http: agent },
    retry: { limit: 0 },
    timeout: { request: REQUEST_TIMEOUT_MS },
  });
  return {
    name: 'got',
    async get(path) {
      const res = await g.get(origin + path, { responseType: 'buffer' });
      if (res.statusCode !== 200) throw statusError('got', path, res.statusCode);
      return res.body;
    },
    async post(path, data) {
      const res = await g.post(origin + path, { body: data, responseType: 'buffer' });
      if (res.statusCode !== 200) throw statusError('got', path, res.statusCode);
      return res.body;
    },
    async stream(path, onChunk) {
      for await (const chunk of g.stream(origin + path)) onChunk(chunk as Buffer);
    },
    async keep(path) {
      const res = await g.get(origin + path, { responseType: 'buffer' });
      if (res.statusCode !== 200) throw statusError('got', path, res.statusCode);
      return { kept: res, body: res.body };
    },
    async close() {
      agent.destroy();
    },
  };
}

/**
 * reqivo's Session, loaded lazily so the harness still runs (and reports it
 * unavailable) when the engine does not build or load.
 */
async function createReqivo(origin: string, connections = MAX_CONNECTIONS, name = 'reqivo', from: string | null = null): Promise<Client> {
  const { Session } = from === null ? await import('../src/index.js') : ((await import(from)) as typeof import('../src/index.js'));
  const session = new Session({
    pool: { maxConnectionsPerOrigin: connections, maxIdleMs: IDLE_MS },
    // Same bound as undici's headersTimeout/bodyTimeout: a gap between reads.
    timeout: { connect: 10_000, read: REQUEST_TIMEOUT_MS },
    proxy: false,
  });
  return {
    name,
    async get(path) {
      const res = await session.get(origin + path);
      if (res.status !== 200) throw statusError(name, path, res.status);
      return res.body;
    },
    async post(path, data) {
      const res = await session.post(origin + path, { body: data });
      if (res.status !== 200) throw statusError(name, path, res.status);
      return res.body;
    },
    async stream(path, onChunk) {
      const s = await session.stream('GET', origin + path);
      if (s.status !== 200) {
        await s.close();
        throw statusError(name, path, s.status);
      }
      for await (const chunk of s) onChunk(chunk);
    },
    async keep(path) {
      const res = await session.get(origin + path);
      if (res.status !== 200) throw statusError(name, path, res.status);
      return { kept: res, body: res.body };
    },
    close: () => session.close(),
  };
}

/** reqivo's WHATWG `fetch()` on a Session set up like {@link createReqivo}, used like {@link createUndiciFetch}. */
async function createReqivoFetch(origin: string, connections = MAX_CONNECTIONS): Promise<Client> {
  const { Session } = await import('../src/index.js');
  const session = new Session({
    pool: { maxConnectionsPerOrigin: connections, maxIdleMs: IDLE_MS },
    timeout: { connect: 10_000, read: REQUEST_TIMEOUT_MS },
    proxy: false,
  });
  return fetchClient('reqivo-fetch', (url, init) => session.fetch(url, init), origin, () => session.close());
}

/** Every client, baseline first. */
export const CLIENTS: readonly ClientSpec[] = [
  { name: 'undici', description: 'undici request() on a Pool', create: createUndiciRequest },
  { name: 'fetch', description: "undici's fetch() on an Agent", create: createUndiciFetch },
  { name: 'node:http', description: 'node:http with a keep-alive Agent', create: createNodeHttp },
  { name: 'axios', description: 'axios, arraybuffer responses, keep-alive Agent', create: createAxios },
  { name: 'got', description: 'got, buffer responses, keep-alive Agent, no retry', create: createGot },
  { name: 'reqivo', description: 'reqivo Session', create: createReqivo },
  { name: 'reqivo-fetch', description: "reqivo's fetch() on a Session", create: createReqivoFetch },
  // `REQIVO_BASELINE=/path/to/old/dist/index.js`: an earlier build of reqivo in the same run (issue 10's before/after).
  ...(process.env.REQIVO_BASELINE ? [{ name: 'reqivo-before', description: `reqivo Session from ${process.env.REQIVO_BASELINE}`, create: (o: string, n?: number) => createReqivo(o, n, 'reqivo-before', process.env.REQIVO_BASELINE ?? null) }] : []),
  { name: 'floor', description: 'bare node:net sockets framing by Content-Length only (the floor)', create: (o, n) => createFloor(o, n ?? MAX_CONNECTIONS) },
];

/** The client every ratio is taken against. */
export const BASELINE = 'undici';

/** Look a client up by name ('http' is accepted for 'node:http'). */
export function findClient(name: string): ClientSpec | undefined {
  const n = name === 'http' || name === 'node' ? 'node:http' : name;
  return CLIENTS.find((c) => c.name === n);
}
