/**
 * The HTTP/2 response head as node:http2 hands it over (a flat raw list,
 * pseudo-header fields included) turned into what the HTTP/1.1 driver
 * reports: the fields without pseudo-headers, checked against the response
 * limits, and the content-length they declare (RFC 9113 §8.1.1, §8.3.2).
 * @module
 */
import { type ParserLimits, headTooLarge, tooManyFields } from '../core/limits.js';
import type { LimitExceededError } from '../errors.js';

/**
 * The fields of a response head, flat `[name, value, …]` as `raw` holds
 * them, `:status` and any other pseudo-header dropped; or the error when
 * they are more than `maxHeaderCount`, or longer than `maxHeaderBytes`
 * (counted as HTTP/1.1 would carry them: name, `: `, value, CRLF).
 */
export function responseFields(raw: readonly string[], limits: ParserLimits): string[] | LimitExceededError {
  const list: string[] = [];
  let bytes = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.charCodeAt(0) === 58) continue; // ':status' and other pseudo-headers
    const value = raw[i + 1]!;
    list.push(name, value);
    bytes += name.length + value.length + 4;
  }
  if (list.length >>> 1 > limits.maxHeaderCount) return tooManyFields(limits);
  if (bytes > limits.maxHeaderBytes) return headTooLarge(limits, 'response header section');
  return list;
}

/**
 * The content-length in `fields` (names lower-case, as HTTP/2 sends them;
 * the last plain number wins), or -1 when there is none.
 */
export function declaredLength(fields: readonly string[]): number {
  let contentLength = -1;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] !== 'content-length') continue;
    const value = fields[i + 1]!;
    if (/^\d{1,15}$/.test(value)) contentLength = Number(value);
  }
  return contentLength;
}
