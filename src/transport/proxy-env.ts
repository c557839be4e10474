/**
 * Which proxy a URL goes through ({@link proxyFor}, curl's `http_proxy` /
 * `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY` rules), proxy URLs and their
 * credentials. The tunnels themselves are in proxy.ts.
 *
 * `NO_PROXY` follows curl: entries separated by commas or spaces, case
 * insensitive; `*` alone bypasses every host; `example.com` and
 * `.example.com` both match `example.com` and every subdomain (never
 * `badexample.com`); IP addresses match exactly, or by CIDR (`10.0.0.0/8`,
 * `fd00::/8`). Beyond curl (7.88 ignores such entries): Unicode names match
 * the punycode host (`bücher.example` is `xn--bcher-kva.example`),
 * `host:port` limits an entry to one port, and `*.example.com` is read as
 * `.example.com`.
 * @module
 */
import net from 'node:net';
import { domainToASCII } from 'node:url';
import { InvalidRequestError, redactCause, redactUrl } from '../errors.js';
import { decodeUserinfo } from '../http/syntax.js';

/** Environment variables as `process.env` holds them. */
export type ProxyEnvVars = Readonly<Record<string, string | undefined>>;


/** `scheme://host:port` of a proxy URL, without credentials, for messages. */
export function proxyDisplay(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/**
 * Parse a proxy URL. A bare `host:port` means `http://host:port`;
 * `http:`, `https:`, `socks5:` and `socks5h:` proxies are supported.
 * @throws InvalidRequestError for a malformed URL or another scheme.
 */
export function parseProxyUrl(proxy: string | URL): URL {
  let url: URL;
  try {
    if (proxy instanceof URL) url = new URL(proxy.href);
    else {
      const s = proxy.trim();
      url = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(s) ? s : `http://${s}`);
    }
  } catch (err) {
    throw new InvalidRequestError(`invalid proxy URL ${JSON.stringify(redactUrl(String(proxy)))}`, { cause: redactCause(err) });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && !isSocks(url)) {
    throw new InvalidRequestError(`unsupported proxy scheme ${JSON.stringify(url.protocol)}: use an http://, https://, socks5:// or socks5h:// proxy`);
  }
  if (url.hostname === '') throw new InvalidRequestError('proxy URL has no host');
  // Decoded later (Proxy-Authorization, RFC 1929), some of it inside a socket's data handler: a bad escape fails here, typed.
  proxyCredentials(url);
  return url;
}

/**
 * The user name and password of a proxy URL, percent-decoded, or null without any.
 * @throws InvalidRequestError for credentials that are not valid percent-encoded UTF-8.
 */
export function proxyCredentials(proxy: URL): [string, string] | null {
  if (proxy.username === '' && proxy.password === '') return null;
  const user = decodeUserinfo(proxy.username);
  const pass = decodeUserinfo(proxy.password);
  if (user === null || pass === null) throw new InvalidRequestError(`proxy URL ${proxyDisplay(proxy)} has credentials that are not valid percent-encoded UTF-8`);
  return [user, pass];
}

/** Whether a proxy URL names a SOCKS5 proxy (`socks5:` resolves names here, `socks5h:` at the proxy). */
export function isSocks(proxy: URL): boolean {
  return proxy.protocol === 'socks5:' || proxy.protocol === 'socks5h:';
}

/** The `Proxy-Authorization` value (Basic) for the credentials in a proxy URL, or null without credentials. */
export function proxyAuthorization(proxy: URL): string | null {
  const c = proxyCredentials(proxy);
  return c === null ? null : `Basic ${Buffer.from(`${c[0]}:${c[1]}`, 'utf8').toString('base64')}`;
}

/** Effective port of a URL (its explicit port or the scheme's default). */
/** The port of a URL, by its scheme when none is given. @internal */
export function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' || url.protocol === 'wss:' ? 443 : 80;
}

/** A host lower-cased, without IPv6 brackets or a trailing dot. @internal */
export function bareHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/** One parsed `NO_PROXY` entry. */
interface NoProxyRule {
  /** Host name (no leading dot) or IP address; '' for a CIDR rule. */
  host: string;
  /** Port the rule is limited to, or 0 for every port. */
  port: number;
  /** CIDR block for IP ranges, else null. */
  block: net.BlockList | null;
}

/** A parsed `NO_PROXY` list. */
export class NoProxy {
  /** Whether the list holds `*`. */
  readonly all: boolean;
  readonly #rules: NoProxyRule[];

  constructor(list: string) {
    this.#rules = [];
    let all = false;
    for (const raw of list.split(/[\s,]+/)) {
      const entry = raw.trim().toLowerCase();
      if (entry === '') continue;
      if (entry === '*') {
        all = true;
        continue;
      }
      const rule = parseRule(entry);
      if (rule !== null) this.#rules.push(rule);
    }
    this.all = all;
  }

