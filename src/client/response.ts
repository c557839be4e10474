/**
 * The buffered {@link Response}: head fields plus the decoded body in memory,
 * with `text()` and `json()` decoded on first call and cached (the Python
 * Response's `_text` / `_json` slots). Lean on purpose: every field is set in
 * the constructor, in one order (DESIGN.md).
 * @module
 */
import { HttpStatusError, InvalidResponseError } from '../errors.js';
import type { Headers } from '../http/headers.js';

const UNSET: unique symbol = Symbol('unset');
const EMPTY_REDIRECTS: readonly string[] = Object.freeze([]);

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
    return new TextDecoder(charset).decode(body);
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

/** A complete, buffered HTTP response. */
export class Response implements ResponseHead {
  /** Status code, e.g. 200. */
  readonly status: number;
  /** Reason phrase, e.g. 'OK'. */
  readonly reason: string;
  /** `'1.1'`, `'1.0'` or `'2'`. */
  readonly httpVersion: string;
  /** Response headers. */
  readonly headers: Headers;
  /** Final URL, after redirects. */
  readonly url: string;
  /** The decoded body bytes. */
  readonly body: Uint8Array;
  /** Method of the request that produced this response. */
  readonly method: string;
  /** URLs of the redirect chain before {@link url}, oldest first (empty when not redirected). */
  redirects: readonly string[];
  #text: string | null;
  #json: unknown;

  /** @internal built by the Session. */
  constructor(
    status: number,
    reason: string,
    httpVersion: string,
    headers: Headers,
    url: string,
    body: Uint8Array,
    method: string,
  ) {
    this.status = status;
    this.reason = reason;
    this.httpVersion = httpVersion;
    this.headers = headers;
    this.url = url;
    this.body = body;
    this.method = method;
    this.redirects = EMPTY_REDIRECTS;
    this.#text = null;
    this.#json = UNSET;
  }

  /** Whether the status is 200–299. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The body decoded by the Content-Type charset (default UTF-8); cached. */
  text(): string {
    if (this.#text === null) this.#text = decodeText(this.body, charsetOf(this.headers.get('content-type')));
    return this.#text;
  }

  /** The body parsed as JSON; parsed once and cached. Throws InvalidResponseError if it is not JSON. */
  json<T = unknown>(): T {
    if (this.#json === UNSET) {
      try {
        this.#json = JSON.parse(this.text());
      } catch (err) {
        throw new InvalidResponseError(`response body is not valid JSON: ${(err as Error).message}`, {
          cause: err,
          method: this.method,
          url: this.url,
        });
      }
    }
    return this.#json as T;
  }

  /** The body bytes (same as {@link body}); for symmetry with StreamResponse. */
  bytes(): Uint8Array {
    return this.body;
  }

  /** Throw {@link HttpStatusError} for a status of 400 or more; otherwise return this response. */
  raiseForStatus(): this {
    return raiseForStatus(this);
  }

  /** Node's util.inspect shows a short summary. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `<Response [${this.status} ${this.reason}] ${this.method} ${this.url} ${this.body.byteLength} bytes>`;
  }
}
