/** "Copy me" rounds (issue 24): timeline, leader rotation, the leader's pose, its points, the fallback. */
import { describe, expect, it } from "vitest";
import { RoundEvidence } from "@/core/game/awardEvidence";
import {
  LEADER_MAX_POINTS,
  STRIKE_EVIDENCE_RULE,
  STRIKE_HOLD_MS,
  STRIKE_MS,
  STRIKE_STEADY_THRESHOLDS,
  assignLeaders,
  isPlayableLeaderPose,
  leaderScore,
  type LeaderPose,
} from "@/core/game/copyRound";
import {
  COUNTDOWN_MS,
  ROUND_GAP_MS,
  applyScoreEvent,
  closeStrike,
  matchStageAt,
  planTimeline,
  setLeaderPose,
  startMatch,
  type MatchState,
} from "@/core/game/match";
import { roundRole, roundTarget } from "@/core/game/roundTarget";
import type { CopyRoundSnapshot } from "@/core/protocol";
import { BODY_POINT_NAMES, BODY_POINTS } from "@/core/scoring/bodyPoints";
import { StrikeTracker } from "@/core/scoring/strike";
import { getPoseTarget } from "@/core/targets/poseLibrary";
import { pickTargets } from "@/core/targets/pick";

const NOW = 1_000_000;
const SECONDS = 8;
const targets = [
  { kind: "copy" as const, targetId: "test-messi5" },
  { kind: "pose" as const, targetId: "test-messi5-alt" },
  { kind: "copy" as const, targetId: "star" },
];
const players = (...ids: string[]) => ids.map((id) => ({ id, nickname: id.toUpperCase() }));
const messiPose = getPoseTarget("test-messi5")!.points as LeaderPose;

function matchOf(...ids: string[]): MatchState {
  const leaders = assignLeaders(
    targets.map((target) => target.kind),
    ids,
  );
  return startMatch(planTimeline(NOW, targets, SECONDS, 1, leaders), players(...ids));
}

function struck(state: MatchState, roundIndex = 0, playerId = "a"): MatchState {
  const round = state.timeline.rounds[roundIndex]!;
  const result = setLeaderPose(state, { playerId, roundIndex, pose: messiPose, receivedAt: round.startsAt + 2_000 });
  if (!result.ok) throw new Error(result.reason);
  return result.state;
}

/** Raw model landmarks (unmirrored) of a screen-space pose, for a square frame. */
function landmarksOf(pose: LeaderPose, visibility = 0.95, shift = 0): { x: number; y: number; z: number; visibility: number }[] {
  const landmarks = Array.from({ length: 33 }, () => ({ x: 0.5, y: 0.5, z: 0, visibility: 0 }));
  for (const name of BODY_POINT_NAMES) landmarks[BODY_POINTS[name]] = { x: 1 - pose[name].x + shift, y: pose[name].y, z: 0, visibility };
  return landmarks;
}

describe("copy rounds: the timeline", () => {
  it("gives a copy round a strike (STRIKE_MS, scaled with the pace) before its scored part", () => {
    const match = matchOf("a", "b");
    const [copy, pose] = match.timeline.rounds;
    expect(copy!.startsAt).toBe(NOW + 1_000 + COUNTDOWN_MS);
    expect(copy!.strikeEndsAt).toBe(copy!.startsAt + STRIKE_MS);
    expect(copy!.endsAt).toBe(copy!.strikeEndsAt! + SECONDS * 1000);
    expect(pose!.strikeEndsAt).toBeUndefined();
    expect(pose!.startsAt).toBe(copy!.endsAt + ROUND_GAP_MS);
    const relaxed = planTimeline(NOW, targets, SECONDS, 2, [null, null, null]).rounds[0]!;
    expect(relaxed.strikeEndsAt! - relaxed.startsAt).toBe(STRIKE_MS * 2);
  });

  it("shows the strike, then the round, on the server clock", () => {
    const round = matchOf("a", "b").timeline.rounds[0]!;
    const timeline = matchOf("a", "b").timeline;
    expect(matchStageAt(timeline, round.startsAt + 10)).toMatchObject({ kind: "strike", round: { index: 0 }, remainingMs: STRIKE_MS - 10 });
    expect(matchStageAt(timeline, round.strikeEndsAt!)).toMatchObject({ kind: "round", round: { index: 0 } });
  });

  it("takes turns leading, in join order, so everyone leads once given enough copy rounds", () => {
    expect(assignLeaders(["copy", "pose", "copy", "copy", "hand", "copy"], ["a", "b", "c"])).toEqual(["a", null, "b", "c", null, "a"]);
    // Alone, nobody can be copied: the round plays its library pose from the start.
    expect(assignLeaders(["copy", "pose"], ["a"])).toEqual([null, null]);
    const solo = matchOf("a");
    expect(solo.copies[0]).toEqual({ leaderId: null, source: "fallback", pose: null, fallbackReason: "solo" });
  });

  it("draws copy rounds' fallbacks from the pose library without repeating a pose", () => {
    const picked = pickTargets(["pose", "copy"], 12, "normal", 7);
    expect(picked.map((ref) => ref.kind)).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? "pose" : "copy")));
    expect(new Set(picked.map((ref) => ref.targetId)).size).toBe(12);
    for (const ref of picked) expect(getPoseTarget(ref.targetId)).toBeDefined();
  });
});

