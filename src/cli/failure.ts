/**
 * Errors as the command line reports them: one line naming the request, the
 * cause and the fix, and httpie's exit code for the kind (1 error, 2 timeout
 * or usage, 6 too many redirects).
 * @module
 */
import { UsageError } from './args.js';

/** httpie's exit codes. */
export const Exit = {
  OK: 0,
  ERROR: 1,
  TIMEOUT: 2,
  USAGE: 2,
  HTTP_3XX: 3,
  HTTP_4XX: 4,
  HTTP_5XX: 5,
  TOO_MANY_REDIRECTS: 6,
  INTERRUPTED: 130,
} as const;

/** What to print and how to exit. */
export interface Failure {
  /** The one line (without the `reqivo: error: ` prefix). */
  line: string;
  /** Process exit code. */
  code: number;
}

function codeOf(err: unknown): string | null {
  let e: unknown = err;
  // The system error (ECONNREFUSED, ENOTFOUND…) usually sits one or two causes down.
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    const c = (e as NodeJS.ErrnoException).code;
    if (typeof c === 'string') return c;
    e = e.cause;
  }
  return null;
}

const HINTS: Record<string, string> = {
  ECONNREFUSED: 'is the server running on that host and port?',
  ENOTFOUND: 'check the host name (DNS found no such host)',
  EAI_AGAIN: 'DNS is not answering; check the network',
  ECONNRESET: 'the server dropped the connection; try --http1, or check the server log',
  ENOENT: 'check the file path',
  EACCES: 'check the file permissions',
  EISDIR: 'give a file, not a directory',
};

/** Describe any error thrown by a run (reqivo errors by name, so that this module loads nothing). */
export function describe(err: unknown): Failure {
  if (err instanceof UsageError) return { line: `${err.message} (see reqivo --help)`, code: Exit.USAGE };
  const e = err instanceof Error ? err : new Error(String(err));
  const name = e.name;
  const sys = codeOf(e);
  let hint: string;
  let code: number = Exit.ERROR;
  switch (name) {
    case 'TimeoutError':
    case 'ConnectTimeout':
    case 'ReadTimeout':
      hint = 'the server is slow or unreachable; raise --timeout (seconds)';
      code = Exit.TIMEOUT;
      break;
    case 'TlsError':
      hint = /pin/i.test(e.message)
        ? 'the certificate matches no --pin; check the pins'
        : 'for a private CA use --verify=CA_FILE; --verify=no skips verification (unsafe)';
      break;
    case 'TooManyRedirects':
    case 'RedirectLoopError':
      hint = 'raise --max-redirects, or drop --follow to see the redirect';
      code = Exit.TOO_MANY_REDIRECTS;
      break;
    case 'InvalidRequestError':
      hint = 'check the URL, method and items';
      break;
    case 'LimitExceededError':
      hint = 'the response is larger than allowed';
      break;
    case 'ProxyError':
      hint = 'check --proxy or http_proxy / HTTPS_PROXY';
      break;
    case 'WebSocketError':
      hint = 'is it a WebSocket endpoint (ws:// or wss://)?';
      break;
    default:
      hint = (sys !== null ? HINTS[sys] : undefined) ?? 'run again with --debug for details';
  }
  const kind = name === 'Error' ? (sys ?? 'Error') : name;
  const message = e.message.replace(/\s*\n\s*/g, ' ');
  return { line: `${message} (${kind}) — ${hint}`, code };
}
