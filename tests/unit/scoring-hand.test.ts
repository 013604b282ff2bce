import { describe, expect, it } from "vitest";
import { HandScorer, type FingerState } from "@/core/scoring/handScore";
import { THRESHOLDS } from "@/core/scoring/hold";
import type { LandmarkLike } from "@/core/scoring/types";
import { HAND_TARGETS, getHandTarget, type HandTarget } from "@/core/targets/handLibrary";
import measured from "@/core/targets/measured.json";

const EASY_GOOD = THRESHOLDS.easy.good;
const EASY_PERFECT = THRESHOLDS.easy.perfect;

// ---------------------------------------------------------------------------------------------
// A synthetic 3D hand (palm length 1, right hand, palm facing the camera, fingers up), bent per
// finger, turned in 3D and projected like the hand landmarker's output on a 4:3 frame.

type Vec = [number, number, number];
const add = (a: Vec, b: Vec, k = 1): Vec => [a[0] + k * b[0], a[1] + k * b[1], a[2] + k * b[2]];
const dot = (a: Vec, b: Vec): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit = (a: Vec): Vec => {
  const length = Math.hypot(...a);
  return [a[0] / length, a[1] / length, a[2] / length];
};
/** Turns `d` towards `toward` by `degrees` (in the plane they span). */
function turn(d: Vec, toward: Vec, degrees: number): Vec {
  const perpendicular = unit(add(toward, d, -dot(toward, d)));
  const r = (degrees * Math.PI) / 180;
  return add([d[0] * Math.cos(r), d[1] * Math.cos(r), d[2] * Math.cos(r)], perpendicular, Math.sin(r));
}

/** Folding a finger bends it towards the palm side, i.e. towards the camera (-z). */
const PALM_NORMAL: Vec = [0, 0, -1];
const FINGERS = [
  { mcp: [0.3, 0.92, 0] as Vec, dir: [0.12, 1, 0] as Vec, lengths: [0.42, 0.25, 0.2] },
  { mcp: [0.07, 1.0, 0] as Vec, dir: [0.02, 1, 0] as Vec, lengths: [0.46, 0.28, 0.21] },
  { mcp: [-0.14, 0.95, 0] as Vec, dir: [-0.08, 1, 0] as Vec, lengths: [0.43, 0.27, 0.2] },
  { mcp: [-0.33, 0.84, 0] as Vec, dir: [-0.2, 1, 0] as Vec, lengths: [0.34, 0.2, 0.18] },
];
const STRAIGHT = [8, 6, 4];
const FOLDED = [80, 100, 60];
const THUMB_CMC: Vec = [0.2, 0.15, -0.03];
const THUMB_LENGTHS = [0.42, 0.3, 0.25];
/** An extended thumb sticks out sideways and a little up, bending (slightly) towards the palm. */
const THUMB_OUT: Vec = unit([0.82, 0.55, -0.15]);
const THUMB_TUCK: Vec = unit([-0.6, 0.2, -0.75]);

interface HandSpec {
  /** Thumb first. */
  fingers: [FingerState, FingerState, FingerState, FingerState, FingerState];
  /** Index/middle spread apart (a V). */
  spread?: boolean;
  /** OK sign: index bent so its tip meets the thumb tip. */
  ring?: boolean;
  /** Degrees: roll turns the hand in the image plane (positive = counter-clockwise on screen). */
  roll?: number;
  pitch?: number;
  yaw?: number;
  /** Hand pointing its thumb straight up before roll (thumbs-up). */
  thumbToTop?: boolean;
}

