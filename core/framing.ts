/**
 * The lobby's framing check as pure rules: which body parts a playlist needs the camera to see,
 * when a detected joint counts as seen, and the one instruction to show while something is
 * missing. The browser runs the detections (client/lobby/framingCheck.ts); this decides.
 */
import type { RoundKind } from "./playlist";
import { BODY_POINTS, type BodyPointName } from "./scoring/bodyPoints";

/** What a round kind needs in the picture: the whole body, a hand, or the face. */
export type FramingPart = "body" | "hand" | "face";

const PART_FOR_KIND: Record<RoundKind, FramingPart> = { pose: "body", hand: "hand", head: "face", copy: "body" };

/**
 * The body joints a pose round needs (MediaPipe pose indices; anatomical left/right). Wrists and
 * elbows are not required: a player may hold them anywhere, the targets put them in the frame.
 */
const FRAMING_JOINT_NAMES = [
  "leftShoulder",
  "rightShoulder",
  "leftHip",
  "rightHip",
  "leftKnee",
  "rightKnee",
  "leftAnkle",
  "rightAnkle",
] as const satisfies readonly BodyPointName[];
export type FramingJointName = (typeof FRAMING_JOINT_NAMES)[number];
/** Name -> landmark index, taken from the scorers' table so the two never disagree. */
export const FRAMING_BODY_JOINTS = Object.fromEntries(FRAMING_JOINT_NAMES.map((name) => [name, BODY_POINTS[name]])) as {
  readonly [Name in FramingJointName]: (typeof BODY_POINTS)[Name];
};
const JOINT_NAMES: readonly FramingJointName[] = FRAMING_JOINT_NAMES;
const UPPER_BODY: readonly FramingJointName[] = ["leftShoulder", "rightShoulder", "leftHip", "rightHip"];

/**
 * A joint counts as seen at this visibility or more. MediaPipe's own drawing uses 0.5; the
 * messi5 fixture's knees and ankles come out at 0.76 to 0.94, a joint out of the picture well below.
 */
export const MIN_JOINT_VISIBILITY = 0.5;
/**
 * A joint predicted this far outside the picture (in frame fractions) is not seen, whatever its
 * visibility: the model guesses positions of cut-off joints, and a guess at the edge is not a foot.
 */
export const FRAME_EDGE_TOLERANCE = 0.02;
/**
 * Below this mean luma (0..255) the picture is too dark for the models, and "more light" is the
 * instruction whatever else is missing. A lit room on a phone camera is 80 to 160; the empty
 * grey test scene is about 128.
 */
export const DARK_FRAME_LUMA = 45;

export type FramingInstruction = "moreLight" | "stepIntoView" | "stepBackFeet" | "stepBackShoulders" | "raiseHand" | "faceCamera";

export interface FramingLandmark {
  readonly x: number;
  readonly y: number;
  readonly visibility?: number;
}

/** What the detections found on one camera frame; a part not needed may be left out. */
export interface FramingObservation {
  /** The first pose's 33 landmarks, normalised to the frame; null or absent: no pose found. */
  readonly pose?: readonly FramingLandmark[] | null;
  /** How many hands were found. */
  readonly hands?: number;
  /** Whether a face was found. */
  readonly face?: boolean;
  /** The frame's mean luma (0..255), when measured. */
  readonly meanLuma?: number;
}

export interface FramingResult {
  readonly ok: boolean;
  /** Required body joints not seen (empty when the body is not required or all are seen). */
  readonly missingJoints: readonly FramingJointName[];
  readonly bodyFound: boolean;
  readonly handMissing: boolean;
  readonly faceMissing: boolean;
  readonly tooDark: boolean;
  /** What to tell the player; null when the framing is fine. */
  readonly instruction: FramingInstruction | null;
}

/** The parts a playlist's round kinds need, once each, in a fixed order (body, hand, face). */
export function requiredFramingParts(roundKinds: readonly RoundKind[]): FramingPart[] {
  const parts = new Set(roundKinds.map((kind) => PART_FOR_KIND[kind]));
  return (["body", "hand", "face"] as const).filter((part) => parts.has(part));
}

