/**
 * The child side of a bench server process (server.ts, h2-server.ts; the
 * parent side is server-process.ts): refuse to run without the IPC channel,
 * listen on 127.0.0.1 and tell the parent the port, answer `{ cmd: 'stats' }`
 * with the server's counters and its own CPU time, and exit on
 * `{ cmd: 'stop' }` or when the parent goes away.
 * @module
 */
import type net from 'node:net';

/** Exit with an explanation unless this process was started with an IPC channel. */
export function requireIpc(script: string): void {
  if (typeof process.send !== 'function') {
    console.error(`${script} must be started by the bench with an IPC channel`);
    process.exit(2);
  }
}

/** Listen on an ephemeral 127.0.0.1 port and serve the parent's commands; `stats.cpuMicros` is filled in on each ask. */
export function serveOverIpc(server: net.Server, stats: { cpuMicros: number }): void {
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address() as net.AddressInfo;
    process.send!({ type: 'listening', port: addr.port });
  });
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'stats') {
      const cpu = process.cpuUsage();
      stats.cpuMicros = cpu.user + cpu.system;
      process.send!({ type: 'stats', stats });
    } else if (m.cmd === 'stop') {
      process.exit(0);
    }
  });
  // Never outlive the bench.
  process.on('disconnect', () => process.exit(0));
}
