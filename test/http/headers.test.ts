/**
 * Headers (API.md): case-insensitive, order and casing kept, several values
 * per name, validation of names and values.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidRequestError } from '../../src/errors.js';
import { Headers } from '../../src/http/headers.js';

describe('Headers', () => {
  test('get joins repeated values with ", "; null when absent', () => {
    const h = new Headers([
      ['Accept', 'text/html'],
      ['accept', 'application/json'],
      ['X-Empty', ''],
    ]);
    assert.equal(h.get('ACCEPT'), 'text/html, application/json');
    assert.equal(h.get('x-empty'), '');
    assert.equal(h.get('missing'), null);
  });

  test('getAll returns every value in order; [] when absent', () => {
    const h = new Headers().append('Via', 'a').append('X', '1').append('via', 'b');
    assert.deepEqual(h.getAll('VIA'), ['a', 'b']);
    assert.deepEqual(h.getAll('nope'), []);
  });

  test('getSetCookie keeps cookies apart (they may contain commas)', () => {
    const h = new Headers()
      .append('Set-Cookie', 'a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT')
      .append('set-cookie', 'b=2');
    assert.deepEqual(h.getSetCookie(), ['a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'b=2']);
    assert.deepEqual(new Headers().getSetCookie(), []);
  });

  test('has / set / append / delete are case-insensitive', () => {
    const h = new Headers({ 'Content-Type': 'text/plain' });
    assert.equal(h.has('content-type'), true);
    assert.equal(h.has('CONTENT-TYPE'), true);
    assert.equal(h.has('content-length'), false);
    h.append('content-TYPE', 'second');
    assert.deepEqual(h.getAll('Content-Type'), ['text/plain', 'second']);
    h.set('CONTENT-type', 'application/json');
    assert.deepEqual(h.getAll('content-type'), ['application/json']);
    assert.equal(h.size, 1);
    assert.equal(h.delete('Content-Type'), true);
    assert.equal(h.delete('Content-Type'), false);
    assert.equal(h.size, 0);
  });

  test('set keeps the position of the first occurrence and drops the others; set of a new name appends', () => {
    const h = new Headers([
      ['A', '1'],
      ['B', '2'],
      ['a', '3'],
      ['C', '4'],
    ]);
    h.set('a', 'x');
    assert.deepEqual([...h], [
      ['a', 'x'],
      ['B', '2'],
      ['C', '4'],
    ]);
    h.set('D', 5);
    assert.deepEqual([...h.keys()], ['a', 'B', 'C', 'D']);
    assert.equal(h.get('d'), '5');
  });

  test('delete removes every value, keeping the rest in order', () => {
    const h = new Headers([
      ['X', '1'],
      ['Y', '2'],
      ['x', '3'],
      ['Z', '4'],
      ['X', '5'],
    ]);
    h.delete('x');
    assert.deepEqual([...h], [
      ['Y', '2'],
      ['Z', '4'],
    ]);
  });

  test('keeps insertion order and original casing; iteration, entries, keys, values, forEach', () => {
    const h = new Headers();
    h.append('X-Zeta', 'z');
    h.append('x-alpha', 'a');
    h.append('X-ZETA', 'z2');
    const pairs = [
      ['X-Zeta', 'z'],
      ['x-alpha', 'a'],
      ['X-ZETA', 'z2'],
    ];
    assert.deepEqual([...h], pairs);
    assert.deepEqual([...h.entries()], pairs);
    assert.deepEqual([...h.keys()], ['X-Zeta', 'x-alpha', 'X-ZETA']);
    assert.deepEqual([...h.values()], ['z', 'a', 'z2']);
    const seen: string[] = [];
    h.forEach((v, n, self) => {
      assert.equal(self, h);
      seen.push(`${n}=${v}`);
    });
    assert.deepEqual(seen, ['X-Zeta=z', 'x-alpha=a', 'X-ZETA=z2']);
  });

  test('size counts header lines', () => {
    assert.equal(new Headers().size, 0);
    assert.equal(new Headers({ a: '1', b: ['2', '3'] }).size, 3);
  });

  test('toJSON: lower-case keys, repeats joined, set-cookie as an array; JSON.stringify uses it', () => {
    const h = new Headers([
      ['Content-Type', 'text/plain'],
      ['Vary', 'Accept'],
      ['vary', 'Origin'],
      ['Set-Cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
    assert.deepEqual(h.toJSON(), { 'content-type': 'text/plain', vary: 'Accept, Origin', 'set-cookie': ['a=1', 'b=2'] });
    assert.equal(JSON.stringify(new Headers({ A: 'b' })), '{"a":"b"}');
  });

  test('initialisers: record (numbers, arrays, null/undefined skipped), pairs, Headers (copied), WHATWG Headers, Map', () => {
    const rec = new Headers({ A: 1, B: ['x', 'y'], C: undefined, D: null });
    assert.deepEqual([...rec], [
      ['A', '1'],
      ['B', 'x'],
      ['B', 'y'],
    ]);
    const copy = new Headers(rec);
    copy.set('A', '2');
    assert.equal(rec.get('a'), '1', 'a copy, not a view');
    const whatwg = new globalThis.Headers({ 'X-W': 'w' });
    assert.equal(new Headers(whatwg).get('x-w'), 'w');
    const map = new Map([['X-M', 'm']]);
    assert.equal(new Headers(map).get('x-m'), 'm');
    assert.equal(new Headers(null).size, 0);
    assert.equal(new Headers(undefined).size, 0);
  });

  test('invalid names throw InvalidRequestError', () => {
    for (const name of ['', 'a b', 'a:b', 'a\r\nb', 'a\0', 'é', '(x)', 'a/b', 'a\tb']) {
      assert.throws(() => new Headers().append(name, 'v'), InvalidRequestError, JSON.stringify(name));
      assert.throws(() => new Headers().set(name, 'v'), InvalidRequestError, JSON.stringify(name));
      assert.throws(() => new Headers({ [name]: 'v' }), InvalidRequestError, JSON.stringify(name));
    }
    assert.throws(() => new Headers().append('bad name', 'v'), /invalid header name "bad name"/);
  });

  test('invalid values (CR, LF, NUL, > U+00FF) throw InvalidRequestError', () => {
    for (const value of ['a\rb', 'a\nb', 'a\r\nX-Injected: 1', 'a\0b', 'snow ☃']) {
      assert.throws(() => new Headers().append('X', value), InvalidRequestError, JSON.stringify(value));
      assert.throws(() => new Headers().set('X', value), InvalidRequestError, JSON.stringify(value));
      assert.throws(() => new Headers([['X', value]]), InvalidRequestError, JSON.stringify(value));
    }
    // Tabs, latin1 and obs-text are fine.
    assert.doesNotThrow(() => new Headers().append('X', 'a\tb café \xff'));
  });

  test('bad pair shapes throw InvalidRequestError', () => {
    assert.throws(() => new Headers([['only-name']] as unknown as [string, string][]), InvalidRequestError);
    assert.throws(() => new Headers([['a', 'b', 'c']] as unknown as [string, string][]), InvalidRequestError);
  });

  test('a failed append leaves the headers unchanged', () => {
    const h = new Headers({ A: '1' });
    assert.throws(() => h.append('B', 'x\ny'));
    assert.deepEqual([...h], [['A', '1']]);
  });
});
