/**
 * `npm run bench` entry point: pin this process to the client core, start the
 * server on the other core, run the scenarios (interleaved, rotated rounds),
 * the memory bench and the hot-class sizes, print the tables and write
 * bench/results/latest.json. Progress goes to stderr, the report to stdout.
 * A benchmark, not a test: it never fails on a time, only when a part could
 * not run at all.
 * @module
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { USAGE, parseArgs } from './args.js';
import { runChild } from './child.js';
import type { ClassSize } from './classes-child.js';
import { BASELINE, CLIENTS, type ClientSpec, findClient } from './clients.js';
import { measureScenario, type MeasureOptions, type ScenarioResult } from './measure.js';
import { measureIdle, type IdleRow } from './idle.js';
import { measureMemory, type MemoryRow } from './memory.js';
import { CLIENT_CORE, SERVER_CORE, allowedCpus, pinSelf, tasksetAvailable } from './pinning.js';
import { type Report, reportText, writeJson } from './report.js';
import { SCENARIOS } from './scenarios.js';
import { H2_BASELINE, H2_CLIENTS } from './h2-clients.js';
import { certs } from '../test/helpers/certs.js';
import type { WsBenchResult } from './ws-report.js';
import { BenchServer } from './server-process.js';

const MEMORY_RESPONSES = 5000;
const CLASS_INSTANCES = 100_000;
/** The idle-connection part compares reqivo with undici and node:http (their pools; the others sit on node:http's Agent). */
const IDLE_CLIENTS = ['undici', 'node:http', 'reqivo'];

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

