/**
 * Typos in options objects fail fast. `new Session({ timeOut: 100 })` or
 * `get(url, { socketpath })` would otherwise be silently ignored; instead
 * they throw InvalidRequestError naming the option and the nearest valid
 * name. Each options type lists its names here, beside its interface.
 * @module
 */
import { InvalidRequestError } from '../errors.js';

/** Names of RequestOptions. */
export const REQUEST_OPTIONS: ReadonlySet<string> = new Set([
  'headers', 'query', 'body', 'json', 'form', 'timeout', 'signal', 'followRedirects', 'maxRedirects', 'allowInsecureRedirects',
  'limits', 'decompress', 'auth', 'proxy', 'retry', 'onUploadProgress', 'onDownloadProgress', 'timings',
  'socketPath',
]);

/** Names of SessionOptions. */
export const SESSION_OPTIONS: ReadonlySet<string> = new Set([
  'baseUrl', 'headers', 'timeout', 'limits', 'pool', 'followRedirects', 'maxRedirects', 'cookies', 'tls', 'http2', 'proxy', 'retry',
  'auth', 'decompress', 'interceptors', 'hooks', 'timings', 'cache', 'socketPath', 'lookup', 'family', 'localAddress', 'autoSelectFamily',
]);

/** Names of TimeoutOptions. */
export const TIMEOUT_OPTIONS: ReadonlySet<string> = new Set(['connect', 'read', 'total']);
/** Names of LimitOptions. */
export const LIMIT_OPTIONS: ReadonlySet<string> = new Set(['maxHeaderBytes', 'maxHeaderCount', 'maxBodyBytes', 'maxDecodedBytes']);
/** Names of PoolOptions. */
export const POOL_OPTIONS: ReadonlySet<string> = new Set(['maxConnectionsPerOrigin', 'maxIdleMs']);
/** Names of TlsOptions. */
export const TLS_OPTIONS: ReadonlySet<string> = new Set(['ca', 'cert', 'key', 'pfx', 'passphrase', 'servername', 'pins', 'rejectUnauthorized', 'minVersion', 'sessionCache']);
/** Names of RetryOptions. */
export const RETRY_OPTIONS: ReadonlySet<string> = new Set(['limit', 'methods', 'statusCodes', 'backoff', 'onNetworkError', 'maxRetryAfter']);
/** Names of the `hooks` option. */
export const HOOK_OPTIONS: ReadonlySet<string> = new Set(['onRequest', 'onResponse', 'beforeRetry', 'beforeRedirect', 'onError']);

/**
 * Throw InvalidRequestError for the first own key of `obj` that `names`
 * does not hold (`what` names the object in the message: `'session
 * option'`, `'timeout option'`, …). Keys whose value is undefined count too:
 * a typo is a typo.
 */
export function checkNames(obj: object, names: ReadonlySet<string>, what: string): void {
  for (const key in obj) {
    if (!names.has(key) && Object.prototype.hasOwnProperty.call(obj, key)) {
      const near = nearest(key, names);
      throw new InvalidRequestError(`unknown ${what} ${JSON.stringify(key)}${near !== null ? `; did you mean ${JSON.stringify(near)}?` : ''}`);
    }
  }
}

/** The valid name closest to `key` (case-insensitive equal, or within a small edit distance), or null. */
export function nearest(key: string, names: ReadonlySet<string>): string | null {
  const lower = key.toLowerCase();
  let best: string | null = null;
  let bestD = Math.max(2, Math.floor(key.length / 2.5)) + 1;
  for (const name of names) {
    if (name.toLowerCase() === lower) return name;
    const d = distance(lower, name.toLowerCase());
    if (d < bestD) {
      best = name;
      bestD = d;
    }
  }
  return best;
}

/** Levenshtein distance (with adjacent transpositions), small strings only. */
function distance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev2: number[] = [];
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n]!;
}
