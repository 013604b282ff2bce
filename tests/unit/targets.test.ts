import { describe, expect, it } from "vitest";
import { TEST_PLAYLISTS } from "@/core/playlist";
import { BODY_POINT_NAMES, POSE_BONES } from "@/core/scoring/bodyPoints";
import { rawToScreenTargetPoints } from "@/core/targets/derive";
import { ALL_HAND_TARGETS, HAND_TARGETS } from "@/core/targets/handLibrary";
import { HEAD_AREA, HEAD_CIRCLE_RADIUS, TEST_HEAD_TARGETS, generateHeadTargets, getHeadTarget } from "@/core/targets/headLibrary";
import measured from "@/core/targets/measured.json";
import { pickTargets, resolveTarget, type TargetRef } from "@/core/targets/pick";
import { ALL_POSE_TARGETS, POSE_TARGETS, getPoseTarget, posesFileSchema } from "@/core/targets/poseLibrary";
import posesJson from "@/core/targets/poses.json";
import { mulberry32 } from "@/core/targets/random";

const hasHangul = (text: string): boolean => /[\uac00-\ud7a3]/.test(text);

describe("pose library", () => {
  it("has at least 14 real poses, each named in Korean and English, of every difficulty", () => {
    expect(POSE_TARGETS.length).toBeGreaterThanOrEqual(14);
    for (const pose of POSE_TARGETS) {
      expect(hasHangul(pose.name.ko), pose.id).toBe(true);
      expect(pose.name.en.length).toBeGreaterThan(0);
    }
    for (const difficulty of ["easy", "normal", "hard"] as const) {
      expect(
        POSE_TARGETS.some((pose) => pose.difficulty === difficulty),
        difficulty,
      ).toBe(true);
    }
    for (const id of [
      "t-pose",
      "hands-up",
      "star",
      "tree",
      "squat",
      "left-arm-up",
      "right-arm-up",
      "airplane",
      "warrior",
      "y-pose",
      "hands-on-hips",
      "arms-x",
      "salute",
      "side-lunge",
      "flamingo",
    ]) {
      expect(getPoseTarget(id), id).toBeDefined();
    }
  });

  it("every pose places all 13 body points inside the picture", () => {
    const outside = ALL_POSE_TARGETS.flatMap((pose) =>
      BODY_POINT_NAMES.filter((name) => {
        const { x, y } = pose.points[name];
        return !(x >= 0 && x <= 1 && y >= 0 && y <= 1);
      }).map((name) => `${pose.id}.${name}`),
    );
    expect(outside).toEqual([]);
  });

  it("is drawn as the player's mirror image: the player's left side on the screen's left", () => {
    const leftArmUp = getPoseTarget("left-arm-up")!;
    expect(leftArmUp.points.leftWrist.x).toBeLessThan(0.5);
    expect(leftArmUp.points.leftWrist.y).toBeLessThan(leftArmUp.points.nose.y);
    expect(leftArmUp.points.rightWrist.y).toBeGreaterThan(leftArmUp.points.rightShoulder.y);
    for (const pose of POSE_TARGETS) expect(pose.points.leftShoulder.x, pose.id).toBeLessThan(pose.points.rightShoulder.x);
    // The Korean salute is with the right hand: near the head, on the screen's right.
    const salute = getPoseTarget("salute")!;
    expect(salute.points.rightWrist.y).toBeLessThan(salute.points.rightShoulder.y);
    expect(salute.points.rightElbow.x).toBeGreaterThan(salute.points.rightShoulder.x);
  });

  it("exports bones between known body points, and test-only targets are flagged", () => {
    const indices = new Set<number>([0, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]);
    for (const [a, b] of POSE_BONES) {
      expect(indices.has(a) && indices.has(b)).toBe(true);
    }
    expect(POSE_BONES.length).toBe(12);
    expect(ALL_POSE_TARGETS.filter((pose) => pose.testOnly).map((pose) => pose.id)).toEqual(["test-messi5", "test-messi5-alt"]);
    expect(POSE_TARGETS.some((pose) => pose.id.startsWith("test-"))).toBe(false);
  });

  it("rejects a broken poses.json (missing point, duplicate id, point far off)", () => {
    expect(posesFileSchema.safeParse(posesJson).success).toBe(true);
    const first = posesJson.targets[0]!;
    const { nose: _nose, ...withoutNose } = first.points;
    expect(posesFileSchema.safeParse({ ...posesJson, targets: [{ ...first, points: withoutNose }] }).success).toBe(false);
    expect(posesFileSchema.safeParse({ ...posesJson, targets: [first, first] }).success).toBe(false);
    const far = { ...first, points: { ...first.points, nose: { x: 7, y: 0.1 } } };
    expect(posesFileSchema.safeParse({ ...posesJson, targets: [far] }).success).toBe(false);
  });

  it("test-messi5 is exactly what the derivation gives from the measured landmarks", () => {
    const image = measured.messi5Image;
    const derived = rawToScreenTargetPoints(
      image.pose.landmarks.map(({ x, y, visibility }) => ({ x, y, visibility })),
      image.width,
      image.height,
    );
    expect(getPoseTarget("test-messi5")!.points).toEqual(derived);
    // Square target space: the 548x342 image's 342 px fill the middle 62% vertically.
    expect(derived.nose.x).toBeCloseTo(1 - image.pose.landmarks[0]!.x, 3);
    expect(derived.nose.y).toBeCloseTo((image.pose.landmarks[0]!.y * 342 + (548 - 342) / 2) / 548, 3);
    expect(measured.tasksVisionVersion).toBe("1.1.0");
  });
});

