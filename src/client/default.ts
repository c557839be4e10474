/**
 * One-off requests without a session (like Python's `requests.get`): they
 * run on a Session shared by the process, created on first use. Its idle
 * pooled connections are unref'd, so they never keep the process alive.
 * @module
 */
import type { FetchInit, FetchInput } from './fetch.js';
import type { RequestOptions } from './options.js';
import type { Response } from './response.js';
import { Session } from './session.js';
import type { StreamResponse } from './stream-response.js';

let shared: Session | null = null;

/** The process-wide default Session. */
export function defaultSession(): Session {
  if (shared === null) shared = new Session();
  return shared;
}

/** Send a request on the default Session. */
export function request(method: string, url: string | URL, opts?: RequestOptions): Promise<Response> {
  return defaultSession().request(method, url, opts);
}
/** Stream a response from the default Session. */
export function stream(method: string, url: string | URL, opts?: RequestOptions): Promise<StreamResponse> {
  return defaultSession().stream(method, url, opts);
}
/** GET on the default Session. */
export function get(url: string | URL, opts?: RequestOptions): Promise<Response> {
  return defaultSession().request('GET', url, opts);
}
/** HEAD on the default Session. */
export function head(url: string | URL, opts?: RequestOptions): Promise<Response> {
  return defaultSession().request('HEAD', url, opts);
}
/** OPTIONS on the default Session. */
export function options(url: string | URL, opts?: RequestOptions): Promise<Response> {
  return defaultSession().request('OPTIONS', url, opts);
}
/** DELETE on the default Session (named `del` too, since `delete` is a keyword). */
export function del(url: string | URL, opts?: RequestOptions): Promise<Response> {
  return defaultSession().request('DELETE', url, opts);
}
/** POST on the default Session. */
export function post(url: string | URL, opts?: RequestOptions): Promise<Response> {
  return defaultSession().request('POST', url, opts);
}
/** PUT on the default Session. */
export function put(url: string | URL, opts?: RequestOptions): Promise<Response> {
  return defaultSession().request('PUT', url, opts);
}
/** PATCH on the default Session. */
export function patch(url: string | URL, opts?: RequestOptions): Promise<Response> {
  return defaultSession().request('PATCH', url, opts);
}
/** WHATWG fetch on the default Session (see `session.fetch()`). */
export function fetch(input: FetchInput, init?: FetchInit): Promise<globalThis.Response> {
  return defaultSession().fetch(input, init);
}
