/**
 * HTTP/1.1 request head serialisation (RFC 9112 §3, §6.2, RFC 9110 §7.2).
 * Validates what could corrupt the wire before anything is written.
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import { copyFieldList, sameFieldList } from '../http/headers.js';
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
  const last = LAST;
  if (method === last.method && target === last.target && host === last.host && bodyLength === last.bodyLength && sameFieldList(headers, last.headers)) {
    return last.head;
  }
  const head = serialize(method, target, host, headers, bodyLength);
  // Kept in place: a client alternating between requests allocates nothing more for the memo.
  last.method = method;
  last.target = target;
  last.host = host;
  last.bodyLength = bodyLength;
  copyFieldList(last.headers, headers);
  last.head = head;
  return head;
}

/**
 * The last head serialised and what it was made of. A client sends the same
 * request again and again (polling, a loop over one endpoint): then the head
 * is neither rebuilt nor re-validated, and the socket writes a string it has
 * already flattened.
 */
const LAST: { method: string; target: string; host: string; bodyLength: number | null; headers: string[]; head: string } = {
  method: '',
  target: '',
  host: '',
  bodyLength: null,
  headers: [],
  head: '',
};

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
