/**
 * {@link Reqivo}: the fluent facade over a {@link Session} (docs/api.md).
 * @module
 */
import { Session } from './session.js';
import { WebSocket } from '../websocket/client.js';
import type { HandshakeResponse, WebSocketOptions } from '../websocket/options.js';
import { Headers } from '../http/headers.js';
import { InvalidRequestError, redactCause, redactUrl } from '../errors.js';
import { staticAuthorization } from '../layers/auth.js';
import { resolveSameOrigin } from './url.js';

/** Fluent client: `new Reqivo({ baseUrl }).bearerToken(t).onRequest(fn)`, then every Session method. */
export class Reqivo extends Session {
  /** The Session behind the facade (the facade itself: a Reqivo is a Session). */
  get session(): Session {
    return this;
  }

  /** Send `Authorization: Bearer <token>` with every request. */
  bearerToken(token: string): this {
    this.auth = { type: 'bearer', token };
    return this;
  }

  /** Send HTTP Basic credentials with every request. */
  basicAuth(username: string, password: string): this {
    this.auth = { type: 'basic', username, password };
    return this;
  }

  /** Answer Digest challenges (RFC 7616) with these credentials. */
  digestAuth(username: string, password: string): this {
    this.auth = { type: 'digest', username, password };
    return this;
  }

  /**
   * A WebSocket that carries this session's identity: its default headers,
   * the cookie jar's cookies for the URL (and Set-Cookie of the handshake
   * stored back), Basic or Bearer auth, and its TLS options. A relative URL
   * resolves against `baseUrl` with http(s) turned into ws(s). Call
   * `connect()` on the result.
   */
  websocket(url: string | URL, options: WebSocketOptions = {}): WebSocket {
    let target: URL;
    try {
      const base = this.baseUrl;
      // A relative URL keeps the base's origin: the socket carries the session's auth and cookies.
      target = base !== null ? resolveSameOrigin(String(url), new URL(base.href.replace(/^http/, 'ws'))) : new URL(String(url));
    } catch (err) {
      throw new InvalidRequestError(`invalid WebSocket URL ${JSON.stringify(redactUrl(String(url)))}`, { cause: redactCause(err) });
    }
    // Cookies match on the http(s) form of the URL (RFC 6455 §4.1: ws is http, wss is https).
    const cookieUrl = new URL(target.href.replace(/^ws/, 'http'));
    const userHeaders = options.headers;
    const headers = async (): Promise<Headers> => {
      const h = new Headers(this.headers);
      h.delete('accept-encoding');
      const extra = typeof userHeaders === 'function' ? await userHeaders() : userHeaders;
      if (extra !== undefined) for (const [name, value] of new Headers(extra)) h.set(name, value);
      const auth = this.auth;
      const value = !h.has('authorization') && auth !== null ? staticAuthorization(auth) : null;
      if (value !== null) h.set('authorization', value);
      const cookie = this.cookies?.getCookieHeader(cookieUrl) ?? '';
      if (cookie !== '' && !h.has('cookie')) h.set('cookie', cookie);
      return h;
    };
    const onResponse = options.onResponse;
    return new WebSocket(target, {
      ...options,
      headers,
      tls: options.tls ?? this.tls ?? undefined,
      onResponse: (res: HandshakeResponse) => {
        this.cookies?.setCookiesFromResponse(res.headers, cookieUrl);
        onResponse?.(res);
      },
    });
  }
}
