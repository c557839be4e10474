/**
 * Fuzz target: the HTTP/1.1 response parser (src/http1/parser.ts).
 *
 * Responses come from a small grammar (interim heads, status lines, fields
 * with obs-fold, every framing with its edge cases: Content-Length lists,
 * Transfer-Encoding lists, chunk sizes with leading zeros, extensions,
 * trailers), half of them then mutated. Each is fed whole and at random
 * splits; a small one now and then at every split and one byte at a time.
 * Invariants: only InvalidResponseError or LimitExceededError is thrown (the
 * harness rethrows anything else); every split gives the same outcome; a
 * completed body matches its framing; no limit is exceeded; an unmutated
 * response gives exactly the head and body it was built from, or the error
 * it was built to cause.
 * @module
 */
import assert from 'node:assert/strict';
import { InvalidResponseError } from '../../src/errors.js';
import { DEFAULT_LIMITS, Framing, type ParserLimits } from '../../src/http1/parser.js';
import { assertSameOutcome, bytes, feedSplitEverywhere, type Outcome, run, type RunOptions, splitAt } from '../../test/http1/parser-harness.js';
import { withInput, type Target } from '../engine.js';
import { mutate } from '../mutate.js';
import type { Rng } from '../prng.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const NAMES = ['Content-Type', 'Server', 'Date', 'Set-Cookie', 'X-Trace', 'Vary', 'ETag', 'Link'];
const FRAMING_NAMES = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'trailer']);

/** Transfer-Encoding fields that frame by chunks, and ones the parser must refuse. */
const TE_CHUNKED = [['chunked'], ['Chunked'], ['chunked,'], [', chunked'], ['identity, chunked'], ['chunked', ''], ['', 'chunked'], [' , ,chunked']];
const TE_BAD = [['gzip, chunked'], ['gzip'], ['chunked, gzip'], ['chunked;x=1'], ['chunked', 'chunked'], [''], [', ,'], ['chunked x'], ['br', 'chunked']];

/** A generated response and what parsing it must give, when that is known. */
interface Generated {
  data: Buffer;
  options: RunOptions;
  /** Expected outcome of an unmutated response: its body and head fields, or the class of its error. */
  expect: { error: typeof InvalidResponseError | null; status: number; headers: string[]; body: Buffer; framing: Framing } | null;
}

function token(rng: Rng, max: number): string {
  let s = '';
  const n = rng.range(1, max);
  for (let i = 0; i < n; i++) s += TCHARS[rng.int(TCHARS.length)];
  return s;
}

function value(rng: Rng, max: number): string {
  let s = '';
  const n = rng.int(max + 1);
  for (let i = 0; i < n; i++) {
    const r = rng.int(20);
    s += String.fromCharCode(r < 16 ? rng.range(0x21, 0x7e) : r < 19 ? 0x20 : rng.range(0x80, 0xff));
  }
  return s.replace(/^[ \t]+|[ \t]+$/g, '');
}

function hexSize(rng: Rng, n: number): string {
  const hex = n.toString(16);
  return '0'.repeat(rng.chance(0.2) ? rng.int(20) : 0) + (rng.chance(0.5) ? hex.toUpperCase() : hex);
}

