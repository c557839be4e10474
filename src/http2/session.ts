/**
 * HTTP/2 over our own framing (RFC 9113): {@link H2Session} is one
 * connection of an origin — the frames read and written on its socket, HPACK
 * (hpack.ts), SETTINGS, flow control both ways, stream ids, GOAWAY, PING,
 * and connection errors. The origin's queue and sessions are H2Origin in
 * origin.ts, a request is H2Stream (stream.ts), frames are in frames.ts,
 * the write queue and its flood bound in outbox.ts, header blocks across
 * CONTINUATION frames in header-block.ts.
 *
 * - Streams start as soon as the server's SETTINGS arrived (one before):
 *   never more than its `SETTINGS_MAX_CONCURRENT_STREAMS`.
 * - GOAWAY (§6.8): no new streams; streams above the last stream id were not
 *   processed and are retried on a new session, whatever their method;
 *   GOAWAY with an error code ends the connection.
 * - A connection error in what the server sent (§5.4.1: a malformed frame,
 *   a bad HPACK block, DATA on an idle stream, a flow-control violation…)
 *   sends GOAWAY with its code and closes the connection; its streams fail
 *   with a ProtocolError (or are retried as after any lost connection). A
 *   stream error (§5.4.2: a malformed response head) resets that stream
 *   only.
 * - Our receive windows are 256 KiB a stream and 4 MiB the connection; a
 *   stream's window is given back as its reader takes the body (a paused
 *   reader stops the server), the connection's as DATA arrives. Windows
 *   much larger let a server queue whole large bodies ahead of the small
 *   responses sharing the connection (nginx with 8 MiB / 1 MiB: 1 KiB GETs
 *   beside 1 MiB downloads completed no more often than the downloads),
 *   and hold more in memory for a slow reader, for no more throughput here.
 * - Frames queued in one tick go out in one socket write (outbox.ts).
 * - An idle session is closed after `pool.maxIdleMs` (GOAWAY, then the
 *   connection closes) and unref'd while idle, so it never keeps the
 *   process alive.
 * @module
 */
import type net from 'node:net';
import { LimitExceededError, NetworkError, ProtocolError } from '../errors.js';
import type { ParserLimits } from '../core/limits.js';
import type { Connection } from '../transport/connection.js';
import type { ConnectTimes } from '../core/timings.js';
import { codeName, mapError } from './errors.js';
import {
  ACK,
  Code,
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  emptyFrame,
  Flag,
  FrameReader,
  type FrameSink,
  goawayFrame,
  headersFrames,
  MAX_WINDOW,
  pingFrame,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsFrame,
  Type,
  windowUpdateFrame,
  writeFrameHead,
} from './frames.js';
import { HeaderListTooLarge, HpackDecoder, HpackError } from './hpack.js';
import { MAX_STUCK_REPLIES, Outbox, SOCKET_HIGH_WATER } from './outbox.js';
import { type BlockSink, HeaderBlocks } from './header-block.js';
import type { H2Origin } from './origin.js';
import type { H2Stream } from './stream.js';

/** Our connection receive window. */
const CONNECTION_WINDOW = 4 << 20;
/** Our stream receive window (SETTINGS_INITIAL_WINDOW_SIZE). */
export const STREAM_WINDOW = 256 << 10;
/** A window is given back once this much of it was used. */
const STREAM_CREDIT_AT = STREAM_WINDOW >>> 1;
const CONNECTION_CREDIT_AT = CONNECTION_WINDOW >>> 1;
/** Flow-controlled octets padding can add to one frame: the Pad Length octet and up to 255 of padding (RFC 9113 §6.1). */
const MAX_PADDING = 256;
/** How long a closing connection waits for the server's close after our GOAWAY. */
const CLOSE_GRACE_MS = 1000;
/** The largest stream id (RFC 9113 §5.1.1). */
const MAX_STREAM_ID = 0x7fffffff;
/** A dynamic table size update to 0 (RFC 7541 §6.3): our encoder never indexes, so its table is empty whatever the server allows. */
const TABLE_SIZE_ZERO = Buffer.from([0x20]);
/** One SETTINGS ACK for every session: a queued buffer is never written to. */
const SETTINGS_ACK = emptyFrame(Type.SETTINGS, ACK, 0);

