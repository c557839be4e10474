/**
 * The interfaces a protocol driver (HTTP/1.1 or HTTP/2) reports to: the
 * hop's {@link Exchange} gets the response head and gives back the
 * {@link BodySink} the body goes to; a sink slows or stops the driver
 * through {@link FlowControl}. Decoders and progress counters are sinks
 * that wrap sinks.
 * @module
 */
import type { ConnectTimes } from './timings.js';

/** Receives a response body. */
export interface BodySink {
  // Members are @internal like their implementations in public classes (StreamResponse), which stripInternal drops from the .d.ts.
  /** A chunk of (decoded) body. @internal */
  onChunk(chunk: Buffer): void;
  /** The body ended. @internal */
  onEnd(): void;
  /** The body failed. @internal */
  onError(err: Error): void;
  /**
   * Optional, instead of {@link onEnd} when the body ended on the wire: a sink
   * that still transforms the body asynchronously (content decoding) calls
   * `settle(reusable)` when done; the connection stays out of the pool until then.
   * @internal
   */
  onWireEnd?(settle: ((reusable: boolean) => void) | null): void;
  /**
   * Optional: `onChunk` copies whatever it keeps, so a driver reading into a
   * shared buffer may hand it views valid only during the call
   * ({@link FlowControl.lendsChunks}). Without it a sink gets bytes of its own.
   * @internal
   */
  readonly borrowsChunks?: boolean;
}

/** Lets a body consumer slow down or stop the producer. */
export interface FlowControl {
  /** Stop reading from the socket. */
  pause(): void;
  /** Read again. */
  resume(): void;
  /** Give up on the body: the connection is destroyed, never pooled. */
  abort(reason: Error): void;
  /** Optional: a sink that {@link BodySink.borrowsChunks} gets views of a shared read buffer, valid only during `onChunk`. */
  readonly lendsChunks?: boolean;
  /** Optional: the body's length as framed on the wire (Content-Length), -1 when unknown or when there is none. */
  readonly bodyLength?: number;
}

/** One hop's side of a driver's exchange. */
export interface Exchange {
  /** The hop got its connection (or HTTP/2 session): `times` of its opening, `reused` when it carried requests before. */
  onSocket(times: ConnectTimes | null, reused: boolean): void;
  /** The whole request (head and body) was handed to the connection. */
  onRequestSent(): void;
  /** The final head arrived; return where the body goes. */
  onHead(status: number, reason: string, httpVersion: string, headers: string[], flow: FlowControl): BodySink;
  /**
   * The exchange failed before the head arrived. `stale` is true when the
   * connection was a reused one that died before any response byte: the
   * request was most likely never processed.
   */
  onError(err: Error, stale: boolean): void;
}

/**
 * A look at a streamed response's body as it comes off the wire, before
 * decoding: given the head and the body's sink, the sink the body goes to
 * instead (the HTTP cache stores a streamed miss through one). @internal
 */
export type BodyTap = (status: number, reason: string, httpVersion: string, headers: readonly string[], sink: BodySink) => BodySink;

/** Taps by request, set by the layer that wants one around its call to the next (only streamed requests are looked up). @internal */
export const bodyTaps = new WeakMap<object, BodyTap>();
