/**
 * {@link createResponse}: a response made without the network — an
 * interceptor's own answer, a mock, a cache hit — built exactly as a
 * response off the wire is: a StreamResponse for `session.stream()`, a
 * buffered Response otherwise, with the request's body layers (content
 * decoding, download progress) and limits applied. The layers outside the
 * interceptors (redirects, retries, cookies, auth) then treat it as any
 * other response.
 * @module
 */
import { STATUS_CODES } from 'node:http';
import { InvalidRequestError } from '../errors.js';
import { Headers, type HeadersInit } from '../http/headers.js';
import type { AnyResponse } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import type { BodySink, FlowControl } from '../core/sink.js';
import { ResponseBuilder } from './response-builder.js';

/** What a made-up response says. */
export interface ResponseInit {
  /** Status code (100–599 — 1xx other than 101 make no sense here). */
  status: number;
  /** Reason phrase (default: the standard one for the status). */
  reason?: string;
  /** `'1.1'` (default), `'1.0'` or `'2'`. */
  httpVersion?: string;
  /** Response headers. */
  headers?: HeadersInit;
  /** Body bytes as sent on the wire (content-coded if the headers say so); none by default. */
  body?: string | Uint8Array | null;
}

/** Bodies are handed to the sinks in pieces of this size, as a socket would. */
const PIECE = 64 * 1024;

/** The response `init` describes, for `req`, through the request's body layers. */
export function createResponse(req: PreparedRequest, init: ResponseInit): Promise<AnyResponse> {
  const status = init.status;
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    return Promise.reject(new InvalidRequestError(`response status must be an integer from 100 to 599, not ${String(status)}`));
  }
  let headers: Headers;
  try {
    headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
  } catch (err) {
    return Promise.reject(err);
  }
  const raw = init.body ?? null;
  const body = raw === null || req.method === 'HEAD' || status === 204 || status === 304 ? null : typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return new Promise<AnyResponse>((resolve, reject) => {
    const builder = new ResponseBuilder(req, resolve, reject);
    const flow = new MemoryFlow();
    const sink = builder.onHead(status, init.reason ?? STATUS_CODES[status] ?? '', init.httpVersion ?? '1.1', headers._list.slice(), flow);
    flow.sink = sink;
    if (body !== null) {
      for (let i = 0; i < body.length && !flow.aborted; i += PIECE) sink.onChunk(body.subarray(i, Math.min(body.length, i + PIECE)));
    }
    if (flow.aborted) return;
    if (sink.onWireEnd !== undefined) sink.onWireEnd(null);
    else sink.onEnd();
  });
}

/** The flow of a body already in memory: nothing to pause; an abort fails the body. */
class MemoryFlow implements FlowControl {
  sink: BodySink | null;
  aborted: boolean;
  constructor() {
    this.sink = null;
    this.aborted = false;
  }
  pause(): void {}
  resume(): void {}
  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.sink?.onError(reason);
  }
}
