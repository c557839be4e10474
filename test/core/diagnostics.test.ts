import assert from 'node:assert/strict';
import dc from 'node:diagnostics_channel';
import { afterEach, describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { type DiagnosticRequest, NetworkError, Session, WebSocket } from '../../src/index.js';
import { certs } from '../helpers/certs.js';
import { h2Server } from '../helpers/h2-servers.js';
import { httpServer, rawServer, waitFor } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

const CHANNELS = [
  'reqivo:request:create',
  'reqivo:request:headers',
  'reqivo:request:end',
  'reqivo:request:error',
  'reqivo:connection:open',
  'reqivo:connection:error',
  'reqivo:connection:close',
  'reqivo:websocket:open',
  'reqivo:websocket:close',
  'reqivo:websocket:error',
];

interface Event {
  name: string;
  msg: Record<string, unknown>;
}

/** Subscribe to every channel for one test; events in order. */
function record(): Event[] {
  const events: Event[] = [];
  const subs = CHANNELS.map((name) => {
    const fn = (msg: unknown): void => void events.push({ name: name.slice('reqivo:'.length), msg: msg as Record<string, unknown> });
    dc.subscribe(name, fn);
    return [name, fn] as const;
  });
  cleanups.push(() => {
    for (const [name, fn] of subs) dc.unsubscribe(name, fn);
  });
  return events;
}

/** Names of the request events and of the connection events of `origin` (connections of earlier tests may close meanwhile). */
function namesFor(events: Event[], origin: string): string[] {
  return events.filter((e) => e.name.startsWith('request') || e.msg.origin === origin).map((e) => e.name);
}

afterEach(() => {
  for (const name of CHANNELS) assert.equal(dc.channel(name).hasSubscribers, false, `${name} left subscribed`);
});

describe('diagnostics channels: requests', () => {
  test('create, headers, end once per round trip, with the same request object; connection open with addresses', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(201, { 'x-a': '1' }).end('body'));
    cleanups.push(() => srv.close());
    const events = record();
    const s = session({ baseUrl: srv.url, headers: { 'x-trace': 't1' } });
    await s.get('/path?q=1');
    assert.deepEqual(namesFor(events, srv.url), ['request:create', 'connection:open', 'request:headers', 'request:end']);
    const req = events[0]!.msg.request as DiagnosticRequest;
    assert.equal(req.method, 'GET');
    assert.equal(req.origin, srv.url);
    assert.equal(req.path, '/path?q=1');
    const h = req.headers;
    assert.equal(h[h.findIndex((x, i) => i % 2 === 0 && x.toLowerCase() === 'x-trace') + 1], 't1');
    const headersEvent = events.find((e) => e.name === 'request:headers')!;
    assert.equal(headersEvent.msg.request, req);
    assert.equal(events.find((e) => e.name === 'request:end')!.msg.request, req);
    const response = headersEvent.msg.response as { status: number; reason: string; httpVersion: string; headers: string[] };
    assert.equal(response.status, 201);
    assert.equal(response.reason, 'Created');
    assert.equal(response.httpVersion, '1.1');
    assert.ok(response.headers.includes('x-a'));
    const open = events.find((e) => e.name === 'connection:open')!.msg;
    assert.equal(open.origin, srv.url);
    assert.equal(open.protocol, 'http/1.1');
    assert.equal(open.remoteAddress, '127.0.0.1');
    assert.equal(open.remotePort, Number(new URL(srv.url).port));
    assert.equal(open.localAddress, '127.0.0.1');
    assert.equal(typeof open.localPort, 'number');
    // A second request reuses the connection: no connection event.
    events.length = 0;
    await s.get('/again');
    assert.deepEqual(namesFor(events, srv.url), ['request:create', 'request:headers', 'request:end']);
    await s.close();
    await waitFor(() => events.at(-1)?.name === 'connection:close', 2000, 'connection:close');
    assert.equal(events.at(-1)?.msg.origin, srv.url);
  });

  test('a redirect is two round trips; a streamed body ends when it is read', async () => {
    const srv = await httpServer((req, res) => {
      if (req.url === '/a') res.writeHead(302, { location: '/b' }).end();
      else res.end('x'.repeat(100_000));
    });
    cleanups.push(() => srv.close());
    const events = record();
    const s = session({ baseUrl: srv.url });
    const res = await s.stream('GET', '/a');
    const paths = events.filter((e) => e.name === 'request:create').map((e) => (e.msg.request as DiagnosticRequest).path);
    assert.deepEqual(paths, ['/a', '/b']);
    const ends = (): number => events.filter((e) => e.name === 'request:end').length;
    assert.equal(ends(), 1, 'the redirect ended; the streamed body not yet');
    assert.equal((await res.bytes()).length, 100_000);
    assert.equal(ends(), 2);
  });

  test('a refused connection: request:error with the typed error, connection:error', async () => {
    const events = record();
    const s = session();
    await assert.rejects(s.get('http://127.0.0.1:9/x'), NetworkError);
    assert.deepEqual(namesFor(events, 'http://127.0.0.1:9'), ['request:create', 'connection:error', 'request:error']);
    assert.ok(events.find((e) => e.name === 'request:error')!.msg.error instanceof NetworkError);
  });

  test('a body cut short: request:error after request:headers, never request:end', async () => {
    const srv = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    cleanups.push(() => srv.close());
    const events = record();
    await assert.rejects(session().get(`${srv.url}/`), NetworkError);
    assert.deepEqual(
      events.filter((e) => e.name.startsWith('request')).map((e) => e.name),
      ['request:create', 'request:headers', 'request:error'],
    );
  });

  test('HTTP/2: the same events, httpVersion 2 and protocol h2', async () => {
    const srv = await h2Server((_req, res) => res.end('h2 body'));
    cleanups.push(() => srv.close());
    const events = record();
    const s = session({ tls: { ca: certs().caCert } });
    await s.get(`${srv.url}/h2`);
    assert.deepEqual(namesFor(events, srv.url), ['request:create', 'connection:open', 'request:headers', 'request:end']);
    assert.equal(events.find((e) => e.name === 'connection:open')!.msg.protocol, 'h2');
    assert.equal((events.find((e) => e.name === 'request:headers')!.msg.response as { httpVersion: string }).httpVersion, '2');
  });
});

describe('diagnostics channels: WebSocket', () => {
  test('open and close with code and reason', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', r));
    wss.on('connection', (sock) => sock.on('message', (m) => sock.send(m)));
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    const events = record();
    const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/x`;
    const ws = new WebSocket(url);
    await ws.connect();
    await ws.close(1000, 'done');
    const mine = events.filter((e) => e.name.startsWith('websocket'));
    assert.deepEqual(mine.map((e) => e.name), ['websocket:open', 'websocket:close']);
    assert.equal(mine[0]!.msg.url, url);
    assert.equal(mine[1]!.msg.code, 1000);
    assert.equal(mine[1]!.msg.reason, 'done');
  });
});

describe('diagnostics channels: nobody listening', () => {
  test('no subscriber: nothing is published and requests work as before', async () => {
    const srv = await httpServer((_req, res) => res.end('ok'));
    cleanups.push(() => srv.close());
    for (const name of CHANNELS) assert.equal(dc.channel(name).hasSubscribers, false);
    const s = new Session({ proxy: false });
    cleanups.push(() => s.close());
    assert.equal((await s.get(`${srv.url}/`)).text(), 'ok');
  });
});
