/**
 * The opening handshake (RFC 6455 §4), sans-I/O: the Upgrade request a
 * client writes and the check of the server's answer.
 *
 * - §4.1 the request: `GET` with the resource name (path and query, never
 *   the fragment), `Host` (with the port when it is not the scheme's
 *   default), `Upgrade: websocket`, `Connection: Upgrade`, a random 16-byte
 *   base64 `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`, the
 *   subprotocols and extensions offered, and the caller's own fields.
 * - §4.2.2 / §4.1 the answer: status 101, `Upgrade: websocket`,
 *   `Connection` holding `upgrade`, `Sec-WebSocket-Accept` equal to
 *   base64(SHA-1(key + GUID)), a subprotocol (if any) among those offered,
 *   extensions (if any) among those offered. Anything else fails the
 *   connection; a redirect is reported, never followed.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { WebSocketError, redactCause, redactUrl } from '../errors.js';
import { Headers, type HeadersInit } from '../http/headers.js';
import { decodeUserinfo, isToken } from '../http/syntax.js';
import { VERSION } from '../version.js';
import { acceptDeflate, type DeflateParams, type PerMessageDeflateOptions, parseExtensions } from './negotiate.js';

/** The GUID every accept key is hashed with (RFC 6455 §1.3). */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A fresh `Sec-WebSocket-Key`: 16 random bytes, base64. */
export function createKey(): string {
  return randomBytes(16).toString('base64');
}

/** The `Sec-WebSocket-Accept` a server must answer `key` with. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/**
 * Parse and check a WebSocket URL: `ws:` or `wss:` (`http:` and `https:`
 * are taken as `ws:` and `wss:`, as browsers do); the fragment is dropped.
 * @throws WebSocketError for anything else.
 */
export function websocketUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(typeof input === 'string' ? input : input.href);
  } catch (err) {
    throw new WebSocketError(`invalid WebSocket URL ${JSON.stringify(redactUrl(String(input)))}`, { cause: redactCause(err) });
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new WebSocketError(`unsupported WebSocket URL scheme ${JSON.stringify(url.protocol)}: use ws:// or wss://`);
  }
  if (url.hostname === '') throw new WebSocketError(`WebSocket URL ${JSON.stringify(redactUrl(url.href))} has no host`);
  url.hash = '';
  return url;
}

/** Field names and values every 101 carries: kept as these shared strings rather than one copy per connection. */
const COMMON_FIELDS = new Map<string, string>(
  ['Upgrade', 'upgrade', 'websocket', 'WebSocket', 'Connection', 'connection', 'Sec-WebSocket-Accept', 'sec-websocket-accept', 'Sec-WebSocket-Extensions', 'sec-websocket-extensions', 'Sec-WebSocket-Protocol', 'sec-websocket-protocol', 'permessage-deflate', 'Server', 'Date'].map((s) => [s, s]),
);

/** `fields` (a flat name, value list) with its common names and values replaced by shared strings, in place. */
export function internFields(fields: string[]): string[] {
  for (let i = 0; i < fields.length; i++) {
    const shared = COMMON_FIELDS.get(fields[i]!);
    if (shared !== undefined) fields[i] = shared;
  }
  return fields;
}

/**
 * Check subprotocol names (tokens, no duplicates, RFC 6455 §4.1 point 10).
 * @throws WebSocketError
 */
export function checkProtocols(protocols: readonly string[]): void {
  const seen = new Set<string>();
  for (const p of protocols) {
    if (typeof p !== 'string' || !isToken(p)) throw new WebSocketError(`invalid subprotocol name ${JSON.stringify(p)}: it must be an HTTP token`);
    if (seen.has(p)) throw new WebSocketError(`subprotocol ${JSON.stringify(p)} is listed twice`);
    seen.add(p);
  }
}

/** Fields the handshake sets itself; a caller's value would break it. */
const RESERVED = new Set([
  'connection',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
  'transfer-encoding',
]);

/**
 * Validate the caller's header fields (names must be tokens; CR, LF and NUL
 * are refused in values) and return them as a flat `[name, value, …]` list.
 * @throws WebSocketError naming the bad field.
 */
export function prepareHeaders(init: HeadersInit | null | undefined): string[] {
  if (init === null || init === undefined) return [];
  let h: Headers;
  try {
    h = init instanceof Headers ? init : new Headers(init);
  } catch (err) {
    throw new WebSocketError((err as Error).message, { cause: err });
  }
  const list: string[] = [];
  for (const [name, value] of h) {
    const lower = name.toLowerCase();
    if (RESERVED.has(lower)) {
      throw new WebSocketError(
        `header ${name} is set by the WebSocket handshake itself${lower === 'sec-websocket-protocol' ? ' (use the protocols option)' : lower === 'sec-websocket-extensions' ? ' (use the perMessageDeflate option)' : ''}`,
      );
    }
    list.push(name, value);
  }
  return list;
}

/** What the Upgrade request carries. */
export interface UpgradeRequest {
  /** The ws:/wss: URL. */
  url: URL;
  /** The `Sec-WebSocket-Key`. */
  key: string;
  /** Subprotocols offered, in preference order. */
  protocols: readonly string[];
  /** The `Sec-WebSocket-Extensions` offer, or null. */
  extensions: string | null;
  /** The caller's fields, flat and validated (see {@link prepareHeaders}). */
  headers: readonly string[];
}

function hasField(list: readonly string[], lower: string): boolean {
  for (let i = 0; i < list.length; i += 2) if (list[i]!.toLowerCase() === lower) return true;
  return false;
}

