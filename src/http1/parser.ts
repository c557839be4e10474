/**
 * Incremental HTTP/1.1 response parser (RFC 9112), sans-I/O.
 *
 * Feed it byte slices with {@link ResponseParser.execute}; it calls the
 * handler's `onHead` once the final head is parsed, `onBody` for each slice
 * of body bytes (sub-arrays of the input, never copied), and `onComplete`
 * when the message ends. It never touches a socket or a timer.
 *
 * Rules followed (RFC 9112 unless said otherwise):
 * - §2.2 a bare LF is accepted as a line terminator; a bare CR elsewhere is rejected.
 * - §4   status-line `HTTP/1.x SP 3DIGIT SP reason`; a missing reason (and its SP) is tolerated.
 * - §5.1 no whitespace between field name and colon; names are tokens.
 * - §5.2 obs-fold in a response is replaced by a single SP; framing fields
 *   (Content-Length, Transfer-Encoding, Connection, Keep-Alive) are read once
 *   their value is whole, when the next line is not a fold.
 * - RFC 9110 §5.5 NUL or CR inside a value is rejected; OWS around it is trimmed.
 * - §6.3 message body length and §9.3 persistence: {@link HeadFraming}
 *   (framing.ts); 1xx responses but 101 are interim and skipped (at most 32).
 * - §7.1 chunked with extensions (bounded, well formed per §7.1.1) and trailer fields; a chunk size
 *   is bounded by its value (2^53 - 1, then maxBodyBytes), leading zeros are
 *   free up to the chunk line limit.
 *
 * Limits (`maxHeaderBytes`, `maxHeaderCount`, `maxBodyBytes`) are checked as
 * bytes arrive, before they are buffered.
 * @module
 */
import { bodyTooLarge, DEFAULT_LIMITS, headTooLarge, type ParserLimits, tooManyFields } from '../core/limits.js';
import { InvalidResponseError } from '../errors.js';
import { chunkSizeOf, fieldNameEnd, fieldValue, foldInto, isOws, NO_PREV, reasonOf, reuse, sameList, statusCode, statusVersion } from './fields.js';
import { Framing, HeadFraming } from './framing.js';

export { Framing } from './framing.js';
export { DEFAULT_LIMITS, type ParserLimits } from '../core/limits.js';

/** Callbacks the parser drives. */
export interface ParserHandler {
  /** The final head is parsed; read `status`, `reason`, `version`, `headers` off the parser. */
  onHead(parser: ResponseParser): void;
  /** A slice of body bytes; it is a view of the input, valid as long as the input is. */
  onBody(chunk: Buffer): void;
  /** The message is complete. */
  onComplete(parser: ResponseParser): void;
}

const enum S {
  Status,
  Header,
  BodyLength,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailer,
  BodyClose,
  Done,
}

const MAX_CHUNK_LINE = 4096;
const MAX_INTERIM = 32;

/** Incremental HTTP/1.1 response parser. One instance per connection, {@link reset} per response. */
export class ResponseParser {
  /** Status code of the final response. */
  status!: number;
  /** Reason phrase (may be empty). */
  reason: string;
  /** `'1.1'` or `'1.0'`. */
  version!: string;
  /** Header fields as a flat `[name, value, …]` list, latin1-decoded. */
  headers: string[];
  /** Trailer fields of a chunked body, flat like `headers`. */
  trailers!: string[] | null;
  /** Whether the connection may carry another request after this response. */
  keepAlive!: boolean;
  /** The `Keep-Alive: timeout=` hint in milliseconds, or -1. */
  keepAliveTimeoutMs!: number;
  /** Whether the response switched protocols (101) or opened a CONNECT tunnel: bytes after the head are not HTTP. */
  upgraded!: boolean;
  /** The framing picked for the body. */
  framing!: Framing;
  /** Declared Content-Length, or -1. */
  contentLength!: number;

  #handler: ParserHandler;
  #limits: ParserLimits;
  #state!: S;
  #noBody: boolean;
  #connect: boolean;
  #pending!: Buffer | null;
  #headBytes!: number;
  #fieldCount!: number;
  #interim: number;
  #remaining!: number;
  #bodyBytes!: number;
  /** What the framing fields of the current head say. */
  readonly #framing: HeadFraming;
  /** Index in `headers` of the last framing field's value, read when no fold line can follow any more; -1 when none. */
  #noteAt!: number;
  /** The previous response's header list: equal names and values reuse its strings (less memory per kept response). */
  #prev: string[];
  #prevReason: string;

  constructor(handler: ParserHandler, limits: ParserLimits = DEFAULT_LIMITS) {
    this.reason = '';
    this.headers = NO_PREV;
    this.#handler = handler;
    this.#limits = limits;
    this.#noBody = false;
    this.#connect = false;
    this.#interim = 0;
    this.#prev = NO_PREV;
    this.#prevReason = '';
    this.#framing = new HeadFraming();
    this.#startHead();
  }

