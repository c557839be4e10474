/**
 * Content decoding (gzip, deflate, br, and chains of them) as a body layer:
 * set up for a request with `decompress` on, it puts a decoder between the
 * driver and the response when the response names a Content-Encoding, and
 * costs nothing otherwise. Limits apply to the decoded bytes as they come
 * out of zlib (http/decode.ts).
 * @module
 */
import type { Headers } from '../http/headers.js';
import type { ResponseLimits } from '../client/options.js';
import { ContentDecoder, decodingsOf } from '../http/decode.js';
import type { BodySink, FlowControl } from '../core/sink.js';

/**
 * `sink`, or a decoder in front of it when the response is content-coded. A
 * `buffered` body is also bound by `maxDecodedBytes` (options.ts says why);
 * a streamed one only by `maxBodyBytes`.
 */
export function decodeBody(sink: BodySink, headers: Headers, limits: ResponseLimits, flow: FlowControl, buffered: boolean): BodySink {
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
  const capped = buffered && limits.maxDecodedBytes < limits.maxBodyBytes;
  return new ContentDecoder(sink, codings, capped ? limits.maxDecodedBytes : limits.maxBodyBytes, abort, flow, capped ? 'maxDecodedBytes' : 'maxBodyBytes');
}
