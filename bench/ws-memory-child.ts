/**
 * Memory per idle WebSocket for one client, in its own `--expose-gc` process
 * (started by ws-bench.ts): `node --expose-gc ws-memory-child.js <reqivo|ws> <url> <count>`.
 *
 * Opens a few connections and closes them (so code, pools and lazily made
 * module state exist before the baseline), collects garbage, opens `count`
 * connections with the client's default options and keeps the objects a user
 * keeps (the WebSocket), collects garbage again and divides the growth of
 * heapUsed + arrayBuffers by `count`. Every connection is checked open.
 * @module
 */
import { WebSocket as WsClient } from 'ws';
import { WebSocket } from '../src/websocket/index.js';
import { reply } from './child.js';
import { gcHard, settle, used } from './heap.js';

/** What the child measured. */
export interface WsMemoryResult {
  client: string;
  count: number;
  /** Growth of heapUsed + arrayBuffers per open idle connection, bytes. */
  bytesPerConnection: number;
  heapPerConnection: number;
  arrayBuffersPerConnection: number;
}

const IN_FLIGHT = 50;
const WARMUP = 100;

interface Opener {
  open(): Promise<unknown>;
  isOpen(c: unknown): boolean;
  close(c: unknown): Promise<void>;
}

function reqivoOpener(url: string): Opener {
  return {
    open: () => new WebSocket(url, { proxy: false }).connect(),
    isOpen: (c) => (c as WebSocket).readyState === WebSocket.OPEN,
    close: (c) => (c as WebSocket).close(),
  };
}

function wsOpener(url: string): Opener {
  return {
    open: () =>
      new Promise<WsClient>((resolve, reject) => {
        const ws = new WsClient(url);
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      }),
    isOpen: (c) => (c as WsClient).readyState === WsClient.OPEN,
    close: (c) =>
      new Promise<void>((resolve) => {
        const ws = c as WsClient;
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}

async function openMany(o: Opener, n: number, into: unknown[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      into[i] = await o.open();
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n) }, worker));
}

async function main(): Promise<void> {
  const [name, url, countArg] = process.argv.slice(2);
  if ((name !== 'reqivo' && name !== 'ws') || url === undefined) throw new Error('usage: ws-memory-child.js <reqivo|ws> <url> [count]');
  const count = Number(countArg ?? 2000);
  const o = name === 'reqivo' ? reqivoOpener(url) : wsOpener(url);
  const warm: unknown[] = [];
  await openMany(o, WARMUP, warm);
  await Promise.all(warm.map((c) => o.close(c)));
  warm.length = 0;
  const kept: unknown[] = new Array(count).fill(null);
  await settle(50);
  gcHard();
  await settle(50);
  gcHard();
  const before = used();
  await openMany(o, count, kept);
  await settle(50);
  gcHard();
  await settle(50);
  gcHard();
  const after = used();
  const open = kept.filter((c) => c !== null && o.isOpen(c)).length;
  if (open !== count) throw new Error(`${count - open} of ${count} connections are not open`);
  const heap = (after.heap - before.heap) / count;
  const ab = (after.ab - before.ab) / count;
  const result: WsMemoryResult = {
    client: name,
    count,
    bytesPerConnection: heap + ab,
    heapPerConnection: heap,
    arrayBuffersPerConnection: ab,
  };
  // The connections are left open: the process exits after the reply.
  reply({ type: 'result', result });
}

main().catch((err: unknown) => reply({ type: 'error', error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