/** The request head, ready to write (latin1). */
export function buildUpgradeRequest(r: UpgradeRequest): string {
  const url = r.url;
  const h = r.headers;
  let head = `GET ${url.pathname || '/'}${url.search} HTTP/1.1\r\n`;
  if (!hasField(h, 'host')) head += `Host: ${url.host}\r\n`;
  head += `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${r.key}\r\n`;
  if (r.protocols.length > 0) head += `Sec-WebSocket-Protocol: ${r.protocols.join(', ')}\r\n`;
  if (r.extensions !== null) head += `Sec-WebSocket-Extensions: ${r.extensions}\r\n`;
  if (!hasField(h, 'user-agent')) head += `User-Agent: reqivo/${VERSION}\r\n`;
  if ((url.username !== '' || url.password !== '') && !hasField(h, 'authorization')) {
    const user = decodeUserinfo(url.username);
    const pass = decodeUserinfo(url.password);
    if (user === null || pass === null) throw new WebSocketError('the URL has a user name or password that is not valid percent-encoded UTF-8');
    const cred = `${user}:${pass}`;
    head += `Authorization: Basic ${Buffer.from(cred, 'utf8').toString('base64')}\r\n`;
  }
  for (let i = 0; i < h.length; i += 2) head += `${h[i]}: ${h[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** What the server agreed to. */
export interface UpgradeResult {
  /** The subprotocol the server picked, or `''`. */
  protocol: string;
  /** The `Sec-WebSocket-Extensions` the server answered with, or `''`. */
  extensions: string;
  /** permessage-deflate parameters when negotiated, else null. */
  deflate: DeflateParams | null;
}

/** Values of every field named `lower`, joined with `, ` (null when absent). */
function field(list: readonly string[], lower: string): string | null {
  let v: string | null = null;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i]!.toLowerCase() === lower) v = v === null ? list[i + 1]! : `${v}, ${list[i + 1]}`;
  }
  return v;
}

/**
 * Check the server's answer to the Upgrade request.
 * @param status the response status
 * @param reason the reason phrase
 * @param headers the response fields, flat
 * @param req what was offered
 * @param deflate the permessage-deflate offer (null when not offered)
 * @throws WebSocketError saying what is wrong (a redirect names its Location).
 */
export function checkUpgradeResponse(
  status: number,
  reason: string,
  headers: readonly string[],
  req: UpgradeRequest,
  deflate: Required<PerMessageDeflateOptions> | null,
): UpgradeResult {
  if (status !== 101) {
    const text = `${status}${reason ? ` ${reason}` : ''}`;
    if (status >= 300 && status < 400) {
      const loc = field(headers, 'location');
      throw new WebSocketError(
        `server answered the WebSocket upgrade with a redirect (${text}${loc !== null ? ` to ${loc}` : ''}); redirects are not followed for WebSocket connections: connect to the new URL`,
      );
    }
    throw new WebSocketError(`server refused the WebSocket upgrade: ${text} (expected 101 Switching Protocols)`);
  }
  const upgrade = field(headers, 'upgrade');
  if (upgrade === null || upgrade.trim().toLowerCase() !== 'websocket') {
    throw new WebSocketError(`invalid WebSocket handshake: Upgrade header is ${upgrade === null ? 'missing' : JSON.stringify(upgrade)}, expected "websocket"`);
  }
  const connection = field(headers, 'connection');
  if (connection === null || !connection.split(',').some((t) => t.trim().toLowerCase() === 'upgrade')) {
    throw new WebSocketError(`invalid WebSocket handshake: Connection header is ${connection === null ? 'missing' : JSON.stringify(connection)}, expected "Upgrade"`);
  }
  const accept = field(headers, 'sec-websocket-accept');
  if (accept === null || accept.trim() !== acceptKey(req.key)) {
    throw new WebSocketError(`invalid WebSocket handshake: Sec-WebSocket-Accept is ${accept === null ? 'missing' : 'wrong'}`);
  }
  let protocol = '';
  const proto = field(headers, 'sec-websocket-protocol');
  if (proto !== null) {
    protocol = proto.trim();
    if (!req.protocols.includes(protocol)) {
      throw new WebSocketError(
        req.protocols.length === 0
          ? `invalid WebSocket handshake: server selected subprotocol ${JSON.stringify(protocol)} but none was offered`
          : `invalid WebSocket handshake: server selected subprotocol ${JSON.stringify(protocol)}, not one of ${req.protocols.join(', ')}`,
      );
    }
  }
  let params: DeflateParams | null = null;
  const ext = field(headers, 'sec-websocket-extensions');
  if (ext !== null && ext.trim() !== '') {
    let list: ReturnType<typeof parseExtensions>;
    try {
      list = parseExtensions(ext);
    } catch (err) {
      throw new WebSocketError(`invalid WebSocket handshake: ${(err as Error).message}`, { cause: err });
    }
    for (const e of list) {
      if (e.name !== 'permessage-deflate' || deflate === null) {
        throw new WebSocketError(`invalid WebSocket handshake: server accepted extension ${JSON.stringify(e.name)}, which was not offered`);
      }
      if (params !== null) throw new WebSocketError('invalid WebSocket handshake: server accepted permessage-deflate twice');
      try {
        params = acceptDeflate(deflate, e);
      } catch (err) {
        throw new WebSocketError(`invalid WebSocket handshake: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  return { protocol, extensions: ext === null ? '' : ext.trim(), deflate: params };
}
