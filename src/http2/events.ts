/**
 * The module-level listeners H2Stream puts on each node:http2 stream (no
 * closures per stream), the tags that link a node stream to its request and
 * session, and the push(null) hook that tells END_STREAM from a reset.
 * @module
 */
import type http2 from 'node:http2';
import { Duplex } from 'node:stream';
import type { H2Session } from './session.js';
import type { H2Stream } from './stream.js';

const readablePush = Duplex.prototype.push;

/*
 * What node:http2 (v20) tells a client stream, and the protocol event behind
 * it — found with the frame-level peer in test/helpers/h2-raw.ts:
 *
 * | node:http2                         | protocol event                                                  |
 * | ---------------------------------- | --------------------------------------------------------------- |
 * | 'response'                         | the final response HEADERS (a process.nextTick after they were  |
 * |                                    | parsed: DATA of the same read can come first when the session   |
 * |                                    | reads through JavaScript, so DATA before the head is kept)      |
 * | 'data'                             | DATA payload                                                    |
 * | push(null) while !stream.closed    | END_STREAM (on DATA, on the response HEADERS, or on trailers)   |
 * | push(null) after stream.closed     | RST_STREAM NO_ERROR or CANCEL (either side), or the stream     |
 * |                                    | closed by our session: node then ends the readable side too     |
 * | 'end'                              | follows either push(null): END_STREAM *or* a reset — not an end |
 * |                                    | by itself, hence the push(null) hook ({@link streamPush})       |
 * | 'aborted'                          | a close while our request body was still being sent; never for  |
 * |                                    | a request without body — not used                               |
 * | 'error'                            | RST_STREAM with another code (ERR_HTTP2_STREAM_ERROR), or the    |
 * |                                    | session's error (GOAWAY with an error code, socket failure, a   |
 * |                                    | CONTINUATION flood: ERR_HTTP2_ERROR errno -905)                 |
 * | 'close' (stream.rstCode)           | the stream is gone, after 'end' or 'error'; rstCode is 0 for    |
 * |                                    | END_STREAM and RST_STREAM(NO_ERROR) alike                       |
 * | stream closed with ENHANCE_YOUR_   | before the head: either the server's RST_STREAM or node's own   |
 * | CALM, no 'response'                | reset of a head over our SETTINGS_MAX_HEADER_LIST_SIZE — node   |
 * |                                    | says nothing to tell them apart                                 |
 * | (nothing at all)                   | our session found a connection error in what the server sent    |
 * |                                    | (a bad HPACK block, DATA before HEADERS or on an idle stream, a |
 * |                                    | frame over the size limit, bytes that are no frame), sent       |
 * |                                    | GOAWAY and stopped reading and writing: H2Session's probe finds |
 * |                                    | it (a PING that never leaves) and destroys it                   |
 *
 * A session destroyed with an error (GOAWAY with an error code in the same
 * read as END_STREAM) destroys its streams before their 'end', and a
 * destroyed stream's buffered DATA can no longer be read: so the body is
 * taken out of node's buffer at END_STREAM, and a stream whose END_STREAM
 * arrived is finished from 'close' (RFC 9113 §6.8: it was within the last
 * stream id and complete).
 */

/** Tag on a node:http2 stream: the request it carries. @internal */
export const kStream: unique symbol = Symbol('reqivo.h2stream');
/** Tag on a node:http2 stream or session: its {@link H2Session}. @internal */
export const kSession: unique symbol = Symbol('reqivo.h2session');
/** A node:http2 stream tagged with its request and session. @internal */
export type TaggedStream = http2.ClientHttp2Stream & { [kStream]?: H2Stream | null; [kSession]?: H2Session };

/** @internal Readable#push of node's stream: push(null) while the stream is open is END_STREAM (see the table above). */
export function streamPush(this: TaggedStream, chunk: unknown, encoding?: BufferEncoding): boolean {
  const s = this[kStream];
  if (chunk !== null || this.closed || s == null || s.stream !== this) return readablePush.call(this, chunk, encoding);
  s._endStream = true;
  const ret = readablePush.call(this, null);
  // The whole body is in node's buffer now (a paused reader leaves it there): hand it over at once, since a
  // session error in the same read destroys the stream and a destroyed stream's buffer can no longer be read.
  while (this.readableLength > 0 && this.read() !== null);
  return ret;
}

// ---- stream listeners (module-level: no closures per stream) ----

/** @internal */
export function streamOnResponse(this: TaggedStream, headers: http2.IncomingHttpHeaders, _flags: number, raw?: string[]): void {
  this[kSession]!.activity++;
  const s = this[kStream];
  if (s != null && s.stream === this) s._onResponse(Number(headers[':status']), raw ?? rawFromObject(headers));
}

/** @internal */
export function streamOnData(this: TaggedStream, chunk: Buffer): void {
  this[kSession]!.activity++;
  const s = this[kStream];
  if (s != null && s.stream === this) s._onData(chunk);
}

/** @internal */
export function streamOnEnd(this: TaggedStream): void {
  const s = this[kStream];
  if (s != null && s.stream === this) s._onEnd();
}

/** @internal */
export function streamOnError(this: TaggedStream, err: Error): void {
  const s = this[kStream];
  if (s != null && s.stream === this) s._error = err;
}

/** @internal */
export function streamOnTimeout(this: TaggedStream): void {
  const s = this[kStream];
  if (s != null && s.stream === this) s._onTimeout();
}

/** @internal */
export function streamOnClose(this: TaggedStream): void {
  const s = this[kStream];
  if (s != null && s.stream === this) s._onClose();
  this[kSession]!._streamClosed(this);
}

function rawFromObject(headers: http2.IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name of Object.keys(headers)) {
    const v = headers[name];
    if (Array.isArray(v)) for (const x of v) out.push(name, x);
    else if (v !== undefined) out.push(name, String(v));
  }
  return out;
}
