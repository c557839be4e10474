/**
 * What one HTTP/2 connection writes. Frames queued in one tick go out in one
 * socket write at its end (concatenated up to 64 KiB, else corked writes),
 * and the queue knows when the server stopped reading: body frames then
 * wait for 'drain', and acknowledgements it keeps asking for are counted
 * toward a flood bound.
 * @module
 */
import type net from 'node:net';

/** Octets queued here and on the socket past which body frames wait for 'drain'. */
export const SOCKET_HIGH_WATER = 1 << 20;
/**
 * Acknowledgements we owe (PING, SETTINGS) queued in a row while the socket
 * is backed up past SOCKET_HIGH_WATER, past which the server is flooding: it
 * sends them faster than it reads the answers, which would grow our buffers
 * without bound (CVE-2019-9512, CVE-2019-9515). nghttp2 stops at the same
 * 1,000 queued control frames. A legitimate server's pings while a large
 * body frame goes out come nowhere near it.
 */
export const MAX_STUCK_REPLIES = 1000;

function outboxFlush(o: Outbox): void {
  o.flush();
}

/** The write queue of one HTTP/2 connection's socket. */
export class Outbox {
  readonly #socket: net.Socket;
  /** Frames waiting for the next flush, and their octets. */
  #out: Buffer[];
  #bytes: number;
  #flushQueued: boolean;
  /** Acknowledgements queued in a row while the socket was backed up ({@link MAX_STUCK_REPLIES}). */
  #stuckReplies: number;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.#out = [];
    this.#bytes = 0;
    this.#flushQueued = false;
    this.#stuckReplies = 0;
  }

  /** Whether the server is not reading: what waits here and on the socket is past {@link SOCKET_HIGH_WATER}. */
  get backedUp(): boolean {
    return this.#bytes + this.#socket.writableLength >= SOCKET_HIGH_WATER;
  }

  /** Queue `buf`; it is written at the end of this tick. */
  queue(buf: Buffer): void {
    this.#out.push(buf);
    this.#bytes += buf.length;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      process.nextTick(outboxFlush, this);
    }
  }

  /** Count an acknowledgement about to be queued: false when it is one too many behind a backed-up socket (a flood). */
  replyAllowed(): boolean {
    if (!this.backedUp) this.#stuckReplies = 0;
    else if (++this.#stuckReplies > MAX_STUCK_REPLIES) return false;
    return true;
  }

  /** Write what was queued in one go (now, or at the end of the tick). */
  flush(): void {
    this.#flushQueued = false;
    const out = this.#out;
    if (out.length === 0) return;
    this.#out = [];
    this.#bytes = 0;
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) return;
    if (out.length === 1) socket.write(out[0]!);
    else {
      let total = 0;
      for (const b of out) total += b.length;
      if (total <= 65536) socket.write(Buffer.concat(out, total));
      else {
        socket.cork();
        for (const b of out) socket.write(b);
        socket.uncork();
      }
    }
  }
}
