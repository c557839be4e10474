/**
 * WebSocket benchmark: reqivo's WebSocket client vs the `ws` client, both
 * talking to an echo server running in a child process (so the server's CPU
 * is not the clients'). The network scenarios run against two servers in
 * turn (`--servers=lean,ws`): the lean echo server (ws-lean-server.ts: a
 * bare socket that echoes every frame of one read in one write, so the
 * server does not bound what a client can reach) and a `ws` server (the
 * usual peer, whose per-message work and one write per message are much of
 * every round trip). Each row gives messages per second and the client
 * process's CPU per message (user + system µs; the server runs elsewhere),
 * each as the median of paired reqivo / ws ratios.
 *
 * Scenarios (messages per second, higher is better):
 * - rtt-64b      one 64-byte binary message at a time: send, await the echo
 * - rtt-64b-text the same with text (ws's listener decodes with toString(),
 *                as a user must; reqivo delivers strings)
 * - rtt-16k      one 16 KiB binary message at a time
 * - pipe-1000    1,000 64-byte messages sent back to back, then all 1,000
 *                echoes awaited
 * - codec        no socket: parsing 64 B binary and text frames (with the
 *                UTF-8 check and decode a user needs) and building masked
 *                64 B / 16 KiB frames, against ws's own Receiver and
 *                Sender.frame (operations per second)
 * - memory       bytes per idle open WebSocket: `--idle=N` (default 2,000)
 *                connections per client, each client in its own
 *                `--expose-gc` process (ws-memory-child.ts), heap +
 *                arrayBuffers growth after gc()
 *
 * `--floor` adds a third client to the network scenarios, the floor
 * (ws-floor.ts): a bare socket reading into a reused buffer, writing
 * prebuilt frames and counting echoed bytes — the most any Node client can
 * get from this server and kernel.
 * Its column `floor/ws` bounds what `reqivo/ws` can reach.
 *
 * The echo server runs pinned to the server core and the clients to the
 * client core (pinning.ts) when `taskset` works. Also a part of
 * `npm run bench` (`--only=ws`), which runs this file as a child and gets
 * the result over IPC.
 *
 * Rounds run in back-to-back pairs (one per client, order alternating);
 * each client's score is the median of its rounds and the ratio is the
 * median of the pairs' reqivo / ws ratios (≥ 1.0 means reqivo is as fast or
 * faster), which cancels drift in machine load between pairs.
 *
 * Small-message round trips are bound by system calls, by waking the other
 * process and by the server: a client's own work is a small part of a round
 * trip (see the floor), so expect the rate near 1.0× and read the client's
 * cost in the CPU column, in the codec lines, in 16 KiB round trips
 * (masking) and in pipelined sends (batched writes).
 *
 * Every echo is checked (its length and kind, see `checkEcho`).
 *
 * Run: `npm run build:test && node build/bench/ws-bench.js [--quick] [--rounds=N] [--round-ms=N] [--idle=N] [--only=a,b] [--floor] [--servers=lean,ws]`
 * A benchmark, not a test: it never fails on a time.
 * @module
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocket as WsClient, WebSocketServer } from 'ws';
import * as wsModule from 'ws';
import { buildFrame, buildTextFrame } from '../src/websocket/build.js';
import { FrameParser } from '../src/websocket/frame.js';
import { WebSocket } from '../src/websocket/index.js';
import { isValidUtf8 } from '../src/websocket/utf8.js';
import { reply, runChild } from './child.js';
import { startLeanServer } from './ws-lean-server.js';
import { SERVER_CORE, pinSelf, CLIENT_CORE, tasksetPrefix } from './pinning.js';
import { type WsDriver as Driver, wsFloorDriver } from './ws-floor.js';
import type { WsMemoryResult } from './ws-memory-child.js';
import { type WsBenchResult, type WsRow, wsReportText } from './ws-report.js';

/** Which echo server the network scenarios talk to. */
type ServerKind = 'lean' | 'ws';
const SERVER_KINDS: readonly ServerKind[] = ['lean', 'ws'];

/** Child process: an echo server of `kind` until told to stop. */
async function runServer(kind: ServerKind): Promise<void> {
  let port = 0;
  let stop: () => void;
  if (kind === 'lean') {
    const server = await startLeanServer();
    const addr = server.address();
    port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    stop = () => server.close();
  } else {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * 2 ** 20 });
    wss.on('connection', (s) => {
      s.on('message', (data, isBinary) => s.send(data as Buffer, { binary: isBinary }));
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const addr = wss.address();
    port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    stop = () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
    };
  }
  process.send!({ port });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stop') {
      stop();
      process.exit(0);
    }
  });
}

