/**
 * The stale-connection layer. Reusing a keep-alive connection the server
 * has just closed is the most reported failure of HTTP clients (undici
 * #3492, node #47130): the request dies with no response byte, most likely
 * never seen by the server. A request that is safe to replay — an
 * idempotent method (RFC 9110 §9.2.2) or one carrying an `Idempotency-Key`,
 * with a body that can be sent again — is sent once more, on a newly opened
 * connection. Anything else gets the {@link StaleConnectionError}: a POST is
 * never silently sent twice.
 * @module
 */
import { StaleConnectionError } from '../errors.js';
import { IDEMPOTENT_METHODS } from '../http/methods.js';
import type { AnyResponse, Dispatch, Interceptor } from '../core/dispatch.js';
import type { PreparedRequest } from '../core/request.js';

/** Whether `req` may be replayed after its connection was found stale. */
export function replaySafe(req: PreparedRequest): boolean {
  const idempotent = IDEMPOTENT_METHODS.has(req.method) || hasIdempotencyKey(req);
  return idempotent && req.canResend() && (req.deadline === null || req.deadline.failure === null);
}

/**
 * A non-empty `Idempotency-Key` / `X-Idempotency-Key`: the caller's word that
 * the server de-duplicates the request (as Go's net/http reads it).
 */
function hasIdempotencyKey(req: PreparedRequest): boolean {
  const key = req.headers.get('idempotency-key') ?? req.headers.get('x-idempotency-key');
  return key !== null && key !== '';
}

/** The layer: one replay on a fresh connection for a safe request that met a stale one. */
export const staleLayer: Interceptor = (next) => (req) => next(req).catch((err: unknown) => replay(err, req, next));

async function replay(err: unknown, req: PreparedRequest, next: Dispatch): Promise<AnyResponse> {
  if (!(err instanceof StaleConnectionError) || !replaySafe(req)) throw err;
  req.fresh = true;
  try {
    return await next(req);
  } finally {
    req.fresh = false;
  }
}
