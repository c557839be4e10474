/**
 * reqivo's error tree. Every failure rejects with an instance of {@link ReqivoError}.
 *
 * ```
 * ReqivoError
 * ├── RequestError
 * │   ├── InvalidRequestError   bad URL, method, header name/value (CR, LF, NUL), body type
 * │   ├── NetworkError          refused, reset, closed before the response ended, DNS
 * │   │   ├── TlsError          handshake or certificate verification failed
 * │   │   ├── ProxyError        the proxy refused (407, a CONNECT refusal) or broke
 * │   │   └── StaleConnectionError  a reused connection died before any response byte
 * │   ├── TimeoutError          total timeout
 * │   │   ├── ConnectTimeout
 * │   │   └── ReadTimeout
 * │   ├── ProtocolError         response that breaks HTTP/1.1 framing or syntax
 * │   │   ├── InvalidResponseError
 * │   │   └── LimitExceededError  header bytes, header count, body bytes, decoded size
 * │   ├── TooManyRedirects
 * │   ├── RedirectLoopError
 * │   ├── HttpStatusError       from raiseForStatus(); carries .response
 * │   └── AbortError            the caller's AbortSignal fired
 * └── WebSocketError
 * ```
 *
 * Errors raised deep in the protocol or transport layers do not know the
 * request; the client layer stamps `method` and `url` on them and prefixes the
 * message.
 * @module
 */

/** Options accepted by every reqivo error constructor. */
export interface ReqivoErrorOptions {
  /** The lower-level error that caused this one. */
  cause?: unknown;
  /** HTTP method of the request the error belongs to. */
  method?: string;
  /** URL of the request the error belongs to. */
  url?: string;
}

/** Base class of every error reqivo throws or rejects with. */
export class ReqivoError extends Error {
  /** HTTP method of the failed request, when known. */
  method: string | null;
  /** URL of the failed request, when known. */
  url: string | null;

  constructor(message: string, options?: ReqivoErrorOptions) {
    super(message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.method = options?.method ?? null;
    this.url = options?.url ?? null;
    if (this.method !== null && this.url !== null) this.message = `${this.method} ${this.url}: ${message}`;
  }

  /** The class name (`'ReadTimeout'`, …), also for subclasses users define. */
  override get name(): string {
    return this.constructor.name;
  }

  /**
   * `instanceof` that also holds across the package's ESM and CommonJS
   * copies (the dual-package hazard): an error from either copy carries the
   * brand `Symbol.for('reqivo.error.<Class>')` of its class and of every
   * reqivo class above it. Subclasses users define keep the plain check.
   */
  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== 'object' || value === null) return false;
    const brand = BRANDS.get(this);
    return brand !== undefined && (value as Record<symbol, unknown>)[brand] === true;
  }
}

/** Each reqivo error class's brand: the same symbol in every copy of the package. */
const BRANDS = new WeakMap<object, symbol>();

/**
 * Give an error class its cross-copy brand (see `ReqivoError[Symbol.hasInstance]`).
 * `name` is spelt out so minified class names cannot change it.
 * @internal
 */
export function brandError(cls: abstract new (...args: never[]) => ReqivoError, name: string): void {
  const brand = Symbol.for(`reqivo.error.${name}`);
  BRANDS.set(cls, brand);
  Object.defineProperty(cls.prototype, brand, { value: true });
}

/** A failure tied to one HTTP request. */
export class RequestError extends ReqivoError {
  /** The system error code behind it (`'ECONNREFUSED'`, `'ENOTFOUND'`, …), when there is one. */
  code: string | null;
  constructor(message: string, options?: ReqivoErrorOptions & { code?: string }) {
    super(message, options);
    this.code = options?.code ?? codeOf(options?.cause);
  }
}

