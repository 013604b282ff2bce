/**
 * Pose similarity: the player's pose-model landmarks against a target pose, every video frame.
 *
 * Method (see docs/scoring.md): limb DIRECTIONS, not positions. For each of 12 body segments
 * (upper arms, forearms, thighs, shins, torso, head, shoulder line, hip line) the angle between
 * the player's segment and the target's segment becomes an error 0..1 (a tolerance band, then
 * linear up to a full-miss angle); similarity = 1 - weighted RMS of those errors. Directions
 * are independent of where the player stands, how far from the camera and how long their limbs
 * are; RMS makes one clearly wrong limb cost more than many slightly-off ones.
 *
 * Coordinates: the model sees the raw (unmirrored) camera frame; the player sees a mirror and
 * targets are defined as drawn on that mirrored screen. So player x is flipped (1 - x) while
 * the anatomical labels stay: the player's left wrist (index 15) shows on the screen's left,
 * exactly where a target puts `leftWrist`. x is then multiplied by the frame's aspect ratio
 * so both axes share one unit (a 640x480 frame is not square).
 *
 * No allocation per call: one `PoseScorer` owns fixed Float64Array scratch and a result object
 * that each call overwrites.
 */
import { BODY_POINT_COUNT, BODY_POINT_INDICES, BODY_POINT_NAMES, BODY_POINTS, type BodyPointName } from "./bodyPoints";
import { clamp, type LandmarkList, type Point2, type ScoreResult } from "./types";

// Slots: 0..12 are the body points in BODY_POINT_NAMES order, then two derived midpoints.
const MID_SHOULDER = BODY_POINT_COUNT;
const MID_HIP = BODY_POINT_COUNT + 1;
/** Body points + the two midpoints. */
export const POSE_SLOT_COUNT = BODY_POINT_COUNT + 2;

const slotOf = (name: BodyPointName): number => BODY_POINT_INDICES.indexOf(BODY_POINTS[name]);

interface SegmentSpec {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  /** Arms carry most party poses and are tracked best; legs next; the trunk only sets posture. */
  readonly weight: number;
}

const SEGMENT_SPECS: readonly SegmentSpec[] = [
  { name: "leftUpperArm", from: slotOf("leftShoulder"), to: slotOf("leftElbow"), weight: 1.5 },
  { name: "leftForearm", from: slotOf("leftElbow"), to: slotOf("leftWrist"), weight: 1.5 },
  { name: "rightUpperArm", from: slotOf("rightShoulder"), to: slotOf("rightElbow"), weight: 1.5 },
  { name: "rightForearm", from: slotOf("rightElbow"), to: slotOf("rightWrist"), weight: 1.5 },
  { name: "leftThigh", from: slotOf("leftHip"), to: slotOf("leftKnee"), weight: 1.2 },
  { name: "leftShin", from: slotOf("leftKnee"), to: slotOf("leftAnkle"), weight: 1.2 },
  { name: "rightThigh", from: slotOf("rightHip"), to: slotOf("rightKnee"), weight: 1.2 },
  { name: "rightShin", from: slotOf("rightKnee"), to: slotOf("rightAnkle"), weight: 1.2 },
  { name: "torso", from: MID_HIP, to: MID_SHOULDER, weight: 1 },
  { name: "head", from: MID_SHOULDER, to: slotOf("nose"), weight: 0.5 },
  { name: "shoulderLine", from: slotOf("leftShoulder"), to: slotOf("rightShoulder"), weight: 0.5 },
  { name: "hipLine", from: slotOf("leftHip"), to: slotOf("rightHip"), weight: 0.5 },
];

export const POSE_SEGMENT_NAMES: readonly string[] = SEGMENT_SPECS.map((segment) => segment.name);
export const POSE_SEGMENT_COUNT = SEGMENT_SPECS.length;
const SEG_FROM = Int32Array.from(SEGMENT_SPECS, (segment) => segment.from);
const SEG_TO = Int32Array.from(SEGMENT_SPECS, (segment) => segment.to);
const SEG_WEIGHT = Float64Array.from(SEGMENT_SPECS, (segment) => segment.weight);
/** Triples (midpoint slot, endpoint a, endpoint b); typed so per-frame loops allocate nothing. */
const MIDPOINTS = Int32Array.from([MID_SHOULDER, slotOf("leftShoulder"), slotOf("rightShoulder"), MID_HIP, slotOf("leftHip"), slotOf("rightHip")]);

/** Angles within this count as exact: nobody holds a limb to the degree, and models jitter. */
export const ANGLE_TOLERANCE_DEG = 12;
/** A segment this far off (or more) is a full miss for that segment. */
export const ANGLE_FULL_MISS_DEG = 65;
const TOLERANCE_RAD = (ANGLE_TOLERANCE_DEG * Math.PI) / 180;
const FULL_MISS_RAD = (ANGLE_FULL_MISS_DEG * Math.PI) / 180;

