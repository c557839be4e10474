/**
 * How an HTTP/2 stream or connection failure becomes a reqivo error:
 * RST_STREAM and GOAWAY codes by name (RFC 9113 §7), protocol codes as
 * ProtocolError, TLS and socket failures, and the error of a response cut
 * short before END_STREAM (RFC 9113 §8.1, RFC 9110 §6.1).
 * @module
 */
import { fromSocketError, NetworkError, ProtocolError, ReqivoError } from '../errors.js';
import { tlsFailure } from '../transport/tls-errors.js';
import { Code } from './frames.js';

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
const PROTOCOL_CODES: ReadonlySet<number> = new Set([Code.PROTOCOL_ERROR, Code.FLOW_CONTROL_ERROR, Code.FRAME_SIZE_ERROR, Code.COMPRESSION_ERROR]);

/** A copy of `err` of the same class, so each request gets its own error to stamp with its method and URL. @internal */
export function cloneError<E extends Error>(err: E): E {
  const copy = Object.create(Object.getPrototypeOf(err) as object) as E;
  Object.assign(copy, err);
  Object.defineProperty(copy, 'message', { value: err.message, writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', { value: err.stack, writable: true, configurable: true });
  if ('cause' in err) Object.defineProperty(copy, 'cause', { value: err.cause, writable: true, configurable: true });
  return copy;
}

/** The name of an HTTP/2 error code (RFC 9113 §7). @internal */
export function codeName(code: number): string {
  return CODE_NAMES[code] ?? `error code 0x${code.toString(16)}`;
}

/** Map a stream or connection failure (`err`, or the stream's reset code) to a reqivo error. @internal */
export function mapError(err: Error | null, rstCode: number, what: string): Error {
  if (err instanceof ReqivoError) return err;
  if (err !== null) {
    const tls = tlsFailure(err, what);
    if (tls !== null) return tls;
    return fromSocketError(err, what);
  }
  if (rstCode !== Code.NO_ERROR && rstCode !== Code.CANCEL) {
    const text = `HTTP/2 stream reset with ${codeName(rstCode)} ${what}`;
    return PROTOCOL_CODES.has(rstCode) ? new ProtocolError(text) : new NetworkError(text);
  }
  return new NetworkError(`HTTP/2 stream ${rstCode === Code.CANCEL ? 'reset with CANCEL' : 'closed'} ${what}`);
}

/**
 * The error for a stream that ended after its head without END_STREAM:
 * truncated (RFC 9110 §6.1), with the connection's error `err` or the
 * server's reset code. RST_STREAM(NO_ERROR) is allowed only after a
 * complete response (RFC 9113 §8.1).
 * @internal
 */
export function truncated(err: Error | null, rstCode: number): Error {
  const what = 'before END_STREAM (the response body is incomplete)';
  if (err !== null) {
    if (err instanceof ProtocolError) return err;
    if (err instanceof ReqivoError) return new NetworkError(`${err.message} ${what}`, { cause: err });
    return mapError(err, rstCode, what);
  }
  if (rstCode === Code.NO_ERROR) {
    return new ProtocolError(`HTTP/2 stream reset with NO_ERROR ${what}; RFC 9113 §8.1 allows NO_ERROR only after a complete response`);
  }
  return mapError(null, rstCode, what);
}
