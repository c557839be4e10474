/**
 * The buffered Response's lean layout: status, reason, httpVersion and
 * method read through a shared StatusLine (bounded list, long reasons not
 * shared), redirects kept beside the response; and the same fields right
 * over a real keep-alive connection whose status lines vary.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Response, StatusLine, statusLine } from '../../src/client/response.js';
import { useHarness } from '../helpers/engine.js';
import { rawServer } from '../helpers/servers.js';

const h = useHarness();
const LIST = ['Content-Type', 'text/plain'];

describe('StatusLine sharing', () => {
  test('responses with the same status line, version and method share one StatusLine', () => {
    const a = statusLine(200, 'OK', '1.1', 'GET');
    assert.ok(a instanceof StatusLine);
    assert.equal(statusLine(200, 'OK', '1.1', 'GET'), a);
    assert.notEqual(statusLine(200, 'OK', '1.1', 'HEAD'), a);
    assert.notEqual(statusLine(200, 'OK', '2', 'GET'), a);
    assert.notEqual(statusLine(200, 'Fine', '1.1', 'GET'), a);
    assert.notEqual(statusLine(201, 'OK', '1.1', 'GET'), a);
  });

  test('a long reason phrase is not shared (nothing long is kept alive by the list)', () => {
    const reason = 'x'.repeat(65);
    const a = statusLine(299, reason, '1.1', 'GET');
    assert.equal(a.reason, reason);
    assert.notEqual(statusLine(299, reason, '1.1', 'GET'), a);
    const short = 'y'.repeat(64);
    assert.equal(statusLine(299, short, '1.1', 'GET'), statusLine(299, short, '1.1', 'GET'));
  });

  test('past the bound, every response still reads its own fields', () => {
    const made: Response[] = [];
    for (let i = 0; i < 40; i++) made.push(new Response(200 + i, `R${i}`, i % 2 === 0 ? '1.1' : '1.0', LIST, `http://h/${i}`, Buffer.from([i]), i % 3 === 0 ? 'POST' : 'GET'));
    for (let i = 0; i < 40; i++) {
      const r = made[i]!;
      assert.equal(r.status, 200 + i);
      assert.equal(r.reason, `R${i}`);
      assert.equal(r.httpVersion, i % 2 === 0 ? '1.1' : '1.0');
      assert.equal(r.method, i % 3 === 0 ? 'POST' : 'GET');
      assert.equal(r.url, `http://h/${i}`);
      assert.deepEqual([...r.body], [i]);
    }
    // The common line is still shared after the list filled up with others.
    assert.equal(statusLine(200, 'OK', '1.1', 'GET'), statusLine(200, 'OK', '1.1', 'GET'));
  });
});

describe('Response fields', () => {
  test('own keys are url and body only; ok, raiseForStatus and inspect read the shared line', () => {
    const r = new Response(404, 'Not Found', '1.1', LIST, 'http://h/x', Buffer.from('no'), 'DELETE');
    assert.deepEqual(Object.keys(r), ['url', 'body']);
    assert.equal(r.ok, false);
    assert.throws(() => r.raiseForStatus(), /404 Not Found \(client error\)/);
    assert.match((r as unknown as Record<symbol, () => string>)[Symbol.for('nodejs.util.inspect.custom')]!(), /<Response \[404 Not Found\] DELETE http:\/\/h\/x 2 bytes>/);
  });

  test('redirects: empty by default, set and read back per response, cleared by an empty chain', () => {
    const a = new Response(200, 'OK', '1.1', LIST, 'http://h/c', Buffer.alloc(0), 'GET');
    const b = new Response(200, 'OK', '1.1', LIST, 'http://h/c', Buffer.alloc(0), 'GET');
    assert.deepEqual(a.redirects, []);
    assert.ok(Object.isFrozen(a.redirects));
    a.redirects = ['http://h/a', 'http://h/b'];
    assert.deepEqual(a.redirects, ['http://h/a', 'http://h/b']);
    assert.deepEqual(b.redirects, [], 'another response is not affected');
    a.redirects = [];
    assert.deepEqual(a.redirects, []);
  });
});

describe('Response over the wire', () => {
  test('status lines that change from response to response on one connection are each reported as sent', async () => {
    // 204 and 205 skipped: they carry no body whatever Content-Length says.
    const lines = Array.from({ length: 24 }, (_, i) => ({ status: i < 4 ? 200 + i : 202 + i, reason: i % 4 === 0 ? '' : `Reason ${i}`, version: i % 5 === 0 ? '1.0' : '1.1' }));
    const conns = new Set<number>();
    const srv = h.server(
      await rawServer((socket, _head, conn, reqIndex) => {
        conns.add(conn);
        const l = lines[reqIndex % lines.length]!;
        // Keep-alive on 1.0 needs saying so.
        const keep = l.version === '1.0' ? 'Connection: keep-alive\r\n' : '';
        socket.write(`HTTP/${l.version} ${l.status} ${l.reason}\r\n${keep}Content-Length: 2\r\n\r\n${String(reqIndex).padStart(2, '0')}`);
      }),
    );
    const s = h.session({ baseUrl: srv.url });
    const kept: Response[] = [];
    for (let i = 0; i < lines.length; i++) kept.push(await s.request(i % 2 === 0 ? 'GET' : 'DELETE', '/'));
    for (let i = 0; i < lines.length; i++) {
      const r = kept[i]!;
      const l = lines[i]!;
      assert.equal(r.status, l.status, `response ${i}`);
      assert.equal(r.reason, l.reason, `response ${i}`);
      assert.equal(r.httpVersion, l.version, `response ${i}`);
      assert.equal(r.method, i % 2 === 0 ? 'GET' : 'DELETE', `response ${i}`);
      assert.equal(r.text(), String(i).padStart(2, '0'));
    }
    assert.equal(srv.requests.length, lines.length);
    assert.equal(conns.size, 1, 'one keep-alive connection carried them all');
  });
});