function versionOf(pkg: string): string {
  try {
    const url = new URL(`../../node_modules/${pkg}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function reqivoVersion(): string {
  try {
    const url = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** The h2 clients asked for (by their names, or `reqivo` / `reqivo-fetch`), the h2 baseline always included. */
function selectH2Clients(names: string[] | null): ClientSpec[] {
  if (names === null) return [...H2_CLIENTS];
  const wanted = new Set(names.map((n) => (n === 'http2' ? 'node:http2' : n)));
  return H2_CLIENTS.filter((c) => c.name === H2_BASELINE || wanted.has(c.name));
}

/** The clients asked for, baseline first and always included. */
function selectClients(names: string[] | null): ClientSpec[] {
  if (names === null) return [...CLIENTS];
  const picked = new Set<ClientSpec>([findClient(BASELINE)!]);
  for (const n of names) {
    const spec = findClient(n);
    if (spec === undefined && H2_CLIENTS.some((c) => c.name === n || (n === 'http2' && c.name === 'node:http2'))) continue;
    if (spec === undefined) throw new Error(`unknown client ${n}\n\n${USAGE}`);
    picked.add(spec);
  }
  return CLIENTS.filter((c) => picked.has(c));
}

function selectParts(only: string[] | null): { scenarios: typeof SCENARIOS; memory: boolean; idle: boolean; classes: boolean; ws: boolean } {
  if (only === null) return { scenarios: SCENARIOS, memory: true, idle: true, classes: true, ws: true };
  for (const o of only) {
    if (o !== 'memory' && o !== 'idle' && o !== 'classes' && o !== 'ws' && !SCENARIOS.some((s) => s.id === o)) throw new Error(`unknown part ${o}\n\n${USAGE}`);
  }
  return {
    scenarios: SCENARIOS.filter((s) => only.includes(s.id)),
    memory: only.includes('memory'),
    idle: only.includes('idle'),
    classes: only.includes('classes'),
    ws: only.includes('ws'),
  };
}

/** Drop the clients that cannot even be created (e.g. reqivo when its build is broken). */
async function available(specs: ClientSpec[], origin: string, unavailable: Record<string, string>, ca?: string): Promise<ClientSpec[]> {
  const ok: ClientSpec[] = [];
  for (const spec of specs) {
    try {
      const c = await spec.create(origin, undefined, ca);
      await c.close();
      ok.push(spec);
    } catch (err) {
      unavailable[spec.name] = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      log(`${spec.name} is unavailable: ${unavailable[spec.name]}`);
    }
  }
  return ok;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const started = performance.now();
  const parts = selectParts(args.only);
  let specs = selectClients(args.clients);

  const selfPinned = pinSelf(CLIENT_CORE);
  const server = await BenchServer.start();
  const kill = (): void => server.killNow();
  process.once('exit', kill);
  const onSignal = (sig: NodeJS.Signals): void => {
    kill();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const pinned = selfPinned && server.pinned;
  const pinNote = pinned
    ? `pinned with taskset: clients on core ${CLIENT_CORE} (allowed CPUs ${allowedCpus()}), server on core ${SERVER_CORE}`
    : `NOT pinned (${tasksetAvailable() ? 'taskset failed' : 'taskset missing or fewer than 2 cores'}): clients and server share the cores`;
  log(pinNote);

  const quick = args.quick;
  const opts: MeasureOptions = {
    rounds: args.rounds ?? (quick ? 3 : 7),
    roundMs: args.roundMs ?? (quick ? 200 : 1000),
    downloadsPerRound: quick ? 2 : 5,
    warmupMaxMs: quick ? 5_000 : 30_000,
    pinned,
    log,
  };

  const unavailable: Record<string, string> = {};
  let scenarios: ScenarioResult[] = [];
  let memory: MemoryRow[] | null = null;
  let idle: IdleRow[] | null = null;
  let classes: ClassSize[] | null = null;
  let classesError: string | null = null;
  let ws: WsBenchResult | null = null;
  let wsError: string | null = null;
  try {
    specs = await available(specs, server.origin, unavailable);
    scenarios = [];
    for (const sc of parts.scenarios) {
      if (sc.protocol === 'h2') continue;
      log(`${sc.id}: ${sc.title}`);
      scenarios.push(await measureScenario(sc, specs, server, quick, opts));
    }
    const h2Scenarios = parts.scenarios.filter((sc) => sc.protocol === 'h2');
    if (h2Scenarios.length > 0) {
      // The HTTP/2 server (TLS, the test certificate made now) in its own pinned process, like the HTTP/1.1 one.
      const c = certs();
      const h2 = await BenchServer.start({ serverKey: c.serverKey, serverCert: c.serverCert, caCert: c.caCert });
      process.once('exit', () => h2.killNow());
      try {
        const h2Unavailable: Record<string, string> = {};
        const h2Specs = await available(selectH2Clients(args.clients), h2.origin, h2Unavailable, c.caCert);
        for (const [k, v] of Object.entries(h2Unavailable)) unavailable[`${k} (h2)`] = v;
        for (const sc of h2Scenarios) {
          log(`${sc.id}: ${sc.title}`);
          scenarios.push(await measureScenario(sc, h2Specs, h2, quick, opts));
        }
      } finally {
        await h2.stop();
      }
    }
    if (parts.memory) {
      log('memory');
      memory = await measureMemory(specs, server, MEMORY_RESPONSES, log);
    }
    if (parts.idle) {
      log('idle');
      idle = await measureIdle(specs.filter((s) => IDLE_CLIENTS.includes(s.name)), server, log);
    }
    if (parts.classes) {
      log('classes');
      try {
        classes = await runChild<ClassSize[]>(
          './classes-child.js',
          ['--expose-gc', '--allow-natives-syntax'],
          [String(CLASS_INSTANCES)],
          60_000,
        );
      } catch (err) {
        classesError = err instanceof Error ? err.message : String(err);
      }
    }
  } finally {
    await server.stop();
  }
  if (parts.ws) {
    // Its own echo server (a `ws` server on the server core) and its own child processes.
    log('ws');
    const wsArgs = [...(quick ? ['--quick'] : []), ...(args.rounds !== null ? [`--rounds=${args.rounds}`] : []), ...(args.roundMs !== null ? [`--round-ms=${args.roundMs}`] : [])];
    try {
      ws = await runChild<WsBenchResult>('./ws-bench.js', ['--expose-gc'], wsArgs, 900_000);
    } catch (err) {
      wsError = err instanceof Error ? err.message : String(err);
      log(`ws failed: ${wsError}`);
    }
  }

  const clientVersions: Record<string, string> = {
    undici: versionOf('undici'),
    'node:http': process.versions.node,
    axios: versionOf('axios'),
    got: versionOf('got'),
    'http2-wrapper': versionOf('http2-wrapper'),
    reqivo: reqivoVersion(),
  };
  const report: Report = {
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      v8: process.versions.v8,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      pinned,
      pinNote,
      quick,
      command: `node build/bench/run.js ${process.argv.slice(2).join(' ')}`.trim(),
      baseline: BASELINE,
      rounds: opts.rounds,
      roundMs: opts.roundMs,
      clientVersions,
      unavailable,
      durationMs: performance.now() - started,
    },
    scenarios,
    memory,
    idle,
    classes,
    classesError,
    ws,
    wsError,
  };
  console.log(reportText(report));
  const file = writeJson(report);
  log(`wrote ${file}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Bounded: if a client left a handle open, do not hang on it.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  },
);
