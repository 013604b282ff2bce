import { describe, expect, it } from "vitest";
import { BODY_POINT_NAMES, BODY_POINTS, type BodyPointName } from "@/core/scoring/bodyPoints";
import { THRESHOLDS } from "@/core/scoring/hold";
import { POSE_SEGMENT_NAMES, POSE_SLOT_COUNT, PoseScorer, normalisePose, preparePoseTarget, type PoseTargetPoints } from "@/core/scoring/poseSimilarity";
import type { LandmarkLike } from "@/core/scoring/types";
import measured from "@/core/targets/measured.json";
import { ALL_POSE_TARGETS, POSE_TARGETS, getPoseTarget, type PoseTarget } from "@/core/targets/poseLibrary";

const EASY_GOOD = THRESHOLDS.easy.good;
const EASY_PERFECT = THRESHOLDS.easy.perfect;

interface Placement {
  /** Frame width / height. */
  aspect?: number;
  /** Figure size and position in the frame, in frame-height units. */
  scale?: number;
  dx?: number;
  dy?: number;
  visibility?: number;
}

/**
 * What the pose model would report for a player copying `points` in front of the camera: the
 * target is as seen on the mirrored screen, the model sees the raw frame, so x flips back.
 */
function cameraLandmarks(points: PoseTargetPoints, placement: Placement = {}): LandmarkLike[] {
  const { aspect = 4 / 3, scale = 0.9, dx = (aspect - 0.9) / 2, dy = 0.05, visibility = 0.98 } = placement;
  const out: LandmarkLike[] = Array.from({ length: 33 }, () => ({ x: 0.5, y: 0.5, z: 0, visibility: 0.02 }));
  for (const name of BODY_POINT_NAMES) {
    const point = points[name];
    const screenX = (dx + scale * point.x) / aspect;
    out[BODY_POINTS[name]] = { x: 1 - screenX, y: dy + scale * point.y, z: -0.1, visibility };
  }
  return out;
}

/** The same body with left and right swapped: the player raised the other arm. */
function anatomicalMirror(points: PoseTargetPoints): PoseTargetPoints {
  const swap = (name: BodyPointName): BodyPointName =>
    (name.startsWith("left") ? name.replace("left", "right") : name.replace("right", "left")) as BodyPointName;
  const out = {} as Record<BodyPointName, { x: number; y: number }>;
  for (const name of BODY_POINT_NAMES) {
    const source = points[swap(name)];
    out[name] = { x: 1 - source.x, y: source.y };
  }
  return out;
}

/** Rotates every limb segment of a pose by `degrees` (alternating sign), keeping lengths. */
function sloppy(points: PoseTargetPoints, degrees: number): PoseTargetPoints {
  const out: Record<string, { x: number; y: number }> = {};
  for (const name of BODY_POINT_NAMES) out[name] = { x: points[name].x, y: points[name].y };
  const chains: [BodyPointName, BodyPointName, BodyPointName][] = [
    ["leftShoulder", "leftElbow", "leftWrist"],
    ["rightShoulder", "rightElbow", "rightWrist"],
    ["leftHip", "leftKnee", "leftAnkle"],
    ["rightHip", "rightKnee", "rightAnkle"],
  ];
  chains.forEach(([root, mid, end], chain) => {
    const sign = chain % 2 === 0 ? 1 : -1;
    const rotate = (from: { x: number; y: number }, a: { x: number; y: number }, b: { x: number; y: number }) => {
      const angle = Math.atan2(b.y - a.y, b.x - a.x) + (sign * degrees * Math.PI) / 180;
      const length = Math.hypot(b.x - a.x, b.y - a.y);
      return { x: from.x + length * Math.cos(angle), y: from.y + length * Math.sin(angle) };
    };
    const elbow = rotate(out[root]!, points[root], points[mid]);
    const wrist = rotate(elbow, points[mid], points[end]);
    out[mid] = elbow;
    out[end] = wrist;
  });
  return out as PoseTargetPoints;
}

const scorer = new PoseScorer();
const score = (landmarks: readonly (LandmarkLike | undefined)[], target: PoseTarget, aspect = 4 / 3) => {
  const { similarity, confidence } = scorer.score(landmarks, target.prepared, aspect);
  return { similarity, confidence };
};
const target = (id: string): PoseTarget => {
  const found = getPoseTarget(id);
  if (!found) throw new Error(`no target ${id}`);
  return found;
};

