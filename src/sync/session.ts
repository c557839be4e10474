/**
 * {@link SyncSession}: reqivo's Session behind a blocking API. Each
 * SyncSession owns one worker thread running a real Session, so connections,
 * cookies and TLS sessions persist across calls; each call hands the request
 * over (shared slot, or postMessage) and blocks in `Atomics.wait` until the
 * response has crossed the shared window (see protocol.ts).
 * @module
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { attachRequest } from '../errors.js';
import { InvalidRequestError, ReqivoError, RequestError, Response, TimeoutError } from '../index.js';
import { type WireError, rebuildError, SyncWorkerError } from './errors.js';
import {
  BEAT,
  BODY,
  CALLER_SPIN_MISSES,
  CALLER_SPIN_US,
  Channel,
  DEAD,
  DEFAULT_WINDOW_BYTES,
  END,
  ERROR,
  EMPTY,
  FULL,
  decodeHead,
  encodeShort,
  FORM_JSON,
  FORM_SHORT,
  HEAD,
  HEAD_TEXT,
  ID,
  plainJson,
  RECORD_HEADER,
  REQ_BYTES,
  REQ_FORM,
  REQ_LEN,
  type RequestMessage,
  SLOT,
  SLOT_EMPTY,
  SLOT_FULL,
  SpinBackoff,
  SPIN_HINT,
  NEXT_WAIT_US,
  STATE,
  USED,
  type WireHead,
  type WorkerInit,
} from './protocol.js';
import { startWorker } from './spawn.js';
import { DEFAULT_TOTAL_MS, requestToWire, sessionOptionsToWire, setsTotal, type SyncRequestOptions, type SyncSessionOptions, totalOf } from './wire.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);

const UTF8 = new TextEncoder();
/** Longest wait for a worker to start (load reqivo, build its Session). */
const STARTUP_MS = 15_000;
/** A busy worker whose heartbeat stood still this long is taken for hung or dead. */
const DEFAULT_LIVENESS_MS = 5_000;
/** The caller sleeps at most this long between liveness checks. */
const SLICE_MS = 200;
/** Bodies of a known length up to this size are written into one buffer as they arrive (larger: parts, joined at the end). */
const PREALLOC_MAX = 256 * 2 ** 20;
/** How long close() waits for the worker to close its Session and exit. */
const CLOSE_WAIT_MS = 1_000;
/** Whether this thread may spin for an answer (see {@link CALLER_SPIN_US}): not on one CPU. */
const CAN_SPIN = availableParallelism() > 1;

/** Spin until the window is full or `until` (a `performance.now()` time) has passed; returns whether it filled. */
function spinUntilFull(ctl: Int32Array, until: number): boolean {
  for (let k = 1; ; k++) {
    if (Atomics.load(ctl, STATE) !== EMPTY) return true;
    if ((k & 63) === 0 && performance.now() >= until) return false;
  }
}

/**
 * Knobs for tests and benchmarks, not part of the API.
 * @internal
 */
export interface SyncInternals {
  /** Bytes of the shared window. */
  windowBytes?: number;
  /** Heartbeat silence taken for a dead worker, in ms. */
  livenessMs?: number;
  /** Worker script to run instead of worker.js (it must import worker.js). */
  workerUrl?: URL;
  /** The total deadline of a call whose options set none, in ms (default 5 minutes). */
  defaultTotalMs?: number;
  /** How long the caller spins before it blocks, in µs (default {@link CALLER_SPIN_US}; 0: never). */
  callerSpinUs?: number;
}

/** The caller's margin over the worker's own total timeout, so that the worker's (better named) error arrives first. */
function margin(total: number): number {
  return 1_000 + total / 10;
}

