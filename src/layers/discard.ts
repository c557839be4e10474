/**
 * Letting go of a response a layer acts on instead of returning it (a
 * redirect, a retried status, an auth challenge). A buffered one needs
 * nothing; a streamed one is read to its end when its body is small, so its
 * connection goes back to the pool, and closed (the connection destroyed)
 * otherwise.
 * @module
 */
import type { AnyResponse } from '../core/dispatch.js';
import { StreamResponse } from '../client/stream-response.js';

/** Most body bytes read from a streamed response to keep its connection reusable. */
const DRAIN_LIMIT = 64 * 1024;

/** Let go of `res`; never throws. */
export async function discard(res: AnyResponse): Promise<void> {
  if (!(res instanceof StreamResponse)) return;
  if (res.complete || declaredLength(res) <= DRAIN_LIMIT) {
    // Read at most DRAIN_LIMIT bytes (a chunked body of unknown length too); past that the connection is not worth it.
    try {
      let n = 0;
      for await (const chunk of res) {
        n += chunk.length;
        if (n > DRAIN_LIMIT) break;
      }
    } catch {
      // The body failed: its connection is gone already.
    }
  }
  await res.close();
}

/** Content-Length of a streamed response, or 0 when it is absent (a body of unknown length is drained up to the limit). */
function declaredLength(res: StreamResponse): number {
  const cl = res.headers.get('content-length');
  if (cl === null) return 0;
  return /^\d{1,15}$/.test(cl) ? Number(cl) : Number.POSITIVE_INFINITY;
}