describe("copy rounds: the leader's pose", () => {
  it("is taken once, from the round's leader, during the strike only", () => {
    const match = matchOf("a", "b", "c");
    const round = match.timeline.rounds[0]!;
    const at = (receivedAt: number, playerId = "a") => setLeaderPose(match, { playerId, roundIndex: 0, pose: messiPose, receivedAt });
    expect(at(round.startsAt + 100, "b")).toEqual({ ok: false, reason: "not_leader" });
    expect(at(round.startsAt - 1)).toEqual({ ok: false, reason: "outside_strike" });
    expect(at(round.strikeEndsAt!)).toEqual({ ok: false, reason: "outside_strike" });
    expect(setLeaderPose(match, { playerId: "a", roundIndex: 1, pose: messiPose, receivedAt: round.startsAt + 100 })).toEqual({
      ok: false,
      reason: "unknown_round",
    });
    expect(setLeaderPose(match, { playerId: "z", roundIndex: 0, pose: messiPose, receivedAt: round.startsAt + 100 })).toEqual({
      ok: false,
      reason: "not_a_player",
    });
    const taken = struck(match);
    expect(taken.copies[0]).toMatchObject({ leaderId: "a", source: "leader", pose: messiPose });
    expect(setLeaderPose(taken, { playerId: "a", roundIndex: 0, pose: messiPose, receivedAt: round.startsAt + 3_000 })).toEqual({
      ok: false,
      reason: "already_set",
    });
    // The second copy round is the next player's.
    expect(taken.timeline.rounds[2]!.leaderId).toBe("b");
  });

  it("falls back to the library pose when the strike ends without one, and only then", () => {
    const match = matchOf("a", "b");
    const fallen = closeStrike(match, 0);
    expect(fallen.copies[0]).toMatchObject({ source: "fallback", fallbackReason: "no_pose", leaderId: "a" });
    expect(closeStrike(struck(match), 0).copies[0]!.source).toBe("leader");
    // A closed strike takes no late pose.
    const round = match.timeline.rounds[0]!;
    expect(setLeaderPose(fallen, { playerId: "a", roundIndex: 0, pose: messiPose, receivedAt: round.startsAt + 100 })).toEqual({
      ok: false,
      reason: "already_set",
    });
  });

  it("accepts only a whole body in view as a pose", () => {
    expect(isPlayableLeaderPose(messiPose)).toBe(true);
    expect(isPlayableLeaderPose({ ...messiPose, leftAnkle: { ...messiPose.leftAnkle, v: 0.2 } })).toBe(false);
    expect(isPlayableLeaderPose({ ...messiPose, rightWrist: { x: 1.3, y: 0.4 } })).toBe(false);
    const collapsed = Object.fromEntries(BODY_POINT_NAMES.map((name) => [name, { x: 0.5, y: 0.5 }])) as LeaderPose;
    expect(isPlayableLeaderPose(collapsed)).toBe(false);
  });
});

