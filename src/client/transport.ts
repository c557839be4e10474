/**
 * {@link Transport}: the innermost {@link Dispatch} of a Session — one hop
 * on the wire. It routes the request (direct, forward proxy, CONNECT
 * tunnel; HTTP/2 allowed or not), takes the route's origin pool and runs a
 * {@link HopExchange} on it. Nothing above it knows about sockets; nothing
 * below it knows about redirects, retries, cookies or hooks.
 * @module
 */
import { ProxyError } from '../errors.js';
import type { TlsOptions } from '../transport/connection.js';
import { type Pool } from '../transport/pool.js';
import { proxyDisplay } from '../transport/proxy.js';
import type { AnyResponse } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import { HopExchange } from './exchange.js';
import { type DialSettings, type Http2Mode, type ProxySetting, type Route, routeFor, withProxyAuthorization } from './route.js';
import { StreamResponse } from './stream-response.js';
import { type UpgradeHop, upgradeHop } from './upgrade.js';

/** Sends hops over a Session's pool. */
export class Transport {
  readonly #pool: Pool;
  readonly #proxy: ProxySetting;
  readonly #http2: Http2Mode;
  readonly #tls: TlsOptions | null;
  readonly #dial: DialSettings;
  /** The bound {@link dispatch}, as the innermost Dispatch of the Session's chain. */
  readonly dispatch: (req: PreparedRequest) => Promise<AnyResponse>;
  /** The last hop's URL object (shared by repeated requests to one URL) and its route: routes are immutable. */
  #lastUrl: URL | null;
  #lastRoute: Route | null;

  constructor(pool: Pool, proxy: ProxySetting, http2: Http2Mode, tls: TlsOptions | null, dial: DialSettings) {
    this.#pool = pool;
    this.#dial = dial;
    this.#proxy = proxy;
    this.#http2 = http2;
    this.#tls = tls;
    this.#lastUrl = null;
    this.#lastRoute = null;
    this.dispatch = (req) => this.#send(req);
  }

  #send(req: PreparedRequest): Promise<AnyResponse> {
    if (req.upgrade !== null) return this.#upgrade(req, req.upgrade);
    let route: Route;
    const url = req._url;
    const socketPath = req.socketPath;
    // The session's own proxy setting (no per-request override), no socket path: the route depends on the URL only.
    const plain = socketPath === null && req.options.proxy === undefined;
    if (plain && url === this.#lastUrl) route = this.#lastRoute!;
    else {
      try {
        const proxy = socketPath === null ? this.#proxy.resolve(url, req.options.proxy) : null;
        route = routeFor(url, proxy, this.#http2, this.#tls, this.#dial, socketPath);
      } catch (err) {
        return Promise.reject(err);
      }
      if (plain) {
        this.#lastUrl = url;
        this.#lastRoute = route;
      }
    }
    const origin = this.#pool.origin(route.key, route.connect);
    const list = route.proxyAuthorization === null ? req.headers._list : withProxyAuthorization(req.headers._list, route.proxyAuthorization);
    const settings = this.#pool.options;
    const p = new Promise<AnyResponse>((resolve, reject) => {
      new HopExchange(req, origin, route, list, settings, resolve, reject).start();
    });
    return route.forward === null ? p : p.then((res) => refuse407(res, route));
  }

  /** A WebSocket Upgrade: its own connection (never pooled), through a proxy with CONNECT (plain ws:// too). */
  #upgrade(req: PreparedRequest, up: UpgradeHop): Promise<AnyResponse> {
    let proxy: URL | null;
    try {
      proxy = req.socketPath === null ? this.#proxy.resolve(req._url, req.options.proxy) : null;
    } catch (err) {
      return Promise.reject(err);
    }
    return upgradeHop(req, up, proxy, this.#tls, this.#dial);
  }
}

/** A forward proxy's 407 is a ProxyError, not a response of the origin. */
async function refuse407(res: AnyResponse, route: Route): Promise<AnyResponse> {
  if (res.status !== 407) return res;
  if (res instanceof StreamResponse) await res.close();
  const who = proxyDisplay(route.forward!);
  const msg =
    route.proxyAuthorization !== null
      ? `proxy ${who} refused the credentials (407 Proxy Authentication Required)`
      : `proxy ${who} requires authentication (407 Proxy Authentication Required) and the proxy URL has no credentials`;
  throw new ProxyError(msg, who, 407);
}
