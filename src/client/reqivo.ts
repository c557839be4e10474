/**
 * {@link Reqivo}: the fluent facade over a {@link Session} (docs/api.md).
 * @module
 */
import { Session } from './session.js';
import { WebSocket } from '../websocket/client.js';
import { kOpener, type OptionsWithOpener, type WebSocketOptions } from '../websocket/options.js';
import { InvalidRequestError, redactCause, redactUrl } from '../errors.js';
import { sessionOpener } from './upgrade.js';
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
   * A WebSocket that carries this session's identity: its Upgrade request
   * (each connection attempt, reconnects included) goes through the
   * session's dispatch chain — hooks, cookies (the jar's sent, Set-Cookie of
   * the 101 stored), interceptors — with its default headers, Basic or
   * Bearer auth, proxy (CONNECT) and TLS options. Redirects, retries and the
   * cache do not apply. A relative URL resolves against `baseUrl` with
   * http(s) turned into ws(s). Call `connect()` on the result.
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
    const withOpener: OptionsWithOpener = { ...options, [kOpener]: sessionOpener(this, options.proxy) };
    return new WebSocket(target, withOpener);
  }
}
