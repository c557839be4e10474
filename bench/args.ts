/**
 * Command-line flags of `npm run bench -- [flags]`.
 * @module
 */

export const USAGE = `usage: npm run bench -- [--quick] [--only=a,b] [--clients=a,b] [--rounds=N] [--round-ms=N]

  --quick          fewer, shorter rounds (the whole run in well under a minute)
  --only=a,b       run only these parts: scenario ids (seq-1k, par16-1k, par4-64k,
                   par256-1k, get-1m, post16-1k, stream-64m, h2-seq-1k, h2-par64-1k,
                   h2-par16-64k), memory, idle, classes,
                   ws (WebSocket vs the ws client: ping-pong, bursts, codec, idle memory)
  --clients=a,b    only these clients: undici, fetch, node:http (or http), axios, got, reqivo,
                   reqivo-fetch, floor (bare sockets: the CPU floor); for the h2 scenarios
                   node:http2 (or http2, their baseline, always measured), undici-h2, fetch-h2,
                   got-h2, reqivo, reqivo-fetch
                   (undici, the baseline of the ratios, is always measured)
  --rounds=N       timed rounds per client and scenario (default 7, quick 3)
  --round-ms=N     length of a timed round in ms (default 1000, quick 200)`;

/** Parsed flags. */
export interface Args {
  quick: boolean;
  /** Parts to run, or null for all. */
  only: string[] | null;
  /** Clients to measure, or null for all. */
  clients: string[] | null;
  rounds: number | null;
  roundMs: number | null;
  help: boolean;
}

function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** Parse the flags; throws on an unknown one. */
export function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, only: null, clients: null, rounds: null, roundMs: null, help: false };
  for (const a of argv) {
    const eq = a.indexOf('=');
    const key = eq === -1 ? a : a.slice(0, eq);
    const value = eq === -1 ? '' : a.slice(eq + 1);
    switch (key) {
      case '--quick':
        args.quick = true;
        break;
      case '--only':
        args.only = list(value);
        break;
      case '--clients':
        args.clients = list(value);
        break;
      case '--rounds':
        args.rounds = positiveInt(key, value);
        break;
      case '--round-ms':
        args.roundMs = positiveInt(key, value);
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new Error(`unknown flag ${a}\n\n${USAGE}`);
    }
  }
  return args;
}
