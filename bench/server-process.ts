/**
 * Parent side of the bench server: start build/bench/server.js in its own
 * process pinned to core 1 (the bench itself runs on core 0, see pinning.ts),
 * ask it for its counters, stop it. The child also exits by itself when the
 * IPC channel closes, so it never outlives the bench.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SERVER_CORE, tasksetPrefix } from './pinning.js';
import type { ServerStats } from './server.js';

export type { ServerStats };

const SERVER_JS = fileURLToPath(new URL('./server.js', import.meta.url));
const START_TIMEOUT_MS = 10_000;
const STATS_TIMEOUT_MS = 5_000;

/** A running bench server. */
export class BenchServer {
  readonly port: number;
  readonly origin: string;
  /** Whether the server process is pinned to its own core. */
  readonly pinned: boolean;
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess, port: number, pinned: boolean) {
    this.#child = child;
    this.port = port;
    this.origin = `http://127.0.0.1:${port}`;
    this.pinned = pinned;
  }

  /** Spawn the server (through `taskset -c 1` when available) and wait until it listens. */
  static start(): Promise<BenchServer> {
    const prefix = tasksetPrefix(SERVER_CORE);
    const argv = [...prefix, process.execPath, SERVER_JS];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`bench server did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      const onMessage = (m: { type?: string; port?: number }): void => {
        if (m.type !== 'listening') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(new BenchServer(child, m.port!, prefix.length > 0));
      };
      const onExit = (code: number | null): void => {
        clearTimeout(timer);
        reject(new Error(`bench server exited before listening (code ${code})`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** The server's counters (connections accepted, requests answered, its CPU time) so far. */
  stats(): Promise<ServerStats> {
    const child = this.#child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error('bench server did not answer a stats request'));
      }, STATS_TIMEOUT_MS);
      const onMessage = (m: { type?: string; stats?: ServerStats }): void => {
        if (m.type !== 'stats') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m.stats!);
      };
      child.on('message', onMessage);
      child.send({ cmd: 'stats' });
    });
  }

  /** Stop the server; kill it if it does not exit promptly. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      if (child.connected) child.send({ cmd: 'stop' });
    } catch {
      // The channel is already gone: the kill below handles it.
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }

  /** Synchronous last resort for process exit handlers. */
  killNow(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}
