import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidRequestError, Session } from '../../src/index.js';
import { nearest, SESSION_OPTIONS } from '../../src/client/option-names.js';
import { useSessions } from '../helpers/sessions.js';

const { session } = useSessions();

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidRequestError, `expected InvalidRequestError, got ${String(err)}`);
    return err.message;
  }
  return assert.fail('expected a throw');
}

describe('misspelt options fail fast', () => {
  test('session options, with the nearest valid name', () => {
    assert.equal(message(() => new Session({ timeOut: 100 } as never)), 'unknown session option "timeOut"; did you mean "timeout"?');
    assert.equal(message(() => new Session({ baseURL: 'http://x' } as never)), 'unknown session option "baseURL"; did you mean "baseUrl"?');
    assert.equal(message(() => new Session({ folowRedirects: false } as never)), 'unknown session option "folowRedirects"; did you mean "followRedirects"?');
    assert.equal(message(() => new Session({ zzzzzzzz: 1 } as never)), 'unknown session option "zzzzzzzz"');
  });

  test('nested session options: timeout, limits, pool, tls, retry, hooks', () => {
    assert.match(message(() => new Session({ timeout: { conect: 1 } } as never)), /unknown timeout option "conect"; did you mean "connect"\?/);
    assert.match(message(() => new Session({ limits: { maxBodySize: 1 } } as never)), /unknown limits option "maxBodySize"; did you mean "maxBodyBytes"\?/);
    assert.match(message(() => new Session({ pool: { maxConnections: 1 } } as never)), /unknown pool option "maxConnections"/);
    assert.match(message(() => new Session({ tls: { rejectUnauthorised: false } } as never)), /did you mean "rejectUnauthorized"\?/);
    assert.match(message(() => new Session({ retry: { limits: 2 } } as never)), /unknown retry option "limits"; did you mean "limit"\?/);
    assert.match(message(() => new Session({ hooks: { beforeRetries: [] } } as never)), /did you mean "beforeRetry"\?/);
  });

  test('request options reject before anything is sent, naming the request', async () => {
    const s = session();
    const err = await s.get('http://127.0.0.1:9/x', { socketpath: '/tmp/x' } as never).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof InvalidRequestError);
    assert.match(err.message, /^GET http:\/\/127\.0\.0\.1:9\/x: unknown request option "socketpath"/);
    await assert.rejects(s.get('http://127.0.0.1:9/x', { timeout: { totl: 5 } } as never), /did you mean "total"\?/);
  });

  test('nearest() prefers a case-insensitive match and gives up on distant names', () => {
    assert.equal(nearest('COOKIES', SESSION_OPTIONS), 'cookies');
    assert.equal(nearest('interceptor', SESSION_OPTIONS), 'interceptors');
    assert.equal(nearest('qqq', SESSION_OPTIONS), null);
  });
});
