/**
 * CPU pinning with `taskset`: the clients run on core 0, the server on core 1,
 * so the server's work never competes with the client being measured. When
 * `taskset` is missing (or the machine has one core) everything runs unpinned
 * and the report says so.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Core of the client processes. */
export const CLIENT_CORE = 0;
/** Core of the server process. */
export const SERVER_CORE = 1;

let available: boolean | null = null;

/** Whether `taskset` runs here and there are at least two cores to split. */
export function tasksetAvailable(): boolean {
  if (available === null) {
    available = false;
    // os.cpus(), not availableParallelism(): a child already pinned to one core (runChild) may still pin its own children elsewhere.
    if (os.cpus().length >= 2) {
      try {
        execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore', timeout: 5_000 });
        available = true;
      } catch {
        available = false;
      }
    }
  }
  return available;
}

/** Argv prefix that starts a command pinned to `core`, or `[]` when pinning is unavailable. */
export function tasksetPrefix(core: number): string[] {
  return tasksetAvailable() ? ['taskset', '-c', String(core)] : [];
}

/** Pin every thread of this process to `core`; returns whether it worked. */
export function pinSelf(core: number): boolean {
  if (!tasksetAvailable()) return false;
  try {
    execFileSync('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** The CPUs this process may run on, as the kernel lists them (e.g. `'0'` or `'0-1'`). */
export function allowedCpus(): string {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'latin1'));
    return m ? m[1]! : 'unknown';
  } catch {
    return 'unknown';
  }
}
