/**
 * The report: one text table per scenario (ratios against the baseline
 * client), the memory table, the hot-class table, and the same data as JSON
 * in bench/results/latest.json.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClassSize } from './classes-child.js';
import { SERVER_BOUND } from './cpu-stat.js';
import type { ScenarioResult } from './measure.js';
import { IDLE_CONNECTIONS, type IdleRow } from './idle.js';
import { KEPT_BODY_BYTES, type MemoryRow } from './memory.js';
import { type WsBenchResult, wsReportText } from './ws-report.js';

/** About the machine and the run. */
export interface RunMeta {
  date: string;
  node: string;
  v8: string;
  cpuModel: string;
  cores: number;
  pinned: boolean;
  pinNote: string;
  quick: boolean;
  command: string;
  baseline: string;
  rounds: number;
  roundMs: number;
  clientVersions: Record<string, string>;
  unavailable: Record<string, string>;
  durationMs: number;
}

/** Everything one run produced. */
export interface Report {
  meta: RunMeta;
  scenarios: ScenarioResult[];
  memory: MemoryRow[] | null;
  /** Idle keep-alive connections (`--only=idle`), or null when not run. */
  idle: IdleRow[] | null;
  classes: ClassSize[] | null;
  classesError: string | null;
  /** The WebSocket part (ws-bench.ts), or null when not run or failed. */
  ws: WsBenchResult | null;
  wsError: string | null;
}

/** Left-align the first column, right-align the rest. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function num(n: number | null, digits = 0): string {
  if (n === null || !Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The client whose CPU per request is the floor (floor.ts). */
const FLOOR = 'floor';

function ratio(n: number | null, base: number | null): string {
  if (n === null || base === null || !(base > 0)) return '-';
  return `${(n / base).toFixed(2)}x`;
}

function pct(n: number | null): string {
  return n === null || !Number.isFinite(n) ? '-' : `${(n * 100).toFixed(0)}%`;
}

/** reqivo's and reqivo-fetch's rate and CPU as ratios to the peer with the best rate (issue 16's targets), or ''. */
function bestPeerLine(s: ScenarioResult): string {
  const ours = (n: string): boolean => n === 'reqivo' || n === 'reqivo-fetch' || n === 'reqivo-before' || n === FLOOR;
  let best: ScenarioResult['clients'][number] | null = null;
  for (const c of s.clients) if (!ours(c.client) && c.rate !== null && (best === null || c.rate > best.rate!)) best = c;
  if (best === null) return '';
  const lines: string[] = [];
  for (const c of s.clients) {
    if (c.client === FLOOR || !ours(c.client) || c.rate === null) continue;
    lines.push(`${c.client} vs the best peer (${best.client}): rate ${ratio(c.rate, best.rate)}, CPU/req ${ratio(c.cpu, best.cpu)}`);
  }
  return lines.length === 0 ? '' : `\n\n${lines.join('\n')}`;
}

/** One scenario as a text table. */
export function scenarioTable(s: ScenarioResult, runBaseline: string): string {
  const baseline = s.baseline ?? runBaseline;
  const base = s.clients.find((c) => c.client === baseline) ?? null;
  const floor = s.clients.find((c) => c.client === FLOOR) ?? null;
  const rows = s.clients.map((c) => {
    const cpuDigits = s.cpuUnit === 'µs/req' ? 1 : 0;
    const roundsCell = `${c.roundsUsed}/${c.rounds.length}${c.roundsDisturbed > 0 ? ` (${c.roundsDisturbed}!)` : ''}`;
    return [
      c.client,
      num(c.rate),
      ratio(c.rate, base?.rate ?? null),
      num(c.cpu, cpuDigits),
      ratio(c.cpu, base?.cpu ?? null),
      ratio(c.cpu, floor?.cpu ?? null),
      String(c.connections),
      roundsCell,
      pct(c.spread),
      c.error ?? '',
    ];
  });
  const header = [
    'client',
    s.rateUnit,
    `vs ${baseline}`,
    `CPU ${s.cpuUnit}`,
    `vs ${baseline}`,
    `vs ${FLOOR}`,
    'conns',
    'rounds',
    'spread',
    'error',
  ];
  if (rows.every((r) => r[9] === '')) {
    header.pop();
    for (const r of rows) r.pop();
  }
  const bound = s.clients.filter((c) => c.serverShare !== null && c.serverShare > SERVER_BOUND).map((c) => c.client);
  const note =
    bound.length === 0
      ? ''
      : `\n\nnote: the server used over ${SERVER_BOUND * 100}% of its core for ${bound.join(', ')}: that rate is bounded by the server, compare CPU instead`;
  return `## ${s.id}: ${s.title}\n\n${table(header, rows)}${note}${bestPeerLine(s)}`;
}

