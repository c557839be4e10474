/**
 * listElements: the RFC 9110 §5.6.1 list rule the parser reads
 * Transfer-Encoding with (quoted strings per §5.6.4).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listElements } from '../../src/http/syntax.js';

test('commas split, OWS is trimmed, empty elements are dropped', () => {
  assert.deepEqual(listElements('chunked'), ['chunked']);
  assert.deepEqual(listElements('chunked,'), ['chunked']);
  assert.deepEqual(listElements(' , ,gzip ,\tchunked, '), ['gzip', 'chunked']);
  assert.deepEqual(listElements(''), []);
  assert.deepEqual(listElements(' , , '), []);
});

test('only SP and HTAB are OWS: 0xA0 (obs-text) is kept', () => {
  assert.deepEqual(listElements('\u00a0chunked'), ['\u00a0chunked']);
});

test('commas inside quoted strings, escaped quotes included, do not split', () => {
  assert.deepEqual(listElements('a;x="1, 2", b'), ['a;x="1, 2"', 'b']);
  assert.deepEqual(listElements('a;x="q\\", still", b'), ['a;x="q\\", still"', 'b']);
  // An unterminated quoted string runs to the end of the value.
  assert.deepEqual(listElements('a;x="open, b'), ['a;x="open, b']);
});
