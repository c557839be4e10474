/**
 * Starting the reqivo/sync worker thread with the flags it can take: the
 * parent's, inherited, except `--input-type`, under which Node refuses to
 * load a worker file.
 * @module
 */
import { Worker } from 'node:worker_threads';
import type { WorkerInit } from './protocol.js';

/** `--input-type=…` or `--input-type …` among Node flags (argv items, or NODE_OPTIONS text). */
const INPUT_TYPE = /^--input-type(=|$)/;
const INPUT_TYPE_OPTION = /(^|\s)--input-type(=\S*|\s+\S+)/g;

/**
 * The worker's `execArgv` and `env` when the parent's hold `--input-type`:
 * the same without it. A worker inherits the parent's flags (and reads
 * NODE_OPTIONS), and Node refuses to load the worker file under
 * `--input-type` (ERR_INPUT_TYPE_NOT_ALLOWED), so a script run by
 * `node --input-type=module -e …` or from stdin never got a worker.
 * Otherwise nothing: the inherited flags stand as they are (a list given
 * explicitly is checked, and process-wide flags such as `--expose-gc` are
 * refused in it, see {@link startWorker}).
 */
function workerFlags(): { execArgv?: string[]; env?: NodeJS.ProcessEnv } {
  const out: { execArgv?: string[]; env?: NodeJS.ProcessEnv } = {};
  const argv = process.execArgv;
  if (argv.some((a) => INPUT_TYPE.test(a))) {
    const execArgv: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--input-type') i++;
      else if (!INPUT_TYPE.test(argv[i]!)) execArgv.push(argv[i]!);
    }
    out.execArgv = execArgv;
  }
  const nodeOptions = process.env.NODE_OPTIONS;
  if (nodeOptions !== undefined && nodeOptions.includes('--input-type')) out.env = { ...process.env, NODE_OPTIONS: nodeOptions.replace(INPUT_TYPE_OPTION, '') };
  return out;
}

/**
 * Start the worker. An explicit `execArgv` (see {@link workerFlags}) may hold
 * flags a worker cannot take (`--expose-gc`, `--max-old-space-size`: they
 * act on the whole process, which has them already); Node names them in
 * ERR_WORKER_INVALID_EXEC_ARGV, and the worker starts once more without them.
 */
export function startWorker(url: URL, workerData: WorkerInit): Worker {
  const flags = workerFlags();
  try {
    return new Worker(url, { workerData, ...flags });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (flags.execArgv === undefined || e.code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    const bad = new Set((/flags: (.*)$/.exec(e.message)?.[1] ?? '').split(/,\s*/));
    return new Worker(url, { workerData, ...flags, execArgv: flags.execArgv.filter((a) => !bad.has(a) && !bad.has(a.split('=')[0]!)) });
  }
}