/** The `code` of a Node system error (or of its own cause), or null. */
function codeOf(cause: unknown): string | null {
  for (let c = cause, depth = 0; c !== null && typeof c === 'object' && depth < 4; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  return null;
}
/** The request itself is invalid: bad URL, method, header name/value, or body type. Nothing was sent. */
export class InvalidRequestError extends RequestError {}
/** The network failed: connection refused, reset, DNS failure, or the peer closed before the response ended. */
export class NetworkError extends RequestError {}
/** The TLS handshake, certificate verification or certificate pinning failed. */
export class TlsError extends NetworkError {}
/**
 * A reused keep-alive connection closed or failed before any byte of the
 * response: the server most likely closed it while idle and never saw the
 * request. The stale-connection layer sends a request that is safe to
 * replay once more on a new connection; others see this error.
 */
export class StaleConnectionError extends NetworkError {}
/** The proxy (or the proxy's refusal) behind a failed tunnel. */
export class ProxyError extends NetworkError {
  /** The proxy's status code (e.g. 407), or 0 when it never answered. */
  readonly status: number;
  /** The proxy, as `scheme://host:port` (never with credentials). */
  readonly proxy: string;
  constructor(message: string, proxy: string, status: number, options?: ReqivoErrorOptions) {
    super(message, options);
    this.proxy = proxy;
    this.status = status;
  }
}
/** The total timeout of the exchange elapsed. */
export class TimeoutError extends RequestError {
  /** The timeout that fired, in milliseconds. */
  timeoutMs: number | null;
  constructor(message: string, options?: ReqivoErrorOptions & { timeoutMs?: number; code?: string }) {
    super(message, options);
    this.timeoutMs = options?.timeoutMs ?? null;
  }
}
/** Connecting (TCP, TLS, proxy tunnel) took longer than the connect timeout. `code` is `'ETIMEDOUT'`, as connect(2) says. */
export class ConnectTimeout extends TimeoutError {
  constructor(message: string, options?: ReqivoErrorOptions & { timeoutMs?: number; code?: string }) {
    super(message, { code: 'ETIMEDOUT', ...options });
  }
}
/** The gap between two reads of the response exceeded the read timeout. */
export class ReadTimeout extends TimeoutError {}
/** The response breaks HTTP framing or syntax. */
export class ProtocolError extends RequestError {}
/** The response is malformed (bad status line, header syntax, chunk framing, …). */
export class InvalidResponseError extends ProtocolError {}
/** A configured limit was exceeded (header bytes, header count, body bytes, decoded size). */
export class LimitExceededError extends ProtocolError {
  /** Which limit was exceeded, e.g. `'maxHeaderBytes'`. */
  limit: string | null;
  constructor(message: string, options?: ReqivoErrorOptions & { limit?: string }) {
    super(message, options);
    this.limit = options?.limit ?? null;
  }
}
/** More redirects than `maxRedirects` were followed. */
export class TooManyRedirects extends RequestError {}
/** A redirect pointed back to a URL already visited in this chain. */
export class RedirectLoopError extends RequestError {}
/** Thrown by `raiseForStatus()` for a status of 400 or above; carries the response. */
export class HttpStatusError extends RequestError {
  /** The response whose status caused the error. */
  readonly response: { readonly status: number; readonly reason: string; readonly url: string };
  /** The HTTP status code. */
  readonly status: number;
  constructor(
    message: string,
    response: { readonly status: number; readonly reason: string; readonly url: string },
    options?: ReqivoErrorOptions,
  ) {
    super(message, options);
    this.response = response;
    this.status = response.status;
  }
}
/** The caller's AbortSignal fired. `cause` is the signal's reason. */
export class AbortError extends RequestError {}
/** A WebSocket failure: handshake, protocol violation, closed connection, or limit. */
export class WebSocketError extends ReqivoError {
  /** The close code sent or received, when the failure is tied to one. */
  code: number | null;
  constructor(message: string, options?: ReqivoErrorOptions & { code?: number }) {
    super(message, options);
    this.code = options?.code ?? null;
  }
}

brandError(ReqivoError, 'ReqivoError');
brandError(RequestError, 'RequestError');
brandError(InvalidRequestError, 'InvalidRequestError');
brandError(NetworkError, 'NetworkError');
brandError(TlsError, 'TlsError');
brandError(StaleConnectionError, 'StaleConnectionError');
brandError(ProxyError, 'ProxyError');
brandError(TimeoutError, 'TimeoutError');
brandError(ConnectTimeout, 'ConnectTimeout');
brandError(ReadTimeout, 'ReadTimeout');
brandError(ProtocolError, 'ProtocolError');
brandError(InvalidResponseError, 'InvalidResponseError');
brandError(LimitExceededError, 'LimitExceededError');
brandError(TooManyRedirects, 'TooManyRedirects');
brandError(RedirectLoopError, 'RedirectLoopError');
brandError(HttpStatusError, 'HttpStatusError');
brandError(AbortError, 'AbortError');
brandError(WebSocketError, 'WebSocketError');

/**
 * What to change when a timeout fires, appended to its message.
 * @internal
 */
export function timeoutAdvice(option: 'connect' | 'read' | 'total', ms: number): string {
  return `; raise timeout.${option} (now ${ms} ms) or set it to null`;
}

/**
 * Give an error raised below the client layer its request: sets `method` and
 * `url` and prefixes the message, once. Returns the same error.
 * @internal
 */
export function attachRequest<E extends ReqivoError>(err: E, method: string, url: string): E {
  if (err.method === null) {
    err.method = method;
    err.url = url;
    err.message = `${method} ${url}: ${err.message}`;
  }
  return err;
}

// ---- TLS failures: the one classifier (OpenSSL / Node codes → which check failed) ----

const TRUST = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_CHAIN_TOO_LONG',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
]);
const VALIDITY = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD']);
const CLIENT_CERT = /ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|ACCESS_DENIED)/;
/** No TLS version both sides accept: the server refused ours (alert 70), or it chose one below our floor. */
const VERSION = new Set(['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL', 'ERR_SSL_VERSION_TOO_LOW']);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH)/;

