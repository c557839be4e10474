/**
 * HTTP/1.1 request head serialisation (RFC 9112 §3, §6.2, RFC 9110 §7.2).
 * Validates what could corrupt the wire before anything is written.
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import { HeadMemo } from '../http/head-memo.js';
import { CONTENT_METHODS, checkMethod } from '../http/methods.js';
import { isValidTarget } from '../http/syntax.js';

/**
 * Serialise a request head.
 * @param method request method (a token)
 * @param target request-target (origin-form `/path?query`, or absolute-form for proxies)
 * @param host Host header value, used unless `headers` carries one
 * @param headers validated flat `[name, value, …]` list; any Content-Length or
 *   Transfer-Encoding in it is replaced by the framing below
 * @param bodyLength body bytes, -1 for chunked, null for no body
 */
export function serializeRequestHead(method: string, target: string, host: string, headers: readonly string[], bodyLength: number | null): string {
  return LAST.get(method, target, host, bodyLength, null, headers) ?? LAST.set(method, target, host, bodyLength, null, headers, serialize(method, target, host, headers, bodyLength));
}

/**
 * The last head serialised (http/head-memo.ts): the same request sent again
 * gets it back, and the socket writes a string it has already flattened.
 */
const LAST = new HeadMemo<string>();

function serialize(method: string, target: string, host: string, headers: readonly string[], bodyLength: number | null): string {
  checkMethod(method);
  if (!isValidTarget(target)) throw new InvalidRequestError(`invalid request target ${JSON.stringify(target)}`);
  let head = `${method} ${target} HTTP/1.1\r\n`;
  let hostWritten = false;
  let rest = '';
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const n = name.length;
    if (n === 4 || n === 14 || n === 17) {
      const lname = name.toLowerCase();
      if (lname === 'host') {
        if (!hostWritten) head += `${name}: ${headers[i + 1]}\r\n`;
        hostWritten = true;
        continue;
      }
      if (lname === 'content-length' || lname === 'transfer-encoding') continue;
    }
    rest += `${name}: ${headers[i + 1]}\r\n`;
  }
  if (!hostWritten) head += `Host: ${host}\r\n`;
  head += rest;
  if (bodyLength === null) {
    if (CONTENT_METHODS.has(method)) head += 'Content-Length: 0\r\n';
  } else if (bodyLength < 0) head += 'Transfer-Encoding: chunked\r\n';
  else head += `Content-Length: ${bodyLength}\r\n`;
  return head + '\r\n';
}
