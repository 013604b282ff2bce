import { describe, expect, it } from "vitest";
import {
  matchStageAt,
  COUNTDOWN_MS,
  ROUND_GAP_MS,
  SCORE_GRACE_MS,
  applyScoreEvent,
  planTimeline,
  rankPlayers,
  startMatch,
  type MatchState,
  type ScoreEvent,
} from "@/core/game/match";

const targets = [
  { kind: "pose" as const, targetId: "t-pose" },
  { kind: "hand" as const, targetId: "thumbs-up" },
  { kind: "pose" as const, targetId: "star" },
];
const NOW = 1_000_000;
const players = (...ids: string[]) => ids.map((id) => ({ id, nickname: id.toUpperCase() }));

function match(): MatchState {
  return startMatch(planTimeline(NOW, targets, 10), players("a", "b"));
}

function score(state: MatchState, event: Partial<ScoreEvent> & { receivedAt: number }): ReturnType<typeof applyScoreEvent> {
  return applyScoreEvent(state, { playerId: "a", roundIndex: 0, similarity: 0.9, ...event });
}

describe("match timeline", () => {
  it("schedules a countdown, then back-to-back rounds with gaps, at absolute server times", () => {
    const timeline = planTimeline(NOW, targets, 10);
    expect(timeline.countdownStartsAt).toBeGreaterThan(NOW);
    const [first, second, third] = timeline.rounds;
    expect(first!.startsAt).toBe(timeline.countdownStartsAt + COUNTDOWN_MS);
    expect(first!.endsAt - first!.startsAt).toBe(10_000);
    expect(second!.startsAt).toBe(first!.endsAt + ROUND_GAP_MS);
    expect(third!.index).toBe(2);
    expect(timeline.rounds.map((round) => round.targetId)).toEqual(["t-pose", "thumbs-up", "star"]);
    expect(timeline.endsAt).toBe(third!.endsAt + SCORE_GRACE_MS);
  });
});

describe("score events", () => {
  const round0 = () => match().timeline.rounds[0]!;

  it("accept live similarity inside the window and award points once", () => {
    const live = score(match(), { receivedAt: round0().startsAt + 100, similarity: 0.6 });
    if (!live.ok) throw new Error(live.reason);
    expect(live.awarded).toBeNull();
    expect(live.state.scores.a!.similarity).toBe(0.6);

    const award = score(live.state, { receivedAt: round0().startsAt + 2_000, award: "perfect", similarity: 0.95 });
    if (!award.ok) throw new Error(award.reason);
    expect(award.awarded?.grade).toBe("perfect");
    expect(award.state.scores.a!.total).toBe(award.awarded!.points);
    expect(award.state.scores.a!.rounds[0]).toMatchObject({ grade: "perfect", bestSimilarity: 0.95, reactionMs: 2_000 });

    expect(score(award.state, { receivedAt: round0().startsAt + 3_000, award: "good" })).toEqual({ ok: false, reason: "already_awarded" });
  });

  it("reject events before the round starts and after the window plus grace", () => {
    expect(score(match(), { receivedAt: round0().startsAt - 1 })).toEqual({ ok: false, reason: "outside_window" });
    expect(score(match(), { receivedAt: round0().endsAt + SCORE_GRACE_MS + 1, award: "good" })).toEqual({
      ok: false,
      reason: "outside_window",
    });
    // In the gap before round 1, round 1 is not open yet either.
    expect(score(match(), { roundIndex: 1, receivedAt: round0().endsAt + 1_000 })).toEqual({ ok: false, reason: "outside_window" });
  });

  it("accept an award arriving within the grace, scored as at the bell", () => {
    const late = score(match(), { receivedAt: round0().endsAt + SCORE_GRACE_MS - 1, award: "good" });
    const atBell = score(match(), { receivedAt: round0().endsAt, award: "good" });
    if (!late.ok || !atBell.ok) throw new Error("refused");
    expect(late.awarded?.points).toBe(atBell.awarded?.points);
  });

  it("reward speed: the same grade earlier scores more", () => {
    const early = score(match(), { receivedAt: round0().startsAt + 500, award: "good" });
    const lateInRound = score(match(), { receivedAt: round0().startsAt + 9_000, award: "good" });
    if (!early.ok || !lateInRound.ok) throw new Error("refused");
    expect(early.awarded!.points).toBeGreaterThan(lateInRound.awarded!.points);
    const perfect = score(match(), { receivedAt: round0().startsAt + 500, award: "perfect" });
    if (!perfect.ok) throw new Error("refused");
    expect(perfect.awarded!.points).toBeGreaterThan(early.awarded!.points);
  });

  it("reject spectators, unknown rounds, and clamp similarity", () => {
    expect(score(match(), { playerId: "spectator", receivedAt: round0().startsAt + 1 })).toEqual({ ok: false, reason: "not_a_player" });
    expect(score(match(), { roundIndex: 7, receivedAt: round0().startsAt + 1 })).toEqual({ ok: false, reason: "unknown_round" });
    const clamped = score(match(), { receivedAt: round0().startsAt + 1, similarity: 5 });
    if (!clamped.ok) throw new Error("refused");
    expect(clamped.state.scores.a!.similarity).toBe(1);
  });
});

