/**
 * The lobby's progress to the server: at most 4 updates a second (the
 * server's cap), always the latest, never dropping the final ready/failed.
 */
import type { FramingStatus } from "@/core/framing";
import type { InferenceReport } from "@/core/protocol";
import { createThrottledSender, type Clock, type SendAnswer, type ThrottledSender } from "../throttledSender";

export interface ProgressUpdate {
  percent: number;
  status: "loading" | "ready" | "failed";
  /** With "ready": the framing check's outcome (core/framing.ts). */
  framing?: FramingStatus;
  /** With "ready": the inference plan chosen for this device (core/inferencePlan.ts). */
  inference?: InferenceReport;
  /** Lobby stages finished so far: the server counts a later step as progress (core/room.ts). */
  step?: number;
}

export type ProgressReporter = ThrottledSender<ProgressUpdate>;

export function createProgressReporter(send: (update: ProgressUpdate) => Promise<SendAnswer>, minIntervalMs = 250, clock?: Clock): ProgressReporter {
  return createThrottledSender({
    send,
    minIntervalMs,
    same: (a, b) =>
      a.percent === b.percent &&
      a.status === b.status &&
      a.framing === b.framing &&
      a.step === b.step &&
      a.inference?.plan === b.inference?.plan &&
      a.inference?.detectMs === b.inference?.detectMs,
    // Once the game has started (or we watch it), progress no longer matters. `not_in_room` is
    // retried: after a dropped connection it only means the rejoin has not landed yet, and a lost
    // "ready" would make this player a spectator.
    finalCodes: ["wrong_phase", "spectator"],
    ...(clock ? { clock } : {}),
  });
}