  /**
   * Prepare for the response to a new request.
   * @param method the request method: `HEAD` means no body, `CONNECT` a tunnel on 2xx.
   * @param limits limits for this response (defaults to the constructor's).
   */
  reset(method: string, limits?: ParserLimits): void {
    if (limits !== undefined) this.#limits = limits;
    this.#noBody = method === 'HEAD';
    this.#connect = method === 'CONNECT';
    this.#interim = 0;
    this.#startHead();
  }

  /** Every per-message field to its start value (the constructor's too: one list of them). */
  #startHead(): void {
    if (this.headers.length > 0) this.#prev = this.headers;
    if (this.reason !== '') this.#prevReason = this.reason;
    this.status = 0;
    this.reason = '';
    this.version = '1.1';
    this.headers = [];
    this.trailers = null;
    this.keepAlive = true;
    this.keepAliveTimeoutMs = -1;
    this.upgraded = false;
    this.framing = Framing.None;
    this.contentLength = -1;
    this.#state = S.Status;
    this.#pending = null;
    this.#headBytes = 0;
    this.#fieldCount = 0;
    this.#remaining = 0;
    this.#bodyBytes = 0;
    this.#noteAt = -1;
    this.#framing.reset();
  }

  /** Whether the current message is complete. */
  get complete(): boolean {
    return this.#state === S.Done;
  }

  /** Whether any byte of the current response has been received. */
  get started(): boolean {
    return this.#state !== S.Status || this.#pending !== null || this.#headBytes > 0 || this.#interim > 0;
  }

  /** Whether the head has been delivered and the body is being read. */
  get inBody(): boolean {
    return this.#state > S.Header && this.#state !== S.Done;
  }

  /**
   * Feed bytes. Returns how many were consumed: all of them, unless the
   * message completed inside `data`, in which case the rest (e.g. the first
   * bytes of an upgraded protocol) is left for the caller.
   * @throws InvalidResponseError on malformed input, LimitExceededError on a limit.
   */
  execute(data: Uint8Array): number {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const len = buf.length;
    let pos = 0;
    while (pos < len) {
      switch (this.#state) {
        case S.BodyLength: {
          const n = Math.min(this.#remaining, len - pos);
          this.#remaining -= n;
          const chunk = pos === 0 && n === len ? buf : buf.subarray(pos, pos + n);
          pos += n;
          this.#handler.onBody(chunk);
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case S.ChunkData: {
          const n = Math.min(this.#remaining, len - pos);
          this.#remaining -= n;
          const chunk = buf.subarray(pos, pos + n);
          pos += n;
          this.#handler.onBody(chunk);
          if (this.#remaining === 0) this.#state = S.ChunkDataEnd;
          break;
        }
        case S.BodyClose: {
          const chunk = pos === 0 ? buf : buf.subarray(pos);
          this.#countBody(chunk.length);
          pos = len;
          this.#handler.onBody(chunk);
          break;
        }
        case S.Done:
          return pos;
        default:
          pos = this.#lines(buf, pos);
      }
    }
    return pos;
  }

  /**
   * The connection reached EOF. Returns true when that completes the message
   * (a close-delimited body); false when the message is incomplete.
   */
  finish(): boolean {
    if (this.#state === S.BodyClose) {
      this.#finish();
      return true;
    }
    return this.#state === S.Done;
  }

  #countBody(n: number): void {
    this.#bodyBytes += n;
    if (this.#bodyBytes > this.#limits.maxBodyBytes) throw bodyTooLarge(this.#limits);
  }

  #finish(): void {
    this.#state = S.Done;
    this.#handler.onComplete(this);
  }

  /** Consume complete lines from `buf` starting at `pos` while in a line-oriented state. */
  #lines(buf: Buffer, pos: number): number {
    const len = buf.length;
    while (pos < len) {
      const state = this.#state;
      if (state !== S.Status && state !== S.Header && state !== S.ChunkSize && state !== S.ChunkDataEnd && state !== S.Trailer) {
        return pos;
      }
      const nl = buf.indexOf(10, pos);
      const isHead = state === S.Status || state === S.Header || state === S.Trailer;
      const limit = isHead ? this.#limits.maxHeaderBytes : MAX_CHUNK_LINE;
      if (nl === -1) {
        const pendingLen = (this.#pending === null ? 0 : this.#pending.length) + (len - pos);
        if ((isHead ? this.#headBytes : 0) + pendingLen > limit) this.#lineTooLong(isHead);
        const rest = buf.subarray(pos);
        this.#pending = this.#pending === null ? Buffer.from(rest) : Buffer.concat([this.#pending, rest]);
        return len;
      }
      let line: Buffer;
      let s: number;
      let e: number;
      if (this.#pending !== null) {
        line = Buffer.concat([this.#pending, buf.subarray(pos, nl)]);
        this.#pending = null;
        s = 0;
        e = line.length;
      } else {
        line = buf;
        s = pos;
        e = nl;
      }
      const lineBytes = e - s + 1;
      if (isHead) {
        this.#headBytes += lineBytes;
        if (this.#headBytes > limit) this.#lineTooLong(true);
      } else if (lineBytes > limit) this.#lineTooLong(false);
      pos = nl + 1;
      if (e > s && line[e - 1] === 13) e--;
      switch (state) {
        case S.Status:
          // Empty lines before the status line are tolerated (robustness, §2.2).
          if (e !== s) this.#statusLine(line, s, e);
          break;
        case S.Header:
          if (e === s) this.#endOfHead();
          else this.#field(line, s, e, this.headers);
          break;
        case S.ChunkSize:
          this.#chunkSize(line, s, e);
          break;
        case S.ChunkDataEnd:
          if (e !== s) throw new InvalidResponseError('chunk data not followed by CRLF');
          this.#state = S.ChunkSize;
          break;
        case S.Trailer:
          if (e === s) this.#finish();
          else this.#field(line, s, e, this.trailers!);
          if (this.#state === S.Done) return pos;
          break;
      }
      if (this.#state === S.Done) return pos;
    }
    return pos;
  }

  #lineTooLong(isHead: boolean): never {
    if (isHead) throw headTooLarge(this.#limits);
    throw new InvalidResponseError(`chunk size line longer than ${MAX_CHUNK_LINE} bytes`);
  }

  #statusLine(b: Buffer, s: number, e: number): void {
    this.version = statusVersion(b, s, e);
    this.status = statusCode(b, s, e);
    if (e > s + 13) this.reason = reasonOf(b, s + 13, e, this.#prevReason);
    this.#state = S.Header;
  }

  #field(b: Buffer, s: number, e: number, list: string[]): void {
    if (isOws(b[s]!)) {
      foldInto(list, b, s, e);
      return;
    }
    if (this.#noteAt !== -1) this.#note();
    const i = fieldNameEnd(b, s, e);
    if (++this.#fieldCount > this.#limits.maxHeaderCount) throw tooManyFields(this.#limits);
    const prev = list === this.headers ? this.#prev : NO_PREV;
    const k = list.length;
    const name = reuse(b, s, i, prev[k]);
    list.push(name, fieldValue(b, i + 1, e, prev[k + 1]));
    // Trailer fields never affect framing or persistence (RFC 9110 §6.5.1).
    // Lengths of content-length, transfer-encoding, connection / keep-alive: most names skip #note.
    const n = name.length;
    if (list === this.headers && (n === 14 || n === 17 || n === 10)) this.#noteAt = k + 1;
  }

  /** Record the framing-relevant field at {@link #noteAt}, its value now whole (obs-fold joined). */
  #note(): void {
    const vi = this.#noteAt;
    this.#noteAt = -1;
    this.#framing.note(this.headers[vi - 1]!, this.headers[vi]!, this.#connect && this.status >= 200 && this.status < 300);
  }

  #endOfHead(): void {
    if (this.#noteAt !== -1) this.#note();
    const status = this.status;
    if (status < 200 && status !== 101) {
      // Interim response (100 Continue, 103 Early Hints, …): skip it (RFC 9110 §15.2).
      if (++this.#interim > MAX_INTERIM) throw new InvalidResponseError(`more than ${MAX_INTERIM} interim responses`);
      this.#startHead();
      return;
    }
    const f = this.#framing;
    this.framing = f.decide(status, this.version, this.#noBody, this.#connect, this.#limits.maxBodyBytes);
    this.keepAlive = f.keepAlive;
    this.upgraded = f.upgraded;
    this.contentLength = f.contentLength;
    this.keepAliveTimeoutMs = f.keepAliveTimeoutMs;
    // Hand out either the previous response's list, when every field is the
    // same string (they were reused above), or an exact-size copy (a list
    // grown by push() keeps spare capacity for as long as a response lives).
    // Lists handed out are never mutated by reqivo: Response and
    // StreamResponse copy before giving users a mutable Headers.
    const list = this.headers;
    this.headers = sameList(list, this.#prev) ? this.#prev : list.slice();
    this.#handler.onHead(this);
    switch (this.framing) {
      case Framing.None:
        this.#finish();
        break;
      case Framing.Length:
        if (this.contentLength === 0) this.#finish();
        else {
          this.#remaining = this.contentLength;
          this.#state = S.BodyLength;
        }
        break;
      case Framing.Chunked:
        this.#state = S.ChunkSize;
        break;
      case Framing.Close:
        this.#state = S.BodyClose;
        break;
    }
  }

  #chunkSize(b: Buffer, s: number, e: number): void {
    const size = chunkSizeOf(b, s, e);
    if (size === 0) {
      this.trailers = [];
      this.#fieldCount = 0;
      this.#headBytes = 0;
      this.#state = S.Trailer;
      return;
    }
    this.#countBody(size);
    this.#remaining = size;
    this.#state = S.ChunkData;
  }

  /** Drop state and buffers (e.g. when the connection is destroyed). */
  destroy(): void {
    this.#pending = null;
    this.headers = [];
    this.trailers = null;
    this.#state = S.Done;
  }
}
