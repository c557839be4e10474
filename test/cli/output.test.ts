/** What the bin prints: heads and bodies per --print, JSON formatting and colours per --pretty, TTY and NO_COLOR, binary, streams. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { visible } from '../../src/cli/output.js';
import { httpServer, rawServer, type TestServer } from '../helpers/servers.js';
import { reqivo, reqivoInTty } from './bin.js';

const ESC = '\x1b[';
let server: TestServer;
before(async () => {
  server = await httpServer((req, res) => {
    if (req.url === '/json') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-trace': 'abc' });
      res.end('{"name":"Ada","n":[1,2],"ok":true}');
    } else if (req.url === '/bin') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]));
    } else if (req.url === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: tick\ndata: 1\n\n');
      // The second event 1.5 s later: the test sees the first printed while the response is still open.
      setTimeout(() => res.end('data: 2\n\n'), 1500);
    } else if (req.url === '/ndjson') {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"a":1}\n');
      setTimeout(() => res.end('{"a":2}\n'), 1500);
    } else {
      res.writeHead(201, 'Made', { 'content-type': 'text/plain' });
      res.end('plain text');
    }
  });
});
after(() => server.close());

test('piped, the default is the body alone, byte for byte', async () => {
  const r = await reqivo([`${server.url}/json`]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '{"name":"Ada","n":[1,2],"ok":true}');
  const bin = await reqivo([`${server.url}/bin`]);
  assert.deepEqual(bin.raw, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]));
});

test('--print / -h / -b / -v choose the parts; -v shows the request as sent', async () => {
  const h = await reqivo(['-h', `${server.url}/text`]);
  assert.match(h.stdout, /^HTTP\/1\.1 201 Made\ncontent-type: text\/plain\n/);
  assert.doesNotMatch(h.stdout, /plain text/);
  const b = await reqivo(['-b', `${server.url}/text`]);
  assert.equal(b.stdout, 'plain text');
  const v = await reqivo(['-v', `${server.url}/text`, 'X-A:1', 'k=v']);
  assert.match(v.stdout, /^POST \/text HTTP\/1\.1\nHost: 127\.0\.0\.1:\d+\n/);
  assert.match(v.stdout, /\nX-A: 1\n/);
  assert.match(v.stdout, /\nContent-Length: 9\n\n\{"k":"v"\}\n\nHTTP\/1\.1 201 Made\n/);
  assert.match(v.stdout, /\n\nplain text\n$/);
  const hb = await reqivo(['--print=Hh', `${server.url}/text`]);
  assert.match(hb.stdout, /^GET \/text HTTP\/1\.1\n[^]*\n\nHTTP\/1\.1 201 Made\n/);
  assert.doesNotMatch(hb.stdout, /plain text/);
});

test('--pretty=format indents JSON by 4 without colours; --pretty=colors colours without indenting; none leaves it', async () => {
  const f = await reqivo(['--pretty=format', '-b', `${server.url}/json`]);
  assert.equal(f.stdout, '{\n    "name": "Ada",\n    "n": [\n        1,\n        2\n    ],\n    "ok": true\n}\n');
  const c = await reqivo(['--pretty=colors', `${server.url}/json`]);
  assert.ok(c.stdout.includes(`${ESC}34m"name"${ESC}0m:${ESC}32m"Ada"${ESC}0m`), c.stdout);
  assert.ok(c.stdout.includes(`${ESC}35mtrue${ESC}0m`));
  assert.doesNotMatch(c.stdout, /\n {4}/);
  const n = await reqivo(['--pretty=none', '-b', `${server.url}/json`]);
  assert.equal(n.stdout, '{"name":"Ada","n":[1,2],"ok":true}');
});

test('on a terminal: colours and indented JSON with the head; NO_COLOR keeps the format and drops the colours', async () => {
  const tty = await reqivoInTty([`${server.url}/json`]);
  assert.equal(tty.code, 0, tty.stdout);
  assert.ok(tty.stdout.includes(`${ESC}1m${ESC}32m200 OK${ESC}0m`), tty.stdout);
  assert.ok(tty.stdout.includes(`${ESC}36mx-trace${ESC}0m: abc`));
  assert.ok(tty.stdout.includes(`    ${ESC}34m"name"${ESC}0m`));
  const plain = await reqivoInTty([`${server.url}/json`], { env: { NO_COLOR: '1' } });
  assert.ok(!plain.stdout.includes(ESC), plain.stdout);
  assert.match(plain.stdout, /HTTP\/1\.1 200 OK\r\n/);
  assert.match(plain.stdout, /\{\r\n {4}"name": "Ada",/);
  // An explicit --pretty outranks NO_COLOR (no-color.org).
  const forced = await reqivoInTty(['--pretty=all', `${server.url}/json`], { env: { NO_COLOR: '1' } });
  assert.ok(forced.stdout.includes(ESC));
});

test('on a terminal a binary body is replaced by a note', async () => {
  const r = await reqivoInTty([`${server.url}/bin`]);
  assert.match(r.stdout, /NOTE: binary data not shown in terminal/);
  assert.match(r.stdout, /\(8 bytes, image\/png; use --download/);
  assert.ok(!r.raw.includes(0x89));
});

test('SSE and NDJSON are printed as they arrive, before the response has ended', async () => {
  for (const [path, first, second] of [['/sse', 'event: tick\ndata: 1\n\n', 'data: 2\n\n'], ['/ndjson', '{"a":1}\n', '{"a":2}\n']] as const) {
    let early = '';
    const r = await reqivo(['--stream', `${server.url}${path}`], {
      onStdout: (text) => {
        if (early === '' && text.includes(first)) early = text;
      },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(early.includes(first) && !early.includes(second), `first part shown alone: ${JSON.stringify(early)}`);
    assert.ok(r.stdout.includes(first) && r.stdout.endsWith(second), r.stdout);
  }
});

test('control characters a server puts in its reason phrase or header fields are shown as \\xHH, never sent to the terminal', async () => {
  // A raw server: node:http would not write these bytes. ESC ] 0 ; sets a terminal title; 0x9b is a one-byte CSI.
  const raw = await rawServer((sock) =>
    sock.end(Buffer.from('HTTP/1.1 200 OK\x1b[2J\r\nX-Evil: a\x1b]0;pwned\x07b\x9bc\x7f\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok', 'latin1')),
  );
  try {
    const r = await reqivo(['-h', `${raw.url}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    assert.match(r.stdout, /^HTTP\/1\.1 200 OK\\x1b\[2J\n/);
    assert.match(r.stdout, /\nX-Evil: a\\x1b\]0;pwned\\x07b\\x9bc\\x7f\n/);
  } finally {
    await raw.close();
  }
  assert.equal(visible('tab\tstays, plain stays, é stays'), 'tab\tstays, plain stays, é stays');
});
