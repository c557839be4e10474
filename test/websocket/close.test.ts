import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketError } from '../../src/errors.js';
import { CloseCode, decodeClosePayload, encodeClosePayload, isValidCloseCode } from '../../src/websocket/close.js';
import { isValidUtf8 } from '../../src/websocket/utf8.js';

describe('close payloads', () => {
  test('encode and decode code + reason', () => {
    const p = encodeClosePayload(4001, 'bye ✓');
    assert.deepEqual(decodeClosePayload(p, isValidUtf8), { code: 4001, reason: 'bye ✓' });
  });

  test('empty payload means 1005 (no status)', () => {
    assert.deepEqual(decodeClosePayload(Buffer.alloc(0), isValidUtf8), { code: 1005, reason: '' });
    assert.equal(encodeClosePayload(1005, '').length, 0);
    assert.throws(() => encodeClosePayload(1005, 'x'), WebSocketError);
  });

  test('a 1-byte payload → 1002', () => {
    assert.throws(() => decodeClosePayload(Buffer.from([3]), isValidUtf8), (e: unknown) => e instanceof WebSocketError && e.code === 1002);
  });

  test('invalid codes in a received frame → 1002', () => {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]) {
      const p = Buffer.alloc(2);
      p.writeUInt16BE(code);
      assert.throws(() => decodeClosePayload(p, isValidUtf8), (e: unknown) => e instanceof WebSocketError && e.code === 1002, String(code));
    }
  });

  test('a reason that is not UTF-8 → 1007', () => {
    const p = Buffer.from([0x03, 0xe8, 0xff, 0xfe]);
    assert.throws(() => decodeClosePayload(p, isValidUtf8), (e: unknown) => e instanceof WebSocketError && e.code === 1007);
  });

  test('codes that may be sent', () => {
    for (const c of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]) assert.ok(isValidCloseCode(c), String(c));
    for (const c of [999, 1004, 1005, 1006, 1015, 2999, 5000, 1000.5]) assert.ok(!isValidCloseCode(c), String(c));
    assert.throws(() => encodeClosePayload(1006, ''), /invalid close code 1006/);
  });

  test('reason at most 123 bytes of UTF-8', () => {
    assert.equal(encodeClosePayload(1000, 'x'.repeat(123)).length, 125);
    assert.throws(() => encodeClosePayload(1000, 'x'.repeat(124)), /124 bytes is too long/);
    assert.throws(() => encodeClosePayload(1000, 'é'.repeat(62)), /124 bytes/);
  });

  test('CloseCode names the codes', () => {
    assert.equal(CloseCode.Normal, 1000);
    assert.equal(CloseCode.ProtocolError, 1002);
    assert.equal(CloseCode.InvalidPayload, 1007);
    assert.equal(CloseCode.MessageTooBig, 1009);
    assert.ok(Object.isFrozen(CloseCode));
  });
});