  /** Whether a request to `host` (name or IP, IPv6 with or without brackets) on `port` bypasses the proxy. */
  matches(host: string, port: number): boolean {
    if (this.all) return true;
    let h = bareHost(host);
    // A URL's host is already punycode; a caller's own Unicode name is converted like the entries.
    if (/[^\x00-\x7f]/.test(h)) h = domainToASCII(h);
    const ipFamily = net.isIP(h);
    for (const r of this.#rules) {
      if (r.port !== 0 && r.port !== port) continue;
      if (r.block !== null) {
        if (ipFamily !== 0 && r.block.check(h, ipFamily === 6 ? 'ipv6' : 'ipv4')) return true;
        continue;
      }
      if (ipFamily !== 0 || net.isIP(r.host) !== 0) {
        if (h === r.host || (ipFamily === 6 && net.isIP(r.host) === 6 && sameIPv6(h, r.host))) return true;
        continue;
      }
      if (h === r.host || (h.length > r.host.length && h.endsWith(r.host) && h.charCodeAt(h.length - r.host.length - 1) === 0x2e)) {
        return true;
      }
    }
    return false;
  }
}

function sameIPv6(a: string, b: string): boolean {
  const list = new net.BlockList();
  list.addAddress(b, 'ipv6');
  return list.check(a, 'ipv6');
}

function parseRule(entry: string): NoProxyRule | null {
  let host = entry;
  let port = 0;
  // [v6]:port, [v6], host:port, v4:port — a bare IPv6 address has several colons and no port.
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (bracket !== null) {
    host = bracket[1]!;
    port = bracket[2] !== undefined ? Number(bracket[2]) : 0;
  } else {
    const m = /^([^:]+):(\d+)$/.exec(host);
    if (m !== null) {
      host = m[1]!;
      port = Number(m[2]);
    }
  }
  const slash = host.indexOf('/');
  if (slash !== -1) {
    const addr = host.slice(0, slash);
    const bits = Number(host.slice(slash + 1));
    const family = net.isIP(addr);
    if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) return null;
    const block = new net.BlockList();
    block.addSubnet(addr, bits, family === 6 ? 'ipv6' : 'ipv4');
    return { host: '', port, block };
  }
  if (host.startsWith('*.')) host = host.slice(2);
  else if (host.startsWith('.')) host = host.slice(1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  // The URL parser gives hosts in punycode (UTS #46): compare like with like.
  if (net.isIP(host) === 0) host = domainToASCII(host);
  if (host === '') return null;
  return { host, port, block: null };
}

function firstSet(env: ProxyEnvVars, names: readonly string[]): string | null {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return null;
}

/** A proxy URL from the environment, or the error that it cannot be used. */
function envProxy(value: string | null, names: string): URL | InvalidRequestError | null {
  if (value === null) return null;
  try {
    return parseProxyUrl(value);
  } catch (err) {
    return new InvalidRequestError(`${names} holds a proxy reqivo cannot use: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The proxy settings read from an environment, parsed once, by curl's rules:
 * `http_proxy` for http (lower case only: under CGI a request header
 * `Proxy:` arrives as `HTTP_PROXY`, the "httpoxy" attack), `https_proxy` or
 * `HTTPS_PROXY` for https, `all_proxy` or `ALL_PROXY` for both when theirs
 * is unset, `no_proxy` or `NO_PROXY`; lower case wins. Each may hold an
 * http(s) or a `socks5://` / `socks5h://` proxy. A variable holding a proxy
 * that cannot be used (e.g. `socks4://`) fails only the requests that would
 * go through it (never silently bypassing it), not every request.
 */
export class ProxyEnv {
  /** Proxy for `http:` and `ws:` URLs (or why it cannot be used). */
  readonly http: URL | InvalidRequestError | null;
  /** Proxy for `https:` and `wss:` URLs (or why it cannot be used). */
  readonly https: URL | InvalidRequestError | null;
  /** Hosts that bypass the proxy. */
  readonly noProxy: NoProxy;

  constructor(env: ProxyEnvVars) {
    const all = firstSet(env, ['all_proxy', 'ALL_PROXY']);
    // Never upper-case HTTP_PROXY: a CGI server sets it from the request's `Proxy:` header (httpoxy, CVE-2016-5385).
    const http = firstSet(env, ['http_proxy']);
    const https = firstSet(env, ['https_proxy', 'HTTPS_PROXY']);
    this.http = envProxy(http ?? all, http !== null ? 'http_proxy' : 'ALL_PROXY');
    this.https = envProxy(https ?? all, https !== null ? 'HTTPS_PROXY' : 'ALL_PROXY');
    this.noProxy = new NoProxy(firstSet(env, ['no_proxy', 'NO_PROXY']) ?? '');
  }

  /**
   * The proxy for `url`, or null to connect directly.
   * @throws InvalidRequestError when the variable that applies holds an unusable proxy.
   */
  lookup(url: URL): URL | null {
    const secure = url.protocol === 'https:' || url.protocol === 'wss:';
    const proxy = secure ? this.https : this.http;
    if (proxy === null) return null;
    if (this.noProxy.matches(url.hostname, portOf(url))) return null;
    if (proxy instanceof InvalidRequestError) throw new InvalidRequestError(proxy.message, { cause: proxy.cause });
    return proxy;
  }
}

/**
 * The proxy URL a request to `url` should use under the environment `env`
 * (default `process.env`), or null to connect directly. Pure: reads only
 * `env`.
 */
export function proxyFor(url: string | URL, env: ProxyEnvVars | ProxyEnv = process.env): string | null {
  const u = typeof url === 'string' ? new URL(url) : url;
  const pe = env instanceof ProxyEnv ? env : new ProxyEnv(env);
  const p = pe.lookup(u);
  return p === null ? null : p.href;
}
