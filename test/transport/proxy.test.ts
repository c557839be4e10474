import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NoProxy, ProxyEnv, parseProxyUrl, proxyAuthorization, proxyFor } from '../../src/transport/proxy.js';
import { InvalidRequestError } from '../../src/errors.js';

const P = 'http://proxy.corp:3128/';
const S = 'http://sproxy.corp:3129/';

describe('proxyFor: which proxy a URL uses', () => {
  test('http and https pick their own variables; ws/wss follow them', () => {
    const env = { http_proxy: P, HTTPS_PROXY: S };
    assert.equal(proxyFor('http://example.com/x', env), P);
    assert.equal(proxyFor('https://example.com/x', env), S);
    assert.equal(proxyFor('ws://example.com/x', env), P);
    assert.equal(proxyFor('wss://example.com/x', env), S);
    assert.equal(proxyFor('https://example.com/x', { http_proxy: P }), null);
  });

  test('httpoxy: upper-case HTTP_PROXY is ignored, as curl does (under CGI a Proxy: header becomes HTTP_PROXY)', () => {
    assert.equal(proxyFor('http://a.com', { HTTP_PROXY: P }), null);
    assert.equal(proxyFor('ws://a.com', { HTTP_PROXY: P }), null);
    assert.equal(proxyFor('http://a.com', { HTTP_PROXY: S, http_proxy: P }), P);
    // ALL_PROXY still applies when http_proxy is unset; HTTP_PROXY never shadows it.
    assert.equal(proxyFor('http://a.com', { HTTP_PROXY: S, ALL_PROXY: P }), P);
    // An unusable HTTP_PROXY fails nothing: it is not read at all.
    assert.equal(proxyFor('http://a.com', { HTTP_PROXY: 'socks5://x:1080' }), null);
  });

  test('either case for https, all and no; lower case wins, as in curl; empty means unset', () => {
    assert.equal(proxyFor('http://a.com', { http_proxy: P }), P);
    assert.equal(proxyFor('https://a.com', { https_proxy: S }), S);
    assert.equal(proxyFor('https://a.com', { HTTPS_PROXY: S }), S);
    assert.equal(proxyFor('https://a.com', { https_proxy: P, HTTPS_PROXY: S }), P);
    assert.equal(proxyFor('https://a.com', { https_proxy: '', HTTPS_PROXY: S }), S);
    assert.equal(proxyFor('http://a.com', { all_proxy: P, ALL_PROXY: S }), P);
    assert.equal(proxyFor('http://a.com', { http_proxy: P, no_proxy: 'b.com', NO_PROXY: 'a.com' }), P);
    assert.equal(proxyFor('http://a.com', { http_proxy: P, NO_PROXY: 'a.com' }), null);
    assert.equal(proxyFor('http://a.com', {}), null);
  });

  test('ALL_PROXY is the fallback for both schemes', () => {
    assert.equal(proxyFor('http://a.com', { ALL_PROXY: P }), P);
    assert.equal(proxyFor('https://a.com', { all_proxy: P }), P);
    assert.equal(proxyFor('https://a.com', { ALL_PROXY: P, HTTPS_PROXY: S }), S);
  });

  test('a proxy without scheme is http://; credentials are kept', () => {
    assert.equal(proxyFor('http://a.com', { http_proxy: 'proxy.corp:3128' }), P);
    assert.equal(proxyFor('http://a.com', { http_proxy: 'http://u:p%40ss@proxy.corp:3128' }), 'http://u:p%40ss@proxy.corp:3128/');
  });

  test('NO_PROXY: domains match themselves and their subdomains, never look-alikes', () => {
    const env = { http_proxy: P, NO_PROXY: 'example.com' };
    assert.equal(proxyFor('http://example.com/', env), null);
    assert.equal(proxyFor('http://www.example.com/', env), null);
    assert.equal(proxyFor('http://a.b.example.com/', env), null);
    assert.equal(proxyFor('http://badexample.com/', env), P);
    assert.equal(proxyFor('http://example.com.evil.net/', env), P);
    assert.equal(proxyFor('http://EXAMPLE.COM./', env), null);
  });

  test('NO_PROXY: a leading dot (or *.) matches the domain and its subdomains', () => {
    for (const entry of ['.example.com', '*.example.com']) {
      const env = { http_proxy: P, no_proxy: entry };
      assert.equal(proxyFor('http://www.example.com/', env), null, entry);
      assert.equal(proxyFor('http://example.com/', env), null, entry);
      assert.equal(proxyFor('http://notexample.com/', env), P, entry);
    }
  });

  test('NO_PROXY: ports limit an entry to that port (default ports count)', () => {
    const env = { http_proxy: P, HTTPS_PROXY: S, NO_PROXY: 'example.com:8080, other.com:443' };
    assert.equal(proxyFor('http://example.com:8080/', env), null);
    assert.equal(proxyFor('http://example.com/', env), P);
    assert.equal(proxyFor('http://example.com:9090/', env), P);
    assert.equal(proxyFor('https://other.com/', env), null);
    assert.equal(proxyFor('http://other.com/', env), P);
  });

  test('NO_PROXY: * bypasses everything; lists split on commas and spaces', () => {
    assert.equal(proxyFor('http://anything.net/', { http_proxy: P, NO_PROXY: '*' }), null);
    assert.equal(proxyFor('http://anything.net/', { http_proxy: P, NO_PROXY: 'a.com, *' }), null);
    const env = { http_proxy: P, NO_PROXY: ' a.com  b.com,c.com ,, ' };
    for (const h of ['a.com', 'b.com', 'c.com']) assert.equal(proxyFor(`http://${h}/`, env), null, h);
    assert.equal(proxyFor('http://d.com/', env), P);
    // `*` inside a name is not a wildcard.
    assert.equal(proxyFor('http://x.com/', { http_proxy: P, NO_PROXY: 'x*.com' }), P);
  });

  test('NO_PROXY: IP addresses match exactly or by CIDR, never by suffix', () => {
    const env = { http_proxy: P, NO_PROXY: '127.0.0.1,10.0.0.0/8,[::1],fd00::/8,192.168.1.5:8080' };
    assert.equal(proxyFor('http://127.0.0.1:9000/', env), null);
    assert.equal(proxyFor('http://27.0.0.1/', env), P);
    assert.equal(proxyFor('http://10.20.30.40/', env), null);
    assert.equal(proxyFor('http://11.0.0.1/', env), P);
    assert.equal(proxyFor('http://[::1]:8080/', env), null);
    assert.equal(proxyFor('http://[fd12::1]/', env), null);
    assert.equal(proxyFor('http://[fe80::1]/', env), P);
    assert.equal(proxyFor('http://192.168.1.5:8080/', env), null);
    assert.equal(proxyFor('http://192.168.1.5/', env), P);
  });

  test('NO_PROXY: Unicode entries match the punycode host the URL parser gives', () => {
    const env = { http_proxy: P, no_proxy: 'bücher.example, .ñandú.test, ÉXAMPLE.org' };
    assert.equal(proxyFor('http://bücher.example/', env), null);
    assert.equal(proxyFor('http://xn--bcher-kva.example/', env), null);
    assert.equal(proxyFor('http://www.bücher.example/', env), null);
    assert.equal(proxyFor('http://a.ñandú.test/', env), null);
    assert.equal(proxyFor('http://éxample.org/', env), null);
    assert.equal(proxyFor('http://bucher.example/', env), P);
    // A punycode entry matches the Unicode URL too.
    assert.equal(proxyFor('http://bücher.example/', { http_proxy: P, no_proxy: 'xn--bcher-kva.example' }), null);
    assert.equal(new NoProxy('bücher.example').matches('BÜCHER.example', 80), true);
  });

  test('NoProxy and ProxyEnv can be reused', () => {
    const np = new NoProxy('.internal, localhost');
    assert.equal(np.matches('db.internal', 5432), true);
    assert.equal(np.matches('localhost', 80), true);
    assert.equal(np.matches('[::1]', 80), false);
    const pe = new ProxyEnv({ HTTPS_PROXY: S, NO_PROXY: 'localhost' });
    assert.equal(proxyFor('https://localhost/', pe), null);
    assert.equal(proxyFor('https://remote/', pe), S);
  });

  test('parseProxyUrl rejects other schemes and garbage; proxyAuthorization decodes credentials', () => {
    assert.throws(() => parseProxyUrl('socks4://h:1080'), InvalidRequestError);
    assert.throws(() => parseProxyUrl('http://'), InvalidRequestError);
    // An unusable proxy in the environment fails the requests that would use it, and only those.
    const pe = new ProxyEnv({ http_proxy: 'socks4://x:1080', HTTPS_PROXY: S, NO_PROXY: 'direct.net' });
    assert.throws(() => proxyFor('http://a.com/', pe), (e: unknown) => e instanceof InvalidRequestError && /http_proxy holds a proxy reqivo cannot use/.test(e.message));
    assert.equal(proxyFor('http://direct.net/', pe), null);
    assert.equal(proxyFor('https://a.com/', pe), S);
    assert.equal(parseProxyUrl('https://p.corp').port, '');
    assert.equal(proxyAuthorization(parseProxyUrl('http://p.corp')), null);
    const auth = proxyAuthorization(parseProxyUrl('http://us%3Aer:p%40ss@p.corp'))!;
    assert.equal(Buffer.from(auth.slice(6), 'base64').toString(), 'us:er:p@ss');
    // A bad escape is refused when the URL is parsed (typed), not later as a URIError from the request path.
    for (const bad of ['http://a%zz:p@p.corp', 'http://u:%E2%82@p.corp', 'socks5://u%:p@p.corp']) {
      assert.throws(() => parseProxyUrl(bad), (e: unknown) => e instanceof InvalidRequestError && /not valid percent-encoded UTF-8/.test(e.message) && !e.message.includes('%'));
    }
    assert.throws(() => proxyFor('http://a.com/', { http_proxy: 'http://a%zz:p@p.corp' }), InvalidRequestError);
  });
});
