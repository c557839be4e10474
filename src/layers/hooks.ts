/**
 * Hooks: user functions run at fixed points of an exchange.
 *
 * - `onRequest` — once per exchange, after default headers, cookies and auth
 *   are merged and before the first hop is written; may change the request.
 * - `onResponse` — once per final response (after redirects, auth
 *   challenges and retries); may replace it.
 * - `beforeRedirect(req, response)` — before each redirect hop is sent; `req`
 *   is already the next hop and may be changed.
 * - `beforeRetry(req, { attempt, error, response, delayMs })` — before each
 *   retry, after its back-off was chosen; may change the next attempt.
 * - `onError(error)` — once when the exchange fails; may return another error.
 *
 * A hook may be async. One that throws rejects the request with a
 * RequestError whose `cause` is the hook's error (a ReqivoError it throws
 * stands as is). The hooks layer is composed only when a request or
 * response hook exists; the others run inside their own layers.
 * @module
 */
import { ReqivoError, RequestError } from '../errors.js';
import type { CookieJar } from '../client/cookies.js';
import type { AnyResponse, Interceptor } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import { StreamResponse } from '../client/stream-response.js';
import { checkMethod } from '../http/methods.js';
import { applyCookies } from './cookies.js';

/** Runs before the first hop; may change the request or return a replacement. */
export type RequestHook = (req: PreparedRequest) => void | PreparedRequest | Promise<void | PreparedRequest>;
/** Runs on each final response; may return a replacement. */
export type ResponseHook = (res: AnyResponse) => void | AnyResponse | Promise<void | AnyResponse>;
/** What a retry is about. */
export interface RetryInfo {
  /** The retry about to be made, 1 for the first. */
  attempt: number;
  /** The failure of the previous attempt, or null when it was a response. */
  error: Error | null;
  /** The previous attempt's response (its body already let go), or null after an error. */
  response: AnyResponse | null;
  /** The back-off before the retry, in ms. */
  delayMs: number;
}
/** Runs before each retry. */
export type BeforeRetryHook = (req: PreparedRequest, info: RetryInfo) => void | Promise<void>;
/** Runs before each redirect hop; `req` is the next hop. */
export type BeforeRedirectHook = (req: PreparedRequest, response: AnyResponse) => void | Promise<void>;
/** Runs when the exchange fails; may return another error to reject with. */
export type ErrorHook = (error: Error) => void | Error | Promise<void | Error>;

/** Every hook list of a Session, in the order added. */
export interface Hooks {
  /** `onRequest` hooks. */
  readonly request: RequestHook[];
  /** `onResponse` hooks. */
  readonly response: ResponseHook[];
  /** `beforeRetry` hooks. */
  readonly beforeRetry: BeforeRetryHook[];
  /** `beforeRedirect` hooks. */
  readonly beforeRedirect: BeforeRedirectHook[];
  /** `onError` hooks. */
  readonly error: ErrorHook[];
}

/** The hook lists a Session options object may hold (`hooks: { beforeRetry: [...] }`). */
export interface HooksInit {
  /** Same as `onRequest`. */
  onRequest?: RequestHook | readonly RequestHook[];
  /** Same as `onResponse`. */
  onResponse?: ResponseHook | readonly ResponseHook[];
  /** Run before each retry. */
  beforeRetry?: BeforeRetryHook | readonly BeforeRetryHook[];
  /** Run before each redirect hop. */
  beforeRedirect?: BeforeRedirectHook | readonly BeforeRedirectHook[];
  /** Run when an exchange fails. */
  onError?: ErrorHook | readonly ErrorHook[];
}

/** Hook lists from `init` (functions or arrays of them). */
export function toHooks(init: HooksInit | undefined): Hooks {
  return {
    request: listOf(init?.onRequest),
    response: listOf(init?.onResponse),
    beforeRetry: listOf(init?.beforeRetry),
    beforeRedirect: listOf(init?.beforeRedirect),
    error: listOf(init?.onError),
  };
}

function listOf<T>(v: T | readonly T[] | undefined): T[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) ? [...(v as readonly T[])] : [v as T];
  for (const f of list) if (typeof f !== 'function') throw new RequestError('hooks must be functions');
  return list;
}

/**
 * The rejection for a hook that threw: a ReqivoError stands as is (e.g.
 * HttpStatusError from `raiseForStatus()`); anything else becomes a
 * RequestError with the hook's error as `cause`.
 */
function hookError(kind: string, index: number, err: unknown): ReqivoError {
  if (err instanceof ReqivoError) return err;
  return new RequestError(`${kind} hook #${index + 1} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/** Run `hooks` in order with the same arguments; a throwing hook rejects with {@link hookError}. */
export async function runHooks<A extends unknown[]>(kind: string, hooks: readonly ((...args: A) => unknown)[], ...args: A): Promise<void> {
  for (let i = 0; i < hooks.length; i++) {
    try {
      await hooks[i]!(...args);
    } catch (err) {
      throw hookError(kind, i, err);
    }
  }
}

/** The error an exchange rejects with after the `onError` hooks saw (and maybe replaced) it. */
export async function runErrorHooks(hooks: readonly ErrorHook[], err: Error): Promise<Error> {
  for (let i = 0; i < hooks.length; i++) {
    let r: void | Error;
    try {
      r = await hooks[i]!(err);
    } catch (e) {
      return hookError('onError', i, e);
    }
    if (r instanceof Error) err = r;
  }
  return err;
}

/** The `onRequest` / `onResponse` layer, outermost; `jar` fills the Cookie header the request hooks see. */
export function hooksLayer(hooks: Hooks, jar: CookieJar | null): Interceptor {
  return (next) => async (req) => {
    if (hooks.request.length > 0) await runRequestHooks(hooks, jar, req);
    const res = await next(req);
    let out = res;
    const list = hooks.response;
    for (let i = 0; i < list.length; i++) {
      let r: void | AnyResponse;
      try {
        r = await list[i]!(out);
      } catch (err) {
        // The caller never sees this response: a streamed one must not hold its connection.
        if (out instanceof StreamResponse) await out.close();
        if (res !== out && res instanceof StreamResponse) await res.close();
        throw hookError('onResponse', i, err);
      }
      if (r !== undefined && r !== null) out = r;
    }
    return out;
  };
}

async function runRequestHooks(hooks: Hooks, jar: CookieJar | null, req: PreparedRequest): Promise<void> {
  // Cookies before the hooks, so that they see every header that will be sent.
  if (jar !== null) applyCookies(jar, req);
  const before = req.headers.get('cookie');
  const list = hooks.request;
  for (let i = 0; i < list.length; i++) {
    let r: void | PreparedRequest;
    try {
      r = await list[i]!(req);
    } catch (err) {
      throw hookError('onRequest', i, err);
    }
    if (r !== undefined && r !== null && r !== req) adopt(req, r);
  }
  req.method = String(req.method).toUpperCase();
  checkMethod(req.method);
  // A hook that rewrote the Cookie header owns it (until the origin changes).
  const after = req.headers.get('cookie');
  if (after !== before) req.hookCookie = after ?? '';
}

/** Take over what a hook's replacement request says. */
function adopt(req: PreparedRequest, r: PreparedRequest): void {
  req.method = r.method;
  req.url = r.url;
  req.headers = r.headers;
  if (r.body !== req.body) req.body = r.body;
}
