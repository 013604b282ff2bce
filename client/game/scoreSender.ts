/**
 * Live similarity to the server at most 10 times a second; an award, once
 * earned, rides along until it has been sent (a newer reading must not
 * overwrite it).
 */
import type { ClientPayload } from "@/core/protocol";
import { createThrottledSender, type SendAnswer, type ThrottledSender } from "../throttledSender";

export type ScoreUpdate = ClientPayload<"game:score">;

export function createScoreSender(send: (update: ScoreUpdate) => Promise<SendAnswer>): ThrottledSender<ScoreUpdate> {
  return createThrottledSender<ScoreUpdate>({
    send,
    minIntervalMs: 100,
    merge: (queued, next) =>
      queued.award && queued.roundIndex === next.roundIndex ? { ...next, award: queued.award } : next,
    same: (a, b) => a.roundIndex === b.roundIndex && a.award === b.award && Math.abs(a.similarity - b.similarity) < 0.005,
    // A closed or already-scored round will not open again: do not retry into it. `not_in_room`
    // is retried: after a dropped connection it only means the rejoin has not landed yet.
    finalCodes: ["outside_window", "already_awarded", "spectator", "wrong_phase"],
  });
}
