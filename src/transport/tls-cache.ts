/**
 * A small process-wide LRU of TLS sessions, so a new connection to a known
 * server resumes instead of doing a full handshake.
 *
 * A resumed session skips certificate verification (the result of the first
 * handshake is reused), so a session may only be resumed under the same
 * trust settings it was verified with: the key is host, port, SNI, ALPN and
 * a digest of the TLS settings that decide verification and client identity
 * (CA, client cert/key/pfx, `rejectUnauthorized`, minimum version), as
 * Node's https Agent does.
 * @module
 */
import { createHash } from 'node:crypto';

const MAX_SESSIONS = 256;
const sessions = new Map<string, Buffer>();

/** The TLS settings that make two connections' sessions interchangeable or not. */
export interface TlsIdentity {
  /** Trusted CAs. */
  ca?: unknown;
  /** Client certificate. */
  cert?: unknown;
  /** Client key. */
  key?: unknown;
  /** Client PKCS#12 bundle. */
  pfx?: unknown;
  /** Passphrase of key or pfx. */
  passphrase?: string;
  /** Verification on or off. */
  rejectUnauthorized?: boolean;
  /** Lowest TLS version. */
  minVersion?: string;
}

const ids = new WeakMap<object, string>();

function feed(h: ReturnType<typeof createHash>, v: unknown): void {
  if (v === undefined || v === null) h.update('\0-');
  else if (Array.isArray(v)) {
    h.update(`\0[${v.length}`);
    for (const x of v) feed(h, x);
  } else if (typeof v === 'string' || Buffer.isBuffer(v)) {
    h.update('\0=');
    h.update(v);
  } else h.update(`\0${String(v)}`);
}

/**
 * A short digest of the verification-relevant TLS settings, cached per
 * options object (a Session passes the same object every time, so this is
 * computed once per Session).
 */
export function tlsIdentity(t: TlsIdentity | null | undefined): string {
  if (t === null || t === undefined) return 'default';
  let id = ids.get(t);
  if (id === undefined) {
    const h = createHash('sha256');
    feed(h, t.ca);
    feed(h, t.cert);
    feed(h, t.key);
    feed(h, t.pfx);
    feed(h, t.passphrase);
    feed(h, t.rejectUnauthorized !== false);
    feed(h, t.minVersion ?? 'TLSv1.2');
    id = h.digest('base64url').slice(0, 22);
    ids.set(t, id);
  }
  return id;
}

/** The last session stored for `key`, if any. */
export function getTlsSession(key: string): Buffer | undefined {
  return sessions.get(key);
}

/** Remember `session` for `key`, evicting the least recently stored entry past the bound. */
export function storeTlsSession(key: string, session: Buffer): void {
  sessions.delete(key);
  sessions.set(key, session);
  if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
}

/** Forget every stored session (tests, or after a CA change). */
export function clearTlsSessions(): void {
  sessions.clear();
}
