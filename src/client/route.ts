/**
 * Where a hop goes and how: straight to the origin, to a forward proxy in
 * absolute-form (plain http), or through a CONNECT tunnel (https); over
 * HTTP/1.1, HTTP/2 by ALPN, or h2c by prior knowledge. The Session asks
 * {@link routeFor} once per hop; the pool key keeps differently routed
 * connections apart.
 * @module
 */
import { isIP } from 'node:net';
import { InvalidRequestError } from '../errors.js';
import type { LookupFunction, TlsOptions } from '../transport/connection.js';
import { isSocks, type ProxiedConnectOptions, ProxyEnv, parseProxyUrl, proxyAuthorization } from '../transport/proxy.js';
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

/** A Session's DNS and socket options (Session-wide, so not part of pool keys). */
export interface DialSettings {
  /** Resolver instead of `dns.lookup`. */
  lookup: LookupFunction | null;
  /** Address family: 4, 6 or 0 for either. */
  family: 4 | 6 | 0;
  /** Local address to connect from. */
  localAddress: string | null;
  /** Happy eyeballs (default true). */
  autoSelectFamily: boolean;
}

/** Check and normalise a Session's DNS and socket options. */
export function toDialSettings(o: { lookup?: unknown; family?: unknown; localAddress?: unknown; autoSelectFamily?: unknown }): DialSettings {
  if (o.lookup !== undefined && typeof o.lookup !== 'function') throw new InvalidRequestError('lookup must be a function (the net.connect lookup signature)');
  if (o.family !== undefined && o.family !== 4 && o.family !== 6) throw new InvalidRequestError(`family must be 4 or 6, not ${JSON.stringify(o.family)}`);
  if (o.localAddress !== undefined && (typeof o.localAddress !== 'string' || isIP(o.localAddress) === 0)) {
    throw new InvalidRequestError(`localAddress must be an IP address, not ${JSON.stringify(o.localAddress)}`);
  }
  if (o.autoSelectFamily !== undefined && typeof o.autoSelectFamily !== 'boolean') throw new InvalidRequestError('autoSelectFamily must be a boolean');
  return {
    lookup: (o.lookup as LookupFunction | undefined) ?? null,
    family: (o.family as 4 | 6 | undefined) ?? 0,
    localAddress: (o.localAddress as string | undefined) ?? null,
    autoSelectFamily: (o.autoSelectFamily as boolean | undefined) ?? true,
  };
}

/** Check a `socketPath` option: a non-empty string, or undefined for none. */
export function toSocketPath(v: unknown): string | null {
  if (v === undefined) return null;
  if (typeof v !== 'string' || v === '') throw new InvalidRequestError('socketPath must be a non-empty string (the path of a unix domain socket)');
  return v;
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
 * @param dial the Session's DNS and socket options
 * @param socketPath unix domain socket to connect to instead of the URL's host (no proxy then), or null
 */
export function routeFor(url: URL, proxy: URL | null, http2: Http2Mode, tls: TlsOptions | null, dial: DialSettings, socketPath: string | null = null): Route {
  const secure = url.protocol === 'https:';
  const path = url.pathname + url.search;
  const h2 = secure ? http2 !== false : http2 === 'prior-knowledge';
  const alpn = secure ? (http2 === false ? ALPN_H1 : ALPN_H2) : null;
  const { lookup, family, localAddress, autoSelectFamily } = dial;
  if (socketPath !== null) {
    // A local socket: the URL gives only Host (and SNI); pooled per socket path.
    return {
      key: `${originKey(url)} unix:${socketPath}`,
      connect: { secure, host: hostOf(url), port: portOf(url), tls, alpn, path: socketPath, borrowedReads: !h2 },
      target: path,
      forward: null,
      proxyAuthorization: null,
      h2,
    };
  }
  if (proxy === null || isSocks(proxy)) {
    // Direct, or through a SOCKS5 tunnel: origin-form, TLS (and ALPN) end to end.
    return {
      key: proxy === null ? originKey(url) : `${originKey(url)} via ${proxy.href}`,
      // A connection that can never become an HTTP/2 session (never detached) reads into the shared buffer.
      connect: { secure, host: hostOf(url), port: portOf(url), tls, alpn, proxy, lookup, family, localAddress, autoSelectFamily, borrowedReads: !h2 },
      target: path,
      forward: null,
      proxyAuthorization: null,
      h2,
    };
  }
  const proxyTls: TlsOptions | null =
    proxy.protocol === 'https:' && tls !== null ? { ca: tls.ca, rejectUnauthorized: tls.rejectUnauthorized, minVersion: tls.minVersion } : null;
  if (secure) {
    // CONNECT tunnel to the origin, TLS (and ALPN) end to end over it.
    return {
      key: `${originKey(url)} via ${proxy.href}`,
      connect: { secure: true, host: hostOf(url), port: portOf(url), tls, alpn, proxy, proxyTls, lookup, family, localAddress, autoSelectFamily },
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
      lookup,
      family,
      localAddress,
      autoSelectFamily,
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
