/**
 * HeadFraming on its own (RFC 9112 §6.3, §9.3): the framing fields noted one
 * by one, and the framing and persistence they give at the end of a head.
 * The parser tests cover the same rules through bytes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidResponseError, LimitExceededError } from '../../src/errors.js';
import { Framing, HeadFraming } from '../../src/http1/framing.js';

const INF = Number.POSITIVE_INFINITY;

function framed(fields: string[], status = 200, version = '1.1', method = 'GET', maxBodyBytes = INF): { f: HeadFraming; framing: Framing } {
  const f = new HeadFraming();
  for (let i = 0; i < fields.length; i += 2) f.note(fields[i]!, fields[i + 1]!);
  return { f, framing: f.decide(status, version, method === 'HEAD', method === 'CONNECT', maxBodyBytes) };
}

describe('HeadFraming', () => {
  test('Content-Length: a length-framed body on a persistent 1.1 connection', () => {
    const { f, framing } = framed(['Content-Length', '10']);
    assert.equal(framing, Framing.Length);
    assert.equal(f.contentLength, 10);
    assert.equal(f.keepAlive, true);
    assert.equal(f.upgraded, false);
  });

  test('Transfer-Encoding wins over Content-Length, and the connection is not reused', () => {
    const { f, framing } = framed(['Content-Length', '10', 'Transfer-Encoding', 'chunked']);
    assert.equal(framing, Framing.Chunked);
    assert.equal(f.contentLength, -1);
    assert.equal(f.keepAlive, false);
  });

  test('Transfer-Encoding fields are joined before they are read', () => {
    assert.equal(framed(['Transfer-Encoding', 'identity', 'transfer-encoding', 'chunked']).framing, Framing.Chunked);
    assert.throws(() => framed(['Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked']), InvalidResponseError);
    assert.throws(() => framed(['Transfer-Encoding', 'gzip']), InvalidResponseError);
  });

  test('identity alone and no framing field at all: until close, never reused', () => {
    for (const fields of [['Transfer-Encoding', 'identity'], ['Content-Type', 'text/plain']]) {
      const { f, framing } = framed(fields);
      assert.equal(framing, Framing.Close);
      assert.equal(f.keepAlive, false);
    }
  });

  test('no body for HEAD, 204 and 304, whatever the fields say; the declared length is kept', () => {
    assert.equal(framed(['Content-Length', '5'], 200, '1.1', 'HEAD').f.contentLength, 5);
    for (const [status, method] of [[200, 'HEAD'], [204, 'GET'], [304, 'GET']] as const) {
      const { f, framing } = framed(['Content-Length', '5', 'Transfer-Encoding', 'chunked'], status, '1.1', method);
      assert.equal(framing, Framing.None, `${status} ${method}`);
      assert.equal(f.keepAlive, true);
    }
  });

  test('101 and a 2xx to CONNECT are upgrades: no body, no reuse', () => {
    for (const [status, method] of [[101, 'GET'], [200, 'CONNECT']] as const) {
      const { f, framing } = framed(['Content-Length', '5'], status, '1.1', method);
      assert.equal(framing, Framing.None);
      assert.equal(f.upgraded, true);
      assert.equal(f.keepAlive, false);
    }
    assert.equal(framed([], 407, '1.1', 'CONNECT').f.upgraded, false);
  });

  test('persistence: 1.1 unless close, 1.0 only with keep-alive, close wins', () => {
    assert.equal(framed(['Content-Length', '0', 'Connection', 'Close']).f.keepAlive, false);
    assert.equal(framed(['Content-Length', '0'], 200, '1.0').f.keepAlive, false);
    assert.equal(framed(['Content-Length', '0', 'Connection', 'foo, Keep-Alive'], 200, '1.0').f.keepAlive, true);
    assert.equal(framed(['Content-Length', '0', 'Connection', 'keep-alive', 'connection', 'close'], 200, '1.0').f.keepAlive, false);
  });

  test('Keep-Alive timeout hint in milliseconds', () => {
    assert.equal(framed(['Content-Length', '0', 'Keep-Alive', 'timeout=5, max=100']).f.keepAliveTimeoutMs, 5000);
    assert.equal(framed(['Content-Length', '0', 'Keep-Alive', 'max=100']).f.keepAliveTimeoutMs, -1);
  });

  test('the remembered last Connection and Keep-Alive values never answer for another value', () => {
    // Each parse keeps its last value (responses on a connection repeat them): the same value again, then others, in turn.
    const ka = ['timeout=5', 'timeout=5', 'max=3', 'timeout=7, max=3', 'timeout=5'];
    assert.deepEqual(
      ka.map((v) => framed(['Content-Length', '0', 'Keep-Alive', v]).f.keepAliveTimeoutMs),
      [5000, 5000, -1, 7000, 5000],
    );
    const conn = ['close', 'close', 'keep-alive', 'upgrade', 'Keep-Alive, close', 'keep-alive'];
    assert.deepEqual(
      conn.map((v) => framed(['Content-Length', '0', 'Connection', v], 200, '1.0').f.keepAlive),
      [false, false, true, false, false, true],
    );
  });

  test('a Content-Length over maxBodyBytes is refused before the body', () => {
    assert.throws(
      () => framed(['Content-Length', '11'], 200, '1.1', 'GET', 10),
      (err: unknown) => err instanceof LimitExceededError && err.limit === 'maxBodyBytes' && /Content-Length 11/.test(err.message),
    );
    assert.equal(framed(['Content-Length', '10'], 200, '1.1', 'GET', 10).framing, Framing.Length);
  });

  test('conflicting Content-Length fields are an error as they are noted', () => {
    const f = new HeadFraming();
    f.note('Content-Length', '3');
    assert.throws(() => f.note('content-length', '4'), InvalidResponseError);
  });

  test('reset() forgets everything the last head noted', () => {
    const { f } = framed(['Content-Length', '3', 'Transfer-Encoding', 'chunked', 'Connection', 'close', 'Keep-Alive', 'timeout=2']);
    f.reset();
    assert.equal(f.contentLength, -1);
    assert.equal(f.keepAliveTimeoutMs, -1);
    f.note('Content-Length', '7');
    assert.equal(f.decide(200, '1.1', false, false, INF), Framing.Length);
    assert.equal(f.keepAlive, true);
    assert.equal(f.contentLength, 7);
  });
});
