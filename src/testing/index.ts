/**
 * Test utilities for code that uses reqivo: `import { startTestServer } from 'reqivo/testing'`.
 * @module
 */
export { type RecordedRequest, type Route, type RouteResponse, type TestServer, startTestServer } from './server.js';
