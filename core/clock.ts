/**
 * NTP-style clock offset between a client and the server, so every phone starts and ends a
 * round at the same server instant.
 *
 * One sample: the client stamps `clientSentAt`, the server replies with `serverTime`, the client
 * stamps `clientReceivedAt`. Assuming the server stamped halfway through the round trip,
 * offset = serverTime - (clientSentAt + clientReceivedAt) / 2. If the two directions take
 * different times, that sample is off by at most half its round trip, so the samples with the
 * shortest round trips are the most trustworthy: keep the best half (at least one) and take the
 * median of their offsets (robust to odd samples among them).
 *
 * Error bound: if more than half of the samples used each have round trip <= R, more than half of
 * their offsets lie within R/2 of the truth, so the median does too. With the used samples sorted
 * by round trip, R = the round trip of the middle one (index floor(n/2)): that is `roundTripMs`,
 * and |offsetMs - true offset| <= roundTripMs / 2.
 */

export interface ClockSample {
  readonly clientSentAt: number;
  readonly serverTime: number;
  readonly clientReceivedAt: number;
}

export interface ClockOffsetEstimate {
  /** Add to a client time to get server time. 0 when no sample was usable. */
  readonly offsetMs: number;
  /**
   * The middle round trip of the samples used: the estimate is within roundTripMs / 2 of the
   * true offset. Infinity when no sample was usable (check samplesUsed).
   */
  readonly roundTripMs: number;
  readonly samplesUsed: number;
}

export function estimateClockOffset(samples: readonly ClockSample[]): ClockOffsetEstimate {
  const usable = samples
    .filter(
      (sample) =>
        Number.isFinite(sample.clientSentAt) &&
        Number.isFinite(sample.serverTime) &&
        Number.isFinite(sample.clientReceivedAt) &&
        sample.clientReceivedAt >= sample.clientSentAt,
    )
    .map((sample) => ({
      roundTrip: sample.clientReceivedAt - sample.clientSentAt,
      offset: sample.serverTime - (sample.clientSentAt + sample.clientReceivedAt) / 2,
    }))
    .sort((a, b) => a.roundTrip - b.roundTrip);
  if (usable.length === 0) return { offsetMs: 0, roundTripMs: Number.POSITIVE_INFINITY, samplesUsed: 0 };
  const kept = usable.slice(0, Math.max(1, Math.ceil(usable.length / 2)));
  const offsets = kept.map((sample) => sample.offset).sort((a, b) => a - b);
  const middle = offsets.length >> 1;
  const offsetMs = offsets.length % 2 === 1 ? (offsets[middle] as number) : ((offsets[middle - 1] as number) + (offsets[middle] as number)) / 2;
  const boundSample = kept[kept.length >> 1] as { roundTrip: number };
  return { offsetMs, roundTripMs: boundSample.roundTrip, samplesUsed: kept.length };
}

/** The server's clock reading at client time `clientNow`. */
export function toServerTime(clientNow: number, offsetMs: number): number {
  return clientNow + offsetMs;
}

/** The client's clock reading at server time `serverTime` (e.g. to schedule a round start). */
export function toClientTime(serverTime: number, offsetMs: number): number {
  return serverTime - offsetMs;
}

/**
 * How much an estimate's error bound grows per second of age: clocks drift (tens of ppm, 0.05 ms
 * a second) and a phone can change networks; 0.5 ms a second is ten times the drift.
 */
export const CLOCK_BOUND_GROWTH_MS_PER_S = 0.5;

/**
 * Whether a fresh estimate should replace the one in use. A resync taken in a busy moment (a model
 * warming up, a congested link, a starved CPU) reports a long round trip, so a loose bound: it
 * replaces a tighter one only once that one's bound, grown with its age, is no better.
 */
export function betterClockEstimate(current: { roundTripMs: number; atMs: number } | null, fresh: { roundTripMs: number; atMs: number }): boolean {
  if (current === null || !Number.isFinite(current.roundTripMs)) return true;
  const ageS = Math.max(0, fresh.atMs - current.atMs) / 1000;
  return fresh.roundTripMs / 2 <= current.roundTripMs / 2 + ageS * CLOCK_BOUND_GROWTH_MS_PER_S;
}