interface Args {
  quick: boolean;
  rounds: number;
  roundMs: number;
  only: string[] | null;
  /** Idle connections per client in the memory part. */
  idle: number;
  /** Also measure the floor client in the network scenarios. */
  floor: boolean;
  /** Echo servers the network scenarios run against, each in turn. */
  servers: ServerKind[];
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { quick: false, rounds: 0, roundMs: 0, only: null, idle: 2000, floor: false, servers: [...SERVER_KINDS] };
  for (const arg of argv) {
    const [k, v = ''] = arg.split('=');
    if (k === '--quick') a.quick = true;
    else if (k === '--rounds') a.rounds = Number(v);
    else if (k === '--round-ms') a.roundMs = Number(v);
    else if (k === '--only') a.only = v.split(',').filter(Boolean);
    else if (k === '--server-child') continue;
    else if (k === '--servers') {
      a.servers = v.split(',').filter(Boolean) as ServerKind[];
      for (const x of a.servers) if (!SERVER_KINDS.includes(x)) throw new Error(`unknown server ${x} (lean, ws)`);
    }
    else if (k === '--idle') a.idle = Number(v);
    else if (k === '--floor') a.floor = true;
    else throw new Error(`unknown flag ${arg}\nusage: node build/bench/ws-bench.js [--quick] [--rounds=N] [--round-ms=N] [--idle=N] [--floor] [--servers=lean,ws] [--only=rtt-64b,rtt-64b-text,rtt-16k,pipe-1000,codec,memory]`);
  }
  if (!a.rounds) a.rounds = a.quick ? 5 : 15;
  if (!a.roundMs) a.roundMs = a.quick ? 150 : 300;
  return a;
}

/** Every echo is checked: the length of each (cheap enough not to move the figures), as the HTTP scenarios check each body's. */
function checkEcho(client: string, sent: Buffer | string, got: unknown): void {
  const n = typeof got === 'string' || Buffer.isBuffer(got) ? got.length : -1;
  if (n !== sent.length || (typeof got === 'string') !== (typeof sent === 'string')) throw new Error(`${client}: an echo of ${n} units for a message of ${sent.length}`);
}

async function reqivoDriver(url: string): Promise<Driver> {
  const ws = new WebSocket(url, { proxy: false, perMessageDeflate: false });
  await ws.connect();
  return {
    name: 'reqivo',
    async roundTrips(msg, n) {
      for (let i = 0; i < n; i++) {
        await ws.send(msg);
        checkEcho('reqivo', msg, await ws.receive());
      }
    },
    async pipelined(msg, batch) {
      let last: Promise<void> | null = null;
      for (let i = 0; i < batch; i++) last = ws.send(msg);
      await last;
      for (let i = 0; i < batch; i++) checkEcho('reqivo', msg, await ws.receive());
    },
    close: () => ws.close(),
  };
}

