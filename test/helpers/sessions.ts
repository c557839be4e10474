/**
 * Per-test cleanup and leak check shared by every test file with sessions:
 * sessions made with `session()` (and anything pushed on `cleanups`) are
 * closed after each test, last first; then the check asserts that the
 * process's open TCP/TLS handles are back to the count they had before the
 * test and that every scripted socket (mock-socket.ts) was closed.
 * test/helpers/engine.ts layers its server bookkeeping on {@link useLeakCheck}.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach } from 'node:test';
import { Session } from '../../src/index.js';
import { liveMockSockets } from './mock-socket.js';
import { openSockets, waitFor } from './servers.js';

/** A cleanup run after the test. */
export type Cleanup = () => Promise<void> | void;

/**
 * Install beforeEach/afterEach hooks: after each test `cleanup()` runs, then
 * open sockets must return to the baseline and no scripted socket may be left open.
 */
export function useLeakCheck(cleanup: () => Promise<void>): void {
  let baseline = 0;
  beforeEach(() => {
    baseline = openSockets();
    liveMockSockets.clear(); // one test's leak is reported once, by that test
  });
  afterEach(async () => {
    await cleanup();
    await waitFor(() => openSockets() <= baseline, 2000, `open sockets to return to ${baseline} (now ${openSockets()})`);
    await waitFor(() => liveMockSockets.size === 0, 2000, `${liveMockSockets.size} scripted socket(s) to be closed`);
    assert.ok(openSockets() <= baseline);
  });
}

/** What {@link useSessions} hands back. */
interface Sessions {
  cleanups: Cleanup[];
  session: (opts?: ConstructorParameters<typeof Session>[0]) => Session;
}

let installed: Sessions | null = null;

/**
 * Install the cleanup and leak check; returns the cleanup list and a session
 * factory (proxy off by default). Installed once per test file (process):
 * helpers that call it too (test/websocket/servers.ts) share the same list,
 * so no second leak check runs before this list's cleanups.
 */
export function useSessions(): Sessions {
  if (installed !== null) return installed;
  const cleanups: Cleanup[] = [];
  useLeakCheck(async () => {
    let first: unknown = null;
    while (cleanups.length > 0) {
      try {
        await cleanups.pop()!();
      } catch (err) {
        first ??= err; // run every cleanup; report the first failure
      }
    }
    if (first !== null) throw first;
  });
  const session = (opts: ConstructorParameters<typeof Session>[0] = {}): Session => {
    const s = new Session({ proxy: false, ...opts });
    cleanups.push(() => s.close());
    return s;
  };
  installed = { cleanups, session };
  return installed;
}
