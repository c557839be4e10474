/**
 * The HTTP/2 response head as HPACK decoded it (a flat raw list,
 * pseudo-header fields included): whether it is well-formed (RFC 9113 §8.1,
 * §8.2, §8.3), and what the HTTP/1.1 driver reports — the fields without
 * pseudo-headers, checked against the response limits, and the
 * content-length they declare (RFC 9113 §8.1.1, §8.3.2).
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

/** Fields a response must not carry over HTTP/2 (RFC 9113 §8.2.2). */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
/** Field names seen valid already (servers send the same few names again and again); bounded. */
const VALID_NAMES = new Set<string>();
const MAX_VALID_NAMES = 512;
/** A field value's forbidden octets (NUL, CR, LF) or surrounding whitespace (RFC 9113 §8.2.1). */
const BAD_VALUE = /[\0\r\n]|^[ \t]|[ \t]$/;

function nameError(name: string): string | null {
  if (VALID_NAMES.has(name)) return null;
  if (name.length === 0) return 'an empty field name (RFC 9113 §8.2.1)';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return `an upper-case field name ${JSON.stringify(name)} (RFC 9113 §8.2.1)`;
    // A token character (RFC 9110 §5.6.2): no controls, space, delimiters or octets past 0x7e.
    if (c <= 0x20 || c >= 0x7f || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x2c || c === 0x2f || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x5d) || c === 0x7b || c === 0x7d) {
      return `a field name ${JSON.stringify(name)} that is not a token (RFC 9113 §8.2.1)`;
    }
  }
  if (CONNECTION_SPECIFIC.has(name)) return `the connection-specific field "${name}" (RFC 9113 §8.2.2)`;
  if (VALID_NAMES.size < MAX_VALID_NAMES) VALID_NAMES.add(name);
  return null;
}

/**
 * Why a decoded HTTP/2 response head (`raw`: flat, pseudo-headers included)
 * or trailer section (`trailers`) is malformed (RFC 9113 §8.1, §8.2, §8.3),
 * or null when it is well-formed. A head has exactly one `:status` of three
 * digits before every regular field and no other pseudo-header; trailers
 * have none; content-length values agree.
 */
export function malformedHead(raw: readonly string[], trailers: boolean): string | null {
  let status = 0;
  let length: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (name.charCodeAt(0) === 58) {
      if (trailers) return `the pseudo-header ${JSON.stringify(name)} in trailers (RFC 9113 §8.1)`;
      if (name !== ':status') return `the pseudo-header ${JSON.stringify(name)} in a response (RFC 9113 §8.3)`;
      if (i !== 0) return status > 0 ? 'two :status pseudo-headers (RFC 9113 §8.3.2)' : 'a pseudo-header after a regular field (RFC 9113 §8.3)';
      if (!/^\d{3}$/.test(value)) return `:status ${JSON.stringify(value)} is not three digits (RFC 9113 §8.3.2)`;
      status = 1;
      continue;
    }
    const bad = nameError(name);
    if (bad !== null) return bad;
    if (BAD_VALUE.test(value)) return `the value of "${name}" has NUL, CR or LF, or starts or ends with whitespace (RFC 9113 §8.2.1)`;
    // TE is connection-specific too; its one exception is `te: trailers` (RFC 9113 §8.2.2, as nghttp2 checks it).
    if (name === 'te' && value.toLowerCase() !== 'trailers') return `the connection-specific field "te: ${value}" (only "te: trailers" is allowed, RFC 9113 §8.2.2)`;
    if (name === 'content-length' && !trailers) {
      if (!/^\d{1,15}$/.test(value)) return `content-length ${JSON.stringify(value)} is not a number (RFC 9110 §8.6)`;
      if (length !== null && length !== value) return `two content-length values that disagree (${length}, ${value}) (RFC 9113 §8.1.1)`;
      length = value;
    }
  }
  if (!trailers && status === 0) return 'no :status pseudo-header (RFC 9113 §8.3.2)';
  return null;
}
