/**
 * `reqivo [METHOD] URL [ITEM ...]`: build the request from the items, send
 * it through a reqivo Session, print (or save) what comes back, and exit
 * with httpie's codes.
 * @module
 */
import { fstatSync, readFileSync } from 'node:fs';
import { Session, type AuthOptions, type PreparedRequest, type SessionOptions, type StreamResponse, type TimingPhases, type TlsOptions } from '../index.js';
import { VERSION } from '../version.js';
import { type CliArgs, expandUrl, UsageError } from './args.js';
import { downloadName, downloadTo, freshName, resumeFrom } from './download.js';
import { Exit } from './failure.js';
import { buildRequest, DEFAULT_SOURCES, type ItemSources, readStdin } from './items.js';
import { binaryNote, formatBody, headerLines, isBinary, isJsonType, jsonText, note, requestLine, statusLine, styleFor, type Style } from './output.js';
import { keptHeaders, loadSession, saveSession, sessionPath, type SessionData } from './session-file.js';

/** Phases as `res.timings.phases` gives them (docs/observability.md). */

// Thrown by the --offline hook: the request is complete and printed, nothing may be sent.
const OFFLINE = Symbol('offline');

function out(s: string | Uint8Array): void {
  process.stdout.write(s);
}

function stdinSource(ignore: boolean): ItemSources {
  return {
    readFile: DEFAULT_SOURCES.readFile,
    stdin: () => (ignore ? Promise.reject(new UsageError('@- reads stdin, but --ignore-stdin was given')) : readStdin()),
  };
}

// Piped or redirected stdin is the body (httpie); a terminal or /dev/null is not.
async function pipedStdin(): Promise<Buffer | null> {
  if (process.stdin.isTTY) return null;
  const st = fstatSync(0);
  if (!st.isFIFO() && !st.isFile() && !st.isSocket()) return null;
  const data = await readStdin();
  return data.length > 0 ? data : null;
}

function authFrom(args: CliArgs): AuthOptions | null {
  if (args.auth === null) return null;
  if (args.authType === 'bearer') return { type: 'bearer', token: args.auth };
  const i = args.auth.indexOf(':');
  if (i < 0) throw new UsageError(`-a ${JSON.stringify(args.auth)}: give user:password`);
  return { type: args.authType, username: args.auth.slice(0, i), password: args.auth.slice(i + 1) };
}

function tlsFrom(args: CliArgs): TlsOptions | undefined {
  const tls: TlsOptions = {};
  if (args.verify === 'no' || args.verify === 'false') tls.rejectUnauthorized = false;
  else if (args.verify !== 'yes' && args.verify !== 'true') tls.ca = readFileSync(args.verify);
  if (args.cert !== null) tls.cert = readFileSync(args.cert);
  if (args.certKey !== null) tls.key = readFileSync(args.certKey);
  if (args.pins.length > 0) tls.pins = args.pins;
  return Object.keys(tls).length > 0 ? tls : undefined;
}

function proxyFrom(p: string | null): SessionOptions['proxy'] {
  if (p === null) return 'env';
  if (p === 'none' || p === '') return false;
  // httpie's form `--proxy=http:http://host:3128` is accepted as well.
  return p.replace(/^(https?|all):(?=[a-z0-9+.-]+:\/\/)/i, '');
}

/** The printed form of a request: head as it goes on the wire, then the body. */
function printRequest(req: PreparedRequest, body: Uint8Array | null, print: string, style: Style): void {
  const u = new URL(req.url);
  if (print.includes('H')) {
    let head = `${requestLine(req.method, u.pathname + u.search, style)}\n`;
    // Host and Content-Length are added at the wire; show them as sent (RFC 9112 §3.2, §6.2).
    if (!req.headers.has('host')) head += headerLines([['Host', u.host]], style);
    head += headerLines(req.headers, style);
    if (body !== null && !req.headers.has('content-length')) head += headerLines([['Content-Length', String(body.length)]], style);
    out(`${head}\n`);
  }
  if (print.includes('B') && body !== null) {
    out(isBinary(body) ? binaryNote(body.length, req.headers.get('content-type')) : formatBody(Buffer.from(body).toString('utf8'), req.headers.get('content-type'), style));
    out('\n\n');
  }
}

/** Print a streamed body as it arrives: lines for text (NDJSON re-coloured), raw chunks otherwise. */
async function printStream(res: StreamResponse, style: Style, jsonLines: boolean): Promise<void> {
  const type = res.headers.get('content-type') ?? '';
  if (jsonLines || /event-stream|ndjson|jsonl|json-seq|^text\//i.test(type)) {
    const asJson = jsonLines || isJsonType(type);
    for await (const line of res.lines()) {
      let shown = line;
      if (asJson && style.colors && line.trim() !== '') {
        try {
          shown = jsonText(JSON.parse(line), { colors: true, format: false });
        } catch {
          // Not a JSON line: as it came.
        }
      }
      out(`${shown}\n`);
    }
    return;
  }
  for await (const chunk of res) out(chunk);
}

