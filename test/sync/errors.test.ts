/**
 * Errors crossing from the blocking API's worker to the caller's thread: what
 * serializeError flattens, rebuildError gives back as the same class, with its
 * fields, causes and grouped errors, whatever was thrown.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectTimeout, NetworkError, ReqivoError } from '../../src/errors.js';
import { rebuildError, serializeError } from '../../src/sync/errors.js';

/** Through the wire format as the worker sends it (structured clone of JSON-ready data). */
function roundTrip(err: unknown): Error {
  return rebuildError(structuredClone(serializeError(err)));
}

test('a reqivo error comes back as its own class, message and fields intact', () => {
  const sent = new ConnectTimeout('GET http://127.0.0.1:1/: connect timed out after 150 ms', { timeoutMs: 150 });
  const got = roundTrip(sent);
  assert.ok(got instanceof ConnectTimeout);
  assert.ok(got instanceof ReqivoError);
  assert.equal(got.message, sent.message);
  assert.equal(got.name, 'ConnectTimeout');
  assert.equal((got as ConnectTimeout).timeoutMs, 150);
});

test('a thrown value that is not an Error becomes an Error with its text', () => {
  const got = roundTrip('plain string thrown by a hook');
  assert.equal(got.constructor, Error);
  assert.equal(got.message, 'plain string thrown by a hook');
  assert.equal(roundTrip(42).message, '42');
});

test('fields that cannot be sent (a cycle, a function, a bigint) are left out; the others arrive', () => {
  const sent = new Error('odd fields') as Error & Record<string, unknown>;
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  sent.cyclic = cyclic;
  sent.fn = () => 1;
  sent.big = 10n;
  sent.code = 'E_ODD';
  sent.detail = { port: 1, list: [1, 2] };
  const got = roundTrip(sent) as Error & Record<string, unknown>;
  assert.equal(got.code, 'E_ODD');
  assert.deepEqual(got.detail, { port: 1, list: [1, 2] });
  assert.ok(!('cyclic' in got) && !('fn' in got) && !('big' in got));
});

test('an AggregateError keeps its grouped errors, each of its own class; causes are kept as a chain', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const agg = new AggregateError([refused, new TypeError('bad family')], 'all addresses failed');
  const sent = new NetworkError('GET http://localhost:1/: connection refused', { cause: agg });
  const got = roundTrip(sent);
  assert.ok(got instanceof NetworkError);
  const cause = got.cause as AggregateError;
  assert.ok(cause instanceof AggregateError);
  assert.equal(cause.message, 'all addresses failed');
  assert.equal(cause.errors.length, 2);
  assert.equal((cause.errors[0] as Error & { code: string }).code, 'ECONNREFUSED');
  assert.ok(cause.errors[1] instanceof TypeError);
});

test('a built-in error named apart from its class keeps its name; an unknown reqivo name falls back to ReqivoError', () => {
  const sys = Object.assign(new Error('socket hang up'), { name: 'SystemError' });
  const got = roundTrip(sys);
  assert.equal(got.name, 'SystemError');
  const wire = serializeError(new ReqivoError('from a newer version'));
  const unknown = rebuildError({ ...wire, name: 'SomeFutureError' });
  assert.ok(unknown instanceof ReqivoError);
  assert.equal(unknown.message, 'from a newer version');
});

test('a cause chain deeper than the wire keeps is cut, not followed forever', () => {
  let err: Error = new Error('root');
  for (let i = 0; i < 20; i++) err = new Error(`level ${i}`, { cause: err });
  let got: unknown = roundTrip(err);
  let depth = 0;
  while (got instanceof Error && depth < 100) {
    got = got.cause;
    depth++;
  }
  assert.ok(depth > 1 && depth <= 10, `kept ${depth} levels`);
});