/** A response from the grammar; `expect` is filled when the default limits apply. */
function generate(rng: Rng): Generated {
  const eol = rng.chance(0.8) ? '\r\n' : '\n';
  const method = rng.chance(0.9) ? 'GET' : rng.pick(['HEAD', 'CONNECT']);
  let head = rng.chance(0.05) ? eol : '';
  for (let k = rng.chance(0.1) ? rng.range(1, 3) : 0; k > 0; k--) {
    head += `HTTP/1.1 ${rng.pick([100, 102, 103])} Interim${eol}`;
    if (rng.chance(0.5)) head += `Link: </x>; rel=preload${eol}${rng.chance(0.3) ? `Content-Length: 7${eol}` : ''}`;
    head += eol;
  }
  const version = rng.pick(['1.1', '1.1', '1.0', '1.2']);
  const status = rng.chance(0.8) ? rng.pick([200, 201, 206, 301, 404, 500]) : rng.pick([101, 204, 304, rng.range(200, 599)]);
  const reason = rng.chance(0.9) ? ` ${value(rng, 12)}` : '';
  head += `HTTP/${version} ${status}${reason}${eol}`;
  const headers: string[] = [];
  const field = (n: string, v: string, fold = false): void => {
    if (fold && v.length > 1) {
      // obs-fold (RFC 9112 §5.2): the parser joins the lines with one SP.
      const cut = 1 + rng.int(v.length - 1);
      const a = v.slice(0, cut).replace(/[ \t]+$/, '');
      const b = v.slice(cut).replace(/^[ \t]+/, '');
      head += `${n}: ${a}${eol}${rng.pick([' ', '\t', '  '])}${b}${eol}`;
      headers.push(n, a === '' ? b : b === '' ? a : `${a} ${b}`);
    } else {
      head += `${n}:${rng.pick(['', ' ', '\t'])}${v}${rng.pick(['', ' '])}${eol}`;
      headers.push(n, v.replace(/^[ \t]+|[ \t]+$/g, ''));
    }
  };
  for (let k = rng.int(6); k > 0; k--) {
    const n = rng.chance(0.5) ? rng.pick(NAMES) : token(rng, 10);
    if (!FRAMING_NAMES.has(n.toLowerCase())) field(n, value(rng, 24), rng.chance(0.1));
  }
  const body = rng.bytes(rng.size(600));
  const framing = rng.pick(['length', 'length', 'chunked', 'chunked', 'close', 'bad-te'] as const);
  let bad = false;
  if (framing === 'length') {
    const cl = String(body.length);
    const name = rng.pick(['Content-Length', 'content-length']);
    if (rng.chance(0.1)) {
      // A list folded at its comma: the joined value is still `N, N` (or `N , N`).
      const [a, b] = rng.pick([[`${cl},`, cl], [cl, `, ${cl}`], ['', cl]]);
      head += `${name}: ${a}${eol} ${b}${eol}`;
      headers.push(name, a === '' ? b : `${a} ${b}`);
    } else field(name, rng.chance(0.8) ? `${'0'.repeat(rng.chance(0.1) ? 3 : 0)}${cl}` : rng.pick([`${cl}, ${cl}`, `${cl},${cl}`]));
  } else if (framing === 'chunked' || framing === 'bad-te') {
    for (const v of rng.pick(framing === 'chunked' ? TE_CHUNKED : TE_BAD)) field('Transfer-Encoding', v);
    bad = framing === 'bad-te';
  }
  if (rng.chance(0.2)) field('Connection', rng.pick(['close', 'keep-alive', 'Upgrade']));
  if (rng.chance(0.1)) field('Keep-Alive', `timeout=${rng.int(100)}`, rng.chance(0.3));
  head += eol;
  const parts = [bytes(head)];
  if (framing === 'chunked' || framing === 'bad-te') {
    let pos = 0;
    while (pos < body.length) {
      const n = Math.min(body.length - pos, rng.range(1, 200));
      parts.push(bytes(`${hexSize(rng, n)}${rng.pick(['', '', ';a=b', ' ;x="y;z"'])}${eol}`), body.subarray(pos, pos + n), bytes(eol));
      pos += n;
    }
    parts.push(bytes(`${hexSize(rng, 0)}${eol}${rng.chance(0.3) ? `X-Sum: ${value(rng, 8)}${eol}` : ''}${eol}`));
  } else {
    parts.push(body);
  }
  const data = Buffer.concat(parts);
  const eof = framing === 'close' || rng.chance(0.2);
  let limits: ParserLimits = DEFAULT_LIMITS;
  if (rng.chance(0.2)) {
    limits = { maxHeaderBytes: rng.range(16, 400), maxHeaderCount: rng.range(0, 8), maxBodyBytes: rng.chance(0.5) ? rng.int(700) : Number.POSITIVE_INFINITY };
  }
  const noBody = method === 'HEAD' || status === 204 || status === 304 || status === 101 || (method === 'CONNECT' && status < 300);
  const expect: Generated['expect'] =
    limits !== DEFAULT_LIMITS
      ? null
      : {
          error: bad && !noBody ? InvalidResponseError : null,
          status,
          headers,
          body: noBody ? Buffer.alloc(0) : body,
          framing: noBody ? Framing.None : framing === 'length' ? Framing.Length : framing === 'chunked' ? Framing.Chunked : Framing.Close,
        };
  return { data, options: { method, limits, eof }, expect };
}

/** Invariants every outcome keeps, mutated or not. */
function checkOutcome(out: Outcome, options: RunOptions): void {
  const limits = options.limits ?? DEFAULT_LIMITS;
  assert.ok(out.body.length <= limits.maxBodyBytes, 'body within maxBodyBytes');
  for (const h of out.heads) {
    assert.ok(h.headers.length / 2 <= limits.maxHeaderCount, 'header count within maxHeaderCount');
    let n = 0;
    for (const s of h.headers) n += s.length;
    assert.ok(n <= limits.maxHeaderBytes, 'header bytes within maxHeaderBytes');
  }
  if (out.error !== null || !out.complete || out.heads.length === 0) return;
  const h = out.heads[0]!;
  if (h.framing === Framing.Length) assert.equal(out.body.length, h.contentLength, 'a Content-Length body has its declared length');
  if (h.framing === Framing.None) assert.equal(out.body.length, 0, 'no body when framing says none');
  if (h.framing === Framing.Chunked) assert.ok(out.trailers !== null, 'a chunked body ends with a trailer section');
  else assert.equal(out.trailers, null, 'trailers only after chunks');
}

function check(rng: Rng, data: Buffer, g: Generated): void {
  const whole = run([data], g.options);
  checkOutcome(whole, g.options);
  for (let k = 0; k < 3; k++) assertSameOutcome(run(splitAt(data, rng.splits(data.length)), g.options), whole, `random split ${k}`);
  // Now and then a small input is split at every position and fed one byte at a time too.
  if (data.length <= 512 && rng.chance(0.05)) assertSameOutcome(feedSplitEverywhere(data, g.options), whole, 'every split');
  const e = data === g.data ? g.expect : null;
  if (e === null) return;
  if (e.error !== null) {
    assert.equal(whole.error?.cls, e.error, 'the response was built to be refused');
    return;
  }
  assert.equal(whole.error, null, `unexpected ${whole.error?.message}`);
  const h = whole.heads[0]!;
  assert.equal(h.status, e.status);
  assert.deepEqual(h.headers, e.headers);
  assert.equal(h.framing, e.framing);
  if (e.framing === Framing.Close && !g.options.eof) assert.equal(whole.complete, false);
  else assert.equal(whole.complete, true, 'complete');
  assert.ok(whole.body.equals(e.body), 'the body comes back as it was sent');
}

/** The HTTP/1.1 response parser target. */
export const httpParser: Target = {
  name: 'http-parser',
  one(rng) {
    const g = generate(rng);
    let data = g.data;
    if (rng.chance(0.5)) data = mutate(rng, data, rng.chance(0.3) ? generate(rng).data : null);
    withInput(data, () => check(rng, data, g));
  },
};
