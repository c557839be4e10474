/**
 * How a scenario is measured, honestly on a noisy shared VM: every client is
 * warmed up first (V8 is slow to optimise here), then the clients' timed
 * rounds are interleaved, their order rotated each round, with no `gc()`
 * anywhere; each round records wall time, this process's CPU time, the
 * connections the server accepted and whether /proc/stat says the round was
 * disturbed. Medians are taken over the clean rounds when at least half are
 * clean.
 * @module
 */
import type { Client, ClientSpec } from './clients.js';
import { H2_BASELINE } from './h2-clients.js';
import { assess, type Disturbance, readCpuStat } from './cpu-stat.js';
import { type Scenario, type Workload, workloadFor } from './scenarios.js';
import type { BenchServer, ServerStats } from './server-process.js';
import { median } from './stats.js';

/** Knobs of one run (see run.ts for the values of a full and a quick run). */
export interface MeasureOptions {
  rounds: number;
  /** Length of a timed round of a request scenario, ms. */
  roundMs: number;
  /** Downloads per round of the stream scenario. */
  downloadsPerRound: number;
  /** Upper bound on a warm-up, ms (it normally ends on its request count). */
  warmupMaxMs: number;
  /** Whether the client and server are pinned to their own cores. */
  pinned: boolean;
  /** Progress messages. */
  log(msg: string): void;
}

/** One timed round of one client. */
export interface RoundSample {
  ops: number;
  bytes: number;
  wallMs: number;
  cpuMicros: number;
  /** Requests/s, or MiB/s for the stream scenario. */
  rate: number;
  /** CPU µs per request, or per MiB for the stream scenario. */
  cpu: number;
  /** Connections the server accepted during the round. */
  connections: number;
  disturbance: Disturbance;
}

/** Everything measured for one client in one scenario. */
export interface ClientResult {
  client: string;
  /** Set when the client failed (the rounds before the failure are kept). */
  error: string | null;
  warmupOps: number;
  /** Connections accepted during the warm-up and the rounds. */
  connections: number;
  rounds: RoundSample[];
  /** Rounds the medians are taken over. */
  roundsUsed: number;
  /** Rounds flagged as disturbed. */
  roundsDisturbed: number;
  /** Median rate and CPU per unit over the rounds used, null without rounds. */
  rate: number | null;
  cpu: number | null;
  /** (max − min) / median of the rates used. */
  spread: number | null;
  /** Median share of its core the server used (near 1: the server bounds the rate). */
  serverShare: number | null;
}

/** One scenario's results. */
export interface ScenarioResult {
  id: string;
  title: string;
  /** 'req/s' or 'MiB/s'. */
  rateUnit: string;
  /** 'µs/req' or 'µs/MiB'. */
  cpuUnit: string;
  inFlight: number;
  /** The client the ratios are taken against, when not the run's baseline (the h2 scenarios'). */
  baseline?: string;
  clients: ClientResult[];
}

const MiB = 1024 * 1024;
/** A round that overruns its time by this much is abandoned and the client marked failed. */
const ROUND_GRACE_MS = 20_000;
const STREAM_ROUND_LIMIT_MS = 60_000;
const MAX_OPS_PER_ROUND = 10_000_000;

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** Reject if `p` does not settle within `ms`; `p`'s own later rejection is swallowed. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  p.catch(() => {});
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * For an h2 scenario: throw unless, between `s0` and `s1`, every connection the client opened was an
 * h2 session, none negotiated HTTP/1.1, and the server saw `ops` h2 streams (one per request). How
 * many connections it opened is reported (`conns`: 1 for a client that kept to one session).
 */
function checkH2(name: string, s0: ServerStats, s1: ServerStats, ops: number): void {
  const conns = s1.connections - s0.connections;
  const sessions = (s1.sessions ?? 0) - (s0.sessions ?? 0);
  const http1 = (s1.http1 ?? 0) - (s0.http1 ?? 0);
  const streams = s1.requests - s0.requests;
  if (http1 !== 0 || sessions !== conns || streams !== ops) {
    throw new Error(
      `${name} did not speak h2 throughout: the server saw ${conns} connections, ${sessions} h2 sessions, ${http1} non-h2 connections, ${streams} h2 streams for ${ops} requests`,
    );
  }
}

/** A client under test in one scenario. */
interface Entry {
  spec: ClientSpec;
  client: Client | null;
  result: ClientResult;
  workload: Workload | null;
}

async function fail(entry: Entry, err: unknown, log: (m: string) => void): Promise<void> {
  entry.result.error = errorText(err);
  log(`  ${entry.spec.name} failed: ${entry.result.error}`);
  const c = entry.client;
  entry.client = null;
  entry.workload = null;
  if (c !== null) await within(c.close(), 5_000, `${entry.spec.name} close`).catch(() => {});
}

