/**
 * permessage-deflate (RFC 7692): per-connection compression with node:zlib
 * (the offer and the check of the server's answer are in `negotiate.ts`).
 *
 * - A message is raw DEFLATE data flushed with Z_SYNC_FLUSH, without the
 *   final `00 00 ff ff` (§7.2.1); the receiver appends it back (§7.2.2).
 * - With `*_no_context_takeover` the compressor (ours) or the decompressor
 *   (for the server's) is reset after every message; otherwise the LZ77
 *   window carries over between messages.
 * - A server may end a message with a BFINAL block (§7.2.3.3), which ends
 *   zlib's stream; what follows it in the message is padding (§7.2.3.4) and
 *   is ignored. The next message gets a new inflater, primed (with context
 *   takeover) with the last window of inflated bytes as its dictionary, so
 *   back-references into earlier messages still resolve.
 * - `maxMessageBytes` bounds the inflated size, counted as zlib produces
 *   output: inflating stops at the first byte over (close 1009), so a small
 *   "zip bomb" never grows into memory.
 * - zlib work is serialized per connection (one compression and one
 *   decompression at a time, in message order: the callers wait) and at most
 *   `ZLIB_CONCURRENCY` (10) jobs run at once in the process, which bounds
 *   the memory zlib's thread pool holds (the `ws` issue #1202 lesson).
 * - Outgoing messages shorter than `threshold` go uncompressed: RFC 7692
 *   lets every message choose (RSV1 clear).
 * @module
 */
import zlib from 'node:zlib';
import { WebSocketError } from '../errors.js';
import type { DeflateParams, PerMessageDeflateOptions } from './negotiate.js';
import { SlidingWindow } from './window.js';

/** Most zlib jobs running at once in the process. */
const ZLIB_CONCURRENCY = 10;

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY = Buffer.alloc(0);

// The process-wide limit on concurrent zlib jobs.

type Job = () => void;
let running = 0;
const waiting: Job[] = [];
let waitingHead = 0;

function schedule(job: Job): void {
  if (running < ZLIB_CONCURRENCY) {
    running++;
    job();
  } else waiting.push(job);
}

function release(): void {
  if (waitingHead < waiting.length) {
    const job = waiting[waitingHead]!;
    waiting[waitingHead++] = undefined as unknown as Job;
    if (waitingHead === waiting.length) {
      waiting.length = 0;
      waitingHead = 0;
    }
    job();
  } else running--;
}

/** Result of inflating one frame: the output pieces, or the error to close with. */
export type InflateCallback = (err: WebSocketError | null, chunks: Buffer[], bytes: number) => void;
/** Result of compressing one message. */
export type DeflateCallback = (err: WebSocketError | null, payload: Buffer) => void;

/** permessage-deflate state of one connection. */
export class PerMessageDeflate {
  /** What was agreed with the server. */
  readonly params: DeflateParams;
  /** Outgoing messages shorter than this are sent uncompressed. */
  readonly threshold: number;
  /** Whether outgoing messages may be compressed (false when the server asked for a window zlib cannot produce). */
  readonly canCompress: boolean;
  /** Largest inflated message. */
  maxMessageBytes: number;
  readonly #level: number;
  readonly #memLevel: number;
  #deflate: zlib.DeflateRaw | null;
  #inflate: zlib.InflateRaw | null;
  #inChunks: Buffer[];
  #inFrameBytes: number;
  #inMessageBytes: number;
  #inError: WebSocketError | null;
  #inCb: InflateCallback | null;
  /** The inflate stream saw a BFINAL block: it produces nothing more. */
  #inEnded: boolean;
  /** The server's LZ77 window, kept only with context takeover (for a new inflater after BFINAL). */
  readonly #window: SlidingWindow | null;
  #outChunks: Buffer[];
  #outBytes: number;
  #outCb: DeflateCallback | null;
  #closed: boolean;
  /** A slot of the process-wide limit is held (released exactly once). */
  #slots: number;

  constructor(params: DeflateParams, options: Required<PerMessageDeflateOptions>, maxMessageBytes: number) {
    this.params = params;
    this.threshold = options.threshold;
    // zlib turns a raw-deflate window of 8 into 9 (its minimum), which a server asking for 8 could not read.
    this.canCompress = params.clientMaxWindowBits > 8;
    this.maxMessageBytes = maxMessageBytes;
    this.#level = options.level;
    this.#memLevel = options.memLevel;
    this.#deflate = null;
    this.#inflate = null;
    this.#inChunks = [];
    this.#inFrameBytes = 0;
    this.#inMessageBytes = 0;
    this.#inError = null;
    this.#inCb = null;
    this.#inEnded = false;
    this.#window = params.serverNoContextTakeover ? null : new SlidingWindow(params.serverMaxWindowBits);
    this.#outChunks = [];
    this.#outBytes = 0;
    this.#outCb = null;
    this.#closed = false;
    this.#slots = 0;
  }

  /** Whether an outgoing message of `n` bytes should be compressed. */
  shouldCompress(n: number): boolean {
    return this.canCompress && n >= this.threshold;
  }

  /** Whether a compression is running (the sender starts the next only after its callback). */
  get busy(): boolean {
    return this.#outCb !== null;
  }

