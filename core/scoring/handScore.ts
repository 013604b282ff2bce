/**
 * Hand-sign similarity from the hand landmarker's 21 points.
 *
 * Features, all computed in 3D (x and z scaled by the frame aspect so the three axes share one
 * unit) so they do not change when the hand turns:
 *  - how extended each finger is, from its joint angles: the bends at MCP, PIP and DIP (for the
 *    thumb at MCP and IP, plus how far its tip is from the knuckles and folded finger joints,
 *    since a thumb laid over a fist or into the palm can stay fairly straight);
 *  - whether the thumb points up on screen (for thumbs-up, the one sign where direction matters);
 *  - index/middle spread (the V of a peace sign) and thumb-tip-to-index-tip distance (OK sign).
 * A target lists what it wants; each wish gives an agreement 0..1 and
 * similarity = 1 - RMS(1 - agreement), so one wrong finger costs a lot.
 *
 * Mirroring: none of these features depends on left/right (angles, distances, "up"), so the
 * raw camera frame and the mirrored screen give the same score and handedness is not needed.
 * Hand landmarks carry no useful visibility (tasks-vision reports 0), so it is ignored;
 * confidence is the share of usable (finite) landmarks.
 */
import { clamp, type LandmarkList, type ScoreResult } from "./types";

export const HAND_LANDMARK_COUNT = 21;
export const FINGER_NAMES = ["thumb", "index", "middle", "ring", "pinky"] as const;
export type FingerName = (typeof FINGER_NAMES)[number];
export type FingerState = "up" | "down" | "any";

/** What a hand target asks for. Omitted fields are not checked. */
export interface HandSignSpec {
  /** Per finger, thumb first. */
  readonly fingers?: readonly [FingerState, FingerState, FingerState, FingerState, FingerState];
  /** Exactly this many fingers extended, whichever they are ("show three fingers"). */
  readonly count?: number;
  /** The thumb points up on screen. */
  readonly thumbUp?: boolean;
  /** Index and middle fingers spread apart (a V). */
  readonly spread?: boolean;
  /** Thumb tip touches the index tip (a ring, the OK sign). */
  readonly thumbIndexTouch?: boolean;
}

// Landmark indices: wrist, then 4 per finger from the base (thumb: CMC, MCP, IP, TIP; the
// others: MCP, PIP, DIP, TIP).
const WRIST = 0;
const THUMB_CMC = 1;
const THUMB_MCP = 2;
const THUMB_TIP = 4;
const INDEX_MCP = 5;
const INDEX_TIP = 8;
const MIDDLE_MCP = 9;
const MIDDLE_TIP = 12;

/**
 * Summed bend (degrees) of a straight finger is ~0-30 and of a folded one 150+: extension
 * falls linearly between these two.
 */
export const FINGER_STRAIGHT_DEG = 45;
export const FINGER_FOLDED_DEG = 140;
/** The thumb has two joints and bends less. */
export const THUMB_STRAIGHT_DEG = 25;
export const THUMB_FOLDED_DEG = 80;
/**
 * Thumb tip to the nearest of the palm's knuckles and the index/middle/ring middle joints, in
 * palm lengths (wrist to middle knuckle). A thumb tucked into the palm or laid over a fist
 * touches one of them (<= ~0.3); one sticking out is >= ~0.6 from all of them.
 */
export const THUMB_TUCKED_DISTANCE = 0.3;
export const THUMB_OUT_DISTANCE = 0.6;
/** Where a tucked thumb tip ends up: knuckles, and PIP/DIP joints of the folded fingers. */
const THUMB_REST_POINTS = Int32Array.from([5, 6, 7, 9, 10, 11, 13, 14, 15, 17]);

const DEG = 180 / Math.PI;

/** Agreement of "thumb points up": cos of the angle to screen-up, from 70 degrees (0) to 25 (1). */
const UP_COS_LOW = Math.cos(70 / DEG);
const UP_COS_HIGH = Math.cos(25 / DEG);
const SPREAD_LOW_DEG = 6;
const SPREAD_HIGH_DEG = 18;
const TOUCH_NEAR = 0.25;
const TOUCH_FAR = 0.55;

// Feature slots (see the module comment). Features live in a Float64Array, and helpers write
// into it instead of returning numbers: a double returned from a call V8 does not inline is
// boxed, i.e. allocated, and this runs every video frame.
const F_THUMB_UP = 5;
const F_SPREAD = 6;
const F_TOUCH = 7;
const F_PALM = 8;
const F_VALID = 9;
const F_TMP = 10;
const FEATURE_SLOTS = 12;
/** Upper bound of agreement terms: 5 fingers + 5 counted + thumbUp + spread + touch. */
const MAX_TERMS = 13;

