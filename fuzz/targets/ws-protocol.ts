/**
 * Fuzz target: the WebSocket protocol fed borrowed bytes
 * (src/websocket/protocol.ts `receive(data, true)`, as a connection reading
 * into the one shared buffer does).
 *
 * A sequence of server frames (messages, fragments, control frames), half of
 * them mutated, is fed once as bytes of its own, then at random splits
 * through one reused buffer that is scribbled over after every read, with
 * the reader's queue filling (parsing held) and draining at random between
 * reads. Messages are kept exactly as handed out, not copied. Invariant:
 * both runs report the same messages, pings, pongs, close and failure — so
 * nothing the protocol keeps is a view of a read buffer that was reused.
 * @module
 */
import assert from 'node:assert/strict';
import type { WebSocketError } from '../../src/errors.js';
import type { WebSocketMessage } from '../../src/websocket/events.js';
import { Protocol, type ProtocolEvents } from '../../src/websocket/protocol.js';
import { withInput, type Target } from '../engine.js';
import { mutate } from '../mutate.js';
import type { Rng } from '../prng.js';
import { splitAt } from '../../test/http1/parser-harness.js';
import { generate } from './ws-frame.js';

/** Records what the protocol reports; messages as given (kept, not copied), the rest as text at once. */
class Events implements ProtocolEvents {
  readonly messages: WebSocketMessage[] = [];
  readonly other: string[] = [];
  onMessage(msg: WebSocketMessage): void {
    this.messages.push(msg);
  }
  onCompressed(): void {
    this.other.push('compressed');
  }
  onPing(payload: Buffer): void {
    this.other.push(`ping ${payload.toString('hex')}`);
  }
  onPong(payload: Buffer): void {
    this.other.push(`pong ${payload.toString('hex')}`);
  }
  onCloseFrame(code: number, reason: string): void {
    this.other.push(`close ${code} ${reason}`);
  }
  onFail(err: WebSocketError): void {
    this.other.push(`fail ${err.code}`);
  }
  onSend(frame: Buffer): void {
    this.other.push(`send ${frame.length}`);
  }
}

function view(msgs: WebSocketMessage[]): string[] {
  return msgs.map((m) => (typeof m === 'string' ? `text ${m}` : `binary ${Buffer.from(m).toString('hex')}`));
}

/** The protocol target (borrowed reads). */
export const wsProtocol: Target = {
  name: 'ws-protocol',
  one(rng: Rng) {
    const g = generate(rng, false, false);
    const data = rng.chance(0.5) ? mutate(rng, g.data, null) : g.data;
    withInput(data, () => {
      const owned = new Events();
      const a = new Protocol(owned, 1 << 20, 1 << 22);
      a.open(false);
      a.receive(Buffer.from(data));

      const borrowed = new Events();
      const b = new Protocol(borrowed, 1 << 20, 1 << 22);
      b.open(false);
      const shared = Buffer.allocUnsafe(data.length + 1);
      for (const part of splitAt(data, rng.splits(data.length))) {
        shared.set(part);
        b.receive(shared.subarray(0, part.length), true);
        shared.fill(rng.int(256));
        // The reader's queue fills (parsing held, the rest of a read kept) or drains.
        if (rng.chance(0.3)) b.hold(true);
        else if (rng.chance(0.5)) b.hold(false);
      }
      b.hold(false);
      assert.deepEqual(view(borrowed.messages), view(owned.messages), 'the same messages, intact');
      assert.deepEqual(borrowed.other, owned.other, 'the same control frames, close and failure');
    });
  },
};
