import { describe, expect, it } from "vitest";
import { betterClockEstimate, CLOCK_BOUND_GROWTH_MS_PER_S, estimateClockOffset, toClientTime, toServerTime, type ClockSample } from "@/core/clock";

/** The server's clock is ahead of this client's by TRUE_OFFSET ms. */
const TRUE_OFFSET = 12_345.6;

/** One ping: sent at client time `at`, `up` ms to the server, `down` ms back. */
function ping(at: number, up: number, down: number, serverDelay = 0): ClockSample {
  return {
    clientSentAt: at,
    serverTime: at + up + TRUE_OFFSET,
    clientReceivedAt: at + up + serverDelay + down,
  };
}

describe("clock offset", () => {
  it("is exact with symmetric delays", () => {
    const estimate = estimateClockOffset([ping(0, 20, 20), ping(100, 35, 35), ping(200, 15, 15)]);
    expect(estimate.offsetMs).toBeCloseTo(TRUE_OFFSET, 9);
    expect(estimate.samplesUsed).toBe(2);
    expect(toServerTime(1000, estimate.offsetMs)).toBeCloseTo(1000 + TRUE_OFFSET, 9);
  });

  it("stays within half the best round trips under asymmetric delays, ignoring 500 ms outliers", () => {
    const samples = [
      ping(0, 5, 80), // asymmetric: this sample alone is 37.5 ms off
      ping(50, 12, 14),
      ping(100, 5, 80),
      ping(150, 20, 480), // outlier
      ping(200, 11, 13),
      ping(250, 25, 475), // outlier
      ping(300, 5, 80),
      ping(350, 14, 12),
      ping(400, 250, 250), // outlier
      ping(450, 13, 11),
    ];
    const estimate = estimateClockOffset(samples);
    // The best half: round trips 24, 24, 26, 26 and one lopsided 85; most of them are <= 26 ms,
    // so the median offset is within 13 ms of the truth.
    expect(estimate.samplesUsed).toBe(5);
    expect(estimate.roundTripMs).toBe(26);
    expect(Math.abs(estimate.offsetMs - TRUE_OFFSET)).toBeLessThanOrEqual(26 / 2);
    expect(Math.abs(estimate.offsetMs - TRUE_OFFSET)).toBeLessThanOrEqual(estimate.roundTripMs / 2);
    // The outliers (each 230 ms off on its own) have no pull: without them the estimate barely moves.
    const withoutOutliers = estimateClockOffset(samples.filter((s) => s.clientReceivedAt - s.clientSentAt < 400));
    expect(Math.abs(withoutOutliers.offsetMs - estimate.offsetMs)).toBeLessThanOrEqual(2);
    // A naive mean over every sample would be far off (what the selection protects against).
    const naive = samples.reduce((sum, s) => sum + s.serverTime - (s.clientSentAt + s.clientReceivedAt) / 2, 0) / samples.length;
    expect(Math.abs(naive - TRUE_OFFSET)).toBeGreaterThan(40);
  });

  it("when every sample is lopsided, the error is still within the reported bound", () => {
    const samples = [ping(0, 5, 80), ping(10, 6, 82), ping(20, 4, 79), ping(30, 90, 4), ping(40, 7, 85)];
    const estimate = estimateClockOffset(samples);
    expect(estimate.samplesUsed).toBe(3);
    expect(Math.abs(estimate.offsetMs - TRUE_OFFSET)).toBeLessThanOrEqual(estimate.roundTripMs / 2);
    // Consistently slow downlinks bias every sample the same way: the bound is all one can promise.
    expect(Math.abs(estimate.offsetMs - TRUE_OFFSET)).toBeGreaterThan(30);
  });

  it("handles one sample, none, and broken ones", () => {
    expect(estimateClockOffset([ping(0, 30, 30)])).toEqual({ offsetMs: TRUE_OFFSET, roundTripMs: 60, samplesUsed: 1 });
    const none = estimateClockOffset([]);
    expect(none.samplesUsed).toBe(0);
    expect(none.offsetMs).toBe(0);
    expect(none.roundTripMs).toBe(Number.POSITIVE_INFINITY);
    const broken: ClockSample[] = [
      { clientSentAt: 100, serverTime: 5, clientReceivedAt: 50 }, // received before sent
      { clientSentAt: Number.NaN, serverTime: 5, clientReceivedAt: 50 },
      ping(0, 10, 10),
    ];
    expect(estimateClockOffset(broken)).toEqual({ offsetMs: TRUE_OFFSET, roundTripMs: 20, samplesUsed: 1 });
  });

  it("converts both ways", () => {
    const offset = -2_500;
    expect(toClientTime(toServerTime(1234, offset), offset)).toBe(1234);
    expect(toClientTime(10_000, offset)).toBe(12_500);
  });
});

describe("a resync's estimate", () => {
  it("replaces the one in use when it is tighter, or none is in use", () => {
    expect(betterClockEstimate(null, { roundTripMs: 700, atMs: 0 })).toBe(true);
    expect(betterClockEstimate({ roundTripMs: 80, atMs: 0 }, { roundTripMs: 60, atMs: 15_000 })).toBe(true);
  });

  it("taken in a busy moment, does not replace a tighter one until age has loosened that", () => {
    const tight = { roundTripMs: 40, atMs: 0 };
    // 15 s later (one resync), a starved page measured 740 ms round trips: kept out.
    expect(betterClockEstimate(tight, { roundTripMs: 740, atMs: 15_000 })).toBe(false);
    // The tight bound grows by CLOCK_BOUND_GROWTH_MS_PER_S each second: 60 ms is no looser after 20 s.
    expect(CLOCK_BOUND_GROWTH_MS_PER_S).toBe(0.5);
    expect(betterClockEstimate(tight, { roundTripMs: 60, atMs: 19_000 })).toBe(false);
    expect(betterClockEstimate(tight, { roundTripMs: 60, atMs: 20_000 })).toBe(true);
    // A usable estimate always replaces an unusable one (no sample got through).
    expect(betterClockEstimate({ roundTripMs: Number.POSITIVE_INFINITY, atMs: 0 }, { roundTripMs: 900, atMs: 1 })).toBe(true);
  });
});
