/**
 * The cookie layer (RFC 6265): on every hop — each redirect, retry and auth
 * challenge — the jar's cookies for the hop's URL are added to the Cookie
 * header the caller set, and the response's Set-Cookie fields are stored.
 * Applied inside the redirect loop, so a cookie set by a redirect response
 * goes with the next hop (undici #1640). Composed only when the session has
 * a jar.
 * @module
 */
import type { CookieJar } from '../client/cookies.js';
import type { Interceptor } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';

/** The Cookie header `req` carries to `url`: a hook's own value, else the caller's plus the jar's; '' for none. */
export function cookieHeaderFor(jar: CookieJar | null, req: PreparedRequest, url: URL): string {
  if (req.hookCookie !== null) return req.hookCookie;
  const user = req.userCookie;
  const fromJar = jar !== null ? jar.getCookieHeader(url) : '';
  return user !== null && fromJar !== '' ? `${user}; ${fromJar}` : (user ?? fromJar);
}

/** Set the Cookie header of `req` for its current URL. */
export function applyCookies(jar: CookieJar | null, req: PreparedRequest): void {
  const value = cookieHeaderFor(jar, req, req._url);
  if (value === '') req.headers.delete('cookie');
  else req.headers._set('cookie', value);
}

/** The layer: cookies out on each hop, Set-Cookie back into `jar`. */
export function cookieLayer(jar: CookieJar): Interceptor {
  // A `then` rather than an async function: one promise and one closure per request, no coroutine.
  return (next) => (req) => {
    applyCookies(jar, req);
    return next(req).then((res) => {
      jar.setCookiesFromResponse(res._peekHeaders(), req._url);
      return res;
    });
  };
}