async function wsDriver(url: string): Promise<Driver> {
  const ws = new WsClient(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let onMessage: (data: unknown) => void = () => {};
  let decodeText = false;
  let sent: Buffer | string = '';
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const m = decodeText && !isBinary ? data.toString() : data;
    checkEcho('ws', sent, m);
    onMessage(m);
  });
  return {
    name: 'ws',
    async roundTrips(msg, n) {
      decodeText = typeof msg === 'string';
      sent = msg;
      for (let i = 0; i < n; i++) {
        await new Promise<unknown>((resolve) => {
          onMessage = resolve;
          ws.send(msg);
        });
      }
    },
    async pipelined(msg, batch) {
      decodeText = false;
      sent = msg;
      await new Promise<void>((resolve) => {
        let got = 0;
        onMessage = () => {
          if (++got === batch) resolve();
        };
        for (let i = 0; i < batch; i++) ws.send(msg);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}

interface Scenario {
  id: string;
  title: string;
  /** Messages per unit of work. */
  perUnit: number;
  /** Do `units` units of work. */
  run(d: Driver, units: number): Promise<void>;
}

const SMALL = Buffer.alloc(64, 0x61);
const SMALL_TEXT = 'a'.repeat(64);
const LARGE = Buffer.alloc(16 * 1024, 0x62);

const SCENARIOS: Scenario[] = [
  { id: 'rtt-64b', title: 'round trip, 64 B binary', perUnit: 100, run: (d, u) => d.roundTrips(SMALL, 100 * u) },
  { id: 'rtt-64b-text', title: 'round trip, 64 B text', perUnit: 100, run: (d, u) => d.roundTrips(SMALL_TEXT, 100 * u) },
  { id: 'rtt-16k', title: 'round trip, 16 KiB binary', perUnit: 50, run: (d, u) => d.roundTrips(LARGE, 50 * u) },
  {
    id: 'pipe-1000',
    title: '1,000 pipelined 64 B sends + echoes',
    perUnit: 1000,
    run: async (d, u) => {
      for (let i = 0; i < u; i++) await d.pipelined(SMALL, 1000);
    },
  },
];

/** One round of one client: messages per second, this process's CPU per message (µs: the client's, the server runs elsewhere), and how busy the echo server was. */
interface Score {
  rate: number;
  cpuUs: number;
  /** The echo server process's CPU time over the round's wall time (1.0: a whole core, it bounds the rate); -1 where /proc is not there. */
  serverBusy: number;
}

/** CPU time (ms, user + system) of process `pid` from /proc (10 ms ticks), or -1 where there is no /proc. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5) (utime, stime), counted after the ") " that ends the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return -1;
  }
}

/** USER_HZ: what /proc counts CPU time in (100 on every Linux Node runs on). */
const CLOCK_TICKS = 100;

/** Messages per second (and CPU per message, and the server's busy share) over about `ms` of work against the server process `serverPid`. */
async function measure(d: Driver, s: Scenario, ms: number, serverPid: number): Promise<Score> {
  let units = 1;
  let messages = 0;
  const server0 = processCpuMs(serverPid);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let elapsed = 0;
  // Grow the batch until a round lasts `ms`; bounded so a stuck client cannot loop forever.
  for (let guard = 0; guard < 10_000 && elapsed < ms; guard++) {
    await s.run(d, units);
    messages += units * s.perUnit;
    elapsed = performance.now() - t0;
    if (elapsed < ms / 4) units *= 2;
  }
  const cpu = process.cpuUsage(cpu0);
  const server1 = processCpuMs(serverPid);
  const serverBusy = server0 < 0 || server1 < 0 ? -1 : (server1 - server0) / elapsed;
  return { rate: (messages / elapsed) * 1000, cpuUs: (cpu.user + cpu.system) / messages, serverBusy };
}

// ---------------------------------------------------------------------------
// Codec: frames parsed and built without a socket.

type WsSenderStatic = { frame(data: Buffer, o: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[] };
type WsReceiver = { on(e: 'message', l: (d: Buffer, isBinary: boolean) => void): void; write(b: Buffer): void };
// ws exports its codec classes at runtime; @types/ws does not declare them.
const WsSender = (wsModule as unknown as { Sender: WsSenderStatic }).Sender;
const WsReceiverClass = (wsModule as unknown as { Receiver: new (o: object) => WsReceiver }).Receiver;

function serverFrame(opcode: number, payload: Buffer): Buffer {
  const head = Buffer.from([0x80 | opcode, payload.length]);
  return Buffer.concat([head, payload]);
}

interface CodecCase {
  title: string;
  reqivo(): () => void;
  ws(): () => void;
}

/** Consumed by the codec cases so the work cannot be optimised away. */
let sink = 0;

function codecCases(): CodecCase[] {
  const bin = Array.from({ length: 256 }, (_, i) => serverFrame(2, Buffer.alloc(64, i)));
  const text = Array.from({ length: 256 }, (_, i) => serverFrame(1, Buffer.from(`${i} héllo wörld, `.padEnd(64, 'x').slice(0, 62))));
  const parse = (frames: Buffer[], asText: boolean) => () => {
    let i = 0;
    const p = new FrameParser(
      {
        onDataFrame(_o, _f, _c, payload) {
          if (asText) {
            if (!isValidUtf8(payload)) throw new Error('bad utf-8');
            sink += payload.toString('utf8').length;
          } else sink += payload.length;
        },
        onControlFrame() {},
      },
      { maxFrameBytes: 2 ** 20, maxMessageBytes: 2 ** 20 },
    );
    return () => {
      p.execute(frames[i++ & 255]!);
    };
  };
  const wsParse = (frames: Buffer[], asText: boolean) => () => {
    let i = 0;
    const r = new WsReceiverClass({ isServer: false, maxPayload: 2 ** 20, binaryType: 'nodebuffer' });
    r.on('message', (d: Buffer, isBinary: boolean) => {
      // A ws user gets a Buffer for text too and must decode it.
      sink += asText && !isBinary ? d.toString().length : d.length;
    });
    return () => {
      r.write(frames[i++ & 255]!);
    };
  };
  const small = Buffer.alloc(64, 1);
  const large = Buffer.alloc(16 * 1024, 2);
  const smallText = 'a'.repeat(64);
  const opts = { fin: true, rsv1: false, opcode: 2, mask: true, readOnly: true };
  return [
    { title: 'parse 64 B binary frame', reqivo: parse(bin, false), ws: wsParse(bin, false) },
    { title: 'parse + decode 64 B text frame', reqivo: parse(text, true), ws: wsParse(text, true) },
    { title: 'build masked 64 B binary frame', reqivo: () => () => void buildFrame(2, small), ws: () => () => void WsSender.frame(small, opts) },
    {
      title: 'build masked 64 B text frame',
      reqivo: () => () => void buildTextFrame(smallText),
      ws: () => () => void WsSender.frame(Buffer.from(smallText), { ...opts, opcode: 1, readOnly: false }),
    },
    { title: 'build masked 16 KiB frame', reqivo: () => () => void buildFrame(2, large), ws: () => () => void WsSender.frame(large, opts) },
  ];
}

/** Operations per second of `op` over about `ms`. */
function opsPerSecond(op: () => void, ms: number): number {
  let n = 0;
  let batch = 64;
  const t0 = performance.now();
  let elapsed = 0;
  for (let guard = 0; guard < 1_000_000 && elapsed < ms; guard++) {
    for (let i = 0; i < batch; i++) op();
    n += batch;
    elapsed = performance.now() - t0;
    if (elapsed < ms / 8) batch *= 2;
  }
  return (n / elapsed) * 1000;
}

function runCodec(args: Args): WsRow[] {
  const out: WsRow[] = [];
  for (const c of codecCases()) {
    const r = c.reqivo();
    const w = c.ws();
    opsPerSecond(r, 200);
    opsPerSecond(w, 200);
    const rs: number[] = [];
    const ws: number[] = [];
    const ratios: number[] = [];
    for (let i = 0; i < args.rounds; i++) {
      const a = opsPerSecond(r, args.roundMs / 2);
      const b = opsPerSecond(w, args.roundMs / 2);
      rs.push(a);
      ws.push(b);
      ratios.push(a / b);
    }
    out.push({ id: 'codec', title: `codec: ${c.title}`, unit: 'op/s', reqivo: median(rs), ws: median(ws), ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), rounds: ratios.length });
    log(`  ${out[out.length - 1]!.title}`);
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** An echo server of `kind` in its own process, pinned to the server core when taskset works. */
async function startServer(kind: ServerKind): Promise<{ port: number; pid: number; pinned: boolean; stop(): void }> {
  const prefix = tasksetPrefix(SERVER_CORE);
  const argv = [...prefix, process.execPath, fileURLToPath(import.meta.url), '--server-child', kind];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`the echo server exited (${code})`)));
  });
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', kill);
  return {
    port,
    pid: child.pid ?? 0,
    pinned: prefix.length > 0,
    stop: () => {
      child.send({ cmd: 'stop' });
      setTimeout(kill, 2_000).unref();
    },
  };
}

