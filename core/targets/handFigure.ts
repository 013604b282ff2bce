/**
 * How to draw a hand sign as a figure, from the same spec the scorer checks (handScore.ts), so
 * the picture can never ask for something else than what scores. Pure: the SVG is drawn by
 * components/TargetFigure.tsx.
 */
import type { HandSignSpec } from "../scoring/handScore";

export type ThumbPose = "out" | "up" | "folded" | "ring";

export interface HandFigure {
  thumb: ThumbPose;
  /** Index, middle, ring, pinky: extended or folded. */
  fingers: readonly [boolean, boolean, boolean, boolean];
  /** Index and middle drawn apart (a V). */
  spread: boolean;
}

export function handFigure(sign: HandSignSpec): HandFigure {
  if (sign.thumbIndexTouch) {
    // The OK sign: thumb and index make the ring, the rest as specified ("any" drawn extended).
    const [, , middle, ring, pinky] = sign.fingers ?? ["any", "any", "up", "up", "up"];
    return { thumb: "ring", fingers: [false, middle !== "down", ring !== "down", pinky !== "down"], spread: false };
  }
  if (sign.fingers) {
    const [thumb, index, middle, ring, pinky] = sign.fingers;
    return {
      // "any" is drawn folded: the clearer picture of the sign's point.
      thumb: thumb === "up" ? (sign.thumbUp ? "up" : "out") : "folded",
      fingers: [index === "up", middle === "up", ring === "up", pinky === "up"],
      spread: sign.spread ?? false,
    };
  }
  // "Show N fingers": the usual way to count, index first, the thumb last.
  const count = Math.max(0, Math.min(5, sign.count ?? 0));
  return {
    thumb: count >= 5 ? "out" : "folded",
    fingers: [count >= 1, count >= 2, count >= 3, count >= 4],
    spread: false,
  };
}

/** Fingers a figure shows extended, thumb included (for tests and labels). */
export function extendedCount(figure: HandFigure): number {
  return figure.fingers.filter(Boolean).length + (figure.thumb === "out" || figure.thumb === "up" ? 1 : 0);
}
