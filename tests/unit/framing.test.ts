import { describe, expect, it } from "vitest";
import {
  DARK_FRAME_LUMA,
  FRAMING_BODY_JOINTS,
  checkFraming,
  framingCheckDelay,
  isJointSeen,
  meanLuma,
  nextFramingStatus,
  requiredFramingParts,
  type FramingLandmark,
} from "@/core/framing";
import measured from "@/core/targets/measured.json";

// What pose lite found on the messi5 fake camera (VIDEO mode, the e2e camera frame): a footballer
// whose whole body, feet included, is in the picture.
const messiPose: FramingLandmark[] = measured.messi5Video.pose.landmarks;

/** messi5's pose with the given joints moved below the picture (as when a player stands too close). */
function cutOff(names: (keyof typeof FRAMING_BODY_JOINTS)[]): FramingLandmark[] {
  const pose = messiPose.map((landmark) => ({ ...landmark }));
  for (const name of names) {
    const index = FRAMING_BODY_JOINTS[name];
    pose[index] = { x: pose[index]!.x, y: name.includes("Shoulder") || name.includes("Hip") ? -0.2 : 1.3, visibility: 0.2 };
  }
  return pose;
}

describe("what a playlist needs in the picture", () => {
  it("maps pose rounds to the body, hand rounds to a hand and head rounds to the face, once each", () => {
    expect(requiredFramingParts(["pose"])).toEqual(["body"]);
    expect(requiredFramingParts(["head", "hand", "pose"])).toEqual(["body", "hand", "face"]);
    expect(requiredFramingParts(["hand", "hand"])).toEqual(["hand"]);
  });
});

describe("a joint counts as seen", () => {
  it("when visible enough and inside the picture", () => {
    expect(isJointSeen({ x: 0.5, y: 0.99, visibility: 0.9 })).toBe(true);
    expect(isJointSeen({ x: 0.5, y: 0.5, visibility: 0.3 })).toBe(false);
    expect(isJointSeen({ x: 0.5, y: 1.2, visibility: 0.9 })).toBe(false);
    expect(isJointSeen({ x: -0.1, y: 0.5, visibility: 0.9 })).toBe(false);
    expect(isJointSeen({ x: Number.NaN, y: 0.5, visibility: 0.9 })).toBe(false);
    expect(isJointSeen(undefined)).toBe(false);
  });
});

describe("checkFraming", () => {
  it("passes messi5's measured pose for pose rounds", () => {
    const result = checkFraming(["pose"], { pose: messiPose, meanLuma: 110 });
    expect(result).toMatchObject({ ok: true, missingJoints: [], instruction: null });
  });

  it("asks to step into view when nobody is there (the empty scene)", () => {
    const result = checkFraming(["pose"], { pose: null, meanLuma: 128 });
    expect(result.ok).toBe(false);
    expect(result.missingJoints).toHaveLength(8);
    expect(result.instruction).toBe("stepIntoView");
  });

  it("asks to step back when the feet are cut off, naming the missing joints", () => {
    const result = checkFraming(["pose"], { pose: cutOff(["leftAnkle", "rightAnkle"]) });
    expect(result.ok).toBe(false);
    expect(result.missingJoints).toEqual(["leftAnkle", "rightAnkle"]);
    expect(result.instruction).toBe("stepBackFeet");
  });

  it("says the shoulders when only the upper body is cut off, the feet when both ends are", () => {
    expect(checkFraming(["pose"], { pose: cutOff(["leftShoulder", "rightShoulder"]) }).instruction).toBe("stepBackShoulders");
    expect(checkFraming(["pose"], { pose: cutOff(["leftShoulder", "leftKnee"]) }).instruction).toBe("stepBackFeet");
  });

  it("asks for more light first when the picture is dark", () => {
    const result = checkFraming(["pose", "hand"], { pose: null, hands: 0, meanLuma: DARK_FRAME_LUMA - 1 });
    expect(result.tooDark).toBe(true);
    expect(result.instruction).toBe("moreLight");
    // A dark picture that shows everything needed passes: light is only advice when something is missing.
    expect(checkFraming(["pose"], { pose: messiPose, meanLuma: 20 }).ok).toBe(true);
  });

  it("asks for a hand in hand rounds and the face in head rounds", () => {
    expect(checkFraming(["hand"], { hands: 0 }).instruction).toBe("raiseHand");
    expect(checkFraming(["hand"], { hands: 1 }).ok).toBe(true);
    expect(checkFraming(["head"], { face: false }).instruction).toBe("faceCamera");
    expect(checkFraming(["head"], { face: true }).ok).toBe(true);
  });

  it("puts the body first, then the hand, then the face", () => {
    expect(checkFraming(["pose", "hand", "head"], { pose: null, hands: 0, face: false }).instruction).toBe("stepIntoView");
    expect(checkFraming(["pose", "hand", "head"], { pose: messiPose, hands: 0, face: false }).instruction).toBe("raiseHand");
    // messi5 on the fake camera: body and hand found, the face too small for the short-range detector.
    const messi = checkFraming(["pose", "hand", "head"], { pose: messiPose, hands: 1, face: measured.messi5Video.face.box !== null });
    expect(messi).toMatchObject({ ok: false, missingJoints: [], handMissing: false, faceMissing: true, instruction: "faceCamera" });
  });

  it("ignores what the playlist does not need", () => {
    expect(checkFraming(["head"], { pose: null, hands: 0, face: true }).ok).toBe(true);
    expect(checkFraming(["hand"], { pose: null, hands: 2, face: false }).missingJoints).toEqual([]);
  });
});

describe("framing status", () => {
  it("stays final once passed or skipped", () => {
    expect(nextFramingStatus(null, { ok: false })).toBe("adjusting");
    expect(nextFramingStatus("adjusting", { ok: true })).toBe("ok");
    expect(nextFramingStatus("ok", { ok: false })).toBe("ok");
    expect(nextFramingStatus("skipped", { ok: true })).toBe("skipped");
  });
});

describe("helpers", () => {
  it("measures mean luma of RGBA pixels", () => {
    expect(meanLuma([255, 255, 255, 255, 0, 0, 0, 255])).toBeCloseTo(127.5, 5);
    expect(meanLuma([128, 128, 128, 255])).toBeCloseTo(128, 5);
    expect(meanLuma([])).toBeNaN();
  });

  it("spaces detections out by what the last one cost", () => {
    expect(framingCheckDelay(20)).toBe(1000);
    expect(framingCheckDelay(400)).toBe(1600);
    expect(framingCheckDelay(Number.NaN)).toBe(1000);
  });
});
