/**
 * Per-socket event budgets, checked synchronously on every packet (socketServer.ts). An event
 * with its own `ratePerSecond` (core/protocol.ts) has its own budget; every other event, known
 * or not, shares the general EVENT_RATE_PER_SECOND one. Each budget is a fixed window of
 * `windowMs` that opens with the socket's first event of its kind: at most `points` events in
 * it, the rest refused until it closes (how rate-limiter-flexible's memory limiter counted here
 * before). Synchronous and kept in the connection's closure because the live lane passes here
 * 10-30 times a second per player: no promise per packet, no map keyed by socket id, nothing
 * to delete when the socket goes.
 */
export class FixedWindowBudget {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;

  constructor(
    private readonly points: number,
    private readonly windowMs = 1_000,
  ) {}

  /** Spends one event at `now` (ms, monotonic); false when the window's budget is spent. */
  take(now: number): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    this.used += 1;
    return this.used <= this.points;
  }
}

/** One socket's budgets: `take(event)` spends from the event's own budget, or the general one. */
export class SocketBudgets {
  private readonly general: FixedWindowBudget;
  private readonly own = new Map<string, FixedWindowBudget>();

  /** `ownRates`: events with their own budget, and its points per window. */
  constructor(
    generalPoints: number,
    private readonly ownRates: ReadonlyMap<string, number>,
    private readonly windowMs = 1_000,
  ) {
    this.general = new FixedWindowBudget(generalPoints, windowMs);
  }

  /** `event` null (not a known event name) counts against the general budget. */
  take(event: string | null, now: number): boolean {
    const points = event === null ? undefined : this.ownRates.get(event);
    if (event === null || points === undefined) return this.general.take(now);
    let budget = this.own.get(event);
    if (!budget) {
      budget = new FixedWindowBudget(points, this.windowMs);
      this.own.set(event, budget);
    }
    return budget.take(now);
  }
}