/**
 * SETTINGS_MAX_HEADER_LIST_SIZE for `limits` (RFC 9113 §6.5.2), or -1 for
 * none. The setting counts name + value + 32 octets per field where
 * maxHeaderBytes counts name + value + 4, so it is maxHeaderBytes plus 32 per
 * field up to maxHeaderCount (and `:status`): a head within both limits is
 * always within it. H2Stream checks the limits exactly.
 * @internal
 */
export function headerListSize(limits: ParserLimits): number {
  const size = limits.maxHeaderBytes + 32 * (limits.maxHeaderCount + 1);
  return Number.isFinite(size) && size >= 0 ? Math.min(Math.floor(size), 0xffffffff) : -1;
}

function socketOnData(this: TaggedSocket, chunk: Buffer): void {
  this[kSession]!._read(chunk);
}
function socketOnEnd(this: TaggedSocket): void {
  this[kSession]!._lost(new NetworkError('the server closed the HTTP/2 connection'));
}
function socketOnError(this: TaggedSocket, err: Error): void {
  this[kSession]!._lost(mapError(err, 0, 'on the HTTP/2 connection'));
}
function socketOnClose(this: TaggedSocket): void {
  this[kSession]!._onClose();
}
function socketOnDrain(this: TaggedSocket): void {
  this[kSession]!._onDrain();
}
function sessionOnIdle(this: H2Session): void {
  this._onIdle();
}

const kSession: unique symbol = Symbol('reqivo.h2session');
type TaggedSocket = net.Socket & { [kSession]?: H2Session };

/** One HTTP/2 connection of an origin. */
export class H2Session implements FrameSink, BlockSink {
  /** Streams open on it. */
  active: number;
  /** Streams allowed at once: the server's SETTINGS_MAX_CONCURRENT_STREAMS, 1 until its SETTINGS arrive. */
  maxStreams: number;
  /** Takes no new streams (GOAWAY received or sent, idle close, error). */
  draining: boolean;
  /** Streams ever started on it. */
  served: number;
  /** The connection's error, if it failed. */
  error: Error | null;
  /** The SETTINGS_MAX_HEADER_LIST_SIZE it announced, or -1. */
  readonly headerListSize: number;
  readonly #owner: H2Origin;
  readonly #conn: Connection;
  readonly #socket: TaggedSocket;
  readonly #reader: FrameReader;
  readonly #decoder: HpackDecoder;
  readonly #streams: Map<number, H2Stream>;
  readonly #idleTimer: NodeJS.Timeout;
  #nextId: number;
  /** Our send window on the connection, and the server's initial stream window and frame size. */
  #sendWindow: number;
  #peerWindow: number;
  #peerMaxFrame: number;
  /** Connection receive window left, and octets taken from it not yet given back. */
  #recvWindow: number;
  #recvUnacked: number;
  #settingsSeen: boolean;
  #tableSizeSent: boolean;
  #goawayLast: number;
  #gone: boolean;
  /** What we write: frames queued in a tick go out together. */
  readonly #out: Outbox;
  /** Streams with body frames waiting for a window or for the socket. */
  #blocked: H2Stream[];
  /** Header blocks as they arrive in HEADERS and CONTINUATION frames. */
  readonly #blocks: HeaderBlocks;
  /** The stream of the DATA frame being read, or null (closed, reset); the frame's length and the payload octets read of it. */
  #dataStream: H2Stream | null;
  #dataLength: number;
  #dataRead: number;
  /** The server padded a DATA frame: the rest of a body no longer tells how much window it needs. */
  #padded: boolean;
  /** Streams that got a response head here: the server serves this connection. */
  answered: number;
  /** The fields of the block just decoded (reused). */
  readonly #fields: string[];

