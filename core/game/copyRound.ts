/**
 * "Copy me" rounds (issue 24): a friend's live pose is the target. Each copy round has two phases
 * on the server clock:
 *  - strike (STRIKE_MS x the room's pace): the leader strikes a pose and holds it; the leader's
 *    page sends it as body points once it has been framed and steady for STRIKE_HOLD_MS;
 *  - copy (the playlist's seconds per round): everyone else plays that pose as the target, with
 *    the same similarity and hold rules as a library pose.
 * If no valid pose arrived by the end of the strike (camera off, leader away or reconnecting, a
 * match with one player) the round plays its fallback: the library pose chosen for it at the
 * start (its `targetId`). It never waits.
 *
 * The leader scores for being copied: LEADER_MAX_POINTS times the share of the followers who
 * matched the pose (an award). A clear pose everyone can copy pays; an impossible one pays nothing.
 * Pure: the room machine and the tests call these directly.
 */
import { z } from "zod";
import { BODY_POINT_NAMES, type BodyPointName } from "../scoring/bodyPoints";
import { preparePoseTarget, type PoseTargetPoints } from "../scoring/poseSimilarity";
import type { Thresholds } from "../scoring/hold";
import type { PoseTarget } from "../targets/poseLibrary";
import type { Grade } from "../scoring/points";
import type { EvidenceRule } from "./awardEvidence";

/** The strike phase at the standard pace: time to step back, strike a pose, hold it for a second. */
export const STRIKE_MS = 6_000;
/** How long the leader's pose must be framed and steady before the page sends it. */
export const STRIKE_HOLD_MS = 1_000;
/**
 * Steadiness (the pose against itself a moment earlier, 0 while the body is not framed) counts as
 * steady at or above this; a person standing still reads 0.95 or more.
 */
export const STRIKE_STEADY_MIN = 0.85;
export const STRIKE_STEADY_THRESHOLDS: Thresholds = { good: STRIKE_STEADY_MIN, perfect: STRIKE_STEADY_MIN };
/**
 * Detections a still run needs besides its STRIKE_HOLD_MS: fewer than a hold's 5, because the
 * time already says "still" and a slow phone (2 detections a second) must still strike in time.
 */
export const STRIKE_MIN_FRAMES = 3;
/**
 * What the server asks of the leader's meter before it believes a pose: steady samples in a row
 * spanning most of STRIKE_HOLD_MS (the page waits the whole of it; transit can squeeze the span).
 */
export const STRIKE_EVIDENCE_RULE: EvidenceRule = { minSamples: STRIKE_MIN_FRAMES, minSpanMs: 700 };
/** What a leader earns when every follower matched; less than a perfect copy (1000). */
export const LEADER_MAX_POINTS = 800;

/** A leader's pose point: as drawn on screen (the mirrored view), like a library target's. */
const leaderPointSchema = z.strictObject({
  x: z.number().min(-0.5).max(1.5),
  y: z.number().min(-0.5).max(1.5),
  v: z.number().min(0).max(1).optional(),
});
/** Exactly the 13 body points of a target pose (core/scoring/bodyPoints.ts), no more. */
export const leaderPoseSchema = z.strictObject(
  Object.fromEntries(BODY_POINT_NAMES.map((name) => [name, leaderPointSchema])) as Record<BodyPointName, typeof leaderPointSchema>,
);
export type LeaderPose = z.infer<typeof leaderPoseSchema>;
/** 13 points of three short numbers each: about 700 bytes of JSON. */
export const LEADER_POSE_MAX_BYTES = 1_500;

/** Points below this visibility do not count as in view (the pose model's own scale). */
const MIN_POINT_VISIBILITY = 0.5;
/** Of the 12 segments' weights (sum 12.6) this much must be usable: arms, legs and trunk in view. */
const MIN_USABLE_WEIGHT = 10;

/**
 * Whether a pose can be a target at all: the whole body in view (every point visible enough, and
 * inside the picture) and its segments long enough to have directions. The schema has already
 * checked the numbers are finite and in range.
 */
export function isPlayableLeaderPose(pose: LeaderPose): boolean {
  for (const name of BODY_POINT_NAMES) {
    const point = pose[name];
    if ((point.v ?? 1) < MIN_POINT_VISIBILITY) return false;
    if (point.x < 0 || point.x > 1 || point.y < 0 || point.y > 1) return false;
  }
  const usable = preparePoseTarget(pose as PoseTargetPoints).weight.reduce((sum, weight) => sum + weight, 0);
  return usable >= MIN_USABLE_WEIGHT;
}

/** Where a copy round's target comes from, as the room decided it. */
export type CopySource = "pending" | "leader" | "fallback";
/** Why a copy round plays its library pose. */
export type CopyFallbackReason = "no_pose" | "solo";

export interface CopyRoundState {
  /** Null when the match has a single player: nobody to copy, the library pose from the start. */
  readonly leaderId: string | null;
  readonly source: CopySource;
  /** The leader's pose once accepted. */
  readonly pose: LeaderPose | null;
  readonly fallbackReason: CopyFallbackReason | null;
}

/**
 * Who leads each copy round: the players in join order, taking turns (the first copy round is the
 * first player's), so in a match with at least as many copy rounds as players everyone leads once.
 * Rounds of other kinds get null. Fewer than two players: nobody leads.
 */
export function assignLeaders(kinds: readonly string[], playerIds: readonly string[]): (string | null)[] {
  let turn = 0;
  return kinds.map((kind) => {
    if (kind !== "copy" || playerIds.length < 2) return null;
    return playerIds[turn++ % playerIds.length] ?? null;
  });
}

export function initialCopyRound(leaderId: string | null): CopyRoundState {
  return leaderId
    ? { leaderId, source: "pending", pose: null, fallbackReason: null }
    : { leaderId: null, source: "fallback", pose: null, fallbackReason: "solo" };
}

/** The leader's points for a round: its share of the followers who matched. */
export function leaderScore(matched: number, followers: number): { points: number; grade: Grade } {
  if (followers <= 0 || matched <= 0) return { points: 0, grade: "miss" };
  const share = Math.min(1, matched / followers);
  return { points: Math.round(LEADER_MAX_POINTS * share), grade: share >= 1 ? "perfect" : "good" };
}

/**
 * The leader's pose as a target, drawn and scored like a library pose. `name` says whose pose it
 * is, in both languages.
 */
export function leaderPoseTarget(roundIndex: number, leaderName: string, pose: LeaderPose): PoseTarget {
  return {
    kind: "pose",
    id: `leader-${roundIndex}`,
    name: { en: `${leaderName}'s pose`, ko: `${leaderName}의 포즈` },
    difficulty: "normal",
    testOnly: false,
    source: null,
    points: pose,
    prepared: preparePoseTarget(pose),
  };
}