/**
 * The {@link TlsError} for a socket error raised by TLS, naming the failed
 * check, or `null` when `err` is not a TLS failure.
 * @param err the socket error
 * @param where what was going on, e.g. `'connecting to example.com:443'`
 * @param minVersion the lowest TLS version this side accepted (`tls.minVersion`), when known
 */
export function tlsFailure(err: unknown, where: string, minVersion?: string): TlsError | null {
  if (err instanceof TlsError) return err;
  const e = err as NodeJS.ErrnoException | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  // OpenSSL's messages end in a newline.
  const text = (e instanceof Error ? e.message : String(err)).trimEnd();
  if (!TLS_CODE.test(code) && !/certificate|SSL routines|TLS/i.test(text)) return null;
  let what: string;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    what = `certificate host name check failed: ${text}`;
  } else if (TRUST.has(code)) {
    what = `certificate verification failed: the chain is not trusted (${code}: ${text}); pass the issuing CA in tls.ca`;
  } else if (VALIDITY.has(code)) {
    what = `certificate verification failed: the certificate is outside its validity period (${code})`;
  } else if (CLIENT_CERT.test(code) || /alert (certificate required|bad certificate|unknown ca)/i.test(text)) {
    what = `the server rejected the client certificate (mTLS): ${code || text}; check tls.cert/tls.key/tls.pfx`;
  } else if (VERSION.has(code)) {
    const ours = minVersion !== undefined ? `${minVersion} or newer (tls.minVersion)` : 'only the versions allowed by tls.minVersion';
    what = `TLS handshake failed: no TLS version in common: this client accepts ${ours} and the server does not (${code})`;
  } else if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    what = `TLS handshake failed: the server does not speak TLS on this port (${code})`;
  } else {
    what = `TLS handshake failed: ${text}`;
  }
  return new TlsError(`${what} (while ${where})`, { cause: err });
}


/**
 * Map a Node socket/TLS error to a reqivo error. `target` (`host:port`),
 * when known, lets the message say what to check.
 * @internal
 */
export function fromSocketError(err: unknown, phase: string, target?: string): NetworkError {
  if (err instanceof NetworkError) return err;
  const e = err as NodeJS.ErrnoException & { code?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const text = e instanceof Error ? e.message : String(err);
  const tls = tlsFailure(err, phase);
  if (tls !== null) return tls;
  return new NetworkError(`network failure while ${phase}: ${text}${networkAdvice(code, target)}`, { cause: err });
}

/** What to check for the common system errors, or ''. */
function networkAdvice(code: string, target: string | undefined): string {
  const host = target === undefined ? 'the host' : target.slice(0, target.lastIndexOf(':'));
  switch (code) {
    case 'ECONNREFUSED':
      return `; is the server running on ${target ?? 'that host and port'}?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return `; the name ${host} does not resolve: check the URL's host name (or your DNS)`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `; ${target ?? 'the host'} cannot be reached: check the host, the port and any firewall, or set the proxy option`;
    default:
      return '';
  }
}

/**
 * `text` (a URL, or what was meant as one) without its credentials, for
 * messages: a URL the parser accepts with a host loses its userinfo;
 * anything else (`user:pw@host` parses as an opaque URL without userinfo)
 * loses everything after `scheme://` (or from the start) up to the last
 * `@`, because a password may hold `@` and where an unparseable authority
 * ends is anyone's guess.
 * @internal
 */
export function redactUrl(text: string): string {
  if (!text.includes('@')) return text;
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // Not a URL: fall through to the blunt cut.
  }
  if (url === null || url.host === '') {
    return text.replace(/^(\s*[a-z][a-z\d+.-]*:[\\/]{2})?[^]*@/i, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`);
  }
  if (url.username === '' && url.password === '') return text;
  url.username = '';
  url.password = '';
  return url.href;
}

/**
 * A `cause` safe to keep: the TypeError `new URL` throws holds the whole
 * input (and base) in `.input` (`.base`), credentials included, so it is
 * replaced by a copy with those redacted. Anything else is returned as is.
 * @internal
 */
export function redactCause(err: unknown): unknown {
  if (!(err instanceof TypeError)) return err;
  const e = err as TypeError & { code?: unknown; input?: unknown; base?: unknown };
  if (typeof e.input !== 'string' && typeof e.base !== 'string') return err;
  const copy = new TypeError(redactUrl(e.message)) as TypeError & { code?: unknown; input?: string; base?: string };
  if (e.code !== undefined) copy.code = e.code;
  if (typeof e.input === 'string') copy.input = redactUrl(e.input);
  if (typeof e.base === 'string') copy.base = redactUrl(e.base);
  return copy;
}
