/**
 * What the command line prints: request and response heads, bodies (JSON
 * indented and coloured, text as is, binary replaced by a note), in ANSI
 * colours only when asked to.
 * @module
 */

/** How to render: colours and/or formatting (from `--pretty`, the TTY and `NO_COLOR`). */
export interface Style {
  /** ANSI colours. */
  colors: boolean;
  /** Indent JSON. */
  format: boolean;
}

/** Resolve `--pretty` (null: all on a TTY, none when piped; `NO_COLOR` drops the default colours). */
export function styleFor(pretty: string | null, tty: boolean, env: NodeJS.ProcessEnv): Style {
  if (pretty !== null) return { colors: pretty === 'all' || pretty === 'colors', format: pretty === 'all' || pretty === 'format' };
  // https://no-color.org: any non-empty NO_COLOR turns default colours off; an explicit --pretty still wins.
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return { colors: tty && !noColor, format: tty };
}

const C = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  red: '\x1b[31m',
  cyan: '\x1b[36m',
  blue: '\x1b[34m',
  magenta: '\x1b[35m',
  grey: '\x1b[90m',
};

function paint(on: boolean, color: string, s: string): string {
  return on ? `${color}${s}${C.reset}` : s;
}

/**
 * A server's text for a head line, with control characters (C0 but HTAB, DEL, C1) shown as `\xHH`:
 * an ESC or a CSI in a reason phrase or a field value must not drive the terminal (title, cursor, colours, OSC 52).
 */
export function visible(s: string): string {
  return /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/.test(s)
    ? s.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    : s;
}

/** A status line: `HTTP/1.1 200 OK`, green for 2xx, yellow 3xx, red 4xx/5xx. */
export function statusLine(httpVersion: string, status: number, reason: string, style: Style): string {
  const color = status < 300 ? C.green : status < 400 ? C.yellow : C.red;
  const code = paint(style.colors, `${C.bold}${color}`, `${status}${reason ? ` ${visible(reason)}` : ''}`);
  return `${paint(style.colors, C.blue, `HTTP/${httpVersion}`)} ${code}`;
}

/** Header lines, `Name: value`, names in cyan. */
export function headerLines(headers: Iterable<readonly [string, string]>, style: Style): string {
  let out = '';
  for (const [name, value] of headers) out += `${paint(style.colors, C.cyan, visible(name))}: ${visible(value)}\n`;
  return out;
}

/** A request line: `GET /path HTTP/1.1`. */
export function requestLine(method: string, target: string, style: Style): string {
  return `${paint(style.colors, `${C.bold}${C.green}`, method)} ${paint(style.colors, C.cyan, target)} ${paint(style.colors, C.blue, 'HTTP/1.1')}`;
}

/** Whether a content type is JSON (`application/json`, `+json`, NDJSON). */
export function isJsonType(contentType: string | null): boolean {
  return contentType !== null && /[/+](json|x-ndjson|ndjson|jsonl|json-seq)\b/i.test(contentType);
}

/** Whether the bytes look binary: a NUL in the first KiB (httpie's test). */
export function isBinary(body: Uint8Array): boolean {
  const n = Math.min(body.length, 1024);
  for (let i = 0; i < n; i++) if (body[i] === 0) return true;
  return false;
}

/** The note printed instead of a binary body on a terminal. */
export function binaryNote(bytes: number, contentType: string | null): string {
  return `+-----------------------------------------+\n| NOTE: binary data not shown in terminal |\n+-----------------------------------------+\n(${bytes} bytes${contentType ? `, ${contentType}` : ''}; use --download, or -d -o FILE, to save it)\n`;
}

/** A body as text for the terminal: JSON re-indented / coloured when it parses, else as is. */
export function formatBody(text: string, contentType: string | null, style: Style): string {
  if ((style.colors || style.format) && isJsonType(contentType)) {
    try {
      return jsonText(JSON.parse(text), style);
    } catch {
      // Not JSON after all: shown as it came.
    }
  }
  return text;
}

/** One value as JSON, indented by 4 like httpie when formatting, coloured when asked. */
export function jsonText(value: unknown, style: Style): string {
  const text = JSON.stringify(value, null, style.format ? 4 : undefined) ?? 'null';
  return style.colors ? colorJson(text) : text;
}

// Colours the tokens of JSON.stringify output (which has no comments and escapes control characters).
function colorJson(text: string): string {
  return text.replace(/("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, (m, str: string | undefined, colon: string | undefined, lit: string | undefined) => {
    if (str !== undefined) return colon !== undefined ? `${C.blue}${str}${C.reset}${colon}` : `${C.green}${str}${C.reset}`;
    if (lit !== undefined) return `${C.magenta}${lit}${C.reset}`;
    return `${C.yellow}${m}${C.reset}`;
  });
}

/** A grey note line for stderr (timings, warnings). */
export function note(text: string, colors: boolean): string {
  return paint(colors, C.grey, text);
}
