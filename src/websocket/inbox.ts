/**
 * Received messages on their way to the reader: handed straight to a
 * waiting `receive()` or iterator, else queued. The queue is bounded by a
 * high-water mark in bytes: crossing it asks the owner to pause reading from
 * the socket, and draining below half of it asks to resume — so a reader
 * that falls behind slows the peer down (TCP flow control) instead of
 * growing memory.
 * @module
 */
import type { WebSocketMessage } from './events.js';

interface Waiter {
  resolve(v: unknown): void;
  reject(e: Error): void;
  /** An iterator's `next()` (resolves with `{ value, done }`) rather than `receive()`. */
  iter: boolean;
}

/** Estimated bookkeeping bytes of one queued message, on top of its payload. */
const QUEUE_OVERHEAD = 64;

const DONE: IteratorResult<WebSocketMessage> = Object.freeze({ done: true, value: undefined }) as IteratorResult<WebSocketMessage>;

function messageSize(m: WebSocketMessage): number {
  return (typeof m === 'string' ? m.length : m.byteLength) + QUEUE_OVERHEAD;
}

/** Told when reading should pause (the queue crossed its high-water mark) or resume. */
export interface PressureTarget {
  /** `true`: pause reading; `false`: resume. */
  setQueueFull(full: boolean): void;
}

/** The message queue and the readers waiting on it; one per WebSocket. */
export class Inbox {
  /** Whether reading should pause (the queue is over its high-water mark). */
  full: boolean;
  readonly #highWaterMark: number;
  readonly #pressure: PressureTarget;
  /** Created by the first message queued (an idle connection holds none). */
  #queue: Array<WebSocketMessage | undefined> | null;
  #head: number;
  #bytes: number;
  /** Created by the first reader that waits. */
  #waiters: Waiter[] | null;
  #endClean: boolean;
  /** Set once by {@link end}: ended iff non-null. */
  #endError: Error | null;

  /**
   * @param highWaterMark queued bytes past which `pressure.setQueueFull(true)` is called
   * @param pressure told when reading should pause (true) or resume (false)
   */
  constructor(highWaterMark: number, pressure: PressureTarget) {
    this.full = false;
    this.#highWaterMark = highWaterMark;
    this.#pressure = pressure;
    this.#queue = null;
    this.#head = 0;
    this.#bytes = 0;
    this.#waiters = null;
    this.#endClean = false;
    this.#endError = null;
  }

  /** Messages queued. */
  get size(): number {
    return this.#queue === null ? 0 : this.#queue.length - this.#head;
  }

  /** Whether no message will come any more. */
  get ended(): boolean {
    return this.#endError !== null;
  }

  /** Whether the end was a normal one (iterators finish quietly). */
  get endedClean(): boolean {
    return this.#endClean;
  }

  /** What `receive()` rejects with once ended. */
  get endError(): Error | null {
    return this.#endError;
  }

  /** Whether a reader is waiting. */
  get hasWaiter(): boolean {
    return this.#waiters !== null && this.#waiters.length > 0;
  }

  /** Hand `msg` to the first waiting reader; false when none waits. */
  handToWaiter(msg: WebSocketMessage): boolean {
    const w = this.#waiters;
    if (w === null || w.length === 0) return false;
    const waiter = w.shift()!;
    waiter.resolve(waiter.iter ? { done: false, value: msg } : msg);
    return true;
  }

  /** A message arrived: to a waiting reader, else into the queue. */
  push(msg: WebSocketMessage): void {
    if (this.handToWaiter(msg)) return;
    (this.#queue ??= []).push(msg);
    this.#bytes += messageSize(msg);
    if (!this.full && this.#bytes > this.#highWaterMark) {
      this.full = true;
      this.#pressure.setQueueFull(true);
    }
  }

  /** Only called when a message is queued. */
  #take(): WebSocketMessage {
    const q = this.#queue!;
    const i = this.#head;
    const msg = q[i]!;
    q[i] = undefined;
    this.#head = i + 1;
    if (this.#head === q.length) {
      q.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= q.length) {
      q.splice(0, this.#head);
      this.#head = 0;
    }
    this.#bytes -= messageSize(msg);
    if (this.full && this.#bytes <= this.#highWaterMark / 2) {
      this.full = false;
      this.#pressure.setQueueFull(false);
    }
    return msg;
  }

  /** The next message (see `WebSocket.receive`); `notReady` rejects when nothing is queued and the connection was never started. */
  receive(notReady: Error | null): Promise<WebSocketMessage> {
    if (this.size > 0) return Promise.resolve(this.#take());
    if (this.#endError !== null) return Promise.reject(this.#endError);
    if (notReady !== null) return Promise.reject(notReady);
    return new Promise<WebSocketMessage>((resolve, reject) => {
      (this.#waiters ??= []).push({ resolve: resolve as (v: unknown) => void, reject, iter: false });
    });
  }

  /** The next iteration result: done after a clean end, rejected after another. */
  next(notReady: Error | null): Promise<IteratorResult<WebSocketMessage>> {
    if (this.size > 0) return Promise.resolve({ done: false, value: this.#take() });
    if (this.#endError !== null) return this.#endClean ? Promise.resolve(DONE) : Promise.reject(this.#endError);
    if (notReady !== null) return Promise.reject(notReady);
    return new Promise<IteratorResult<WebSocketMessage>>((resolve, reject) => {
      (this.#waiters ??= []).push({ resolve: resolve as (v: unknown) => void, reject, iter: true });
    });
  }

  /** No more messages will come: settle every waiting reader (queued messages stay readable). */
  end(clean: boolean, err: Error): void {
    if (this.#endError !== null) return;
    this.#endClean = clean;
    this.#endError = err;
    const waiters = this.#waiters;
    this.#waiters = null;
    if (waiters !== null)
      for (const w of waiters) {
        if (w.iter && clean) w.resolve(DONE);
        else w.reject(err);
      }
  }
}
