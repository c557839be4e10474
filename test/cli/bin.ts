/**
 * Run the built `reqivo` bin (the path package.json "bin" names) as a child
 * process, with a clean environment (no proxies, HOME in a temp dir), piped
 * or inside a pseudo-terminal (`script` from util-linux).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from build/test/cli). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The bin as package.json declares it. */
export const BIN = join(ROOT, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { reqivo: string } }).bin.reqivo);

/** What a run gave. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes. */
  raw: Buffer;
}

/** Options of one run. */
export interface RunOptions {
  /** Bytes for stdin (stdin is /dev/null otherwise). */
  input?: string | Buffer;
  /** Extra environment. */
  env?: NodeJS.ProcessEnv;
  /** Working directory (default: a temp dir of the test file). */
  cwd?: string;
  /** Keep stdin a pipe the test writes to (ended by the test, or at exit); `true` or the first bytes to write. */
  interactive?: boolean | string;
  /** Called with all stdout so far and the child, on each chunk. */
  onStdout?: (text: string, child: ChildProcess) => void;
  /** Kill after this many ms (default 20000). */
  killAfterMs?: number;
}

const home = mkdtempSync(join(tmpdir(), 'reqivo-cli-home-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** A temp directory that lives as long as the test file. */
export function tempDir(): string {
  return mkdtempSync(join(home, 'work-'));
}

/** HOME / XDG_CONFIG_HOME of the runs, and nothing that could route traffic elsewhere. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), LANG: 'C.UTF-8', ...extra };
}

/** Run `reqivo ARGS` piped; resolves when it exits. */
export function reqivo(args: readonly string[], opts: RunOptions = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? home,
      env: cleanEnv(opts.env),
      stdio: [opts.input !== undefined || opts.interactive !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 20_000);
    child.stdout!.on('data', (b: Buffer) => {
      out.push(b);
      opts.onStdout?.(Buffer.concat(out).toString('utf8'), child);
    });
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else if (typeof opts.interactive === 'string') child.stdin!.write(opts.interactive);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      const raw = Buffer.concat(out);
      done({ code, stdout: raw.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), raw });
    });
  });
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Run `reqivo ARGS` in a pseudo-terminal: stdin, stdout and stderr are all
 * the terminal, so what it prints (both streams) comes back together.
 */
export function reqivoInTty(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  const cmd = [process.execPath, BIN, ...args].map(quote).join(' ');
  return new Promise((done, fail) => {
    const child = spawn('script', ['-qfec', `stty cols 100 2>/dev/null; ${cmd}`, '/dev/null'], {
      cwd: opts.cwd ?? home,
      env: cleanEnv({ TERM: 'xterm-256color', ...opts.env }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => out.push(b));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      const raw = Buffer.concat(out);
      done({ code, stdout: raw.toString('utf8'), stderr: '', raw });
    });
  });
}