describe("ranking", () => {
  it("orders by total with shared ranks for ties", () => {
    let state = startMatch(planTimeline(NOW, targets, 10), players("a", "b", "c"));
    const [r0, r1] = state.timeline.rounds;
    for (const [playerId, roundIndex, at] of [
      ["a", 0, r0!.startsAt + 1_000],
      ["b", 0, r0!.startsAt + 1_000],
      ["c", 1, r1!.startsAt + 9_000],
    ] as const) {
      const result = applyScoreEvent(state, { playerId, roundIndex, similarity: 0.9, award: "good", receivedAt: at });
      if (!result.ok) throw new Error(result.reason);
      state = result.state;
    }
    expect(rankPlayers(state).map(({ playerId, rank }) => [playerId, rank])).toEqual([
      ["a", 1],
      ["b", 1],
      ["c", 3],
    ]);
  });
});

describe("match stage at a server time", () => {
  it("walks waiting -> 3-2-1 -> round -> gap -> round -> finished", () => {
    const timeline = planTimeline(NOW, targets.slice(0, 2), 5);
    const [first, second] = timeline.rounds;
    expect(matchStageAt(timeline, NOW).kind).toBe("waiting");
    expect(matchStageAt(timeline, timeline.countdownStartsAt)).toEqual({ kind: "countdown", secondsLeft: 3 });
    expect(matchStageAt(timeline, first!.startsAt - 1)).toEqual({ kind: "countdown", secondsLeft: 1 });
    expect(matchStageAt(timeline, first!.startsAt)).toMatchObject({ kind: "round", round: { index: 0 }, remainingMs: 5_000 });
    expect(matchStageAt(timeline, first!.endsAt)).toMatchObject({ kind: "gap", previous: { index: 0 }, next: { index: 1 } });
    expect(matchStageAt(timeline, second!.startsAt + 10)).toMatchObject({ kind: "round", round: { index: 1 } });
    expect(matchStageAt(timeline, second!.endsAt).kind).toBe("finished");
  });
});

describe('relaxed timing ("More time")', () => {
  it("lengthens every round and gap by the room's scale; the 3-2-1 and the grace stay", () => {
    const standard = planTimeline(NOW, targets, 10);
    for (const scale of [1.5, 2] as const) {
      const relaxed = planTimeline(NOW, targets, 10, scale);
      expect(relaxed.countdownStartsAt).toBe(standard.countdownStartsAt);
      expect(relaxed.rounds[0]!.startsAt).toBe(relaxed.countdownStartsAt + COUNTDOWN_MS);
      for (const [index, round] of relaxed.rounds.entries()) {
        expect(round.endsAt - round.startsAt).toBe(10_000 * scale);
        const next = relaxed.rounds[index + 1];
        if (next) expect(next.startsAt - round.endsAt).toBe(ROUND_GAP_MS * scale);
      }
      expect(relaxed.endsAt - relaxed.rounds.at(-1)!.endsAt).toBe(SCORE_GRACE_MS);
    }
    expect(planTimeline(NOW, targets, 10, 1)).toEqual(standard);
  });

  it("accepts a hold late in a relaxed round that a standard round has already closed", () => {
    const standard = startMatch(planTimeline(NOW, targets, 10), players("a"));
    const relaxed = startMatch(planTimeline(NOW, targets, 10, 2), players("a"));
    const at = relaxed.timeline.rounds[0]!.startsAt + 15_000;
    expect(applyScoreEvent(relaxed, { playerId: "a", roundIndex: 0, similarity: 0.9, award: "good", receivedAt: at }).ok).toBe(true);
    const standardRound = standard.timeline.rounds[0]!;
    expect(applyScoreEvent(standard, { playerId: "a", roundIndex: 0, similarity: 0.9, award: "good", receivedAt: standardRound.startsAt + 15_000 })).toEqual({
      ok: false,
      reason: "outside_window",
    });
  });

  it("keeps scores comparable: the same share of the round earns the same points at every pace", () => {
    for (const fraction of [0, 0.25, 0.5, 1]) {
      const points = ([1, 1.5, 2] as const).map((scale) => {
        const state = startMatch(planTimeline(NOW, targets, 8, scale), players("a"));
        const round = state.timeline.rounds[1]!;
        const result = applyScoreEvent(state, {
          playerId: "a",
          roundIndex: 1,
          similarity: 0.95,
          award: "perfect",
          receivedAt: round.startsAt + fraction * (round.endsAt - round.startsAt),
        });
        if (!result.ok) throw new Error(result.reason);
        return result.awarded?.points;
      });
      expect(new Set(points).size, `at ${fraction} of the round: ${points.join(", ")}`).toBe(1);
    }
  });

  it("the match stage follows the longer rounds on the server clock", () => {
    const timeline = planTimeline(NOW, targets, 10, 1.5);
    const first = timeline.rounds[0]!;
    expect(matchStageAt(timeline, first.startsAt + 12_000)).toMatchObject({ kind: "round", round: { index: 0 }, remainingMs: 3_000 });
    expect(matchStageAt(planTimeline(NOW, targets, 10), first.startsAt + 12_000).kind).toBe("gap");
  });
});
