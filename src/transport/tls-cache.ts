/**
 * A small process-wide LRU of TLS sessions, keyed by host, port, SNI and ALPN,
 * so a new connection to a known server resumes instead of doing a full handshake.
 * @module
 */
const MAX_SESSIONS = 256;
const sessions = new Map<string, Buffer>();

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