describe("copy rounds: scoring", () => {
  it("scores followers from the end of the strike, never during it", () => {
    const match = struck(matchOf("a", "b", "c"));
    const round = match.timeline.rounds[0]!;
    expect(applyScoreEvent(match, { playerId: "b", roundIndex: 0, similarity: 0.9, award: "good", receivedAt: round.startsAt + 3_000 })).toEqual({
      ok: false,
      reason: "outside_window",
    });
    const early = applyScoreEvent(match, { playerId: "b", roundIndex: 0, similarity: 0.95, award: "perfect", receivedAt: round.strikeEndsAt! });
    expect(early.ok && early.awarded).toEqual({ grade: "perfect", points: 1000 });
  });

  it("pays the leader for each friend who matched, and never lets it copy itself", () => {
    let match = struck(matchOf("a", "b", "c"));
    const round = match.timeline.rounds[0]!;
    const at = round.strikeEndsAt! + 1_000;
    expect(applyScoreEvent(match, { playerId: "a", roundIndex: 0, similarity: 0.9, award: "good", receivedAt: at })).toEqual({
      ok: false,
      reason: "leader_is_copied",
    });

    const first = applyScoreEvent(match, { playerId: "b", roundIndex: 0, similarity: 0.9, award: "good", receivedAt: at });
    if (!first.ok) throw new Error(first.reason);
    expect(first.leaderId).toBe("a");
    match = first.state;
    expect(match.scores.a!.rounds[0]).toMatchObject({ points: LEADER_MAX_POINTS / 2, grade: "good" });
    expect(match.scores.a!.total).toBe(LEADER_MAX_POINTS / 2);

    // A meter reading (no award) changes nothing for the leader.
    const meterOnly = applyScoreEvent(match, { playerId: "c", roundIndex: 0, similarity: 0.4, receivedAt: at });
    expect(meterOnly.ok && meterOnly.leaderId).toBeNull();

    const second = applyScoreEvent(match, { playerId: "c", roundIndex: 0, similarity: 0.95, award: "perfect", receivedAt: at + 500 });
    if (!second.ok) throw new Error(second.reason);
    expect(second.state.scores.a!.rounds[0]).toMatchObject({ points: LEADER_MAX_POINTS, grade: "perfect" });
  });

  it("lets everyone, the leader too, play the library pose after a fallback, and pays no leader", () => {
    const match = closeStrike(matchOf("a", "b"), 0);
    const round = match.timeline.rounds[0]!;
    const leader = applyScoreEvent(match, { playerId: "a", roundIndex: 0, similarity: 0.9, award: "good", receivedAt: round.strikeEndsAt! + 100 });
    expect(leader.ok && leader.leaderId).toBeNull();
    // Before the room decided (no pose yet, strike not closed), nobody scores.
    const pending = applyScoreEvent(matchOf("a", "b"), { playerId: "b", roundIndex: 0, similarity: 0.9, award: "good", receivedAt: round.strikeEndsAt! + 100 });
    expect(pending).toEqual({ ok: false, reason: "outside_window" });
  });

  it("leaderScore: nothing for an impossible pose, all of it when everyone matched", () => {
    expect(leaderScore(0, 3)).toEqual({ points: 0, grade: "miss" });
    expect(leaderScore(1, 3)).toEqual({ points: Math.round(LEADER_MAX_POINTS / 3), grade: "good" });
    expect(leaderScore(3, 3)).toEqual({ points: LEADER_MAX_POINTS, grade: "perfect" });
    expect(leaderScore(0, 0)).toEqual({ points: 0, grade: "miss" });
  });
});

describe("copy rounds: what each page plays", () => {
  const nicknameOf = (id: string) => id.toUpperCase();
  const round = matchOf("a", "b").timeline.rounds[0]!;
  const copy = (patch: Partial<CopyRoundSnapshot>): CopyRoundSnapshot[] => [
    { roundIndex: 0, leaderId: "a", source: "pending", pose: null, fallbackReason: null, ...patch },
  ];

  it("leads, watches, copies the friend's pose, or plays the library pose after a fallback", () => {
    expect(roundRole(round, copy({}), "a", nicknameOf)).toEqual({ kind: "lead" });
    expect(roundRole(round, copy({}), "b", nicknameOf)).toEqual({ kind: "watch" });
    const follow = roundRole(round, copy({ source: "leader", pose: messiPose }), "b", nicknameOf);
    expect(follow.kind === "play" && follow.target?.name.en).toBe("A's pose");
    expect(roundTarget(round, copy({ source: "leader", pose: messiPose }), nicknameOf)?.id).toBe("leader-0");
    const fallback = roundRole(round, copy({ source: "fallback", fallbackReason: "no_pose" }), "a", nicknameOf);
    expect(fallback.kind === "play" && fallback.target?.id).toBe("test-messi5");
  });
});

