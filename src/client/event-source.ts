/**
 * `session.events(url)`: an EventSource in the HTTP client. It GETs the
 * stream (`Accept: text/event-stream`), yields its events (client/sse.ts),
 * and when the stream ends or fails it waits the server's `retry` (default
 * 3 s, capped by `maxRetryMs`; after attempts that brought no event at
 * least 50 ms, doubled each time) and reconnects with `Last-Event-ID`, as the
 * WHATWG EventSource does (HTML §9.2.3). It does not reconnect after a 204,
 * a status other than 200 (HttpStatusError for 4xx/5xx, InvalidResponseError
 * otherwise), or a Content-Type that is not `text/event-stream`
 * (InvalidResponseError) — nor after the caller's abort or a line over
 * `maxLineBytes`.
 *
 * Timeouts: no total timeout (a healthy stream lasts as long as it likes);
 * the read timeout is a heartbeat timeout — the longest gap between two
 * reads, so a server's `:` comments keep a quiet stream alive, and a stream
 * silent for longer is treated as dropped and reconnected.
 * @module
 */
import { setTimeout as delay } from 'node:timers/promises';
import { AbortError, InvalidResponseError, LimitExceededError, ReqivoError } from '../errors.js';
import { Headers } from '../http/headers.js';
import type { RequestOptions, TimeoutOptions } from './options.js';
import { type ServerSentEvent, SseParser, type SseParserOptions } from './sse.js';
import type { StreamResponse } from './stream-response.js';

/** Options of `session.events()`. */
export interface EventsOptions extends Omit<RequestOptions, 'body' | 'json' | 'form' | 'timeout'>, SseParserOptions {
  /** The last event ID to start from (sent as Last-Event-ID on the first request too). */
  lastEventId?: string;
  /** Reconnection delay until the server sends `retry` (default 3000 ms). */
  retryMs?: number;
  /** Longest delay honoured, whatever `retry` says (default 60000 ms). */
  maxRetryMs?: number;
  /** Most reconnections in a row that bring no event (default Infinity, as EventSource). */
  maxReconnects?: number;
  /** Timeouts: `connect`, and `read` — the heartbeat timeout (default: the session's read timeout). No total. */
  timeout?: number | Pick<TimeoutOptions, 'connect' | 'read'>;
}

/** What events() needs of a Session: one streamed request. */
export type OpenStream = (method: string, url: string | URL, opts: RequestOptions) => Promise<StreamResponse>;

const DEFAULT_RETRY_MS = 3000;
const DEFAULT_MAX_RETRY_MS = 60_000;

/** The events of `url`, reconnecting; see the module doc. */
export async function* events(open: OpenStream, url: string | URL, options: EventsOptions): AsyncGenerator<ServerSentEvent> {
  const { lastEventId, retryMs, maxRetryMs, maxReconnects, maxLineBytes, timeout, ...request } = options;
  const parser = new SseParser({ maxLineBytes });
  parser.lastEventId = lastEventId ?? '';
  const cap = maxRetryMs ?? DEFAULT_MAX_RETRY_MS;
  const maxFailures = maxReconnects ?? Number.POSITIVE_INFINITY;
  const t: TimeoutOptions = typeof timeout === 'number' ? { connect: timeout, read: timeout, total: null } : { ...timeout, total: null };
  const signal = request.signal ?? null;
  let failures = 0;
  for (;;) {
    const headers = new Headers(request.headers);
    if (!headers.has('accept')) headers.set('accept', 'text/event-stream');
    // HTML §9.2.2: the request's cache mode is "no-store": no-cache for caches on the way, no-store for the session's own (a stream is
    // neither copied into it as it runs nor answered from it on reconnection).
    headers.set('cache-control', 'no-cache, no-store');
    // The server's id goes back as UTF-8 bytes (WHATWG HTML §9.2.4), written by the head as latin1 units, one per byte:
    // an id outside latin1 (an emoji) is no invalid header then, and nothing the server sent can end the line (no CR, LF, NUL in an id).
    if (parser.lastEventId !== '') headers.set('last-event-id', Buffer.from(parser.lastEventId, 'utf8').toString('latin1'));
    else headers.delete('last-event-id');
    let got = false;
    let res: StreamResponse | null = null;
    // Whether the reply was taken (200, text/event-stream): a failure after that is the connection's, and reconnected.
    let announced = false;
    try {
      res = await open('GET', url, { ...request, headers, timeout: t });
      checkReply(res);
      if (res.status === 204) return;
      announced = true;
      for await (const chunk of res) {
        for (const ev of parser.feed(chunk)) {
          got = true;
          yield ev;
        }
      }
      parser.end(); // an event without its blank line is discarded (WHATWG)
    } catch (err) {
      if (!reconnectable(err, signal, announced)) throw err;
      parser.end();
    } finally {
      if (res !== null) await res.close();
    }
    failures = got ? 0 : failures + 1;
    if (failures > maxFailures) throw new ReqivoError(`event stream ${String(url)}: gave up after ${maxFailures} reconnections without an event`);
    try {
      await delay(reconnectDelay(parser.retry ?? retryMs ?? DEFAULT_RETRY_MS, failures, cap), undefined, { signal: signal ?? undefined });
    } catch {
      throw new AbortError('event stream aborted', { cause: signal?.reason });
    }
  }
}

/** Shortest wait after an attempt that brought no event, whatever `retry` says (doubled after each such attempt). */
const MIN_FAILED_RETRY_MS = 50;

/**
 * The wait before the next attempt: the server's `retry` after a stream that
 * brought events; after `failures` attempts in a row without one, at least
 * {@link MIN_FAILED_RETRY_MS} doubled for each (WHATWG HTML §9.2.3 allows
 * an exponential backoff), so `retry: 0` from a server that drops every
 * connection is no busy loop. Never above `cap`.
 */
function reconnectDelay(retry: number, failures: number, cap: number): number {
  const ms = failures === 0 ? retry : Math.max(retry, MIN_FAILED_RETRY_MS * 2 ** Math.min(failures - 1, 20));
  return Math.min(ms, cap);
}

/** A reply events() reads: 200 with text/event-stream, or 204 (the server says stop). */
function checkReply(res: StreamResponse): void {
  if (res.status === 204) return;
  if (res.status !== 200) {
    if (res.status >= 400) res.raiseForStatus();
    throw new InvalidResponseError(`event stream answered ${res.status} ${res.reason}, not 200`, { method: 'GET', url: res.url });
  }
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'text/event-stream') {
    throw new InvalidResponseError(`event stream answered with Content-Type ${JSON.stringify(type)}, not text/event-stream`, { method: 'GET', url: res.url });
  }
}

/**
 * Whether a failure is one a reconnection may mend: not the caller's abort, a
 * bad reply, a limit, or a bad request. Once the reply was `announced` (HTML
 * §9.2.3), a broken body — framing or coding the server got wrong mid-stream —
 * is a network error that closed the connection: reconnected, as EventSource does.
 */
function reconnectable(err: unknown, signal: AbortSignal | null, announced: boolean): boolean {
  if (signal?.aborted) return false;
  if (!(err instanceof ReqivoError)) return false;
  const name = err.name;
  if (err instanceof LimitExceededError || err instanceof AbortError) return false;
  if (err instanceof InvalidResponseError) return announced;
  return name !== 'HttpStatusError' && name !== 'InvalidRequestError';
}
