/**
 * permessage-deflate negotiation (RFC 7692 §7.1): the user's settings, the
 * `Sec-WebSocket-Extensions` offer, parsing the server's answer (RFC 6455
 * §9.1) and checking it against the offer.
 * @module
 */
import zlib from 'node:zlib';
import { WebSocketError } from '../errors.js';

/** permessage-deflate settings a user may give (`perMessageDeflate: { … }`). */
export interface PerMessageDeflateOptions {
  /** Compress outgoing messages of at least this many bytes (default 1024); shorter ones are sent as they are. */
  threshold?: number;
  /** zlib compression level for outgoing messages, 0–9 (default zlib's 6). */
  level?: number;
  /** zlib memLevel for outgoing messages, 1–9 (default 8). */
  memLevel?: number;
  /** Ask the server to reset its compressor after each message (less server memory, weaker compression). */
  serverNoContextTakeover?: boolean;
  /** Reset our compressor after each message (less memory here, weaker compression). */
  clientNoContextTakeover?: boolean;
  /** Ask the server to use an LZ77 window of at most 2^N bytes (8–15). */
  serverMaxWindowBits?: number;
  /** Largest window our compressor may use, 8–15 (default 15; the server may ask for less). */
  clientMaxWindowBits?: number;
}

/** The parameters both sides agreed on. */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

function windowBits(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 15) {
    throw new WebSocketError(`perMessageDeflate.${name} must be an integer from ${min} to 15`);
  }
  return v;
}

/** Check the user's options (throws WebSocketError) and fill defaults. */
export function normalizeDeflateOptions(o: boolean | PerMessageDeflateOptions | undefined): Required<PerMessageDeflateOptions> | null {
  if (o === false) return null;
  const opts = o === true || o === undefined ? {} : o;
  const threshold = opts.threshold ?? 1024;
  if (typeof threshold !== 'number' || !(threshold >= 0)) throw new WebSocketError('perMessageDeflate.threshold must be a number ≥ 0');
  const level = opts.level ?? zlib.constants.Z_DEFAULT_COMPRESSION;
  if (!Number.isInteger(level) || level < -1 || level > 9) throw new WebSocketError('perMessageDeflate.level must be an integer from 0 to 9');
  const memLevel = opts.memLevel ?? 8;
  if (!Number.isInteger(memLevel) || memLevel < 1 || memLevel > 9) throw new WebSocketError('perMessageDeflate.memLevel must be an integer from 1 to 9');
  return {
    threshold,
    level,
    memLevel,
    serverNoContextTakeover: opts.serverNoContextTakeover === true,
    clientNoContextTakeover: opts.clientNoContextTakeover === true,
    serverMaxWindowBits: opts.serverMaxWindowBits === undefined ? 0 : windowBits('serverMaxWindowBits', opts.serverMaxWindowBits, 8),
    clientMaxWindowBits: opts.clientMaxWindowBits === undefined ? 0 : windowBits('clientMaxWindowBits', opts.clientMaxWindowBits, 8),
  };
}

/** The `Sec-WebSocket-Extensions` offer for these options. */
export function deflateOffer(o: Required<PerMessageDeflateOptions>): string {
  let s = 'permessage-deflate';
  if (o.clientNoContextTakeover) s += '; client_no_context_takeover';
  if (o.serverNoContextTakeover) s += '; server_no_context_takeover';
  if (o.serverMaxWindowBits !== 0) s += `; server_max_window_bits=${o.serverMaxWindowBits}`;
  // Always announce that we honour a client window the server picks (§7.1.2.2).
  s += o.clientMaxWindowBits !== 0 ? `; client_max_window_bits=${o.clientMaxWindowBits}` : '; client_max_window_bits';
  return s;
}

/** One extension of a `Sec-WebSocket-Extensions` list: its name and parameters (`true` for a parameter without value). */
export interface Extension {
  name: string;
  params: Array<[string, string | true]>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parse a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1): comma-separated
 * extensions, each `name *( ";" param [ "=" (token | quoted-string) ] )`.
 * @throws Error on a syntax error.
 */
