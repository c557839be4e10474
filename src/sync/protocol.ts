/**
 * The channel between a blocked caller and its reqivo/sync worker: the
 * layout of the `SharedArrayBuffer` and the messages each side sends.
 *
 * Caller → worker: a request whose message is plain JSON data (the usual
 * case: method, URL, headers, a string body) is written into the request
 * slot — as `id NUL method NUL url` when it has no options ({@link encodeShort}),
 * else as JSON — {@link SLOT} set to full and notified. An idle worker waits
 * on that word with `Atomics.waitAsync`; a busy one has no wait pending (so
 * the notify costs the caller nothing) and, right after answering, spins on
 * it for a few µs (the next call of a sequential script comes at once). Any
 * other request (bytes, Blob, FormData, a slot not yet copied out) goes by
 * `postMessage` (structured clone). Worker → caller: records written into a
 * shared window, handed over with one state word:
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
const NOTE_LEN = 5;
/** Request slot state: {@link SLOT_EMPTY}, {@link SLOT_FULL} or {@link SLOT_TAKING}; the worker waits on it. */
export const SLOT = 6;
/** Request slot: bytes of the request written there. */
export const REQ_LEN = 7;
/** Request slot: how the request is written, {@link FORM_JSON} or {@link FORM_SHORT}. */
export const REQ_FORM = 8;
/** {@link REQ_FORM}: the {@link RequestMessage} as JSON. */
export const FORM_JSON = 0;
/** {@link REQ_FORM}: a request without options as `id NUL method NUL url` ({@link encodeShort}). */
export const FORM_SHORT = 1;
/** {@link SLOT}: free for the caller to write. */
export const SLOT_EMPTY = 0;
/**
 * {@link SLOT}: holds a request. The worker claims it by compare-exchange to
 * {@link SLOT_TAKING}; a caller giving up on it takes it back by
 * compare-exchange to {@link SLOT_EMPTY}, so a request is either run or
 * never seen by the worker.
 */
export const SLOT_FULL = 1;
/** {@link SLOT}: the worker is copying the request out. */
export const SLOT_TAKING = 2;
/**
 * 1 when the caller's last call came quickly after the previous answer, so
 * the worker waits for the next one after answering (see {@link NEXT_WAIT_US}).
 */
export const SPIN_HINT = 9;
const CTL_WORDS = 12;

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
/**
 * Record: the whole response head as latin1 text, fields joined by NUL:
 * status, reason, httpVersion, url, method, length, redirect count, the
 * redirects, then header names and values (see {@link encodeHead}). Sent when
 * it fits the window and no field holds a NUL or a character above U+00FF
 * (a parsed head never does); otherwise the head goes as JSON in {@link HEAD}.
 */
export const HEAD_TEXT = 6;
/** Bytes of a record header: kind and length. */
export const RECORD_HEADER = 8;

/**
 * When the caller's calls come back to back, the worker does not return to
 * its event loop after answering: it spins on {@link SLOT} this long, then
 * blocks on it in `Atomics.wait` for up to {@link NEXT_WAIT_US}. A request
 * caught so skips the slow wake-up of an idle worker (an `Atomics.waitAsync`
 * task, an event-loop turn). The spin keeps a quiet machine's CPUs awake (a
 * sleeping virtual CPU is slow to wake); on a loaded one it can keep the
 * very caller it waits for off the CPU, hence {@link SPIN_BACKOFF_MAX}. The
 * blocking wait costs no CPU and is woken by the caller's notify directly.
 */
export const SPIN_US = 40;
/**
 * Longest blocking wait for the next back-to-back call (see {@link SPIN_US}),
 * in µs; also the longest gap between the previous answer and the next call
 * that sets {@link SPIN_HINT}. The worker's event loop stalls at most this
 * long (plus the spin).
 */
export const NEXT_WAIT_US = 200;
/**
 * A spin that caught nothing makes the worker skip the spin after the next
 * answer, then the next 2, 4, … up to this many (the blocking wait still
 * follows each answer).
 */
export const SPIN_BACKOFF_MAX = 64;
/**
 * How long the caller spins on {@link STATE} before it blocks in
 * `Atomics.wait`, in µs. A thread blocked in a futex is woken by the kernel
 * (on a virtual machine an inter-processor interrupt, tens of µs); a spinning
 * one sees the answer at once. Measured on a 2-vCPU virtual machine, old and
 * new side by side: the SyncSession GET went from 1.99–2.08× the async
 * Session's latency to 1.01–1.30× (BENCHMARKS.md); the spin also keeps the
 * caller's virtual CPU from going idle, slow to wake. {@link CALLER_SPIN_MISSES} spins in a row
 * that caught nothing make the caller skip the spin for the next 1, 2, 4, …
 * waits up to {@link SPIN_BACKOFF_MAX}, so a slow server costs at most this
 * much CPU per that many calls. Never on a single CPU, where the spin would
 * keep the worker it waits for off it.
 */
export const CALLER_SPIN_US = 1000;
/**
 * Spins in a row that must catch nothing before the caller backs off (see
 * {@link CALLER_SPIN_US}). Not one: on the bench machine a fifth of the
 * answers to a ~400 µs GET come after the spin, and backing off at the first
 * miss let the CPU go idle and slowed the next ones (86 % missed, 1.4–2.2×).
 */
export const CALLER_SPIN_MISSES = 8;

