/**
 * The WebSocket client: `new WebSocket(url, options)`, its options, events,
 * close codes, and the permessage-deflate settings.
 * @module
 */
export { WebSocket, type WebSocketData } from './client.js';
export type { WebSocketEventMap, WebSocketMessage } from './events.js';
export type { HandshakeResponse, WebSocketOptions } from './options.js';
export type { PerMessageDeflateOptions } from './negotiate.js';
export { CloseCode } from './close.js';
