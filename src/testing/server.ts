/**
 * A small programmable HTTP server for testing code that uses reqivo (the
 * Python project's roadmap "test server"): routes answer with canned or
 * computed responses, every request is recorded, and it listens on
 * 127.0.0.1 on a free port.
 *
 * ```ts
 * import { startTestServer } from 'reqivo/testing';
 * const server = await startTestServer({
 *   'GET /users/1': { json: { id: 1 } },
 *   'POST /echo': (req) => ({ status: 201, body: req.body }),
 * });
 * // … point your Session at server.url …
 * await server.close();
 * ```
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the test server received. */
export interface RecordedRequest {
  /** Method. */
  method: string;
  /** Path and query. */
  url: string;
  /** Headers, lower-case names. */
  headers: http.IncomingHttpHeaders;
  /** Raw body bytes. */
  body: Buffer;
}

/** What a route answers. */
export interface RouteResponse {
  /** Status code (default 200). */
  status?: number;
  /** Response headers. */
  headers?: Record<string, string | string[]>;
  /** Raw body. */
  body?: string | Uint8Array;
  /** JSON body (sets content-type). */
  json?: unknown;
  /** Wait this long before answering, in ms. */
  delayMs?: number;
}

/** A route: a fixed answer or a function of the request. */
export type Route = RouteResponse | ((req: RecordedRequest) => RouteResponse | Promise<RouteResponse>);

/** A running test server. */
export interface TestServer {
  /** Base URL, `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** TCP connections accepted (to check keep-alive reuse). */
  readonly connections: number;
  /** Add or replace a route (`'METHOD /path'`, or `'/path'` for any method). */
  route(key: string, route: Route): void;
  /** Stop the server and close every connection. */
  close(): Promise<void>;
}

/** Start a test server on 127.0.0.1 with `routes` keyed `'METHOD /path'` or `'/path'`. Unknown routes answer 404. */
export async function startTestServer(routes: Record<string, Route> = {}): Promise<TestServer> {
  const table = new Map<string, Route>(Object.entries(routes));
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  let connections = 0;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const rec: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(parts) };
      requests.push(rec);
      const path = rec.url.split('?')[0]!;
      const route = table.get(`${rec.method} ${path}`) ?? table.get(path);
      void answer(route, rec, res);
    });
  });
  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    get connections() {
      return connections;
    },
    route(key, route) {
      table.set(key, route);
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
    },
  };
}

async function answer(route: Route | undefined, rec: RecordedRequest, res: http.ServerResponse): Promise<void> {
  try {
    const r: RouteResponse = route === undefined ? { status: 404, body: 'not found' } : typeof route === 'function' ? await route(rec) : route;
    if (r.delayMs) await new Promise((ok) => setTimeout(ok, r.delayMs));
    const headers: Record<string, string | string[]> = { ...(r.headers ?? {}) };
    let body: string | Uint8Array = r.body ?? '';
    if (r.json !== undefined) {
      body = JSON.stringify(r.json);
      headers['content-type'] ??= 'application/json';
    }
    res.writeHead(r.status ?? 200, headers);
    res.end(body);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err));
  }
}