const SERVER_TITLE: Record<ServerKind, string> = { lean: 'lean echo server', ws: 'ws echo server' };

async function runNetwork(args: Args, server: ServerKind, url: string, port: number, serverPid: number): Promise<WsRow[]> {
  const network = SCENARIOS.filter((s) => !args.only || args.only.includes(s.id));
  if (network.length === 0) return [];
  const drivers = [await reqivoDriver(url), await wsDriver(url)];
  if (args.floor) drivers.push(await wsFloorDriver(port));
  const rows: WsRow[] = [];
  try {
    for (const s of network) {
      log(`  ${server}: ${s.id}: ${s.title}`);
      // Warm-up: let both clients' code (and the server's) get optimised.
      for (const d of drivers) await measure(d, s, Math.min(500, args.roundMs), serverPid);
      const scores: Record<string, Score[]> = { reqivo: [], ws: [], floor: [] };
      const ratios: number[] = [];
      const cpuRatios: number[] = [];
      const floorRatios: number[] = [];
      for (let r = 0; r < args.rounds; r++) {
        // Back-to-back pairs, order alternating: both clients see the same machine load, and each
        // pair gives one ratio, so drift in the load (other processes, CPU frequency) cancels out.
        const order = r % 2 === 0 ? drivers : [...drivers].reverse();
        const got: Record<string, Score> = {};
        for (const d of order) got[d.name] = await measure(d, s, args.roundMs, serverPid);
        scores.reqivo!.push(got.reqivo!);
        scores.ws!.push(got.ws!);
        ratios.push(got.reqivo!.rate / got.ws!.rate);
        cpuRatios.push(got.reqivo!.cpuUs / got.ws!.cpuUs);
        if (got.floor !== undefined) {
          scores.floor!.push(got.floor);
          floorRatios.push(got.floor.rate / got.ws!.rate);
        }
      }
      const rate = (xs: Score[]): number => median(xs.map((x) => x.rate));
      const cpu = (xs: Score[]): number => median(xs.map((x) => x.cpuUs));
      const busy = (xs: Score[]): number | undefined => (xs.some((x) => x.serverBusy < 0) ? undefined : median(xs.map((x) => x.serverBusy)));
      rows.push({
        id: s.id,
        title: `${s.title} (${SERVER_TITLE[server]})`,
        server,
        unit: 'msg/s',
        reqivo: rate(scores.reqivo!),
        ws: rate(scores.ws!),
        ratio: median(ratios),
        min: Math.min(...ratios),
        max: Math.max(...ratios),
        rounds: ratios.length,
        cpuReqivo: cpu(scores.reqivo!),
        cpuWs: cpu(scores.ws!),
        cpuRatio: median(cpuRatios),
        serverBusyReqivo: busy(scores.reqivo!),
        serverBusyWs: busy(scores.ws!),
        ...(floorRatios.length > 0 ? { floor: rate(scores.floor!), floorRatio: median(floorRatios), cpuFloor: cpu(scores.floor!) } : {}),
      });
    }
  } finally {
    for (const d of drivers) await d.close();
  }
  return rows;
}

