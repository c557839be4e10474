/**
 * {@link PreparedRequest}: what `onRequest` hooks see and may change.
 * @module
 */
import type { Headers } from '../http/headers.js';
import { type BodyInit, RequestBody, toRequestBody } from './body.js';

/** A request about to be written: method, URL, merged headers (defaults, cookies, auth) and body. */
export class PreparedRequest {
  /** Request method. */
  method: string;
  /** Absolute request URL. */
  url: string;
  /** Headers to send (mutable). */
  headers: Headers;
  /** Body as given (assign a new value to replace it). */
  body: BodyInit | RequestBody | null;
  readonly #original: BodyInit | RequestBody | null;
  readonly #prepared: RequestBody | null;

  /**
   * Built by the Session for the hooks; a hook may also build one and return
   * it. `prepared` is the Session's encoded form of `body` (omit it).
   */
  constructor(method: string, url: string, headers: Headers, body: BodyInit | RequestBody | null, prepared: RequestBody | null = null) {
    this.method = method;
    this.url = url;
    this.headers = headers;
    this.body = body ?? prepared;
    this.#original = this.body;
    this.#prepared = prepared;
  }

  /** @internal the body to send after hooks ran. */
  _resolveBody(): RequestBody | null {
    if (this.body === this.#original && (this.#prepared !== null || this.body === null)) return this.#prepared;
    if (this.body instanceof RequestBody) return this.body;
    const b = toRequestBody({ body: this.body });
    if (b !== null && b.contentType !== null && !this.headers.has('content-type')) this.headers._set('content-type', b.contentType);
    return b;
  }
}
