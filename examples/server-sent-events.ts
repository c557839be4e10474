/**
 * Server-sent events: `session.events(url)` reads a text/event-stream the
 * way an LLM streaming API sends one (JSON chunks on `data:` lines, a `:`
 * heartbeat, a final `[DONE]`), and reconnects with Last-Event-ID when the
 * connection drops; a 204 tells it to stop.
 *
 * Run: npx tsc -p tsconfig.test.json && node build/examples/server-sent-events.js
 * (in your project, import from 'reqivo' instead of '../src/index.js').
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from '../src/index.js';

const words = ['Hello', ' from', ' a', ' streaming', ' API'];
let connections = 0;
const server = http.createServer((req, res) => {
  connections++;
  const from = Number(req.headers['last-event-id'] ?? -1) + 1;
  if (from >= words.length) {
    res.writeHead(204); // nothing more: EventSource semantics say stop
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write('retry: 100\n: heartbeat\n\n');
  for (let i = from; i < words.length; i++) {
    res.write(`id: ${i}\ndata: ${JSON.stringify({ delta: words[i] })}\n\n`);
    // The first connection drops after the third word.
    if (connections === 1 && i === 2) {
      res.destroy();
      return;
    }
  }
  res.end('event: done\ndata: [DONE]\n\n');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const session = new Session({ baseUrl: base, proxy: false });
try {
  let text = '';
  for await (const ev of session.events('/v1/stream', { maxReconnects: 3 })) {
    if (ev.event === 'done') break;
    text += (JSON.parse(ev.data) as { delta: string }).delta;
  }
  console.log(`text: ${text}`);
  console.log(`connections: ${connections} (one reconnect with Last-Event-ID)`);
} finally {
  await session.close();
  server.close();
}
