/**
 * What a player's phone tells the server during a round, on two lanes:
 *  - the meter (live similarity) on the live lane, without an ack: about 10 a second, and every
 *    frame (up to ~33 a second) while a pose is being held, the first frame of a hold always.
 *    The server believes an award only if the meter showed the hold (core/game/awardEvidence.ts:
 *    HOLD_MIN_FRAMES samples at or above the grade's threshold spanning HOLD_MIN_MS), so the
 *    hold's frames must reach it;
 *  - the award, acked and retried: sent once the hold's first sample has been out for
 *    HOLD_MIN_MS plus a margin, so network jitter cannot make the server's view of the hold
 *    look shorter than the rule (a wait of a few tens of ms at most, costing next to no points).
 */
import type { LeaderPose } from "@/core/game/copyRound";
import type { ClientPayload, LivePayload } from "@/core/protocol";
import { HOLD_MIN_MS, type HoldLevel } from "@/core/scoring/hold";
import type { Award } from "@/core/scoring/points";
import { createThrottledSender, type Clock, type SendAnswer } from "../throttledSender";

/** Between meter samples outside a hold: the friends' meters refresh at 10 Hz anyway. */
export const METER_IDLE_INTERVAL_MS = 100;
/** Between meter samples during a hold: at most ~33 a second (the server allows 40). */
export const METER_HOLD_INTERVAL_MS = 30;
/** Extra wait before an award leaves, over the hold's own HOLD_MIN_MS: covers network jitter. */
export const AWARD_MARGIN_MS = 60;

export type MeterSample = LivePayload<"game:meter">;
export type AwardUpdate = ClientPayload<"game:score">;

/** The part of the inference loop's FrameReport this needs. */
export interface LiveFrame {
  roundIndex: number | null;
  similarity: number;
  level: HoldLevel;
  award: Award | null;
  /** A copy round's leader settled its pose in this frame: the pose is judged by the meter up to it. */
  struckPose?: LeaderPose | null;
}

export interface LiveSender {
  frame(report: LiveFrame): void;
  dispose(): void;
}

const browserClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function createLiveSender(options: {
  sendMeter: (sample: MeterSample) => void;
  sendAward: (award: AwardUpdate) => Promise<SendAnswer>;
  clock?: Clock;
}): LiveSender {
  const clock = options.clock ?? browserClock;
  const awards = createThrottledSender<AwardUpdate>({
    send: options.sendAward,
    minIntervalMs: 100,
    // An award waiting to go out is never replaced by another round's.
    merge: (queued) => queued,
    // A closed, scored or refused round will not change: do not retry into it. `not_in_room` is
    // retried: after a dropped connection it only means the rejoin has not landed yet.
    finalCodes: ["outside_window", "already_awarded", "spectator", "wrong_phase", "implausible_award"],
    clock,
  });
  let roundIndex: number | null = null;
  let lastMeterAt = Number.NEGATIVE_INFINITY;
  /** The idle cadence keeps to a 100 ms grid, so 15 or 30 frames a second still give 10 samples. */
  let nextIdleAt = Number.NEGATIVE_INFINITY;
  let lastLevel: HoldLevel = "none";
  let lastSimilarity = 0;
  /** When the first sample of the current GOOD-or-better run, and of the PERFECT run, went out. */
  let goodRunAt: number | null = null;
  let perfectRunAt: number | null = null;
  let pending: { roundIndex: number; award: Award; dueAt: number } | null = null;
  let pendingTimer: unknown = null;
  let disposed = false;

  const sendPending = () => {
    if (!pending || disposed) return;
    if (pendingTimer !== null) clock.clearTimeout(pendingTimer);
    pendingTimer = null;
    awards.push({ roundIndex: pending.roundIndex, similarity: lastSimilarity, award: pending.award });
    pending = null;
  };

  return {
    frame(report) {
      if (disposed || report.roundIndex === null) return;
      const now = clock.now();
      if (report.roundIndex !== roundIndex) {
        roundIndex = report.roundIndex;
        lastMeterAt = Number.NEGATIVE_INFINITY;
        nextIdleAt = Number.NEGATIVE_INFINITY;
        lastLevel = "none";
        goodRunAt = null;
        perfectRunAt = null;
      }
      const similarity = Math.round(report.similarity * 100) / 100;
      lastSimilarity = similarity;
      const holding = report.level !== "none";
      // The frame that settled a leader's pose always goes out, before the pose (one socket, in order).
      const due = report.struckPose ? true : holding ? report.level !== lastLevel || now - lastMeterAt >= METER_HOLD_INTERVAL_MS : now >= nextIdleAt;
      if (due) {
        options.sendMeter({ roundIndex: report.roundIndex, similarity });
        lastMeterAt = now;
        // On the grid, but never a burst to catch up after a stall.
        nextIdleAt = Math.max(nextIdleAt, now - METER_IDLE_INTERVAL_MS / 2) + METER_IDLE_INTERVAL_MS;
        if (holding && goodRunAt === null) goodRunAt = now;
        if (report.level === "perfect" && perfectRunAt === null) perfectRunAt = now;
      }
      if (!holding) goodRunAt = null;
      if (report.level !== "perfect") perfectRunAt = null;
      lastLevel = report.level;

      if (report.award) {
        const runAt = report.award === "perfect" ? perfectRunAt : goodRunAt;
        // No run in progress (the bell, a hidden page): nothing left to wait for.
        const dueAt = runAt === null ? now : runAt + HOLD_MIN_MS + AWARD_MARGIN_MS;
        pending = { roundIndex: report.roundIndex, award: report.award, dueAt };
      }
      if (pending && (now >= pending.dueAt || !holding)) sendPending();
      else if (pending && pendingTimer === null) pendingTimer = clock.setTimeout(sendPending, pending.dueAt - now);
    },
    dispose() {
      disposed = true;
      if (pendingTimer !== null) clock.clearTimeout(pendingTimer);
      awards.dispose();
    },
  };
}
