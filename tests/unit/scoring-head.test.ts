import { describe, expect, it } from "vitest";
import { HEAD_SCORE_AT_RIM, headSimilarityAt, scoreHead, type FaceBox, type HeadCircle } from "@/core/scoring/headScore";
import { THRESHOLDS } from "@/core/scoring/hold";
import type { ScoreResult } from "@/core/scoring/types";
import { TEST_HEAD_TARGETS } from "@/core/targets/headLibrary";
import measured from "@/core/targets/measured.json";

const W = 640;
const H = 480;

/** A 100 px face whose centre is at (x, y) in RAW camera pixels. */
const faceAt = (x: number, y: number, size = 100): FaceBox => ({ originX: x - size / 2, originY: y - size / 2, width: size, height: size });
/** Where the camera sees a face that the player sees at screen pixel (x, y) of the mirrored view. */
const faceSeenOnScreenAt = (x: number, y: number): FaceBox => faceAt(W - x, y);

describe("head: face in the circle", () => {
  const circle: HeadCircle = { x: 0.3, y: 0.4, radius: 0.2 }; // screen: centre (192, 192), radius 96 px

  it("centred in the circle is PERFECT, inside is at least GOOD (easy), outside is below GOOD", () => {
    expect(scoreHead(faceSeenOnScreenAt(192, 192), W, H, circle).similarity).toBe(1);
    expect(scoreHead(faceSeenOnScreenAt(192 + 40, 192), W, H, circle).similarity).toBeGreaterThanOrEqual(THRESHOLDS.easy.perfect);
    expect(scoreHead(faceSeenOnScreenAt(192, 192 + 80), W, H, circle).similarity).toBeGreaterThanOrEqual(THRESHOLDS.easy.good);
    expect(scoreHead(faceSeenOnScreenAt(192 + 100, 192), W, H, circle).similarity).toBeLessThan(THRESHOLDS.easy.good);
    expect(scoreHead(faceSeenOnScreenAt(192 + 250, 192), W, H, circle).similarity).toBe(0);
  });

  it("respects the mirror: a circle on the screen's left wants the face on the camera image's right", () => {
    // The player moves to their screen-left; the raw frame shows them on the right (x = 448).
    expect(scoreHead(faceAt(448, 192), W, H, circle).similarity).toBe(1);
    // Unmirrored (the raw x used as if it were the screen's) would be far outside.
    expect(scoreHead(faceAt(192, 192), W, H, circle).similarity).toBeLessThan(0.1);
  });

  it("keeps the circle round on a 4:3 frame (radius is a share of the shorter side)", () => {
    const atRimHorizontally = scoreHead(faceSeenOnScreenAt(192 + 96, 192), W, H, circle).similarity;
    const atRimVertically = scoreHead(faceSeenOnScreenAt(192, 192 + 96), W, H, circle).similarity;
    expect(atRimHorizontally).toBeCloseTo(HEAD_SCORE_AT_RIM, 9);
    expect(atRimVertically).toBeCloseTo(HEAD_SCORE_AT_RIM, 9);
  });

  it("falls off monotonically with distance", () => {
    let previous = 2;
    for (let q = 0; q <= 2.5; q += 0.05) {
      const value = headSimilarityAt(q);
      expect(value).toBeLessThanOrEqual(previous);
      previous = value;
    }
  });

  it("no face, a broken box or a bad frame: similarity and confidence 0, never NaN", () => {
    const zero: ScoreResult = { similarity: 0, confidence: 0 };
    expect(scoreHead(null, W, H, circle)).toEqual(zero);
    expect(scoreHead({ originX: Number.NaN, originY: 0, width: 10, height: 10 }, W, H, circle)).toEqual(zero);
    expect(scoreHead(faceAt(100, 100, 0), W, H, circle)).toEqual(zero);
    expect(scoreHead(faceAt(100, 100), 0, 0, circle)).toEqual(zero);
    expect(scoreHead(faceAt(100, 100), W, H, { ...circle, radius: 0 })).toEqual(zero);
  });

  it("uses the detection score as confidence and fills the object it is given", () => {
    const out: ScoreResult = { similarity: -1, confidence: -1 };
    const result = scoreHead(faceSeenOnScreenAt(192, 192), W, H, circle, 0.62, out);
    expect(result).toBe(out);
    expect(out).toEqual({ similarity: 1, confidence: 0.62 });
  });

  it("the astronaut fake camera's real detection lands in the test circles", () => {
    const { box, model } = measured.astronautVideo.face;
    expect(model).toBe("face_detector_short_range");
    expect(box).not.toBeNull();
    for (const target of TEST_HEAD_TARGETS) {
      const result = scoreHead(box, measured.astronautVideo.width, measured.astronautVideo.height, target.circle, box?.score);
      expect(result.similarity, target.id).toBeGreaterThanOrEqual(THRESHOLDS.easy.perfect);
      expect(result.confidence).toBeGreaterThan(0.8);
    }
  });
});
