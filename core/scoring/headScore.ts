/**
 * "Move your face into the circle": the face detector's box against a target circle.
 *
 * The circle is drawn on the player's mirrored self view; the detector sees the raw camera frame.
 * So the face centre is mirrored (x -> width - x) before comparing. Distances are in pixels, and
 * the circle's radius is a fraction of the frame's shorter side, so a circle stays round on a
 * 4:3 frame.
 *
 * Similarity by distance d of the face centre from the circle centre, in radii q = d / r:
 * 1 up to q = 0.3 (near the middle), falling to 0.7 at the rim (q = 1), then to 0 at q = 2.
 * So "inside" is roughly GOOD and "near the middle" PERFECT (thresholds in hold.ts).
 */
import { clamp, type ScoreResult } from "./types";

/** A detection's bounding box in frame pixels (tasks-vision `BoundingBox`). */
export interface FaceBox {
  readonly originX: number;
  readonly originY: number;
  readonly width: number;
  readonly height: number;
}

/**
 * As drawn on the mirrored screen: x, y normalised to the frame's width and height, radius to
 * min(width, height).
 */
export interface HeadCircle {
  readonly x: number;
  readonly y: number;
  readonly radius: number;
}

export const HEAD_FULL_SCORE_WITHIN = 0.3;
export const HEAD_SCORE_AT_RIM = 0.7;
export const HEAD_ZERO_AT = 2;

/** Similarity 0..1 for a face centre at `q` radii from the circle centre. */
export function headSimilarityAt(q: number): number {
  if (!(q >= 0)) return 0;
  if (q <= 1) return 1 - (1 - HEAD_SCORE_AT_RIM) * clamp((q - HEAD_FULL_SCORE_WITHIN) / (1 - HEAD_FULL_SCORE_WITHIN), 0, 1);
  return HEAD_SCORE_AT_RIM * (1 - clamp((q - 1) / (HEAD_ZERO_AT - 1), 0, 1));
}

/**
 * @param face the detected face box (raw frame pixels), or null when no face was found.
 * @param detectionScore the detector's score, used as confidence (default 1).
 * @param out result object to fill (pass one per loop to avoid allocating per frame).
 */
export function scoreHead(
  face: FaceBox | null | undefined,
  frameWidth: number,
  frameHeight: number,
  circle: HeadCircle,
  detectionScore = 1,
  out: ScoreResult = { similarity: 0, confidence: 0 },
): ScoreResult {
  const shortSide = Math.min(frameWidth, frameHeight);
  const usable =
    !!face && Number.isFinite(face.originX) && Number.isFinite(face.originY) && face.width > 0 && face.height > 0 && shortSide > 0 && circle.radius > 0;
  if (!usable) {
    out.similarity = 0;
    out.confidence = 0;
    return out;
  }
  // Mirror the raw-frame centre onto the screen the circle is drawn on.
  const faceX = frameWidth - (face.originX + face.width / 2);
  const faceY = face.originY + face.height / 2;
  const dx = faceX - circle.x * frameWidth;
  const dy = faceY - circle.y * frameHeight;
  const q = Math.sqrt(dx * dx + dy * dy) / (circle.radius * shortSide);
  out.similarity = headSimilarityAt(q);
  out.confidence = clamp(detectionScore, 0, 1);
  return out;
}