function localHand(spec: HandSpec): Vec[] {
  const points: Vec[] = Array.from({ length: 21 }, () => [0, 0, 0] as Vec);
  FINGERS.forEach((finger, f) => {
    let dir = unit(finger.dir);
    if (spec.spread && f === 0) dir = unit([0.4, 1, 0]);
    if (spec.spread && f === 1) dir = unit([-0.12, 1, 0]);
    const flex = spec.ring && f === 0 ? [35, 55, 35] : spec.fingers[f + 1] === "down" ? FOLDED : STRAIGHT;
    let at = finger.mcp;
    points[5 + 4 * f] = at;
    let total = 0;
    for (let j = 0; j < 3; j++) {
      total += flex[j] as number;
      const d = turn(dir, PALM_NORMAL, total);
      at = add(at, d, finger.lengths[j]);
      points[6 + 4 * f + j] = at;
    }
  });
  points[1] = THUMB_CMC;
  if (spec.ring) {
    // Thumb reaching the index tip with a slight bow.
    const tip = points[8] as Vec;
    const span = add(tip, THUMB_CMC, -1);
    points[2] = add(add(THUMB_CMC, span, 0.45), [0.08, -0.02, 0]);
    points[3] = add(add(THUMB_CMC, span, 0.75), [0.05, -0.01, 0]);
    points[4] = add(tip, [0.02, 0, 0]);
  } else if (spec.fingers[0] === "down") {
    // Laid across the front of the folded index/middle fingers (or the palm, if they are up).
    const fingersDown = spec.fingers[1] === "down";
    points[2] = [0.38, 0.45, -0.2];
    points[3] = fingersDown ? [0.35, 0.72, -0.42] : [0.3, 0.62, -0.25];
    points[4] = fingersDown ? [0.15, 0.86, -0.52] : [0.02, 0.62, -0.15];
  } else {
    // Out to the side, nearly straight (5 degrees at MCP and IP).
    let d = THUMB_OUT;
    let at = THUMB_CMC;
    for (let j = 0; j < 3; j++) {
      if (j > 0) d = turn(d, THUMB_TUCK, 5);
      at = add(at, d, THUMB_LENGTHS[j]);
      points[2 + j] = at;
    }
  }
  return points;
}

function rotate(points: Vec[], rollDeg: number, pitchDeg: number, yawDeg: number): Vec[] {
  const [r, p, y] = [rollDeg, pitchDeg, yawDeg].map((deg) => (deg * Math.PI) / 180) as [number, number, number];
  return points.map(([x0, y0, z0]) => {
    // pitch about x, then yaw about y, then roll about z (the camera axis).
    const y1 = y0 * Math.cos(p) - z0 * Math.sin(p);
    const z1 = y0 * Math.sin(p) + z0 * Math.cos(p);
    const x2 = x0 * Math.cos(y) + z1 * Math.sin(y);
    const z2 = -x0 * Math.sin(y) + z1 * Math.cos(y);
    const x3 = x2 * Math.cos(r) - y1 * Math.sin(r);
    const y3 = x2 * Math.sin(r) + y1 * Math.cos(r);
    return [x3, y3, z2];
  });
}

const ASPECT = 4 / 3;
/** Projects to landmarker output on a 640x480 frame: x, y normalised, z on x's scale, y down. */
function makeHand(spec: HandSpec): LandmarkLike[] {
  let points = localHand(spec);
  if (spec.thumbToTop) {
    const thumb = add(points[4] as Vec, points[2] as Vec, -1);
    points = rotate(points, (Math.atan2(thumb[0], thumb[1]) * 180) / Math.PI, 0, 0);
  }
  points = rotate(points, spec.roll ?? 0, spec.pitch ?? 0, spec.yaw ?? 0);
  const size = 0.22;
  // tasks-vision hand landmarks carry visibility 0: the scorer must not rely on it.
  return points.map(([x, y, z]) => ({ x: (0.7 + size * x) / ASPECT, y: 0.6 - size * y, z: (size * z) / ASPECT, visibility: 0 }));
}

const scorer = new HandScorer();
const score = (hand: readonly LandmarkLike[], target: HandTarget) => {
  const { similarity, confidence } = scorer.score(hand, target.sign, ASPECT);
  return { similarity, confidence };
};
const target = (id: string): HandTarget => {
  const found = getHandTarget(id);
  if (!found) throw new Error(`no target ${id}`);
  return found;
};

const FIST: HandSpec = { fingers: ["down", "down", "down", "down", "down"] };
const FIVE: HandSpec = { fingers: ["up", "up", "up", "up", "up"] };
const THUMBS_UP: HandSpec = { fingers: ["up", "down", "down", "down", "down"], thumbToTop: true };

