/**
 * Authentication wiring for a Session: the `Authorization` value of Basic and
 * Bearer auth, and Digest (RFC 7616) answered on a 401 challenge. A Digest
 * challenge is remembered per origin and user, so later requests to the same
 * origin authenticate up front with the next nonce count (`nc`), as RFC 7616
 * §3.4 intends, instead of paying a 401 round trip each time. The Digest
 * layer is composed only for requests with Digest credentials, and never
 * answers a challenge from another origin than the request's first.
 * @module
 */
import type { Headers } from '../http/headers.js';
import { algorithmStrength, basicAuthorization, type DigestChallenge, digestAuthorization, parseChallenge } from './digest.js';
import type { AuthOptions } from '../client/options.js';
import type { Interceptor } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import { discard } from './discard.js';
import { originKey } from '../client/url.js';

/** Most origins whose Digest challenge a session remembers (oldest forgotten first). */
const MAX_REMEMBERED = 256;

/** The `Authorization` value of Basic or Bearer auth, or null (Digest waits for a challenge). */
export function staticAuthorization(auth: AuthOptions): string | null {
  if (auth.type === 'basic') return basicAuthorization(auth.username, auth.password);
  if (auth.type === 'bearer') return `Bearer ${auth.token}`;
  return null;
}

/** A remembered challenge and how many requests used its nonce. */
class NonceState {
  readonly challenge: DigestChallenge;
  nc: number;
  constructor(challenge: DigestChallenge) {
    this.challenge = challenge;
    this.nc = 0;
  }
}

/** Digest state of one Session: the last challenge per origin and user, with its nonce count. */
export class DigestAuthState {
  readonly #byKey: Map<string, NonceState>;

  /** Empty state: nothing remembered yet. */
  constructor() {
    this.#byKey = new Map();
  }

  /**
   * The `Authorization` for a request to `url` from a challenge this origin
   * sent before (nonce count incremented), or null when there is none.
   */
  preemptive(auth: AuthOptions & { type: 'digest' }, method: string, url: URL, body?: Uint8Array | string): string | null {
    const state = this.#byKey.get(keyOf(auth, url));
    if (state === undefined) return null;
    try {
      return this.#answer(state, auth, method, url, body);
    } catch {
      // qop=auth-int and a body that cannot be hashed up front (a stream): wait for the challenge.
      return null;
    }
  }

  /**
   * The `Authorization` answering the Digest challenge in a 401's
   * `WWW-Authenticate`, or null when it holds none this client can answer or
   * when it repeats the nonce already answered without `stale=true` (the
   * credentials were refused), or when it asks for a weaker algorithm than
   * the one this origin already used (a downgrade: MD5 after SHA-256), or
   * without the qop it offered before (the RFC 2069 form). A new
   * nonce starts its count at 1. `body` is the request body for `qop=auth-int`
   * (`''` for none; absent for a stream, which cannot be hashed).
   */
  answer(auth: AuthOptions & { type: 'digest' }, method: string, url: URL, headers: Headers, body?: Uint8Array | string): string | null {
    const values = headers.getAll('www-authenticate');
    if (values.length === 0) return null;
    const challenge = parseChallenge(values);
    if (challenge === null) return null;
    const key = keyOf(auth, url);
    const old = this.#byKey.get(key);
    // The nonce we already answered, not declared stale: the credentials were refused.
    if (old !== undefined && sameNonce(old.challenge, challenge) && !challenge.stale) return null;
    // A server (or a middlebox) that offered a stronger algorithm before does not get an answer with a weaker one.
    if (old !== undefined && algorithmStrength(challenge.algorithm) < algorithmStrength(old.challenge.algorithm)) return null;
    // Nor one without qop (the RFC 2069 form: no cnonce, no nonce count) after one with it.
    if (old !== undefined && old.challenge.qop.length > 0 && challenge.qop.length === 0) return null;
    const state = new NonceState(challenge);
    this.#byKey.delete(key);
    if (this.#byKey.size >= MAX_REMEMBERED) this.#byKey.delete(this.#byKey.keys().next().value!);
    this.#byKey.set(key, state);
    try {
      return this.#answer(state, auth, method, url, body);
    } catch {
      // An unsupported qop or algorithm: leave the 401 to the caller (a stronger challenge remembered before stays).
      this.#byKey.delete(key);
      if (old !== undefined) this.#byKey.set(key, old);
      return null;
    }
  }

  /** Forget every remembered challenge. */
  clear(): void {
    this.#byKey.clear();
  }

  #answer(state: NonceState, auth: AuthOptions & { type: 'digest' }, method: string, url: URL, body: Uint8Array | string | undefined): string {
    const value = digestAuthorization({
      username: auth.username,
      password: auth.password,
      method,
      uri: url.pathname + url.search,
      challenge: state.challenge,
      nc: state.nc + 1,
      ...(body === undefined ? null : { body }),
    });
    // Counted only once an answer was made with it.
    state.nc++;
    return value;
  }
}

function keyOf(auth: { username: string }, url: URL): string {
  return `${originKey(url)} ${auth.username}`;
}

function sameNonce(a: DigestChallenge, b: DigestChallenge): boolean {
  // The algorithm is not part of it: the same nonce under another algorithm is still a refusal, not a new challenge.
  return a.nonce === b.nonce && a.realm === b.realm;
}

/** The request body as `qop=auth-int` hashes it: `''` for none, the bytes of a buffered body, undefined for a stream. */
function bodyForDigest(req: PreparedRequest): Uint8Array | string | undefined {
  const b = req._body;
  if (b === null) return '';
  return b.bytes ?? undefined;
}

/** The auth a request runs with: its own `auth` option, else the session's. */
function authFor(req: PreparedRequest, session: AuthOptions | null): AuthOptions | null {
  const a = req.options.auth;
  return a === undefined ? session : a;
}

/**
 * The Digest layer: authenticates up front from a remembered challenge, and
 * answers a 401 challenge of the request's own origin once per hop (with a
 * body that can be sent again).
 */
export function digestLayer(state: DigestAuthState, sessionAuth: () => AuthOptions | null): Interceptor {
  return (next) => async (req) => {
    const auth = authFor(req, sessionAuth());
    if (auth === null || auth.type !== 'digest') return next(req);
    const url = req._url;
    const origin = originKey(url);
    if (req.authOrigin === null) req.authOrigin = origin;
    const own = origin === req.authOrigin;
    // Digest signs the request URI: every hop to the origin needs its own answer (the caller's header wins on the first).
    const body = bodyForDigest(req);
    if (own && (req.hops > 0 || !req.headers.has('authorization'))) {
      const value = state.preemptive(auth, req.method, url, body);
      if (value !== null) req.headers._set('authorization', value);
    }
    const res = await next(req);
    if (res.status !== 401 || !own || !req.canResend()) return res;
    const value = state.answer(auth, req.method, url, res._peekHeaders(), body);
    if (value === null) return res;
    await discard(res);
    req.headers._set('authorization', value);
    return next(req);
  };
}