/** Each client in its own process (pinned to the client core), one after the other. */
async function runMemory(args: Args, url: string): Promise<{ reqivo: WsMemoryResult | null; ws: WsMemoryResult | null; error: string | null }> {
  const out: { reqivo: WsMemoryResult | null; ws: WsMemoryResult | null; error: string | null } = { reqivo: null, ws: null, error: null };
  for (const name of ['reqivo', 'ws'] as const) {
    log(`  memory: ${args.idle} idle connections, ${name}`);
    try {
      out[name] = await runChild<WsMemoryResult>('./ws-memory-child.js', ['--expose-gc'], [name, url, String(args.idle)], 120_000);
    } catch (err) {
      out.error = `${out.error ?? ''}${name}: ${err instanceof Error ? err.message : String(err)} `;
      log(`  memory: ${name} failed: ${String(err)}`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const viaIpc = typeof process.send === 'function';
  // Standalone: pin this process to the client core like `npm run bench` does (its child runner pins it there already).
  const clientPinned = viaIpc ? tasksetPrefix(CLIENT_CORE).length > 0 : pinSelf(CLIENT_CORE);
  const wsVersion = (await import('ws/package.json', { with: { type: 'json' } }).catch(() => ({ default: { version: '?' } }))).default.version;
  log(`reqivo WebSocket vs ws ${wsVersion}: ${args.rounds} rounds × ${args.roundMs} ms, echo servers: ${args.servers.join(', ')}`);
  const result: WsBenchResult = {
    wsVersion,
    node: process.version,
    rounds: args.rounds,
    roundMs: args.roundMs,
    pinned: clientPinned && tasksetPrefix(SERVER_CORE).length > 0,
    servers: args.servers,
    rows: [],
    memory: null,
    durationMs: 0,
  };
  const wantMemory = !args.only || args.only.includes('memory');
  // The memory part keeps its idle connections on a ws server (as its numbers always were).
  const kinds = wantMemory && !args.servers.includes('ws') ? [...args.servers, 'ws' as const] : args.servers;
  for (const kind of kinds) {
    const server = await startServer(kind);
    const url = `ws://127.0.0.1:${server.port}/`;
    try {
      if (args.servers.includes(kind)) result.rows.push(...(await runNetwork(args, kind, url, server.port, server.pid)));
      if (kind === 'ws' && wantMemory) result.memory = await runMemory(args, url);
    } finally {
      server.stop();
    }
  }
  if (!args.only || args.only.includes('codec')) {
    result.rows.push(...runCodec(args));
    if (sink < 0) log(String(sink));
  }
  result.durationMs = performance.now() - started;
  if (viaIpc) reply({ type: 'result', result });
  else {
    console.log(wsReportText(result));
    // Bounded: the echo server is told to stop; do not wait on a stray handle.
    setTimeout(() => process.exit(0), 500).unref();
  }
}


const serverAt = process.argv.indexOf('--server-child');
if (serverAt !== -1) void runServer(process.argv[serverAt + 1] as ServerKind);
else
  await main().catch((err: unknown) => {
    if (typeof process.send === 'function') reply({ type: 'error', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    else {
      log(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    }
  });
