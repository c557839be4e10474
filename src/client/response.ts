/**
 * The buffered {@link Response}: head fields plus the decoded body in memory,
 * with `text()` and `json()` decoded on first call and cached (the Python
 * Response's `_text` / `_json` slots). Lean on purpose: every field is set in
 * the constructor, in one order (docs/architecture.md, lean objects).
 * @module
 */
import { HttpStatusError, InvalidResponseError } from '../errors.js';
import { Headers } from '../http/headers.js';
import type { Timings } from '../core/timings.js';

/** text() and json() results cached together. */
class Parsed {
  readonly text: string;
  readonly json: unknown;
  constructor(text: string, json: unknown) {
    this.text = text;
    this.json = json;
  }
}
const EMPTY_REDIRECTS: readonly string[] = Object.freeze([]);

/**
 * Retry counts of the few responses that were retried: kept beside them
 * rather than in a field, so that every other kept response stays a word
 * smaller (docs/architecture.md, lean objects).
 */
const RETRIES = new WeakMap<object, number>();

/** Timings of the responses that asked for them (`timings: true`). */
const TIMINGS = new WeakMap<object, Timings>();

/** @internal */
function timingsOf(res: object): Timings | null {
  return TIMINGS.get(res) ?? null;
}
/** @internal */
export function setTimings(res: object, t: Timings): void {
  TIMINGS.set(res, t);
}

/** @internal attempts behind `res` after the first. */
function retriesOf(res: object): number {
  return RETRIES.get(res) ?? 0;
}
/** @internal */
function setRetries(res: object, n: number): void {
  RETRIES.set(res, n);
}

/** Where a response came from when the session has a cache (RFC 9111); see {@link Response.cacheStatus}. */
export type CacheStatus = 'hit' | 'revalidated' | 'stale' | 'miss';

/** Cache statuses of responses of sessions with a cache, beside them as RETRIES is (lean responses). */
const CACHE_STATUS = new WeakMap<object, CacheStatus>();

/** @internal what the cache layer said of `res`, or null (no cache). */
function cacheStatusOf(res: object): CacheStatus | null {
  return CACHE_STATUS.get(res) ?? null;
}
/** @internal */
export function setCacheStatus(res: object, status: CacheStatus): void {
  CACHE_STATUS.set(res, status);
}

/** Charset named by a Content-Type value, lower-cased, or null. */
export function charsetOf(contentType: string | null): string | null {
  if (contentType === null) return null;
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return m ? m[1]!.toLowerCase() : null;
}

