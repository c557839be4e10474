/**
 * The channel between a blocked caller and its reqivo/sync worker: the
 * layout of the `SharedArrayBuffer` and the messages each side sends.
 *
 * Caller → worker: `postMessage` (structured clone), which a thread may send
 * just before it blocks in `Atomics.wait`. Worker → caller: records written
 * into a shared window, handed over with one state word:
 *
 * ```
 * worker: wait STATE == EMPTY → write records, ID, USED → STATE = FULL, notify
 * caller: wait STATE == FULL  → copy the records out     → STATE = EMPTY, notify
 * ```
 *
 * A response bigger than the window crosses in window-sized parts, so neither
 * side ever holds a second whole copy of it. A record is `kind` (u32), `len`
 * (u32) and `len` bytes; consecutive records of one kind concatenate.
 * @module
 */

/** Control word: {@link EMPTY} or {@link FULL}; both sides wait on it. */
export const STATE = 0;
/** Heartbeat counter, bumped by a busy worker every {@link BEAT_MS}. */
export const BEAT = 1;
/** 1 once the worker thread is exiting (set from its `exit` handler). */
export const DEAD = 2;
/** Request id the records in the window belong to. */
export const ID = 3;
/** Bytes of records in the window. */
export const USED = 4;
/** Bytes of the death note (the fatal error's stack), when there is one. */
export const NOTE_LEN = 5;
const CTL_WORDS = 8;

/** {@link STATE}: the window is the worker's to fill. */
export const EMPTY = 0;
/** {@link STATE}: the window holds records for the caller. */
export const FULL = 1;

/** Record: the worker's Session exists (start-up exchange). */
export const READY = 1;
/** Record: part of the response head as JSON ({@link WireHead}). */
export const HEAD = 2;
/** Record: body bytes. */
export const BODY = 3;
/** Record: part of an error as JSON (see errors.ts). */
export const ERROR = 4;
/** Record: the exchange is complete. */
export const END = 5;
/** Bytes of a record header: kind and length. */
export const RECORD_HEADER = 8;

/** How often a busy worker bumps {@link BEAT}. */
export const BEAT_MS = 100;
/** Default shared window: 1 MiB. */
export const DEFAULT_WINDOW_BYTES = 1 << 20;
const NOTE_BYTES = 4096;
const NOTE_OFFSET = CTL_WORDS * 4;
const WINDOW_OFFSET = NOTE_OFFSET + NOTE_BYTES;

/** Views over one channel's shared memory, the same layout on both sides. */
export class Channel {
  /** The shared memory (sent to the worker in `workerData`). */
  readonly sab: SharedArrayBuffer;
  /** Control words. */
  readonly ctl: Int32Array;
  /** The record window. */
  readonly window: Uint8Array;
  /** The same window, for record headers. */
  readonly view: DataView;

  constructor(sabOrWindowBytes: SharedArrayBuffer | number) {
    const sab = typeof sabOrWindowBytes === 'number' ? new SharedArrayBuffer(WINDOW_OFFSET + sabOrWindowBytes) : sabOrWindowBytes;
    this.sab = sab;
    this.ctl = new Int32Array(sab, 0, CTL_WORDS);
    this.window = new Uint8Array(sab, WINDOW_OFFSET);
    this.view = new DataView(sab, WINDOW_OFFSET);
  }

  /** Leave the fatal error's text for the caller (worker side, from a dying thread). */
  writeNote(text: string): void {
    const note = new Uint8Array(this.sab, NOTE_OFFSET, NOTE_BYTES);
    const { written } = new TextEncoder().encodeInto(text, note);
    Atomics.store(this.ctl, NOTE_LEN, written);
  }

  /** The death note, or null. */
  readNote(): string | null {
    const n = Atomics.load(this.ctl, NOTE_LEN);
    return n > 0 ? Buffer.from(this.sab, NOTE_OFFSET, n).toString('utf8') : null;
  }
}

/** What the worker gets in `workerData`. */
export interface WorkerInit {
  readonly sab: SharedArrayBuffer;
  /** Session options, already made cloneable by the caller. */
  readonly options: Record<string, unknown>;
}

/** A body as it crosses to the worker: cloneable forms of every accepted body type. */
export type WireBody =
  | string
  | Uint8Array
  | { readonly k: 'params'; readonly v: string }
  | { readonly k: 'chunks'; readonly v: readonly (string | Uint8Array)[] }
  | { readonly k: 'blob'; readonly v: Blob }
  | { readonly k: 'form-data'; readonly v: readonly (readonly [string, string | Blob, string | null])[] };

/** One request, caller → worker. `opts` holds the cloneable request options; body, query and file travel beside them. */
export interface RequestMessage {
  readonly t: 'req';
  readonly id: number;
  readonly method: string;
  readonly url: string;
  readonly opts: Record<string, unknown>;
  readonly body: WireBody | null;
  /** `query` as a string when it was URLSearchParams. */
  readonly query: string | null;
  /** JSON body, already serialised by the caller (so toJSON and errors behave as in reqivo). */
  readonly json: string | null;
  /** Path of a file to upload. */
  readonly file: string | null;
}

/** Caller → worker messages. */
export type ToWorker = RequestMessage | { readonly t: 'cancel'; readonly id: number } | { readonly t: 'close' };

/** The head of a response, worker → caller (JSON in a {@link HEAD} record). */
export interface WireHead {
  status: number;
  reason: string;
  httpVersion: string;
  url: string;
  method: string;
  /** Flat `[name, value, …]`. */
  headers: string[];
  redirects: string[];
  /** Exact body length when the worker knows it (Content-Length, nothing decoded), else -1. */
  length: number;
}