export function parseExtensions(value: string): Extension[] {
  const out: Extension[] = [];
  let i = 0;
  const n = value.length;
  const skipWs = (): void => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && !' \t,;="'.includes(value[i]!)) i++;
    const t = value.slice(start, i);
    if (!TOKEN.test(t)) throw new Error(`invalid token ${JSON.stringify(t)} in Sec-WebSocket-Extensions`);
    return t;
  };
  for (;;) {
    skipWs();
    if (i >= n) break;
    if (value[i] === ',') {
      i++;
      continue;
    }
    const ext: Extension = { name: token().toLowerCase(), params: [] };
    skipWs();
    while (i < n && value[i] === ';') {
      i++;
      skipWs();
      const key = token().toLowerCase();
      skipWs();
      let v: string | true = true;
      if (value[i] === '=') {
        i++;
        skipWs();
        if (value[i] === '"') {
          const end = value.indexOf('"', i + 1);
          if (end === -1) throw new Error('unterminated quoted string in Sec-WebSocket-Extensions');
          v = value.slice(i + 1, end);
          i = end + 1;
          // RFC 6455 §9.1: a quoted value must still be a token once unquoted.
          if (!TOKEN.test(v)) throw new Error(`invalid value ${JSON.stringify(v)} in Sec-WebSocket-Extensions`);
        } else v = token();
        skipWs();
      }
      ext.params.push([key, v]);
    }
    out.push(ext);
    skipWs();
    if (i < n && value[i] !== ',') throw new Error(`unexpected ${JSON.stringify(value[i])} in Sec-WebSocket-Extensions`);
  }
  return out;
}

/** RFC 7692 §7.1.2: "a decimal integer value without leading zeroes between 8 to 15, inclusive". */
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

function bitsParam(name: string, v: string | true): number {
  if (v === true || !WINDOW_BITS.test(v)) {
    throw new Error(`${name} must be a number from 8 to 15, got ${v === true ? 'no value' : JSON.stringify(v)}`);
  }
  return Number(v);
}

/**
 * Check the server's permessage-deflate answer against our offer
 * (RFC 7692 §7.1) and return what was agreed.
 * @throws Error naming the broken rule.
 */
export function acceptDeflate(offer: Required<PerMessageDeflateOptions>, ext: Extension): DeflateParams {
  const p: DeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: offer.clientNoContextTakeover,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: offer.clientMaxWindowBits !== 0 ? offer.clientMaxWindowBits : 15,
  };
  const seen = new Set<string>();
  for (const [key, v] of ext.params) {
    if (seen.has(key)) throw new Error(`permessage-deflate parameter ${key} given twice`);
    seen.add(key);
    switch (key) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (v !== true) throw new Error(`permessage-deflate parameter ${key} takes no value`);
        if (key === 'server_no_context_takeover') p.serverNoContextTakeover = true;
        else p.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        const bits = bitsParam(key, v);
        if (offer.serverMaxWindowBits !== 0 && bits > offer.serverMaxWindowBits) {
          throw new Error(`server_max_window_bits=${bits} is larger than the ${offer.serverMaxWindowBits} offered`);
        }
        p.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        const bits = bitsParam(key, v);
        if (offer.clientMaxWindowBits !== 0 && bits > offer.clientMaxWindowBits) {
          throw new Error(`client_max_window_bits=${bits} is larger than the ${offer.clientMaxWindowBits} offered`);
        }
        p.clientMaxWindowBits = bits;
        break;
      }
      default:
        throw new Error(`unknown permessage-deflate parameter ${key}`);
    }
  }
  if (offer.serverNoContextTakeover && !p.serverNoContextTakeover) {
    // §7.1.1.1: a server that accepts the offer must include the parameter.
    throw new Error('the server ignored the server_no_context_takeover the client asked for');
  }
  if (offer.serverMaxWindowBits !== 0 && !seen.has('server_max_window_bits')) {
    // §7.1.2.1: a server accepts an offer with this parameter by including it (with the same or a smaller value).
    throw new Error(`the server ignored the server_max_window_bits=${offer.serverMaxWindowBits} the client asked for`);
  }
  return p;
}
