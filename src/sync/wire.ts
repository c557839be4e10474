/**
 * What the blocking API accepts, and how it crosses to the worker: options
 * and bodies turned into structured-clone-safe data on the caller's side
 * (sync iterables drained, URLSearchParams and FormData flattened, bytes
 * copied once and transferred), or refused with InvalidRequestError.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { type BodyInit, Headers, InvalidRequestError, type RequestOptions, type RetryOptions, type SessionOptions } from '../index.js';
import type { RequestMessage, WireBody } from './protocol.js';

/** Body types the blocking API accepts: every reqivo body except async iterables (a file goes in `file`). */
export type SyncBodyInit = Exclude<BodyInit, AsyncIterable<Uint8Array | string>>;

/** Retry policy of the blocking API: as reqivo's, with the backoff given as numbers (a function cannot cross threads). */
export interface SyncRetryOptions extends Omit<RetryOptions, 'backoff'> {
  /** Default exponential backoff settings. */
  backoff?: { baseMs?: number; maxMs?: number; factor?: number; jitter?: number };
}

/** Options of one blocking request: reqivo's {@link RequestOptions} without signal and callbacks, plus `file`. */
export interface SyncRequestOptions extends Omit<RequestOptions, 'body' | 'signal' | 'onUploadProgress' | 'onDownloadProgress' | 'retry'> {
  /** Raw body. */
  body?: SyncBodyInit | null;
  /** Upload this file as the body, streamed from disk by the worker with its size as Content-Length. */
  file?: string | URL;
  /** Per-request retry override (false disables). */
  retry?: SyncRetryOptions | false;
}

/**
 * Options of a {@link SyncSession}: reqivo's {@link SessionOptions} minus
 * what cannot cross threads (functions: hooks, interceptors, lookup). Unless
 * `timeout` sets a total, each call is bounded by a total of 5 minutes
 * (see docs/sync.md).
 */
export interface SyncSessionOptions extends Omit<SessionOptions, 'retry' | 'hooks' | 'interceptors' | 'lookup'> {
  /** Retry policy; off when absent or `false`. */
  retry?: SyncRetryOptions | false;
}

/** Total deadline of a SyncSession unless its options say otherwise: a blocked script should not wait forever. */
export const DEFAULT_TOTAL_MS = 300_000;

/** The total timeout `t` gives over `base`, in ms (Infinity for none). */
export function totalOf(t: RequestOptions['timeout'], base: number): number {
  if (t === undefined) return base;
  if (typeof t === 'number') return t > 0 ? t : Number.POSITIVE_INFINITY;
  if (t === null || typeof t !== 'object' || t.total === undefined) return base;
  return typeof t.total === 'number' && t.total > 0 ? t.total : Number.POSITIVE_INFINITY;
}

function headerPairs(init: unknown): [string, string][] {
  return [...new Headers(init as ConstructorParameters<typeof Headers>[0])];
}

function copyBytes(v: ArrayBuffer | ArrayBufferView, transfer: ArrayBuffer[]): Uint8Array {
  const src = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const copy = src.slice();
  transfer.push(copy.buffer);
  return copy;
}

function toWireBody(body: SyncBodyInit, transfer: ArrayBuffer[]): WireBody {
  if (typeof body === 'string') return body;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return copyBytes(body, transfer);
  if (body instanceof URLSearchParams) return { k: 'params', v: body.toString() };
  if (body instanceof FormData) {
    const v: [string, string | Blob, string | null][] = [];
    for (const [name, value] of body) v.push(typeof value === 'string' ? [name, value, null] : [name, value, (value as File).name ?? null]);
    return { k: 'form-data', v };
  }
  if (body instanceof Blob) return { k: 'blob', v: body };
  if (typeof (body as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function') {
    throw new InvalidRequestError('an async iterable body cannot be sent by reqivo/sync: pass bytes, or the path of a file in `file`');
  }
  if (typeof (body as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
    // Drained now: the chunks go out chunked, as reqivo sends an iterable.
    const v: (string | Uint8Array)[] = [];
    for (const c of body) v.push(typeof c === 'string' ? c : copyBytes(c, transfer));
    return { k: 'chunks', v };
  }
  throw new InvalidRequestError(`unsupported body type ${Object.prototype.toString.call(body)}`);
}

/**
 * The worker's Session options: headers as pairs, baseUrl as a string. The
 * SyncSession's default total deadline is not among them: the caller keeps
 * it (its wait's bound), so the worker sets no timer for it on each call.
 */
export function sessionOptionsToWire(options: SyncSessionOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...options };
  if (options.baseUrl !== undefined) out.baseUrl = String(options.baseUrl);
  if (options.headers !== undefined) out.headers = headerPairs(options.headers);
  return out;
}

/** Whether `t` sets a total timeout of its own (a number, or an object with `total`), so that the worker enforces it. */
export function setsTotal(t: RequestOptions['timeout']): boolean {
  return typeof t === 'number' || (t !== null && typeof t === 'object' && t.total !== undefined);
}

/** A request as a message for the worker, with the buffers to transfer. Throws InvalidRequestError. */
export function requestToWire(id: number, method: string, url: string, opts: SyncRequestOptions, transfer: ArrayBuffer[]): RequestMessage {
  const { body, json, query, file, headers, ...rest } = opts as SyncRequestOptions & { signal?: unknown };
  const wire: Record<string, unknown> = rest;
  if (headers !== undefined) wire.headers = headerPairs(headers);
  if (query !== undefined && !(query instanceof URLSearchParams)) wire.query = query;
  if (file !== undefined && (body != null || json !== undefined || opts.form != null)) {
    throw new InvalidRequestError('give only one of body, json, form and file');
  }
  let jsonText: string | null = null;
  if (json !== undefined) {
    try {
      jsonText = JSON.stringify(json) ?? null;
    } catch (err) {
      throw new InvalidRequestError(`json value cannot be serialised: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    if (jsonText === null) throw new InvalidRequestError('json value cannot be serialised');
  }
  return {
    t: 'req',
    id,
    method,
    url,
    opts: wire,
    body: body != null ? toWireBody(body, transfer) : null,
    query: query instanceof URLSearchParams ? query.toString() : null,
    json: jsonText,
    file: file === undefined ? null : file instanceof URL ? fileURLToPath(file) : String(file),
  };
}