describe("StrikeTracker", () => {
  it("settles a framed, still pose after STRIKE_HOLD_MS, as drawn on screen", () => {
    const tracker = new StrikeTracker();
    const landmarks = landmarksOf(messiPose);
    let settled: LeaderPose | null = null;
    let t = 0;
    for (; t <= STRIKE_HOLD_MS + 100 && !settled; t += 100) {
      const reading = tracker.push(landmarks, 100, 100, t);
      expect(reading.framed).toBe(true);
      expect(reading.steadiness).toBeGreaterThan(0.99);
      settled = reading.settled;
    }
    expect(t - 100).toBeGreaterThanOrEqual(STRIKE_HOLD_MS);
    expect(settled!.leftWrist.x).toBeCloseTo(messiPose.leftWrist.x, 3);
    expect(isPlayableLeaderPose(settled!)).toBe(true);
  });

  it("reads 0 and starts over while the body is not fully in view", () => {
    const tracker = new StrikeTracker();
    const hidden = landmarksOf(messiPose);
    hidden[BODY_POINTS.leftAnkle] = { ...hidden[BODY_POINTS.leftAnkle]!, visibility: 0.1 };
    for (let t = 0; t <= 2_000; t += 100) expect(tracker.push(hidden, 100, 100, t)).toEqual({ steadiness: 0, framed: false, settled: null });
  });

  it("never settles a pose the room would refuse: in view, but with no limb to read", () => {
    const tracker = new StrikeTracker();
    const point = { x: 0.5, y: 0.5 };
    const huddle = Object.fromEntries(BODY_POINT_NAMES.map((name) => [name, point])) as LeaderPose;
    expect(isPlayableLeaderPose(huddle)).toBe(false);
    for (let t = 0; t <= 2_000; t += 100) expect(tracker.push(landmarksOf(huddle), 100, 100, t)).toEqual({ steadiness: 0, framed: false, settled: null });
  });

  it("settles only once the readings it sent as the meter show the hold, at any detection rate", () => {
    const star = getPoseTarget("star")!.points as LeaderPose;
    // A slow phone (2 and 3 detections a second) and a fast one; the leader changes pose at 1 s.
    for (const everyMs of [500, 333, 66]) {
      const tracker = new StrikeTracker();
      // The server's view: each reading as a meter sample (core/game/copyRound.ts), no transit.
      const evidence = new RoundEvidence(STRIKE_STEADY_THRESHOLDS, STRIKE_EVIDENCE_RULE);
      let settledAt: number | null = null;
      for (let t = 0; t <= 4_000 && settledAt === null; t += everyMs) {
        const reading = tracker.push(landmarksOf(t < 1_000 ? messiPose : star), 100, 100, t);
        evidence.record(reading.steadiness, t);
        if (reading.settled) settledAt = t;
      }
      expect(settledAt, `every ${everyMs} ms`).not.toBeNull();
      expect(settledAt! - 1_000, `every ${everyMs} ms`).toBeGreaterThanOrEqual(STRIKE_HOLD_MS);
      expect(evidence.supports("good"), `every ${everyMs} ms`).toBe(true);
    }
  });

  it("does not settle a pose that keeps changing", () => {
    const tracker = new StrikeTracker();
    const star = getPoseTarget("star")!.points as LeaderPose;
    for (let t = 0; t <= 3_000; t += 100) {
      const reading = tracker.push(landmarksOf(Math.floor(t / 400) % 2 === 0 ? messiPose : star), 100, 100, t);
      expect(reading.settled).toBeNull();
    }
  });
});
