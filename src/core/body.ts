/**
 * Request bodies: turn what the user passed (`body`, `json`, `form`) into
 * bytes of known length or a stream of chunks, plus a default content type.
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import { encodeMultipart, multipartChunks } from '../http/multipart.js';

/** Every body type a request accepts (docs/api.md). */
export type BodyInit =
  | string
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | URLSearchParams
  | FormData
  | Blob
  | Iterable<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>;

/** A request body ready to write. */
export class RequestBody {
  /** Bytes of a body known up front, or null for a stream. */
  readonly bytes: Buffer | null;
  /** Chunks of a streamed body, or null. */
  readonly stream: (() => AsyncIterable<Uint8Array | string>) | null;
  /** Byte length when known, else -1 (sent chunked). */
  readonly length: number;
  /** Content type implied by the body, or null. */
  readonly contentType: string | null;
  /** Whether the body can be sent twice (for retries and 307/308 redirects). */
  readonly replayable: boolean;
  #used: boolean;

  constructor(
    bytes: Buffer | null,
    stream: (() => AsyncIterable<Uint8Array | string>) | null,
    length: number,
    contentType: string | null,
    replayable: boolean,
  ) {
    this.bytes = bytes;
    this.stream = stream;
    this.length = length;
    this.contentType = contentType;
    this.replayable = replayable;
    this.#used = false;
  }

  /** Chunks to send; a one-shot stream refuses a second read. */
  open(): AsyncIterable<Uint8Array | string> {
    if (this.stream === null) throw new InvalidRequestError('body has no stream');
    if (this.#used && !this.replayable) {
      throw new InvalidRequestError('the request body is a one-shot stream and was already sent; it cannot be replayed');
    }
    this.#used = true;
    return this.stream();
  }

  /** Whether a one-shot stream was already consumed. */
  get used(): boolean {
    return this.#used;
  }

  /** Whether the body can be sent (again): replayable, or a one-shot stream not read yet. The one replay test. */
  canResend(): boolean {
    return this.replayable || !this.#used;
  }
}

/**
 * One piece of a streamed body as the bytes to send: a string UTF-8 encoded,
 * a Buffer as is, any other ArrayBufferView (Uint16Array, DataView…) by its
 * bytes — never by its element count — and an ArrayBuffer whole. The writers
 * frame (chunk size, Content-Length check) by the `length` of what this returns.
 * @throws {InvalidRequestError} for a piece of any other type.
 * @internal
 */
export function pieceBytes(piece: unknown): Buffer {
  if (typeof piece === 'string') return Buffer.from(piece, 'utf8');
  if (Buffer.isBuffer(piece)) return piece;
  if (ArrayBuffer.isView(piece)) return Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
  if (piece instanceof ArrayBuffer) return Buffer.from(piece);
  throw new InvalidRequestError(`a request body stream yielded ${piece === null ? 'null' : typeof piece === 'object' ? Object.prototype.toString.call(piece) : typeof piece}; each piece must be a string or a Uint8Array`);
}

function isAsyncIterable(v: unknown): v is AsyncIterable<Uint8Array | string> {
  return v != null && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function isIterable(v: unknown): v is Iterable<Uint8Array | string> {
  return v != null && typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function';
}

async function* fromIterable(it: Iterable<Uint8Array | string>): AsyncIterable<Uint8Array | string> {
  yield* it;
}

async function* fromBlob(blob: Blob): AsyncIterable<Uint8Array> {
  const reader = blob.stream().getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Options that carry a body. */
export interface BodyOptions {
  /** Raw body. */
  body?: BodyInit | null;
  /** Serialised with JSON.stringify; sets `content-type: application/json`. */
  json?: unknown;
  /** Sent `application/x-www-form-urlencoded`. */
  form?: Record<string, string | number | boolean | readonly (string | number | boolean)[]> | URLSearchParams;
}

/**
 * Normalise `body` / `json` / `form` into a {@link RequestBody}, or null when
 * there is none. Throws InvalidRequestError for an unsupported type or when
 * more than one is given.
 */
export function toRequestBody(opts: BodyOptions): RequestBody | null {
  const { body, json, form } = opts;
  const given = (body != null ? 1 : 0) + (json !== undefined ? 1 : 0) + (form != null ? 1 : 0);
  if (given > 1) throw new InvalidRequestError('give only one of body, json and form');
  if (json !== undefined) {
    let text: string | undefined;
    try {
      text = JSON.stringify(json);
    } catch (err) {
      // A cycle, a BigInt or a throwing toJSON(): still an InvalidRequestError, with the reason as cause.
      throw new InvalidRequestError(`json value cannot be serialised: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    if (text === undefined) throw new InvalidRequestError('json value cannot be serialised');
    const b = Buffer.from(text, 'utf8');
    return new RequestBody(b, null, b.length, 'application/json', true);
  }
  if (form != null) {
    const params = form instanceof URLSearchParams ? form : formToParams(form);
    const b = Buffer.from(params.toString(), 'utf8');
    return new RequestBody(b, null, b.length, 'application/x-www-form-urlencoded', true);
  }
  if (body == null) return null;
  if (typeof body === 'string') {
    const b = Buffer.from(body, 'utf8');
    return new RequestBody(b, null, b.length, 'text/plain;charset=UTF-8', true);
  }
  if (body instanceof Uint8Array) {
    const b = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return new RequestBody(b, null, b.length, null, true);
  }
  if (body instanceof ArrayBuffer) {
    const b = Buffer.from(body);
    return new RequestBody(b, null, b.length, null, true);
  }
  if (ArrayBuffer.isView(body)) {
    const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return new RequestBody(b, null, b.length, null, true);
  }
  if (body instanceof URLSearchParams) {
    const b = Buffer.from(body.toString(), 'utf8');
    return new RequestBody(b, null, b.length, 'application/x-www-form-urlencoded;charset=UTF-8', true);
  }
  if (typeof FormData !== 'undefined' && body instanceof FormData) {
    const enc = encodeMultipart(body);
    return new RequestBody(null, () => multipartChunks(enc), enc.length ?? -1, enc.contentType, true);
  }
  if (typeof Blob !== 'undefined' && body instanceof Blob) {
    return new RequestBody(null, () => fromBlob(body), body.size, body.type || null, true);
  }
  if (isAsyncIterable(body)) return new RequestBody(null, () => body, -1, null, false);
  if (isIterable(body)) {
    // Arrays can be replayed; other iterables (generators) are one-shot.
    return new RequestBody(null, () => fromIterable(body), -1, null, Array.isArray(body));
  }
  throw new InvalidRequestError(`unsupported body type ${Object.prototype.toString.call(body)}`);
}

function formToParams(form: Record<string, string | number | boolean | readonly (string | number | boolean)[]>): URLSearchParams {
  const p = new URLSearchParams();
  for (const k of Object.keys(form)) {
    const v = form[k]!;
    if (Array.isArray(v)) for (const item of v) p.append(k, String(item));
    else p.append(k, String(v));
  }
  return p;
}