/**
 * Visibility below LOW counts as unseen, above HIGH as seen; linear between. MediaPipe reports
 * ~0.9+ for points in view and drops under ~0.5 for occluded or out-of-frame ones.
 */
export const VISIBILITY_LOW = 0.3;
export const VISIBILITY_HIGH = 0.7;
/** Segments shorter than this (frame units) have no usable direction. */
const MIN_SEGMENT_LENGTH = 1e-6;

function visibilityFactor(visibility: number | undefined): number {
  if (visibility === undefined) return 1;
  return clamp((visibility - VISIBILITY_LOW) / (VISIBILITY_HIGH - VISIBILITY_LOW), 0, 1);
}

/** A target turned into segment directions once (per round), so frames only compare. */
export interface PreparedPoseTarget {
  /** Unit direction per segment, in target (screen) space. */
  readonly dirX: Float64Array;
  readonly dirY: Float64Array;
  /** Segment weight times how visible the target's own endpoints are (0 = segment unused). */
  readonly weight: Float64Array;
}

/** Target-side point: as drawn on screen, x and y in the same unit; `v` optional visibility. */
export interface TargetPoint extends Point2 {
  readonly v?: number;
}

export type PoseTargetPoints = Readonly<Record<BodyPointName, TargetPoint>>;

/** Computes the target's segment directions. Call once per target (not per frame). */
export function preparePoseTarget(points: PoseTargetPoints): PreparedPoseTarget {
  const xs = new Float64Array(POSE_SLOT_COUNT);
  const ys = new Float64Array(POSE_SLOT_COUNT);
  const vs = new Float64Array(POSE_SLOT_COUNT);
  BODY_POINT_NAMES.forEach((name, slot) => {
    const point = points[name];
    xs[slot] = point.x;
    ys[slot] = point.y;
    vs[slot] = Number.isFinite(point.x) && Number.isFinite(point.y) ? visibilityFactor(point.v) : 0;
  });
  for (let k = 0; k < MIDPOINTS.length; k += 3) {
    const mid = MIDPOINTS[k] as number;
    const a = MIDPOINTS[k + 1] as number;
    const b = MIDPOINTS[k + 2] as number;
    xs[mid] = ((xs[a] as number) + (xs[b] as number)) / 2;
    ys[mid] = ((ys[a] as number) + (ys[b] as number)) / 2;
    vs[mid] = Math.min(vs[a] as number, vs[b] as number);
  }
  const dirX = new Float64Array(POSE_SEGMENT_COUNT);
  const dirY = new Float64Array(POSE_SEGMENT_COUNT);
  const weight = new Float64Array(POSE_SEGMENT_COUNT);
  for (let s = 0; s < POSE_SEGMENT_COUNT; s++) {
    const a = SEG_FROM[s] as number;
    const b = SEG_TO[s] as number;
    const dx = (xs[b] as number) - (xs[a] as number);
    const dy = (ys[b] as number) - (ys[a] as number);
    const length = Math.hypot(dx, dy);
    if (!(length > MIN_SEGMENT_LENGTH)) continue;
    dirX[s] = dx / length;
    dirY[s] = dy / length;
    weight[s] = (SEG_WEIGHT[s] as number) * Math.min(vs[a] as number, vs[b] as number);
  }
  return { dirX, dirY, weight };
}

/**
 * Player landmarks -> screen space (mirrored, x times aspect so both axes share one unit) with
 * visibility factors and the two midpoints; no centring. Void on purpose: a double returned from
 * a call that is not inlined is boxed, i.e. allocated, every frame.
 */
function fillScreenPoints(landmarks: LandmarkList, frameAspect: number, out: Float64Array): void {
  const aspect = frameAspect > 0 && Number.isFinite(frameAspect) ? frameAspect : 1;
  const count = landmarks.length;
  for (let slot = 0; slot < BODY_POINT_COUNT; slot++) {
    const index = BODY_POINT_INDICES[slot] as number;
    const landmark = index < count ? landmarks[index] : undefined;
    const o = slot * 3;
    if (landmark && Number.isFinite(landmark.x) && Number.isFinite(landmark.y)) {
      // Mirror: the model's raw frame -> the mirrored screen the player (and the target) lives in.
      out[o] = (1 - landmark.x) * aspect;
      out[o + 1] = landmark.y;
      out[o + 2] = visibilityFactor(landmark.visibility);
    } else {
      out[o] = 0;
      out[o + 1] = 0;
      out[o + 2] = 0;
    }
  }
  for (let k = 0; k < MIDPOINTS.length; k += 3) {
    const mid = MIDPOINTS[k] as number;
    const a = MIDPOINTS[k + 1] as number;
    const b = MIDPOINTS[k + 2] as number;
    out[mid * 3] = ((out[a * 3] as number) + (out[b * 3] as number)) / 2;
    out[mid * 3 + 1] = ((out[a * 3 + 1] as number) + (out[b * 3 + 1] as number)) / 2;
    out[mid * 3 + 2] = Math.min(out[a * 3 + 2] as number, out[b * 3 + 2] as number);
  }
}

