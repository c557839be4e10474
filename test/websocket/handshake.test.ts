import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketError } from '../../src/errors.js';
import { acceptDeflate, deflateOffer, normalizeDeflateOptions, parseExtensions } from '../../src/websocket/negotiate.js';
import {
  acceptKey,
  buildUpgradeRequest,
  checkProtocols,
  checkUpgradeResponse,
  createKey,
  prepareHeaders,
  type UpgradeRequest,
  websocketUrl,
} from '../../src/websocket/handshake.js';

function request(o: Partial<UpgradeRequest> = {}): UpgradeRequest {
  return {
    url: websocketUrl('ws://example.com/chat'),
    key: 'dGhlIHNhbXBsZSBub25jZQ==',
    protocols: [],
    extensions: null,
    headers: [],
    ...o,
  };
}

const GOOD = ['Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='];

function rejects(fn: () => unknown, match: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof WebSocketError && match.test(e.message));
}

describe('keys', () => {
  test('accept key of the RFC 6455 §1.3 example', () => {
    assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
  test('createKey: 16 random bytes, base64, fresh each time', () => {
    const a = createKey();
    const b = createKey();
    assert.equal(Buffer.from(a, 'base64').length, 16);
    assert.equal(a.length, 24);
    assert.notEqual(a, b);
  });
});

describe('websocketUrl', () => {
  test('ws and wss, http(s) mapped, fragment dropped', () => {
    assert.equal(websocketUrl('ws://h/p?q=1#frag').href, 'ws://h/p?q=1');
    assert.equal(websocketUrl('http://h:81/').href, 'ws://h:81/');
    assert.equal(websocketUrl('https://h/').href, 'wss://h/');
    assert.equal(websocketUrl(new URL('wss://h:443/x')).href, 'wss://h/x');
  });
  test('bad URLs and schemes', () => {
    rejects(() => websocketUrl('not a url'), /invalid WebSocket URL/);
    rejects(() => websocketUrl('ftp://h/'), /unsupported WebSocket URL scheme "ftp:"/);
  });
});

describe('buildUpgradeRequest', () => {
  test('the RFC fields, path and query, Host without the default port', () => {
    const head = buildUpgradeRequest(request({ url: websocketUrl('ws://example.com/chat?room=1#x') }));
    const lines = head.split('\r\n');
    assert.equal(lines[0], 'GET /chat?room=1 HTTP/1.1');
    assert.ok(lines.includes('Host: example.com'));
    assert.ok(lines.includes('Connection: Upgrade'));
    assert.ok(lines.includes('Upgrade: websocket'));
    assert.ok(lines.includes('Sec-WebSocket-Version: 13'));
    assert.ok(lines.includes('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='));
    assert.ok(lines.some((l) => l.startsWith('User-Agent: reqivo/')));
    assert.ok(!head.includes('Sec-WebSocket-Protocol'));
    assert.ok(!head.includes('Sec-WebSocket-Extensions'));
    assert.ok(head.endsWith('\r\n\r\n'));
  });

  test('Host carries a non-default port, IPv6 in brackets; wss default port omitted', () => {
    assert.match(buildUpgradeRequest(request({ url: websocketUrl('ws://example.com:8080/') })), /\r\nHost: example\.com:8080\r\n/);
    assert.match(buildUpgradeRequest(request({ url: websocketUrl('ws://[::1]:9000/') })), /\r\nHost: \[::1\]:9000\r\n/);
    assert.match(buildUpgradeRequest(request({ url: websocketUrl('wss://example.com:443/') })), /\r\nHost: example\.com\r\n/);
    assert.match(buildUpgradeRequest(request({ url: websocketUrl('wss://example.com:80/') })), /\r\nHost: example\.com:80\r\n/);
  });

  test('protocols, extensions and custom headers; a custom Host and User-Agent replace ours', () => {
    const head = buildUpgradeRequest(
      request({
        protocols: ['chat', 'superchat'],
        extensions: 'permessage-deflate; client_max_window_bits',
        headers: prepareHeaders({ Origin: 'http://example.com', Cookie: 'a=1', Host: 'other.example', 'User-Agent': 'me' }),
      }),
    );
    assert.match(head, /\r\nSec-WebSocket-Protocol: chat, superchat\r\n/);
    assert.match(head, /\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n/);
    assert.match(head, /\r\nOrigin: http:\/\/example\.com\r\n/);
    assert.match(head, /\r\nCookie: a=1\r\n/);
    assert.match(head, /\r\nHost: other\.example\r\n/);
    assert.equal(head.match(/\r\nHost:/g)!.length, 1);
    assert.match(head, /\r\nUser-Agent: me\r\n/);
    assert.equal(head.match(/User-Agent:/g)!.length, 1);
  });

  test('credentials in the URL become Basic auth', () => {
    const head = buildUpgradeRequest(request({ url: websocketUrl('ws://us%20er:p%40ss@h/') }));
    assert.match(head, new RegExp(`\\r\\nAuthorization: Basic ${Buffer.from('us er:p@ss').toString('base64')}\\r\\n`));
  });

  test('credentials that are not valid percent-encoding are a WebSocketError, not a bare URIError', () => {
    for (const u of ['ws://a%zz:p@h/', 'ws://u:%C3@h/']) {
      assert.throws(() => buildUpgradeRequest(request({ url: websocketUrl(u) })), (e: unknown) => e instanceof WebSocketError && /percent-encoded/.test(e.message));
    }
  });
});

describe('prepareHeaders and checkProtocols', () => {
  test('CR, LF and NUL in values, bad names: refused', () => {
    rejects(() => prepareHeaders({ 'x-a': 'v\r\nInjected: 1' }), /invalid value for header x-a/);
    rejects(() => prepareHeaders({ 'x-a': 'v\n' }), /invalid value/);
    rejects(() => prepareHeaders({ 'x-a': 'v\0' }), /invalid value/);
    rejects(() => prepareHeaders({ 'bad name': 'v' }), /invalid header name/);
  });
  test('fields the handshake owns: refused with a hint', () => {
    rejects(() => prepareHeaders({ 'Sec-WebSocket-Key': 'x' }), /set by the WebSocket handshake/);
    rejects(() => prepareHeaders({ 'sec-websocket-protocol': 'x' }), /use the protocols option/);
    rejects(() => prepareHeaders({ 'Sec-WebSocket-Extensions': 'x' }), /perMessageDeflate option/);
    rejects(() => prepareHeaders([['Connection', 'close']]), /set by the WebSocket handshake/);
  });
  test('records, pairs and Headers all work', () => {
    assert.deepEqual(prepareHeaders([['a', '1'], ['a', '2']]), ['a', '1', 'a', '2']);
    assert.deepEqual(prepareHeaders(null), []);
  });
  test('subprotocols must be tokens, without duplicates', () => {
    checkProtocols(['chat', 'v2.json']);
    rejects(() => checkProtocols(['a b']), /invalid subprotocol name/);
    rejects(() => checkProtocols(['']), /invalid subprotocol name/);
    rejects(() => checkProtocols(['chat', 'chat']), /listed twice/);
  });
});

describe('checkUpgradeResponse', () => {
  test('a correct 101', () => {
    const r = checkUpgradeResponse(101, 'Switching Protocols', GOOD, request(), null);
    assert.deepEqual(r, { protocol: '', extensions: '', deflate: null });
  });

  test('header names and the upgrade token are case-insensitive; Connection may be a list', () => {
    const h = ['UPGRADE', 'WebSocket', 'connection', 'keep-alive, Upgrade', 'sec-websocket-accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='];
    checkUpgradeResponse(101, '', h, request(), null);
  });

  test('a redirect is reported with its Location, not followed', () => {
    rejects(
      () => checkUpgradeResponse(302, 'Found', ['Location', 'ws://elsewhere/'], request(), null),
      /redirect \(302 Found to ws:\/\/elsewhere\/\); redirects are not followed/,
    );
  });

  test('any other status is refused with the status', () => {
    rejects(() => checkUpgradeResponse(403, 'Forbidden', [], request(), null), /refused the WebSocket upgrade: 403 Forbidden/);
    rejects(() => checkUpgradeResponse(200, 'OK', GOOD, request(), null), /200 OK/);
  });

  test('missing or wrong Upgrade, Connection, Sec-WebSocket-Accept', () => {
    rejects(() => checkUpgradeResponse(101, '', GOOD.slice(2), request(), null), /Upgrade header is missing/);
    rejects(() => checkUpgradeResponse(101, '', ['Upgrade', 'h2c', ...GOOD.slice(2)], request(), null), /Upgrade header is "h2c"/);
    rejects(() => checkUpgradeResponse(101, '', [...GOOD.slice(0, 2), ...GOOD.slice(4)], request(), null), /Connection header is missing/);
    rejects(() => checkUpgradeResponse(101, '', ['Upgrade', 'websocket', 'Connection', 'keep-alive', ...GOOD.slice(4)], request(), null), /Connection header/);
    rejects(() => checkUpgradeResponse(101, '', GOOD.slice(0, 4), request(), null), /Sec-WebSocket-Accept is missing/);
    rejects(() => checkUpgradeResponse(101, '', [...GOOD.slice(0, 4), 'Sec-WebSocket-Accept', acceptKey('other')], request(), null), /Sec-WebSocket-Accept is wrong/);
  });

  test('subprotocol: one offered is taken; one not offered fails; none selected is allowed', () => {
    const req = request({ protocols: ['a', 'b'] });
    assert.equal(checkUpgradeResponse(101, '', [...GOOD, 'Sec-WebSocket-Protocol', 'b'], req, null).protocol, 'b');
    assert.equal(checkUpgradeResponse(101, '', GOOD, req, null).protocol, '');
    rejects(() => checkUpgradeResponse(101, '', [...GOOD, 'Sec-WebSocket-Protocol', 'c'], req, null), /subprotocol "c", not one of a, b/);
    rejects(() => checkUpgradeResponse(101, '', [...GOOD, 'Sec-WebSocket-Protocol', 'a, b'], req, null), /subprotocol "a, b"/);
    rejects(() => checkUpgradeResponse(101, '', [...GOOD, 'Sec-WebSocket-Protocol', 'a'], request(), null), /none was offered/);
  });

  test('extensions: only what was offered', () => {
    const offer = normalizeDeflateOptions(true)!;
    const r = checkUpgradeResponse(101, '', [...GOOD, 'Sec-WebSocket-Extensions', 'permessage-deflate; server_no_context_takeover'], request(), offer);
    assert.deepEqual(r.deflate, { serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 });
    assert.equal(r.extensions, 'permessage-deflate; server_no_context_takeover');
    rejects(() => checkUpgradeResponse(101, '', [...GOOD, 'Sec-WebSocket-Extensions', 'permessage-deflate'], request(), null), /"permessage-deflate", which was not offered/);
    rejects(() => checkUpgradeResponse(101, '', [...GOOD, 'Sec-WebSocket-Extensions', 'x-foo'], request(), offer), /"x-foo", which was not offered/);
    rejects(() => checkUpgradeResponse(101, '', [...GOOD, 'Sec-WebSocket-Extensions', 'permessage-deflate, permessage-deflate'], request(), offer), /twice/);
    rejects(() => checkUpgradeResponse(101, '', [...GOOD, 'Sec-WebSocket-Extensions', 'permessage-deflate; x=1'], request(), offer), /unknown permessage-deflate parameter x/);
  });
});

describe('permessage-deflate negotiation (RFC 7692 §7.1)', () => {
  const dflt = normalizeDeflateOptions(true)!;

  test('offers', () => {
    assert.equal(deflateOffer(dflt), 'permessage-deflate; client_max_window_bits');
    assert.equal(
      deflateOffer(normalizeDeflateOptions({ clientNoContextTakeover: true, serverNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 })!),
      'permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12',
    );
    assert.equal(normalizeDeflateOptions(false), null);
  });

  test('option checks', () => {
    assert.throws(() => normalizeDeflateOptions({ serverMaxWindowBits: 7 }), /from 8 to 15/);
    assert.throws(() => normalizeDeflateOptions({ clientMaxWindowBits: 16 }), /from 8 to 15/);
    assert.throws(() => normalizeDeflateOptions({ level: 10 }), /level/);
    assert.throws(() => normalizeDeflateOptions({ threshold: -1 }), /threshold/);
  });

  test('parseExtensions: params, quoted values, several extensions', () => {
    assert.deepEqual(parseExtensions('permessage-deflate; client_max_window_bits="10"; server_no_context_takeover, x-other'), [
      {
        name: 'permessage-deflate',
        params: [
          ['client_max_window_bits', '10'],
          ['server_no_context_takeover', true],
        ],
      },
      { name: 'x-other', params: [] },
    ]);
    assert.throws(() => parseExtensions('permessage-deflate; a="unterminated'), /unterminated/);
    assert.throws(() => parseExtensions('permessage-deflate; a="b c"'), /invalid value/);
    assert.throws(() => parseExtensions('permessage-deflate x'), /unexpected/);
  });

  const accept = (v: string, offer = dflt) => acceptDeflate(offer, parseExtensions(v)[0]!);

  test('window bits from the server', () => {
    assert.equal(accept('permessage-deflate; client_max_window_bits=10').clientMaxWindowBits, 10);
    assert.equal(accept('permessage-deflate; server_max_window_bits=9').serverMaxWindowBits, 9);
    assert.throws(() => accept('permessage-deflate; client_max_window_bits=7'), /from 8 to 15/);
    assert.throws(() => accept('permessage-deflate; client_max_window_bits'), /no value/);
    assert.throws(() => accept('permessage-deflate; server_max_window_bits=16'), /from 8 to 15/);
    // §7.1.2: a decimal integer "without leading zeroes".
    for (const v of ['08', '010', '015', '"09"', '0', '1e1', '-8']) {
      assert.throws(() => accept(`permessage-deflate; server_max_window_bits=${v}`), /from 8 to 15/, v);
      assert.throws(() => accept(`permessage-deflate; client_max_window_bits=${v}`), /from 8 to 15/, v);
    }
    for (let bits = 8; bits <= 15; bits++) {
      assert.equal(accept(`permessage-deflate; server_max_window_bits=${bits}`).serverMaxWindowBits, bits);
      assert.equal(accept(`permessage-deflate; client_max_window_bits="${bits}"`).clientMaxWindowBits, bits);
    }
  });

  test('the server may not exceed what was offered', () => {
    const offer = normalizeDeflateOptions({ serverMaxWindowBits: 10, clientMaxWindowBits: 11 })!;
    assert.throws(() => accept('permessage-deflate; server_max_window_bits=12', offer), /larger than the 10 offered/);
    assert.throws(() => accept('permessage-deflate; client_max_window_bits=12', offer), /larger than the 11 offered/);
    assert.equal(accept('permessage-deflate; server_max_window_bits=10', offer).clientMaxWindowBits, 11, 'our own limit applies when the server is silent');
    assert.equal(accept('permessage-deflate; server_max_window_bits=8', offer).serverMaxWindowBits, 8);
    // §7.1.2.1: accepting an offer with server_max_window_bits means answering with it.
    assert.throws(() => accept('permessage-deflate', offer), /ignored the server_max_window_bits=10/);
    assert.throws(() => accept('permessage-deflate; client_max_window_bits=11', offer), /ignored the server_max_window_bits=10/);
    // Not asked for: the server may still limit its own window.
    assert.equal(accept('permessage-deflate; server_max_window_bits=9').serverMaxWindowBits, 9);
  });

  test('no-context-takeover flags take no value, appear once, and a requested one must be accepted', () => {
    assert.equal(accept('permessage-deflate; client_no_context_takeover').clientNoContextTakeover, true);
    assert.throws(() => accept('permessage-deflate; server_no_context_takeover=1'), /takes no value/);
    assert.throws(() => accept('permessage-deflate; server_no_context_takeover; server_no_context_takeover'), /given twice/);
    assert.throws(() => accept('permessage-deflate', normalizeDeflateOptions({ serverNoContextTakeover: true })!), /ignored the server_no_context_takeover/);
  });
});