/** Measure one scenario for every client. */
export async function measureScenario(
  scenario: Scenario,
  specs: readonly ClientSpec[],
  server: BenchServer,
  quick: boolean,
  opts: MeasureOptions,
): Promise<ScenarioResult> {
  const stream = scenario.kind === 'stream';
  const h2 = scenario.protocol === 'h2';
  const entries: Entry[] = specs.map((spec) => ({
    spec,
    client: null,
    workload: null,
    result: {
      client: spec.name,
      error: null,
      warmupOps: 0,
      connections: 0,
      rounds: [],
      roundsUsed: 0,
      roundsDisturbed: 0,
      rate: null,
      cpu: null,
      spread: null,
      serverShare: null,
    },
  }));

  // Create and warm every client before any timed round.
  const warmupOps = scenario.warmup[quick ? 1 : 0];
  for (const e of entries) {
    try {
      e.client = await within(e.spec.create(server.origin, scenario.connections, server.ca ?? undefined), 10_000, `${e.spec.name} setup`);
      e.workload = workloadFor(scenario, e.client);
      opts.log(`  warming ${e.spec.name} (${warmupOps} ${stream ? 'downloads' : 'requests'})`);
      const s0 = await server.stats();
      const r = await within(
        e.workload.run(performance.now() + opts.warmupMaxMs, warmupOps),
        opts.warmupMaxMs + ROUND_GRACE_MS,
        `${e.spec.name} warm-up`,
      );
      const s1 = await server.stats();
      if (h2) checkH2(e.spec.name, s0, s1, r.ops);
      e.result.warmupOps = r.ops;
      e.result.connections += s1.connections - s0.connections;
    } catch (err) {
      await fail(e, err, opts.log);
    }
  }

  for (let round = 0; round < opts.rounds; round++) {
    const active = entries.filter((e) => e.workload !== null);
    if (active.length === 0) break;
    const k = round % active.length;
    const order = active.slice(k).concat(active.slice(0, k));
    for (const e of order) {
      try {
        const srv0 = await server.stats();
        const cpu0 = readCpuStat();
        const user0 = process.cpuUsage();
        const t0 = performance.now();
        const deadline = stream ? t0 + STREAM_ROUND_LIMIT_MS : t0 + opts.roundMs;
        const maxOps = stream ? opts.downloadsPerRound : MAX_OPS_PER_ROUND;
        const limit = stream ? STREAM_ROUND_LIMIT_MS + ROUND_GRACE_MS : opts.roundMs + ROUND_GRACE_MS;
        const r = await within(e.workload!.run(deadline, maxOps), limit, `${e.spec.name} round`);
        const wallMs = performance.now() - t0;
        const used = process.cpuUsage(user0);
        const cpu1 = readCpuStat();
        const srv1 = await server.stats();
        if (h2) checkH2(e.spec.name, srv0, srv1, r.ops);
        const cpuMicros = used.user + used.system;
        const connections = srv1.connections - srv0.connections;
        e.result.connections += connections;
        const units = stream ? r.bytes / MiB : r.ops;
        e.result.rounds.push({
          ops: r.ops,
          bytes: r.bytes,
          wallMs,
          cpuMicros,
          rate: units / (wallMs / 1000),
          cpu: units > 0 ? cpuMicros / units : 0,
          connections,
          disturbance: assess(cpu0, cpu1, cpuMicros, srv1.cpuMicros - srv0.cpuMicros, wallMs, opts.pinned),
        });
      } catch (err) {
        await fail(e, err, opts.log);
      }
    }
    opts.log(`  round ${round + 1}/${opts.rounds} done`);
  }

  for (const e of entries) {
    if (e.client !== null) {
      await within(e.client.close(), 5_000, `${e.spec.name} close`).catch((err) => {
        opts.log(`  ${e.spec.name} close failed: ${errorText(err)}`);
      });
    }
    summarize(e.result);
  }
  return {
    id: scenario.id,
    title: scenario.title,
    rateUnit: stream ? 'MiB/s' : 'req/s',
    cpuUnit: stream ? 'µs/MiB' : 'µs/req',
    inFlight: scenario.inFlight,
    ...(h2 ? { baseline: H2_BASELINE } : {}),
    clients: entries.map((e) => e.result),
  };
}

/** Medians over the clean rounds when at least half are clean, else over all of them. */
function summarize(r: ClientResult): void {
  const all = r.rounds;
  if (all.length === 0) return;
  const clean = all.filter((s) => s.disturbance.flags.length === 0);
  const used = clean.length >= Math.ceil(all.length / 2) ? clean : all;
  r.roundsUsed = used.length;
  r.roundsDisturbed = all.length - clean.length;
  const rates = used.map((s) => s.rate);
  r.rate = median(rates);
  r.cpu = median(used.map((s) => s.cpu));
  r.spread = r.rate > 0 ? (Math.max(...rates) - Math.min(...rates)) / r.rate : null;
  r.serverShare = median(used.map((s) => s.disturbance.server));
}
