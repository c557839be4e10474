/**
 * `--download`: the body to a file (`-o FILE`, else a name from
 * Content-Disposition or the URL), resumable with `-c` (Range, RFC 9110
 * §14.2), with a progress bar on stderr when stderr is a terminal.
 * @module
 */
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { StreamResponse } from '../index.js';

/** A bar redrawn in place with `\r`: bytes, total, rate and ETA. */
class ProgressBar {
  readonly #out: NodeJS.WriteStream | null;
  readonly #total: number | null;
  readonly #start: number;
  readonly #offset: number;
  #loaded: number;
  #lastDraw: number;

  /** `out` null draws nothing (stderr not a TTY). `offset`: bytes already on disk when resuming. */
  constructor(out: NodeJS.WriteStream | null, total: number | null, offset: number) {
    this.#out = out;
    this.#total = total;
    this.#start = performance.now();
    this.#offset = offset;
    this.#loaded = offset;
    this.#lastDraw = 0;
  }

  /** Count `n` more bytes; redraws at most every 100 ms. */
  add(n: number): void {
    this.#loaded += n;
    const now = performance.now();
    if (this.#out !== null && now - this.#lastDraw >= 100) {
      this.#lastDraw = now;
      this.#out.write(`\r${renderProgress(this.#loaded, this.#total, this.#rate(now), this.#out.columns || 80)}`);
    }
  }

  /** The last frame and a newline. */
  done(): void {
    if (this.#out === null) return;
    const now = performance.now();
    this.#out.write(`\r${renderProgress(this.#loaded, this.#total, this.#rate(now), this.#out.columns || 80)}\n`);
  }

  #rate(now: number): number {
    const s = (now - this.#start) / 1000;
    return s > 0 ? (this.#loaded - this.#offset) / s : 0;
  }
}

/** `1.5 MiB` style sizes. */
export function size(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** One frame of the bar, padded to `columns`. */
export function renderProgress(loaded: number, total: number | null, rate: number, columns: number): string {
  const info = total !== null && total > 0
    ? ` ${(Math.min(1, loaded / total) * 100).toFixed(0).padStart(3)}% ${size(loaded)} / ${size(total)}  ${size(Math.round(rate))}/s  ETA ${eta(total - loaded, rate)}`
    : ` ${size(loaded)}  ${size(Math.round(rate))}/s`;
  const width = Math.max(0, Math.min(40, columns - info.length - 3));
  const bar = total !== null && total > 0 && width > 0
    ? `[${'#'.repeat(Math.round((Math.min(1, loaded / total)) * width)).padEnd(width, ' ')}]`
    : '';
  return `${bar}${info}`.padEnd(Math.max(0, columns - 1)).slice(0, Math.max(0, columns - 1));
}

function eta(left: number, rate: number): string {
  if (left <= 0) return '0s';
  if (rate <= 0) return '--';
  const s = Math.ceil(left / rate);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * The file name: `-o`, else Content-Disposition's filename (RFC 6266), else
 * the URL's last segment. A name from the response or the URL is made safe
 * to create in the working directory, as httpie does: percent-decoded first
 * (a malformed escape is kept as it is), then only its last path segment
 * (`/` and `\` both separate), without control characters and leading dots
 * (no `..`, no hidden file such as `.bashrc`).
 */
export function downloadName(output: string | null, disposition: string | null, url: string): string {
  if (output !== null) return output;
  const m = disposition !== null ? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition) : null;
  const fromHeader = m ? safeName(m[1]!) : '';
  if (fromHeader !== '') return fromHeader;
  return safeName(new URL(url).pathname) || 'index.html';
}

/**
 * A name the server chose (Content-Disposition) never replaces a file that
 * exists: `name-1.ext`, `name-2.ext`, … instead (the first free one).
 */
export function freshName(name: string): string {
  if (!existsSync(name)) return name;
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let i = 1; ; i++) {
    const candidate = `${stem}-${i}${ext}`;
    if (!existsSync(candidate)) return candidate;
  }
}

function safeName(raw: string): string {
  let s = raw;
  try {
    s = decodeURIComponent(raw);
  } catch {
    // A malformed escape (`100%.txt`): the name as sent.
  }
  s = basename(s.replace(/\\/g, '/'));
  return s.replace(/[\u0000-\u001f\u007f]/g, '').trim().replace(/^\.+/, '');
}

/** Bytes of a partial file to resume from, or 0. */
export function resumeFrom(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** Write the body to `path` (appending when the server answered 206 to our Range); returns the bytes written. */
async function saveBody(res: StreamResponse, path: string, resumeAt: number, bar: NodeJS.WriteStream | null): Promise<number> {
  const append = resumeAt > 0 && res.status === 206;
  const length = res.headers.get('content-length');
  const total = length !== null && /^\d+$/.test(length) ? Number(length) + (append ? resumeAt : 0) : null;
  const progress = new ProgressBar(bar, total, append ? resumeAt : 0);
  const file = createWriteStream(path, { flags: append ? 'a' : 'w' });
  let written = 0;
  try {
    for await (const chunk of res) {
      if (!file.write(chunk)) await new Promise<void>((r) => file.once('drain', () => r()));
      written += chunk.byteLength;
      progress.add(chunk.byteLength);
    }
  } finally {
    await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  progress.done();
  return written;
}

/**
 * Save a download response to `target`. On a terminal stderr shows `head`
 * (when asked), then the bar and a summary; a non-2xx status is not saved
 * and its head (`statusHead`) goes to stderr.
 */
export async function downloadTo(res: StreamResponse, target: string, resumeAt: number, head: string | null, statusHead: string): Promise<void> {
  const tty = process.stderr.isTTY ? process.stderr : null;
  if (tty !== null && head !== null) tty.write(`${head}\n`);
  if (res.status === 416 && resumeAt > 0) {
    // RFC 9110 §15.5.17: nothing left past our offset: the file is complete.
    await res.close();
    tty?.write(`${target} is already complete (${size(resumeAt)})\n`);
    return;
  }
  if (res.status < 200 || res.status >= 300) {
    await res.close();
    if (tty === null || head === null) process.stderr.write(statusHead);
    return;
  }
  const started = performance.now();
  tty?.write(`Downloading to ${JSON.stringify(target)}${res.status === 206 ? ` (resuming at ${size(resumeAt)})` : ''}\n`);
  const n = await saveBody(res, target, resumeAt, tty);
  tty?.write(`Done. ${size(n)} in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
}
