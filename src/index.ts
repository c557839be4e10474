/**
 * reqivo — a fast, lean HTTP/1.1, HTTP/2 and WebSocket client for Node.js,
 * with zero runtime dependencies.
 *
 * ```ts
 * import { Session } from 'reqivo';
 * await using session = new Session({ baseUrl: 'http://127.0.0.1:8080' }); // Node.js 24+; else call session.close()
 * const res = await session.get('/users/1');
 * console.log(res.status, res.json());
 * ```
 * @module
 */
export {
  AbortError,
  ConnectTimeout,
  HttpStatusError,
  InvalidRequestError,
  InvalidResponseError,
  LimitExceededError,
  NetworkError,
  ProtocolError,
  ProxyError,
  ReadTimeout,
  RedirectLoopError,
  ReqivoError,
  type ReqivoErrorOptions,
  RequestError,
  StaleConnectionError,
  TimeoutError,
  TlsError,
  TooManyRedirects,
  WebSocketError,
} from './errors.js';
export { Headers, type HeadersInit } from './http/headers.js';
export { Session, type RequestHook, type ResponseHook } from './client/session.js';
export { Reqivo } from './client/reqivo.js';
export { Response, type CacheStatus } from './client/response.js';
export { MemoryCache, type CacheEntry, type CacheStore, type MemoryCacheOptions, type StoredResponse } from './layers/cache-store.js';
export { parseLinkHeader, type LinkValue, type NextPage, type PaginateOptions } from './client/paginate.js';
export { SseParser, type ServerSentEvent, type SseParserOptions } from './client/sse.js';
export type { EventsOptions } from './client/event-source.js';
export { createResponse, type ResponseInit } from './client/respond.js';
export { StreamResponse } from './client/stream-response.js';
export { PreparedRequest } from './core/request.js';
export { ConnectTimes, Timings, type TimingPhases } from './core/timings.js';
export type { DiagnosticRequest, DiagnosticResponse } from './core/diagnostics.js';
export { compose, type AnyResponse, type Dispatch, type Interceptor } from './core/dispatch.js';
export type { BeforeRedirectHook, BeforeRetryHook, ErrorHook, Hooks, HooksInit, RetryInfo } from './layers/hooks.js';
export { RequestBody, type BodyInit } from './core/body.js';
export { CookieJar } from './client/cookies.js';
export type {
  AuthOptions,
  LimitOptions,
  Progress,
  QueryInit,
  RequestOptions,
  RetryOptions,
  SessionOptions,
  TimeoutOptions,
} from './client/options.js';
export type { TlsOptions } from './transport/connection.js';
export type { PoolOptions } from './transport/pool.js';
export { spkiPin } from './transport/pins.js';
export { defaultSession, del, del as delete, fetch, get, head, options, patch, post, put, request, stream } from './client/default.js';
export type { FetchInit, FetchInput } from './client/fetch.js';
export { VERSION } from './version.js';
export { proxyFor, openTunnel, type TunnelOptions } from './transport/proxy.js';
export {
  CloseCode,
  type HandshakeResponse,
  type PerMessageDeflateOptions,
  WebSocket,
  type WebSocketData,
  type WebSocketEventMap,
  type WebSocketMessage,
  type WebSocketOptions,
} from './websocket/index.js';
