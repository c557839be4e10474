/**
 * The command line's flags: `reqivo [METHOD] URL [ITEM ...]` read into one
 * {@link CliArgs} object (pure: no I/O, so every rule is a unit test).
 * @module
 */

/** A mistake in the command line itself (exit code 2, like httpie's argparse). */
export class UsageError extends Error {
  override get name(): string {
    return 'UsageError';
  }
}

/** `--pretty` modes (httpie's). */
export type Pretty = 'all' | 'colors' | 'format' | 'none';

/** Everything the command line said. */
export interface CliArgs {
  /** `'http'` for a request, `'ws'` for `reqivo ws URL`, or the informational commands. */
  command: 'http' | 'ws' | 'help' | 'version';
  /** Method given on the command line, or null to guess (GET, POST with data). */
  method: string | null;
  /** URL as typed (shorthands not yet expanded). */
  url: string;
  /** Request items, as typed. */
  items: string[];
  /** Body kind for data items. */
  body: 'json' | 'form' | 'multipart';
  /** `--print` letters (H request head, B request body, h response head, b response body), or null for the default. */
  print: string | null;
  /** `--pretty`, or null for the default (all on a TTY, none when piped). */
  pretty: Pretty | null;
  /** Print the response body as it arrives. */
  stream: boolean;
  /** Read the response as newline-delimited JSON, whatever its content type. */
  jsonLines: boolean;
  /** Save the body to a file instead of printing it. */
  download: boolean;
  /** `-o FILE`. */
  output: string | null;
  /** `-c`: resume a partial download with Range. */
  continue: boolean;
  /** `-a user:pass` or a bearer token. */
  auth: string | null;
  /** `-A`. */
  authType: 'basic' | 'digest' | 'bearer';
  /** `--session=NAME|PATH`. */
  session: string | null;
  /** `--session-read-only`: use the session but do not update it. */
  sessionReadOnly: boolean;
  /** `--follow`. */
  follow: boolean;
  /** `--max-redirects`. */
  maxRedirects: number;
  /** `--timeout` in seconds, or null for the defaults. */
  timeout: number | null;
  /** `--http2` / `--http1`, or null for the default (ALPN on https). */
  http: '1' | '2' | null;
  /** `--proxy URL`, or null for the environment. */
  proxy: string | null;
  /** `--verify`: `'yes'`, `'no'` or a CA bundle path. */
  verify: string;
  /** `--cert`. */
  cert: string | null;
  /** `--cert-key`. */
  certKey: string | null;
  /** `--pin`, repeatable. */
  pins: string[];
  /** `--timings`. */
  timings: boolean;
  /** `--check-status`. */
  checkStatus: boolean;
  /** `--offline`. */
  offline: boolean;
  /** `--ignore-stdin`. */
  ignoreStdin: boolean;
  /** `--debug`: stack traces on errors. */
  debug: boolean;
  /** `-q`: print nothing (exit code only, with --check-status). */
  quiet: boolean;
  /** `--binary` (ws): send stdin lines as binary messages. */
  binary: boolean;
  /** `--protocol` (ws), repeatable. */
  protocols: string[];
}

type Flag = { key: keyof CliArgs; value?: unknown; takes?: 'string' | 'number' | 'list' };

// One table for long and short names: `value` is what a switch sets, `takes` what an option reads.
const FLAGS: Record<string, Flag> = {
  '--form': { key: 'body', value: 'form' },
  '-f': { key: 'body', value: 'form' },
  '--multipart': { key: 'body', value: 'multipart' },
  '--json': { key: 'body', value: 'json' },
  '-j': { key: 'body', value: 'json' },
  '--print': { key: 'print', takes: 'string' },
  '-p': { key: 'print', takes: 'string' },
  '--verbose': { key: 'print', value: 'HBhb' },
  '-v': { key: 'print', value: 'HBhb' },
  '--headers': { key: 'print', value: 'h' },
  '-h': { key: 'print', value: 'h' },
  '--body': { key: 'print', value: 'b' },
  '-b': { key: 'print', value: 'b' },
  '--pretty': { key: 'pretty', takes: 'string' },
  '--stream': { key: 'stream', value: true },
  '-S': { key: 'stream', value: true },
  '--json-lines': { key: 'jsonLines', value: true },
  '--download': { key: 'download', value: true },
  '-d': { key: 'download', value: true },
  '--output': { key: 'output', takes: 'string' },
  '-o': { key: 'output', takes: 'string' },
  '--continue': { key: 'continue', value: true },
  '-c': { key: 'continue', value: true },
  '--auth': { key: 'auth', takes: 'string' },
  '-a': { key: 'auth', takes: 'string' },
  '--auth-type': { key: 'authType', takes: 'string' },
  '-A': { key: 'authType', takes: 'string' },
  '--session': { key: 'session', takes: 'string' },
  '--session-read-only': { key: 'sessionReadOnly', value: true },
  '--follow': { key: 'follow', value: true },
  '-F': { key: 'follow', value: true },
  '--max-redirects': { key: 'maxRedirects', takes: 'number' },
  '--timeout': { key: 'timeout', takes: 'number' },
  '--http2': { key: 'http', value: '2' },
  '--http1': { key: 'http', value: '1' },
  '--proxy': { key: 'proxy', takes: 'string' },
  '--verify': { key: 'verify', takes: 'string' },
  '--cert': { key: 'cert', takes: 'string' },
  '--cert-key': { key: 'certKey', takes: 'string' },
  '--pin': { key: 'pins', takes: 'list' },
  '--timings': { key: 'timings', value: true },
  '--check-status': { key: 'checkStatus', value: true },
  '--offline': { key: 'offline', value: true },
  '--ignore-stdin': { key: 'ignoreStdin', value: true },
  '-I': { key: 'ignoreStdin', value: true },
  '--debug': { key: 'debug', value: true },
  '--quiet': { key: 'quiet', value: true },
  '-q': { key: 'quiet', value: true },
  '--binary': { key: 'binary', value: true },
  '--protocol': { key: 'protocols', takes: 'list' },
};

