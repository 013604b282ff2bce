/**
 * When the page keeps a new best moment (issue 24): pure, so it is tested without a camera.
 * A frame is captured when it is scored inside a round, looks like a real attempt at the pose,
 * and beats the match's best so far by a margin; and never twice within `minGapMs`, so the
 * camera is drawn and encoded a couple of times a second at most, on a phone's busy main thread.
 */

export interface MomentRule {
  /** Below this a frame is no moment to keep (nobody in the picture, or far off the pose). */
  minSimilarity: number;
  /** A new best must beat the kept one by this much: a tie or a flicker is not worth an encode. */
  margin: number;
  /** At least this long between two captures (ms). */
  minGapMs: number;
}

export const MOMENT_RULE: MomentRule = { minSimilarity: 0.35, margin: 0.02, minGapMs: 500 };

/** One scored frame, as the inference loop reports it. */
export interface MomentFrame {
  /** null between rounds: nothing is being scored. */
  roundIndex: number | null;
  similarity: number;
  /** When it was seen (ms, monotonic). */
  at: number;
}

/** What the page kept so far this match: the best similarity and when it last captured. */
export interface MomentMemory {
  bestSimilarity: number | null;
  lastCaptureAt: number | null;
}

export function shouldCaptureMoment(memory: MomentMemory, frame: MomentFrame, rule: MomentRule = MOMENT_RULE): boolean {
  if (frame.roundIndex === null || !Number.isFinite(frame.similarity)) return false;
  if (frame.similarity < rule.minSimilarity) return false;
  if (memory.bestSimilarity !== null && frame.similarity < memory.bestSimilarity + rule.margin) return false;
  return memory.lastCaptureAt === null || frame.at - memory.lastCaptureAt >= rule.minGapMs;
}
