/**
 * Test helpers for the frame codec: hand-built server frames (any bits, any
 * length encoding) and a recording FrameHandler.
 */
import { FrameParser, type FrameHandler } from '../../src/websocket/frame.js';

export interface RawFrameOptions {
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** Mask with this key (a server must not). */
  mask?: Uint8Array;
  /** Force a length encoding: 7, 16 or 64 bits. */
  lengthBits?: 7 | 16 | 64;
  /** Write this length instead of the payload's real one (64-bit form only when > 2^32). */
  declaredLength?: bigint | number;
}

/** Build a frame byte by byte, the way a (possibly broken) server would. */
export function rawFrame(opcode: number, payload: Uint8Array | string = new Uint8Array(0), o: RawFrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const len = BigInt(o.declaredLength ?? data.length);
  const bits = o.lengthBits ?? (len < 126n ? 7 : len < 65536n ? 16 : 64);
  const head: number[] = [
    ((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | (o.rsv2 ? 0x20 : 0) | (o.rsv3 ? 0x10 : 0) | opcode,
  ];
  const maskBit = o.mask ? 0x80 : 0;
  if (bits === 7) head.push(maskBit | Number(len));
  else if (bits === 16) head.push(maskBit | 126, Number(len >> 8n) & 0xff, Number(len) & 0xff);
  else {
    head.push(maskBit | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((len >> BigInt(i * 8)) & 0xffn));
  }
  let body = data;
  if (o.mask) {
    head.push(...o.mask);
    body = Buffer.from(data);
    for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ o.mask[i & 3]!;
  }
  return Buffer.concat([Buffer.from(head), body]);
}

export type Event =
  | { kind: 'data'; opcode: number; fin: boolean; compressed: boolean; payload: Buffer }
  | { kind: 'control'; opcode: number; payload: Buffer };

/** A FrameHandler that records what it gets (payloads copied). */
export class Recorder implements FrameHandler {
  events: Event[] = [];
  onDataFrame(opcode: number, fin: boolean, compressed: boolean, payload: Buffer): void {
    this.events.push({ kind: 'data', opcode, fin, compressed, payload: Buffer.from(payload) });
  }
  onControlFrame(opcode: number, payload: Buffer): void {
    this.events.push({ kind: 'control', opcode, payload: Buffer.from(payload) });
  }
}

export interface ParserSetup {
  maxFrameBytes?: number;
  maxMessageBytes?: number;
  rsv1Allowed?: boolean;
  expectMasked?: boolean;
}

export function newParser(o: ParserSetup = {}): { parser: FrameParser; rec: Recorder } {
  const rec = new Recorder();
  const parser = new FrameParser(rec, {
    maxFrameBytes: o.maxFrameBytes ?? 16 * 2 ** 20,
    maxMessageBytes: o.maxMessageBytes ?? 16 * 2 ** 20,
    expectMasked: o.expectMasked,
  });
  parser.rsv1Allowed = o.rsv1Allowed ?? false;
  return { parser, rec };
}

/** Feed `bytes` in pieces cut at `cuts` (sorted offsets). */
export function feedSplit(parser: FrameParser, bytes: Buffer, cuts: number[]): void {
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    if (c > prev) {
      const piece = bytes.subarray(prev, c);
      const n = parser.execute(piece);
      if (n !== piece.length) throw new Error(`parser consumed ${n} of ${piece.length}`);
    }
    prev = c;
  }
}