/** Writes the angle (degrees) between a->b and b->c (0 = straight) into out[slot]. */
function bendInto(p: Float64Array, a: number, b: number, c: number, out: Float64Array, slot: number): void {
  const ux = (p[b * 3] as number) - (p[a * 3] as number);
  const uy = (p[b * 3 + 1] as number) - (p[a * 3 + 1] as number);
  const uz = (p[b * 3 + 2] as number) - (p[a * 3 + 2] as number);
  const vx = (p[c * 3] as number) - (p[b * 3] as number);
  const vy = (p[c * 3 + 1] as number) - (p[b * 3 + 1] as number);
  const vz = (p[c * 3 + 2] as number) - (p[b * 3 + 2] as number);
  const cx = uy * vz - uz * vy;
  const cy = uz * vx - ux * vz;
  const cz = ux * vy - uy * vx;
  out[slot] = Math.atan2(Math.sqrt(cx * cx + cy * cy + cz * cz), ux * vx + uy * vy + uz * vz) * DEG;
}

/** Writes the distance between landmarks a and b into out[slot]. */
function distanceInto(p: Float64Array, a: number, b: number, out: Float64Array, slot: number): void {
  const dx = (p[a * 3] as number) - (p[b * 3] as number);
  const dy = (p[a * 3 + 1] as number) - (p[b * 3 + 1] as number);
  const dz = (p[a * 3 + 2] as number) - (p[b * 3 + 2] as number);
  out[slot] = Math.sqrt(dx * dx + dy * dy + dz * dz);
}

export class HandScorer {
  private readonly p = new Float64Array(HAND_LANDMARK_COUNT * 3);
  /** Extension 0..1 per finger (thumb first) of the last scored hand. */
  readonly extension = new Float64Array(5);
  private readonly f = new Float64Array(FEATURE_SLOTS);
  private readonly bends = new Float64Array(3);
  private readonly sorted = new Float64Array(5);
  private readonly terms = new Float64Array(MAX_TERMS);
  private readonly result: ScoreResult = { similarity: 0, confidence: 0 };
  private readonly best: ScoreResult = { similarity: 0, confidence: 0 };

  /**
   * One hand's 21 landmarks (raw model output) against a sign. Returns the scorer's own result
   * object, overwritten by the next call.
   */
  score(landmarks: LandmarkList, target: HandSignSpec, frameAspect: number): ScoreResult {
    const result = this.result;
    const f = this.f;
    this.load(landmarks, frameAspect);
    const validShare = f[F_VALID] as number;
    if (validShare < 1 || !((f[F_PALM] as number) > 1e-6)) {
      // Every feature needs the whole hand; a partial one is a miss, not a guess.
      result.similarity = 0;
      result.confidence = validShare < 1 ? validShare : 0;
      return result;
    }
    this.computeFeatures();
    const ext = this.extension;
    const terms = this.terms;
    let n = 0;
    if (target.fingers) {
      for (let i = 0; i < 5; i++) {
        const state = target.fingers[i];
        if (state === "up") terms[n++] = ext[i] as number;
        else if (state === "down") terms[n++] = 1 - (ext[i] as number);
      }
    }
    if (target.count !== undefined) {
      // Whichever fingers: the N most extended should be up, the rest down.
      // Insertion sort, descending (TypedArray#sort allocates a temporary copy in V8).
      const sorted = this.sorted;
      for (let i = 0; i < 5; i++) {
        const value = ext[i] as number;
        let j = i;
        while (j > 0 && (sorted[j - 1] as number) < value) {
          sorted[j] = sorted[j - 1] as number;
          j--;
        }
        sorted[j] = value;
      }
      for (let k = 0; k < 5; k++) terms[n++] = k < target.count ? (sorted[k] as number) : 1 - (sorted[k] as number);
    }
    if (target.thumbUp) terms[n++] = f[F_THUMB_UP] as number;
    if (target.spread) terms[n++] = f[F_SPREAD] as number;
    if (target.thumbIndexTouch) terms[n++] = f[F_TOUCH] as number;
    let errorSum = 0;
    for (let k = 0; k < n; k++) {
      const miss = 1 - clamp(terms[k] as number, 0, 1);
      errorSum += miss * miss;
    }
    result.similarity = n > 0 ? clamp(1 - Math.sqrt(errorSum / n), 0, 1) : 0;
    result.confidence = 1;
    return result;
  }

  /**
   * Several detected hands: the best-matching one counts (a player may raise either hand).
   * Returns the scorer's own result object.
   */
  scoreBest(hands: ArrayLike<LandmarkList>, target: HandSignSpec, frameAspect: number): ScoreResult {
    const best = this.best;
    best.similarity = 0;
    best.confidence = 0;
    for (let h = 0; h < hands.length; h++) {
      const hand = hands[h];
      if (!hand) continue;
      const r = this.score(hand, target, frameAspect);
      if (r.similarity > best.similarity || (r.similarity === best.similarity && r.confidence > best.confidence)) {
        best.similarity = r.similarity;
        best.confidence = r.confidence;
      }
    }
    return best;
  }

