/**
 * The WebSocket part's result (ws-bench.ts) and its text table, shared by
 * the standalone `node build/bench/ws-bench.js` and `npm run bench -- --only=ws`.
 * @module
 */
import type { WsMemoryResult } from './ws-memory-child.js';

/** One scenario: each client's median score and the median of the paired ratios. */
export interface WsRow {
  id: string;
  title: string;
  unit: 'msg/s' | 'op/s';
  reqivo: number;
  ws: number;
  /** Median of the paired reqivo / ws ratios (higher is better for reqivo). */
  ratio: number;
  min: number;
  max: number;
  rounds: number;
  /** The floor client's median score (ws-floor.ts; only with `--floor`). */
  floor?: number;
  /** Median of the paired floor / ws ratios: the most `ratio` can reach. */
  floorRatio?: number;
  /** The echo server of a network scenario (`lean`: ws-lean-server.ts, `ws`: a ws server). */
  server?: 'lean' | 'ws';
  /** Median CPU per message (µs, user + system) of the client process, network scenarios only. */
  cpuReqivo?: number;
  cpuWs?: number;
  cpuFloor?: number;
  /** Median of the paired reqivo / ws CPU-per-message ratios (lower is better for reqivo). */
  cpuRatio?: number;
  /**
   * The echo server's CPU time over the round's wall time, median of each
   * client's rounds (1.0: the server used a whole core, so it and not the
   * client bounded the rate); absent without /proc.
   */
  serverBusyReqivo?: number;
  serverBusyWs?: number;
}

/** Everything the WebSocket part measured. */
export interface WsBenchResult {
  wsVersion: string;
  node: string;
  rounds: number;
  roundMs: number;
  pinned: boolean;
  /** The echo servers the network scenarios ran against. */
  servers?: string[];
  rows: WsRow[];
  memory: { reqivo: WsMemoryResult | null; ws: WsMemoryResult | null; error: string | null } | null;
  durationMs: number;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** The WebSocket tables. */
export function wsReportText(r: WsBenchResult): string {
  const head = `## ws: reqivo WebSocket vs ws ${r.wsVersion} (${r.rounds} paired rounds × ${r.roundMs} ms, ${r.pinned ? 'client and echo server pinned to separate cores' : 'NOT pinned'})`;
  const parts = [head];
  if (r.rows.length > 0) {
    const floor = r.rows.some((x) => x.floor !== undefined);
    const busy = r.rows.some((x) => x.serverBusyReqivo !== undefined);
    const rows = [
      [
        'scenario',
        'reqivo',
        'ws',
        'unit',
        'reqivo/ws',
        'range of pairs',
        'CPU µs/msg reqivo',
        'ws',
        'CPU reqivo/ws',
        ...(busy ? ['server busy: reqivo', 'ws'] : []),
        ...(floor ? ['floor', 'floor/ws', 'floor µs/msg'] : []),
      ],
    ];
    const share = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v * 100)} %`);
    for (const x of r.rows) {
      const f = !floor ? [] : x.floor === undefined ? ['-', '-', '-'] : [fmt(x.floor), `${x.floorRatio!.toFixed(2)}x`, x.cpuFloor!.toFixed(1)];
      const cpu = x.cpuRatio === undefined ? ['-', '-', '-'] : [x.cpuReqivo!.toFixed(1), x.cpuWs!.toFixed(1), `${x.cpuRatio.toFixed(2)}x`];
      const b = busy ? [share(x.serverBusyReqivo), share(x.serverBusyWs)] : [];
      rows.push([x.title, fmt(x.reqivo), fmt(x.ws), x.unit, `${x.ratio.toFixed(2)}x`, `${x.min.toFixed(2)}–${x.max.toFixed(2)}`, ...cpu, ...b, ...f]);
    }
    parts.push(pad(rows));
  }
  const m = r.memory;
  if (m !== null) {
    const rows = [['idle WebSocket', 'connections', 'B/conn', 'heap B', 'arrayBuffers B', 'vs ws']];
    const base = m.ws?.bytesPerConnection ?? null;
    for (const x of [m.reqivo, m.ws]) {
      if (x === null) continue;
      rows.push([
        x.client,
        fmt(x.count),
        fmt(x.bytesPerConnection),
        fmt(x.heapPerConnection),
        fmt(x.arrayBuffersPerConnection),
        base !== null && base > 0 ? `${(x.bytesPerConnection / base).toFixed(2)}x` : '-',
      ]);
    }
    parts.push(pad(rows));
    if (m.error !== null) parts.push(`memory errors: ${m.error}`);
  }
  const below = r.rows.filter((x) => x.ratio < 1).map((x) => x.title);
  parts.push(below.length === 0 ? 'reqivo ≥ 1.0x ws in every scenario.' : `below 1.0x: ${below.join(', ')}`);
  return parts.join('\n\n');
}