/**
 * When a side spins before it blocks, and when it skips the spin: after
 * `missesBeforeBackoff` spins in a row that caught nothing, the next 1, 2, 4,
 * … up to {@link SPIN_BACKOFF_MAX} waits go without one; a spin that catches
 * something ends that. The worker backs off at its first miss (its spin can
 * keep the very caller it waits for off the CPU), the caller after
 * {@link CALLER_SPIN_MISSES}.
 */
export class SpinBackoff {
  readonly #missesBeforeBackoff: number;
  /** Spins in a row that caught nothing. */
  #misses: number;
  /** Waits left to go without a spin. */
  #skip: number;
  /** How many the next backing-off miss leaves. */
  #backoff: number;

  constructor(missesBeforeBackoff: number) {
    this.#missesBeforeBackoff = missesBeforeBackoff;
    this.#misses = 0;
    this.#skip = 0;
    this.#backoff = 0;
  }

  /** Whether this wait spins (false: block at once; counts a skipped wait). */
  spins(): boolean {
    if (this.#skip === 0) return true;
    this.#skip--;
    return false;
  }

  /** The spin caught what it waited for. */
  hit(): void {
    this.#misses = 0;
    this.#backoff = 0;
  }

  /** The spin ran out. */
  miss(): void {
    if (++this.#misses < this.#missesBeforeBackoff) return;
    this.#backoff = Math.min(SPIN_BACKOFF_MAX, this.#backoff * 2 || 1);
    this.#skip = this.#backoff;
  }
}
/** How often a busy worker bumps {@link BEAT}. */
export const BEAT_MS = 100;
/** Default shared window: 1 MiB. */
export const DEFAULT_WINDOW_BYTES = 1 << 20;
const NOTE_BYTES = 4096;
const NOTE_OFFSET = CTL_WORDS * 4;
/** Bytes of the request slot: a request message as JSON (UTF-8); bigger ones go by postMessage. */
export const REQ_BYTES = 16 * 1024;
const REQ_OFFSET = NOTE_OFFSET + NOTE_BYTES;
const WINDOW_OFFSET = REQ_OFFSET + REQ_BYTES;

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
  /** The same window as a Buffer, for latin1 text. */
  readonly buf: Buffer;
  /** The request slot. */
  readonly req: Buffer;

  constructor(sabOrWindowBytes: SharedArrayBuffer | number) {
    const sab = typeof sabOrWindowBytes === 'number' ? new SharedArrayBuffer(WINDOW_OFFSET + sabOrWindowBytes) : sabOrWindowBytes;
    this.sab = sab;
    this.ctl = new Int32Array(sab, 0, CTL_WORDS);
    this.window = new Uint8Array(sab, WINDOW_OFFSET);
    this.view = new DataView(sab, WINDOW_OFFSET);
    this.buf = Buffer.from(sab, WINDOW_OFFSET);
    this.req = Buffer.from(sab, REQ_OFFSET, REQ_BYTES);
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

const NUL_OR_WIDE = /[\0\u0100-\uffff]/;

/** The head as {@link HEAD_TEXT} text, or null when a field cannot travel that way (then it goes as JSON). */
export function encodeHead(h: WireHead): string | null {
  const fields = [String(h.status), h.reason, h.httpVersion, h.url, h.method, String(h.length), String(h.redirects.length), ...h.redirects, ...h.headers];
  return NUL_OR_WIDE.test(fields.join('')) ? null : fields.join('\0');
}

/** Inverse of {@link encodeHead}; null when the text is not a well-formed head. */
export function decodeHead(text: string): WireHead | null {
  const f = text.split('\0');
  if (f.length < 7) return null;
  const nRedirects = Number(f[6]);
  const start = 7 + nRedirects;
  if (!Number.isInteger(nRedirects) || nRedirects < 0 || start > f.length || (f.length - start) % 2 !== 0) return null;
  return {
    status: Number(f[0]),
    reason: f[1]!,
    httpVersion: f[2]!,
    url: f[3]!,
    method: f[4]!,
    length: Number(f[5]),
    redirects: f.slice(7, start),
    headers: f.slice(start),
  };
}

/**
 * A request without options (no headers, body, query, timeout…) as the
 * slot's {@link FORM_SHORT} text, or null when it has some or a field holds
 * a NUL: it then goes as JSON.
 */
export function encodeShort(m: RequestMessage): string | null {
  if (m.body !== null || m.query !== null || m.json !== null || m.file !== null || Object.keys(m.opts).length > 0) return null;
  return m.method.includes('\0') || m.url.includes('\0') ? null : `${m.id}\0${m.method}\0${m.url}`;
}

const NO_OPTS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** Inverse of {@link encodeShort}. */
export function decodeShort(text: string): RequestMessage {
  const a = text.indexOf('\0');
  const b = text.indexOf('\0', a + 1);
  return { t: 'req', id: Number(text.slice(0, a)), method: text.slice(a + 1, b), url: text.slice(b + 1), opts: NO_OPTS, body: null, query: null, json: null, file: null };
}

/** Whether `v` is JSON data that survives JSON.stringify/parse unchanged (no undefined, NaN, holes, class instances). */
export function plainJson(v: unknown, depth = 0): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (typeof v !== 'object' || depth > 16) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!plainJson(v[i], depth + 1)) return false;
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key of Object.keys(v)) if (!plainJson((v as Record<string, unknown>)[key], depth + 1)) return false;
  return true;
}
