/**
 * Turning per-frame similarity into a one-time award: a player must HOLD the pose, not flash
 * through it. Fed once per detection; allocation-free.
 *
 * Rules (docs/scoring.md):
 *  - a frame counts when confidence >= minConfidence and similarity >= the GOOD (or PERFECT)
 *    threshold of the round's difficulty; any frame that does not count ends the run (a drop);
 *  - a run completes after >= minFrames frames AND >= minMs between its first and last frame
 *    (frames alone would reward fast phones, milliseconds alone a single lucky frame);
 *  - PERFECT wins over GOOD: when the GOOD run completes while the player is at PERFECT level,
 *    the award waits until the PERFECT run completes (-> "perfect") or falls back to GOOD
 *    (-> "good"). Without this, nobody would ever get PERFECT: moving into a pose always passes
 *    through the GOOD band first, so the GOOD run always starts earlier;
 *  - one award per tracker (per round): after it, push() returns null until reset().
 */
import type { Award } from "./points";
import { clamp, type Difficulty } from "./types";

export type { Award };

export interface Thresholds {
  readonly good: number;
  readonly perfect: number;
}

/**
 * Tuned against the target library: every pair of distinct library poses scores below 0.75
 * (the closest pair is reported by tests/unit/scoring-pose.test.ts), so the easiest GOOD is
 * never reached by doing another pose.
 */
export const THRESHOLDS: Readonly<Record<Difficulty, Thresholds>> = {
  easy: { good: 0.75, perfect: 0.88 },
  normal: { good: 0.8, perfect: 0.9 },
  hard: { good: 0.85, perfect: 0.93 },
};

export const HOLD_MIN_FRAMES = 5;
export const HOLD_MIN_MS = 300;
/** Below this, the frame cannot vouch for the pose (body mostly out of view). */
export const MIN_CONFIDENCE = 0.6;

export interface HoldOptions {
  readonly minFrames?: number;
  readonly minMs?: number;
  readonly minConfidence?: number;
  /** Overrides the difficulty's thresholds. */
  readonly thresholds?: Thresholds;
}

/** What the current frame reached (for feedback such as a glowing outline). */
export type HoldLevel = "none" | "good" | "perfect";

export class HoldTracker {
  readonly thresholds: Thresholds;
  readonly minFrames: number;
  readonly minMs: number;
  readonly minConfidence: number;

  private goodFrames = 0;
  private goodStart = 0;
  private perfectFrames = 0;
  private perfectStart = 0;
  private lastTimestamp = Number.NEGATIVE_INFINITY;
  private goodPending = false;
  private awardedGrade: Award | null = null;
  private currentLevel: HoldLevel = "none";

  constructor(difficulty: Difficulty, options: HoldOptions = {}) {
    this.thresholds = options.thresholds ?? THRESHOLDS[difficulty];
    this.minFrames = Math.max(1, Math.floor(options.minFrames ?? HOLD_MIN_FRAMES));
    this.minMs = Math.max(0, options.minMs ?? HOLD_MIN_MS);
    this.minConfidence = options.minConfidence ?? MIN_CONFIDENCE;
  }

  /** The award, if any so far. */
  get awarded(): Award | null {
    return this.awardedGrade;
  }

  get level(): HoldLevel {
    return this.currentLevel;
  }

  /** 0..1: how far the current GOOD-or-better run is towards completing (for a progress ring). */
  get progress(): number {
    if (this.awardedGrade) return 1;
    if (this.goodFrames === 0) return 0;
    const byFrames = this.goodFrames / this.minFrames;
    const byTime = this.minMs > 0 ? (this.lastTimestamp - this.goodStart) / this.minMs : 1;
    return clamp(Math.min(byFrames, byTime), 0, 1);
  }

  /** Starts over (new round). */
  reset(): void {
    this.goodFrames = 0;
    this.perfectFrames = 0;
    this.lastTimestamp = Number.NEGATIVE_INFINITY;
    this.goodPending = false;
    this.awardedGrade = null;
    this.currentLevel = "none";
  }

  /**
   * One detection. Returns the award on the one frame it is earned, otherwise null.
   * Non-finite input counts as a miss; a timestamp going backwards restarts the runs.
   */
  push(similarity: number, confidence: number, timestampMs: number): Award | null {
    if (this.awardedGrade) return null;
    if (!Number.isFinite(timestampMs)) return null;
    if (timestampMs < this.lastTimestamp) {
      this.goodFrames = 0;
      this.perfectFrames = 0;
    }
    this.lastTimestamp = timestampMs;

    const counts = confidence >= this.minConfidence && Number.isFinite(similarity);
    const level: HoldLevel = !counts ? "none" : similarity >= this.thresholds.perfect ? "perfect" : similarity >= this.thresholds.good ? "good" : "none";
    this.currentLevel = level;

    if (level === "none") {
      this.goodFrames = 0;
      this.perfectFrames = 0;
    } else {
      if (this.goodFrames === 0) this.goodStart = timestampMs;
      this.goodFrames++;
      if (level === "perfect") {
        if (this.perfectFrames === 0) this.perfectStart = timestampMs;
        this.perfectFrames++;
      } else {
        this.perfectFrames = 0;
      }
    }

    if (this.perfectFrames >= this.minFrames && timestampMs - this.perfectStart >= this.minMs) {
      return this.award("perfect");
    }
    if (this.goodPending || (this.goodFrames >= this.minFrames && timestampMs - this.goodStart >= this.minMs)) {
      // Still at PERFECT level: give the PERFECT run the chance to complete first.
      if (level === "perfect") {
        this.goodPending = true;
        return null;
      }
      return this.award("good");
    }
    return null;
  }

  /**
   * The round is over: a GOOD that was waiting on a PERFECT run that did not finish in time is
   * awarded now. Returns it (once), or null.
   */
  finish(): Award | null {
    if (this.awardedGrade || !this.goodPending) return null;
    return this.award("good");
  }

  private award(grade: Award): Award {
    this.awardedGrade = grade;
    this.goodPending = false;
    return grade;
  }
}
