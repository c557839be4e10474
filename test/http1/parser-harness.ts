/**
 * Test harness for the sans-I/O response parser: a handler that records
 * everything the parser reports, and drivers that feed the same bytes split
 * at every position (and one byte at a time) and check that every run
 * reports exactly the same thing.
 */
import assert from 'node:assert/strict';
import { InvalidResponseError, LimitExceededError } from '../../src/errors.js';
import { DEFAULT_LIMITS, type Framing, type ParserHandler, type ParserLimits, ResponseParser } from '../../src/http1/parser.js';

/** What `onHead` saw (copies, so later parser state cannot change it). */
export interface HeadRecord {
  status: number;
  reason: string;
  version: string;
  headers: string[];
  keepAlive: boolean;
  keepAliveTimeoutMs: number;
  framing: Framing;
  contentLength: number;
  upgraded: boolean;
}

/** The error a run ended with: its class and, for a limit, which one. */
export interface ErrorRecord {
  cls: typeof InvalidResponseError | typeof LimitExceededError;
  limit: string | null;
  message: string;
}

/** Everything one run of the parser reported. */
export interface Outcome {
  heads: HeadRecord[];
  /** Body bytes delivered by `onBody`, concatenated. */
  body: Buffer;
  /** Order of callbacks, consecutive `body` calls collapsed into one. */
  events: string[];
  /** Trailers as seen by `onComplete` (copied), or null when not complete / none. */
  trailers: string[] | null;
  /** `parser.complete` after the run. */
  complete: boolean;
  /** Sum of `execute` return values until the parser stopped consuming. */
  consumed: number;
  /** `finish()` result when the run ended with EOF, else null. */
  finished: boolean | null;
  error: ErrorRecord | null;
}

export interface RunOptions {
  /** Request method passed to `reset()` (default GET). */
  method?: string;
  limits?: ParserLimits;
  /** Call `parser.finish()` after the last byte (an EOF). */
  eof?: boolean;
}

/** A handler recording every callback into an {@link Outcome}. */
export class Collector implements ParserHandler {
  heads: HeadRecord[] = [];
  chunks: Buffer[] = [];
  events: string[] = [];
  trailers: string[] | null = null;
  completions = 0;

  onHead(p: ResponseParser): void {
    this.heads.push({
      status: p.status,
      reason: p.reason,
      version: p.version,
      headers: [...p.headers],
      keepAlive: p.keepAlive,
      keepAliveTimeoutMs: p.keepAliveTimeoutMs,
      framing: p.framing,
      contentLength: p.contentLength,
      upgraded: p.upgraded,
    });
    this.events.push('head');
  }

  onBody(chunk: Buffer): void {
    assert.ok(Buffer.isBuffer(chunk), 'onBody gets a Buffer');
    assert.ok(chunk.length > 0, 'onBody is never called with an empty chunk');
    assert.ok(this.heads.length > 0, 'onBody after onHead');
    this.chunks.push(Buffer.from(chunk));
    if (this.events[this.events.length - 1] !== 'body') this.events.push('body');
  }

  onComplete(p: ResponseParser): void {
    this.completions++;
    this.trailers = p.trailers === null ? null : [...p.trailers];
    this.events.push('complete');
  }
}

/** Bytes of a string written as latin1 (one byte per character). */
export function bytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Feed `parts` in order to a fresh parser and record what happens. */
export function run(parts: Uint8Array[], options: RunOptions = {}): Outcome {
  const collector = new Collector();
  const parser = new ResponseParser(collector, options.limits ?? DEFAULT_LIMITS);
  parser.reset(options.method ?? 'GET');
  let consumed = 0;
  let finished: boolean | null = null;
  let error: ErrorRecord | null = null;
  try {
    for (const part of parts) {
      const n = parser.execute(part);
      assert.ok(n >= 0 && n <= part.length, `execute returned ${n} for ${part.length} bytes`);
      consumed += n;
      if (n < part.length) {
        // Only a completed message leaves bytes unconsumed.
        assert.equal(parser.complete, true, 'bytes left unconsumed only when the message is complete');
        break;
      }
    }
    if (options.eof) finished = parser.finish();
  } catch (err) {
    if (err instanceof LimitExceededError) {
      error = { cls: LimitExceededError, limit: err.limit, message: err.message };
    } else if (err instanceof InvalidResponseError) {
      error = { cls: InvalidResponseError, limit: null, message: err.message };
    } else {
      throw err; // a TypeError or RangeError from the parser is a bug
    }
  }
  assert.ok(collector.completions <= 1, 'onComplete at most once');
  assert.ok(collector.heads.length <= 1, 'onHead at most once per message');
  return {
    heads: collector.heads,
    body: Buffer.concat(collector.chunks),
    events: collector.events,
    trailers: collector.trailers,
    complete: parser.complete,
    consumed,
    finished,
    error,
  };
}