describe("pose similarity: doing the pose", () => {
  it("every library pose, done exactly, scores ~1 with full confidence", () => {
    for (const pose of ALL_POSE_TARGETS) {
      const result = score(cameraLandmarks(pose.points), pose);
      expect(result.similarity, pose.id).toBeGreaterThan(0.97);
      expect(result.confidence, pose.id).toBeGreaterThan(0.97);
    }
  });

  it("does not care where the player stands, how big they appear, or the frame shape", () => {
    const pose = target("warrior");
    const placements: Placement[] = [
      { aspect: 4 / 3, scale: 0.5, dx: 0.1, dy: 0.3 },
      { aspect: 3 / 4, scale: 0.7, dx: 0.0, dy: 0.2 },
      { aspect: 16 / 9, scale: 1.0, dx: 0.9, dy: -0.05 },
      { aspect: 1, scale: 0.25, dx: 0.7, dy: 0.7 },
    ];
    for (const placement of placements) {
      expect(score(cameraLandmarks(pose.points, placement), pose, placement.aspect).similarity).toBeGreaterThan(0.999);
    }
  });

  it("needs the frame's real aspect ratio: normalised x and y are different units", () => {
    const pose = target("y-pose");
    const wide = cameraLandmarks(pose.points, { aspect: 16 / 9, scale: 0.9, dx: 0.4 });
    expect(score(wide, pose, 16 / 9).similarity).toBeGreaterThan(0.999);
    // Wrong aspect: the diagonal arms of the Y tilt by ~25 degrees and the score drops out of PERFECT.
    expect(score(wide, pose, 9 / 16).similarity).toBeLessThan(EASY_PERFECT);
    expect(scorer.segmentError[POSE_SEGMENT_NAMES.indexOf("leftUpperArm")]).toBeGreaterThan(0.2);
  });

  it("a sloppy pose (every limb 10 degrees off) is still PERFECT; 20 degrees off still GOOD", () => {
    for (const pose of POSE_TARGETS) {
      expect(score(cameraLandmarks(sloppy(pose.points, 10)), pose).similarity, pose.id).toBeGreaterThanOrEqual(THRESHOLDS.hard.perfect);
      const rough = score(cameraLandmarks(sloppy(pose.points, 20)), pose).similarity;
      expect(rough, pose.id).toBeGreaterThanOrEqual(THRESHOLDS.normal.good);
      expect(rough, pose.id).toBeLessThan(THRESHOLDS.easy.perfect);
    }
  });

  it("a limb pointing the opposite way is a full miss for that limb", () => {
    const pose = target("t-pose");
    const landmarks = cameraLandmarks(target("left-arm-up").points);
    scorer.score(landmarks, pose.prepared, 4 / 3);
    const error = (name: string) => scorer.segmentError[POSE_SEGMENT_NAMES.indexOf(name)];
    expect(error("leftUpperArm")).toBe(1);
    expect(error("rightThigh")).toBe(0);
  });
});

describe("pose similarity: mirror", () => {
  it("the player copies the figure as in a mirror: their LEFT arm goes up for the screen-left arm", () => {
    const leftArmUp = target("left-arm-up");
    // The player's left wrist is up in the raw camera frame on the image's RIGHT side (x > 0.5).
    const camera = cameraLandmarks(leftArmUp.points);
    const leftWrist = camera[BODY_POINTS.leftWrist]!;
    expect(leftWrist.x).toBeGreaterThan(0.5);
    expect(leftWrist.y).toBeLessThan(camera[BODY_POINTS.nose]!.y);
    expect(score(camera, leftArmUp).similarity).toBeGreaterThan(0.97);
  });

  it("raising the other arm does not count for a one-arm target", () => {
    for (const id of ["left-arm-up", "right-arm-up", "salute", "airplane", "tree", "flamingo", "warrior", "side-lunge"]) {
      const pose = target(id);
      const otherSide = cameraLandmarks(anatomicalMirror(pose.points));
      expect(score(otherSide, pose).similarity, id).toBeLessThan(EASY_GOOD);
    }
  });

  it("symmetric poses score the same either way round", () => {
    for (const id of ["t-pose", "hands-up", "star", "y-pose", "hands-on-hips", "muscles", "heart"]) {
      const pose = target(id);
      expect(score(cameraLandmarks(anatomicalMirror(pose.points)), pose).similarity, id).toBeGreaterThan(0.95);
    }
  });

  it("feeding screen coordinates as if they were the camera's (a missing mirror) fails one-arm targets", () => {
    const pose = target("left-arm-up");
    const camera = cameraLandmarks(pose.points).map((landmark) => ({ ...landmark, x: 1 - landmark.x }));
    expect(score(camera, pose).similarity).toBeLessThan(EASY_GOOD);
  });
});

