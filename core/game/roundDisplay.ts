/**
 * What the game screen says at each moment, in one order for everyone: a round's result first,
 * then "next: …" with the next target, then its countdown. The server's timeline (match.ts)
 * only knows rounds and gaps; this splits each gap so the header, the target card and the
 * banner never speak of two different rounds at once.
 */
import type { MatchStage, MatchTimeline, PlannedRound } from "./match";

/** How long the last round's result stays before "next" takes over (the rest of the gap). */
export const RESULT_SHOWN_MS = 1_500;

export type RoundDisplay =
  | { kind: "waiting" }
  /** The next round's target, counting down to it (3-2-1 before the first round). */
  | { kind: "next"; round: PlannedRound; secondsLeft: number }
  | { kind: "round"; round: PlannedRound; secondsLeft: number }
  /** A copy round's strike: the leader strikes a pose, everyone else watches the leader. */
  | { kind: "strike"; round: PlannedRound; secondsLeft: number }
  /** A round just ended: its target and its result. `last`: the match is over, results follow. */
  | { kind: "result"; round: PlannedRound; last: boolean };

export function roundDisplay(stage: MatchStage, timeline: MatchTimeline | null): RoundDisplay {
  switch (stage.kind) {
    case "waiting":
      return { kind: "waiting" };
    case "countdown": {
      const first = timeline?.rounds[0];
      return first ? { kind: "next", round: first, secondsLeft: stage.secondsLeft } : { kind: "waiting" };
    }
    case "round":
      return { kind: "round", round: stage.round, secondsLeft: Math.ceil(stage.remainingMs / 1000) };
    case "strike":
      return { kind: "strike", round: stage.round, secondsLeft: Math.ceil(stage.remainingMs / 1000) };
    case "gap": {
      const gapMs = stage.next.startsAt - stage.previous.endsAt;
      // A gap shorter than the result's time still gives "next" its half.
      const resultMs = Math.min(RESULT_SHOWN_MS, gapMs / 2);
      const elapsedMs = gapMs - stage.startsInMs;
      if (elapsedMs < resultMs) return { kind: "result", round: stage.previous, last: false };
      return { kind: "next", round: stage.next, secondsLeft: Math.max(1, Math.ceil(stage.startsInMs / 1000)) };
    }
    case "finished": {
      const last = timeline?.rounds.at(-1);
      return last ? { kind: "result", round: last, last: true } : { kind: "waiting" };
    }
  }
}

/** Changes exactly when what the screen says changes (sounds and animations key on it). */
export function roundDisplayKey(display: RoundDisplay): string {
  switch (display.kind) {
    case "waiting":
      return "waiting";
    case "next":
      return `next-${display.round.index}-${display.secondsLeft}`;
    case "round":
      return `round-${display.round.index}`;
    case "strike":
      return `strike-${display.round.index}`;
    case "result":
      return `result-${display.round.index}${display.last ? "-last" : ""}`;
  }
}
