/**
 * Frames onto a socket, with two properties `ws` lacks:
 * - Backpressure: {@link FrameWriter.write} says whether the socket took the
 *   frame under its high-water mark; when not, {@link FrameWriter.waitDrain}
 *   resolves on `drain`, so a `send()` resolves only once its bytes are on
 *   their way and a sender that awaits never buffers without bound.
 * - Batching: frames written in one synchronous run after the first are
 *   corked and go out together at the next microtask checkpoint (one
 *   `writev` system call for a burst of sends) — the first frame goes
 *   straight out, so a request/response exchange pays nothing for it.
 * @module
 */
import type { Socket } from 'node:net';

interface Deferred {
  resolve(): void;
  reject(e: Error): void;
}

const SETTLED: Promise<void> = Promise.resolve();

/** The shared empty list (never pushed to: the first waiter replaces it). */
const NO_WAITERS: Deferred[] = [];

/** Writes frames for one WebSocket (whichever socket it currently has). */
export class FrameWriter {
  #corked: Socket | null;
  #inBurst: boolean;
  #drainSocket: Socket | null;
  #drainWaiters: Deferred[];
  /** Bound once, by the first write (an idle connection that never sends holds none). */
  #endBurst: (() => void) | null;
  /** Bound once, by the first wait for `drain`. */
  #onDrain: (() => void) | null;

  constructor() {
    this.#corked = null;
    this.#inBurst = false;
    this.#drainSocket = null;
    this.#drainWaiters = NO_WAITERS;
    this.#endBurst = null;
    this.#onDrain = null;
  }

  #burstEnded(): void {
    this.#inBurst = false;
    const socket = this.#corked;
    this.#corked = null;
    if (socket !== null) socket.uncork();
  }

  #drained(): void {
    const w = this.#drainWaiters;
    this.#drainWaiters = NO_WAITERS;
    this.#drainSocket = null;
    for (const d of w) d.resolve();
  }

  /** Write `frame`; false when the socket's buffer is over its high-water mark (wait for {@link waitDrain}). */
  write(socket: Socket, frame: Buffer): boolean {
    if (!this.#inBurst) {
      this.#inBurst = true;
      // A reaction on a settled promise, not queueMicrotask: the same checkpoint without
      // queueMicrotask's per-call AsyncResource (about 100 ns a send, more under async hooks).
      void SETTLED.then((this.#endBurst ??= () => this.#burstEnded()));
    } else if (this.#corked === null) {
      this.#corked = socket;
      socket.cork();
    }
    if (socket.write(frame)) return true;
    // The batch reached the high-water mark: flush it now, and report
    // backpressure only if the kernel did not take it all.
    if (this.#corked === socket) {
      this.#corked = null;
      socket.uncork();
    }
    return socket.writableLength < socket.writableHighWaterMark;
  }

  /** Resolves on the socket's next `drain`. */
  waitDrain(socket: Socket): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#drainWaiters.length === 0) {
        this.#drainWaiters = [];
        this.#drainSocket = socket;
        socket.once('drain', (this.#onDrain ??= () => this.#drained()));
      }
      this.#drainWaiters.push({ resolve, reject });
    });
  }

  /** The socket is gone: every `waitDrain` rejects with `err`. */
  abandon(err: Error): void {
    const socket = this.#drainSocket;
    this.#drainSocket = null;
    if (socket !== null && this.#onDrain !== null) socket.removeListener('drain', this.#onDrain);
    const w = this.#drainWaiters;
    if (w.length === 0) return;
    this.#drainWaiters = NO_WAITERS;
    for (const d of w) d.reject(err);
  }
}