  /** Copies the landmarks in (x and z times aspect); sets F_VALID (share usable) and F_PALM. */
  private load(landmarks: LandmarkList, frameAspect: number): void {
    const aspect = frameAspect > 0 && Number.isFinite(frameAspect) ? frameAspect : 1;
    const p = this.p;
    let validCount = 0;
    for (let i = 0; i < HAND_LANDMARK_COUNT; i++) {
      const landmark = i < landmarks.length ? landmarks[i] : undefined;
      if (!landmark) continue;
      const z = landmark.z === undefined ? 0 : landmark.z;
      if (!(Number.isFinite(landmark.x) && Number.isFinite(landmark.y) && Number.isFinite(z))) continue;
      validCount++;
      p[i * 3] = landmark.x * aspect;
      p[i * 3 + 1] = landmark.y;
      p[i * 3 + 2] = z * aspect;
    }
    this.f[F_VALID] = validCount / HAND_LANDMARK_COUNT;
    if (validCount === HAND_LANDMARK_COUNT) distanceInto(p, WRIST, MIDDLE_MCP, this.f, F_PALM);
    else this.f[F_PALM] = 0;
  }

  private computeFeatures(): void {
    const p = this.p;
    const f = this.f;
    const ext = this.extension;
    const bends = this.bends;
    const palm = f[F_PALM] as number;

    // Thumb: bends at MCP and IP, and how far the tip is from where a tucked thumb rests.
    bendInto(p, THUMB_CMC, THUMB_MCP, THUMB_MCP + 1, bends, 0);
    bendInto(p, THUMB_MCP, THUMB_MCP + 1, THUMB_TIP, bends, 1);
    const thumbBend = (bends[0] as number) + (bends[1] as number);
    const byAngle = 1 - clamp((thumbBend - THUMB_STRAIGHT_DEG) / (THUMB_FOLDED_DEG - THUMB_STRAIGHT_DEG), 0, 1);
    let nearest = Number.POSITIVE_INFINITY;
    for (let k = 0; k < THUMB_REST_POINTS.length; k++) {
      distanceInto(p, THUMB_TIP, THUMB_REST_POINTS[k] as number, f, F_TMP);
      if ((f[F_TMP] as number) < nearest) nearest = f[F_TMP] as number;
    }
    const byReach = clamp((nearest / palm - THUMB_TUCKED_DISTANCE) / (THUMB_OUT_DISTANCE - THUMB_TUCKED_DISTANCE), 0, 1);
    ext[0] = 0.5 * byAngle + 0.5 * byReach;

    for (let finger = 1; finger < 5; finger++) {
      const mcp = 1 + 4 * finger;
      bendInto(p, WRIST, mcp, mcp + 1, bends, 0);
      bendInto(p, mcp, mcp + 1, mcp + 2, bends, 1);
      bendInto(p, mcp + 1, mcp + 2, mcp + 3, bends, 2);
      const curl = (bends[0] as number) + (bends[1] as number) + (bends[2] as number);
      ext[finger] = 1 - clamp((curl - FINGER_STRAIGHT_DEG) / (FINGER_FOLDED_DEG - FINGER_STRAIGHT_DEG), 0, 1);
    }

    // Thumb up: screen "up" is -y in the image, mirrored or not; an image-plane idea, so 2D.
    const tx = (p[THUMB_TIP * 3] as number) - (p[THUMB_MCP * 3] as number);
    const ty = (p[THUMB_TIP * 3 + 1] as number) - (p[THUMB_MCP * 3 + 1] as number);
    const thumbLength = Math.sqrt(tx * tx + ty * ty);
    f[F_THUMB_UP] = thumbLength > 1e-9 ? clamp((-ty / thumbLength - UP_COS_LOW) / (UP_COS_HIGH - UP_COS_LOW), 0, 1) : 0;

    // Spread: angle between the index and middle fingers (knuckle to tip), in 3D.
    const ax = (p[INDEX_TIP * 3] as number) - (p[INDEX_MCP * 3] as number);
    const ay = (p[INDEX_TIP * 3 + 1] as number) - (p[INDEX_MCP * 3 + 1] as number);
    const az = (p[INDEX_TIP * 3 + 2] as number) - (p[INDEX_MCP * 3 + 2] as number);
    const bx = (p[MIDDLE_TIP * 3] as number) - (p[MIDDLE_MCP * 3] as number);
    const by = (p[MIDDLE_TIP * 3 + 1] as number) - (p[MIDDLE_MCP * 3 + 1] as number);
    const bz = (p[MIDDLE_TIP * 3 + 2] as number) - (p[MIDDLE_MCP * 3 + 2] as number);
    const cx = ay * bz - az * by;
    const cy = az * bx - ax * bz;
    const cz = ax * by - ay * bx;
    const spread = Math.atan2(Math.sqrt(cx * cx + cy * cy + cz * cz), ax * bx + ay * by + az * bz) * DEG;
    f[F_SPREAD] = clamp((spread - SPREAD_LOW_DEG) / (SPREAD_HIGH_DEG - SPREAD_LOW_DEG), 0, 1);

    // Touch: thumb tip to index tip, in palm lengths.
    distanceInto(p, THUMB_TIP, INDEX_TIP, f, F_TMP);
    f[F_TOUCH] = clamp((TOUCH_FAR - (f[F_TMP] as number) / palm) / (TOUCH_FAR - TOUCH_NEAR), 0, 1);
  }
}
