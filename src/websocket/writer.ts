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

/** The waits for `drain` of one writer: made by its first wait (most connections never wait). */
class Drain {
  /** The socket whose `drain` is awaited, or null. */
  socket: Socket | null;
  waiters: Deferred[];
  readonly onDrain: () => void;
  constructor() {
    this.socket = null;
    this.waiters = NO_WAITERS;
    this.onDrain = () => {
      const w = this.waiters;
      this.waiters = NO_WAITERS;
      this.socket = null;
      for (const d of w) d.resolve();
    };
  }
}

/** Writes frames for one WebSocket (whichever socket it currently has). */
export class FrameWriter {
  #corked: Socket | null;
  #inBurst: boolean;
  #drain: Drain | null;
  /** Bound once, by the first write (an idle connection that never sends holds none). */
  #endBurst: (() => void) | null;

  constructor() {
    this.#corked = null;
    this.#inBurst = false;
    this.#drain = null;
    this.#endBurst = null;
  }

  #burstEnded(): void {
    this.#inBurst = false;
    const socket = this.#corked;
    this.#corked = null;
    if (socket !== null) socket.uncork();
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
    const drain = (this.#drain ??= new Drain());
    return new Promise<void>((resolve, reject) => {
      if (drain.waiters.length === 0) {
        drain.waiters = [];
        drain.socket = socket;
        socket.once('drain', drain.onDrain);
      }
      drain.waiters.push({ resolve, reject });
    });
  }

  /** The socket is gone: every `waitDrain` rejects with `err`. */
  abandon(err: Error): void {
    const drain = this.#drain;
    if (drain === null) return;
    const socket = drain.socket;
    drain.socket = null;
    if (socket !== null) socket.removeListener('drain', drain.onDrain);
    const w = drain.waiters;
    if (w.length === 0) return;
    drain.waiters = NO_WAITERS;
    for (const d of w) d.reject(err);
  }
}