describe("pose similarity: different poses stay apart", () => {
  it("T-pose, hands up and squat are below GOOD against each other, both ways", () => {
    const ids = ["t-pose", "hands-up", "squat"];
    for (const a of ids) {
      for (const b of ids) {
        if (a === b) continue;
        expect(score(cameraLandmarks(target(a).points), target(b)).similarity, `${a} as ${b}`).toBeLessThan(THRESHOLDS.hard.good);
      }
    }
  });

  it("every pair of distinct library poses is below the easiest GOOD (closest pair reported)", () => {
    let closest = { similarity: -1, doing: "", target: "" };
    for (const doing of POSE_TARGETS) {
      for (const wanted of POSE_TARGETS) {
        if (doing === wanted) continue;
        const { similarity } = score(cameraLandmarks(doing.points), wanted);
        expect(similarity, `${doing.id} as ${wanted.id}`).toBeLessThan(EASY_PERFECT);
        if (similarity > closest.similarity) closest = { similarity, doing: doing.id, target: wanted.id };
      }
    }
    console.info(`closest distinct library poses: doing ${closest.doing} for ${closest.target}: ${closest.similarity.toFixed(3)}`);
    expect(closest.similarity).toBeLessThan(EASY_GOOD);
  });
});

describe("pose similarity: missing and unreliable landmarks", () => {
  const pose = target("t-pose");

  it("legs out of view lower confidence, the visible arms still decide similarity", () => {
    const camera = cameraLandmarks(pose.points);
    for (const name of ["leftKnee", "rightKnee", "leftAnkle", "rightAnkle"] as const) {
      camera[BODY_POINTS[name]] = { ...camera[BODY_POINTS[name]]!, y: 1.4, visibility: 0.05 };
    }
    const result = score(camera, pose);
    expect(result.similarity).toBeGreaterThan(0.97);
    expect(result.confidence).toBeLessThan(0.8);
    expect(result.confidence).toBeGreaterThan(0.4);
  });

  it("a truncated landmark list (only the upper body) is fine, with less confidence", () => {
    const camera = cameraLandmarks(pose.points).slice(0, 23);
    const result = score(camera, pose);
    expect(result.similarity).toBeGreaterThan(0.97);
    expect(result.confidence).toBeLessThan(0.8);
  });

  it("garbage in (NaN, holes, nothing) gives finite zeros, never NaN or an exception", () => {
    const withNaN = cameraLandmarks(pose.points).map((landmark, index) => (index % 2 ? { ...landmark, x: Number.NaN } : landmark));
    const holes: (LandmarkLike | undefined)[] = cameraLandmarks(pose.points);
    holes[BODY_POINTS.leftElbow] = undefined;
    holes[BODY_POINTS.rightShoulder] = undefined;
    for (const input of [withNaN, holes, [], cameraLandmarks(pose.points).map((l) => ({ ...l, visibility: Number.NaN }))]) {
      const result = score(input, pose);
      expect(Number.isFinite(result.similarity)).toBe(true);
      expect(Number.isFinite(result.confidence)).toBe(true);
      expect(result.similarity).toBeGreaterThanOrEqual(0);
      expect(result.confidence).toBeLessThan(1);
    }
    expect(score([], pose)).toEqual({ similarity: 0, confidence: 0 });
    expect(score(cameraLandmarks(pose.points), pose, Number.NaN).similarity).toBeGreaterThan(0.9);
  });

  it("all landmarks collapsed onto one point: no direction, zero confidence", () => {
    const collapsed = Array.from({ length: 33 }, () => ({ x: 0.5, y: 0.5, visibility: 1 }));
    expect(score(collapsed, pose)).toEqual({ similarity: 0, confidence: 0 });
  });

  it("landmarks without a visibility field count as visible", () => {
    const camera = cameraLandmarks(pose.points).map(({ x, y }) => ({ x, y }));
    expect(score(camera, pose)).toEqual({ similarity: 1, confidence: 1 });
  });
});

