/**
 * Server-sent events, sans-I/O: {@link SseParser} turns the bytes of a
 * `text/event-stream` body, fed in chunks split anywhere, into
 * {@link ServerSentEvent}s exactly as the WHATWG HTML standard's
 * "Parsing an event stream" (§9.2.6) and "Interpreting an event stream"
 * rules say — UTF-8 decoded with one leading BOM dropped; lines ended by
 * CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of the
 * next are one line end); `:` comments; `data` lines joined with LF; `id`
 * carried to later events unless it holds a NUL, and committed as the
 * stream's last event ID only when its event is dispatched (so an `id` in an
 * event cut off by the end of the stream is not sent on reconnection);
 * `retry` only when all ASCII digits; an event dispatched on a blank line,
 * the incomplete one at the end of the stream discarded. No socket, no
 * timer: the reconnecting client is in event-source.ts.
 * @module
 */
import { TextDecoder } from 'node:util';
import { LimitExceededError } from '../errors.js';

/** One dispatched event. */
export interface ServerSentEvent {
  /** Event type: the `event` field, `'message'` when absent. */
  readonly event: string;
  /** The `data` lines joined with `\n`. */
  readonly data: string;
  /** The last event ID as of this event (carried from earlier events; `''` for none). */
  readonly id: string;
  /** Reconnection time (ms) a `retry` field of this event set, else null. */
  readonly retry: number | null;
}

/** Options of {@link SseParser}. */
export interface SseParserOptions {
  /**
   * Longest line accepted, in UTF-8 bytes (default 1 MiB); a longer one fails with LimitExceededError.
   * The data of one event (its `data` lines together) is bounded by 16 times it.
   */
  maxLineBytes?: number;
}

/** Default longest line: generous for LLM streams that put a whole JSON chunk on one `data:` line. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/**
 * The data of one event may be this many times `maxLineBytes` (16 MiB by
 * default): a stream of `data:` lines that never ends its event must not grow
 * without bound.
 */
export const EVENT_LINES = 16;

const LF = 10;
const CR = 13;

/** The event stream parser; see the module doc. */
export class SseParser {
  /** The reconnection time the stream asked for (ms), or null when it never sent a valid `retry`. */
  retry: number | null;
  /** The last event ID string (WHATWG): set when an event is dispatched. */
  #lastId: string;
  /** The last event ID buffer: set by `id` lines, committed to #lastId on dispatch. */
  #idBuffer: string;
  readonly #maxLine: number;
  readonly #decoder: TextDecoder;
  /** The line read so far (no line end yet). */
  #line: string;
  /** The previous chunk ended with CR: an LF first in this one belongs to it. */
  #afterCR: boolean;
  #data: string;
  #hasData: boolean;
  #event: string;
  #eventRetry: number | null;

  constructor(options: SseParserOptions = {}) {
    this.#lastId = '';
    this.#idBuffer = '';
    this.retry = null;
    this.#maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    // fatal: false: a bad sequence becomes U+FFFD, as the standard's "UTF-8 decode" does; one BOM is dropped.
    this.#decoder = new TextDecoder('utf-8');
    this.#line = '';
    this.#afterCR = false;
    this.#data = '';
    this.#hasData = false;
    this.#event = '';
    this.#eventRetry = null;
  }

  /**
   * The last event ID (WHATWG "last event ID string"): that of the last
   * dispatched event, carried across events and connections; seed it with
   * the ID of an earlier connection.
   */
  get lastEventId(): string {
    return this.#lastId;
  }

  set lastEventId(id: string) {
    this.#lastId = id;
    this.#idBuffer = id;
  }

  /** Feed the next body bytes; returns the events they complete (often none). */
  feed(chunk: Uint8Array): ServerSentEvent[] {
    return this.#text(this.#decoder.decode(chunk, { stream: true }));
  }

  /** The body ended: the events still in the decoder; an event without its blank line is discarded. */
  end(): ServerSentEvent[] {
    const out = this.#text(this.#decoder.decode());
    this.#idBuffer = this.#lastId;
    this.#line = '';
    this.#afterCR = false;
    this.#data = '';
    this.#hasData = false;
    this.#event = '';
    this.#eventRetry = null;
    return out;
  }

  #text(s: string): ServerSentEvent[] {
    const out: ServerSentEvent[] = [];
    let start = 0;
    let i = 0;
    if (this.#afterCR && s.length > 0) {
      this.#afterCR = false;
      if (s.charCodeAt(0) === LF) start = i = 1;
    }
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      const line = this.#line === '' ? s.slice(start, i) : this.#line + s.slice(start, i);
      this.#line = '';
      this.#checkLength(line);
      this.#process(line, out);
      if (c === CR) {
        if (i + 1 === s.length) this.#afterCR = true;
        else if (s.charCodeAt(i + 1) === LF) i++;
      }
      start = i + 1;
    }
    if (start < s.length) {
      this.#line += s.slice(start);
      this.#checkLength(this.#line);
    }
    return out;
  }

  #checkLength(line: string): void {
    // A string of n UTF-16 units is at most 3n UTF-8 bytes: count exactly only when it could be over.
    if (line.length * 3 > this.#maxLine && Buffer.byteLength(line, 'utf8') > this.#maxLine) {
      throw new LimitExceededError(`event stream line exceeds maxLineBytes (${this.#maxLine})`, { limit: 'maxLineBytes' });
    }
  }

  #checkEvent(): void {
    const max = this.#maxLine * EVENT_LINES;
    const d = this.#data;
    if (d.length * 3 > max && Buffer.byteLength(d, 'utf8') > max) {
      throw new LimitExceededError(`event stream event data exceeds ${EVENT_LINES} x maxLineBytes (${max})`, { limit: 'maxLineBytes' });
    }
  }

  #process(line: string, out: ServerSentEvent[]): void {
    if (line === '') {
      this.#dispatch(out);
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) return; // a comment
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'data':
        this.#data = this.#hasData ? `${this.#data}\n${value}` : value;
        this.#hasData = true;
        this.#checkEvent();
        break;
      case 'event':
        this.#event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.#idBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) {
          const ms = Number(value);
          this.retry = ms;
          this.#eventRetry = ms;
        }
        break;
      default:
      // Any other field is ignored (WHATWG).
    }
  }

  #dispatch(out: ServerSentEvent[]): void {
    const retry = this.#eventRetry;
    this.#eventRetry = null;
    this.#lastId = this.#idBuffer;
    if (!this.#hasData) {
      // No data: nothing is dispatched, but the event type buffer is reset all the same.
      this.#event = '';
      return;
    }
    out.push({ event: this.#event === '' ? 'message' : this.#event, data: this.#data, id: this.#lastId, retry });
    this.#data = '';
    this.#hasData = false;
    this.#event = '';
  }
}

/** Events of a body read as chunks: the parser over an async iterable of bytes. */
export async function* parseEvents(body: AsyncIterable<Uint8Array>, parser: SseParser): AsyncGenerator<ServerSentEvent> {
  for await (const chunk of body) {
    for (const ev of parser.feed(chunk)) yield ev;
  }
  for (const ev of parser.end()) yield ev;
}
