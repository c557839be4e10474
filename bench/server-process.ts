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
import type { H2ServerStats } from './h2-server.js';
import type { ServerStats as H1ServerStats } from './server.js';

/** The counters of either server: the HTTP/2 one adds `sessions` and `http1` (h2-server.ts). */
export type ServerStats = H1ServerStats & Partial<Pick<H2ServerStats, 'sessions' | 'http1'>>;

const SERVER_JS = fileURLToPath(new URL('./server.js', import.meta.url));
const H2_SERVER_JS = fileURLToPath(new URL('./h2-server.js', import.meta.url));

/** What the HTTP/2 server needs: its key and certificate, and the CA the clients trust. */
export interface H2ServerCerts {
  serverKey: string;
  serverCert: string;
  caCert: string;
}
const START_TIMEOUT_MS = 10_000;
const STATS_TIMEOUT_MS = 5_000;

/** A running bench server. */
export class BenchServer {
  readonly port: number;
  readonly origin: string;
  /** Whether the server process is pinned to its own core. */
  readonly pinned: boolean;
  /** The CA certificate (PEM) clients must trust, for the HTTP/2 (TLS) server; null for the HTTP/1.1 one. */
  readonly ca: string | null;
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess, port: number, pinned: boolean, ca: string | null) {
    this.#child = child;
    this.port = port;
    this.origin = `${ca === null ? 'http' : 'https'}://127.0.0.1:${port}`;
    this.pinned = pinned;
    this.ca = ca;
  }

  /**
   * Spawn the server (through `taskset -c 1` when available) and wait until it listens:
   * the HTTP/1.1 server (server.ts), or with `h2` the HTTP/2 TLS server (h2-server.ts).
   */
  static start(h2: H2ServerCerts | null = null): Promise<BenchServer> {
    const prefix = tasksetPrefix(SERVER_CORE);
    const argv = [...prefix, process.execPath, h2 === null ? SERVER_JS : H2_SERVER_JS];
    const env = h2 === null ? process.env : { ...process.env, BENCH_KEY: h2.serverKey, BENCH_CERT: h2.serverCert };
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
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
        resolve(new BenchServer(child, m.port!, prefix.length > 0, h2 === null ? null : h2.caCert));
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
