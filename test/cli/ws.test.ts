/** `reqivo ws URL`: stdin lines out, messages in with direction and time, clean close on end of input and Ctrl-C. */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { reqivo } from './bin.js';

let wss: WebSocketServer;
let url: string;
let upgrade: IncomingMessage | null = null;
before(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => (p.has('chat') ? 'chat' : false) });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  wss.on('connection', (sock, req) => {
    upgrade = req;
    sock.on('message', (data, isBinary) => {
      const text = data.toString();
      if (text === 'quit') return sock.close(4001, 'bye');
      sock.send(isBinary ? data : `echo ${text}`, { binary: isBinary });
    });
  });
});
after(() => new Promise<void>((resolve) => {
  for (const c of wss.clients) c.terminate();
  wss.close(() => resolve());
}));

const TIME = '\\d\\d:\\d\\d:\\d\\d\\.\\d{3}';

test('lines are sent, echoes printed with direction and time; end of input closes with 1000 (exit 0); headers and subprotocols as items', async () => {
  const r = await reqivo(['ws', `${url}/chat`, 'X-Token:abc', 'Sec-WebSocket-Protocol:chat'], {
    interactive: 'one\n',
    onStdout: (text, child) => {
      if (text.includes('echo one') && !text.includes('two')) child.stdin!.write('two\n');
      if (text.includes('echo two')) child.stdin!.end();
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^→ ${TIME} one\n← ${TIME} echo one\n→ ${TIME} two\n← ${TIME} echo two\n$`));
  assert.match(r.stderr, /connected to ws:\/\/127\.0\.0\.1:\d+\/chat \(subprotocol chat\)/);
  assert.match(r.stderr, /closed 1000\n$/);
  assert.equal(upgrade!.headers['x-token'], 'abc');
  assert.equal(upgrade!.headers['sec-websocket-protocol'], 'chat');
});

test('--binary sends binary frames and shows binary messages as hex', async () => {
  const r = await reqivo(['ws', '--binary', url], {
    interactive: 'hi\n',
    onStdout: (text, child) => {
      if (text.includes('← ')) child.stdin!.end();
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^→ ${TIME} \\[binary 2 B\\] 6869\n← ${TIME} \\[binary 2 B\\] 6869\n$`));
});

test('Ctrl-C (SIGINT) closes cleanly with 1000; the server closing with 4001 exits 1 with the code shown', async () => {
  const sigint = await reqivo(['ws', url], {
    interactive: 'ping\n',
    onStdout: (text, child) => {
      if (text.includes('echo ping')) child.kill('SIGINT');
    },
  });
  assert.equal(sigint.code, 0, sigint.stderr);
  assert.match(sigint.stderr, /closed 1000\n$/);

  const closed = await reqivo(['ws', url], { interactive: 'quit\n' });
  assert.equal(closed.code, 1, closed.stderr);
  assert.match(closed.stderr, /closed 4001 bye\n$/);
});

test('a URL that is not a WebSocket endpoint is one error line, exit 1', async () => {
  const { httpServer } = await import('../helpers/servers.js');
  const plain = await httpServer((_req, res) => res.end('no upgrade here'));
  try {
    const r = await reqivo(['ws', plain.url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^reqivo: error: GET ws:\/\/127\.0\.0\.1:\d+\/: .*\(WebSocketError\) — is it a WebSocket endpoint/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  } finally {
    await plain.close();
  }
});
