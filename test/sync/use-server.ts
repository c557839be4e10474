/**
 * The setup the blocking-API test files share: one server thread for the
 * file, and every SyncSession passed to `track()` closed after each test.
 */
import { after, afterEach, before } from 'node:test';
import type { SyncSession } from '../../src/sync/index.js';
import { type ServerThread, startServerThread } from './server-thread.js';

/** Install the hooks; `server()` is the file's server thread (started before the first test). */
export function useServerThread(): { server: () => ServerThread; track: (s: SyncSession) => SyncSession } {
  let server: ServerThread | null = null;
  const open: SyncSession[] = [];
  before(async () => {
    server = await startServerThread();
  });
  after(() => server?.close());
  afterEach(() => {
    while (open.length > 0) open.pop()!.close();
  });
  return {
    server: () => {
      if (server === null) throw new Error('the server thread is not started yet');
      return server;
    },
    track: (s) => {
      open.push(s);
      return s;
    },
  };
}
