/**
 * {@link Reqivo}: the fluent facade over a {@link Session} (API.md).
 * @module
 */
import type { RequestOptions, SessionOptions } from './options.js';
import type { Response } from './response.js';
import { type RequestHook, type ResponseHook, Session } from './session.js';
import type { StreamResponse } from './stream-response.js';

/** Fluent client: `new Reqivo({ baseUrl }).bearerToken(t).onRequest(fn)`, then every Session method. */
export class Reqivo {
  /** The Session behind the facade. */
  readonly session: Session;

  /** A client over a new {@link Session} built from `options`. */
  constructor(options: SessionOptions = {}) {
    this.session = new Session(options);
  }

  /** Send `Authorization: Bearer <token>` with every request. */
  bearerToken(token: string): this {
    this.session.auth = { type: 'bearer', token };
    return this;
  }

  /** Send HTTP Basic credentials with every request. */
  basicAuth(username: string, password: string): this {
    this.session.auth = { type: 'basic', username, password };
    return this;
  }

  /** Answer Digest challenges (RFC 7616) with these credentials. */
  digestAuth(username: string, password: string): this {
    this.session.auth = { type: 'digest', username, password };
    return this;
  }

  /** Add a hook run before each request is written (after defaults, cookies and auth). */
  onRequest(hook: RequestHook): this {
    this.session.onRequest(hook);
    return this;
  }

  /** Add a hook run on each final response, before it is returned. */
  onResponse(hook: ResponseHook): this {
    this.session.onResponse(hook);
    return this;
  }

  /** See {@link Session.request}. */
  request(method: string, url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.session.request(method, url, opts);
  }
  /** See {@link Session.stream}. */
  stream(method: string, url: string | URL, opts?: RequestOptions): Promise<StreamResponse> {
    return this.session.stream(method, url, opts);
  }
  /** GET `url`. */
  get(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.session.request('GET', url, opts);
  }
  /** HEAD `url`. */
  head(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.session.request('HEAD', url, opts);
  }
  /** OPTIONS `url`. */
  options(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.session.request('OPTIONS', url, opts);
  }
  /** DELETE `url`. */
  delete(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.session.request('DELETE', url, opts);
  }
  /** POST to `url`. */
  post(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.session.request('POST', url, opts);
  }
  /** PUT to `url`. */
  put(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.session.request('PUT', url, opts);
  }
  /** PATCH `url`. */
  patch(url: string | URL, opts?: RequestOptions): Promise<Response> {
    return this.session.request('PATCH', url, opts);
  }

  /** Close the session. */
  close(): Promise<void> {
    return this.session.close();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
