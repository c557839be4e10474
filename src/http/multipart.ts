/**
 * FormData → `multipart/form-data` (RFC 7578, WHATWG HTML "multipart/form-data
 * encoding algorithm"). Encoding is split in two so the length is known before
 * a byte is read: {@link encodeMultipart} lays out the parts (head bytes and
 * Blobs by reference) and sums their sizes; {@link multipartChunks} streams
 * them, reading Blobs through `blob.stream()` so a large File is never held in
 * memory whole.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { InvalidRequestError } from '../errors.js';

/** A laid-out multipart body. */
export interface EncodedMultipart {
  /** The boundary, `reqivo-` + 32 hex digits. */
  boundary: string;
  /** The `Content-Type` header value, `multipart/form-data; boundary=…`. */
  contentType: string;
  /** Total body length in bytes, or `null` if some part's size is unknown (never for a FormData). */
  length: number | null;
  /** Body pieces in order: encoded bytes and Blobs (File contents) to stream. */
  parts: Array<Uint8Array | Blob>;
}

const encoder = new TextEncoder();

/**
 * WHATWG HTML: field names and filenames escape `"`, CR and LF as `%22`, `%0D`, `%0A`.
 * @internal
 */
export function escapeMultipartName(s: string): string {
  return s.replace(/["\r\n]/g, (c) => (c === '"' ? '%22' : c === '\r' ? '%0D' : '%0A'));
}

/** CR, LF or CRLF → CRLF (WHATWG HTML multipart/form-data encoding, names and string values). */
function normaliseNewlines(s: string): string {
  return s.replace(/\r\n|\r|\n/g, '\r\n');
}

/** A File/Blob Content-Type safe to write in a part head. */
function partType(blob: Blob): string {
  const t = blob.type;
  return t !== '' && /^[\x21-\x7e][\x20-\x7e]*$/.test(t) ? t : 'application/octet-stream';
}

/**
 * Lay out a FormData as a multipart body: a fresh random boundary, one part per
 * entry (strings UTF-8 encoded with CRLF line breaks, Files with `filename` and
 * `Content-Type`), adjacent bytes merged so the body is few pieces.
 * @throws {InvalidRequestError} when an entry is neither a string nor a Blob.
 */
export function encodeMultipart(form: FormData): EncodedMultipart {
  const boundary = `reqivo-${randomBytes(16).toString('hex')}`;
  const parts: Array<Uint8Array | Blob> = [];
  let length = 0;
  let text = '';
  const flushText = (): void => {
    if (text === '') return;
    const bytes = encoder.encode(text);
    parts.push(bytes);
    length += bytes.byteLength;
    text = '';
  };
  for (const [name, value] of form as unknown as Iterable<[string, unknown]>) {
    text += `--${boundary}\r\nContent-Disposition: form-data; name="${escapeMultipartName(normaliseNewlines(name))}"`;
    if (typeof value === 'string') {
      text += `\r\n\r\n${normaliseNewlines(value)}\r\n`;
    } else if (value instanceof Blob) {
      const filename = typeof (value as File).name === 'string' ? (value as File).name : 'blob';
      text += `; filename="${escapeMultipartName(filename)}"\r\nContent-Type: ${partType(value)}\r\n\r\n`;
      if (value.size > 0) {
        flushText();
        parts.push(value);
        length += value.size;
      }
      text += '\r\n';
    } else {
      throw new InvalidRequestError(`FormData entry ${JSON.stringify(name)} is neither a string nor a Blob`);
    }
  }
  text += `--${boundary}--\r\n`;
  flushText();
  return { boundary, contentType: `multipart/form-data; boundary=${boundary}`, length, parts };
}

/**
 * Stream an encoded body: byte parts as they are, Blobs chunk by chunk from
 * `blob.stream()`. May be called again for a replay (redirect, retry).
 * @throws {InvalidRequestError} when a Blob yields a different number of bytes than its size (the declared length would be wrong).
 */
export async function* multipartChunks(encoded: EncodedMultipart): AsyncGenerator<Uint8Array, void, undefined> {
  for (const part of encoded.parts) {
    if (part instanceof Uint8Array) {
      yield part;
      continue;
    }
    let seen = 0;
    for await (const chunk of part.stream() as unknown as AsyncIterable<Uint8Array>) {
      seen += chunk.byteLength;
      if (seen > part.size) break;
      yield chunk;
    }
    if (seen !== part.size) throw new InvalidRequestError(`multipart file part changed size while sending: expected ${part.size} bytes, got ${seen}`);
  }
}
