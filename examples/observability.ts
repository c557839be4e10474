/**
 * Observability: turn reqivo's diagnostics_channel events into spans, the
 * way an OpenTelemetry instrumentation would (start, end, status, error,
 * peer address), and read a response's timings.
 *
 * Run: npx tsc -p tsconfig.test.json && node build/examples/observability.js
 */
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DiagnosticRequest, type DiagnosticResponse, Session } from '../src/index.js';

/** A minimal span: what a tracer would export. */
interface Span {
  name: string;
  start: number;
  end: number | null;
  attributes: Record<string, string | number>;
  error: string | null;
}

const spans: Span[] = [];
const open = new Map<DiagnosticRequest, Span>();
let peer = '';

// One span per round trip: the `request` object is the same in every event of it.
const subscriptions: [string, (msg: unknown) => void][] = [
  [
    'reqivo:request:create',
    (m) => {
      const { request } = m as { request: DiagnosticRequest };
      open.set(request, {
        name: `HTTP ${request.method}`,
        start: performance.now(),
        end: null,
        attributes: { 'http.request.method': request.method, 'url.full': request.origin + request.path },
        error: null,
      });
    },
  ],
  [
    'reqivo:request:headers',
    (m) => {
      const { request, response } = m as { request: DiagnosticRequest; response: DiagnosticResponse };
      const span = open.get(request);
      if (span) span.attributes['http.response.status_code'] = response.status;
    },
  ],
  [
    'reqivo:request:end',
    (m) => {
      const { request } = m as { request: DiagnosticRequest };
      finish(request, null);
    },
  ],
  [
    'reqivo:request:error',
    (m) => {
      const { request, error } = m as { request: DiagnosticRequest; error: Error };
      finish(request, error);
    },
  ],
  [
    'reqivo:connection:open',
    (m) => {
      const c = m as { remoteAddress: string; remotePort: number; protocol: string };
      peer = `${c.remoteAddress}:${c.remotePort} (${c.protocol})`;
    },
  ],
];

function finish(request: DiagnosticRequest, error: Error | null): void {
  const span = open.get(request);
  if (!span) return;
  open.delete(request);
  span.end = performance.now();
  span.error = error ? error.name : null;
  if (peer !== '') span.attributes['network.peer'] = peer;
  spans.push(span);
}

for (const [name, fn] of subscriptions) dc.subscribe(name, fn);

const server = http.createServer((req, res) => {
  if (req.url === '/old') res.writeHead(301, { location: '/new' }).end();
  else if (req.url === '/new') res.end('moved here');
  else if (req.url === '/slow') setTimeout(() => res.end('late'), 50);
  else res.writeHead(404).end();
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const session = new Session({ baseUrl: base, proxy: false });

await session.get('/old');
const slow = await session.get('/slow', { timings: true });
await session.get('http://127.0.0.1:9/refused', { timeout: { connect: 1000 } }).catch(() => undefined);

for (const s of spans) {
  const status = s.attributes['http.response.status_code'] ?? '-';
  console.log(`span ${s.name} ${s.attributes['url.full']!.toString().replace(base, '')} status=${status} error=${s.error ?? 'none'}`);
}
console.log(`peer seen: ${peer.replace(/:\d+ /, ':PORT ')}`);
const phases = slow.timings!.phases;
console.log(`timings of /slow: firstByte >= 40 ms: ${phases.firstByte! >= 40}, reused connection: ${slow.timings!.reused}`);

for (const [name, fn] of subscriptions) dc.unsubscribe(name, fn);
await session.close();
server.close();
