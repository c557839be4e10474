/**
 * Where a hop goes and how: straight to the origin, to a forward proxy in
 * absolute-form (plain http), or through a CONNECT tunnel (https); over
 * HTTP/1.1, HTTP/2 by ALPN, or h2c by prior knowledge. The Session asks
 * {@link routeFor} once per hop; the pool key keeps differently routed
 * connections apart.
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import type { TlsOptions } from '../transport/connection.js';
import { type ProxiedConnectOptions, ProxyEnv, parseProxyUrl, proxyAuthorization } from '../transport/proxy.js';
import { originKey } from './url.js';

/** `SessionOptions.http2`. */
export type Http2Mode = 'auto' | 'prior-knowledge' | false;

const ALPN_H2: string[] = ['h2', 'http/1.1'];
const ALPN_H1: string[] = ['http/1.1'];

/** Check and normalise `SessionOptions.http2`. */
export function toHttp2Mode(v: unknown): Http2Mode {
  if (v === undefined || v === 'auto' || v === true) return 'auto';
  if (v === false || v === 'prior-knowledge') return v;
  throw new InvalidRequestError(`http2 must be 'auto', 'prior-knowledge' or false, not ${JSON.stringify(v)}`);
}

/** A Session's `proxy` option, parsed once: `'env'` (default), a proxy URL, or `false`. */
export class ProxySetting {
  readonly #url: URL | null;
  readonly #env: ProxyEnv | null;

  constructor(option: string | false | undefined) {
    if (option === false) {
      this.#url = null;
      this.#env = null;
    } else if (option === undefined || option === 'env') {
      this.#url = null;
      this.#env = new ProxyEnv(process.env);
    } else if (typeof option === 'string') {
      this.#url = parseProxyUrl(option);
      this.#env = null;
    } else {
      throw new InvalidRequestError(`proxy must be 'env', a proxy URL or false, not ${JSON.stringify(option)}`);
    }
  }

  /** The proxy for `url` under this setting, or under the per-request `override`; null for none. */
  resolve(url: URL, override: string | false | undefined): URL | null {
    if (override === undefined) return this.#env !== null ? this.#env.lookup(url) : this.#url;
    if (override === false) return null;
    if (override === 'env') return (this.#env ?? new ProxyEnv(process.env)).lookup(url);
    if (typeof override !== 'string') throw new InvalidRequestError('proxy must be \'env\', a proxy URL or false');
    return parseProxyUrl(override);
  }
}

/** How one hop is carried. */
export interface Route {
  /** Pool key: connections are shared only between hops with the same key. */
  key: string;
  /** How to open a connection for this key. */
  connect: ProxiedConnectOptions;
  /** Request-target: origin-form, or absolute-form for a forward proxy. */
  target: string;
  /** The forward proxy (plain http through a proxy), or null. */
  forward: URL | null;
  /** `Proxy-Authorization` to send with the request (forward proxy with credentials), or null. */
  proxyAuthorization: string | null;
  /** Whether to try HTTP/2 (ALPN on https, prior knowledge on http). */
  h2: boolean;
}

function hostOf(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') ? h.slice(1, -1) : h;
}

function portOf(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/**
 * The route of a hop to `url`.
 * @param proxy proxy to use, or null
 * @param http2 the Session's HTTP/2 mode
 * @param tls the Session's TLS settings (for the origin; an https proxy gets only its CA and verification settings)
 */
export function routeFor(url: URL, proxy: URL | null, http2: Http2Mode, tls: TlsOptions | null): Route {
  const secure = url.protocol === 'https:';
  const path = url.pathname + url.search;
  if (proxy === null) {
    return {
      key: originKey(url),
      connect: { secure, host: hostOf(url), port: portOf(url), tls, alpn: secure ? (http2 === false ? ALPN_H1 : ALPN_H2) : null },
      target: path,
      forward: null,
      proxyAuthorization: null,
      h2: secure ? http2 !== false : http2 === 'prior-knowledge',
    };
  }
  const proxyTls: TlsOptions | null =
    proxy.protocol === 'https:' && tls !== null ? { ca: tls.ca, rejectUnauthorized: tls.rejectUnauthorized, minVersion: tls.minVersion } : null;
  if (secure) {
    // CONNECT tunnel to the origin, TLS (and ALPN) end to end over it.
    return {
      key: `${originKey(url)} via ${proxy.href}`,
      connect: {
        secure: true,
        host: hostOf(url),
        port: portOf(url),
        tls,
        alpn: http2 === false ? ALPN_H1 : ALPN_H2,
        proxy,
        proxyTls,
      },
      target: path,
      forward: null,
      proxyAuthorization: null,
      h2: http2 !== false,
    };
  }
  // Plain http: absolute-form to the proxy, connections pooled per proxy.
  const proxySecure = proxy.protocol === 'https:';
  return {
    key: `proxy ${proxy.href}`,
    connect: {
      secure: proxySecure,
      host: hostOf(proxy),
      port: portOf(proxy),
      tls: proxyTls,
      alpn: proxySecure ? ALPN_H1 : null,
    },
    target: `${url.protocol}//${url.host}${path}`,
    forward: proxy,
    proxyAuthorization: proxyAuthorization(proxy),
    h2: false,
  };
}

/** `list` plus a `Proxy-Authorization` field, unless the request already has one. */
export function withProxyAuthorization(list: readonly string[], value: string): readonly string[] {
  for (let i = 0; i < list.length; i += 2) if (list[i]!.toLowerCase() === 'proxy-authorization') return list;
  return list.concat('Proxy-Authorization', value);
}
