/**
 * Keep-alive ticks shared by every WebSocket with the same `pingIntervalMs`:
 * one unref'd interval timer per distinct interval instead of one per
 * connection (an idle connection then costs a set entry, not a Timeout).
 * A connection joining between ticks gets its first tick sooner than one
 * interval; "nothing came back for a whole interval after a ping" is
 * unchanged, since a ping is only judged at the tick after it.
 * @module
 */

/** What a tick calls. */
export interface KeepAliveMember {
  /** One interval passed. @internal */
  keepAliveTick(): void;
}

class Ticker {
  readonly members: Set<KeepAliveMember>;
  readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.members = new Set();
    this.timer = setInterval(tick, ms, this);
    this.timer.unref();
  }
}

const tickers = new Map<number, Ticker>();

function tick(t: Ticker): void {
  // A member may leave (or another join) during its tick: iterate over a snapshot.
  for (const m of [...t.members]) m.keepAliveTick();
}

/** Start ticking `m` every `ms`. */
export function joinKeepAlive(m: KeepAliveMember, ms: number): void {
  let t = tickers.get(ms);
  if (t === undefined) {
    t = new Ticker(ms);
    tickers.set(ms, t);
  }
  t.members.add(m);
}

/** Stop ticking `m`; the last member of an interval stops its timer. */
export function leaveKeepAlive(m: KeepAliveMember, ms: number): void {
  const t = tickers.get(ms);
  if (t === undefined || !t.members.delete(m) || t.members.size > 0) return;
  clearInterval(t.timer);
  tickers.delete(ms);
}
