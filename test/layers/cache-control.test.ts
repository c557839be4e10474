import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freshnessLifetime, initialAge, parseCacheControl, seconds, storable } from '../../src/layers/cache-control.js';
import { Headers } from '../../src/http/headers.js';

const dirs = (v: string): Record<string, string> => ({ ...parseCacheControl(v) });

describe('Cache-Control parsing (§5.2)', () => {
  test('names lower-cased, values, quoted values with commas and escapes, empty members', () => {
    assert.deepEqual(dirs('Max-Age=60, private,,  no-cache="set-cookie, x" , ext="a\\"b"'), { 'max-age': '60', private: '', 'no-cache': 'set-cookie, x', ext: 'a"b' });
    assert.deepEqual(dirs(''), {});
    assert.deepEqual(dirs(',,,'), {});
  });

  test('a repeated directive: the first counts; seconds() takes digits only', () => {
    const d = parseCacheControl('max-age=10, max-age=99, s-maxage=abc');
    assert.equal(seconds(d, 'max-age'), 10);
    assert.equal(seconds(d, 's-maxage'), null);
    assert.equal(seconds(parseCacheControl('max-age="5"'), 'max-age'), 5);
  });
});

describe('freshness and age (§4.2)', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const h = (o: Record<string, string>): Headers => new Headers(o);

  test('max-age over Expires; Expires minus Date; an invalid Expires is stale; s-maxage ignored', () => {
    assert.equal(freshnessLifetime(200, h({ expires: 'Thu, 01 Jan 2026 13:00:00 GMT' }), parseCacheControl('max-age=5'), now), 5);
    assert.equal(freshnessLifetime(200, h({ date: 'Thu, 01 Jan 2026 12:00:00 GMT', expires: 'Thu, 01 Jan 2026 13:00:00 GMT' }), parseCacheControl(null), now), 3600);
    assert.equal(freshnessLifetime(200, h({ expires: '0' }), parseCacheControl(null), now), 0);
    assert.equal(freshnessLifetime(200, h({}), parseCacheControl('s-maxage=600'), now), 0);
  });

  test('heuristic only for heuristically cacheable statuses (or public), 10% of the Last-Modified age', () => {
    const lm = h({ date: 'Thu, 01 Jan 2026 12:00:00 GMT', 'last-modified': 'Thu, 01 Jan 2026 02:00:00 GMT' });
    assert.equal(freshnessLifetime(200, lm, parseCacheControl(null), now), 3600);
    assert.equal(freshnessLifetime(302, lm, parseCacheControl(null), now), 0);
    assert.equal(freshnessLifetime(302, lm, parseCacheControl('public'), now), 3600);
  });

  test('initial age: the larger of apparent age and Age plus the response delay', () => {
    assert.equal(initialAge(h({ date: new Date(now - 10_000).toUTCString() }), now - 1000, now), 10);
    assert.equal(initialAge(h({ age: '30' }), now - 2000, now), 32);
  });

  test('storable: no-store, Vary: *, unknown statuses and 206 are not', () => {
    const cc = parseCacheControl;
    assert.equal(storable(200, h({}), cc(null), cc(null)), true);
    assert.equal(storable(200, h({}), cc('no-store'), cc(null)), false);
    assert.equal(storable(200, h({}), cc(null), cc('no-store')), false);
    assert.equal(storable(200, h({ vary: 'accept, *' }), cc('max-age=5'), cc(null)), false);
    assert.equal(storable(206, h({}), cc('max-age=5'), cc(null)), false);
    assert.equal(storable(302, h({}), cc(null), cc(null)), false);
    assert.equal(storable(302, h({}), cc('max-age=5'), cc(null)), true);
  });
});
