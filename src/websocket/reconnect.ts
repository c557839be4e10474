/**
 * The reconnect policy of `autoReconnect`: which closes are worth coming
 * back after, and how long to wait before each attempt.
 * @module
 */

/** Close codes after which an auto-reconnecting client comes back: a drop (1006), going away, server errors, restart, try later. */
export function reconnectable(code: number): boolean {
  return code === 1001 || code === 1006 || (code >= 1011 && code <= 1014);
}

/**
 * Delay before reconnect attempt `attempt` (1, 2, …): `baseMs` doubled per
 * attempt, capped at `maxMs`, with "equal jitter" — half fixed, half random,
 * so clients dropped together do not return together.
 */
export function reconnectDelay(attempt: number, baseMs: number, maxMs: number): number {
  const base = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(base / 2 + Math.random() * (base / 2));
}