/** Collects body parts copied out of the window. */
class BodyBuilder {
  #whole: Buffer | null;
  #parts: Buffer[];
  #length: number;
  constructor(expected: number) {
    this.#whole = expected > 0 && expected <= PREALLOC_MAX ? Buffer.allocUnsafe(expected) : null;
    this.#parts = [];
    this.#length = 0;
  }
  add(bytes: Uint8Array): void {
    const whole = this.#whole;
    if (whole !== null && this.#length + bytes.byteLength <= whole.byteLength) whole.set(bytes, this.#length);
    else {
      if (whole !== null) {
        this.#parts.push(whole.subarray(0, this.#length));
        this.#whole = null;
      }
      this.#parts.push(Buffer.from(bytes));
    }
    this.#length += bytes.byteLength;
  }
  finish(): Buffer {
    if (this.#whole !== null) return this.#whole.subarray(0, this.#length);
    return this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#length);
  }
}

/** What one exchange over the channel gathered. */
class Exchange {
  headParts: Uint8Array[] = [];
  head: WireHead | null = null;
  error: Uint8Array[] = [];
  body: BodyBuilder | null = null;
  done = false;
}

function joinJson<T>(parts: Uint8Array[]): T {
  return JSON.parse(Buffer.concat(parts).toString('utf8')) as T;
}

function refuseInsideWorker(): void {
  if ((globalThis as Record<symbol, unknown>)[Symbol.for('reqivo.sync.worker')] === true) {
    throw new ReqivoError('reqivo/sync cannot be used inside its own worker thread: the call would wait for itself');
  }
}

/**
 * A blocking HTTP session: `s.get(url)` returns a {@link Response}. Not for
 * servers: every call blocks the calling thread's event loop until it ends.
 * A SyncSession belongs to the thread that made it; each thread makes its own.
 */
export class SyncSession {
  readonly #worker: Worker;
  readonly #channel: Channel;
  readonly #total: number;
  /** Whether the session's options set a total timeout (then the worker's Session enforces it; else only this side's wait does). */
  readonly #workerTotal: boolean;
  readonly #livenessMs: number;
  readonly #baseUrl: string | null;
  #nextId: number;
  #closed: boolean;
  /** Id of the last request sent through the slot. */
  #slotId: number;
  /** When the last call returned (for the worker's spin hint). */
  #answeredAt: number;
  /** Why the worker is gone, once it is. */
  #failure: SyncWorkerError | null;
  /** When this side spins before it blocks (see {@link CALLER_SPIN_US}); null: never. */
  readonly #spin: SpinBackoff | null;
  /** {@link CALLER_SPIN_US} in ms (or the test's own). */
  readonly #spinMs: number;

  /**
   * Start the worker and wait until its Session exists: bad options throw
   * here (InvalidRequestError), as `new Session()` would.
   */
  constructor(options: SyncSessionOptions = {}, internal: SyncInternals = {}) {
    refuseInsideWorker();
    if (options === null || typeof options !== 'object') throw new InvalidRequestError('session options must be an object');
    const wire = sessionOptionsToWire(options);
    this.#channel = new Channel(internal.windowBytes ?? DEFAULT_WINDOW_BYTES);
    this.#total = totalOf(options.timeout, internal.defaultTotalMs ?? DEFAULT_TOTAL_MS);
    this.#workerTotal = setsTotal(options.timeout);
    this.#livenessMs = internal.livenessMs ?? DEFAULT_LIVENESS_MS;
    this.#baseUrl = options.baseUrl !== undefined ? String(options.baseUrl) : null;
    this.#nextId = 1;
    this.#answeredAt = Number.NEGATIVE_INFINITY;
    this.#slotId = 0;
    this.#closed = false;
    this.#failure = null;
    this.#spinMs = (internal.callerSpinUs ?? CALLER_SPIN_US) / 1000;
    this.#spin = CAN_SPIN && this.#spinMs > 0 ? new SpinBackoff(CALLER_SPIN_MISSES) : null;
    const init: WorkerInit = { sab: this.#channel.sab, options: wire };
    try {
      this.#worker = startWorker(internal.workerUrl ?? WORKER_URL, init);
    } catch (err) {
      throw new InvalidRequestError(`session options cannot be sent to the reqivo/sync worker: ${(err as Error).message}`, { cause: err });
    }
    // Never keeps the process alive; its events (seen between calls) only record why it ended.
    this.#worker.unref();
    this.#worker.on('error', (err) => this.#closed || this.#fail(`the reqivo/sync worker failed: ${err.message}`, err));
    this.#worker.on('exit', (code) => this.#closed || this.#fail(`the reqivo/sync worker exited (code ${code})`, null));
    try {
      this.#receive(0, performance.now() + STARTUP_MS, 'START', () => 'reqivo/sync worker', STARTUP_MS);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Whether the session is closed: by {@link close}, or because its worker failed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Send a request and block until the whole response is in; throws reqivo's errors. */
  request(method: string, url: string | URL, opts: SyncRequestOptions = {}): Response {
    // Only an error names the request: the resolved URL is worked out then.
    const shown = (): string => this.#display(url);
    const m = typeof method === 'string' ? method.toUpperCase() : String(method);
    if (this.#failure !== null) {
      throw new SyncWorkerError('the session is closed: its worker failed earlier', { cause: this.#failure, method: m, url: shown() });
    }
    if (this.#closed) throw new RequestError('the session is closed', { method: m, url: shown() });
    if (opts === null || typeof opts !== 'object') throw new InvalidRequestError('request options must be an object', { method: m, url: shown() });
    const id = this.#nextId;
    this.#nextId = id >= 0x7fffffff ? 1 : id + 1;
    const transfer: ArrayBuffer[] = [];
    try {
      const msg = requestToWire(id, m, String(url), opts, transfer);
      if (transfer.length > 0 || !this.#sendInSlot(msg)) this.#worker.postMessage(msg, transfer);
    } catch (err) {
      if (err instanceof ReqivoError) throw attachRequest(err, m, shown());
      throw new InvalidRequestError(`request options cannot be sent to the reqivo/sync worker: ${(err as Error).message}`, {
        cause: err,
        method: m,
        url: shown(),
      });
    }
    const total = totalOf(opts.timeout, this.#total);
    // A total the worker's Session enforces gets a margin, so that its (better named) error comes first; the default total is this wait's alone.
    const byWorker = this.#workerTotal || setsTotal(opts.timeout);
    const ex = this.#receive(id, performance.now() + total + (byWorker ? margin(total) : 0), m, shown, total);
    this.#answeredAt = performance.now();
    const h = ex.head!;
    const res = new Response(h.status, h.reason, h.httpVersion, h.headers, h.url, ex.body?.finish() ?? Buffer.alloc(0), h.method);
    if (h.redirects.length > 0) res.redirects = h.redirects;
    return res;
  }

  /** GET `url`. */
  get(url: string | URL, opts?: SyncRequestOptions): Response {
    return this.request('GET', url, opts);
  }
  /** HEAD `url`. */
  head(url: string | URL, opts?: SyncRequestOptions): Response {
    return this.request('HEAD', url, opts);
  }
  /** OPTIONS `url`. */
  options(url: string | URL, opts?: SyncRequestOptions): Response {
    return this.request('OPTIONS', url, opts);
  }
  /** DELETE `url`. */
  delete(url: string | URL, opts?: SyncRequestOptions): Response {
    return this.request('DELETE', url, opts);
  }
  /** POST to `url`. */
  post(url: string | URL, opts?: SyncRequestOptions): Response {
    return this.request('POST', url, opts);
  }
  /** PUT to `url`. */
  put(url: string | URL, opts?: SyncRequestOptions): Response {
    return this.request('PUT', url, opts);
  }
  /** PATCH `url`. */
  patch(url: string | URL, opts?: SyncRequestOptions): Response {
    return this.request('PATCH', url, opts);
  }

  /** Close the worker's Session (its connections) and end the worker; later calls throw. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const { ctl } = this.#channel;
    if (Atomics.load(ctl, DEAD) === 0 && this.#failure === null) {
      this.#worker.postMessage({ t: 'close' });
      Atomics.wait(ctl, DEAD, 0, CLOSE_WAIT_MS);
    }
    this.#worker.terminate().catch(() => {});
  }

  /** Same as {@link close}; enables `using s = new SyncSession()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Write `msg` into the request slot and wake the worker; false when it
   * cannot go that way (not plain JSON, too big, the slot's last request not
   * yet copied out by a busy worker): then it goes by postMessage.
   */
  #sendInSlot(msg: RequestMessage): boolean {
    const { ctl, req } = this.#channel;
    if (Atomics.load(ctl, SLOT) !== SLOT_EMPTY) return false;
    const short = encodeShort(msg);
    if (short === null && !plainJson(msg)) return false;
    const text = short ?? JSON.stringify(msg);
    if (text.length > REQ_BYTES) return false;
    const { read, written } = UTF8.encodeInto(text, req);
    if (read < text.length) return false;
    Atomics.store(ctl, SPIN_HINT, performance.now() - this.#answeredAt < NEXT_WAIT_US / 1000 ? 1 : 0);
    Atomics.store(ctl, REQ_FORM, short !== null ? FORM_SHORT : FORM_JSON);
    Atomics.store(ctl, REQ_LEN, written);
    Atomics.store(ctl, SLOT, SLOT_FULL);
    Atomics.notify(ctl, SLOT);
    this.#slotId = msg.id;
    return true;
  }

  #display(url: string | URL): string {
    try {
      return new URL(String(url), this.#baseUrl ?? undefined).href;
    } catch {
      return String(url);
    }
  }

  #fail(message: string, cause: unknown): SyncWorkerError {
    if (this.#failure === null) {
      const note = this.#channel.readNote();
      const why = cause ?? (note !== null ? new Error(note) : undefined);
      this.#failure = new SyncWorkerError(message, why !== undefined ? { cause: why } : undefined);
      this.#closed = true;
      this.#worker.terminate().catch(() => {});
    }
    return this.#failure;
  }

  /**
   * Block until exchange `id` is complete, skipping what the window holds for
   * requests given up on; throws the error the worker sent.
   */
  #receive(id: number, deadline: number, method: string, url: () => string, total: number): Exchange {
    const { ctl } = this.#channel;
    const ex = new Exchange();
    let beat = Atomics.load(ctl, BEAT);
    let beatAt = performance.now();
    for (;;) {
      if (Atomics.load(ctl, STATE) === FULL) {
        try {
          if (Atomics.load(ctl, ID) === id) this.#take(ex);
        } finally {
          Atomics.store(ctl, STATE, EMPTY);
          Atomics.notify(ctl, STATE);
        }
        if (!ex.done) continue;
        if (ex.error.length > 0) throw rebuildError(joinJson<WireError>(ex.error));
        return ex;
      }
      if (Atomics.load(ctl, DEAD) === 1 || this.#failure !== null) throw this.#workerError(`the reqivo/sync worker exited`, method, url());
      const now = performance.now();
      if (now >= deadline) {
        if (id === 0) throw this.#workerError(`the reqivo/sync worker did not start within ${total} ms`, method, url());
        // Still in the slot, unseen: taken back, the worker never sends it. Else the worker has it: cancel.
        const retracted = this.#slotId === id && Atomics.compareExchange(ctl, SLOT, SLOT_FULL, SLOT_EMPTY) === SLOT_FULL;
        if (!retracted) this.#worker.postMessage({ t: 'cancel', id });
        throw new TimeoutError(`no response from the reqivo/sync worker within the total timeout of ${total} ms`, { method, url: url(), timeoutMs: total });
      }
      const b = Atomics.load(ctl, BEAT);
      if (b !== beat) {
        beat = b;
        beatAt = now;
      } else if (now - beatAt > this.#livenessMs && id !== 0) {
        throw this.#workerError(`the reqivo/sync worker stopped responding (no heartbeat for ${this.#livenessMs} ms)`, method, url());
      }
      const spin = this.#spin;
      if (spin !== null && spin.spins()) {
        if (spinUntilFull(ctl, Math.min(now + this.#spinMs, deadline))) {
          spin.hit();
          continue;
        }
        spin.miss();
      }
      // A negative timeout (the spin ran into the deadline) waits not at all.
      Atomics.wait(ctl, STATE, EMPTY, Math.min(SLICE_MS, deadline - performance.now()));
    }
  }

  /** A SyncWorkerError for this request; the session is unusable from now on. */
  #workerError(message: string, method: string, url: string): SyncWorkerError {
    const failure = this.#fail(message, null);
    return new SyncWorkerError(failure.message, { cause: failure.cause, method, url });
  }

  /** Copy the window's records into `ex`. */
  #take(ex: Exchange): void {
    const { window, view, ctl, buf } = this.#channel;
    const used = Atomics.load(ctl, USED);
    let off = 0;
    while (off < used) {
      const kind = view.getUint32(off, true);
      const len = view.getUint32(off + 4, true);
      const bytes = window.subarray(off + RECORD_HEADER, off + RECORD_HEADER + len);
      off += RECORD_HEADER + len;
      if (kind !== HEAD && ex.head === null && ex.headParts.length > 0) ex.head = joinJson<WireHead>(ex.headParts);
      if (kind === BODY) {
        ex.body ??= new BodyBuilder(ex.head?.length ?? -1);
        ex.body.add(bytes);
      } else if (kind === HEAD_TEXT) {
        ex.head = decodeHead(buf.toString('latin1', off - len, off));
        if (ex.head === null) throw new ReqivoError('reqivo/sync: the worker sent a malformed response head');
      } else if (kind === HEAD) ex.headParts.push(bytes.slice());
      else if (kind === ERROR) ex.error.push(bytes.slice());
      else if (kind === END) ex.done = true;
    }
  }}