/** Split `data` at the given sorted positions. */
export function splitAt(data: Uint8Array, positions: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let prev = 0;
  for (const p of positions) {
    parts.push(data.subarray(prev, p));
    prev = p;
  }
  parts.push(data.subarray(prev));
  return parts;
}

/** Compare two outcomes; after an error only what is split-independent is compared. */
export function assertSameOutcome(actual: Outcome, expected: Outcome, label: string): void {
  if (expected.error !== null || actual.error !== null) {
    assert.ok(actual.error !== null && expected.error !== null, `${label}: error in one run only (${actual.error?.message ?? expected.error?.message})`);
    assert.equal(actual.error.cls, expected.error.cls, `${label}: error class (${actual.error.message})`);
    assert.equal(actual.error.limit, expected.error.limit, `${label}: error limit`);
    assert.deepEqual(actual.heads, expected.heads, `${label}: heads before the error`);
    return;
  }
  assert.deepEqual(actual, expected, label);
}

/**
 * Feed `data` whole, then split in two at every position `i` in `[0, len]`,
 * then one byte at a time; assert every run reports the same thing and
 * return that outcome.
 */
export function feedSplitEverywhere(data: Uint8Array | string, options: RunOptions = {}): Outcome {
  const buf = typeof data === 'string' ? bytes(data) : data;
  const whole = run([buf], options);
  for (let i = 0; i <= buf.length; i++) {
    assertSameOutcome(run([buf.subarray(0, i), buf.subarray(i)], options), whole, `split at ${i}`);
  }
  const single: Uint8Array[] = [];
  for (let i = 0; i < buf.length; i++) single.push(buf.subarray(i, i + 1));
  assertSameOutcome(run(single, options), whole, 'one byte at a time');
  return whole;
}

/** {@link feedSplitEverywhere} expecting success; returns the outcome. */
export function accept(data: Uint8Array | string, options: RunOptions = {}): Outcome {
  const out = feedSplitEverywhere(data, options);
  assert.equal(out.error, null, `unexpected ${out.error?.cls.name}: ${out.error?.message}`);
  return out;
}

/** {@link feedSplitEverywhere} expecting an error of class `cls` (and `limit`); returns the outcome. */
export function reject(
  data: Uint8Array | string,
  cls: typeof InvalidResponseError | typeof LimitExceededError,
  options: RunOptions & { limit?: string } = {},
): Outcome {
  const out = feedSplitEverywhere(data, options);
  assert.ok(out.error !== null, 'expected an error, got none');
  assert.equal(out.error.cls, cls, `expected ${cls.name}, got ${out.error.cls.name}: ${out.error.message}`);
  if (cls === LimitExceededError) assert.equal(out.error.limit, options.limit, 'LimitExceededError.limit');
  return out;
}

/** The one head of an outcome. */
export function head(out: Outcome): HeadRecord {
  assert.equal(out.heads.length, 1, 'exactly one head');
  return out.heads[0]!;
}

/** Serialize a body as chunked, cutting it at `sizes` (cycled), with optional trailer lines. */
export function chunked(body: Uint8Array, sizes: number[], trailers = ''): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  let k = 0;
  while (pos < body.length) {
    const n = Math.max(1, Math.min(sizes.length ? sizes[k++ % sizes.length]! : body.length, body.length - pos));
    parts.push(bytes(`${n.toString(16)}\r\n`), Buffer.from(body.subarray(pos, pos + n)), bytes('\r\n'));
    pos += n;
  }
  parts.push(bytes(`0\r\n${trailers}\r\n`));
  return Buffer.concat(parts);
}

export { DEFAULT_LIMITS };
