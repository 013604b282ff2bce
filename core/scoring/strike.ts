/**
 * A copy round's leader striking a pose (core/game/copyRound.ts): is the whole body framed, and
 * has it stayed still long enough to be the target? Fed once per pose detection; the steadiness
 * it returns is what the leader's meter shows (and what the server judges the pose by).
 *
 * Steadiness is the pose-similarity score of this frame against the frame that began the current
 * still run (the anchor), with the same segment directions and tolerance as scoring. A frame below
 * STRIKE_STEADY_MIN ends the run and becomes the next anchor; a body not fully in view reads 0.
 * The pose is settled once a run of steady readings has lasted STRIKE_HOLD_MS and STRIKE_MIN_FRAMES
 * frames (what the server asks of the meter, with time to spare for transit): then the
 * latest frame, as drawn on screen (mirrored, square space), is the leader's pose.
 */
import { isPlayableLeaderPose, STRIKE_HOLD_MS, STRIKE_MIN_FRAMES, STRIKE_STEADY_MIN, type LeaderPose } from "../game/copyRound";
import { rawToScreenTargetPoints } from "../targets/derive";
import { BODY_POINT_INDICES } from "./bodyPoints";
import { PoseScorer, preparePoseTarget, type PreparedPoseTarget } from "./poseSimilarity";
import type { LandmarkList } from "./types";

/** A body point the model is less sure of than this is not in view. */
const FRAMED_VISIBILITY = 0.5;

export interface StrikeReading {
  /** 0..1: how still the pose is (0 while the body is not fully framed). */
  steadiness: number;
  /** Whether every body point is in the picture. */
  framed: boolean;
  /** Set once the pose has been framed and still for STRIKE_HOLD_MS: the leader's pose. */
  settled: LeaderPose | null;
}

export function isFramed(landmarks: LandmarkList): boolean {
  for (const index of BODY_POINT_INDICES) {
    const point = landmarks[index];
    if (!point || (point.visibility ?? 1) < FRAMED_VISIBILITY) return false;
    if (point.x < 0 || point.x > 1 || point.y < 0 || point.y > 1) return false;
  }
  return true;
}

export class StrikeTracker {
  private readonly scorer = new PoseScorer();
  private anchor: PreparedPoseTarget | null = null;
  private runStartedAt = 0;
  private runFrames = 0;

  constructor(
    private readonly holdMs = STRIKE_HOLD_MS,
    private readonly minFrames = STRIKE_MIN_FRAMES,
  ) {}

  /** No pose in this frame (nobody in view, page hidden): the run ends. */
  reset(): void {
    this.anchor = null;
    this.runFrames = 0;
  }

  push(landmarks: LandmarkList | null, frameWidth: number, frameHeight: number, timestamp: number): StrikeReading {
    const pose = landmarks && isFramed(landmarks) ? (rawToScreenTargetPoints(landmarks, frameWidth, frameHeight) as LeaderPose) : null;
    // The room's own test of a pose (isPlayableLeaderPose): a pose it would refuse is not framed
    // here either, so the page never sends one (seen: "implausible_pose" for a first offer).
    if (!landmarks || !pose || !isPlayableLeaderPose(pose)) {
      this.reset();
      return { steadiness: 0, framed: false, settled: null };
    }
    let steadiness = 1;
    if (this.anchor) {
      steadiness = this.scorer.score(landmarks, this.anchor, frameWidth / frameHeight).similarity;
      if (steadiness < STRIKE_STEADY_MIN) this.anchor = null;
    }
    if (!this.anchor) {
      this.anchor = preparePoseTarget(pose);
      this.runFrames = 0;
    }
    // The run counts the frames that read steady, as the server's evidence does (it sees these
    // readings as the meter): a frame that broke the last run anchors the next but reads low, so
    // it is not part of it; counting it let the page send a pose one frame short of the rule.
    if (steadiness < STRIKE_STEADY_MIN) return { steadiness, framed: true, settled: null };
    if (this.runFrames === 0) this.runStartedAt = timestamp;
    this.runFrames++;
    const settled = this.runFrames >= this.minFrames && timestamp - this.runStartedAt >= this.holdMs ? pose : null;
    return { steadiness, framed: true, settled };
  }
}
