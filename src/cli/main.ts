#!/usr/bin/env node
/**
 * The `reqivo` bin. Reads the flags, then loads only what the command needs
 * (`--version` and `--help` load no part of the engine), and turns every
 * failure into one line and an exit code.
 * @module
 */
import { parseArgs } from './args.js';
import { describe } from './failure.js';

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  switch (args.command) {
    case 'version':
      process.stdout.write(`${(await import('../version.js')).VERSION}\n`);
      return 0;
    case 'help':
      process.stdout.write((await import('./help.js')).HELP);
      return 0;
    case 'ws':
      return (await import('./ws.js')).runWs(args);
    default:
      // Ctrl-C during a request: httpie's 130, without a stack (ws closes cleanly on its own instead).
      process.once('SIGINT', () => {
        process.stderr.write('\nreqivo: interrupted\n');
        process.exit(130);
      });
      return (await import('./http.js')).runHttp(args);
  }
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const f = describe(err);
    process.stderr.write(`reqivo: error: ${f.line}\n`);
    if (argv.includes('--debug') && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
    process.exitCode = f.code;
  },
);
