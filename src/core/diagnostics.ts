/**
 * `node:diagnostics_channel` publishing, modelled on undici's channels so
 * that an OpenTelemetry-style subscriber is a few lines. Every publisher
 * checks `hasSubscribers` first: with nobody listening, no payload is built
 * and nothing is allocated.
 *
 * | channel | payload | when |
 * | --- | --- | --- |
 * | `reqivo:request:create` | `{ request }` | a round trip (each redirect hop, retry, challenge) starts |
 * | `reqivo:request:headers` | `{ request, response }` | its response head arrived |
 * | `reqivo:request:end` | `{ request, response }` | its response body ended |
 * | `reqivo:request:error` | `{ request, error }` | it failed (before or during the body) |
 * | `reqivo:connection:open` | `{ origin, protocol, localAddress, localPort, remoteAddress, remotePort }` | a connection is up |
 * | `reqivo:connection:error` | `{ origin, error }` | opening it failed, or it failed |
 * | `reqivo:connection:close` | `{ origin }` | it closed |
 * | `reqivo:websocket:open` | `{ url, protocol, extensions }` | a WebSocket opened |
 * | `reqivo:websocket:close` | `{ url, code, reason }` | it closed |
 * | `reqivo:websocket:error` | `{ url, error }` | it failed |
 *
 * `request` is `{ method, origin, path, headers }` (headers a flat
 * `[name, value, …]` array) and is the same object in every event of one
 * round trip; `response` is `{ status, reason, httpVersion, headers }`.
 * @module
 */
import dc from 'node:diagnostics_channel';

/** `reqivo:request:create`. */
export const requestCreate = dc.channel('reqivo:request:create');
/** `reqivo:request:headers`. */
export const requestHeaders = dc.channel('reqivo:request:headers');
/** `reqivo:request:end`. */
export const requestEnd = dc.channel('reqivo:request:end');
/** `reqivo:request:error`. */
export const requestError = dc.channel('reqivo:request:error');
/** `reqivo:connection:open`. */
export const connectionOpen = dc.channel('reqivo:connection:open');
/** `reqivo:connection:error`. */
export const connectionError = dc.channel('reqivo:connection:error');
/** `reqivo:connection:close`. */
export const connectionClose = dc.channel('reqivo:connection:close');
/** `reqivo:websocket:open`. */
export const websocketOpen = dc.channel('reqivo:websocket:open');
/** `reqivo:websocket:close`. */
export const websocketClose = dc.channel('reqivo:websocket:close');
/** `reqivo:websocket:error`. */
export const websocketError = dc.channel('reqivo:websocket:error');

/** The request as diagnostics subscribers see it. */
export interface DiagnosticRequest {
  /** Method. */
  readonly method: string;
  /** `scheme://host[:port]`. */
  readonly origin: string;
  /** Path and query. */
  readonly path: string;
  /** Flat `[name, value, …]` list as sent. */
  readonly headers: readonly string[];
}

/** The response as diagnostics subscribers see it. */
export interface DiagnosticResponse {
  /** Status code. */
  readonly status: number;
  /** Reason phrase ('' for HTTP/2). */
  readonly reason: string;
  /** `'1.1'`, `'1.0'` or `'2'`. */
  readonly httpVersion: string;
  /** Flat `[name, value, …]` list as received. */
  readonly headers: readonly string[];
}

/** Whether any request channel has a subscriber (then a round trip builds its payloads). */
export function requestObserved(): boolean {
  return requestCreate.hasSubscribers || requestHeaders.hasSubscribers || requestEnd.hasSubscribers || requestError.hasSubscribers;
}
