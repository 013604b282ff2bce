/**
 * Points for an award: a base by grade, scaled by how fast it came (1.0 at the round's start,
 * 0.5 at its end), so holding a pose early pays but a late one still counts.
 */
import { clamp } from "./types";

/** A round's outcome for one player; "miss" = no award. The protocol's schemas are built from these lists. */
export const GRADES = ["perfect", "good", "miss"] as const;
export type Grade = (typeof GRADES)[number];
/** What a hold tracker awards. */
export const AWARDS = ["perfect", "good"] as const satisfies readonly Grade[];
export type Award = (typeof AWARDS)[number];

export const BASE_POINTS: Readonly<Record<Award, number>> = { perfect: 1000, good: 600 };
/** No round gives more than this to one player. */
export const MAX_POINTS_PER_ROUND = BASE_POINTS.perfect;
/** The speed factor at (and after) the end of the round. */
export const SLOWEST_FACTOR = 0.5;

/**
 * @param grade the award; "miss", null or undefined give 0.
 * @param elapsedMs time from the round's start to the award (server clock).
 * @param roundDurationMs the round's length; if not positive, the slowest factor applies.
 * @returns an integer in [0, MAX_POINTS_PER_ROUND].
 */
export function pointsFor(grade: Grade | null | undefined, elapsedMs: number, roundDurationMs: number): number {
  if (grade !== "perfect" && grade !== "good") return 0;
  const fraction = roundDurationMs > 0 ? clamp(elapsedMs / roundDurationMs, 0, 1) : 1;
  // NaN elapsed: clamp made it 0; treat unknown timing as the slowest instead of the fastest.
  const safeFraction = Number.isFinite(elapsedMs) ? fraction : 1;
  const factor = 1 - (1 - SLOWEST_FACTOR) * safeFraction;
  return clamp(Math.round(BASE_POINTS[grade] * factor), 0, MAX_POINTS_PER_ROUND);
}
