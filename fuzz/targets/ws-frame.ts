/**
 * Fuzz target: the WebSocket frame parser (src/websocket/frame.ts).
 *
 * A sequence of frames (data, continuations, control frames, every length
 * encoding, RSV bits; unmasked, or masked for the parser's server mode), half of them mutated, fed whole and
 * at random splits. Invariants: only WebSocketError with close code 1002 or
 * 1009 is thrown; every split reports the same frames and the same error;
 * no frame or message is over its limit; an unmutated valid sequence
 * comes back frame for frame.
 * @module
 */
import assert from 'node:assert/strict';
import { WebSocketError } from '../../src/errors.js';
import { maskInPlace } from '../../src/websocket/build.js';
import { compressedFrameLimit, type FrameHandler, FrameParser } from '../../src/websocket/frame.js';
import { withInput, type Target } from '../engine.js';
import { mutate } from '../mutate.js';
import type { Rng } from '../prng.js';
import { splitAt } from '../../test/http1/parser-harness.js';

interface Settings {
  masked: boolean;
  maxFrameBytes: number;
  maxMessageBytes: number;
  rsv1Allowed: boolean;
}

/** What one run reported: frames as `opcode fin compressed hex`, then the close code of the error. */
function feed(parts: Uint8Array[], s: Settings): string[] {
  const events: string[] = [];
  let messageBytes = 0;
  const handler: FrameHandler = {
    onDataFrame(opcode, fin, compressed, payload) {
      // A compressed frame may exceed maxFrameBytes by DEFLATE's worst-case growth (frame.ts).
      assert.ok(payload.length <= (compressed ? compressedFrameLimit(s.maxFrameBytes) : s.maxFrameBytes), 'frame within maxFrameBytes');
      messageBytes += payload.length;
      if (!compressed) assert.ok(messageBytes <= s.maxMessageBytes, 'message within maxMessageBytes');
      if (fin) messageBytes = 0;
      events.push(`data ${opcode} ${fin} ${compressed} ${payload.toString('hex')}`);
    },
    onControlFrame(opcode, payload) {
      assert.ok(payload.length <= 125, 'control frame of at most 125 bytes');
      events.push(`control ${opcode} ${payload.toString('hex')}`);
    },
  };
  const p = new FrameParser(handler, { maxFrameBytes: s.maxFrameBytes, maxMessageBytes: s.maxMessageBytes, expectMasked: s.masked });
  p.rsv1Allowed = s.rsv1Allowed;
  try {
    for (const part of parts) assert.equal(p.execute(Buffer.from(part.buffer, part.byteOffset, part.byteLength)), part.length, 'all bytes consumed');
  } catch (err) {
    if (!(err instanceof WebSocketError) || (err.code !== 1002 && err.code !== 1009)) throw err;
    events.push(`error ${err.code}`);
  }
  return events;
}

/**
 * A server frame, unmasked unless `mask` (then the parser plays the server's
 * side); short payloads sometimes in the 16- or 64-bit length form (legal, if not minimal).
 */
function frame(rng: Rng, opcode: number, payload: Buffer, fin: boolean, rsv1: boolean, mask: boolean): Buffer {
  const n = payload.length;
  const form = n >= 65536 ? 127 : n >= 126 ? rng.pick([126, 127]) : rng.chance(0.8) ? n : rng.pick([126, 127]);
  const h = Buffer.alloc(2 + (form === 126 ? 2 : form === 127 ? 8 : 0) + (mask ? 4 : 0));
  h[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  h[1] = (mask ? 0x80 : 0) | form;
  if (form === 126) h.writeUInt16BE(n, 2);
  else if (form === 127) h.writeUInt32BE(n, 6);
  if (!mask) return Buffer.concat([h, payload]);
  const key = rng.bytes(4);
  key.copy(h, h.length - 4);
  const body = Buffer.from(payload);
  maskInPlace(body, 0, body.length, key, 0);
  return Buffer.concat([h, body]);
}

/** A valid sequence of 1–3 messages (fragments, control frames between them) and the events it must give. */
export function generate(rng: Rng, rsv1Allowed: boolean, mask: boolean): { data: Buffer; expected: string[] } {
  const parts: Buffer[] = [];
  const expected: string[] = [];
  for (let m = rng.range(1, 4); m > 0; m--) {
    const opcode = rng.chance(0.5) ? 1 : 2;
    const compressed = rsv1Allowed && rng.chance(0.3);
    const pieces = rng.range(1, 3);
    for (let k = 0; k < pieces; k++) {
      if (rng.chance(0.2)) {
        const ctl = rng.pick([8, 9, 10]);
        const payload = rng.bytes(rng.int(126));
        parts.push(frame(rng, ctl, payload, true, false, mask));
        expected.push(`control ${ctl} ${payload.toString('hex')}`);
      }
      const payload = rng.bytes(rng.size(70000));
      const fin = k === pieces - 1;
      parts.push(frame(rng, k === 0 ? opcode : 0, payload, fin, k === 0 && compressed, mask));
      expected.push(`data ${opcode} ${fin} ${compressed} ${payload.toString('hex')}`);
    }
  }
  return { data: Buffer.concat(parts), expected };
}

/** The WebSocket frame parser target. */
export const wsFrame: Target = {
  name: 'ws-frame',
  one(rng) {
    const s: Settings = { masked: rng.chance(0.2), maxFrameBytes: 1 << 20, maxMessageBytes: 1 << 22, rsv1Allowed: rng.chance(0.5) };
    const limited = rng.chance(0.2);
    if (limited) {
      s.maxFrameBytes = rng.int(300);
      s.maxMessageBytes = rng.int(600);
    }
    const g = generate(rng, s.rsv1Allowed, s.masked);
    const mutated = rng.chance(0.5);
    const data = mutated ? mutate(rng, g.data, rng.chance(0.3) ? generate(rng, true, s.masked).data : null) : g.data;
    withInput(data, () => {
      const whole = feed([data], s);
      for (let k = 0; k < 3; k++) assert.deepEqual(feed(splitAt(data, rng.splits(data.length)), s), whole, `random split ${k}`);
      if (!mutated && !limited) assert.deepEqual(whole, g.expected, 'valid frames come back as sent');
    });
  },
};
