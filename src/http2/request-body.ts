/**
 * The request-body pump of an HTTP/2 stream: a streamed body written with
 * flow control (waiting for 'drain'), checked against its declared length.
 * A body held in memory is written by H2Stream in one `end()` instead.
 * @module
 */
import type http2 from 'node:http2';
import type { RequestBody } from '../core/body.js';
import { RequestError } from '../errors.js';

function waitDrain(st: http2.ClientHttp2Stream): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      st.removeListener('drain', done);
      st.removeListener('close', done);
      resolve();
    };
    st.on('drain', done);
    st.on('close', done);
  });
}

/**
 * Write `body` on `st` and end it, while `current()` says the attempt is
 * still the request's. Resolves true when the whole body was sent, false when
 * the attempt ended first; rejects with a RequestError when the body is
 * longer or shorter than its Content-Length (or its source fails).
 * @internal
 */
export async function pumpRequestBody(st: http2.ClientHttp2Stream, body: RequestBody, current: () => boolean): Promise<boolean> {
  const known = body.length >= 0;
  let sent = 0;
  for await (const piece of body.open()) {
    if (!current() || st.destroyed) return false;
    const buf = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    if (buf.length === 0) continue;
    sent += buf.length;
    if (known && sent > body.length) throw new RequestError(`request body is longer than its Content-Length (${body.length})`);
    if (!st.write(buf)) await waitDrain(st);
  }
  if (!current() || st.destroyed) return false;
  if (known && sent !== body.length) {
    throw new RequestError(`request body is shorter (${sent} bytes) than its Content-Length (${body.length})`);
  }
  st.end();
  return true;
}
