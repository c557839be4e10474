/**
 * A {@link StreamResponse} as a standard `globalThis.Response`: status,
 * reason, headers in WHATWG `Headers`, the body a pull-based ReadableStream
 * fed from the response's chunks (the socket pauses while the stream's
 * queue is full), and `url` / `redirected`, which the Response constructor
 * cannot set, as own properties of the instance (what undici does for its
 * own responses).
 * @module
 */
import type { StreamResponse } from './stream-response.js';

/** Statuses whose response has a null body (Fetch §2.2.3), plus 101. */
function isNullBodyStatus(status: number): boolean {
  return status === 204 || status === 205 || status === 304 || status === 101;
}

/** The standard Response for `res`, a response to `method`; `signal` errors its body when it aborts. */
export function toWebResponse(res: StreamResponse, method: string, signal: AbortSignal | null): globalThis.Response {
  const status = res.status;
  let body: ReadableStream<Uint8Array> | null = null;
  if (method === 'HEAD' || isNullBodyStatus(status)) void res.close();
  else body = bodyStream(res, signal);
  const headers = webHeaders(res.headers._list);
  // The constructor accepts 200-599 only (Fetch §6.4); any other status is set on the instance.
  const inRange = status >= 200 && status <= 599;
  let out: globalThis.Response;
  try {
    out = new globalThis.Response(body, { status: inRange ? status : 200, statusText: res.reason, headers });
  } catch {
    // A reason phrase the constructor refuses (obs-text): keep the response, drop the phrase.
    out = new globalThis.Response(body, { status: inRange ? status : 200, headers });
  }
  if (!inRange) Object.defineProperty(out, 'status', { value: status });
  // A network response is 'basic' (Fetch §4.1 main fetch, step 14: same-origin filtering for a client with no origin).
  Object.defineProperty(out, 'type', { value: 'basic' });
  Object.defineProperty(out, 'url', { value: res.url });
  if (res.redirects.length > 0) Object.defineProperty(out, 'redirected', { value: true });
  return out;
}

/** Our flat `[name, value, …]` list as WHATWG Headers (which combine and order them by name). */
function webHeaders(list: readonly string[]): globalThis.Headers {
  const h = new globalThis.Headers();
  for (let i = 0; i < list.length; i += 2) h.append(list[i]!, list[i + 1]!);
  return h;
}

/**
 * The body as a ReadableStream that pulls the next chunk when its queue has
 * room. Errors: the signal's reason once it aborted, else a TypeError with
 * the reqivo error as `cause` (undici's 'terminated').
 */
function bodyStream(res: StreamResponse, signal: AbortSignal | null): ReadableStream<Uint8Array> {
  const it = res[Symbol.asyncIterator]();
  let onAbort: (() => void) | null = null;
  const stop = (): void => {
    if (onAbort !== null) signal!.removeEventListener('abort', onAbort);
    onAbort = null;
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (signal === null) return;
      onAbort = () => {
        onAbort = null;
        controller.error(signal.reason);
        void it.return?.(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    },
    async pull(controller) {
      try {
        const r = await it.next();
        if (r.done === true) {
          stop();
          controller.close();
        } else controller.enqueue(r.value);
      } catch (err) {
        if (onAbort === null && signal !== null && signal.aborted) return; // already errored with the reason
        stop();
        controller.error(signal !== null && signal.aborted ? signal.reason : new TypeError('terminated', { cause: err }));
      }
    },
    cancel() {
      stop();
      return it.return?.(undefined).then(() => undefined);
    },
  });
}
