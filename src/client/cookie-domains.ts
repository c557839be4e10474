/**
 * Where a cookie applies: the canonical forms of hosts and Domain attributes
 * and RFC 6265's domain-match and path-match (§5.1.3, §5.1.4), kept apart
 * from the jar's storage rules in cookies.ts.
 * @module
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/**
 * §5.1.3: `host` domain-matches `domain` (equal, or a subdomain and not an IP address).
 * @internal
 */
export function domainMatch(host: string, domain: string): boolean {
  if (host === domain) return true;
  return host.length > domain.length && host.endsWith(domain) && host.charCodeAt(host.length - domain.length - 1) === 0x2e && !isIpHost(host);
}

/**
 * §5.1.4 path-match.
 * @internal
 */
export function pathMatch(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charCodeAt(cookiePath.length) === 0x2f;
}

/**
 * §5.1.4 default-path: the request path up to, not including, its last `/`.
 * @internal
 */
export function defaultPath(uriPath: string): string {
  if (!uriPath.startsWith('/')) return '/';
  const last = uriPath.lastIndexOf('/');
  return last === 0 ? '/' : uriPath.slice(0, last);
}

/** `::1` for `[::1]`; any other host unchanged. */
function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Whether `host` is an IPv4 or IPv6 address (bracketed or not).
 * @internal
 */
export function isIpHost(host: string): boolean {
  return isIP(stripBrackets(host)) !== 0;
}

/**
 * Lower-case ASCII (punycode) form of a Domain attribute (an IP address in
 * its URL form), or `null` when it is not a valid host.
 * @internal
 */
export function canonicalDomain(domain: string): string | null {
  if (isIpHost(domain)) return urlHostname(domain);
  if (domain.endsWith('.') || domain.includes('..')) return null;
  const ascii = domainToASCII(domain);
  return ascii === '' ? null : ascii;
}

/**
 * A domain given to `delete` / `clear`: leading dot dropped, canonical when it can be.
 * @internal
 */
export function normaliseDomainArg(domain: string): string {
  const d = (domain.startsWith('.') ? domain.slice(1) : domain).toLowerCase();
  return canonicalDomain(d) ?? d;
}

/**
 * A hostname as the URL parser writes it (IPv6 in brackets), or `null` when `host` is not one.
 * @internal
 */
export function urlHostname(host: string): string | null {
  const bare = stripBrackets(host);
  const ip = isIP(bare);
  // Anything that would make the URL parser read a port, a path or userinfo is not a hostname.
  if (ip === 0 && /[\s#/:<>?@[\\\]^|%]/.test(host)) return null;
  try {
    return new URL(`http://${ip === 6 ? `[${bare}]` : host}/`).hostname;
  } catch {
    return null;
  }
}