/**
 * Player landmarks -> screen space, centred at mid-hip, scaled by torso length (mid-hip to
 * mid-shoulder = 1). Writes `out` (length >= 3 * POSE_SLOT_COUNT: x, y, visibility factor per
 * slot; slots 13/14 are mid-shoulder/mid-hip) and returns the torso length in frame units, or 0
 * when the torso is not seen (positions are then left centred but unscaled). The scorer only
 * needs the directions, which this does not change; the UI can use it to overlay the player's
 * skeleton on the target figure.
 */
export function normalisePose(landmarks: LandmarkList, frameAspect: number, out: Float64Array): number {
  fillScreenPoints(landmarks, frameAspect, out);
  const cx = out[MID_HIP * 3] as number;
  const cy = out[MID_HIP * 3 + 1] as number;
  const tx = (out[MID_SHOULDER * 3] as number) - cx;
  const ty = (out[MID_SHOULDER * 3 + 1] as number) - cy;
  const torso = Math.sqrt(tx * tx + ty * ty);
  const torsoSeen = (out[MID_HIP * 3 + 2] as number) > 0 && (out[MID_SHOULDER * 3 + 2] as number) > 0;
  const scale = torsoSeen && torso > MIN_SEGMENT_LENGTH ? 1 / torso : 1;
  for (let slot = 0; slot < POSE_SLOT_COUNT; slot++) {
    out[slot * 3] = ((out[slot * 3] as number) - cx) * scale;
    out[slot * 3 + 1] = ((out[slot * 3 + 1] as number) - cy) * scale;
  }
  return torsoSeen && torso > MIN_SEGMENT_LENGTH ? torso : 0;
}

/**
 * Scores frames against prepared targets. One per inference loop; not shared across threads.
 * `score` returns the scorer's own result object, overwritten by the next call: copy the two
 * numbers if you need to keep them.
 */
export class PoseScorer {
  private readonly points = new Float64Array(POSE_SLOT_COUNT * 3);
  /** Per-segment angle error 0..1 of the last call (NaN-free), for feedback such as "left arm". */
  readonly segmentError = new Float64Array(POSE_SEGMENT_COUNT);
  private readonly result: ScoreResult = { similarity: 0, confidence: 0 };

  /**
   * @param landmarks the pose model's 33 landmarks for one person, as returned (raw frame).
   * @param frameAspect width / height of the frame the model saw (e.g. 640 / 480).
   */
  score(landmarks: LandmarkList, target: PreparedPoseTarget, frameAspect: number): ScoreResult {
    const p = this.points;
    // Directions only: centring and scaling would not change them.
    fillScreenPoints(landmarks, frameAspect, p);
    let targetWeight = 0;
    let seenWeight = 0;
    let errorSum = 0;
    for (let s = 0; s < POSE_SEGMENT_COUNT; s++) {
      this.segmentError[s] = 0;
      const w = target.weight[s] as number;
      if (!(w > 0)) continue;
      targetWeight += w;
      const a = (SEG_FROM[s] as number) * 3;
      const b = (SEG_TO[s] as number) * 3;
      const seen = Math.min(p[a + 2] as number, p[b + 2] as number);
      if (!(seen > 0)) continue;
      const dx = (p[b] as number) - (p[a] as number);
      const dy = (p[b + 1] as number) - (p[a + 1] as number);
      if (!(dx * dx + dy * dy > MIN_SEGMENT_LENGTH * MIN_SEGMENT_LENGTH)) continue;
      const tx = target.dirX[s] as number;
      const ty = target.dirY[s] as number;
      // atan2(|cross|, dot): the unsigned angle, well-conditioned near 0 and 180 degrees.
      const angle = Math.atan2(Math.abs(dx * ty - dy * tx), dx * tx + dy * ty);
      const error = clamp((angle - TOLERANCE_RAD) / (FULL_MISS_RAD - TOLERANCE_RAD), 0, 1);
      this.segmentError[s] = error;
      seenWeight += w * seen;
      errorSum += w * seen * error * error;
    }
    const result = this.result;
    if (targetWeight > 0 && seenWeight > 1e-9) {
      result.similarity = clamp(1 - Math.sqrt(errorSum / seenWeight), 0, 1);
      result.confidence = clamp(seenWeight / targetWeight, 0, 1);
    } else {
      result.similarity = 0;
      result.confidence = 0;
    }
    return result;
  }
}
