/**
 * The chains a Session composes, once per set of optional layers:
 *
 * ```
 * request:  hooks → redirects → retries → digest auth → cache → cookies → stale retry → interceptors… → installed → transport
 * upgrade:  hooks → digest auth → cookies → interceptors… → installed → transport
 * ```
 *
 * A layer that is not configured is not in the chain.
 * @module
 */
import { compose, type Dispatch, installedLayer, type Interceptor } from '../core/dispatch.js';
import { type DigestAuthState, digestLayer } from '../layers/auth.js';
import { cacheLayer, type HttpCache } from '../layers/cache.js';
import { cookieLayer } from '../layers/cookies.js';
import { type Hooks, hooksLayer } from '../layers/hooks.js';
import { redirectLayer } from '../layers/redirect.js';
import { type RetryPolicy, retryLayer } from '../layers/retry.js';
import { staleLayer } from '../layers/stale.js';
import type { CookieJar } from './cookies.js';
import type { AuthOptions } from './options.js';

/** Layers a request may need besides the ones every request of the session has; a bit each. */
export const HOOKS = 1;
/** The redirect layer. */
export const REDIRECTS = 2;
/** The retry layer. */
export const RETRIES = 4;
/** The Digest layer. */
export const DIGEST = 8;
/** The chain of a WebSocket Upgrade (its own: no redirects, retries, cache or stale retry). */
export const UPGRADE = 16;

/** What a Session's chains are made of. */
export interface ChainParts {
  hooks: Hooks;
  jar: CookieJar | null;
  maxRedirects: number;
  retry: RetryPolicy | null;
  digest: DigestAuthState;
  /** The session's auth as it is now (it may be set later). */
  auth: () => AuthOptions | null;
  cache: HttpCache | null;
  interceptors: readonly Interceptor[];
  transport: Dispatch;
}

/** The chain holding the optional layers named by `bits` (see {@link HOOKS} …). */
export function composeChain(bits: number, c: ChainParts): Dispatch {
  const jar = c.jar;
  const layers: Interceptor[] = [];
  if (bits & HOOKS) layers.push(hooksLayer(c.hooks, jar));
  if (bits & UPGRADE) {
    // Redirects are not followed for a WebSocket (it fails naming the Location) and it reconnects on its own instead of retrying.
    if (bits & DIGEST) layers.push(digestLayer(c.digest, c.auth));
    if (jar !== null) layers.push(cookieLayer(jar));
    layers.push(...c.interceptors, installedLayer);
    return compose(layers, c.transport);
  }
  if (bits & REDIRECTS) layers.push(redirectLayer(c.maxRedirects, jar, c.hooks));
  if (bits & RETRIES) layers.push(retryLayer(c.retry, c.hooks));
  if (bits & DIGEST) layers.push(digestLayer(c.digest, c.auth));
  if (c.cache !== null) layers.push(cacheLayer(c.cache, jar));
  if (jar !== null) layers.push(cookieLayer(jar));
  layers.push(staleLayer, ...c.interceptors, installedLayer);
  return compose(layers, c.transport);
}
