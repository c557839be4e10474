/**
 * Child process of the lean-object test in client.test.ts, run with
 * --allow-natives-syntax: uses a WebSocket for real (messages, deflate,
 * fragments, a reconnect, a close) against a ws server of its own and
 * prints `%HasFastProperties` of each hot object as JSON.
 */
import { type WebSocket as PeerSocket, WebSocketServer } from 'ws';
import { PerMessageDeflate } from '../../src/websocket/deflate.js';
import { normalizeDeflateOptions } from '../../src/websocket/negotiate.js';
import { FrameParser } from '../../src/websocket/frame.js';
import { Inbox } from '../../src/websocket/inbox.js';
import { WebSocket } from '../../src/websocket/index.js';
import { Utf8Validator } from '../../src/websocket/utf8.js';

const hasFast = new Function('o', 'return %HasFastProperties(o)') as (o: unknown) => boolean;

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
await new Promise<void>((resolve) => wss.once('listening', resolve));
const peers: PeerSocket[] = [];
wss.on('connection', (s) => {
  peers.push(s);
  s.on('message', (d, isBinary) => {
    if (!isBinary && d.toString() === 'frag') {
      s.send('fr', { fin: false });
      s.send('ag', { fin: true });
    } else s.send(d as Buffer, { binary: isBinary });
  });
});
const port = (wss.address() as { port: number }).port;
const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { proxy: false, autoReconnect: true, reconnectDelayMs: 10, perMessageDeflate: { threshold: 0 } });
ws.on('message', () => {});
ws.off('message', () => {});
await ws.connect();
for (let i = 0; i < 20; i++) {
  await ws.send(`text ${i}`);
  await ws.receive();
  await ws.send(new Uint8Array(2000));
  await ws.receive();
}
await ws.send('frag');
await ws.receive();
await ws.ping();
const back = new Promise((resolve) => ws.once('reconnect', resolve));
peers[0]!.terminate();
await back;
await ws.send('after');
await ws.receive();
const report: Record<string, boolean> = { WebSocket: hasFast(ws) };
await ws.close();
report.WebSocketAfterClose = hasFast(ws);

const parser = new FrameParser({ onDataFrame() {}, onControlFrame() {} }, { maxFrameBytes: 1e6, maxMessageBytes: 1e6 });
parser.execute(Buffer.from([0x01, 0x02, 0x61, 0x62, 0x80, 0x01, 0x63, 0x89, 0x00]));
parser.execute(Buffer.from([0x82, 0x7e, 0x00]));
parser.execute(Buffer.concat([Buffer.from([0xc8]), Buffer.alloc(200)]));
report.FrameParser = hasFast(parser);
const v = new Utf8Validator();
v.push(Buffer.from([0xe2, 0x82]));
v.push(Buffer.from([0xac]));
v.end();
report.Utf8Validator = hasFast(v);
const pmd = new PerMessageDeflate({ serverNoContextTakeover: false, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }, normalizeDeflateOptions(true)!, 1e6);
const out = await new Promise<Buffer>((resolve) => pmd.compress(Buffer.alloc(5000), (_e, o) => resolve(o)));
await new Promise<void>((resolve) => pmd.decompress(out, true, () => resolve()));
report.PerMessageDeflate = hasFast(pmd);
const inbox = new Inbox(100, { setQueueFull() {} });
for (let i = 0; i < 10; i++) inbox.push(`m${i}`);
for (let i = 0; i < 10; i++) await inbox.receive(null);
inbox.end(true, new Error('closed'));
report.Inbox = hasFast(inbox);
console.log(JSON.stringify(report));
wss.close();
