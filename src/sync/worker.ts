/**
 * The reqivo/sync worker thread: one real {@link Session} (its pool, cookies
 * and TLS sessions live as long as the thread), fed requests through the
 * shared slot (or by postMessage), answering through the shared window of
 * {@link Channel}. Requests run one at
 * a time, in order: the caller is blocked on each anyway.
 * @module
 */
import { stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { InvalidRequestError, type RequestOptions, Session } from '../index.js';
import { serializeError } from './errors.js';
import {
  BEAT,
  BEAT_MS,
  BODY,
  Channel,
  DEAD,
  EMPTY,
  decodeShort,
  END,
  ERROR,
  FORM_SHORT,
  FULL,
  encodeHead,
  HEAD,
  HEAD_TEXT,
  ID,
  READY,
  RECORD_HEADER,
  REQ_FORM,
  REQ_LEN,
  type RequestMessage,
  SLOT,
  SLOT_EMPTY,
  SLOT_FULL,
  SLOT_TAKING,
  NEXT_WAIT_US,
  SpinBackoff,
  SPIN_HINT,
  SPIN_US,
  STATE,
  type ToWorker,
  USED,
  type WireBody,
  type WireHead,
  type WorkerInit,
} from './protocol.js';

/** Marks this thread, so that reqivo/sync refuses to block inside it. */
(globalThis as Record<symbol, unknown>)[Symbol.for('reqivo.sync.worker')] = true;

const init = workerData as WorkerInit;
const channel = new Channel(init.sab);
const { ctl } = channel;

process.on('uncaughtExceptionMonitor', (err) => channel.writeNote(err instanceof Error ? (err.stack ?? err.message) : String(err)));
process.on('exit', () => {
  Atomics.store(ctl, DEAD, 1);
  Atomics.notify(ctl, STATE);
  Atomics.notify(ctl, DEAD);
});

/**
 * Writes records into the window, waiting for the caller to empty it when
 * full. A record that fits a window the worker holds is written at once (no
 * promise, no microtask: the common case of a small response); only a full
 * window makes the writer wait.
 */
class Outbox {
  #used = 0;
  #id = 0;

  /** Whether `bytes` more bytes of record `id` can be written now. */
  #fits(id: number, bytes: number): boolean {
    if (this.#used > 0 ? id !== this.#id : Atomics.load(ctl, STATE) !== EMPTY) return false;
    return this.#used + RECORD_HEADER + bytes <= channel.window.byteLength;
  }

  #header(kind: number, n: number): void {
    channel.view.setUint32(this.#used, kind, true);
    channel.view.setUint32(this.#used + 4, n, true);
  }

  /** Append a record: at once (null) when it fits, else split over several windows (a promise). */
  put(id: number, kind: number, bytes: Uint8Array): Promise<void> | null {
    if (!this.#fits(id, bytes.byteLength)) return this.#putSlow(id, kind, bytes);
    this.#id = id;
    this.#header(kind, bytes.byteLength);
    channel.window.set(bytes, this.#used + RECORD_HEADER);
    this.#used += RECORD_HEADER + bytes.byteLength;
    return null;
  }

  /** Append latin1 text as one record (the caller reads it in one piece), or null when it does not fit now. */
  putText(id: number, kind: number, text: string): boolean {
    if (!this.#fits(id, text.length)) return false;
    this.#id = id;
    const n = channel.buf.write(text, this.#used + RECORD_HEADER, 'latin1');
    this.#header(kind, n);
    this.#used += RECORD_HEADER + n;
    return true;
  }

  async #putSlow(id: number, kind: number, bytes: Uint8Array): Promise<void> {
    if (id !== this.#id && this.#used > 0) await this.flush();
    this.#id = id;
    let off = 0;
    for (;;) {
      // A fresh window is ours only once the caller has copied the last one out.
      if (this.#used === 0) await windowEmpty();
      const room = channel.window.byteLength - this.#used - RECORD_HEADER;
      const left = bytes.byteLength - off;
      // No room even for the record header, or only a sliver of a partly filled window: hand it over first.
      if (room < 0 || (this.#used > 0 && room < left && room < 4096)) {
        await this.flush();
        continue;
      }
      const n = Math.min(room, left);
      this.#header(kind, n);
      channel.window.set(bytes.subarray(off, off + n), this.#used + RECORD_HEADER);
      this.#used += RECORD_HEADER + n;
      off += n;
      // A zero-length record (END) is written once too.
      if (off >= bytes.byteLength) return;
    }
  }

  /** Hand the window to the caller. */
  async flush(): Promise<void> {
    if (this.#used === 0) await windowEmpty();
    this.#hand();
  }

  /** Hand the window over now when it holds records (null), else wait for it first. */
  flushNow(): Promise<void> | null {
    if (this.#used === 0) return this.flush();
    this.#hand();
    return null;
  }

  #hand(): void {
    Atomics.store(ctl, ID, this.#id);
    Atomics.store(ctl, USED, this.#used);
    Atomics.store(ctl, STATE, FULL);
    Atomics.notify(ctl, STATE);
    this.#used = 0;
  }
}

/** `Atomics.waitAsync` (V8 since Node 16; typed only in lib ES2024). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

async function windowEmpty(): Promise<void> {
  while (Atomics.load(ctl, STATE) !== EMPTY) {
    const r = waitAsync(ctl, STATE, FULL);
    if (r.async) await r.value;
  }
}

const NOTHING = new Uint8Array(0);
const out = new Outbox();
const queue: RequestMessage[] = [];
let current: { id: number; abort: AbortController } | null = null;
let pumping = false;
let session: Session | null = null;

function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

function toBody(b: WireBody): RequestOptions['body'] {
  if (typeof b === 'string' || b instanceof Uint8Array) return b;
  switch (b.k) {
    case 'params':
      return new URLSearchParams(b.v);
    case 'chunks':
      return b.v;
    case 'blob':
      return b.v;
    case 'form-data': {
      const fd = new FormData();
      for (const [name, value, filename] of b.v) {
        if (typeof value === 'string') fd.append(name, value);
        else fd.append(name, value, filename ?? undefined);
      }
      return fd;
    }
  }
}

/** The request's options for the Session (no promise: a file upload has its own step, {@link addFile}). */
function optionsOf(m: RequestMessage, signal: AbortSignal): RequestOptions {
  const opts: RequestOptions = { ...m.opts, signal };
  if (m.query !== null) opts.query = new URLSearchParams(m.query);
  if (m.json !== null) opts.json = JSON.parse(m.json);
  if (m.body !== null) opts.body = toBody(m.body);
  return opts;
}

/** Make the file `path` the body of `opts`, with its size as Content-Length. */
async function addFile(m: RequestMessage, path: string, opts: RequestOptions): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new InvalidRequestError(`cannot read the file to upload: ${(err as Error).message}`, { cause: err, method: m.method, url: m.url });
  }
  // A stream with a Content-Length header goes out with that length, not chunked.
  const headers = (opts.headers as [string, string][] | undefined) ?? [];
  if (!headers.some(([n]) => n.toLowerCase() === 'content-length')) opts.headers = [...headers, ['content-length', String(size)]];
  opts.body = createReadStream(path);
}

function headOf(res: Awaited<ReturnType<Session['stream']>>, decompress: boolean): WireHead {
  const headers: string[] = [];
  for (const [name, value] of res.headers) headers.push(name, value);
  const cl = res.headers.get('content-length');
  const decoded = decompress && res.headers.has('content-encoding');
  const bodyless = res.method === 'HEAD' || res.status === 204 || res.status === 304;
  return {
    status: res.status,
    reason: res.reason,
    httpVersion: res.httpVersion,
    url: res.url,
    method: res.method,
    headers,
    redirects: [...res.redirects],
    length: bodyless ? 0 : cl !== null && /^\d+$/.test(cl) && !decoded ? Number(cl) : -1,
  };
}

/**
 * The abort controller of the request in flight. One serves request after
 * request (each exchange removes its listener when it ends); a cancelled
 * request's is replaced.
 */
let abort = new AbortController();

/** The head as one text record when it fits, else as JSON (split if it must be). */
function putHead(id: number, head: WireHead): Promise<void> | null {
  const text = encodeHead(head);
  if (text !== null && out.putText(id, HEAD_TEXT, text)) return null;
  return out.put(id, HEAD, utf8(JSON.stringify(head)));
}

/**
 * Test switch (not part of the API): called with each request as the worker
 * starts it, by test workers that import this module to fail on purpose.
 * @internal
 */
export const testing: { onRequest: ((m: RequestMessage) => void) | null } = { onRequest: null };

async function run(m: RequestMessage): Promise<void> {
  testing.onRequest?.(m);
  if (abort.signal.aborted) abort = new AbortController();
  const mine = abort;
  current = { id: m.id, abort: mine };
  try {
    if (session === null) throw new Error('the reqivo/sync worker has no session');
    const opts = optionsOf(m, mine.signal);
    if (m.file !== null) await addFile(m, m.file, opts);
    const res = await session.stream(m.method, m.url, opts);
    const head = putHead(m.id, headOf(res, opts.decompress ?? (init.options.decompress !== false)));
    if (head !== null) await head;
    for await (const chunk of res) {
      const p = out.put(m.id, BODY, chunk);
      if (p !== null) await p;
    }
  } catch (err) {
    // A request the caller gave up on answers nothing: the caller skips its id anyway.
    if (mine.signal.aborted) return;
    await out.put(m.id, ERROR, utf8(JSON.stringify(serializeError(err))));
  } finally {
    current = null;
  }
  const end = out.put(m.id, END, NOTHING);
  if (end !== null) await end;
  const flushed = out.flushNow();
  if (flushed !== null) await flushed;
}

/** Queue the request in the slot, if there is one (claimed first: the caller may be taking it back); frees the slot. */
function takeSlot(): boolean {
  if (Atomics.compareExchange(ctl, SLOT, SLOT_FULL, SLOT_TAKING) !== SLOT_FULL) return false;
  const text = channel.req.toString('utf8', 0, Atomics.load(ctl, REQ_LEN));
  const m = Atomics.load(ctl, REQ_FORM) === FORM_SHORT ? decodeShort(text) : (JSON.parse(text) as RequestMessage);
  Atomics.store(ctl, SLOT, SLOT_EMPTY);
  queue.push(m);
  return true;
}

/** When the worker spins after an answer: it backs off at the first spin that caught nothing. */
const spin = new SpinBackoff(1);

/**
 * After an answer, when the caller's calls come back to back: wait for the
 * next one here instead of going back to the event loop — a spin, then a
 * blocking `Atomics.wait` (see {@link SPIN_US}). A spin that catches nothing
 * (the caller was slower: on a loaded machine, often because this spin held
 * the CPU it needed) makes the next 1, 2, 4, … answers go without one; a
 * spin that catches one ends that.
 */
function waitForNext(): boolean {
  if (Atomics.load(ctl, SPIN_HINT) !== 1) return false;
  if (spin.spins()) {
    const until = performance.now() + SPIN_US / 1000;
    do
      if (takeSlot()) {
        spin.hit();
        return true;
      }
    while (performance.now() < until);
    spin.miss();
  }
  Atomics.wait(ctl, SLOT, SLOT_EMPTY, NEXT_WAIT_US / 1000);
  return takeSlot();
}

/** The heartbeat timer: set while there is work, cleared by its own tick once the worker is idle, so an idle worker never wakes. */
let beat: ReturnType<typeof setInterval> | null = null;

function tick(): void {
  if (pumping) Atomics.add(ctl, BEAT, 1);
  else {
    clearInterval(beat!);
    beat = null;
  }
}

/** Run queued requests in order. */
async function pump(): Promise<void> {
  pumping = true;
  beat ??= setInterval(tick, BEAT_MS);
  while (queue.length > 0 || waitForNext()) await run(queue.shift()!);
  pumping = false;
}

/**
 * Serve the slot. Idle, the worker waits for it asynchronously (the event
 * loop stays free); while it serves, no asynchronous wait is pending, so the
 * caller's notify wakes no event loop and the worker takes the next request
 * itself ({@link waitForNext}, or this loop's check before it waits again).
 */
async function watchSlot(): Promise<void> {
  for (;;) {
    if (!takeSlot()) {
      const r = waitAsync(ctl, SLOT, SLOT_EMPTY);
      if (r.async) await r.value;
    } else if (!pumping) await pump();
  }
}

parentPort!.on('message', (m: ToWorker) => {
  if (m.t === 'req') {
    queue.push(m);
    if (!pumping) void pump();
  } else if (m.t === 'cancel') {
    if (current?.id === m.id) current.abort.abort();
    const i = queue.findIndex((q) => q.id === m.id);
    if (i >= 0) queue.splice(i, 1);
  } else {
    void session?.close();
    process.exit(0);
  }
});

try {
  session = new Session(init.options);
  await out.put(0, READY, NOTHING);
} catch (err) {
  await out.put(0, ERROR, utf8(JSON.stringify(serializeError(err))));
}
// Watching before the caller can send anything: the first request wakes a pending wait (a task, so
// whatever imported this module has run by then).
void watchSlot();
await out.put(0, END, NOTHING);
await out.flush();
