/**
 * Content decoding (gzip, deflate, br, and chains of them) as a body layer:
 * set up for a request with `decompress` on, it puts a decoder between the
 * driver and the response when the response names a Content-Encoding, and
 * costs nothing otherwise. Limits apply to the decoded bytes as they come
 * out of zlib (http/decode.ts).
 * @module
 */
import type { Headers } from '../http/headers.js';
import type { ParserLimits } from '../http/parser.js';
import { ContentDecoder, decodingsOf } from '../http/decode.js';
import type { BodySink, FlowControl } from '../core/sink.js';

/** `sink`, or a decoder in front of it when the response is content-coded. */
export function decodeBody(sink: BodySink, headers: Headers, limits: ParserLimits, flow: FlowControl): BodySink {
  const value = headers.get('content-encoding');
  if (value === null) return sink;
  const abort = (err: Error): void => flow.abort(err);
  let codings: ReturnType<typeof decodingsOf>;
  try {
    codings = decodingsOf(value);
  } catch (err) {
    return ContentDecoder.failing(sink, err as Error, abort);
  }
  if (codings === null || codings.length === 0) return sink;
  return new ContentDecoder(sink, codings, limits.maxBodyBytes, abort, flow);
}
