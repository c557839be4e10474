/**
 * Was a round disturbed? On a shared VM the hypervisor steals time and other
 * processes land on our cores; `/proc/stat` tells both. For each round we
 * compare snapshots of the client core and the server core: steal time, and
 * "foreign" time (the core was busy with something other than the process
 * we pinned there). Ticks are 10 ms, so a round should last well over 100 ms.
 * @module
 */
import { readFileSync } from 'node:fs';
import { CLIENT_CORE, SERVER_CORE } from './pinning.js';

/** Kernel clock ticks per second for /proc/stat (USER_HZ, 100 on Linux). */
const TICK_MS = 10;
/** A round with more steal than this, on either core, is flagged. */
export const STEAL_LIMIT = 0.05;
/** A round whose client or server core was busy with other processes more than this is flagged. */
export const FOREIGN_LIMIT = 0.15;
/** A scenario whose server used more than this share of its core is server-bound (the report says so). */
export const SERVER_BOUND = 0.9;

/** Jiffy counters of one `cpuN` line. */
interface CoreTimes {
  total: number;
  /** user + nice + system: time spent running processes (irq and softirq left out: the
   * kernel charges our own network traffic there, to whichever core takes it). */
  proc: number;
  steal: number;
}

/** A `/proc/stat` snapshot, by core number. */
export type CpuSnapshot = Map<number, CoreTimes> | null;

/** Read `/proc/stat`; null where it is not available. */
export function readCpuStat(): CpuSnapshot {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'latin1');
  } catch {
    return null;
  }
  const cores = new Map<number, CoreTimes>();
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    // user nice system idle iowait irq softirq steal guest guest_nice; guest is already in user.
    const f = m[2]!.trim().split(/\s+/).map(Number);
    const first8 = f.slice(0, 8);
    const total = first8.reduce((a, b) => a + b, 0);
    cores.set(Number(m[1]), { total, proc: (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0), steal: f[7] ?? 0 });
  }
  return cores;
}

/** What happened on the two cores during a round. */
export interface Disturbance {
  /** Largest steal share of either core, 0..1. */
  steal: number;
  /** Share of the client core used by other processes, 0..1 (null when not pinned). */
  foreign: number | null;
  /** Share of the server core used by other processes, 0..1 (null when not pinned). */
  foreignServer: number | null;
  /**
   * Share of its core the server process used, 0..1. Near 1 the server, not
   * the client, bounds the rate (the 64 MiB stream): not a disturbance, but
   * the report says so.
   */
  server: number;
  /** Why the round is suspect; empty when it is clean. */
  flags: string[];
}

/**
 * Judge a round from snapshots before and after, our own CPU time and the
 * server's (microseconds), and the wall time (ms).
 */
export function assess(
  before: CpuSnapshot,
  after: CpuSnapshot,
  clientCpuMicros: number,
  serverCpuMicros: number,
  wallMs: number,
  pinned: boolean,
): Disturbance {
  const flags: string[] = [];
  const server = wallMs > 0 ? serverCpuMicros / 1000 / wallMs : 0;
  let steal = 0;
  const foreignOn = new Map<number, number>();
  if (before !== null && after !== null) {
    for (const [core, ownMicros] of [
      [CLIENT_CORE, clientCpuMicros],
      [SERVER_CORE, serverCpuMicros],
    ] as const) {
      const a = before.get(core);
      const b = after.get(core);
      if (a === undefined || b === undefined) continue;
      const total = b.total - a.total;
      if (total <= 0) continue;
      steal = Math.max(steal, (b.steal - a.steal) / total);
      if (pinned) foreignOn.set(core, Math.max(0, ((b.proc - a.proc) * TICK_MS - ownMicros / 1000) / (total * TICK_MS)));
    }
  }
  const foreign = foreignOn.get(CLIENT_CORE) ?? null;
  const foreignServer = foreignOn.get(SERVER_CORE) ?? null;
  if (steal > STEAL_LIMIT) flags.push(`steal ${(steal * 100).toFixed(0)}%`);
  if (foreign !== null && foreign > FOREIGN_LIMIT) flags.push(`client core busy ${(foreign * 100).toFixed(0)}%`);
  if (foreignServer !== null && foreignServer > FOREIGN_LIMIT) flags.push(`server core busy ${(foreignServer * 100).toFixed(0)}%`);
  return { steal, foreign, foreignServer, server, flags };
}
