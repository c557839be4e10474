/**
 * Run a bench script in a fresh Node process on the client core, with extra
 * Node flags (e.g. `--expose-gc`), and get back the one result it sends over
 * IPC. The child is killed if it takes longer than its time bound.
 * @module
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLIENT_CORE, tasksetPrefix } from './pinning.js';

/** What a child sends when it is done. */
export type ChildMessage<T> = { type: 'result'; result: T } | { type: 'error'; error: string };

/** Send the result (or the error) to the parent and exit. Used by the child scripts. */
export function reply<T>(message: ChildMessage<T>): void {
  if (typeof process.send !== 'function') {
    console.log(JSON.stringify(message, null, 2));
    process.exit(message.type === 'result' ? 0 : 1);
  }
  process.send(message, () => process.exit(0));
}

/** Run `script` (a file next to this one in build/bench) with `nodeFlags` and `args`. */
export function runChild<T>(script: string, nodeFlags: string[], args: string[], timeoutMs: number): Promise<T> {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const argv = [...tasksetPrefix(CLIENT_CORE), process.execPath, ...nodeFlags, file, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() => reject(new Error(`${script} ${args.join(' ')} took longer than ${timeoutMs} ms`)));
    }, timeoutMs);
    child.on('message', (m: ChildMessage<T>) => {
      if (m.type === 'result') settle(() => resolve(m.result));
      else settle(() => reject(new Error(m.error)));
    });
    child.once('error', (err) => settle(() => reject(err)));
    child.once('exit', (code, signal) => {
      settle(() => reject(new Error(`${script} exited (code ${code}, signal ${signal}) without a result`)));
    });
  });
}
