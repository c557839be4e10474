/**
 * {@link Reqivo}: the fluent facade over a {@link Session} (API.md).
 * @module
 */
import type { RequestOptions, SessionOptions } from './options.js';
import type { Response } from './response.js';
import { type RequestHook, type ResponseHook, Session } from './session.js';
import type { StreamResponse } from './stream-response.js';
import { WebSocket } from '../websocket/client.js';
import type { HandshakeResponse, WebSocketOptions } from '../websocket/options.js';
import { Headers } from '../http/headers.js';
import { InvalidRequestError, redactCause, redactUrl } from '../errors.js';
import { basicAuthorization } from './digest.js';
import { resolveSameOrigin } from './url.js';

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

  /**
   * A WebSocket that carries this session's identity: its default headers,
   * the cookie jar's cookies for the URL (and Set-Cookie of the handshake
   * stored back), Basic or Bearer auth, and its TLS options. A relative URL
   * resolves against `baseUrl` with http(s) turned into ws(s). Call
   * `connect()` on the result.
   */
  websocket(url: string | URL, options: WebSocketOptions = {}): WebSocket {
    const session = this.session;
    let target: URL;
    try {
      const base = session.baseUrl;
      // A relative URL keeps the base's origin: the socket carries the session's auth and cookies.
      target = base !== null ? resolveSameOrigin(String(url), new URL(base.href.replace(/^http/, 'ws'))) : new URL(String(url));
    } catch (err) {
      throw new InvalidRequestError(`invalid WebSocket URL ${JSON.stringify(redactUrl(String(url)))}`, { cause: redactCause(err) });
    }
    // Cookies match on the http(s) form of the URL (RFC 6455 §4.1: ws is http, wss is https).
    const cookieUrl = new URL(target.href.replace(/^ws/, 'http'));
    const userHeaders = options.headers;
    const headers = async (): Promise<Headers> => {
      const h = new Headers(session.headers);
      h.delete('accept-encoding');
      const extra = typeof userHeaders === 'function' ? await userHeaders() : userHeaders;
      if (extra !== undefined) for (const [name, value] of new Headers(extra)) h.set(name, value);
      const auth = session.auth;
      if (!h.has('authorization') && auth !== null) {
        if (auth.type === 'basic') h.set('authorization', basicAuthorization(auth.username, auth.password));
        else if (auth.type === 'bearer') h.set('authorization', `Bearer ${auth.token}`);
      }
      const cookie = session.cookies?.getCookieHeader(cookieUrl) ?? '';
      if (cookie !== '' && !h.has('cookie')) h.set('cookie', cookie);
      return h;
    };
    const onResponse = options.onResponse;
    return new WebSocket(target, {
      ...options,
      headers,
      tls: options.tls ?? session.tls ?? undefined,
      onResponse: (res: HandshakeResponse) => {
        session.cookies?.setCookiesFromResponse(res.headers, cookieUrl);
        onResponse?.(res);
      },
    });
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