describe("hand signs: thumbs up, fist and five fingers", () => {
  const cases: [string, HandSpec][] = [
    ["thumbs-up", THUMBS_UP],
    ["fist", FIST],
    ["fingers-5", FIVE],
  ];

  it("each sign is PERFECT for its own target and below GOOD for the other two", () => {
    for (const [doingId, spec] of cases) {
      const hand = makeHand(spec);
      for (const [wantedId] of cases) {
        const { similarity, confidence } = score(hand, target(wantedId));
        expect(confidence).toBe(1);
        if (doingId === wantedId) expect(similarity, `${doingId}`).toBeGreaterThanOrEqual(EASY_PERFECT);
        else expect(similarity, `${doingId} as ${wantedId}`).toBeLessThan(EASY_GOOD);
      }
    }
  });

  it("stay distinguishable when the hand is turned (roll, pitch, yaw)", () => {
    const turns = [
      { roll: 0, pitch: 0, yaw: 0 },
      { roll: 40, pitch: 20, yaw: -30 },
      { roll: -60, pitch: -25, yaw: 35 },
      { roll: 90, pitch: 10, yaw: 20 },
      { roll: 15, pitch: 30, yaw: -40 },
    ];
    for (const angles of turns) {
      const fist = makeHand({ ...FIST, ...angles });
      const five = makeHand({ ...FIVE, ...angles });
      expect(score(fist, target("fist")).similarity, JSON.stringify(angles)).toBeGreaterThanOrEqual(THRESHOLDS.normal.perfect);
      expect(score(five, target("fingers-5")).similarity, JSON.stringify(angles)).toBeGreaterThanOrEqual(THRESHOLDS.normal.perfect);
      expect(score(fist, target("fingers-5")).similarity).toBeLessThan(EASY_GOOD);
      expect(score(five, target("fist")).similarity).toBeLessThan(EASY_GOOD);
    }
    // Thumbs-up tolerates a tilt of the thumb, not a sideways or downward thumb.
    for (const angles of [
      { roll: 20, pitch: 20, yaw: 30 },
      { roll: -20, pitch: -15, yaw: -30 },
    ]) {
      expect(score(makeHand({ ...THUMBS_UP, ...angles }), target("thumbs-up")).similarity).toBeGreaterThanOrEqual(EASY_PERFECT);
    }
  });

  it("a thumb pointing down or sideways is not a thumbs-up", () => {
    expect(score(makeHand({ ...THUMBS_UP, roll: 180 }), target("thumbs-up")).similarity).toBeLessThan(EASY_GOOD);
    expect(score(makeHand({ ...THUMBS_UP, roll: 90 }), target("thumbs-up")).similarity).toBeLessThan(THRESHOLDS.normal.good);
  });

  it("does not depend on the mirror: flipping the image gives the same score", () => {
    for (const spec of [THUMBS_UP, FIST, FIVE]) {
      const hand = makeHand(spec);
      const flipped = hand.map((p) => ({ ...p, x: 1 - p.x }));
      for (const id of ["thumbs-up", "fist", "fingers-5"]) {
        expect(score(flipped, target(id)).similarity).toBeCloseTo(score(hand, target(id)).similarity, 9);
      }
    }
  });
});

