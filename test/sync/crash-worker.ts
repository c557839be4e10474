/**
 * The reqivo/sync worker with failure switches for tests, chosen by the
 * request URL: `/__exit` exits the thread, `/__throw` throws an uncaught
 * error, `/__busy?ms=N` blocks its event loop for N ms (a hung worker); each
 * as the worker starts the request, whichever way it came (slot or message).
 */
import { testing } from '../../src/sync/worker.js';

testing.onRequest = (m) => {
  const u = new URL(m.url, 'http://x');
  if (u.pathname === '/__exit') process.exit(3);
  if (u.pathname === '/__throw') {
    setImmediate(() => {
      throw new Error('boom from the test worker');
    });
  }
  if (u.pathname === '/__busy') {
    const end = performance.now() + Number(u.searchParams.get('ms'));
    while (performance.now() < end);
  }
};
