/**
 * Test utilities for code that uses reqivo: `import { startTestServer } from 'reqivo/testing'`.
 * @module
 */
export { type Fault, type RecordedRequest, type Route, type RouteResponse, type TestServer, startTestServer } from './server.js';
export {
  MockAgent,
  MockInterceptor,
  MockNotMatchedError,
  MockPool,
  type MatchSpec,
  type MockErrorCode,
  type MockReply,
  type MockRequest,
  type ReplyOptions,
} from './mock-agent.js';
export type { ValueMatcher } from './mock-match.js';