describe("hand and head libraries", () => {
  it("has at least 6 real hand signs, named in Korean and English, with distinct ids", () => {
    expect(HAND_TARGETS.length).toBeGreaterThanOrEqual(6);
    for (const hand of HAND_TARGETS) {
      expect(hasHangul(hand.name.ko), hand.id).toBe(true);
      expect(hand.emoji.length).toBeGreaterThan(0);
    }
    expect(new Set(ALL_HAND_TARGETS.map((hand) => hand.id)).size).toBe(ALL_HAND_TARGETS.length);
    for (let n = 1; n <= 5; n++)
      expect(
        HAND_TARGETS.find((hand) => hand.sign.count === n),
        `fingers-${n}`,
      ).toBeDefined();
  });

  it("generates head circles deterministically, inside the safe area, each a move away from the last", () => {
    const a = generateHeadTargets(42, 12, "normal");
    expect(generateHeadTargets(42, 12, "normal")).toEqual(a);
    expect(generateHeadTargets(43, 12, "normal")).not.toEqual(a);
    expect(new Set(a.map((target) => target.id)).size).toBe(12);
    a.forEach((target, index) => {
      const { x, y, radius } = target.circle;
      expect(radius).toBe(HEAD_CIRCLE_RADIUS.normal);
      expect(x).toBeGreaterThanOrEqual(HEAD_AREA.minX);
      expect(x).toBeLessThanOrEqual(HEAD_AREA.maxX);
      expect(y).toBeGreaterThanOrEqual(HEAD_AREA.minY);
      expect(y).toBeLessThanOrEqual(HEAD_AREA.maxY);
      const previous = a[index - 1];
      if (previous) expect(Math.hypot(x - previous.circle.x, y - previous.circle.y)).toBeGreaterThanOrEqual(0.15);
    });
    expect(HEAD_CIRCLE_RADIUS.easy).toBeGreaterThan(HEAD_CIRCLE_RADIUS.hard);
  });

  it("rebuilds a generated head target from its id alone", () => {
    for (const target of generateHeadTargets(0xdeadbeef, 6, "hard")) expect(getHeadTarget(target.id)).toEqual(target);
    expect(getHeadTarget(TEST_HEAD_TARGETS[0]!.id)).toBe(TEST_HEAD_TARGETS[0]);
    for (const bad of ["head-easy-1-99", "head-weird-1-0", "head-easy-99999999999-0", "nope"]) expect(getHeadTarget(bad)).toBeUndefined();
  });
});