/** Decode bytes by a charset label (WHATWG Encoding labels); utf-8 when absent or unknown. */
export function decodeText(body: Uint8Array, charset: string | null): string {
  if (charset === null || charset === 'utf-8' || charset === 'utf8') {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const s = buf.toString('utf8');
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  }
  try {
    // Streaming, then flushed: the same text by the Encoding standard, but Node 20's one-shot
    // decode() of windows-1252 (also the WHATWG meaning of iso-8859-1, latin1, ascii) takes a
    // latin1 fast path that turns 0x80-0x9F into C1 controls (0x93 → U+0093, not “).
    const decoder = new TextDecoder(charset);
    return decoder.decode(body, { stream: true }) + decoder.decode();
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/** Fields shared by {@link Response} and `StreamResponse`. */
export interface ResponseHead {
  /** Status code, e.g. 200. */
  readonly status: number;
  /** Reason phrase, e.g. 'OK' (empty for HTTP/2). */
  readonly reason: string;
  /** `'1.1'`, `'1.0'` or `'2'`. */
  readonly httpVersion: string;
  /** Response headers. */
  readonly headers: Headers;
  /** Final URL, after redirects. */
  readonly url: string;
}

/** Throw {@link HttpStatusError} for a status of 400 or more. */
export function raiseForStatus<T extends ResponseHead & { readonly method: string }>(res: T): T {
  if (res.status >= 400) {
    const kind = res.status >= 500 ? 'server error' : 'client error';
    throw new HttpStatusError(`${res.status} ${res.reason} (${kind})`, res, { method: res.method, url: res.url });
  }
  return res;
}

/**
 * What {@link Response} and `StreamResponse` share beyond their head
 * fields: the status checks and the extras kept beside a response (retries,
 * timings, cache status) rather than in a field. It has no fields of its
 * own, so neither response gets a byte bigger (docs/architecture.md, lean objects).
 */
export abstract class ResponseExtras implements ResponseHead {
  /** Status code, e.g. 200. */
  abstract readonly status: number;
  /** Reason phrase, e.g. 'OK' (empty for HTTP/2). */
  abstract readonly reason: string;
  /** `'1.1'`, `'1.0'` or `'2'`. */
  abstract readonly httpVersion: string;
  /** Response headers. */
  abstract readonly headers: Headers;
  /** Final URL, after redirects. */
  abstract readonly url: string;
  /** Method of the request that produced this response. */
  abstract readonly method: string;

  /** Whether the status is 200–299. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** Attempts behind this response after the first (retries), 0 when none. */
  get retries(): number {
    return retriesOf(this);
  }

  /**
   * When each phase of the last hop happened, with `.phases`; null unless
   * `timings: true` was asked for (on a StreamResponse, `end` is set once the body ended).
   */
  get timings(): Timings | null {
    return timingsOf(this);
  }

  /** @internal */
  _setRetries(n: number): void {
    setRetries(this, n);
  }

  /**
   * `'hit'` (from the cache, origin not contacted), `'revalidated'` (stored
   * body after a 304), `'stale'` (stale-while-revalidate / stale-if-error),
   * `'miss'` (from the origin), or null when the session has no cache.
   */
  get cacheStatus(): CacheStatus | null {
    return cacheStatusOf(this);
  }

  /** Throw {@link HttpStatusError} for a status of 400 or more; otherwise return this response. */
  raiseForStatus(): this {
    return raiseForStatus(this);
  }
}

/**
 * A response's status line and request method. Nearly every response of a
 * process has one of a handful of these (200 OK over HTTP/1.1 to a GET), so
 * responses share them ({@link statusLine}) instead of holding four fields each.
 * @internal
 */
export class StatusLine {
  readonly status: number;
  readonly reason: string;
  readonly httpVersion: string;
  readonly method: string;
  constructor(status: number, reason: string, httpVersion: string, method: string) {
    this.status = status;
    this.reason = reason;
    this.httpVersion = httpVersion;
    this.method = method;
  }
}

/** Status lines shared by responses, in the order first seen; bounded (when full, the last slot takes each newcomer) so a server that varies its reason phrase cannot grow it. */
const LINES: StatusLine[] = [];
const MAX_LINES = 16;
/** A reason phrase longer than this is not shared (no stray long string is kept alive by the list). */
const MAX_SHARED_REASON = 64;

/** The shared {@link StatusLine} for these four, made (and remembered) if new. @internal */
export function statusLine(status: number, reason: string, httpVersion: string, method: string): StatusLine {
  const n = LINES.length;
  for (let i = 0; i < n; i++) {
    const l = LINES[i]!;
    if (l.status === status && l.reason === reason && l.method === method && l.httpVersion === httpVersion) return l;
  }
  const line = new StatusLine(status, reason, httpVersion, method);
  if (reason.length > MAX_SHARED_REASON) return line;
  if (n < MAX_LINES) LINES.push(line);
  else LINES[n - 1] = line;
  return line;
}

/**
 * Redirect chains of the responses that were redirected: beside them, as
 * RETRIES is, since most responses never are.
 */
const REDIRECTS = new WeakMap<object, readonly string[]>();

/**
 * A complete, buffered HTTP response. It holds five words besides its body
 * and headers' bytes: the shared status line, the url, the body, the headers
 * and the decoded text; `status`, `reason`, `httpVersion` and `method` are
 * read through the shared line, `redirects` from beside it.
 */
export class Response extends ResponseExtras {
  /** Final URL, after redirects. */
  readonly url: string;
  /** The decoded body bytes. */
  readonly body: Uint8Array;
  /** Status, reason, version and method, shared with other responses. */
  readonly #line: StatusLine;
  /** The parser's flat header list until {@link headers} is first read, then its Headers wrapper. */
  #headers: Headers | string[];
  /** Decoded text, then `{ text, json }` once json() ran: one slot for both caches keeps the object small. */
  #decoded: string | Parsed | null;

  /** @internal built by the Session. */
  constructor(
    status: number,
    reason: string,
    httpVersion: string,
    headers: Headers | string[],
    url: string,
    body: Uint8Array,
    method: string,
  ) {
    super();
    this.url = url;
    this.body = body;
    this.#line = statusLine(status, reason, httpVersion, method);
    this.#headers = headers;
    this.#decoded = null;
  }

  /** Status code, e.g. 200. */
  get status(): number {
    return this.#line.status;
  }

  /** Reason phrase, e.g. 'OK'. */
  get reason(): string {
    return this.#line.reason;
  }

  /** `'1.1'`, `'1.0'` or `'2'`. */
  get httpVersion(): string {
    return this.#line.httpVersion;
  }

  /** Method of the request that produced this response. */
  get method(): string {
    return this.#line.method;
  }

  /** URLs of the redirect chain before {@link url}, oldest first (empty when not redirected). */
  get redirects(): readonly string[] {
    return REDIRECTS.get(this) ?? EMPTY_REDIRECTS;
  }

  set redirects(chain: readonly string[]) {
    if (chain.length === 0) REDIRECTS.delete(this);
    else REDIRECTS.set(this, chain);
  }

  /** Response headers (wrapped on first access: most kept responses never need the wrapper). */
  get headers(): Headers {
    const h = this.#headers;
    if (h instanceof Headers) return h;
    // The list may be shared with other responses (see ResponseParser): copy before handing out a mutable view.
    const w = Headers._fromList(h.slice());
    this.#headers = w;
    return w;
  }

  /**
   * A read-only look at the headers that neither copies nor caches (the
   * Session reads Location and Set-Cookie of every response this way).
   * @internal
   */
  _peekHeaders(): Headers {
    const h = this.#headers;
    return h instanceof Headers ? h : Headers._fromList(h);
  }

  /** The body decoded by the Content-Type charset (default UTF-8); cached. */
  text(): string {
    const d = this.#decoded;
    if (d === null) {
      const t = decodeText(this.body, charsetOf(this._peekHeaders().get('content-type')));
      this.#decoded = t;
      return t;
    }
    return typeof d === 'string' ? d : d.text;
  }

  /** The body parsed as JSON; parsed once and cached. Throws InvalidResponseError if it is not JSON. */
  json<T = unknown>(): T {
    const d = this.#decoded;
    if (d !== null && typeof d !== 'string') return d.json as T;
    const text = this.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new InvalidResponseError(`response body is not valid JSON: ${(err as Error).message}`, {
        cause: err,
        method: this.method,
        url: this.url,
      });
    }
    this.#decoded = new Parsed(text, value);
    return value as T;
  }

  /** The body bytes (same as {@link body}); for symmetry with StreamResponse. */
  bytes(): Uint8Array {
    return this.body;
  }

  /** Node's util.inspect shows a short summary. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `<Response [${this.status} ${this.reason}] ${this.method} ${this.url} ${this.body.byteLength} bytes>`;
  }
}