function timingsLine(phases: TimingPhases, colors: boolean): string {
  const f = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)} ms`);
  const names = ['wait', 'dns', 'tcp', 'tls', 'request', 'firstByte', 'download', 'total'] as const;
  return note(`timings: ${names.map((n) => `${n} ${f(phases[n])}`).join('  ')}`, colors);
}

function statusExit(status: number, follow: boolean): number {
  if (status >= 500) return Exit.HTTP_5XX;
  if (status >= 400) return Exit.HTTP_4XX;
  if (status >= 300 && !follow) return Exit.HTTP_3XX;
  return Exit.OK;
}

/** Run one HTTP request from the command line; resolves to the exit code. */
export async function runHttp(args: CliArgs): Promise<number> {
  const stdoutTty = process.stdout.isTTY === true;
  const style = styleFor(args.pretty, stdoutTty, process.env);
  const errStyle = styleFor(args.pretty, process.stderr.isTTY === true, process.env);
  let url: URL;
  try {
    url = new URL(expandUrl(args.url));
  } catch {
    throw new UsageError(`${JSON.stringify(args.url)} is not a URL`);
  }
  const built = await buildRequest(args.items, args.body, stdinSource(args.ignoreStdin));
  if (built.body === null && !args.ignoreStdin && !args.items.some((i) => i.endsWith('@-'))) {
    const piped = await pipedStdin();
    if (piped !== null) {
      built.body = piped;
      built.hasData = true;
    }
  }
  const method = args.method ?? (built.hasData ? 'POST' : 'GET');
  const print = args.quiet ? '' : (args.print ?? (args.offline ? 'HB' : stdoutTty ? 'hb' : 'b'));

  const filePath = args.session !== null ? sessionPath(args.session, url, process.env) : null;
  const saved: SessionData | null = filePath !== null ? loadSession(filePath) : null;
  const auth = authFrom(args) ?? saved?.auth ?? null;
  const headers: Array<[string, string]> = [];
  const removed: string[] = [];
  for (const [name, value] of built.headers) {
    if (value === null) removed.push(name);
    else headers.push([name, value]);
  }
  const has = (n: string): boolean => headers.some(([k]) => k.toLowerCase() === n);
  if (built.contentType !== null && !has('content-type')) headers.push(['Content-Type', built.contentType]);
  if (built.jsonFields && !has('accept')) headers.push(['Accept', 'application/json, */*;q=0.5']);

  const session = new Session({
    headers: saved?.headers,
    followRedirects: args.follow,
    maxRedirects: args.maxRedirects,
    timeout: args.timeout !== null ? args.timeout * 1000 : undefined,
    http2: args.http === '1' ? false : args.http === '2' ? (url.protocol === 'https:' ? 'auto' : 'prior-knowledge') : 'auto',
    proxy: proxyFrom(args.proxy),
    tls: tlsFrom(args),
    auth,
  });
  try {
    for (const name of removed) session.headers.delete(name);
    if (saved !== null && session.cookies !== null) session.cookies.load(saved.cookies);
    session.onRequest((req) => {
      if (print.includes('H') || print.includes('B')) printRequest(req, built.body, print, style);
      if (args.offline) throw OFFLINE;
    });
    let res: StreamResponse;
    let resumeAt = 0;
    let target = '';
    if (args.download) {
      target = downloadName(args.output, null, url.href);
      resumeAt = args.continue ? resumeFrom(target) : 0;
      if (resumeAt > 0) headers.push(['Range', `bytes=${resumeAt}-`]);
    }
    try {
      res = await session.stream(method, url, {
        headers,
        query: built.query.length > 0 ? new URLSearchParams(built.query) : undefined,
        body: built.body,
        timings: args.timings,
      });
    } catch (err) {
      if (args.offline && (err === OFFLINE || (err as Error).cause === OFFLINE)) return Exit.OK;
      throw err;
    }
    const headText = `${statusLine(res.httpVersion, res.status, res.reason, args.download ? errStyle : style)}\n${headerLines(res.headers, args.download ? errStyle : style)}`;
    if (args.download) {
      // A resumed file keeps its name: the Range was computed for it.
      if (args.output === null && resumeAt === 0) {
        const named = downloadName(null, res.headers.get('content-disposition'), res.url);
        // A name the server picked (it differs from the one the URL gave) never replaces an existing file.
        target = named !== target ? freshName(named) : named;
      }
      await downloadTo(res, target, resumeAt, print.includes('h') ? headText : null, headText);
    } else {
      if (print.includes('h')) out(`${headText}\n`);
      const type = res.headers.get('content-type');
      if (!print.includes('b') || method === 'HEAD') {
        await res.close();
      } else if (args.stream || args.jsonLines || /event-stream|ndjson|jsonl/i.test(type ?? '')) {
        await printStream(res, style, args.jsonLines);
      } else {
        const body = await res.bytes();
        if (body.length > 0) {
          if (isBinary(body) && stdoutTty) out(binaryNote(body.length, type));
          else if (style.format || style.colors) out(`${formatBody(Buffer.from(body).toString('utf8'), type, style).replace(/\n?$/, '\n')}`);
          else {
            out(body);
            // Piped with heads around it: end the body on its own line; a body alone stays byte-exact.
            if (print !== 'b' && body[body.length - 1] !== 0x0a) out('\n');
          }
        }
      }
    }
    if (args.timings) {
      // The phases of the last hop (the body was read above, so `end` is set).
      const t = res.timings;
      if (t !== null) process.stderr.write(`${timingsLine(t.phases, errStyle.colors)}\n`);
    }
    if (filePath !== null && !args.sessionReadOnly) {
      saveSession(filePath, {
        __meta__: { about: 'reqivo session file', reqivo: VERSION },
        headers: keptHeaders(saved?.headers ?? {}, built.headers),
        auth,
        cookies: session.cookies?.toJSON() ?? [],
      });
    }
    if (!args.checkStatus) return Exit.OK;
    const code = statusExit(res.status, args.follow);
    if (code !== Exit.OK && !stdoutTty) process.stderr.write(`reqivo: warning: HTTP ${res.status} ${res.reason}\n`);
    return code;
  } finally {
    await session.close();
  }
}
