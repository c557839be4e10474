/**
 * Bad requests are refused with InvalidRequestError before a byte is sent:
 * a raw server records every connection and byte, and must see none.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidRequestError, RequestError } from '../../src/index.js';
import type { RequestOptions } from '../../src/index.js';
import { rejectsWith, useHarness } from '../helpers/engine.js';
import { captureServer, headerOf, sleep } from '../helpers/servers.js';

const h = useHarness();

async function expectInvalid(method: string, path: string, opts: RequestOptions | undefined, messageIncludes: RegExp, displayUrl?: string): Promise<void> {
  const srv = h.server(await captureServer());
  const s = h.session();
  const url = path.includes('://') ? path : `${srv.url}${path}`;
  await rejectsWith(s.request(method, url, opts), InvalidRequestError, method.toUpperCase(), displayUrl ?? url, (e) =>
    assert.match(e.message, messageIncludes),
  );
  await sleep(20);
  assert.equal(srv.accepted, 0, 'no connection was opened');
  assert.equal(srv.bytes, 0, 'no byte was sent');
}

describe('request validation (nothing is sent)', () => {
  test('a method with a space', async () => {
    await expectInvalid('GE T', '/x', undefined, /invalid HTTP method/);
  });

  test('a method with CRLF', async () => {
    await expectInvalid('GET\r\nX-Evil: 1', '/x', undefined, /invalid HTTP method/);
  });

  test('CONNECT (a tunnel, not a request: openTunnel)', async () => {
    await expectInvalid('CONNECT', '/x', undefined, /openTunnel/);
    await expectInvalid('connect', '/x', undefined, /openTunnel/);
  });

  test('an empty method', async () => {
    const srv = h.server(await captureServer());
    const s = h.session();
    await assert.rejects(s.request('', `${srv.url}/`), InvalidRequestError);
    assert.equal(srv.accepted, 0);
  });

  for (const [what, value] of [
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['CRLF (header injection)', 'a\r\nX-Injected: yes'],
    ['NUL', 'a\0b'],
  ] as const) {
    test(`a header value with ${what}`, async () => {
      await expectInvalid('GET', '/x', { headers: { 'x-test': value } }, /invalid value for header x-test: CR, LF and NUL are not allowed/);
    });
  }

  test('a header value with a character above U+00FF', async () => {
    await expectInvalid('GET', '/x', { headers: { 'x-test': 'snow ☃' } }, /invalid value for header x-test: characters above U\+00FF cannot be sent/);
  });

  for (const name of ['bad name', 'bad:name', 'bad\r\nname', '', 'bad(name)']) {
    test(`a header name ${JSON.stringify(name)}`, async () => {
      await expectInvalid('POST', '/x', { headers: { [name]: 'v' } }, /invalid header name/);
    });
  }

  test('a bad session default header is refused when the session is made', () => {
    assert.throws(() => h.session({ headers: { 'x-bad': 'a\r\nb' } }), InvalidRequestError);
  });

  test('a bad URL', async () => {
    const s = h.session();
    await rejectsWith(s.get('http://'), InvalidRequestError, 'GET', 'http://', (e) => assert.match(e.message, /invalid URL/));
    await rejectsWith(s.get('not a url'), InvalidRequestError, 'GET', 'not a url');
  });

  test('an unsupported scheme', async () => {
    const s = h.session();
    await rejectsWith(s.get('ftp://127.0.0.1/file'), InvalidRequestError, 'GET', 'ftp://127.0.0.1/file', (e) =>
      assert.match(e.message, /unsupported URL scheme/),
    );
    await rejectsWith(s.post('file:///etc/passwd'), InvalidRequestError, 'POST', 'file:///etc/passwd');
  });

  test('a relative URL without baseUrl', async () => {
    const s = h.session();
    await rejectsWith(s.get('/relative'), InvalidRequestError, 'GET', '/relative');
  });

  for (const [what, body] of [
    ['a number', 42],
    ['a plain object', { a: 1 }],
    ['a boolean', true],
  ] as const) {
    test(`a body of the wrong type (${what})`, async () => {
      await expectInvalid('POST', '/x', { body: body as never }, /unsupported body type/);
    });
  }

  test('body and json together', async () => {
    await expectInvalid('POST', '/x', { body: 'a', json: { a: 1 } }, /only one of body, json and form/);
  });

  test('a json value that cannot be serialised', async () => {
    const srv = h.server(await captureServer());
    const s = h.session();
    await rejectsWith(s.post(`${srv.url}/x`, { json: () => 1 }), InvalidRequestError, 'POST', `${srv.url}/x`);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await rejectsWith(s.post(`${srv.url}/x`, { json: cyclic }), InvalidRequestError, 'POST', `${srv.url}/x`, (e) =>
      assert.ok(e.cause instanceof TypeError),
    );
    await rejectsWith(s.post(`${srv.url}/x`, { json: { n: 1n } }), InvalidRequestError, 'POST', `${srv.url}/x`);
    assert.equal(srv.accepted, 0);
  });

  test('a bad timeout or limit option', async () => {
    const srv = h.server(await captureServer());
    const s = h.session();
    await assert.rejects(s.get(`${srv.url}/`, { timeout: -1 }), InvalidRequestError);
    await assert.rejects(s.get(`${srv.url}/`, { limits: { maxBodyBytes: -5 } }), InvalidRequestError);
    assert.equal(srv.accepted, 0);
  });

  test('credentials in the URL are not shown in error messages', async () => {
    const srv = h.server(await captureServer());
    const s = h.session();
    await assert.rejects(s.get(`http://user:secret@127.0.0.1:${srv.port}/x`, { headers: { 'x-bad': '\n' } }), (e: unknown) => {
      assert.ok(e instanceof InvalidRequestError);
      assert.ok(!e.message.includes('secret'), e.message);
      return true;
    });
    await assert.rejects(s.get('ftp://user:secret@127.0.0.1/'), (e: unknown) => {
      assert.ok(e instanceof InvalidRequestError);
      assert.ok(!e.message.includes('secret'), e.message);
      return true;
    });
  });

  test('URL credentials that are not valid percent-encoding (%zz, a lone UTF-8 byte) are an InvalidRequestError, not a bare URIError', async () => {
    const srv = h.server(await captureServer());
    const s = h.session();
    for (const userinfo of ['a%zz:p', 'u:%C3', '%E2%82:p']) {
      await assert.rejects(s.get(`http://${userinfo}@127.0.0.1:${srv.port}/x`), (e: unknown) => {
        assert.ok(e instanceof InvalidRequestError, String(e));
        assert.match(e.message, /percent-encoded/);
        return true;
      });
    }
    // Valid escapes still decode: `p@ss:wörd` goes as Basic credentials.
    const ok = h.server(await captureServer());
    assert.equal((await s.get(`http://u%40x:p%3Aw%C3%B6rd@127.0.0.1:${ok.port}/y`)).status, 200);
    assert.equal(srv.accepted, 0);
    assert.equal(headerOf(ok.requests[0]!, 'authorization'), `Basic ${Buffer.from('u@x:p:wörd').toString('base64')}`);
  });

  test(
    'every failure is a ReqivoError: options that throw while the request is prepared',
    async () => {
      const srv = h.server(await captureServer());
      const s = h.session();
      const badQuery = { a: { toString: (): string => { throw new Error('bad toString'); } } } as unknown as Record<string, string>;
      await rejectsWith(s.get(`${srv.url}/`, { query: badQuery }), InvalidRequestError, 'GET', `${srv.url}/`);
      assert.equal(srv.accepted, 0);
    },
  );

  test('a closed session refuses new requests', async () => {
    const srv = h.server(await captureServer());
    const s = h.session();
    await s.close();
    await rejectsWith(s.get(`${srv.url}/`), RequestError, 'GET', `${srv.url}/`, (e) => assert.match(e.message, /closed/));
    assert.equal(srv.accepted, 0);
  });
});
