/**
 * Responses the HTTP cache answers with itself: a stored response served
 * (with its Age, RFC 9111 §5.1), and the 504 of `only-if-cached` when
 * nothing usable is stored (§5.2.1.7).
 * @module
 */
import { Headers } from '../http/headers.js';
import type { AnyResponse } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';
import { createResponse } from '../client/respond.js';
import { type CacheStatus, Response, setCacheStatus } from '../client/response.js';
import { metaOf } from './cache-entry.js';
import { markGenerated } from './cache-generated.js';
import type { StoredResponse } from './cache-store.js';
import { Slab } from '../core/slab.js';

const EMPTY = Buffer.alloc(0);

/** `res` marked with its cache status. */
export function mark(res: AnyResponse, status: CacheStatus): AnyResponse {
  setCacheStatus(res, status);
  return res;
}

/**
 * A response from `stored` for `req` (a GET's stored response answers a
 * HEAD too, without its body), built as one off the wire, with its Age.
 */
export function serve(req: PreparedRequest, stored: StoredResponse, age: number, status: CacheStatus): AnyResponse | Promise<AnyResponse> {
  const meta = metaOf(stored);
  const ageSeconds = Math.floor(age);
  let list = meta.list;
  if (list === null || meta.listAge !== ageSeconds) {
    list = stored.headers.slice();
    if (meta.ageAt === -1) list.push('age', String(ageSeconds));
    else list[meta.ageAt + 1] = String(ageSeconds);
    meta.list = list;
    meta.listAge = ageSeconds;
  }
  if (!req.streaming && req.onDownloadProgress === null && !(req.decompress && meta.coded)) {
    // Nothing to decode or report: the buffered Response directly, on the shared list (a hit is then a fraction of a round trip; bench/cache.ts).
    const empty = req.method === 'HEAD' || stored.status === 204 || stored.status === 304;
    return new CachedResponse(stored.status, stored.reason, stored.httpVersion, list, req._display, empty ? EMPTY : copyOf(stored.body), req.method, status);
  }
  return createResponse(req, { status: stored.status, reason: stored.reason, httpVersion: stored.httpVersion, headers: Headers._fromList(list), body: stored.body }).then((res) => mark(res, status));
}

/** A buffered Response served from the store: its cache status is a field here rather than an entry in a WeakMap (an insertion there cost a hit as much as building the response). */
class CachedResponse extends Response {
  readonly #cacheStatus: CacheStatus;
  constructor(status: number, reason: string, httpVersion: string, headers: string[], url: string, body: Uint8Array, method: string, cacheStatus: CacheStatus) {
    super(status, reason, httpVersion, headers, url, body, method);
    this.#cacheStatus = cacheStatus;
  }

  /** Where the response came from: the store. */
  override get cacheStatus(): CacheStatus {
    return this.#cacheStatus;
  }
}

/** Bodies up to this size are copied into a shared slab; larger ones get their own buffer. */
const SMALL_BODY = 4096;
/** Slabs of hits' bodies (Node's own pool is 8 KiB: a new one every few 1 KiB hits, and their allocation was a fifth of a hit). */
const HIT_SLABS = new Slab(64 * 1024);

/**
 * The caller's own copy of stored bytes (a change to `res.body` must not
 * reach the store). Small ones are views into a shared slab, as Node's
 * Buffer.allocUnsafe pool does (a kept small body keeps its slab alive).
 */
function copyOf(body: Uint8Array): Buffer {
  if (body.byteLength <= SMALL_BODY) return HIT_SLABS.copy(body);
  const b = Buffer.allocUnsafeSlow(body.byteLength);
  b.set(body);
  return b;
}

/** §5.2.1.7: `only-if-cached` and nothing stored fits: a 504 made here, nothing sent. */
export async function gatewayTimeout(req: PreparedRequest): Promise<AnyResponse> {
  const res = await createResponse(req, { status: 504, reason: 'Gateway Timeout', headers: { 'content-length': '0' } });
  markGenerated(res);
  return mark(res, 'miss');
}
