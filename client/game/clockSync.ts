"use client";
/**
 * The browser's estimate of the server clock: a few `clock:ping` samples,
 * the low-round-trip ones kept (core/clock.ts); a resync replaces the estimate
 * in use only when it is no looser (betterClockEstimate). Countdowns and round windows
 * are shown at server times minus this offset, so every player sees them
 * together within tens of milliseconds.
 */
import { betterClockEstimate, estimateClockOffset, type ClockSample } from "@/core/clock";
import { request } from "../socket";

const SAMPLES = 8;
let offsetMs = 0;
let roundTripMs: number | null = null;
/** When the estimate in use was made (Date.now()). */
let estimatedAt = 0;
let syncing: Promise<void> | null = null;

/** serverTime ≈ Date.now() + offset. */
export function serverNow(): number {
  return Date.now() + offsetMs;
}

export function clockOffset(): { offsetMs: number; roundTripMs: number | null } {
  return { offsetMs, roundTripMs };
}

export function syncClock(): Promise<void> {
  syncing ??= (async () => {
    const samples: ClockSample[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const clientSentAt = Date.now();
      const answer = await request("clock:ping", {});
      const clientReceivedAt = Date.now();
      if (answer.ok) samples.push({ clientSentAt, serverTime: answer.serverTime, clientReceivedAt });
      // Spread the samples a little: one congested moment should not decide them all.
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    if (samples.length > 0) {
      const estimate = estimateClockOffset(samples);
      const now = Date.now();
      if (
        estimate.samplesUsed > 0 &&
        betterClockEstimate(roundTripMs === null ? null : { roundTripMs, atMs: estimatedAt }, { roundTripMs: estimate.roundTripMs, atMs: now })
      ) {
        offsetMs = estimate.offsetMs;
        roundTripMs = estimate.roundTripMs;
        estimatedAt = now;
      }
    }
  })().finally(() => {
    syncing = null;
  });
  return syncing;
}
