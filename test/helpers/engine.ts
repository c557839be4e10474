/**
 * Per-test bookkeeping for the engine's integration tests: sessions and
 * servers made through a {@link Harness} are closed after each test, and the
 * `afterEach` it installs asserts that nothing leaked — every server sees
 * its connections closed by the client (before the server itself closes
 * anything), then the shared leak check of sessions.ts runs.
 */
import assert from 'node:assert/strict';
import { Session } from '../../src/index.js';
import type { SessionOptions } from '../../src/index.js';
import { type TestServer, waitFor } from './servers.js';
import { useLeakCheck } from './sessions.js';

export interface Harness {
  /** A Session (proxy off) closed after the test. */
  session(opts?: SessionOptions): Session;
  /** Register a server: after the test, its connections must be closed by the client, then it is closed. */
  server<T extends TestServer>(srv: T): T;
  /** Run `fn` after the test (before the leak check), most recent first. */
  defer(fn: () => unknown): void;
}

/**
 * Install beforeEach/afterEach hooks in the calling test file (or describe
 * block) and return the harness. Servers must not close client connections
 * on their own for the check to be meaningful, so they are closed only once
 * the client side is known to have let go.
 */
export function useHarness(): Harness {
  let sessions: Session[] = [];
  let servers: TestServer[] = [];
  let deferred: Array<() => unknown> = [];
  useLeakCheck(async () => {
    const ss = sessions;
    const srvs = servers;
    const fns = deferred;
    sessions = [];
    servers = [];
    deferred = [];
    try {
      while (fns.length > 0) await fns.pop()!();
      for (const s of ss) await s.close();
      for (const srv of srvs) {
        await waitFor(() => srv.open.size === 0, 2000, `the client to close its ${srv.open.size} connection(s) to ${srv.url}`);
      }
    } finally {
      for (const srv of srvs) await srv.close();
    }
  });
  return {
    session(opts: SessionOptions = {}): Session {
      const s = new Session({ proxy: false, ...opts });
      sessions.push(s);
      return s;
    },
    server<T extends TestServer>(srv: T): T {
      servers.push(srv);
      return srv;
    },
    defer(fn: () => unknown): void {
      deferred.push(fn);
    },
  };
}

/** Assert that `p` rejects with an instance of `cls` whose name is the class name and whose message names `method` and `url`. */
export async function rejectsWith<E extends Error>(
  p: Promise<unknown>,
  cls: abstract new (...args: never[]) => E,
  method: string,
  url: string,
  check?: (err: E) => void,
): Promise<E> {
  let caught: unknown = null;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== null, `expected ${cls.name}, but the promise resolved`);
  const err = caught as E;
  assert.ok(err instanceof cls, `expected ${cls.name}, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
  assert.equal(err.name, cls.name);
  assert.ok(err.message.includes(`${method} ${url}`), `message should name "${method} ${url}": ${err.message}`);
  if (check) check(err);
  return err;
}

/** A deterministic PRNG (mulberry32) for reproducible "random" sizes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
