/**
 * `reqivo ws URL [Header:value ...]`: an interactive WebSocket. Lines from
 * stdin are sent (text, or binary with `--binary`); each message is printed
 * with its direction and time; end of input (Ctrl-D) or Ctrl-C closes with
 * 1000 and the close code is shown.
 * @module
 */
import { createInterface } from 'node:readline';
import type { TlsOptions } from '../index.js';
import { WebSocket } from '../websocket/index.js';
import { type CliArgs, expandUrl, UsageError } from './args.js';
import { Exit } from './failure.js';
import { parseItem } from './items.js';
import { note, styleFor, type Style } from './output.js';

function clock(): string {
  return new Date().toISOString().slice(11, 23);
}

function shown(data: string | Uint8Array, style: Style): string {
  if (typeof data === 'string') return data;
  // Binary as hex, so that a terminal never receives raw control bytes.
  return note(`[binary ${data.byteLength} B] `, style.colors) + Buffer.from(data).toString('hex');
}

/** Open the WebSocket, pump stdin to it and messages to stdout; resolves to the exit code. */
export async function runWs(args: CliArgs): Promise<number> {
  const style = styleFor(args.pretty, process.stdout.isTTY === true, process.env);
  const url = expandUrl(args.url, true);
  const headers: Array<[string, string]> = [];
  const protocols = [...args.protocols];
  for (const arg of args.items) {
    const it = parseItem(arg);
    if (it.sep !== ':') throw new UsageError(`${JSON.stringify(arg)}: reqivo ws takes only Header:value items`);
    // Subprotocols are offered through the option, so that the reply is checked against them (RFC 6455 §4.1).
    if (it.key.toLowerCase() === 'sec-websocket-protocol') protocols.push(...it.value.split(',').map((p) => p.trim()).filter(Boolean));
    else headers.push([it.key, it.value]);
  }
  const tls: TlsOptions = {};
  if (args.verify === 'no') tls.rejectUnauthorized = false;
  const ws = new WebSocket(url, {
    headers,
    protocols,
    timeout: args.timeout !== null ? args.timeout * 1000 : undefined,
    tls,
    proxy: args.proxy === null ? 'env' : args.proxy === 'none' ? false : args.proxy,
  });
  await ws.connect();
  process.stderr.write(note(`connected to ${ws.url}${ws.protocol ? ` (subprotocol ${ws.protocol})` : ''}; type a message and Enter, Ctrl-D to close\n`, style.colors));

  const sent = note('→', style.colors);
  const recv = note('←', style.colors);
  const close = (): void => {
    void ws.close(1000).catch(() => undefined);
  };
  const lines = createInterface({ input: process.stdin, terminal: false });
  let sending = Promise.resolve();
  lines.on('line', (line) => {
    sending = sending.then(async () => {
      if (ws.readyState !== 1) return;
      await ws.send(args.binary ? Buffer.from(line) : line);
      process.stdout.write(`${sent} ${clock()} ${args.binary ? shown(Buffer.from(line), style) : line}\n`);
    }).catch(() => {
      // The connection closed under the send: the close is reported by the receive loop.
    });
  });
  // Ctrl-D: close once what was typed has gone out.
  lines.on('close', () => void sending.then(close, close));
  process.once('SIGINT', close);
  try {
    for await (const msg of ws) process.stdout.write(`${recv} ${clock()} ${shown(msg as string | Uint8Array, style)}\n`);
  } catch (err) {
    // The iterator rejects on an unclean close; a close with a code is reported below like any other.
    if (ws.closeCode === null) throw err;
  } finally {
    process.removeListener('SIGINT', close);
    lines.close();
  }
  await ws.close(1000).catch(() => undefined);
  const code = ws.closeCode ?? 1006;
  process.stderr.write(note(`closed ${code}${ws.closeReason ? ` ${ws.closeReason}` : ''}\n`, style.colors));
  // 1000 normal, 1001 going away, 1005 no code given (RFC 6455 §7.4.1): a clean end.
  return code === 1000 || code === 1001 || code === 1005 ? Exit.OK : Exit.ERROR;
}
