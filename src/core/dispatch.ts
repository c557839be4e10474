/**
 * The dispatch seam. Everything between `session.request()` and the wire is
 * a {@link Dispatch}: a function from a {@link PreparedRequest} to its
 * response. Layers (redirects, retries, auth, cookies, hooks) and user
 * interceptors are {@link Interceptor}s — functions that wrap the next
 * Dispatch — composed once, so an unused layer is simply absent from the
 * chain and costs nothing per request.
 *
 * ```
 * hooks → redirects → retries → digest auth → cache → cookies → stale retry → interceptors… → installed → transport
 * ```
 * @module
 */
import type { Response } from '../client/response.js';
import type { StreamResponse } from '../client/stream-response.js';
import type { PreparedRequest } from './request.js';

/** What a round trip resolves to: a buffered Response, or a StreamResponse for `session.stream()`. */
export type AnyResponse = Response | StreamResponse;

/** Send one request (one hop) and resolve with its response. */
export type Dispatch = (req: PreparedRequest) => Promise<AnyResponse>;

/**
 * Wraps one round trip: sees every request as it goes on the wire (each
 * redirect hop, retry attempt and auth challenge), may change it, may answer
 * it without touching the network, and may replace the response.
 *
 * ```ts
 * const log: Interceptor = (next) => async (req) => {
 *   const res = await next(req);
 *   console.log(req.method, req.url, res.status);
 *   return res;
 * };
 * ```
 */
export type Interceptor = (next: Dispatch) => Dispatch;

/** `layers` around `base`, the first outermost. */
export function compose(layers: readonly Interceptor[], base: Dispatch): Dispatch {
  let d = base;
  for (let i = layers.length - 1; i >= 0; i--) d = layers[i]!(d);
  return d;
}

/**
 * The interceptor installed for every Session of the process (the testing
 * MockAgent's `install()`), innermost, or null.
 */
let installed: Interceptor | null = null;

/** Install `interceptor` for every Session in the process (null removes it). @internal */
export function installInterceptor(interceptor: Interceptor | null): void {
  installed = interceptor;
}

/** The innermost layer of every Session: the installed interceptor when there is one, else nothing. */
export const installedLayer: Interceptor = (next) => (req) => (installed === null ? next(req) : installed(next)(req));
