/**
 * {@link Timings}: when each phase of a request's last hop happened, on the
 * `performance.now()` clock (opt-in: `timings: true` on a Session or a
 * request, so kept responses stay lean by default). The fields and phases
 * are got's: `phases.firstByte = response - upload`, `download = end -
 * response`, and so on; a phase that did not happen (DNS for an IP address,
 * TCP and TLS on a reused connection) is null. After redirects and retries
 * the timings are those of the last hop; `start` is when that hop began.
 * @module
 */

/** When a connection was opened, looked up, connected and secured (`performance.now()`); null where it did not happen. */
export class ConnectTimes {
  /** Opening began. */
  readonly start: number;
  /** DNS lookup done (a host name, not an IP address). */
  lookup: number | null;
  /** TCP connected (or, through a proxy tunnel, the tunnel was up). */
  connect: number | null;
  /** TLS handshake done. */
  secure: number | null;
  constructor(start: number) {
    this.start = start;
    this.lookup = null;
    this.connect = null;
    this.secure = null;
  }
}

/** Durations between the timestamps, in ms (null when a bound is missing). */
export interface TimingPhases {
  /** `socket - start`: waiting for a connection (the pool's queue included). */
  wait: number | null;
  /** `lookup - socket`. */
  dns: number | null;
  /** `connect - lookup` (or `- socket` without a lookup). */
  tcp: number | null;
  /** `secureConnect - connect`. */
  tls: number | null;
  /** `upload - (secureConnect ?? connect ?? socket)`: writing the request. */
  request: number | null;
  /** `response - upload`: waiting for the first byte of the response head. */
  firstByte: number | null;
  /** `end - response`: reading the body. */
  download: number | null;
  /** `end - start`. */
  total: number | null;
}

/** The timestamps of one hop; see the module doc. */
export class Timings {
  /** The hop began. */
  declare start: number;
  /** A connection was assigned (reused: taken from the pool; new: began opening). */
  declare socket: number | null;
  /** DNS lookup done; null on a reused connection or for an IP address. */
  declare lookup: number | null;
  /** TCP connected; null on a reused connection. */
  declare connect: number | null;
  /** TLS handshake done; null on a reused or plain connection. */
  declare secureConnect: number | null;
  /** The request (head and body) was handed to the connection. */
  declare upload: number | null;
  /** The response head arrived. */
  declare response: number | null;
  /** The response body ended. */
  declare end: number | null;
  /** Whether the connection (or HTTP/2 session) had carried a request before. */
  declare reused: boolean;

  /**
   * Every field set by `_begin(0)`, in declaration order (the fields are
   * `declare`d so that no class-field definition runs first: one shape, docs/architecture.md).
   */
  constructor() {
    this._begin(0);
  }

  /** Begin a hop (a redirect or retry starts over). @internal */
  _begin(now: number): void {
    this.start = now;
    this.socket = null;
    this.lookup = null;
    this.connect = null;
    this.secureConnect = null;
    this.upload = null;
    this.response = null;
    this.end = null;
    this.reused = false;
  }

  /** A connection was assigned: `times` when it was opened for this hop, null when it was reused. @internal */
  _socket(now: number, times: ConnectTimes | null, reused: boolean): void {
    this.reused = reused;
    if (reused || times === null) {
      this.socket = now;
      return;
    }
    this.socket = Math.min(now, Math.max(this.start, times.start));
    this.lookup = times.lookup;
    this.connect = times.connect;
    this.secureConnect = times.secure;
  }

  /** The durations between the timestamps. */
  get phases(): TimingPhases {
    const afterConnect = this.secureConnect ?? this.connect ?? this.socket;
    return {
      wait: diff(this.socket, this.start),
      dns: diff(this.lookup, this.socket),
      tcp: diff(this.connect, this.lookup ?? this.socket),
      tls: diff(this.secureConnect, this.connect),
      request: diff(this.upload, afterConnect),
      firstByte: diff(this.response, this.upload),
      download: diff(this.end, this.response),
      total: diff(this.end, this.start),
    };
  }

  /** The timestamps and phases as plain data. */
  toJSON(): Record<string, unknown> {
    const { start, socket, lookup, connect, secureConnect, upload, response, end, reused } = this;
    return { start, socket, lookup, connect, secureConnect, upload, response, end, reused, phases: this.phases };
  }
}

function diff(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : Math.max(0, a - b);
}
