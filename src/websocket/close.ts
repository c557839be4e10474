/**
 * Close codes (RFC 6455 §7.4) and close frame payloads (§5.5.1).
 * @module
 */
import { WebSocketError } from '../errors.js';
import { protocolError } from './frame.js';

const EMPTY = Buffer.alloc(0);

/** Close codes (RFC 6455 §7.4.1) reqivo sends or reports. */
export const CloseCode = Object.freeze({
  /** The purpose of the connection was fulfilled. */
  Normal: 1000,
  /** An endpoint is going away (server shutdown, client leaving). */
  GoingAway: 1001,
  /** The peer broke the protocol. */
  ProtocolError: 1002,
  /** A data type the endpoint cannot accept. */
  UnsupportedData: 1003,
  /** A close frame without a status code (never sent on the wire). */
  NoStatus: 1005,
  /** The connection dropped without a close frame (never sent on the wire). */
  Abnormal: 1006,
  /** A text message was not valid UTF-8 (or other inconsistent data). */
  InvalidPayload: 1007,
  /** A message violated the endpoint's policy. */
  PolicyViolation: 1008,
  /** A frame or message exceeded `maxFrameBytes` / `maxMessageBytes`. */
  MessageTooBig: 1009,
  /** The server did not negotiate an extension the client requires. */
  MandatoryExtension: 1010,
  /** The server hit an unexpected condition. */
  InternalError: 1011,
});

/** Whether `code` may appear in a close frame (§7.4.1, §7.4.2 and the IANA registry). */
export function isValidCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999))
  );
}

/**
 * Payload of a close frame: the code (big-endian) and the UTF-8 reason, or
 * empty for code 1005 (no status).
 * @throws WebSocketError when the code may not be sent or the reason exceeds 123 bytes.
 */
export function encodeClosePayload(code: number, reason: string): Buffer {
  if (code === 1005) {
    if (reason !== '') throw new WebSocketError('a close reason needs a close code');
    return EMPTY;
  }
  if (!isValidCloseCode(code)) throw new WebSocketError(`invalid close code ${code}: use 1000, 1001, 1002, 1003, 1007-1014 or 3000-4999`);
  const len = Buffer.byteLength(reason, 'utf8');
  if (len > 123) throw new WebSocketError(`close reason of ${len} bytes is too long (at most 123 bytes of UTF-8)`);
  const b = Buffer.allocUnsafe(2 + len);
  b.writeUInt16BE(code, 0);
  b.write(reason, 2, 'utf8');
  return b;
}

/**
 * Decode a received close frame's payload (§5.5.1, §7.1.5): empty means 1005.
 * @param isUtf8 validator for the reason bytes
 * @throws WebSocketError 1002 for a 1-byte payload or an invalid code, 1007 for a reason that is not UTF-8.
 */
export function decodeClosePayload(payload: Buffer, isUtf8: (b: Buffer) => boolean): { code: number; reason: string } {
  if (payload.length === 0) return { code: 1005, reason: '' };
  if (payload.length === 1) throw protocolError('close frame with a 1-byte payload');
  const code = payload.readUInt16BE(0);
  if (!isValidCloseCode(code)) throw protocolError(`close frame with invalid code ${code}`);
  const reason = payload.subarray(2);
  if (!isUtf8(reason)) throw new WebSocketError('close reason is not valid UTF-8', { code: 1007 });
  return { code, reason: reason.toString('utf8') };
}
