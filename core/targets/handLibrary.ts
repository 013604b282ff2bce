/**
 * Hand-sign targets. Each says what the hand scorer should check (core/scoring/handScore.ts);
 * the UI shows the emoji and the name. Signs are judged from joint angles, so they read the same
 * for either hand, mirrored or not.
 *
 * Overlaps are deliberate: "two fingers" accepts a peace sign, "one finger" a thumbs-up. They are
 * different instructions that happen to share an answer; pickTargets never repeats a target, and
 * a match rarely draws both.
 */
import type { HandSignSpec } from "../scoring/handScore";
import type { Difficulty } from "../scoring/types";
import type { LocalizedName } from "./poseLibrary";

export interface HandTarget {
  readonly kind: "hand";
  readonly id: string;
  readonly name: LocalizedName;
  readonly emoji: string;
  readonly difficulty: Difficulty;
  readonly testOnly: boolean;
  readonly sign: HandSignSpec;
  readonly source?: Readonly<Record<string, string>>;
}

type Entry = Omit<HandTarget, "kind" | "testOnly"> & { testOnly?: boolean };

const ENTRIES: readonly Entry[] = [
  {
    id: "thumbs-up",
    name: { ko: "엄지 척", en: "Thumbs up" },
    emoji: "👍",
    difficulty: "easy",
    sign: { fingers: ["up", "down", "down", "down", "down"], thumbUp: true },
  },
  {
    id: "fist",
    name: { ko: "주먹 (바위)", en: "Fist (rock)" },
    emoji: "✊",
    difficulty: "easy",
    sign: { fingers: ["down", "down", "down", "down", "down"] },
  },
  { id: "fingers-1", name: { ko: "손가락 한 개", en: "One finger" }, emoji: "☝️", difficulty: "easy", sign: { count: 1 } },
  { id: "fingers-2", name: { ko: "손가락 두 개", en: "Two fingers" }, emoji: "2️⃣", difficulty: "easy", sign: { count: 2 } },
  { id: "fingers-3", name: { ko: "손가락 세 개", en: "Three fingers" }, emoji: "3️⃣", difficulty: "normal", sign: { count: 3 } },
  { id: "fingers-4", name: { ko: "손가락 네 개", en: "Four fingers" }, emoji: "4️⃣", difficulty: "normal", sign: { count: 4 } },
  { id: "fingers-5", name: { ko: "손가락 다섯 개 (보)", en: "Five fingers (paper)" }, emoji: "🖐️", difficulty: "easy", sign: { count: 5 } },
  {
    id: "peace",
    name: { ko: "브이 (가위)", en: "Peace (scissors)" },
    emoji: "✌️",
    difficulty: "easy",
    // Thumb free: people hold it over the ring finger or let it stick out.
    sign: { fingers: ["any", "up", "up", "down", "down"], spread: true },
  },
  {
    id: "rock-on",
    name: { ko: "락 스피릿", en: "Rock on" },
    emoji: "🤘",
    difficulty: "hard",
    // Thumb folded over the middle fingers: otherwise it is "love you".
    sign: { fingers: ["down", "up", "down", "down", "up"] },
  },
  {
    id: "call-me",
    name: { ko: "전화해", en: "Call me" },
    emoji: "🤙",
    difficulty: "normal",
    sign: { fingers: ["up", "down", "down", "down", "up"] },
  },
  {
    id: "ok",
    name: { ko: "오케이", en: "OK" },
    emoji: "👌",
    difficulty: "hard",
    sign: { fingers: ["any", "any", "up", "up", "up"], thumbIndexTouch: true },
  },
  {
    id: "love-you",
    name: { ko: "사랑해", en: "Love you" },
    emoji: "🤟",
    difficulty: "normal",
    sign: { fingers: ["up", "up", "down", "down", "up"] },
  },
  // Test only: the e2e fake camera (messi5) shows an open hand. Measured with hand_landmarker
  // lite (tasks-vision 1.1.0) by scripts/derive-test-targets.ts: all five fingers extended, in
  // IMAGE mode on e2e/fixtures/messi5.jpg and in VIDEO mode on the letterboxed fake camera
  // (core/targets/measured.json).
  {
    id: "test-messi5-hand",
    name: { ko: "손바닥 (테스트)", en: "Open hand (test)" },
    emoji: "🖐️",
    difficulty: "easy",
    testOnly: true,
    sign: { fingers: ["up", "up", "up", "up", "up"] },
    source: { image: "e2e/fixtures/messi5.jpg", model: "hand_landmarker_lite", tasksVision: "1.1.0" },
  },
  {
    id: "test-messi5-hand-alt",
    name: { ko: "손가락 다섯 개 (테스트)", en: "Five fingers (test)" },
    emoji: "🖐️",
    difficulty: "easy",
    testOnly: true,
    sign: { count: 5 },
    source: { image: "e2e/fixtures/messi5.jpg", model: "hand_landmarker_lite", tasksVision: "1.1.0" },
  },
];

export const ALL_HAND_TARGETS: readonly HandTarget[] = ENTRIES.map((entry) =>
  Object.freeze({ ...entry, kind: "hand" as const, testOnly: entry.testOnly ?? false }),
);
export const HAND_TARGETS: readonly HandTarget[] = ALL_HAND_TARGETS.filter((target) => !target.testOnly);

const byId = new Map(ALL_HAND_TARGETS.map((target) => [target.id, target]));

export function getHandTarget(id: string): HandTarget | undefined {
  return byId.get(id);
}
