/**
 * The 13 MediaPipe pose landmarks a target pose is made of, and the bones between them.
 * Left/right are ANATOMICAL (the player's own left arm is `leftWrist`, index 15), exactly as the
 * pose model labels them.
 */

/** Name -> MediaPipe pose landmark index. */
export const BODY_POINTS = {
  nose: 0,
  leftShoulder: 11,
  rightShoulder: 12,
  leftElbow: 13,
  rightElbow: 14,
  leftWrist: 15,
  rightWrist: 16,
  leftHip: 23,
  rightHip: 24,
  leftKnee: 25,
  rightKnee: 26,
  leftAnkle: 27,
  rightAnkle: 28,
} as const;

export type BodyPointName = keyof typeof BODY_POINTS;

/** Fixed order: position k in this list is "slot" k in the scorers' scratch arrays. */
export const BODY_POINT_NAMES = Object.keys(BODY_POINTS) as readonly BodyPointName[];
export const BODY_POINT_INDICES: readonly number[] = BODY_POINT_NAMES.map((name) => BODY_POINTS[name]);
export const BODY_POINT_COUNT = BODY_POINT_NAMES.length;

/** The pose model returns this many landmarks; the scorer only reads the 13 above. */
export const POSE_LANDMARK_COUNT = 33;

/**
 * Bones to draw a figure (pairs of MediaPipe indices). The head is not a bone: draw a circle at
 * the nose (`BODY_POINTS.nose`).
 */
export const POSE_BONES: readonly (readonly [number, number])[] = [
  [11, 12],
  [11, 13],
  [13, 15],
  [12, 14],
  [14, 16],
  [11, 23],
  [12, 24],
  [23, 24],
  [23, 25],
  [25, 27],
  [24, 26],
  [26, 28],
];