  constructor(owner: H2Origin, conn: Connection, maxIdleMs: number, limits: ParserLimits) {
    this.active = 0;
    this.maxStreams = 1;
    this.draining = false;
    this.served = 0;
    this.error = null;
    this.headerListSize = headerListSize(limits);
    this.#owner = owner;
    this.#conn = conn;
    this.#reader = new FrameReader(this);
    this.#decoder = new HpackDecoder();
    this.#streams = new Map();
    this.#blocks = new HeaderBlocks(this, this.headerListSize);
    this.#nextId = 1;
    this.#sendWindow = DEFAULT_WINDOW;
    this.#peerWindow = DEFAULT_WINDOW;
    this.#peerMaxFrame = DEFAULT_MAX_FRAME;
    this.#recvWindow = CONNECTION_WINDOW;
    this.#recvUnacked = 0;
    this.#settingsSeen = false;
    this.#tableSizeSent = false;
    this.#goawayLast = -1;
    this.#gone = false;
    this.#blocked = [];
    this.#dataStream = null;
    this.#dataLength = 0;
    this.#dataRead = 0;
    this.#padded = false;
    this.answered = 0;
    this.#fields = [];
    const socket = conn.detach() as TaggedSocket;
    this.#socket = socket;
    this.#out = new Outbox(socket);
    socket[kSession] = this;
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
    socket.on('drain', socketOnDrain);
    // One timer for the session's life: it fires harmlessly while busy and is refreshed each time the session goes idle.
    this.#idleTimer = setTimeout(sessionOnIdle.bind(this), Math.max(1, maxIdleMs));
    this.#idleTimer.unref();
    // No server push; larger windows than the 64 KiB default for throughput.
    const settings = [Setting.ENABLE_PUSH, 0, Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW];
    if (this.headerListSize >= 0) settings.push(Setting.MAX_HEADER_LIST_SIZE, this.headerListSize);
    this.#queue(Buffer.concat([PREFACE, settingsFrame(settings), windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW)]));
    // Idle until its first stream: it must not keep the process alive on its own.
    refSocket(socket, false);
    // detach() paused the socket.
    socket.resume();
  }

  /** When its connection was opened, connected and secured. */
  get times(): ConnectTimes | null {
    return this.#conn.times;
  }

  /** Whether it can take another stream now. */
  get available(): boolean {
    return !this.draining && !this.#gone && this.active < this.maxStreams;
  }

  /** Whether it may take streams at all (now or later). */
  get usable(): boolean {
    return !this.draining && !this.#gone;
  }

