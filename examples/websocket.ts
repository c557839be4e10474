/**
 * WebSocket: connect, send text and binary, receive, ping, iterate until the
 * server closes, and reconnect automatically after a dropped connection.
 *
 * Run: npx tsc -p tsconfig.test.json && node build/examples/websocket.js
 * (in your project, import from 'reqivo' instead of '../src/websocket/index.js').
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket as PeerSocket, WebSocketServer } from 'ws';
import { WebSocketError } from '../src/errors.js';
import { WebSocket } from '../src/websocket/index.js';

// Any RFC 6455 server will do; this one (the `ws` package) echoes, and on
// "stream" sends three messages and closes, on "drop" cuts the TCP connection.
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => (p.has('chat.v2') ? 'chat.v2' : false) });
await new Promise<void>((resolve) => wss.once('listening', resolve));
wss.on('connection', (peer: PeerSocket) => {
  peer.on('message', (data, isBinary) => {
    const text = isBinary ? '' : data.toString();
    if (text === 'stream') {
      for (const m of ['one', 'two', 'three']) peer.send(m);
      peer.close(1000, 'that is all');
    } else if (text === 'drop') peer.terminate();
    else peer.send(data as Buffer, { binary: isBinary });
  });
});
const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/chat`;

// 1. Echo, with a subprotocol; `await using` closes the connection at the end of the block.
{
  await using ws = await new WebSocket(url, { protocols: ['chat.v1', 'chat.v2'], proxy: false }).connect();
  console.log(`connected, subprotocol ${ws.protocol}`);
  await ws.send('hello');
  console.log(`text: ${await ws.receive()}`);
  await ws.send(new Uint8Array([1, 2, 3]));
  const bytes = (await ws.receive()) as Uint8Array;
  console.log(`binary: ${bytes.length} bytes`);
  await ws.ping(); // resolves with the round-trip time in ms
  console.log('ping answered');
}

// 2. Iterate until the server closes; the loop ends on a normal close.
{
  const ws = await new WebSocket(url, { proxy: false }).connect();
  await ws.send('stream');
  const got: unknown[] = [];
  for await (const msg of ws) got.push(msg);
  console.log(`streamed: ${got.join(', ')}; closed with ${ws.closeCode} (${ws.closeReason})`);
}

// 3. Auto-reconnect: the connection drops, reqivo reconnects with backoff and tells us.
{
  const ws = new WebSocket(url, { proxy: false, autoReconnect: true, reconnectDelayMs: 50, onReconnect: (n) => console.log(`reconnected on attempt ${n}`) });
  ws.on('reconnecting', (attempt, _delay, cause) => console.log(`connection lost (${(cause as WebSocketError).code}), reconnect attempt ${attempt}`));
  await ws.connect();
  const lost = new Promise((resolve) => ws.once('reconnecting', resolve));
  await ws.send('drop');
  await lost;
  await ws.send('still there?'); // waits for the new connection, then goes out
  console.log(`after reconnect: ${await ws.receive()}`);
  await ws.close();
}

// 4. Without auto-reconnect, a drop rejects the pending receive() with a WebSocketError.
{
  const ws = await new WebSocket(url, { proxy: false }).connect();
  const pending = ws.receive();
  await ws.send('drop');
  try {
    await pending;
  } catch (err) {
    if (err instanceof WebSocketError) console.log(`drop without reconnect: WebSocketError ${err.code}`);
  }
}

wss.close();
