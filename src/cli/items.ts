/**
 * httpie's request items: `Header:value`, `Header:` (remove), `Header:@file`,
 * `param==value`, `field=value`, `field:=json`, `field=@file`,
 * `field:=@file`, `field@file` (a file upload), `@file` / `=@file` (the raw
 * body) and `@-` (the raw body from stdin); a backslash escapes a separator.
 * @module
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from './args.js';

/** One parsed item. */
export interface Item {
  /** The separator found (longest at the earliest position). */
  sep: ':=@' | ':@' | '==' | '=@' | ':=' | '=' | ':' | '@';
  /** Left of the separator, unescaped. */
  key: string;
  /** Right of the separator, unescaped. */
  value: string;
}

// Longest first, so that `a:=1` is a JSON field and not the header `a` with value `=1`.
const SEPS = [':=@', ':@', '==', '=@', ':=', '=', ':', '@'] as const;

/** Split one item at its first unescaped separator. Throws {@link UsageError} when it has none. */
export function parseItem(arg: string): Item {
  let key = '';
  for (let i = 0; i < arg.length; i++) {
    const ch = arg[i]!;
    if (ch === '\\' && i + 1 < arg.length) {
      key += arg[++i];
      continue;
    }
    const sep = SEPS.find((s) => arg.startsWith(s, i));
    if (sep !== undefined) return { sep, key, value: unescape(arg.slice(i + sep.length)) };
    key += ch;
  }
  throw new UsageError(`${JSON.stringify(arg)} is not a request item (Header:value, param==value, field=value, field:=json, field@file)`);
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** The request the items describe. */
export interface BuiltRequest {
  /** Header fields to send, in order (`null` value: remove the default). */
  headers: Array<[string, string | null]>;
  /** Query parameters to append. */
  query: Array<[string, string]>;
  /** The body, or null. */
  body: Uint8Array | null;
  /** The body's content type, when the items imply one. */
  contentType: string | null;
  /** Whether data fields were given (the method then defaults to POST). */
  hasData: boolean;
  /** Whether the body is JSON from fields (httpie then also asks for JSON back). */
  jsonFields: boolean;
}

/** How to read what items refer to: files, and stdin. */
export interface ItemSources {
  /** Read a file's bytes. */
  readFile(path: string): Buffer;
  /** Stdin's bytes, when `@-` asks for them. */
  stdin(): Promise<Buffer>;
}

/** All of stdin. Read as a stream: a pipe or socket may be non-blocking, where a synchronous read fails with EAGAIN. */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Real files and stdin. */
export const DEFAULT_SOURCES: ItemSources = {
  readFile: (path) => readFileSync(path),
  stdin: readStdin,
};

/** Turn items into headers, query and body (`kind` from --json/--form/--multipart). */
export async function buildRequest(items: readonly string[], kind: 'json' | 'form' | 'multipart', src: ItemSources = DEFAULT_SOURCES): Promise<BuiltRequest> {
  const out: BuiltRequest = { headers: [], query: [], body: null, contentType: null, hasData: false, jsonFields: false };
  const fields: Array<[string, unknown]> = [];
  const files: Array<[string, string]> = [];
  let raw: Buffer | null = null;
  for (const arg of items) {
    const it = parseItem(arg);
    const read = async (path: string): Promise<Buffer> => (path === '-' ? src.stdin() : src.readFile(path));
    switch (it.sep) {
      case ':':
        out.headers.push([it.key, it.value === '' ? null : it.value]);
        break;
      case ':@':
        out.headers.push([it.key, (await read(it.value)).toString('utf8').trim()]);
        break;
      case '==':
        out.query.push([it.key, it.value]);
        break;
      case '=':
        fields.push([it.key, it.value]);
        break;
      case '=@':
      case '@':
        if (it.key === '') {
          if (raw !== null) throw new UsageError('only one raw body (@file or @-) may be given');
          raw = await read(it.value);
        } else if (it.sep === '=@') {
          fields.push([it.key, (await read(it.value)).toString('utf8')]);
        } else {
          files.push([it.key, it.value]);
        }
        break;
      case ':=':
      case ':=@': {
        const text = it.sep === ':=' ? it.value : (await read(it.value)).toString('utf8');
        try {
          fields.push([it.key, JSON.parse(text)]);
        } catch {
          throw new UsageError(`${JSON.stringify(arg)}: the value after := is not valid JSON`);
        }
        break;
      }
    }
  }
  out.hasData = raw !== null || fields.length > 0 || files.length > 0;
  if (raw !== null) {
    if (fields.length > 0 || files.length > 0) throw new UsageError('a raw body (@file or @-) cannot be mixed with data fields');
    out.body = raw;
    return out;
  }
  if (files.length > 0 || kind === 'multipart') return multipart(out, fields, files, src);
  if (fields.length === 0) return out;
  if (kind === 'form') {
    const p = new URLSearchParams();
    for (const [k, v] of fields) p.append(k, typeof v === 'string' ? v : JSON.stringify(v));
    out.body = Buffer.from(p.toString());
    out.contentType = 'application/x-www-form-urlencoded; charset=utf-8';
    return out;
  }
  out.body = Buffer.from(JSON.stringify(Object.fromEntries(fields)));
  out.contentType = 'application/json';
  out.jsonFields = true;
  return out;
}

// Node's own WHATWG Response encodes the FormData: the exact bytes (and boundary) are known before sending, for -v and --offline.
async function multipart(out: BuiltRequest, fields: Array<[string, unknown]>, files: Array<[string, string]>, src: ItemSources): Promise<BuiltRequest> {
  const fd = new FormData();
  for (const [k, v] of fields) fd.append(k, typeof v === 'string' ? v : JSON.stringify(v));
  for (const [k, path] of files) fd.append(k, new Blob([src.readFile(path)]), basename(path));
  const encoded = new globalThis.Response(fd);
  out.body = new Uint8Array(await encoded.arrayBuffer());
  out.contentType = encoded.headers.get('content-type');
  return out;
}