  /** Open a stream for `s`: its HEADERS frame (with END_STREAM when it has no body) is queued. */
  start(s: H2Stream): void {
    const id = this.#nextId;
    if (id > MAX_STREAM_ID) {
      this.#drain();
      this.#owner.requeue(s);
      return;
    }
    this.#nextId = id + 2;
    const reused = this.served > 0;
    this.active++;
    this.served++;
    if (this.active === 1) refSocket(this.#socket, true);
    this.#streams.set(id, s);
    let prefix: Buffer | null = null;
    if (!this.#tableSizeSent) {
      this.#tableSizeSent = true;
      prefix = TABLE_SIZE_ZERO;
    }
    this.#queue(headersFrames(id, prefix, s.headBlock, !s.hasBody, this.#peerMaxFrame));
    s._attach(this, id, reused, this.#peerWindow);
  }

  // ---- what streams ask of the session ----

  /** Queue request body bytes of `s` (and its END_STREAM when `end`); they go out as the windows allow. @internal */
  _send(s: H2Stream, buf: Buffer, end: boolean): void {
    if (buf.length > 0) {
      if (s._outQ === null) s._outQ = [buf];
      else s._outQ.push(buf);
      s._outBytes += buf.length;
    }
    if (end) s._outEnd = true;
    this.#pump(s);
  }

  /** The reader of `s` took `n` octets of its body: give them back to its window. @internal */
  _consumed(s: H2Stream, n: number): void {
    s._unacked += n;
    if (s._unacked >= STREAM_CREDIT_AT && s.id !== 0 && !this.#gone) {
      // The rest of the body (by its content-length) fits in the window left: no frame needed. Fewer writes, and
      // none to a server about to close (a write reaching a closed socket makes its kernel reset the connection,
      // and a reset throws away the end of the response still on its way to us).
      // Padding is unforeseeable: the rest leaves room for one frame's Pad Length octet and padding (a server
      // may pad only its last frame), and once a server pads, every update is sent.
      let rest = s._remaining;
      if (this.#dataStream === s) rest -= this.#dataLength - this.#dataRead; // the frame being read is counted already
      // <: a window of 0 holds back a server's END_STREAM in an empty DATA frame (nghttp2)
      if (rest >= 0 && rest + MAX_PADDING < s._recvWindow && !this.#padded) return;
      this.#queue(windowUpdateFrame(s.id, s._unacked));
      s._recvWindow += s._unacked;
      s._unacked = 0;
    }
  }

  /** Reset stream `s` with `code` and forget it (cancel, our limits, a malformed response). @internal */
  _reset(s: H2Stream, code: number): void {
    const id = s.id;
    if (id === 0 || this.#streams.get(id) !== s) return;
    if (!this.#gone) this.#queue(rstStreamFrame(id, code));
    this.#closeStream(id, s);
  }

  /** The stream `s` ended both ways (END_STREAM received, request sent): forget it. @internal */
  _finished(s: H2Stream): void {
    const id = s.id;
    if (id !== 0 && this.#streams.get(id) === s) this.#closeStream(id, s);
  }

  #closeStream(id: number, s: H2Stream): void {
    this.#streams.delete(id);
    if (this.#dataStream === s) this.#dataStream = null;
    s._detached();
    this.active--;
    if (this.active === 0) {
      if (this.draining) this.close();
      else {
        refSocket(this.#socket, false);
        this.#idleTimer.refresh();
      }
    }
    this.#owner._pump();
  }

  // ---- writing ----

  #queue(buf: Buffer): void {
    this.#out.queue(buf);
  }

  /** Queue an acknowledgement the server asked for (`kind` frames), unless it does not read them (a flood): then a connection error. */
  #reply(frame: Buffer, kind: string): boolean {
    if (!this.#out.replyAllowed()) {
      return this.#connectionError(Code.ENHANCE_YOUR_CALM, `the server sends ${kind} frames faster than it reads their acknowledgements (${MAX_STUCK_REPLIES} of them queued behind ${SOCKET_HIGH_WATER} octets: a control-frame flood)`);
    }
    this.#out.queue(frame);
    return true;
  }

  /** Send body frames of `s` while the windows and the socket allow. */
  #pump(s: H2Stream): void {
    if (this.#gone || s.id === 0) return;
    const q = s._outQ;
    while (q !== null && q.length > 0) {
      if (this.#out.backedUp) {
        this.#block(s);
        return;
      }
      const head = q[0]!;
      const n = Math.min(head.length, s._sendWindow, this.#sendWindow, this.#peerMaxFrame);
      if (n <= 0) {
        this.#block(s);
        return;
      }
      const piece = n === head.length ? head : head.subarray(0, n);
      if (n === head.length) q.shift();
      else q[0] = head.subarray(n);
      s._sendWindow -= n;
      this.#sendWindow -= n;
      s._outBytes -= n;
      const last = q.length === 0 && s._outEnd;
      const fh = Buffer.allocUnsafe(9);
      writeFrameHead(fh, 0, n, Type.DATA, last ? Flag.END_STREAM : 0, s.id);
      this.#queue(fh);
      this.#queue(piece);
      s._touch();
      if (last) {
        s._outEnd = false;
        s._requestSent();
        return;
      }
    }
    if (s._outEnd) {
      s._outEnd = false;
      const fh = Buffer.allocUnsafe(9);
      writeFrameHead(fh, 0, 0, Type.DATA, Flag.END_STREAM, s.id);
      this.#queue(fh);
      s._requestSent();
      return;
    }
    s._bodyDrained();
  }

  #block(s: H2Stream): void {
    if (!this.#blocked.includes(s)) this.#blocked.push(s);
  }

  #unblock(): void {
    const list = this.#blocked;
    if (list.length === 0) return;
    this.#blocked = [];
    for (const s of list) if (this.#streams.get(s.id) === s) this.#pump(s);
  }

  /** @internal the socket took what was queued on it. */
  _onDrain(): void {
    this.#unblock();
  }

  // ---- reading ----

  /** @internal */
  _read(chunk: Buffer): void {
    this.#reader.push(chunk);
  }

  /** @internal FrameSink */
  onDataStart(_flags: number, id: number, length: number): boolean {
    if (this.#blocks.open) return this.#connectionError(Code.PROTOCOL_ERROR, 'a DATA frame inside a header block (RFC 9113 §6.10)');
    if (id === 0) return this.#connectionError(Code.PROTOCOL_ERROR, 'a DATA frame on stream 0 (RFC 9113 §6.1)');
    if (!this.#settingsSeen) return this.#connectionError(Code.PROTOCOL_ERROR, 'a DATA frame before the server SETTINGS (RFC 9113 §3.4)');
    this.#recvWindow -= length;
    if (this.#recvWindow < 0) return this.#connectionError(Code.FLOW_CONTROL_ERROR, 'DATA past the connection flow-control window (RFC 9113 §6.9.1)');
    this.#recvUnacked += length;
    if (this.#recvUnacked >= CONNECTION_CREDIT_AT && this.#connectionNeedsCredit()) {
      this.#queue(windowUpdateFrame(0, this.#recvUnacked));
      this.#recvWindow += this.#recvUnacked;
      this.#recvUnacked = 0;
    }
    const s = this.#streams.get(id);
    this.#dataStream = null;
    if (s === undefined) {
      if ((id & 1) === 0 || id >= this.#nextId) return this.#connectionError(Code.PROTOCOL_ERROR, `a DATA frame on idle stream ${id} (RFC 9113 §5.1)`);
      return true; // a stream we closed or reset: its DATA is dropped (the connection window was given back above)
    }
    s._recvWindow -= length;
    if (s._recvWindow < 0) {
      s._streamError(Code.FLOW_CONTROL_ERROR, 'DATA past the stream flow-control window (RFC 9113 §6.9.1)');
      return true;
    }
    if (!s._dataStart(length)) return true;
    this.#dataStream = s;
    this.#dataLength = length;
    this.#dataRead = 0;
    return true;
  }

  /** Whether the connection window must be given back: always, except after GOAWAY when what the streams still expect fits in it. */
  #connectionNeedsCredit(): boolean {
    if (this.#goawayLast < 0 || this.#padded) return true;
    let need = 0;
    for (const s of this.#streams.values()) {
      const rest = s._remaining;
      if (rest < 0) return true;
      need += rest;
    }
    return need >= this.#recvWindow;
  }

  /** @internal FrameSink */
  onData(_id: number, piece: Buffer): void {
    const s = this.#dataStream;
    if (s === null) return;
    this.#dataRead += piece.length;
    s._onData(piece);
  }

  /** @internal FrameSink */
  onDataEnd(flags: number, _id: number): void {
    const s = this.#dataStream;
    this.#dataStream = null;
    if (s === null) return;
    // Padding counts against the stream window too (RFC 9113 §6.9.1): given back at once, since no reader takes it.
    const padding = this.#dataLength - this.#dataRead;
    if (padding > 0) {
      this.#padded = true;
      this._consumed(s, padding);
    }
    if ((flags & Flag.END_STREAM) !== 0) s._onEndStream();
  }

  /** @internal FrameSink */
  onFrameError(code: number, message: string): void {
    this.#connectionError(code, message);
  }

  /** @internal FrameSink */
  onFrame(type: number, flags: number, id: number, p: Buffer): void {
    if (this.#blocks.open && type !== Type.CONTINUATION) {
      this.#connectionError(Code.PROTOCOL_ERROR, 'a frame other than CONTINUATION inside a header block (RFC 9113 §6.10)');
      return;
    }
    if (!this.#settingsSeen && type !== Type.SETTINGS) {
      this.#connectionError(Code.PROTOCOL_ERROR, 'the server did not start with SETTINGS (RFC 9113 §3.4)');
      return;
    }
    switch (type) {
      case Type.HEADERS:
        this.#blocks.headers(flags, id, p, this.#nextId);
        return;
      case Type.CONTINUATION:
        this.#blocks.continuation(flags, id, p);
        return;
      case Type.SETTINGS:
        this.#onSettings(flags, id, p);
        return;
      case Type.WINDOW_UPDATE:
        this.#onWindowUpdate(id, p);
        return;
      case Type.RST_STREAM:
        this.#onRstStream(id, p);
        return;
      case Type.PING:
        if (id !== 0) this.#connectionError(Code.PROTOCOL_ERROR, 'a PING frame on a stream (RFC 9113 §6.7)');
        else if (p.length !== 8) this.#connectionError(Code.FRAME_SIZE_ERROR, `a PING frame of ${p.length} octets (RFC 9113 §6.7)`);
        else if ((flags & ACK) === 0) this.#reply(pingFrame(p, 0, true), 'PING');
        return;
      case Type.GOAWAY:
        this.#onGoaway(id, p);
        return;
      case Type.PRIORITY:
        if (id === 0) this.#connectionError(Code.PROTOCOL_ERROR, 'a PRIORITY frame on stream 0 (RFC 9113 §6.3)');
        else if (p.length !== 5) this.#streams.get(id)?._streamError(Code.FRAME_SIZE_ERROR, `a PRIORITY frame of ${p.length} octets (RFC 9113 §6.3)`);
        return;
      case Type.PUSH_PROMISE:
        this.#connectionError(Code.PROTOCOL_ERROR, 'PUSH_PROMISE although we announced SETTINGS_ENABLE_PUSH=0 (RFC 9113 §6.6, §8.4)');
        return;
      default:
        // Unknown frame types are ignored (RFC 9113 §5.5).
        return;
    }
  }

  /** @internal BlockSink: a header block broke its framing. */
  _blockError(code: number, message: string): void {
    this.#connectionError(code, message);
  }

  /** @internal BlockSink: a header block passed its bounds. */
  _blockTooLarge(err: LimitExceededError): void {
    this.#limitError(err);
  }

  /** @internal BlockSink: a whole header block of stream `id`, `flags` those of its HEADERS frame. */
  _block(flags: number, id: number, block: Buffer): void {
    const s = this.#streams.get(id);
    const fields = this.#fields;
    fields.length = 0;
    try {
      this.#decoder.decode(block, 0, block.length, fields, s !== undefined ? s.maxListSize : this.#blocks.cap);
    } catch (err) {
      if (err instanceof HeaderListTooLarge) {
        // Decoded whole (the table stays in step): only this stream fails.
        s?._limitError();
        return;
      }
      if (err instanceof HpackError) {
        this.#connectionError(Code.COMPRESSION_ERROR, `a bad HPACK header block: ${err.message} (RFC 7541)`);
        return;
      }
      throw err;
    }
    // A stream we closed or reset: its head was decoded (HPACK state) and is dropped.
    if (s !== undefined) s._onHeaders(fields, (flags & Flag.END_STREAM) !== 0);
  }

  #onSettings(flags: number, id: number, p: Buffer): void {
    if (id !== 0) {
      this.#connectionError(Code.PROTOCOL_ERROR, 'a SETTINGS frame on a stream (RFC 9113 §6.5)');
      return;
    }
    if ((flags & ACK) !== 0) {
      if (p.length !== 0) this.#connectionError(Code.FRAME_SIZE_ERROR, 'a SETTINGS ACK with a payload (RFC 9113 §6.5)');
      return;
    }
    if (p.length % 6 !== 0) {
      this.#connectionError(Code.FRAME_SIZE_ERROR, `a SETTINGS frame of ${p.length} octets (RFC 9113 §6.5)`);
      return;
    }
    let maxStreams = this.#settingsSeen ? this.maxStreams : 100;
    for (let i = 0; i < p.length; i += 6) {
      const key = p.readUInt16BE(i);
      const value = p.readUInt32BE(i + 2);
      switch (key) {
        case Setting.ENABLE_PUSH:
          // A server must not announce push (RFC 9113 §6.5.2: only 0 or 1, and a client treats 1 as an error).
          if (value !== 0) {
            this.#connectionError(Code.PROTOCOL_ERROR, `the server announced SETTINGS_ENABLE_PUSH=${value} (RFC 9113 §6.5.2)`);
            return;
          }
          break;
        case Setting.MAX_CONCURRENT_STREAMS:
          maxStreams = Math.min(value, MAX_STREAM_ID);
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW) {
            this.#connectionError(Code.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${value} over 2^31-1 (RFC 9113 §6.5.2)`);
            return;
          }
          const delta = value - this.#peerWindow;
          this.#peerWindow = value;
          if (delta !== 0) {
            for (const s of this.#streams.values()) {
              s._sendWindow += delta;
              if (s._sendWindow > MAX_WINDOW) {
                this.#connectionError(Code.FLOW_CONTROL_ERROR, 'SETTINGS_INITIAL_WINDOW_SIZE took a stream window past 2^31-1 (RFC 9113 §6.9.2)');
                return;
              }
            }
          }
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME || value > 0xffffff) {
            this.#connectionError(Code.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${value} outside 16384..16777215 (RFC 9113 §6.5.2)`);
            return;
          }
          this.#peerMaxFrame = value;
          break;
        default:
          // HEADER_TABLE_SIZE: our encoder never indexes (its table is empty); MAX_HEADER_LIST_SIZE is advisory; unknown ones are ignored.
          break;
      }
    }
    if (!this.#reply(SETTINGS_ACK, 'SETTINGS')) return;
    this.maxStreams = maxStreams;
    this.#settingsSeen = true;
    this.#unblock();
    this.#owner._pump();
  }

  #onWindowUpdate(id: number, p: Buffer): void {
    if (p.length !== 4) {
      this.#connectionError(Code.FRAME_SIZE_ERROR, `a WINDOW_UPDATE frame of ${p.length} octets (RFC 9113 §6.9)`);
      return;
    }
    const inc = p.readUInt32BE(0) & 0x7fffffff;
    if (id === 0) {
      if (inc === 0) {
        this.#connectionError(Code.PROTOCOL_ERROR, 'a WINDOW_UPDATE of 0 on the connection (RFC 9113 §6.9)');
        return;
      }
      this.#sendWindow += inc;
      if (this.#sendWindow > MAX_WINDOW) {
        this.#connectionError(Code.FLOW_CONTROL_ERROR, 'WINDOW_UPDATE took the connection window past 2^31-1 (RFC 9113 §6.9.1)');
        return;
      }
      this.#unblock();
      return;
    }
    const s = this.#streams.get(id);
    if (s === undefined) {
      if ((id & 1) === 0 || id >= this.#nextId) this.#connectionError(Code.PROTOCOL_ERROR, `a WINDOW_UPDATE on idle stream ${id} (RFC 9113 §5.1)`);
      return;
    }
    if (inc === 0) {
      s._streamError(Code.PROTOCOL_ERROR, 'a WINDOW_UPDATE of 0 (RFC 9113 §6.9)');
      return;
    }
    s._sendWindow += inc;
    if (s._sendWindow > MAX_WINDOW) {
      s._streamError(Code.FLOW_CONTROL_ERROR, 'WINDOW_UPDATE took the stream window past 2^31-1 (RFC 9113 §6.9.1)');
      return;
    }
    if ((s._outQ !== null && s._outQ.length > 0) || s._outEnd) this.#pump(s);
  }

  #onRstStream(id: number, p: Buffer): void {
    if (id === 0) {
      this.#connectionError(Code.PROTOCOL_ERROR, 'RST_STREAM on stream 0 (RFC 9113 §6.4)');
      return;
    }
    if (p.length !== 4) {
      this.#connectionError(Code.FRAME_SIZE_ERROR, `an RST_STREAM frame of ${p.length} octets (RFC 9113 §6.4)`);
      return;
    }
    const s = this.#streams.get(id);
    if (s === undefined) {
      if ((id & 1) === 0 || id >= this.#nextId) this.#connectionError(Code.PROTOCOL_ERROR, `RST_STREAM on idle stream ${id} (RFC 9113 §5.1)`);
      return;
    }
    this.#closeStream(id, s);
    s._onReset(p.readUInt32BE(0));
    // A stream refused (or reset before its head) may have been queued again: start it now, not when something else wakes the queue.
    this.#owner._pump();
  }

  #onGoaway(id: number, p: Buffer): void {
    if (id !== 0) {
      this.#connectionError(Code.PROTOCOL_ERROR, 'GOAWAY on a stream (RFC 9113 §6.8)');
      return;
    }
    if (p.length < 8) {
      this.#connectionError(Code.FRAME_SIZE_ERROR, `a GOAWAY frame of ${p.length} octets (RFC 9113 §6.8)`);
      return;
    }
    const last = p.readUInt32BE(0) & 0x7fffffff;
    const code = p.readUInt32BE(4);
    // A later GOAWAY may only lower the last stream id (RFC 9113 §6.8).
    this.#goawayLast = this.#goawayLast < 0 ? last : Math.min(this.#goawayLast, last);
    this.#drain();
    for (const [sid, s] of Array.from(this.#streams)) {
      if (sid <= this.#goawayLast) continue;
      this.#closeStream(sid, s);
      s._onUnprocessed();
    }
    if (code !== Code.NO_ERROR) {
      const text = `the server ended the HTTP/2 connection with GOAWAY(${codeName(code)})`;
      this._lost(code === Code.PROTOCOL_ERROR || code === Code.COMPRESSION_ERROR || code === Code.FLOW_CONTROL_ERROR || code === Code.FRAME_SIZE_ERROR ? new ProtocolError(text) : new NetworkError(text));
      return;
    }
    this.#owner._pump();
  }

  // ---- failure and close ----

  /** A connection error of ours: GOAWAY with `code`, then the connection closes and its streams fail. Returns false. */
  #connectionError(code: number, message: string): false {
    if (this.#gone) return false;
    this.#reader.kill();
    this.#queue(goawayFrame(0, code));
    this.#out.flush();
    this._lost(new ProtocolError(`HTTP/2 connection error ${codeName(code)}: ${message}`));
    return false;
  }

  /** Our limit on header blocks: the connection ends (ENHANCE_YOUR_CALM), its streams fail with `err`, never retried. */
  #limitError(err: LimitExceededError): void {
    if (this.#gone) return;
    this.#reader.kill();
    this.#queue(goawayFrame(0, Code.ENHANCE_YOUR_CALM));
    this.#out.flush();
    this._lost(err);
  }

  /**
   * @internal The connection is lost with `err` (closed, failed, ended by
   * us or by the server's GOAWAY with an error code): every stream still
   * open fails or is retried; the socket is destroyed.
   */
  _lost(err: Error): void {
    if (this.error === null) this.error = err;
    this.draining = true;
    this.#owner._sessionDraining(this);
    this.#reader.kill();
    const streams = Array.from(this.#streams.values());
    this.#streams.clear();
    this.#dataStream = null;
    this.active = 0;
    this.#blocked = [];
    for (const s of streams) s._detached();
    for (const s of streams) s._onLost(this.error);
    const socket = this.#socket;
    if (!socket.destroyed) {
      // What is queued (our GOAWAY) goes first.
      this.#out.flush();
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    }
    this.#owner._pump();
  }

  #drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.#owner._sessionDraining(this);
  }

  /** @internal */
  _onIdle(): void {
    if (this.active === 0 && !this.#gone) this.close();
  }

  /** @internal the socket closed. */
  _onClose(): void {
    if (this.#gone) return;
    if (this.#streams.size > 0) this._lost(this.error ?? new NetworkError('the HTTP/2 connection closed'));
    this.#gone = true;
    this.draining = true;
    clearTimeout(this.#idleTimer);
    this.#owner._sessionClosed(this, this.#conn);
  }

  /** Close gracefully: streams in flight finish, then GOAWAY and the connection closes. */
  close(): void {
    this.#drain();
    if (this.active > 0 || this.#gone) return;
    const socket = this.#socket;
    if (socket.destroyed) return;
    this.#queue(goawayFrame(0, Code.NO_ERROR));
    this.#out.flush();
    socket.end();
    refSocket(socket, false);
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}

/** Keep (or stop keeping) the process alive for `socket`; a userland Duplex transport has no such switch. */
function refSocket(socket: net.Socket, on: boolean): void {
  if (on) {
    if (typeof socket.ref === 'function') socket.ref();
  } else if (typeof socket.unref === 'function') socket.unref();
}
