/**
 * HTTP authentication header values: Basic (RFC 7617) and Digest (RFC 7616,
 * with the RFC 2069 no-qop legacy form). Pure functions; the session decides
 * when to answer a 401.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { InvalidRequestError } from '../errors.js';
import { isValidHeaderValue, TCHAR } from '../http/syntax.js';

/** One challenge of a `WWW-Authenticate` / `Proxy-Authenticate` header (RFC 9110 §11.3). */
export interface AuthChallenge {
  /** Auth scheme as sent, e.g. `'Digest'`. Compare case-insensitively. */
  scheme: string;
  /** Parameters by lower-case name; quoted strings already unescaped. */
  params: Record<string, string>;
  /** The token68 form (`Negotiate abc==`), or `null`. */
  token68: string | null;
}

/** The parameters of a Digest challenge (RFC 7616 §3.3). */
export interface DigestChallenge {
  /** Protection space shown to users. */
  realm: string;
  /** Server nonce. */
  nonce: string;
  /** Opaque data to echo back, or `null`. */
  opaque: string | null;
  /** Algorithm in canonical case (`'MD5'`, `'SHA-256-sess'`, …); `'MD5'` when the server sent none. */
  algorithm: string;
  /** Whether the server named the algorithm (it is then echoed in the answer). */
  algorithmGiven: boolean;
  /** Offered qop values, lower-case; empty for the RFC 2069 legacy mode. */
  qop: string[];
  /** The previous nonce was stale: retry with the new one without asking the user again. */
  stale: boolean;
  /** The server wants the username hashed (RFC 7616 §3.4.4). */
  userhash: boolean;
  /** Every parameter of the challenge, by lower-case name. */
  params: Record<string, string>;
}

/** Input of {@link digestAuthorization}. */
export interface DigestAuthorizationOptions {
  /** User name (any Unicode; sent as `username*` when it is not plain ASCII, or hashed when the server asks). */
  username: string;
  /** Password (hashed as UTF-8). */
  password: string;
  /** Request method, e.g. `'GET'`. */
  method: string;
  /** Request target as written on the request line, e.g. `'/dir/index.html?x=1'`. */
  uri: string;
  /** The challenge, from {@link parseChallenge}. */
  challenge: DigestChallenge;
  /** Nonce count: how many requests used this nonce, this one included. Default 1. */
  nc?: number;
  /** Client nonce; random when absent. */
  cnonce?: string;
  /** Request body, for `qop=auth-int` when the server offers only that. */
  body?: Uint8Array | string;
}

/** Digest algorithms supported, by upper-case name → node:crypto hash name. */
const HASHES: Record<string, string> = {
  MD5: 'md5',
  'SHA-256': 'sha256',
  'SHA-512-256': 'sha512-256',
  // Not in RFC 7616's list, but servers offer it (httpbin, Python's requests answers it).
  'SHA-512': 'sha512',
};

/** Canonical spelling of each supported algorithm, by upper-case name. */
const CANONICAL: Record<string, string> = {
  MD5: 'MD5',
  'MD5-SESS': 'MD5-sess',
  'SHA-256': 'SHA-256',
  'SHA-256-SESS': 'SHA-256-sess',
  'SHA-512-256': 'SHA-512-256',
  'SHA-512-256-SESS': 'SHA-512-256-sess',
  'SHA-512': 'SHA-512',
  'SHA-512-SESS': 'SHA-512-sess',
};

/**
 * `Basic` credentials (RFC 7617): `'Basic ' + base64(utf8(user + ':' + pass))`.
 * @throws {InvalidRequestError} when the username contains `:` (it would be read as the password).
 */
