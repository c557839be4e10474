/**
 * How an HTTP/2 stream or session failure becomes a reqivo error: RST_STREAM
 * and GOAWAY codes by name, protocol codes as ProtocolError, TLS failures,
 * nghttp2's CONTINUATION-flood refusal as LimitExceededError, the error of
 * a response cut short before END_STREAM (RFC 9113 §8.1, RFC 9110 §6.1), of
 * DATA reset for disagreeing with its content-length, and of a head node
 * refused for our announced header list size.
 * @module
 */
import http2 from 'node:http2';
import { fromSocketError, InvalidResponseError, LimitExceededError, NetworkError, ProtocolError, ReqivoError } from '../errors.js';
import type { ParserLimits } from '../core/limits.js';
import { tlsFailure } from '../transport/tls-errors.js';

const C = http2.constants;
const CODE_NAMES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];
const PROTOCOL_CODES = new Set([C.NGHTTP2_PROTOCOL_ERROR, C.NGHTTP2_FLOW_CONTROL_ERROR, C.NGHTTP2_FRAME_SIZE_ERROR, C.NGHTTP2_COMPRESSION_ERROR]);
/** nghttp2's NGHTTP2_ERR_TOO_MANY_CONTINUATIONS: a header block spread over more CONTINUATION frames than it accepts. */
const ERR_TOO_MANY_CONTINUATIONS = -905;

/** A copy of `err` of the same class, so each request gets its own error to stamp with its method and URL. @internal */
export function cloneError<E extends Error>(err: E): E {
  const copy = Object.create(Object.getPrototypeOf(err) as object) as E;
  Object.assign(copy, err);
  Object.defineProperty(copy, 'message', { value: err.message, writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', { value: err.stack, writable: true, configurable: true });
  if ('cause' in err) Object.defineProperty(copy, 'cause', { value: err.cause, writable: true, configurable: true });
  return copy;
}

function codeName(code: number): string {
  return CODE_NAMES[code] ?? `error code ${code}`;
}

/** Map a stream or session failure to a reqivo error. @internal */
export function mapError(err: Error | null, rstCode: number, what: string): Error {
  if (err instanceof ReqivoError) return err;
  if (err !== null) {
    const tls = tlsFailure(err, what);
    if (tls !== null) return tls;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'ERR_HTTP2_ERROR' && (err as NodeJS.ErrnoException).errno === ERR_TOO_MANY_CONTINUATIONS) {
      return new LimitExceededError(`response header block spread over too many CONTINUATION frames ${what} (maxHeaderBytes)`, { limit: 'maxHeaderBytes', cause: err });
    }
    if (code === 'ERR_HTTP2_SESSION_ERROR' || code === 'ERR_HTTP2_ERROR' || code === 'ERR_HTTP2_INVALID_HEADER_VALUE') {
      return new ProtocolError(`HTTP/2 protocol error ${what}: ${err.message}`, { cause: err });
    }
  }
  if (rstCode !== 0 && rstCode !== C.NGHTTP2_CANCEL) {
    // The reset may be the server's or our own session's (nghttp2 enforcing the protocol): name the code, not a sender.
    const text = `HTTP/2 stream reset with ${codeName(rstCode)} ${what}`;
    return PROTOCOL_CODES.has(rstCode) ? new ProtocolError(text, { cause: err ?? undefined }) : new NetworkError(text, { cause: err ?? undefined });
  }
  if (err !== null) return fromSocketError(err, what);
  return new NetworkError(`HTTP/2 stream closed ${what}`);
}

/**
 * The error for a stream that closed after its head without END_STREAM:
 * truncated, whatever node's 'end' said (RFC 9110 §6.1). RST_STREAM(NO_ERROR)
 * is allowed only after a complete response (RFC 9113 §8.1).
 * @internal
 */
export function truncated(err: Error | null, rstCode: number): Error {
  const what = 'before END_STREAM (the response body is incomplete)';
  if (err !== null && (err as NodeJS.ErrnoException).code !== 'ERR_HTTP2_STREAM_ERROR') return mapError(err, rstCode, what);
  if (rstCode === C.NGHTTP2_NO_ERROR) {
    return new ProtocolError(`HTTP/2 stream reset with NO_ERROR ${what}; RFC 9113 §8.1 allows NO_ERROR only after a complete response`);
  }
  if (rstCode === C.NGHTTP2_CANCEL) return new NetworkError(`HTTP/2 stream reset with CANCEL ${what}`);
  return mapError(err, rstCode, what);
}

/**
 * The error for a stream reset with PROTOCOL_ERROR in its body when the
 * head declared a content-length: nghttp2 checks DATA against it and
 * resets this way (RFC 9113 §8.1.1), or the server reset it.
 * @internal
 */
export function lengthReset(received: number, contentLength: number, err: Error | null): Error {
  return new InvalidResponseError(
    `HTTP/2 stream reset with PROTOCOL_ERROR after ${received} of ${contentLength} bytes: the DATA disagrees with the content-length (RFC 9113 §8.1.1), or the server reset it`,
    { cause: err ?? undefined },
  );
}

/**
 * The error for a stream reset with ENHANCE_YOUR_CALM before its head while
 * our SETTINGS_MAX_HEADER_LIST_SIZE (`size`) was in force: how node:http2
 * refuses a head over it. Our limit: never retried.
 * @internal
 */
export function headerListRefused(size: number, limits: ParserLimits, err: Error | null): Error {
  return new LimitExceededError(
    `HTTP/2 stream reset with ENHANCE_YOUR_CALM before its response head: node:http2 resets a head over the announced SETTINGS_MAX_HEADER_LIST_SIZE (${size}, from maxHeaderBytes ${limits.maxHeaderBytes} and maxHeaderCount ${limits.maxHeaderCount}) this way`,
    { limit: 'maxHeaderBytes', cause: err ?? undefined },
  );
}
