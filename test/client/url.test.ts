/**
 * Request URL resolution against `baseUrl`: a relative input stays under the
 * base (origin and path), whatever the URL parser would make of slashes,
 * backslashes, tabs, newlines or dot segments; only an absolute URL leaves
 * it (issue 9 item 4, the class of axios CVE-2025-27152).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidRequestError } from '../../src/errors.js';
import { resolveUrl } from '../../src/client/url.js';
import { useHarness } from '../helpers/engine.js';
import { captureServer, headerOf } from '../helpers/servers.js';

const BASE = new URL('http://api.test/v1/tenant');

/** Inputs that a URL parser resolves to another host, or above the base path. */
function escapes(host: string): string[] {
  return [
    `//${host}/x`,
    `/\\${host}/x`,
    `\\\\${host}/x`,
    `\\/${host}/x`,
    `/\t/${host}/x`,
    `\n//${host}/x`,
    ` //${host}/x`,
    `/%09/${host}/x`.replace('%09', '\t'),
    `//user:pass@${host}/x`,
    `http:${host}/x`,
    `http:/${host}/x`,
    `../../x`,
    `/../x`,
    `a/../../x`,
    `%2e%2e/x`,
    `.%2E/x`,
    `..\\x`,
  ];
}

describe('resolveUrl with a base', () => {
  test('relative inputs are appended under the base path', () => {
    assert.equal(resolveUrl('users', BASE, undefined).href, 'http://api.test/v1/tenant/users');
    assert.equal(resolveUrl('/users/1', BASE, undefined).href, 'http://api.test/v1/tenant/users/1');
    assert.equal(resolveUrl('', BASE, undefined).href, 'http://api.test/v1/tenant/');
    assert.equal(resolveUrl('?q=1', BASE, undefined).href, 'http://api.test/v1/tenant/?q=1');
    assert.equal(resolveUrl('a/../b', BASE, undefined).href, 'http://api.test/v1/tenant/b');
    assert.equal(resolveUrl('@evil.test', BASE, undefined).href, 'http://api.test/v1/tenant/@evil.test');
    // Percent-encoded slashes are path bytes, not separators: the host cannot change.
    assert.equal(resolveUrl('%2f%2fevil.test/x', BASE, undefined).href, 'http://api.test/v1/tenant/%2f%2fevil.test/x');
    // A URL after the leading slash is only a path.
    assert.equal(resolveUrl('/http://evil.test/x', BASE, undefined).href, 'http://api.test/v1/tenant/http://evil.test/x');
    // A colon in the first segment reads as a scheme (RFC 3986 §4.2): `./` makes it a path.
    assert.equal(resolveUrl('./x:y', new URL('http://api.test/'), undefined).href, 'http://api.test/x:y');
  });

  test('every escape form is refused with InvalidRequestError', () => {
    for (const input of escapes('evil.test')) {
      assert.throws(() => resolveUrl(input, BASE, undefined), InvalidRequestError, JSON.stringify(input));
    }
  });

  test('an absolute URL still goes where it says', () => {
    assert.equal(resolveUrl('http://other.test/x', BASE, undefined).href, 'http://other.test/x');
    assert.equal(resolveUrl('https:\\\\other.test/x', BASE, undefined).href, 'https://other.test/x');
    assert.equal(resolveUrl(new URL('http://other.test/y'), BASE, undefined).href, 'http://other.test/y');
  });
});

describe('baseUrl escapes on the wire', () => {
  const h = useHarness();

  test("no escape form reaches another host, which never sees the session's Authorization", async () => {
    const good = h.server(await captureServer());
    const evil = h.server(await captureServer());
    const s = h.session({ baseUrl: `${good.url}/api/`, auth: { type: 'bearer', token: 'secret-token' } });
    for (const input of escapes(`127.0.0.1:${evil.port}`)) {
      await assert.rejects(s.get(input), InvalidRequestError, JSON.stringify(input));
    }
    assert.equal(evil.accepted, 0, 'the other host was never contacted');
    assert.equal(good.accepted, 0, 'refused before anything was sent');
    await s.get('ok');
    assert.equal(good.requests[0]!.line, 'GET /api/ok HTTP/1.1');
    assert.equal(headerOf(good.requests[0]!, 'authorization'), 'Bearer secret-token');
  });
});
