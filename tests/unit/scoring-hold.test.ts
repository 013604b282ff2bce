import { describe, expect, it } from "vitest";
import { HOLD_MIN_FRAMES, HOLD_MIN_MS, HoldTracker, MIN_CONFIDENCE, THRESHOLDS, type Award } from "@/core/scoring/hold";
import { DIFFICULTIES } from "@/core/scoring/types";

/** Feeds frames every `stepMs` and returns the awards with the frame index they came on. */
function feed(tracker: HoldTracker, similarities: number[], stepMs = 40, startMs = 1000, confidence = 1) {
  const awards: { at: number; grade: Award }[] = [];
  similarities.forEach((similarity, index) => {
    const grade = tracker.push(similarity, confidence, startMs + index * stepMs);
    if (grade) awards.push({ at: index, grade });
  });
  return awards;
}
const repeat = (value: number, count: number): number[] => Array.from({ length: count }, () => value);

describe("hold tracker", () => {
  it("has GOOD below PERFECT and stricter thresholds for harder difficulties", () => {
    for (const difficulty of DIFFICULTIES) expect(THRESHOLDS[difficulty].good).toBeLessThan(THRESHOLDS[difficulty].perfect);
    expect(THRESHOLDS.easy.good).toBeLessThan(THRESHOLDS.normal.good);
    expect(THRESHOLDS.normal.good).toBeLessThan(THRESHOLDS.hard.good);
    expect(THRESHOLDS.easy.perfect).toBeLessThan(THRESHOLDS.normal.perfect);
    expect(THRESHOLDS.normal.perfect).toBeLessThan(THRESHOLDS.hard.perfect);
  });

  it("needs both enough frames and enough time", () => {
    // 25 fps: 5 frames span only 160 ms; the award waits for 300 ms (frame 8 at 320 ms).
    expect(feed(new HoldTracker("normal"), repeat(0.85, 20), 40)).toEqual([{ at: 8, grade: "good" }]);
    // 5 fps: 300 ms pass at frame 2, but 5 frames are needed (frame 4 at 800 ms).
    expect(feed(new HoldTracker("normal"), repeat(0.85, 20), 200)).toEqual([{ at: HOLD_MIN_FRAMES - 1, grade: "good" }]);
    expect(HOLD_MIN_MS).toBe(300);
  });

  it("awards once per round, until reset", () => {
    const tracker = new HoldTracker("easy");
    expect(feed(tracker, repeat(0.95, 40))).toHaveLength(1);
    expect(tracker.awarded).toBe("perfect");
    expect(feed(tracker, repeat(0.95, 40), 40, 5000)).toHaveLength(0);
    tracker.reset();
    expect(tracker.awarded).toBeNull();
    expect(feed(tracker, repeat(0.95, 40), 40, 9000)).toHaveLength(1);
  });

  it("a drop below the threshold restarts the hold", () => {
    const almost = [...repeat(0.85, 7), 0.5, ...repeat(0.85, 7)];
    expect(feed(new HoldTracker("normal"), almost)).toEqual([]);
    expect(feed(new HoldTracker("normal"), [...almost, 0.85, 0.85])).toEqual([{ at: 16, grade: "good" }]);
  });

  it("low confidence frames do not count (and break the hold)", () => {
    const tracker = new HoldTracker("normal");
    expect(feed(tracker, repeat(0.99, 30), 40, 1000, MIN_CONFIDENCE - 0.01)).toEqual([]);
    const flicker = new HoldTracker("normal");
    const awards: Award[] = [];
    for (let i = 0; i < 30; i++) {
      const grade = flicker.push(0.99, i % 6 === 5 ? 0.1 : 1, 1000 + i * 40);
      if (grade) awards.push(grade);
    }
    expect(awards).toEqual([]);
  });

  it("reaching PERFECT directly gives PERFECT; hovering at GOOD gives GOOD", () => {
    expect(feed(new HoldTracker("hard"), repeat(0.96, 20))).toEqual([{ at: 8, grade: "perfect" }]);
    expect(feed(new HoldTracker("hard"), repeat(0.9, 20))).toEqual([{ at: 8, grade: "good" }]);
  });

  it("moving into a pose through the GOOD band still ends in PERFECT when held", () => {
    // Two GOOD frames on the way in, then PERFECT: the GOOD run completes first, but the player
    // is at PERFECT level then, so the award waits for the PERFECT run (frame 2 + 8 = 10).
    expect(feed(new HoldTracker("normal"), [0.82, 0.85, ...repeat(0.95, 20)])).toEqual([{ at: 10, grade: "perfect" }]);
  });

  it("a waiting GOOD is given as soon as the player slips from PERFECT back to GOOD", () => {
    // GOOD run complete at frame 8; PERFECT from frame 6 is cut at frame 9 (0.85).
    const frames = [...repeat(0.85, 6), 0.95, 0.95, 0.95, 0.85, ...repeat(0.85, 5)];
    expect(feed(new HoldTracker("normal"), frames)).toEqual([{ at: 9, grade: "good" }]);
    // ...or when the player drops out entirely.
    const out = [...repeat(0.85, 6), 0.95, 0.95, 0.95, 0.2];
    expect(feed(new HoldTracker("normal"), out)).toEqual([{ at: 9, grade: "good" }]);
  });

  it("a GOOD still waiting when the round ends is given by finish()", () => {
    const tracker = new HoldTracker("normal");
    expect(feed(tracker, [...repeat(0.85, 6), 0.95, 0.95, 0.95])).toEqual([]);
    expect(tracker.finish()).toBe("good");
    expect(tracker.finish()).toBeNull();
    expect(new HoldTracker("normal").finish()).toBeNull();
  });

  it("reports progress and level for the UI", () => {
    const tracker = new HoldTracker("normal");
    expect(tracker.progress).toBe(0);
    tracker.push(0.85, 1, 0);
    tracker.push(0.85, 1, 150);
    expect(tracker.level).toBe("good");
    expect(tracker.progress).toBeCloseTo(0.4, 9); // 2 of 5 frames (150 of 300 ms is further)
    tracker.push(0.95, 1, 200);
    expect(tracker.level).toBe("perfect");
    tracker.push(0.1, 1, 240);
    expect(tracker.level).toBe("none");
    expect(tracker.progress).toBe(0);
  });

  it("survives garbage: NaN similarity is a miss, time going backwards restarts the run", () => {
    expect(feed(new HoldTracker("easy"), [...repeat(0.9, 7), Number.NaN, ...repeat(0.9, 7)])).toEqual([]);
    const tracker = new HoldTracker("easy");
    for (let i = 0; i < 7; i++) expect(tracker.push(0.95, 1, 1000 + i * 40)).toBeNull();
    // Clock jumps back: the run restarts instead of counting a negative duration.
    for (let i = 0; i < 8; i++) expect(tracker.push(0.95, 1, 500 + i * 40)).toBeNull();
    expect(tracker.push(0.95, 1, 500 + 8 * 40)).toBe("perfect");
    expect(new HoldTracker("easy").push(0.95, 1, Number.NaN)).toBeNull();
  });

  it("options override frames, time and thresholds", () => {
    const tracker = new HoldTracker("hard", { minFrames: 2, minMs: 0, thresholds: { good: 0.5, perfect: 0.6 } });
    expect(feed(tracker, [0.55, 0.55])).toEqual([{ at: 1, grade: "good" }]);
  });
});