describe("hand signs: counting and shapes", () => {
  it("'show N fingers' accepts any N fingers and refuses N-1 or N+1", () => {
    const three: HandSpec[] = [{ fingers: ["down", "up", "up", "up", "down"] }, { fingers: ["up", "up", "up", "down", "down"] }];
    for (const spec of three) {
      const hand = makeHand({ ...spec, roll: 10 });
      expect(score(hand, target("fingers-3")).similarity).toBeGreaterThanOrEqual(EASY_PERFECT);
      expect(score(hand, target("fingers-2")).similarity).toBeLessThan(EASY_GOOD);
      expect(score(hand, target("fingers-4")).similarity).toBeLessThan(EASY_GOOD);
    }
    expect(score(makeHand({ fingers: ["down", "up", "down", "down", "down"] }), target("fingers-1")).similarity).toBeGreaterThanOrEqual(EASY_PERFECT);
  });

  it("peace needs the two fingers spread; two fingers together are only 'two fingers'", () => {
    const v = makeHand({ fingers: ["down", "up", "up", "down", "down"], spread: true });
    const together = makeHand({ fingers: ["down", "up", "up", "down", "down"] });
    expect(score(v, target("peace")).similarity).toBeGreaterThanOrEqual(EASY_PERFECT);
    expect(score(v, target("fingers-2")).similarity).toBeGreaterThanOrEqual(EASY_PERFECT);
    expect(score(together, target("fingers-2")).similarity).toBeGreaterThanOrEqual(EASY_PERFECT);
    expect(score(together, target("peace")).similarity).toBeLessThan(EASY_GOOD);
  });

  it("OK sign: thumb and index tips together, the other three up", () => {
    const ok = makeHand({ fingers: ["any", "any", "up", "up", "up"], ring: true });
    expect(score(ok, target("ok")).similarity).toBeGreaterThanOrEqual(EASY_PERFECT);
    expect(score(makeHand(FIVE), target("ok")).similarity).toBeLessThan(EASY_GOOD);
  });

  it("targets that disagree on a finger are below GOOD for each other's hand", () => {
    const fingerTargets = HAND_TARGETS.filter((t) => t.sign.fingers && !t.sign.thumbIndexTouch);
    const handFor = (t: HandTarget): LandmarkLike[] => {
      const fingers = t.sign.fingers!.map((state) => (state === "any" ? "down" : state)) as HandSpec["fingers"];
      return makeHand({ fingers, spread: t.sign.spread, thumbToTop: t.sign.thumbUp });
    };
    let closest = { similarity: -1, pair: "" };
    for (const doing of fingerTargets) {
      const hand = handFor(doing);
      expect(score(hand, doing).similarity, doing.id).toBeGreaterThanOrEqual(EASY_PERFECT);
      for (const wanted of fingerTargets) {
        if (wanted === doing) continue;
        const conflict = doing.sign.fingers!.some((state, f) => {
          const other = wanted.sign.fingers![f];
          return state !== "any" && other !== "any" && state !== other;
        });
        if (!conflict) continue;
        const { similarity } = score(hand, wanted);
        expect(similarity, `${doing.id} as ${wanted.id}`).toBeLessThan(EASY_GOOD);
        if (similarity > closest.similarity) closest = { similarity, pair: `${doing.id} as ${wanted.id}` };
      }
    }
    console.info(`closest conflicting hand signs: ${closest.pair}: ${closest.similarity.toFixed(3)}`);
  });
});

describe("hand signs: the real messi5 hand and bad input", () => {
  it("the landmarker's open hand on messi5 (image and fake camera) is an open hand, not a fist", () => {
    const samples = [
      { hand: measured.messi5Image.hand.landmarks, aspect: measured.messi5Image.width / measured.messi5Image.height },
      { hand: measured.messi5Video.hand.landmarks, aspect: measured.messi5Video.width / measured.messi5Video.height },
    ];
    for (const { hand, aspect } of samples) {
      expect(hand).toHaveLength(21);
      const at = (id: string) => scorer.score(hand ?? [], target(id).sign, aspect).similarity;
      expect(at("test-messi5-hand")).toBeGreaterThanOrEqual(EASY_PERFECT);
      expect(at("test-messi5-hand-alt")).toBeGreaterThanOrEqual(EASY_PERFECT);
      expect(at("fingers-5")).toBeGreaterThanOrEqual(EASY_PERFECT);
      expect(at("fist")).toBeLessThan(EASY_GOOD);
      expect(at("thumbs-up")).toBeLessThan(EASY_GOOD);
    }
  });

  it("a partial or broken hand gives similarity 0 and lower confidence, never NaN", () => {
    const hand = makeHand(FIVE);
    const partial = score(hand.slice(0, 15), target("fingers-5"));
    expect(partial.similarity).toBe(0);
    expect(partial.confidence).toBeCloseTo(15 / 21, 9);
    const broken = score(
      hand.map((p, i) => (i === 8 ? { ...p, y: Number.NaN } : p)),
      target("fingers-5"),
    );
    expect(broken.similarity).toBe(0);
    expect(broken.confidence).toBeLessThan(1);
    const collapsed = score(
      hand.map(() => ({ x: 0.5, y: 0.5, z: 0 })),
      target("fist"),
    );
    expect(collapsed).toEqual({ similarity: 0, confidence: 0 });
  });

  it("with several hands, the best match counts", () => {
    const fist = makeHand(FIST);
    const five = makeHand(FIVE);
    const best = scorer.scoreBest([fist, five], target("fingers-5").sign, ASPECT);
    expect(best.similarity).toBeGreaterThanOrEqual(EASY_PERFECT);
    expect(scorer.scoreBest([], target("fingers-5").sign, ASPECT)).toEqual({ similarity: 0, confidence: 0 });
  });
});
