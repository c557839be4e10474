/**
 * A small programmable HTTP server for testing code that uses reqivo (the
 * Python project's roadmap "test server"): routes answer with canned or
 * computed responses, every request is recorded, and it listens on
 * 127.0.0.1 on a free port.
 *
 * ```ts
 * import { startTestServer } from 'reqivo/testing';
 * const server = await startTestServer({
 *   'GET /users/:id': (req) => ({ json: { id: req.params.id } }),
 *   'POST /echo': (req) => ({ status: 201, body: req.body }),
 *   'GET /files/*': { body: 'any file' },
 *   'GET /flaky': { fault: 'reset-mid-body' },
 * });
 * // … point your Session at server.url …
 * await server.close();
 * ```
 *
 * Route keys are `'METHOD /pattern'` or `'/pattern'` (any method); a
 * pattern segment `:name` matches one path segment (its value in
 * `req.params`), a trailing `*` matches the rest of the path. Exact routes
 * win over patterns, then patterns in the order added. A request no route
 * matches gets a 404 whose body names it and lists the routes.
 * @module
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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
  /** Values of the route pattern's `:name` segments (and `'*'` for the wildcard's rest). */
  params: Record<string, string>;
}

/**
 * Failures a route can stage: `'reset'` destroys the connection without an
 * answer; `'reset-mid-body'` sends the head and half the body, then resets;
 * `'never'` accepts the request and never answers; `'slow-body'` sends the
 * body a byte at a time, `slowMs` apart.
 */
export type Fault = 'reset' | 'reset-mid-body' | 'never' | 'slow-body';

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
  /** Stage a failure instead of (or in the middle of) the answer. */
  fault?: Fault;
  /** Gap between body bytes for `fault: 'slow-body'` (default 20 ms). */
  slowMs?: number;
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
  /** Add or replace a route (`'METHOD /pattern'`, or `'/pattern'` for any method). */
  route(key: string, route: Route): void;
  /** Stop the server and close every connection. */
  close(): Promise<void>;
}

/** One route of the table, its pattern compiled. */
class Entry {
  readonly key: string;
  readonly method: string | null;
  readonly pattern: string;
  readonly segments: readonly string[] | null;
  route: Route;
  constructor(key: string, route: Route) {
    const m = /^([A-Z]+)\s+(\/.*)$/.exec(key.trim());
    const pattern = m !== null ? m[2]! : key.trim();
    if (!pattern.startsWith('/')) throw new TypeError(`route key ${JSON.stringify(key)} must be 'METHOD /path' or '/path'`);
    this.key = key;
    this.method = m !== null ? m[1]! : null;
    this.pattern = pattern;
    this.segments = /(^|\/)(:|\*)/.test(pattern) ? pattern.split('/') : null;
    this.route = route;
  }

  /** The params when `path` matches, else null. */
  match(method: string, path: string): Record<string, string> | null {
    if (this.method !== null && this.method !== method) return null;
    const segs = this.segments;
    if (segs === null) return this.pattern === path ? {} : null;
    const parts = path.split('/');
    const params: Record<string, string> = {};
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      if (s === '*' && i === segs.length - 1) {
        params['*'] = parts.slice(i).map(safeDecode).join('/');
        return params;
      }
      const p = parts[i];
      if (p === undefined) return null;
      if (s.startsWith(':') && s.length > 1) {
        if (p === '') return null;
        params[s.slice(1)] = safeDecode(p);
      } else if (s !== p) return null;
    }
    return parts.length === segs.length ? params : null;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Start a test server on 127.0.0.1 with `routes` (see the module doc). */
export async function startTestServer(routes: Record<string, Route> = {}): Promise<TestServer> {
  const table: Entry[] = Object.entries(routes).map(([k, r]) => new Entry(k, r));
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;
  const find = (method: string, path: string): [Entry, Record<string, string>] | null => {
    // Exact routes first, then patterns in the order added.
    for (const e of table) if (e.segments === null && e.match(method, path) !== null) return [e, {}];
    for (const e of table) {
      if (e.segments === null) continue;
      const params = e.match(method, path);
      if (params !== null) return [e, params];
    }
    return null;
  };
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const found = find(method, url.split('?')[0]!);
      const rec: RecordedRequest = { method, url, headers: req.headers, body: Buffer.concat(parts), params: found?.[1] ?? {} };
      requests.push(rec);
      if (found === null) {
        const list = table.map((e) => `  ${e.key}`).join('\n') || '  (none)';
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`reqivo test server: no route matches ${method} ${url}\nroutes:\n${list}\n`);
        return;
      }
      void answer(found[0].route, rec, res, timers);
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
      const e = new Entry(key, route);
      const i = table.findIndex((x) => x.key === key);
      if (i >= 0) table[i] = e;
      else table.push(e);
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
    },
  };
}

function wait(ms: number, timers: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      timers.delete(t);
      resolve();
    }, ms);
    timers.add(t);
  });
}

async function answer(route: Route, rec: RecordedRequest, res: http.ServerResponse, timers: Set<NodeJS.Timeout>): Promise<void> {
  let r: RouteResponse;
  try {
    r = typeof route === 'function' ? await route(rec) : route;
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`reqivo test server: the route for ${rec.method} ${rec.url} threw: ${String(err)}`);
    return;
  }
  if (r.delayMs) await wait(r.delayMs, timers);
  if (r.fault === 'never') return;
  if (r.fault === 'reset') {
    res.socket?.destroy();
    return;
  }
  const headers: Record<string, string | string[]> = { ...(r.headers ?? {}) };
  let body: Buffer = Buffer.from(r.body ?? '');
  if (r.json !== undefined) {
    body = Buffer.from(JSON.stringify(r.json));
    headers['content-type'] ??= 'application/json';
  }
  if (r.fault === 'reset-mid-body' || r.fault === 'slow-body') {
    // Framed by Content-Length, so the client can tell the body is short.
    headers['content-length'] = String(body.length);
    res.writeHead(r.status ?? 200, headers);
    if (r.fault === 'reset-mid-body') {
      res.write(body.subarray(0, body.length >>> 1), () => res.socket?.destroy());
      return;
    }
    for (let i = 0; i < body.length; i++) {
      if (res.destroyed) return;
      res.write(body.subarray(i, i + 1));
      await wait(r.slowMs ?? 20, timers);
    }
    res.end();
    return;
  }
  res.writeHead(r.status ?? 200, headers);
  res.end(body);
}
