/**
 * Header blocks as an HTTP/2 connection receives them (RFC 9113 §4.3,
 * §6.2, §6.10): a HEADERS frame's padding and priority fields taken off,
 * the fragments of CONTINUATION frames gathered until END_HEADERS, and the
 * bounds that make a block a flood (CVE-2024-27316 and kin). Whole blocks
 * go to the session, which decodes them (HPACK) for their stream.
 * @module
 */
import { LimitExceededError } from '../errors.js';
import { Code, Flag } from './frames.js';

/** CONTINUATION frames accepted in one header block: more is a flood. */
const MAX_CONTINUATIONS = 128;
/** A header block's octets are capped at twice the header list size we announced, within these bounds. */
const MIN_BLOCK_CAP = 64 * 1024;
const MAX_BLOCK_CAP = 16 << 20;

/** Where {@link HeaderBlocks} sends what it reads. */
export interface BlockSink {
  /** A block broke its framing: a connection error with `code`. */
  _blockError(code: number, message: string): void;
  /** A block passed its bounds (too many CONTINUATION frames, too many octets). */
  _blockTooLarge(err: LimitExceededError): void;
  /** A whole block of stream `id`; `flags` are those of its HEADERS frame (END_STREAM). */
  _block(flags: number, id: number, block: Buffer): void;
}

/** The header block being read on one connection. */
export class HeaderBlocks {
  /** Most octets of one block (and the decoded list size of a block for no open stream). */
  readonly cap: number;
  readonly #sink: BlockSink;
  /** The block being read across CONTINUATION frames: its stream, its HEADERS flags, its fragments and their octets. */
  #stream: number;
  #flags: number;
  #parts: Buffer[] | null;
  #bytes: number;

  /** Blocks for `sink`, bounded by `headerListSize` (the SETTINGS_MAX_HEADER_LIST_SIZE we announced, -1 for none). */
  constructor(sink: BlockSink, headerListSize: number) {
    this.cap = Math.min(MAX_BLOCK_CAP, Math.max(MIN_BLOCK_CAP, 2 * (headerListSize < 0 ? MAX_BLOCK_CAP : headerListSize)));
    this.#sink = sink;
    this.#stream = 0;
    this.#flags = 0;
    this.#parts = null;
    this.#bytes = 0;
  }

  /** Whether a block waits for CONTINUATION frames (no other frame may come now, §6.10). */
  get open(): boolean {
    return this.#parts !== null;
  }

  /** A HEADERS frame of stream `id`; streams below `nextId` are the ones we opened. */
  headers(flags: number, id: number, p: Buffer, nextId: number): void {
    const sink = this.#sink;
    if (id === 0) {
      sink._blockError(Code.PROTOCOL_ERROR, 'a HEADERS frame on stream 0 (RFC 9113 §6.2)');
      return;
    }
    let start = 0;
    let end = p.length;
    if ((flags & Flag.PADDED) !== 0) start = 1;
    if ((flags & Flag.PRIORITY) !== 0) start += 5;
    // Too small for its Pad Length and priority fields: FRAME_SIZE_ERROR (§4.2); padding past the rest: PROTOCOL_ERROR (§6.2).
    if (p.length < start) {
      sink._blockError(Code.FRAME_SIZE_ERROR, `a HEADERS frame of ${p.length} octets, too small for the ${start} octets its PADDED and PRIORITY flags announce (RFC 9113 §4.2, §6.2)`);
      return;
    }
    if ((flags & Flag.PADDED) !== 0) end -= p[0]!;
    if (end < start) {
      sink._blockError(Code.PROTOCOL_ERROR, 'HEADERS padding past the frame (RFC 9113 §6.2)');
      return;
    }
    if ((id & 1) === 0 || id >= nextId) {
      sink._blockError(Code.PROTOCOL_ERROR, `a HEADERS frame on idle stream ${id} (RFC 9113 §5.1)`);
      return;
    }
    const fragment = p.subarray(start, end);
    if ((flags & Flag.END_HEADERS) !== 0) {
      sink._block(flags, id, fragment);
      return;
    }
    this.#stream = id;
    this.#flags = flags;
    this.#parts = [Buffer.from(fragment)];
    this.#bytes = fragment.length;
  }

  /** A CONTINUATION frame of stream `id`. */
  continuation(flags: number, id: number, p: Buffer): void {
    const parts = this.#parts;
    if (parts === null || id !== this.#stream) {
      this.#sink._blockError(Code.PROTOCOL_ERROR, 'a CONTINUATION frame outside a header block (RFC 9113 §6.10)');
      return;
    }
    this.#bytes += p.length;
    if (parts.length >= MAX_CONTINUATIONS || this.#bytes > this.cap) {
      this.#sink._blockTooLarge(
        new LimitExceededError(`response header block over ${parts.length} CONTINUATION frames and ${this.#bytes} octets, past what a head within maxHeaderBytes needs: the connection is closed (maxHeaderBytes)`, {
          limit: 'maxHeaderBytes',
        }),
      );
      return;
    }
    parts.push(Buffer.from(p));
    if ((flags & Flag.END_HEADERS) === 0) return;
    this.#parts = null;
    this.#sink._block(this.#flags, id, Buffer.concat(parts, this.#bytes));
  }
}
