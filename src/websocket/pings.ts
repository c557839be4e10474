/**
 * Pings of `ping()` waiting for their pong (RFC 6455 §5.5.2–3): each
 * resolves with its round-trip time, or rejects after its timeout or when
 * the connection goes.
 * @module
 */

interface PendingPing {
  payload: Buffer;
  started: number;
  timer: NodeJS.Timeout | null;
  resolve(ms: number): void;
  reject(e: Error): void;
}

/** The pings of one WebSocket waiting for a pong. */
export class Pings {
  /** Allocated by the first `ping()`. */
  #pending: PendingPing[] | null;
  #seq: number;

  constructor() {
    this.#pending = null;
    this.#seq = 0;
  }

  /** The payload of the next `ping()` without data: a sequence number. */
  nextPayload(): Buffer {
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(this.#seq++ >>> 0, 0);
    return payload;
  }

  /**
   * Wait for the pong of a ping with `payload` (the caller sends it).
   * @param timeoutMs reject with `timeoutError()` after this long (0 or Infinity: never)
   */
  wait(payload: Buffer, timeoutMs: number, timeoutError: () => Error): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const p: PendingPing = { payload, started: performance.now(), timer: null, resolve, reject };
      const pending = (this.#pending ??= []);
      if (timeoutMs > 0 && timeoutMs !== Number.POSITIVE_INFINITY) {
        p.timer = setTimeout(() => {
          const list = this.#pending;
          const i = list === null ? -1 : list.indexOf(p);
          if (i !== -1) list!.splice(i, 1);
          reject(timeoutError());
        }, timeoutMs);
      }
      pending.push(p);
    });
  }

  /** A pong came: it answers its ping and every earlier one (§5.5.3 lets a peer answer only the latest). */
  pong(payload: Buffer): void {
    const pings = this.#pending;
    if (pings === null || pings.length === 0) return;
    let i = 0;
    while (i < pings.length && !pings[i]!.payload.equals(payload)) i++;
    if (i === pings.length) return; // unsolicited (or a keep-alive pong)
    const now = performance.now();
    for (const p of pings.splice(0, i + 1)) {
      if (p.timer !== null) clearTimeout(p.timer);
      p.resolve(now - p.started);
    }
  }

  /** The connection is gone: every waiting ping rejects with `err`. */
  rejectAll(err: Error): void {
    const pings = this.#pending;
    if (pings === null || pings.length === 0) return;
    this.#pending = null;
    for (const p of pings) {
      if (p.timer !== null) clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
