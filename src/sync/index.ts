/**
 * `reqivo/sync`: the blocking API, for scripts, CLIs and config loaders —
 * never for servers (each call blocks the thread's event loop).
 *
 * ```ts
 * import { SyncSession, getSync } from 'reqivo/sync';
 * using s = new SyncSession({ baseUrl: 'http://127.0.0.1:8080', timeout: 5000 });
 * const user = s.get('/users/1').raiseForStatus().json();
 * const page = getSync('https://example.org/').text();   // on a shared default worker
 * ```
 *
 * Errors are reqivo's own classes, thrown synchronously. See docs/sync.md.
 * @module
 */
import type { Response } from '../index.js';
import { SyncSession } from './session.js';
import type { SyncRequestOptions } from './wire.js';

export { SyncSession } from './session.js';
export { SyncWorkerError } from './errors.js';
export type { SyncBodyInit, SyncRequestOptions, SyncRetryOptions, SyncSessionOptions } from './wire.js';

let shared: SyncSession | null = null;

/** This thread's default SyncSession, started on first use (again after its worker failed); it never keeps the process alive. */
export function defaultSyncSession(): SyncSession {
  if (shared === null || shared.closed) shared = new SyncSession();
  return shared;
}

/** Blocking request on the default SyncSession. */
export function requestSync(method: string, url: string | URL, opts?: SyncRequestOptions): Response {
  return defaultSyncSession().request(method, url, opts);
}
/** Blocking GET on the default SyncSession. */
export function getSync(url: string | URL, opts?: SyncRequestOptions): Response {
  return defaultSyncSession().request('GET', url, opts);
}
/** Blocking HEAD on the default SyncSession. */
export function headSync(url: string | URL, opts?: SyncRequestOptions): Response {
  return defaultSyncSession().request('HEAD', url, opts);
}
/** Blocking OPTIONS on the default SyncSession. */
export function optionsSync(url: string | URL, opts?: SyncRequestOptions): Response {
  return defaultSyncSession().request('OPTIONS', url, opts);
}
/** Blocking DELETE on the default SyncSession. */
export function deleteSync(url: string | URL, opts?: SyncRequestOptions): Response {
  return defaultSyncSession().request('DELETE', url, opts);
}
/** Blocking POST on the default SyncSession. */
export function postSync(url: string | URL, opts?: SyncRequestOptions): Response {
  return defaultSyncSession().request('POST', url, opts);
}
/** Blocking PUT on the default SyncSession. */
export function putSync(url: string | URL, opts?: SyncRequestOptions): Response {
  return defaultSyncSession().request('PUT', url, opts);
}
/** Blocking PATCH on the default SyncSession. */
export function patchSync(url: string | URL, opts?: SyncRequestOptions): Response {
  return defaultSyncSession().request('PATCH', url, opts);
}
