/**
 * Request methods (RFC 9110 §9): syntax, which are idempotent, which carry
 * content by definition. Shared by both protocol drivers and the layers.
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import { isToken } from './syntax.js';

/** Idempotent methods (RFC 9110 §9.2.2): safe to send again when a connection failed before any response. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Methods whose requests carry content by definition: a bodiless one still says `Content-Length: 0` (RFC 9110 §8.6). */
export const CONTENT_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/** Throw InvalidRequestError unless `method` is a token. */
export function checkMethod(method: string): void {
  if (!isToken(method)) throw new InvalidRequestError(`invalid HTTP method ${JSON.stringify(method)}`);
}
