/**
 * How an HTTP/2 stream or session failure becomes a reqivo error: RST_STREAM
 * and GOAWAY codes by name, protocol codes as ProtocolError, TLS failures,
 * nghttp2's CONTINUATION-flood refusal as LimitExceededError, and the error
 * of a response cut short before END_STREAM (RFC 9113 §8.1, RFC 9110 §6.1).
 * @module
 */
import http2 from 'node:http2';
import { fromSocketError, LimitExceededError, NetworkError, ProtocolError, ReqivoError } from '../errors.js';
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
