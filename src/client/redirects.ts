/**
 * Redirect rules (RFC 9110 §15.4): which statuses redirect, how the method
 * and body change, what is stripped when the origin changes.
 * @module
 */
import { InvalidRequestError, RequestError, redactCause, redactUrl } from '../errors.js';
import type { Headers } from '../http/headers.js';
import { displayUrl, originKey } from './url.js';

/** Statuses that redirect when they carry a Location. */
export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Headers never forwarded to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
/** Headers describing a body, dropped when the redirect turns the request into a GET. */
const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding', 'content-encoding', 'content-language', 'content-location'];

/** What the next hop of a redirect looks like. */
export interface RedirectStep {
  /** URL to request next. */
  url: URL;
  /** Method to use. */
  method: string;
  /** Whether the body is dropped. */
  dropBody: boolean;
  /** Whether the origin (scheme, host, port) changed. */
  crossOrigin: boolean;
}

/**
 * Work out the next hop for a redirect response, or throw:
 * InvalidRequestError for an unusable Location, RequestError for an
 * https → http downgrade unless `allowInsecure`.
 */
export function nextHop(from: URL, method: string, status: number, location: string, allowInsecure: boolean): RedirectStep {
  let url: URL;
  try {
    // Location may carry raw non-ASCII bytes decoded as latin1; re-encode them as UTF-8 per browsers.
    url = new URL(Buffer.from(location, 'latin1').toString('utf8'), from);
  } catch (err) {
    throw new InvalidRequestError(`redirect to an invalid Location ${JSON.stringify(redactUrl(location))}`, { cause: redactCause(err) });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidRequestError(`redirect to unsupported scheme ${JSON.stringify(url.protocol)}`);
  }
  if (from.protocol === 'https:' && url.protocol === 'http:' && !allowInsecure) {
    throw new RequestError(`refusing to follow a redirect from https to http (${displayUrl(url)}); set allowInsecureRedirects to allow it`);
  }
  // Fragment of the original request is inherited when Location has none (RFC 9110 §10.2.2).
  url.hash = '';
  let next = method;
  let dropBody = false;
  if (status === 303) {
    if (method !== 'HEAD') next = 'GET';
    dropBody = true;
  } else if ((status === 301 || status === 302) && method === 'POST') {
    // The historic behaviour RFC 9110 §15.4.2/3 allows, and Fetch requires: only POST becomes GET.
    next = 'GET';
    dropBody = true;
  }
  if (method === 'GET' || method === 'HEAD') dropBody = true;
  return { url, method: next, dropBody, crossOrigin: originKey(from) !== originKey(url) };
}

/** Remove what must not follow the request to its next hop. */
export function stripForRedirect(headers: Headers, step: RedirectStep): void {
  if (step.crossOrigin) for (const h of CREDENTIAL_HEADERS) headers.delete(h);
  if (step.dropBody) for (const h of BODY_HEADERS) headers.delete(h);
}
