/**
 * Per-test cleanup for client tests: sessions made with `session()` (and
 * anything pushed on `cleanups`) are closed after each test, last first.
 */
import { afterEach } from 'node:test';
import { Session } from '../../src/index.js';

/** Install an afterEach that runs the cleanups; returns the list and a session factory (proxy off by default). */
export function useSessions(): {
  cleanups: Array<() => Promise<void> | void>;
  session: (opts?: ConstructorParameters<typeof Session>[0]) => Session;
} {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });
  const session = (opts: ConstructorParameters<typeof Session>[0] = {}): Session => {
    const s = new Session({ proxy: false, ...opts });
    cleanups.push(() => s.close());
    return s;
  };
  return { cleanups, session };
}