describe("pickTargets", () => {
  const ids = (refs: TargetRef[]) => refs.map((ref) => ref.targetId);

  it("is deterministic for a seed and varies with it", () => {
    const a = pickTargets(["pose", "hand", "head"], 9, "normal", 7);
    expect(pickTargets(["pose", "hand", "head"], 9, "normal", 7)).toEqual(a);
    const others = [8, 9, 10, 11].map((seed) => ids(pickTargets(["pose", "hand", "head"], 9, "normal", seed)).join());
    expect(new Set([ids(a).join(), ...others]).size).toBeGreaterThan(3);
  });

  it("goes round-robin over the kinds, never repeats, and every ref resolves", () => {
    for (let seed = 0; seed < 50; seed++) {
      const refs = pickTargets(["hand", "pose"], 12, "hard", seed);
      expect(refs.map((ref) => ref.kind)).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? "hand" : "pose")));
      expect(new Set(ids(refs)).size).toBe(12);
      for (const ref of refs) {
        const target = resolveTarget(ref);
        expect(target?.kind).toBe(ref.kind);
        expect(target?.testOnly).toBe(false);
      }
    }
  });

  it("fills a 12-round match of one kind without repeating", () => {
    for (const kind of ["pose", "hand", "head"] as const) {
      for (const difficulty of ["easy", "normal", "hard"] as const) {
        const refs = pickTargets([kind], 12, difficulty, 123);
        expect(new Set(ids(refs)).size, `${kind} ${difficulty}`).toBe(12);
      }
    }
  });

  it("prefers the match's difficulty", () => {
    for (let seed = 0; seed < 20; seed++) {
      const easy = pickTargets(["pose"], 5, "easy", seed).map((ref) => resolveTarget(ref)!);
      expect(easy.every((target) => target.difficulty === "easy")).toBe(true);
      const hard = pickTargets(["pose"], 3, "hard", seed).map((ref) => resolveTarget(ref)!);
      expect(hard.every((target) => target.difficulty === "hard")).toBe(true);
    }
  });

  it("uses test-only targets only when asked, and then first", () => {
    const plain = pickTargets(["pose", "hand", "head"], 12, "easy", 1);
    expect(plain.some((ref) => ref.targetId.startsWith("test-"))).toBe(false);
    expect(ids(pickTargets(["pose"], 2, "easy", 1, { includeTestOnly: true }))).toEqual(["test-messi5", "test-messi5-alt"]);
    expect(ids(pickTargets(["pose", "hand", "head"], 3, "easy", 99, { includeTestOnly: true }))).toEqual([
      "test-messi5",
      "test-messi5-hand",
      "test-astronaut-face",
    ]);
    const more = pickTargets(["pose"], 5, "easy", 1, { includeTestOnly: true });
    expect(ids(more).slice(0, 2)).toEqual(["test-messi5", "test-messi5-alt"]);
    expect(new Set(ids(more)).size).toBe(5);
  });

  it("the fixed test playlists name targets that exist", () => {
    for (const [id, playlist] of Object.entries(TEST_PLAYLISTS)) {
      const targets: readonly TargetRef[] = (playlist as { targets?: readonly TargetRef[] }).targets ?? [];
      for (const ref of targets) expect(resolveTarget(ref), `${id}: ${ref.targetId}`).toBeDefined();
    }
  });

  it("refuses impossible requests instead of repeating", () => {
    expect(() => pickTargets([], 3, "easy", 1)).toThrow(RangeError);
    expect(() => pickTargets(["pose"], -1, "easy", 1)).toThrow(RangeError);
    expect(() => pickTargets(["pose"], 2.5, "easy", 1)).toThrow(RangeError);
    expect(() => pickTargets(["pose", "hand"], 60, "easy", 1)).toThrow(RangeError);
    expect(pickTargets(["pose"], 0, "easy", 1)).toEqual([]);
    // A kind that runs out hands its rounds to the next kind.
    const refs = pickTargets(["hand", "head"], 30, "easy", 5);
    expect(new Set(ids(refs)).size).toBe(30);
    expect(refs.filter((ref) => ref.kind === "hand")).toHaveLength(HAND_TARGETS.length);
  });
});

describe("seeded random", () => {
  it("mulberry32 is deterministic and roughly uniform", () => {
    const a = mulberry32(2024);
    const b = mulberry32(2024);
    const values = Array.from({ length: 10_000 }, () => a());
    expect(Array.from({ length: 10_000 }, () => b())).toEqual(values);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    const buckets = new Array<number>(10).fill(0);
    for (const value of values) buckets[Math.floor(value * 10)]!++;
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