export function basicAuthorization(username: string, password: string): string {
  if (username.includes(':')) throw new InvalidRequestError('Basic auth username must not contain ":"');
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * Split an authentication header into its challenges (RFC 9110 §11.3):
 * several schemes in one value, quoted strings with `\` escapes, commas inside
 * quotes, token68 credentials. Lenient: garbage between challenges is skipped.
 * Several header lines can be passed as an array or joined with `", "`.
 */
export function parseChallenges(header: string | readonly string[]): AuthChallenge[] {
  const s = typeof header === 'string' ? header : header.join(', ');
  const out: AuthChallenge[] = [];
  let current: AuthChallenge | null = null;
  const n = s.length;
  let i = 0;
  while (i < n) {
    i = skip(s, i, true);
    if (i >= n) break;
    const start = i;
    while (i < n && isTchar(s.charCodeAt(i))) i++;
    if (i === start) {
      // Not a token: skip to the next comma.
      while (i < n && s.charCodeAt(i) !== 0x2c) i++;
      continue;
    }
    const word = s.slice(start, i);
    const afterWord = skip(s, i, false);
    if (current !== null && s.charCodeAt(afterWord) === 0x3d /* = */) {
      // auth-param: name = ( token / quoted-string )
      i = skip(s, afterWord + 1, false);
      let value: string;
      if (s.charCodeAt(i) === 0x22) {
        const q = readQuoted(s, i);
        value = q.value;
        i = q.end;
      } else {
        const vs = i;
        while (i < n && s.charCodeAt(i) !== 0x2c && s.charCodeAt(i) !== 0x20 && s.charCodeAt(i) !== 0x09) i++;
        value = s.slice(vs, i);
      }
      const key = word.toLowerCase();
      if (!(key in current.params)) current.params[key] = value;
      continue;
    }
    // A new challenge: scheme [ 1*SP ( token68 / #auth-param ) ].
    current = { scheme: word, params: Object.create(null) as Record<string, string>, token68: null };
    out.push(current);
    i = afterWord;
    const m = /^[A-Za-z0-9\-._~+/]+=*/.exec(s.slice(i, i + 4096));
    if (m !== null && i > start + word.length) {
      const end = skip(s, i + m[0].length, false);
      // Followed by a comma or the end, it is token68 (`realm=` alone is no param: a param needs a value).
      if (end >= n || s.charCodeAt(end) === 0x2c) {
        current.token68 = m[0];
        i = end;
      }
    }
  }
  return out;
}

/**
 * The Digest challenge of a `WWW-Authenticate` value, or `null` when it holds
 * none this client can answer. With several Digest challenges (one per
 * algorithm, RFC 7616 §3.7) the strongest supported algorithm wins
 * (SHA-512-256 or SHA-512, then SHA-256, then MD5; the first of equals), the local
 * policy §3.7 allows: a weaker challenge put in front (by a middlebox, or a
 * server's odd order) does not downgrade the answer.
 */
export function parseChallenge(wwwAuthenticate: string | readonly string[]): DigestChallenge | null {
  let best: DigestChallenge | null = null;
  for (const c of parseChallenges(wwwAuthenticate)) {
    const d = digestOf(c);
    if (d !== null && (best === null || algorithmStrength(d.algorithm) > algorithmStrength(best.algorithm))) best = d;
  }
  return best;
}

/**
 * How strong a Digest algorithm is, for choosing among challenges and
 * refusing a downgrade: 3 for SHA-512-256 and SHA-512, 2 for SHA-256, 1 for
 * MD5 (the `-sess` forms rank with their hash), 0 for anything else.
 */
export function algorithmStrength(algorithm: string): number {
  const a = algorithm.toUpperCase().replace(/-SESS$/, '');
  return a === 'SHA-512-256' || a === 'SHA-512' ? 3 : a === 'SHA-256' ? 2 : a === 'MD5' ? 1 : 0;
}

/** One challenge as a Digest challenge, or null when it is not one this client can answer. */
function digestOf(c: AuthChallenge): DigestChallenge | null {
  if (c.scheme.toLowerCase() !== 'digest') return null;
  const p = c.params;
  const nonce = p['nonce'];
  if (nonce === undefined) return null;
  const given = p['algorithm'];
  const algorithm = CANONICAL[(given ?? 'MD5').toUpperCase()];
  if (algorithm === undefined) return null;
  const qop = p['qop'] === undefined ? [] : p['qop'].split(',').map((q) => q.trim().toLowerCase()).filter((q) => q !== '');
  // Only qop values this client speaks: a challenge offering none of them cannot be answered.
  if (qop.length > 0 && !qop.includes('auth') && !qop.includes('auth-int')) return null;
  return {
    realm: p['realm'] ?? '',
    nonce,
    opaque: p['opaque'] ?? null,
    algorithm,
    algorithmGiven: given !== undefined,
    qop,
    stale: (p['stale'] ?? '').toLowerCase() === 'true',
    userhash: (p['userhash'] ?? '').toLowerCase() === 'true',
    params: { ...p },
  };
}

/**
 * The `Authorization` value answering a Digest challenge (RFC 7616 §3.4):
 * MD5, SHA-256, SHA-512-256 and their `-sess` forms; `qop=auth` when offered
 * (`auth-int` only when it is the sole offer and `body` is given); the RFC
 * 2069 form when the challenge has no qop; opaque echoed; userhash honoured.
 * @throws {InvalidRequestError} for an unsupported algorithm or qop, or a value that cannot go in a header.
 */
export function digestAuthorization(options: DigestAuthorizationOptions): string {
  const { username, password, method, uri, challenge } = options;
  const algo = challenge.algorithm.toUpperCase();
  const sess = algo.endsWith('-SESS');
  const hashName = HASHES[sess ? algo.slice(0, -5) : algo];
  if (hashName === undefined) throw new InvalidRequestError(`unsupported Digest algorithm ${JSON.stringify(challenge.algorithm)}`);
  const H = (data: string | Uint8Array): string => createHash(hashName).update(data).digest('hex');

  let qop: 'auth' | 'auth-int' | null = null;
  if (challenge.qop.length > 0) {
    if (challenge.qop.includes('auth')) qop = 'auth';
    else if (challenge.qop.includes('auth-int') && options.body !== undefined) qop = 'auth-int';
    else throw new InvalidRequestError(`unsupported Digest qop ${JSON.stringify(challenge.qop.join(', '))}`);
  }
  const nc = options.nc ?? 1;
  if (!Number.isInteger(nc) || nc < 1 || nc > 0xffffffff) throw new InvalidRequestError(`Digest nonce count must be an integer from 1 to 2^32-1, got ${nc}`);
  const ncHex = nc.toString(16).padStart(8, '0');
  const needsCnonce = qop !== null || sess;
  const cnonce = needsCnonce ? (options.cnonce ?? randomBytes(16).toString('hex')) : null;
  const { realm, nonce } = challenge;

  // RFC 7616 §3.4.2: A1, with the -sess variant folding in both nonces.
  let ha1 = H(`${username}:${realm}:${password}`);
  if (sess) ha1 = H(`${ha1}:${nonce}:${cnonce}`);
  // §3.4.3: A2, with the body hash for auth-int.
  const ha2 = qop === 'auth-int' ? H(`${method}:${uri}:${H(options.body!)}`) : H(`${method}:${uri}`);
  const response = qop !== null ? H(`${ha1}:${nonce}:${ncHex}:${cnonce}:${qop}:${ha2}`) : H(`${ha1}:${nonce}:${ha2}`);

  const parts: string[] = [];
  if (challenge.userhash) parts.push(`username=${quote(H(`${username}:${realm}`))}`);
  else if (isPlainQuotable(username)) parts.push(`username=${quote(username)}`);
  else parts.push(`username*=UTF-8''${encodeRfc5987(username)}`);
  parts.push(`realm=${quote(realm)}`, `uri=${quote(uri)}`);
  if (challenge.algorithmGiven) parts.push(`algorithm=${challenge.algorithm}`);
  parts.push(`nonce=${quote(nonce)}`);
  if (qop !== null) parts.push(`nc=${ncHex}`, `cnonce=${quote(cnonce!)}`, `qop=${qop}`);
  else if (cnonce !== null) parts.push(`cnonce=${quote(cnonce)}`);
  parts.push(`response=${quote(response)}`);
  if (challenge.opaque !== null) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (challenge.userhash) parts.push('userhash=true');
  const value = `Digest ${parts.join(', ')}`;
  if (!isValidHeaderValue(value)) throw new InvalidRequestError('Digest credentials or challenge contain characters that cannot be sent in a header (CR, LF, NUL or non-latin1)');
  return value;
}

// ── helpers ──────────────────────────────────────────────────────────────

function isTchar(c: number): boolean {
  return c < 256 && TCHAR[c] === 1;
}

/** Skip spaces/tabs (and commas when `commas`). */
function skip(s: string, i: number, commas: boolean): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || (commas && c === 0x2c)) i++;
    else break;
  }
  return i;
}

/** Read a quoted-string starting at the opening quote; an unterminated one runs to the end. */
function readQuoted(s: string, i: number): { value: string; end: number } {
  let out = '';
  i++;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x22) return { value: out, end: i + 1 };
    if (c === 0x5c && i + 1 < s.length) {
      out += s[i + 1];
      i += 2;
      continue;
    }
    out += s[i];
    i++;
  }
  return { value: out, end: i };
}

function quote(v: string): string {
  return `"${v.replace(/[\\"]/g, '\\$&')}"`;
}

/** Printable ASCII only: anything else needs the RFC 5987 `username*` form. */
function isPlainQuotable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** RFC 8187 value-chars: attr-char stays, everything else is %XX of its UTF-8 bytes. */
function encodeRfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
