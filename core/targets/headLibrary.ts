/**
 * Head targets: "move your face into the circle". Circles are generated from a seed (the same
 * seed gives the same circles), as drawn on the player's mirrored self view: x, y normalised to
 * the video frame's width and height, radius to its shorter side. The UI must draw them in
 * video-frame coordinates (whatever crop or scaling it applies to the video, apply to the circle).
 */
import type { HeadCircle } from "../scoring/headScore";
import type { Difficulty } from "../scoring/types";
import type { LocalizedName } from "./poseLibrary";
import { mulberry32, type Random } from "./random";

export interface HeadTarget {
  readonly kind: "head";
  readonly id: string;
  readonly name: LocalizedName;
  readonly difficulty: Difficulty;
  readonly testOnly: boolean;
  readonly circle: HeadCircle;
  readonly source?: Readonly<Record<string, string>>;
}

export const HEAD_TARGET_NAME: LocalizedName = { ko: "원 안에 얼굴 넣기", en: "Face in the circle" };

/** Smaller circles are harder to hit (fraction of the frame's shorter side). */
export const HEAD_CIRCLE_RADIUS: Readonly<Record<Difficulty, number>> = { easy: 0.22, normal: 0.18, hard: 0.14 };

/**
 * Where centres may fall. Narrow in x: a phone in portrait that shows a landscape camera with
 * `object-fit: cover` crops it to about its middle third.
 */
export const HEAD_AREA = { minX: 0.32, maxX: 0.68, minY: 0.25, maxY: 0.7 } as const;
/**
 * Where a face sits when nobody moves (centre, upper half). A circle must be at least one
 * radius away from it, which puts a player who does not move below GOOD (see headScore.ts).
 * Distances here are in normalised units, which the frame's aspect stretches a little; the
 * radius is relative to the shorter side, so the check errs on the safe side along it.
 */
const RESTING_FACE = { x: 0.5, y: 0.38 } as const;
/** Consecutive circles at least this far apart (normalised), so each round asks for a move. */
const MIN_STEP = 0.15;
const MAX_TRIES = 64;

function drawCircle(random: Random, radius: number, previous: HeadCircle | null): HeadCircle {
  let candidate: HeadCircle = { x: 0.5, y: 0.5, radius };
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const x = HEAD_AREA.minX + random() * (HEAD_AREA.maxX - HEAD_AREA.minX);
    const y = HEAD_AREA.minY + random() * (HEAD_AREA.maxY - HEAD_AREA.minY);
    candidate = { x: round3(x), y: round3(y), radius };
    const awayFromRest = Math.hypot(x - RESTING_FACE.x, y - RESTING_FACE.y) >= radius * 1.05;
    const awayFromPrevious = !previous || Math.hypot(x - previous.x, y - previous.y) >= MIN_STEP;
    if (awayFromRest && awayFromPrevious) return candidate;
  }
  // Practically unreachable (the area is much larger than the exclusions); still deterministic.
  return candidate;
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/**
 * `count` head targets for a seed. Deterministic: same (seed, count, difficulty), same circles.
 * Ids are `head-<difficulty>-<seed>-<n>`: distinct within a match, and enough to rebuild the
 * circle anywhere (`getHeadTarget`), so only the id needs to travel to the players.
 */
export function generateHeadTargets(seed: number, count: number, difficulty: Difficulty): HeadTarget[] {
  const random = mulberry32(seed);
  const radius = HEAD_CIRCLE_RADIUS[difficulty];
  const out: HeadTarget[] = [];
  let previous: HeadCircle | null = null;
  for (let n = 0; n < count; n++) {
    const circle = drawCircle(random, radius, previous);
    previous = circle;
    out.push({ kind: "head", id: `head-${difficulty}-${seed >>> 0}-${n}`, name: HEAD_TARGET_NAME, difficulty, testOnly: false, circle });
  }
  return out;
}

const GENERATED_ID = /^head-(easy|normal|hard)-(\d{1,10})-(\d{1,2})$/;
/** Generated ids never ask for more circles than this (a match has at most 12 rounds). */
const MAX_GENERATED_INDEX = 64;

/** A test target or a generated one, from its id; undefined for anything else. */
export function getHeadTarget(id: string): HeadTarget | undefined {
  const test = TEST_HEAD_TARGETS.find((target) => target.id === id);
  if (test) return test;
  const match = GENERATED_ID.exec(id);
  if (!match) return undefined;
  const seed = Number(match[2]);
  const index = Number(match[3]);
  if (seed > 0xffffffff || index >= MAX_GENERATED_INDEX) return undefined;
  return generateHeadTargets(seed, index + 1, match[1] as Difficulty)[index];
}

/**
 * Test only: circles around the face the face detector finds on the e2e fake camera
 * `astronaut` (core/targets/measured.json: box (245, 67) 95 x 95 px in 640x480, raw frame), i.e.
 * centre (292.5, 114.5) px mirrored to screen x = 1 - 292.5 / 640.
 */
export const TEST_HEAD_TARGETS: readonly HeadTarget[] = [
  {
    kind: "head",
    id: "test-astronaut-face",
    name: { ko: "원 안에 얼굴 넣기 (테스트)", en: "Face in the circle (test)" },
    difficulty: "easy",
    testOnly: true,
    circle: { x: 0.543, y: 0.2385, radius: HEAD_CIRCLE_RADIUS.easy },
    source: { video: "e2e fake camera astronaut", model: "face_detector_short_range", tasksVision: "1.1.0" },
  },
  {
    kind: "head",
    id: "test-astronaut-face-alt",
    name: { ko: "원 안에 얼굴 넣기 2 (테스트)", en: "Face in the circle again (test)" },
    difficulty: "easy",
    testOnly: true,
    circle: { x: 0.55, y: 0.245, radius: HEAD_CIRCLE_RADIUS.easy },
    source: { video: "e2e fake camera astronaut", model: "face_detector_short_range", tasksVision: "1.1.0" },
  },
];