/** The idle-connection rows as a text table. */
export function idleTable(rows: IdleRow[], baseline: string): string {
  const base = rows.find((r) => r.client === baseline)?.bytesPerConnection ?? null;
  const body = rows.map((r) => [
    r.client,
    num(r.bytesPerConnection),
    ratio(r.bytesPerConnection, base),
    num(r.result?.heapGrowth ?? null),
    num(r.result?.arrayBuffersGrowth ?? null),
    String(r.connections),
    r.error ?? '',
  ]);
  const header = ['client', 'B/idle conn', `vs ${baseline}`, 'heap growth B', 'arrayBuffers growth B', 'conns', 'error'];
  if (body.every((r) => r[6] === '')) {
    header.pop();
    for (const r of body) r.pop();
  }
  return `## idle: ${IDLE_CONNECTIONS.toLocaleString('en-US')} idle keep-alive connections per client, one process per client (heap + arrayBuffers growth after gc, per connection)\n\n${table(header, body)}`;
}

/** The memory rows as a text table. */
export function memoryTable(rows: MemoryRow[], baseline: string): string {
  const base = rows.find((r) => r.client === baseline)?.result ?? null;
  const baseOverhead = base === null ? null : base.retainedPerResponse - KEPT_BODY_BYTES;
  const body = rows.map((r) => {
    const m = r.result;
    const overhead = m === null ? null : m.retainedPerResponse - KEPT_BODY_BYTES;
    return [
      r.client,
      num(m?.retainedPerResponse ?? null),
      num(overhead),
      ratio(overhead, baseOverhead),
      num(m?.heapPerResponse ?? null),
      num(m?.arrayBuffersPerResponse ?? null),
      String(r.connections),
      m === null ? '-' : (m.streamPeakRssGrowth / 2 ** 20).toFixed(1),
      r.error ?? '',
    ];
  });
  const header = [
    'client',
    'retained B/resp',
    'overhead B',
    `vs ${baseline}`,
    'heap B',
    'arrayBuffers B',
    'conns',
    '64 MiB stream peak RSS +MiB',
    'error',
  ];
  if (body.every((r) => r[8] === '')) {
    header.pop();
    for (const r of body) r.pop();
  }
  const n = rows.find((r) => r.result !== null)?.result?.count ?? 0;
  return `## memory: ${n.toLocaleString('en-US')} kept responses of ${KEPT_BODY_BYTES} B each, one process per client\n\n${table(header, body)}`;
}

/** The hot-class sizes as a text table. */
export function classesTable(rows: ClassSize[]): string {
  const body = rows.map((r) => [
    r.name,
    r.bytes === null ? '-' : r.bytes.toFixed(1),
    r.fields === null ? '-' : String(r.fields),
    r.fastProperties === null ? '-' : r.fastProperties ? 'yes' : 'NO',
    r.error ?? '',
  ]);
  return `## reqivo hot classes: heap bytes per instance (shared constructor arguments)\n\n${table(
    ['class', 'bytes', 'public fields', 'fast properties', 'error'],
    body,
  )}`;
}

/** The header lines about the machine and the run. */
export function metaText(m: RunMeta): string {
  const lines = [
    `# reqivo bench — ${m.date}`,
    '',
    `node ${m.node} (V8 ${m.v8}), ${m.cores} cores: ${m.cpuModel}`,
    `${m.pinNote}`,
    `${m.quick ? 'quick run' : 'full run'}: ${m.rounds} interleaved rounds of ${m.roundMs} ms per client and scenario, order rotated each round; medians of the clean rounds`,
    `ratios are against ${m.baseline}; "(n!)" = rounds flagged as disturbed (steal, or another process on the client or server core); spread = (max - min) / median`,
    `clients: ${Object.entries(m.clientVersions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
  for (const [k, why] of Object.entries(m.unavailable)) lines.push(`unavailable: ${k} (${why})`);
  return lines.join('\n');
}

/** The whole report as text. */
export function reportText(r: Report): string {
  const parts = [metaText(r.meta)];
  for (const s of r.scenarios) parts.push(scenarioTable(s, r.meta.baseline));
  if (r.memory !== null) parts.push(memoryTable(r.memory, r.meta.baseline));
  if (r.idle !== null) parts.push(idleTable(r.idle, r.meta.baseline));
  if (r.classes !== null) parts.push(classesTable(r.classes));
  else if (r.classesError !== null) parts.push(`## reqivo hot classes\n\nnot measured: ${r.classesError}`);
  if (r.ws !== null) parts.push(wsReportText(r.ws));
  else if (r.wsError !== null) parts.push(`## ws\n\nnot measured: ${r.wsError}`);
  parts.push(`(${(r.meta.durationMs / 1000).toFixed(1)} s)`);
  return parts.join('\n\n');
}

/** Write the report as JSON to bench/results/latest.json (relative to the repo); returns the path. */
export function writeJson(r: Report): string {
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}latest.json`;
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}