export function isJointSeen(landmark: FramingLandmark | undefined): boolean {
  if (!landmark || !Number.isFinite(landmark.x) || !Number.isFinite(landmark.y)) return false;
  const visibility = landmark.visibility ?? 1;
  if (!(visibility >= MIN_JOINT_VISIBILITY)) return false;
  const low = -FRAME_EDGE_TOLERANCE;
  const high = 1 + FRAME_EDGE_TOLERANCE;
  return landmark.x >= low && landmark.x <= high && landmark.y >= low && landmark.y <= high;
}

/**
 * Checks one frame against what the round kinds need. The instruction is the first that applies:
 * too dark, then the body (nobody there, feet or knees cut off, shoulders or hips cut off), then
 * a hand, then the face: the body comes first because stepping back changes what else is seen.
 */
export function checkFraming(roundKinds: readonly RoundKind[], observation: FramingObservation): FramingResult {
  const parts = requiredFramingParts(roundKinds);
  const needsBody = parts.includes("body");
  const pose = observation.pose ?? null;
  const bodyFound = pose !== null && pose.length > 0;
  const missingJoints = needsBody ? JOINT_NAMES.filter((name) => !isJointSeen(pose?.[FRAMING_BODY_JOINTS[name]])) : [];
  const handMissing = parts.includes("hand") && !((observation.hands ?? 0) > 0);
  const faceMissing = parts.includes("face") && observation.face !== true;
  const ok = missingJoints.length === 0 && !handMissing && !faceMissing;
  const tooDark = observation.meanLuma !== undefined && observation.meanLuma < DARK_FRAME_LUMA;
  return { ok, missingJoints, bodyFound: needsBody && bodyFound, handMissing, faceMissing, tooDark, instruction: ok ? null : instructionFor() };

  function instructionFor(): FramingInstruction {
    if (tooDark) return "moreLight";
    if (needsBody && missingJoints.length > 0) {
      if (!bodyFound) return "stepIntoView";
      const upperMissing = missingJoints.some((name) => UPPER_BODY.includes(name));
      const lowerMissing = missingJoints.some((name) => !UPPER_BODY.includes(name));
      // Too close cuts off both ends, and stepping back fixes both: say the feet, the usual case.
      if (lowerMissing || !upperMissing) return "stepBackFeet";
      return "stepBackShoulders";
    }
    if (handMissing) return "raiseHand";
    return "faceCamera";
  }
}

/** What the lobby tells the server (and friends): checking the picture, fixed, or skipped. */
export type FramingStatus = "adjusting" | "ok" | "skipped";

/**
 * The status after one more check. A pass is final (the player may move once it passed, and the
 * game must not wait again), and so is "play anyway".
 */
export function nextFramingStatus(current: FramingStatus | null, result: Pick<FramingResult, "ok">): FramingStatus {
  if (current === "ok" || current === "skipped") return current;
  return result.ok ? "ok" : "adjusting";
}

/** Mean luma (BT.601) of RGBA pixels, 0..255; NaN for no pixels. */
export function meanLuma(rgba: ArrayLike<number>): number {
  const pixels = Math.floor(rgba.length / 4);
  if (pixels === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < pixels * 4; i += 4) {
    sum += 0.299 * (rgba[i] ?? 0) + 0.587 * (rgba[i + 1] ?? 0) + 0.114 * (rgba[i + 2] ?? 0);
  }
  return sum / pixels;
}

/**
 * How long the lobby waits between framing detections: at least `minIntervalMs`, and at least
 * `busyFactor` times what the last detection took, so the checks use at most a fifth of the main
 * thread (the call and the page stay smooth on a slow phone, and friends' phones still loading
 * on the same machine or network are not slowed down much). Once a second is live enough for a
 * player stepping back.
 */
export function framingCheckDelay(lastDetectionMs: number, minIntervalMs = 1000, busyFactor = 4): number {
  const spent = Number.isFinite(lastDetectionMs) && lastDetectionMs > 0 ? lastDetectionMs : 0;
  return Math.max(minIntervalMs, Math.round(spent * busyFactor));
}
