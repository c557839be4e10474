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

  /** @internal built by the Session. */
  constructor(method: string, url: string, headers: Headers, body: BodyInit | null, prepared: RequestBody | null) {
    this.method = method;
    this.url = url;
    this.headers = headers;
    this.body = body ?? prepared;
    this.#original = this.body;
    this.#prepared = prepared;
  }

  /** @internal the body to send after hooks ran. */
  _resolveBody(): RequestBody | null {
    if (this.body === this.#original) return this.#prepared;
    if (this.body instanceof RequestBody) return this.body;
    const b = toRequestBody({ body: this.body });
    if (b !== null && b.contentType !== null && !this.headers.has('content-type')) this.headers._set('content-type', b.contentType);
    return b;
  }
}
