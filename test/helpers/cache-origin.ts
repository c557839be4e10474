/**
 * An origin for the HTTP cache tests: a node:http server on 127.0.0.1 that
 * answers by a route and records every request it saw, so a test can
 * assert what reached the wire (a hit reaches nothing). Closed by the
 * shared cleanup (useSessions).
 */
import type http from 'node:http';
import { httpServer } from './servers.js';
import { useSessions } from './sessions.js';

/** A request as the origin saw it. */
export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A server answering by `route` (n: the request's number, from 1), recording each request. */
export async function origin(route: (req: Seen, res: http.ServerResponse, n: number) => void): Promise<{ url: string; seen: Seen[] }> {
  const { cleanups } = useSessions();
  const seen: Seen[] = [];
  const srv = await httpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers };
      seen.push(s);
      route(s, res, seen.length);
    });
  });
  cleanups.push(() => srv.close());
  return { url: srv.url, seen };
}

/** A route that always answers `headers` and a body naming the request's number. */
export const fixed = (headers: http.OutgoingHttpHeaders, status = 200) => (_req: Seen, res: http.ServerResponse, n: number) => {
  res.writeHead(status, headers);
  res.end(`body ${n}`);
};