describe("pose similarity: messi5 test targets and the e2e camera", () => {
  const messi = target("test-messi5");
  const image = measured.messi5Image;
  const video = measured.messi5Video;

  it("test-messi5 is the image's own landmarks mirrored onto the screen (x flipped, labels kept)", () => {
    // Raw model output: Messi's left wrist is on the image's right; on screen it is on the left.
    const rawLeftWrist = image.pose.landmarks[BODY_POINTS.leftWrist]!;
    expect(rawLeftWrist.x).toBeGreaterThan(0.5);
    expect(messi.points.leftWrist.x).toBeLessThan(0.5);
    expect(messi.testOnly).toBe(true);
    expect(messi.source).toMatchObject({ image: "e2e/fixtures/messi5.jpg", model: "pose_landmarker_lite", tasksVision: "1.1.0", mode: "IMAGE" });
    expect(score(image.pose.landmarks, messi, image.width / image.height)).toEqual({ similarity: 1, confidence: 1 });
  });

  it("the same landmarks letterboxed into the 640x480 fake camera still score ~1", () => {
    const { scale, offsetX, offsetY } = video.letterbox;
    expect(offsetY).toBeGreaterThan(39);
    expect(offsetY).toBeLessThan(41);
    const letterboxed = image.pose.landmarks.map((landmark) => ({
      ...landmark,
      x: (offsetX + landmark.x * image.width * scale) / 640,
      y: (offsetY + landmark.y * image.height * scale) / 480,
    }));
    const result = score(letterboxed, messi, 640 / 480);
    expect(result.similarity).toBeGreaterThan(0.999);
    expect(result.confidence).toBeGreaterThan(0.99);
  });

  it("the real model on the letterboxed fake camera earns PERFECT (easy) on both test targets", () => {
    for (const id of ["test-messi5", "test-messi5-alt"]) {
      const result = score(video.pose.landmarks, target(id), video.width / video.height);
      expect(result.similarity, id).toBeGreaterThanOrEqual(EASY_PERFECT);
      expect(result.confidence, id).toBeGreaterThan(0.95);
    }
  });

  it("the fake camera does not accidentally match any regular library pose", () => {
    for (const pose of POSE_TARGETS) {
      expect(score(video.pose.landmarks, pose, video.width / video.height).similarity, pose.id).toBeLessThan(EASY_GOOD);
    }
  });
});

describe("pose similarity: plumbing", () => {
  it("normalisePose centres at mid-hip and scales the torso to 1, mirrored", () => {
    const out = new Float64Array(POSE_SLOT_COUNT * 3);
    const camera = cameraLandmarks(target("t-pose").points, { aspect: 4 / 3, scale: 0.6 });
    const torso = normalisePose(camera, 4 / 3, out);
    expect(torso).toBeCloseTo(0.6 * 0.26, 6);
    const midShoulder = POSE_SLOT_COUNT - 2;
    const midHip = POSE_SLOT_COUNT - 1;
    expect(out[midHip * 3]).toBeCloseTo(0, 9);
    expect(out[midHip * 3 + 1]).toBeCloseTo(0, 9);
    expect(Math.hypot(out[midShoulder * 3]!, out[midShoulder * 3 + 1]!)).toBeCloseTo(1, 9);
    // Slot 5 is leftWrist: on the screen's left (negative x) after mirroring.
    expect(BODY_POINT_NAMES[5]).toBe("leftWrist");
    expect(out[5 * 3]).toBeLessThan(-1);
  });

  it("reuses one result object per scorer (nothing allocated per frame for the caller to collect)", () => {
    const pose = target("t-pose");
    const camera = cameraLandmarks(pose.points);
    const first = scorer.score(camera, pose.prepared, 4 / 3);
    const second = scorer.score(camera, target("squat").prepared, 4 / 3);
    expect(second).toBe(first);
  });

  it("a target with an unseen point ignores the segments that need it", () => {
    const points = { ...target("t-pose").points, leftWrist: { x: 0.15, y: 0.29, v: 0 } };
    const prepared = preparePoseTarget(points);
    expect(prepared.weight[POSE_SEGMENT_NAMES.indexOf("leftForearm")]).toBe(0);
    expect(prepared.weight[POSE_SEGMENT_NAMES.indexOf("leftUpperArm")]).toBeGreaterThan(0);
  });
});
