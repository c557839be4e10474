/**
 * TLS failures are classified in the error tree's file (one classifier for
 * every path); re-exported here for the transport's imports.
 * @module
 */
export { tlsFailure } from '../errors.js';