  /**
   * Inflate one frame of a compressed message; `fin` ends the message.
   * Call again only after the callback ran (the caller pauses its reading).
   */
  decompress(data: Buffer, fin: boolean, cb: InflateCallback): void {
    schedule(() => {
      this.#slots++;
      if (this.#closed) {
        this.#releaseSlot();
        return;
      }
      let inflate = this.#inflate;
      if (inflate === null) {
        // Inflating with the largest window reads every window size a server may use.
        const dictionary = this.#window?.contents() ?? undefined;
        inflate = this.#inflate = zlib.createInflateRaw(dictionary === undefined ? { windowBits: 15 } : { windowBits: 15, dictionary });
        this.#inEnded = false;
        inflate.on('data', (chunk: Buffer) => this.#onInflateData(chunk));
        // zlib ends the stream at a BFINAL block (before the flush callback runs: it ends on the next input).
        inflate.on('end', () => {
          this.#inEnded = true;
        });
        inflate.on('error', (err: Error) => {
          // A failed zlib stream never runs the flush callback: answer here.
          this.#inError ??= new WebSocketError(`invalid compressed message: ${err.message}`, { code: 1007, cause: err });
          this.#inflateDone(false);
        });
      }
      this.#inChunks = [];
      this.#inFrameBytes = 0;
      this.#inCb = cb;
      if (data.length > 0) inflate.write(data);
      if (fin) inflate.write(TRAILER);
      inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => this.#inflateDone(fin));
    });
  }

  #inflateDone(fin: boolean): void {
    const cb = this.#inCb;
    if (cb === null) return;
    this.#inCb = null;
    this.#releaseSlot();
    if (this.#closed) return;
    const err = this.#inError;
    const chunks = this.#inChunks;
    const bytes = this.#inFrameBytes;
    this.#inChunks = [];
    if (err !== null) {
      this.#dropInflate();
      cb(err, [], 0);
      return;
    }
    if (fin) {
      this.#inMessageBytes = 0;
      // A finished stream cannot be reset (its readable side has ended): the next message makes a new one.
      if (this.#inEnded) this.#dropInflate();
      else if (this.params.serverNoContextTakeover) this.#inflate!.reset();
    }
    cb(null, chunks, bytes);
  }

  #onInflateData(chunk: Buffer): void {
    if (this.#inError !== null) return;
    const total = this.#inMessageBytes + chunk.length;
    if (total > this.maxMessageBytes) {
      this.#inError = new WebSocketError(`inflated message exceeds maxMessageBytes (${this.maxMessageBytes})`, { code: 1009 });
      this.#inChunks = [];
      // Stop inflating the rest of the input: no more of the message is produced.
      this.#inflate!.reset();
      return;
    }
    this.#inMessageBytes = total;
    this.#inFrameBytes += chunk.length;
    this.#inChunks.push(chunk);
    this.#window?.write(chunk);
  }

  #dropInflate(): void {
    const inf = this.#inflate;
    this.#inflate = null;
    if (inf !== null) {
      inf.removeAllListeners('data');
      inf.removeAllListeners('error');
      inf.removeAllListeners('end');
      inf.on('error', () => {});
      inf.close();
    }
  }

  /**
   * Compress one whole message, one at a time: call again only after the
   * callback ran (the {@link Sender} keeps messages in order).
   */
  compress(data: Buffer, cb: DeflateCallback): void {
    if (this.#closed) {
      cb(new WebSocketError('the connection is closed'), EMPTY);
      return;
    }
    this.#runCompress(data, cb);
  }

  #runCompress(data: Buffer, cb: DeflateCallback): void {
    this.#outCb = cb;
    schedule(() => {
      this.#slots++;
      if (this.#closed) {
        this.#releaseSlot();
        return;
      }
      let deflate = this.#deflate;
      if (deflate === null) {
        deflate = this.#deflate = zlib.createDeflateRaw({
          level: this.#level,
          memLevel: this.#memLevel,
          windowBits: this.params.clientMaxWindowBits,
        });
        deflate.on('data', (chunk: Buffer) => {
          this.#outChunks.push(chunk);
          this.#outBytes += chunk.length;
        });
        deflate.on('error', () => {});
      }
      deflate.write(data);
      deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.#releaseSlot();
        const done = this.#outCb;
        if (this.#closed || done === null) return;
        const chunks = this.#outChunks;
        const n = this.#outBytes;
        this.#outChunks = [];
        this.#outBytes = 0;
        let out = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, n);
        // §7.2.1: drop the 00 00 ff ff the sync flush ends with.
        const l = out.length;
        if (l >= 4 && out[l - 4] === 0 && out[l - 3] === 0 && out[l - 2] === 0xff && out[l - 1] === 0xff) out = out.subarray(0, l - 4);
        if (this.params.clientNoContextTakeover) this.#deflate!.reset();
        this.#outCb = null;
        done(null, out);
      });
    });
  }

  #releaseSlot(): void {
    if (this.#slots > 0) {
      this.#slots--;
      release();
    }
  }

  /**
   * Free the zlib state. A compression not finished yet calls back with
   * `reason`; an unfinished decompression never calls back.
   */
  close(reason: WebSocketError): void {
    if (this.#closed) return;
    this.#closed = true;
    // Jobs stopped mid-flight will never call back: give their slots back now.
    while (this.#slots > 0) this.#releaseSlot();
    const pending = this.#outCb;
    this.#outCb = null;
    this.#inCb = null;
    this.#dropInflate();
    const def = this.#deflate;
    this.#deflate = null;
    if (def !== null) {
      def.removeAllListeners('data');
      def.close();
    }
    if (pending !== null) pending(reason, EMPTY);
  }
}