/** Every flag name, for `--help` checks and the shell completions. */
export const FLAG_NAMES: readonly string[] = Object.keys(FLAGS);

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'QUERY']);

function defaults(): CliArgs {
  return {
    command: 'http', method: null, url: '', items: [], body: 'json', print: null, pretty: null,
    stream: false, jsonLines: false, download: false, output: null, continue: false,
    auth: null, authType: 'basic', session: null, sessionReadOnly: false, follow: false, maxRedirects: 30,
    timeout: null, http: null, proxy: null, verify: 'yes', cert: null, certKey: null, pins: [],
    timings: false, checkStatus: false, offline: false, ignoreStdin: false, debug: false, quiet: false,
    binary: false, protocols: [],
  };
}

function set(out: CliArgs, name: string, flag: Flag, raw: string | undefined): void {
  const rec = out as unknown as Record<string, unknown>;
  if (flag.takes === undefined) {
    rec[flag.key] = flag.value;
    return;
  }
  if (raw === undefined) throw new UsageError(`${name} needs a value`);
  if (flag.takes === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a number ≥ 0, got ${JSON.stringify(raw)}`);
    rec[flag.key] = n;
  } else if (flag.takes === 'list') {
    (rec[flag.key] as string[]).push(raw);
  } else {
    rec[flag.key] = raw;
  }
}

function check(out: CliArgs): void {
  if (out.pretty !== null && !['all', 'colors', 'format', 'none'].includes(out.pretty)) {
    throw new UsageError(`--pretty must be all, colors, format or none, got ${JSON.stringify(out.pretty)}`);
  }
  if (out.print !== null && !/^[HBhb]+$/.test(out.print)) throw new UsageError(`--print takes letters of HBhb, got ${JSON.stringify(out.print)}`);
  if (!['basic', 'digest', 'bearer'].includes(out.authType)) {
    throw new UsageError(`--auth-type must be basic, digest or bearer, got ${JSON.stringify(out.authType)}`);
  }
  if (out.continue && !out.download) throw new UsageError('--continue only works with --download');
  // Without --download the body goes to stdout: an --output silently ignored would leave the file unwritten.
  if (out.output !== null && !out.download) throw new UsageError('--output only works with --download (-d -o FILE)');
}

/** Read `argv` (without node and the script). Throws {@link UsageError}. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const out = defaults();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help') return { ...out, command: 'help' };
    if (arg === '--version') return { ...out, command: 'version' };
    // A lone '-' or an item such as '-x:1' is not a flag; only names in the table are.
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const flag = FLAGS[name];
    if (flag === undefined) {
      if (/^--?[A-Za-z]/.test(arg) && !/[:=@]/.test(arg)) throw new UsageError(`unknown option ${name}`);
      positional.push(arg);
      continue;
    }
    if (eq > 0) {
      if (flag.takes === undefined) throw new UsageError(`${name} takes no value`);
      set(out, name, flag, arg.slice(eq + 1));
    } else {
      set(out, name, flag, flag.takes === undefined ? undefined : argv[++i]);
    }
  }
  if (positional[0] === 'ws') {
    out.command = 'ws';
    positional.shift();
  } else if (positional.length >= 2 && isMethod(positional[0]!)) {
    out.method = positional.shift()!.toUpperCase();
  }
  const url = positional.shift();
  if (url === undefined) throw new UsageError('a URL is required');
  out.url = url;
  out.items = positional;
  check(out);
  return out;
}

// httpie's rule (a word of letters) would read `localhost` as a method; a known or upper-case word is one.
function isMethod(word: string): boolean {
  return /^[A-Za-z]+$/.test(word) && (METHODS.has(word.toUpperCase()) || word === word.toUpperCase());
}

/**
 * Expand httpie's URL shorthands: `:3000/x` → `http://localhost:3000/x`,
 * `localhost:3000` → `http://localhost:3000`; ws URLs get `ws://`.
 */
export function expandUrl(url: string, ws = false): string {
  const scheme = ws ? 'ws' : 'http';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url)) return url;
  if (url.startsWith(':')) {
    const m = /^:(\d*)(.*)$/.exec(url)!;
    return `${scheme}://localhost${m[1] ? `:${m[1]}` : ''}${m[2]!.startsWith('/') || m[2] === '' ? m[2] : `/${m[2]}`}`;
  }
  return `${scheme}://${url}`;
}
