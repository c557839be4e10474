/**
 * `--session=NAME|PATH`: cookies, auth and headers kept between calls in a
 * JSON file, `$XDG_CONFIG_HOME/reqivo/sessions/<host>/<NAME>.json` (default
 * `~/.config`) for a name, or the given path.
 * @module
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AuthOptions, CookieJar } from '../index.js';
import { UsageError } from './args.js';

/** The file's contents. */
export interface SessionData {
  /** What wrote it. */
  __meta__: { about: string; reqivo: string };
  /** Headers sent with every call of the session. */
  headers: Record<string, string>;
  /** Auth of the session, or null. */
  auth: AuthOptions | null;
  /** The cookie jar, as `CookieJar.toJSON()` gives it. */
  cookies: ReturnType<CookieJar['toJSON']>;
}

// Headers that describe one request only (httpie leaves them out of sessions too).
const NOT_KEPT = /^(content-type|content-length|if-.*|cookie|host)$/i;

/** Where the session of `nameOrPath` for `url`'s host lives. */
export function sessionPath(nameOrPath: string, url: URL, env: NodeJS.ProcessEnv): string {
  if (nameOrPath.includes('/') || nameOrPath.endsWith('.json')) return nameOrPath;
  if (!/^[\w.-]+$/.test(nameOrPath)) throw new UsageError(`--session name ${JSON.stringify(nameOrPath)} may hold only letters, digits, '.', '_' and '-'`);
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  // `host_port` like httpie, so that one name can mean different sessions per server.
  const host = url.port ? `${url.hostname}_${url.port}` : url.hostname;
  return join(config, 'reqivo', 'sessions', host.replace(/[^\w.-]/g, '_'), `${nameOrPath}.json`);
}

/** Read a session file; a missing file is an empty session. */
export function loadSession(path: string): SessionData | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const data = JSON.parse(text) as Partial<SessionData>;
    return {
      __meta__: data.__meta__ ?? { about: '', reqivo: '' },
      headers: data.headers ?? {},
      auth: data.auth ?? null,
      cookies: Array.isArray(data.cookies) ? data.cookies : [],
    };
  } catch (err) {
    throw new UsageError(`session file ${path} is not valid JSON (${(err as Error).message}); fix or delete it`);
  }
}

/** The headers of this call that the session keeps. */
export function keptHeaders(previous: Record<string, string>, sent: ReadonlyArray<[string, string | null]>): Record<string, string> {
  const out = { ...previous };
  for (const [name, value] of sent) {
    if (NOT_KEPT.test(name)) continue;
    for (const k of Object.keys(out)) if (k.toLowerCase() === name.toLowerCase()) delete out[k];
    if (value !== null) out[name] = value;
  }
  return out;
}

/** Write the session atomically, readable by its owner only (it holds credentials). */
export function saveSession(path: string, data: SessionData): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 4)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}
