/**
 * ResponseParser property tests (fast-check, fixed seeds so runs are
 * reproducible): random heads and bodies, serialized with Content-Length,
 * chunked (random chunk sizes, extensions, trailers) or close-delimited
 * framing, fed split at random points, must come back exactly; and random
 * mutations of valid responses must be parsed the same way (or rejected
 * with the same parser error) however the bytes are split.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Framing } from '../../src/http1/parser.js';
import { bytes, feedSplitEverywhere, head, run, splitAt } from './parser-harness.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const FRAMING_NAMES = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/** Field-value characters: VCHAR, SP, HTAB and obs-text. */
const valueChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
  { weight: 2, arbitrary: fc.constantFrom(0x20, 0x09) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
).map((c) => String.fromCharCode(c));

const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
const fieldName = token.filter((n) => !FRAMING_NAMES.has(n.toLowerCase()));
/** A value as the parser returns it: no leading or trailing OWS. */
const fieldValue = fc.string({ unit: valueChar, maxLength: 20 }).map((v) => v.replace(/^[ \t]+|[ \t]+$/g, ''));
const fields = fc.array(fc.tuple(fieldName, fieldValue, fc.constantFrom('', ' ', '\t', '  '), fc.constantFrom('', ' ', '\t')), {
  maxLength: 8,
});
const reason = fc.string({ unit: valueChar, maxLength: 16 }).map((r) => r.replace(/^[ \t]+/, ''));

const message = fc.record({
  version: fc.constantFrom('1.0', '1.1'),
  status: fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304),
  reason,
  emptyReasonSp: fc.boolean(),
  eol: fc.constantFrom('\r\n', '\n'),
  fields,
  framing: fc.constantFrom('length', 'chunked', 'close'),
  body: fc.uint8Array({ maxLength: 300 }),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 6 }),
  upperHex: fc.boolean(),
  extension: fc.constantFrom('', ';a=b', ' ;x="y;z"', ';q'),
  trailers: fields,
  splits: fc.array(fc.nat(), { maxLength: 6 }),
});

type Message = typeof message extends fc.Arbitrary<infer T> ? T : never;

function serialize(m: Message): Buffer {
  const eol = m.eol;
  const line = (n: string, v: string, pre: string, post: string) => `${n}:${pre}${v}${post}${eol}`;
  let h = `HTTP/${m.version} ${m.status}${m.reason !== '' || m.emptyReasonSp ? ` ${m.reason}` : ''}${eol}`;
  for (const [n, v, pre, post] of m.fields) h += line(n, v, pre, post);
  if (m.framing === 'length') h += `Content-Length: ${m.body.length}${eol}`;
  if (m.framing === 'chunked') h += `Transfer-Encoding: chunked${eol}`;
  h += eol;
  const parts = [bytes(h)];
  if (m.framing === 'chunked') {
    let pos = 0;
    let k = 0;
    while (pos < m.body.length) {
      const n = Math.min(m.chunkSizes[k++ % m.chunkSizes.length]!, m.body.length - pos);
      const hex = n.toString(16);
      parts.push(bytes(`${m.upperHex ? hex.toUpperCase() : hex}${m.extension}${eol}`), Buffer.from(m.body.subarray(pos, pos + n)), bytes(eol));
      pos += n;
    }
    let t = `0${m.extension}${eol}`;
    for (const [n, v, pre, post] of m.trailers) t += line(n, v, pre, post);
    parts.push(bytes(t + eol));
  } else {
    parts.push(Buffer.from(m.body));
  }
  return Buffer.concat(parts);
}

function expectedHeaders(m: Message): string[] {
  const list: string[] = [];
  for (const [n, v] of m.fields) list.push(n, v);
  if (m.framing === 'length') list.push('Content-Length', String(m.body.length));
  if (m.framing === 'chunked') list.push('Transfer-Encoding', 'chunked');
  return list;
}

describe('ResponseParser properties', () => {
  test('random responses round-trip whatever the split points', () => {
    fc.assert(
      fc.property(message, (m) => {
        const wire = serialize(m);
        // A following response must not be consumed (unless the body is close-delimited).
        const data = m.framing === 'close' ? wire : Buffer.concat([wire, bytes('HTTP/1.1 200 OK\r\n')]);
        const positions = [...new Set(m.splits.map((s) => s % (data.length + 1)))].sort((a, b) => a - b);
        const out = run(splitAt(data, positions), { eof: m.framing === 'close' });
        assert.equal(out.error, null, out.error?.message);
        const h = head(out);
        assert.equal(h.status, m.status);
        assert.equal(h.reason, m.reason);
        assert.equal(h.version, m.version);
        assert.deepEqual(h.headers, expectedHeaders(m));
        assert.equal(h.framing, m.framing === 'length' ? Framing.Length : m.framing === 'chunked' ? Framing.Chunked : Framing.Close);
        assert.equal(h.contentLength, m.framing === 'length' ? m.body.length : -1);
        assert.equal(h.keepAlive, m.version === '1.1' && m.framing !== 'close');
        assert.equal(h.upgraded, false);
        assert.ok(out.body.equals(Buffer.from(m.body)), 'body round-trips');
        assert.equal(out.complete, true);
        assert.equal(out.consumed, wire.length);
        const trailers: string[] = [];
        for (const [n, v] of m.trailers) trailers.push(n, v);
        assert.deepEqual(out.trailers, m.framing === 'chunked' ? trailers : null);
        assert.deepEqual(out.events, out.body.length > 0 ? ['head', 'body', 'complete'] : ['head', 'complete']);
      }),
      { seed: 0x5eed, numRuns: 400 },
    );
  });

  test('small random responses give identical results at every split position', () => {
    const small = message.map((m) => ({ ...m, body: m.body.subarray(0, 24), fields: m.fields.slice(0, 3), trailers: m.trailers.slice(0, 2) }));
    fc.assert(
      fc.property(small, (m) => {
        const out = feedSplitEverywhere(serialize(m), { eof: m.framing === 'close' });
        assert.equal(out.error, null);
        assert.ok(out.body.equals(Buffer.from(m.body.subarray(0, 24))));
      }),
      { seed: 0xc0ffee, numRuns: 60 },
    );
  });

  test('mutated responses are parsed or rejected the same way at every split position', () => {
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('replace', 'insert', 'delete')), {
      minLength: 1,
      maxLength: 3,
    });
    const small = message.map((m) => ({ ...m, body: m.body.subarray(0, 16), fields: m.fields.slice(0, 3), trailers: m.trailers.slice(0, 2) }));
    fc.assert(
      fc.property(small, mutation, (m, muts) => {
        let data = serialize(m);
        for (const [at, byte, kind] of muts) {
          const i = at % (data.length + 1);
          if (kind === 'insert') data = Buffer.concat([data.subarray(0, i), Buffer.from([byte]), data.subarray(i)]);
          else if (i < data.length && kind === 'replace') data[i] = byte;
          else if (i < data.length) data = Buffer.concat([data.subarray(0, i), data.subarray(i + 1)]);
        }
        // Throws on any disagreement between splits, or on an error that is not a parser error.
        feedSplitEverywhere(data, { eof: true });
        feedSplitEverywhere(data, { method: 'HEAD' });
      }),
      { seed: 1234, numRuns: 150 },
    );
  });
});
