/**
 * Size limits on a response (its head, its number of fields, its body), as
 * both drivers enforce them while bytes arrive, their defaults, and the
 * errors for going past them, worded alike for HTTP/1.1 and HTTP/2.
 * @module
 */
import { LimitExceededError } from '../errors.js';

/** Size limits enforced while a response is read. */
export interface ParserLimits {
  /** Bytes of status line plus header section (each head of a 1xx counted on its own). */
  maxHeaderBytes: number;
  /** Number of header fields (and, separately, of trailer fields). */
  maxHeaderCount: number;
  /** Bytes of message body as framed on the wire (before content decoding). */
  maxBodyBytes: number;
}

/** Default limits: 16 KiB of head, 100 fields, unlimited body. */
export const DEFAULT_LIMITS: Readonly<ParserLimits> = Object.freeze({
  maxHeaderBytes: 16384,
  maxHeaderCount: 100,
  maxBodyBytes: Number.POSITIVE_INFINITY,
});

/** The error for a response head over `maxHeaderBytes`; `what` names the part measured. */
export function headTooLarge(limits: ParserLimits, what = 'response head'): LimitExceededError {
  return new LimitExceededError(`${what} exceeds maxHeaderBytes (${limits.maxHeaderBytes})`, { limit: 'maxHeaderBytes' });
}

/** The error for a response with more header (or trailer) fields than `maxHeaderCount`. */
export function tooManyFields(limits: ParserLimits): LimitExceededError {
  return new LimitExceededError(`response has more than maxHeaderCount (${limits.maxHeaderCount}) header fields`, { limit: 'maxHeaderCount' });
}

/** The error for a response body past `maxBodyBytes` as it arrives. */
export function bodyTooLarge(limits: ParserLimits): LimitExceededError {
  return new LimitExceededError(`response body exceeds maxBodyBytes (${limits.maxBodyBytes})`, { limit: 'maxBodyBytes' });
}

/** The error for a declared Content-Length over `maxBodyBytes`, refused before the body. */
export function declaredTooLarge(contentLength: number, maxBodyBytes: number): LimitExceededError {
  return new LimitExceededError(`response Content-Length ${contentLength} exceeds maxBodyBytes (${maxBodyBytes})`, { limit: 'maxBodyBytes' });
}
