/**
 * ResponseParser body framing (RFC 9112 §6.3, §7.1): Content-Length,
 * chunked, close-delimited, no body, interim responses, upgrades. Every case
 * is fed whole, split at every byte position and one byte at a time.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Framing, ResponseParser } from '../../src/http1/parser.js';
import { accept, bytes, Collector, head, run } from './parser-harness.js';

describe('Content-Length bodies', () => {
  test('body read exactly, trailing bytes not consumed', () => {
    const raw = 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789';
    const out = accept(`${raw}HTTP/1.1 garbage`);
    assert.equal(out.body.toString(), '0123456789');
    assert.equal(out.consumed, raw.length);
    assert.equal(head(out).framing, Framing.Length);
    assert.equal(head(out).contentLength, 10);
    assert.deepEqual(out.events, ['head', 'body', 'complete']);
  });

  test('Content-Length: 0 completes at the head', () => {
    const raw = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
    const out = accept(`${raw}extra`);
    assert.equal(out.body.length, 0);
    assert.equal(out.consumed, raw.length);
    assert.deepEqual(out.events, ['head', 'complete']);
    assert.equal(head(out).contentLength, 0);
  });

  test('Content-Length with leading zeros', () => {
    const out = accept('HTTP/1.1 200 OK\r\nContent-Length: 0003\r\n\r\nabc');
    assert.equal(head(out).contentLength, 3);
    assert.equal(out.body.toString(), 'abc');
  });

  test('a list of equal values in one field is one value', () => {
    const out = accept('HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello');
    assert.equal(head(out).contentLength, 5);
    assert.equal(out.body.toString(), 'hello');
    const out2 = accept('HTTP/1.1 200 OK\r\nContent-Length: 5,5 ,  5\r\n\r\nhello');
    assert.equal(head(out2).contentLength, 5);
  });

  test('two Content-Length fields with equal values are one value', () => {
    const out = accept('HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello');
    assert.equal(head(out).contentLength, 5);
    assert.equal(out.body.toString(), 'hello');
    assert.deepEqual(head(out).headers, ['Content-Length', '5', 'content-length', '5']);
    const out2 = accept('HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\nhello');
    assert.equal(head(out2).contentLength, 5);
  });

  test('a large Content-Length body across many feeds', () => {
    const body = Buffer.alloc(100_000, 0x61);
    const raw = Buffer.concat([bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    const parts: Buffer[] = [];
    for (let i = 0; i < raw.length; i += 777) parts.push(raw.subarray(i, i + 777));
    const out = run(parts);
    assert.equal(out.error, null);
    assert.ok(out.body.equals(body));
    assert.equal(out.complete, true);
  });

  test('finish() mid Content-Length body returns false', () => {
    const out = run([bytes('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel')], { eof: true });
    assert.equal(out.finished, false);
    assert.equal(out.complete, false);
    assert.deepEqual(out.events, ['head', 'body']);
  });

  test('finish() in the head, or before any byte, returns false', () => {
    assert.equal(run([bytes('HTTP/1.1 200 OK\r\nContent-Le')], { eof: true }).finished, false);
    assert.equal(run([], { eof: true }).finished, false);
  });

  test('finish() after a complete message returns true', () => {
    const out = accept('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx', { eof: true });
    assert.equal(out.finished, true);
    assert.deepEqual(out.events, ['head', 'body', 'complete']);
  });
});

describe('chunked bodies', () => {
  test('chunks are joined, trailers empty, trailing bytes not consumed', () => {
    const raw = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
    const out = accept(`${raw}HTTP/1.1 200 OK\r\n`);
    assert.equal(out.body.toString(), 'hello world');
    assert.equal(head(out).framing, Framing.Chunked);
    assert.equal(head(out).contentLength, -1);
    assert.equal(head(out).keepAlive, true);
    assert.deepEqual(out.trailers, []);
    assert.equal(out.consumed, raw.length);
    assert.deepEqual(out.events, ['head', 'body', 'complete']);
  });

  test('empty chunked body', () => {
    const out = accept('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    assert.equal(out.body.length, 0);
    assert.deepEqual(out.events, ['head', 'complete']);
    assert.deepEqual(out.trailers, []);
  });

  test('upper- and lower-case hex sizes, leading zeros', () => {
    const body = Buffer.alloc(0xab + 0xcd + 0x10, 0x7a);
    const raw = Buffer.concat([
      bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nAB\r\n'),
      body.subarray(0, 0xab),
      bytes('\r\ncd\r\n'),
      body.subarray(0xab, 0xab + 0xcd),
      bytes('\r\n0010\r\n'),
      body.subarray(0xab + 0xcd),
      bytes('\r\n000\r\n\r\n'),
    ]);
    const out = accept(raw);
    assert.ok(out.body.equals(body));
  });

  test('chunk extensions are ignored (token, quoted-string, BWS before ;)', () => {
    const out = accept(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;foo=bar\r\nhello\r\n5 ;a="b"\r\nworld\r\n' +
        '1\t; x ; y="a;b\\"c"\r\n!\r\n2 \r\n!!\r\n0;last=1\r\n\r\n',
    );
    assert.equal(out.body.toString(), 'helloworld!!!');
  });

  test('trailers are parsed and available at completion', () => {
    const raw = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 123\r\nx-other:  v \r\n\r\n';
    const out = accept(raw);
    assert.equal(out.body.toString(), 'abc');
    assert.deepEqual(out.trailers, ['X-Sum', '123', 'x-other', 'v']);
    assert.deepEqual(head(out).headers, ['Transfer-Encoding', 'chunked', 'Trailer', 'X-Sum']);
    // And on the parser itself after completion.
    const c = new Collector();
    const p = new ResponseParser(c);
    p.reset('GET');
    assert.equal(p.execute(bytes(raw)), raw.length);
    assert.deepEqual(p.trailers, ['X-Sum', '123', 'x-other', 'v']);
  });

  test('obs-fold in a trailer is joined with SP', () => {
    const out = accept('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n');
    assert.deepEqual(out.trailers, ['X', 'a b']);
  });

  test('trailer fields never change framing or persistence', () => {
    const out = accept(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n' +
        'Content-Length: 1\r\n 2\r\nConnection: x\r\n close\r\nKeep-Alive: x\r\n timeout=9\r\n\r\n',
    );
    assert.deepEqual(out.trailers, ['Content-Length', '1 2', 'Connection', 'x close', 'Keep-Alive', 'x timeout=9']);
    const c = new Collector();
    const p = new ResponseParser(c);
    p.reset('GET');
    p.execute(bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 7\r\nKeep-Alive: x\r\n timeout=9\r\n\r\n'));
    assert.equal(p.complete, true);
    assert.equal(p.contentLength, -1);
    assert.equal(p.keepAliveTimeoutMs, -1);
    assert.equal(p.keepAlive, true);
  });

  test('bare LF line endings in chunk lines, chunk data ends and trailers', () => {
    const out = accept('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\nhello\n1;x=y\n!\n0\nT: v\n\n');
    assert.equal(out.body.toString(), 'hello!');
    assert.deepEqual(out.trailers, ['T', 'v']);
  });

  test('Transfer-Encoding is case-insensitive, one field or several', () => {
    const out = accept('HTTP/1.1 200 OK\r\nTransfer-Encoding: identity, CHUNKED\r\n\r\n1\r\nx\r\n0\r\n\r\n');
    assert.equal(head(out).framing, Framing.Chunked);
    assert.equal(head(out).keepAlive, true);
    const out2 = accept('HTTP/1.1 200 OK\r\nTransfer-Encoding: Identity\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n');
    assert.equal(head(out2).framing, Framing.Chunked);
    assert.equal(out2.body.toString(), 'x');
  });

  test('finish() mid chunk, mid size line, or before the last CRLF returns false', () => {
    const h = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (const tail of ['5\r\nhel', '5', '5\r\nhello', '5\r\nhello\r\n', '0\r\n', '0\r\nT: 1\r\n']) {
      const out = run([bytes(h + tail)], { eof: true });
      assert.equal(out.error, null);
      assert.equal(out.finished, false, JSON.stringify(tail));
      assert.equal(out.complete, false);
    }
  });

  test('chunked with Content-Length: chunked wins, connection not reused', () => {
    const out = accept('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    assert.equal(head(out).framing, Framing.Chunked);
    assert.equal(head(out).keepAlive, false);
    assert.equal(head(out).contentLength, -1);
    assert.equal(out.body.toString(), 'abc');
    assert.equal(out.complete, true);
  });

  test('chunked in HTTP/1.0 is read but the connection is not reused', () => {
    const out = accept('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    assert.equal(head(out).framing, Framing.Chunked);
    assert.equal(head(out).keepAlive, false);
    assert.equal(out.body.toString(), 'abc');
  });

  test('Transfer-Encoding without chunked (only identity) is read until close, even with Content-Length', () => {
    const out = accept('HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n5\r\nabc\r\n0\r\n\r\n', { eof: true });
    assert.equal(head(out).framing, Framing.Close);
    assert.equal(head(out).keepAlive, false);
    assert.equal(out.body.toString(), '5\r\nabc\r\n0\r\n\r\n');
    assert.equal(out.finished, true);
    assert.equal(out.complete, true);
    const out2 = accept('HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 2\r\n\r\nabcd', { eof: true });
    assert.equal(head(out2).framing, Framing.Close);
    assert.equal(head(out2).contentLength, -1);
    assert.equal(out2.body.toString(), 'abcd');
  });
});

describe('close-delimited bodies', () => {
  test('no Content-Length and no Transfer-Encoding: read until finish()', () => {
    const out = accept('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this\r\n\r\nis body', { eof: true });
    assert.equal(head(out).framing, Framing.Close);
    assert.equal(head(out).keepAlive, false);
    assert.equal(out.body.toString(), 'all of this\r\n\r\nis body');
    assert.equal(out.finished, true);
    assert.equal(out.complete, true);
    assert.deepEqual(out.events, ['head', 'body', 'complete']);
  });

  test('without finish() the message is not complete and every byte is consumed', () => {
    const raw = 'HTTP/1.1 200 OK\r\n\r\nabc';
    const out = accept(raw);
    assert.equal(out.complete, false);
    assert.equal(out.consumed, raw.length);
  });

  test('empty close-delimited body', () => {
    const out = accept('HTTP/1.0 200 OK\r\n\r\n', { eof: true });
    assert.equal(out.body.length, 0);
    assert.equal(out.finished, true);
    assert.deepEqual(out.events, ['head', 'complete']);
  });
});

describe('responses without a body', () => {
  test('HEAD response with Content-Length: no body, complete at the head', () => {
    const raw = 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n';
    const out = accept(`${raw}HTTP/1.1 200 OK\r\n`, { method: 'HEAD' });
    assert.equal(head(out).framing, Framing.None);
    assert.equal(head(out).contentLength, 1234);
    assert.equal(head(out).keepAlive, true);
    assert.equal(out.consumed, raw.length);
    assert.deepEqual(out.events, ['head', 'complete']);
  });

  test('HEAD response with chunked or no framing: no body either', () => {
    for (const h of ['Transfer-Encoding: chunked\r\n', '']) {
      const raw = `HTTP/1.1 200 OK\r\n${h}\r\n`;
      const out = accept(`${raw}xx`, { method: 'HEAD' });
      assert.equal(out.consumed, raw.length);
      assert.deepEqual(out.events, ['head', 'complete']);
    }
  });

  test('HEAD response with a Content-Length above maxBodyBytes is fine', () => {
    const out = accept('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n', {
      method: 'HEAD',
      limits: { maxHeaderBytes: 1024, maxHeaderCount: 10, maxBodyBytes: 10 },
    });
    assert.equal(out.complete, true);
  });

  for (const status of [204, 304]) {
    test(`${status} with Content-Length (and chunked): no body`, () => {
      const raw = `HTTP/1.1 ${status} X\r\nContent-Length: 42\r\n\r\n`;
      const out = accept(`${raw}HTTP/1.1 200 OK\r\n`);
      assert.equal(head(out).status, status);
      assert.equal(head(out).framing, Framing.None);
      assert.equal(head(out).keepAlive, true);
      assert.equal(out.consumed, raw.length);
      assert.deepEqual(out.events, ['head', 'complete']);
      const raw2 = `HTTP/1.1 ${status} X\r\nTransfer-Encoding: chunked\r\n\r\n`;
      const out2 = accept(`${raw2}0\r\n\r\n`);
      assert.equal(out2.consumed, raw2.length);
      assert.deepEqual(out2.events, ['head', 'complete']);
    });
  }
});

describe('interim (1xx) responses', () => {
  test('100 Continue and 103 Early Hints before a 200 are skipped', () => {
    const out = accept(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    );
    assert.deepEqual(out.events, ['head', 'body', 'complete']);
    assert.equal(head(out).status, 200);
    assert.equal(head(out).reason, 'OK');
    assert.deepEqual(head(out).headers, ['Content-Length', '2']);
    assert.equal(out.body.toString(), 'ok');
  });

  test('interim response fields (even Content-Length, Connection) do not leak into the final one', () => {
    const out = accept(
      'HTTP/1.1 102 Processing\r\nContent-Length: 9\r\nConnection: close\r\nKeep-Alive: timeout=1\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    );
    assert.equal(head(out).contentLength, 2);
    assert.equal(head(out).keepAlive, true);
    assert.equal(head(out).keepAliveTimeoutMs, -1);
    assert.equal(out.body.toString(), 'ok');
  });

  test('HTTP/1.0 interim then HTTP/1.1 final, bare LF, no reason', () => {
    const out = accept('HTTP/1.0 100\n\nHTTP/1.1 200\nContent-Length: 0\n\n');
    assert.equal(head(out).version, '1.1');
    assert.equal(head(out).reason, '');
    assert.equal(head(out).keepAlive, true);
  });

  test('each interim head is counted against maxHeaderBytes on its own', () => {
    const interim = 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n';
    const final = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
    const out = accept(interim + interim + interim + final, {
      limits: { maxHeaderBytes: interim.length, maxHeaderCount: 1, maxBodyBytes: 0 },
    });
    assert.equal(head(out).status, 200);
  });

  test('32 interim responses are accepted', () => {
    const out = accept(`${'HTTP/1.1 100 Continue\r\n\r\n'.repeat(32)}HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n`);
    assert.equal(head(out).status, 200);
  });
});

describe('upgrades and tunnels', () => {
  test('101 Switching Protocols: upgraded, bytes after the head not consumed', () => {
    const raw = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
    const out = accept(`${raw}\x81\x05hello`);
    assert.equal(head(out).status, 101);
    assert.equal(head(out).upgraded, true);
    assert.equal(head(out).keepAlive, false);
    assert.equal(head(out).framing, Framing.None);
    assert.equal(out.consumed, raw.length);
    assert.equal(out.body.length, 0);
    assert.deepEqual(out.events, ['head', 'complete']);
  });

  test('101 after 100 Continue', () => {
    const raw = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n';
    const out = accept(`${raw}PRI`);
    assert.equal(head(out).status, 101);
    assert.equal(head(out).upgraded, true);
    assert.equal(out.consumed, raw.length);
  });

  test('CONNECT + 200: a tunnel, even with Content-Length or chunked', () => {
    for (const h of ['', 'Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n']) {
      const raw = `HTTP/1.1 200 Connection established\r\n${h}\r\n`;
      const out = accept(`${raw}\x16\x03\x01`, { method: 'CONNECT' });
      assert.equal(head(out).upgraded, true);
      assert.equal(head(out).framing, Framing.None);
      assert.equal(head(out).keepAlive, false);
      assert.equal(out.consumed, raw.length);
      assert.deepEqual(out.events, ['head', 'complete']);
    }
  });

  test('CONNECT + 407: an ordinary response with a body, not a tunnel', () => {
    const out = accept('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\nauth', { method: 'CONNECT' });
    assert.equal(head(out).upgraded, false);
    assert.equal(head(out).framing, Framing.Length);
    assert.equal(out.body.toString(), 'auth');
  });

  test('a 200 to GET is not an upgrade', () => {
    const out = accept('HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n');
    assert.equal(head(out).upgraded, false);
  });
});
