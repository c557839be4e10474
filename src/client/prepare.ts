/**
 * What the Session does to options before anything reaches the chain:
 * option-name checks, the cache option, merged headers, static auth, body
 * length from a caller's Content-Length, and the error of a request that
 * never got that far. Pure functions of their arguments.
 * @module
 */
import { attachRequest, InvalidRequestError, ReqivoError, RequestError, redactUrl } from '../errors.js';
import { Headers, type HeadersInit } from '../http/headers.js';
import { decodeUserinfo } from '../http/syntax.js';
import { RequestBody } from '../core/body.js';
import type { Timeout } from '../core/deadline.js';
import type { PreparedRequest } from '../core/request.js';
import { staticAuthorization } from '../layers/auth.js';
import { HttpCache } from '../layers/cache.js';
import { type CacheStore, MemoryCache } from '../layers/cache-store.js';
import { basicAuthorization } from '../layers/digest.js';
import { pinsProblem } from '../transport/pins.js';
import { checkNames, HOOK_OPTIONS, POOL_OPTIONS, SESSION_OPTIONS, TLS_OPTIONS } from './option-names.js';
import type { AuthOptions, SessionOptions } from './options.js';

/** Fail fast on a misspelt session option, nested ones included. */
export function checkSessionOptions(options: SessionOptions): void {
  checkNames(options, SESSION_OPTIONS, 'session option');
  const nested: [unknown, ReadonlySet<string>, string][] = [
    [options.pool, POOL_OPTIONS, 'pool option'],
    [options.tls, TLS_OPTIONS, 'tls option'],
    [options.hooks, HOOK_OPTIONS, 'hooks option'],
  ];
  for (const [value, names, what] of nested) if (value !== null && typeof value === 'object') checkNames(value, names, what);
  const pins = pinsProblem(options.tls?.pins);
  if (pins !== null) throw new InvalidRequestError(pins);
}

/** The `cache` option as the session's cache: true → a MemoryCache, a store as given, false/absent → none. */
export function toCache(option: boolean | CacheStore | undefined, timeout: Timeout): HttpCache | null {
  if (option === undefined || option === false) return null;
  if (option === true) return new HttpCache(new MemoryCache(), timeout);
  if (option === null || typeof option !== 'object' || typeof option.get !== 'function' || typeof option.set !== 'function' || typeof option.delete !== 'function') {
    throw new InvalidRequestError('cache must be true, false, a MemoryCache, or a { get, set, delete } store');
  }
  return new HttpCache(option, timeout);
}

/** A failure as the ReqivoError the caller sees, naming the request's method and (credential-free) URL. */
export function wrap(err: unknown, req: PreparedRequest): Error {
  if (err instanceof ReqivoError) return attachRequest(err, req.method, req._display);
  return new RequestError(`hook or body failed: ${(err as Error)?.message ?? String(err)}`, { cause: err, method: req.method, url: req._display });
}

/** Authorization from URL credentials, or Basic / Bearer auth; Digest waits for its layer. The caller's own header wins. */
export function applyStaticAuth(url: URL, headers: Headers, auth: AuthOptions | null): void {
  if (headers.has('authorization')) return;
  if (url.username !== '' || url.password !== '') {
    const user = decodeUserinfo(url.username);
    const pass = decodeUserinfo(url.password);
    if (user === null || pass === null) throw new InvalidRequestError('the URL has a user name or password that is not valid percent-encoded UTF-8');
    headers._set('authorization', basicAuthorization(user, pass));
    return;
  }
  if (auth === null) return;
  const value = staticAuthorization(auth);
  if (value !== null) headers.set('authorization', value);
}

/**
 * An error raised before the request URL was resolved, as a ReqivoError
 * naming the method and the input URL — without any credentials it holds.
 */
export function stampInput(err: unknown, method: string, input: string | URL): ReqivoError {
  const where = redactUrl(typeof input === 'string' ? input : input.href);
  if (err instanceof ReqivoError) return attachRequest(err, method, where);
  return new InvalidRequestError(`invalid request options: ${(err as Error)?.message ?? String(err)}`, { cause: err, method, url: where });
}

/** Merge `init` over `target`: each name given replaces the defaults; repeats of a name in `init` are kept together. */
export function mergeInto(target: Headers, init: HeadersInit): void {
  const add = init instanceof Headers ? init : new Headers(init);
  const list = add._list;
  // Names repeated in `init` (append semantics) are kept together; each name replaces the defaults.
  const replaced = new Set<string>();
  for (let i = 0; i < list.length; i += 2) {
    const lname = list[i]!.toLowerCase();
    if (!replaced.has(lname)) {
      replaced.add(lname);
      target._set(list[i]!, list[i + 1]!);
    } else target._list.push(list[i]!, list[i + 1]!);
  }
}

/** `body` with a known length (the caller's Content-Length for a stream). */
export function withLength(body: RequestBody, length: number): RequestBody {
  return new RequestBody(body.bytes, body.stream, length, body.contentType, body.replayable);
}
