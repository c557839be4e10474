/**
 * {@link PreparedRequest}: the protocol-neutral request that travels the
 * dispatch seam. The Session builds one per `request()` — method, URL,
 * merged headers, body, and the exchange's {@link Deadline} and limits —
 * and every layer, hook and interceptor sees and may change the same
 * object; the transport reads it when it goes on the wire. What a layer
 * needs to know travels here, never through a side channel.
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import type { Headers } from '../http/headers.js';
import { DEFAULT_RESPONSE_LIMITS, type Progress, type RequestOptions, type ResponseLimits } from '../client/options.js';
import { type BodyInit, RequestBody, toRequestBody } from './body.js';
import type { Deadline } from './deadline.js';
import type { Timings } from './timings.js';
import type { UpgradeHop } from '../client/upgrade.js';

const EMPTY_OPTIONS: RequestOptions = Object.freeze({});

/** A request about to be written: method, URL, merged headers (defaults, cookies, auth) and body. */
export class PreparedRequest {
  /** Request method (upper case). */
  method: string;
  /** Headers to send (mutable). */
  headers: Headers;
  /** Timeouts and abort signal of the whole exchange. @internal */
  readonly deadline: Deadline | null;
  /** Response limits. @internal */
  limits: ResponseLimits;
  /** Whether the caller wants a StreamResponse. @internal */
  readonly streaming: boolean;
  /** The options the request was made with (read by the layers that need them). @internal */
  readonly options: RequestOptions;
  /** Decode gzip / deflate / br response bodies. @internal */
  decompress: boolean;
  /** Run the next attempt on a newly opened connection (the stale-connection retry). @internal */
  fresh: boolean;
  /** The Cookie header the caller set itself (the jar's cookies are added to it per hop). @internal */
  userCookie: string | null;
  /** A Cookie header an onRequest hook wrote: it stands for every hop until the origin changes. @internal */
  hookCookie: string | null;
  /** Redirect hops taken so far (0 on the first request). */
  hops: number;
  /** The origin Digest credentials are answered for (the first hop's), once the Digest layer saw it. @internal */
  authOrigin: string | null;
  /** Timestamps of the hop on the wire, when the request asked for them (`timings: true`). @internal */
  timings: Timings | null;
  /** Unix domain socket every hop connects to (`socketPath`, or an `http+unix:` URL), or null for TCP. @internal */
  socketPath: string | null;
  /** A WebSocket Upgrade (`Reqivo.websocket()`): the transport then performs the head exchange and hands the socket over. @internal */
  upgrade: UpgradeHop | null;
  #url: URL;
  #href: string;
  #display: string | null;
  #bodyInit: BodyInit | RequestBody | null;
  #body: RequestBody | null;
  #bodyDirty: boolean;

  /**
   * Built by the Session; an interceptor or hook may build one too (then
   * `body` is encoded on first use). `url` is absolute.
   */
  constructor(
    method: string,
    url: string | URL,
    headers: Headers,
    body: BodyInit | RequestBody | null = null,
    deadline: Deadline | null = null,
    limits: ResponseLimits | null = null,
    options: RequestOptions = EMPTY_OPTIONS,
    streaming = false,
    prepared: RequestBody | null = null,
  ) {
    this.method = method;
    this.headers = headers;
    this.deadline = deadline;
    this.limits = limits ?? DEFAULT_RESPONSE_LIMITS;
    this.streaming = streaming;
    this.options = options;
    this.decompress = true;
    this.fresh = false;
    this.userCookie = null;
    this.hookCookie = null;
    this.hops = 0;
    this.authOrigin = null;
    this.timings = null;
    this.socketPath = null;
    this.upgrade = null;
    this.#url = typeof url === 'string' ? parseAbsolute(url) : url;
    this.#href = this.#url.href;
    this.#display = null;
    this.#bodyInit = body ?? prepared;
    this.#body = prepared;
    this.#bodyDirty = prepared === null && body !== null;
  }

  /** Absolute request URL (assign a new one to send the request elsewhere). */
  get url(): string {
    return this.#href;
  }
  set url(value: string) {
    if (value === this.#href) return;
    this.#url = parseAbsolute(String(value));
    this.#href = this.#url.href;
    this.#display = null;
  }

  /** The parsed URL. @internal */
  get _url(): URL {
    return this.#url;
  }
  /** Replace the URL (a redirect hop). @internal */
  _setUrl(url: URL, display: string | null = null): void {
    this.#url = url;
    this.#href = url.href;
    this.#display = display;
  }

  /** The URL without credentials, for messages and `res.url`. @internal */
  get _display(): string {
    let d = this.#display;
    if (d === null) {
      const u = this.#url;
      if (u.username === '' && u.password === '') d = this.#href;
      else {
        const c = new URL(this.#href);
        c.username = '';
        c.password = '';
        d = c.href;
      }
      this.#display = d;
    }
    return d;
  }

  /** Body as given (assign a new value to replace it; null for none). */
  get body(): BodyInit | RequestBody | null {
    return this.#bodyInit;
  }
  set body(value: BodyInit | RequestBody | null) {
    this.#bodyInit = value;
    this.#bodyDirty = true;
  }

  /**
   * The encoded body to send. A body assigned since the last call is encoded
   * now (and its implied Content-Type set unless the headers have one).
   * @internal
   */
  get _body(): RequestBody | null {
    if (this.#bodyDirty) {
      this.#bodyDirty = false;
      const init = this.#bodyInit;
      const b = init === null || init === undefined ? null : init instanceof RequestBody ? init : toRequestBody({ body: init });
      if (b !== null && b.contentType !== null && !this.headers.has('content-type')) this.headers._set('content-type', b.contentType);
      this.#body = b;
    }
    return this.#body;
  }
  /** Replace the encoded body (null drops it, e.g. a 303 redirect). @internal */
  _setBody(body: RequestBody | null): void {
    this.#body = body;
    this.#bodyInit = body;
    this.#bodyDirty = false;
  }

  /** Whether the body (if any) can be sent again (a retry, a 307 redirect, an auth challenge). */
  canResend(): boolean {
    const b = this._body;
    return b === null || b.canResend();
  }

  /** Called as response body bytes arrive (`onDownloadProgress`). @internal */
  get onDownloadProgress(): ((p: Progress) => void) | null {
    return this.options.onDownloadProgress ?? null;
  }
}


function parseAbsolute(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // No cause: a TypeError from the URL parser carries the whole input, credentials included.
    throw new InvalidRequestError('invalid request URL: not an absolute URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new InvalidRequestError(`unsupported URL scheme ${JSON.stringify(u.protocol)}: use http: or https:`);
  }
  return u;
}
