/**
 * Shapes shared by the scorers. Pure: imported by the browser (per-frame scoring) and the server.
 */

/**
 * One landmark as tasks-vision returns it (`NormalizedLandmark`): x and y normalised to the width
 * and height of the frame the model saw (the UNMIRRORED camera frame), z a relative depth on
 * roughly the scale of x. `visibility` may be absent (treated as fully visible).
 */
export interface LandmarkLike {
  readonly x: number;
  readonly y: number;
  readonly z?: number;
  readonly visibility?: number;
}

/** A list of landmarks indexed like the model's output; entries may be missing. */
export type LandmarkList = ArrayLike<LandmarkLike | null | undefined>;

/**
 * What every scorer returns. `similarity` 0..1 says how well the visible body matches the
 * target; `confidence` 0..1 says how much of what the target needs was actually seen. Both are
 * always finite: bad input lowers confidence, it never throws or yields NaN.
 */
export interface ScoreResult {
  similarity: number;
  confidence: number;
}

export type Difficulty = "easy" | "normal" | "hard";
export const DIFFICULTIES: readonly Difficulty[] = ["easy", "normal", "hard"];

/** A point in target space: normalised, as drawn on the (mirrored) screen. */
export interface Point2 {
  readonly x: number;
  readonly y: number;
}

/** Clamps to [lo, hi]; NaN becomes lo so nothing downstream sees it. */
export function clamp(value: number, lo: number, hi: number): number {
  if (!(value > lo)) return lo;
  return value < hi ? value : hi;
}
