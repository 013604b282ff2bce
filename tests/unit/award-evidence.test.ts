import { describe, expect, it } from "vitest";
import { RoundEvidence } from "@/core/game/awardEvidence";
import { HOLD_MIN_FRAMES, HOLD_MIN_MS, THRESHOLDS } from "@/core/scoring/hold";

const normal = THRESHOLDS.normal;

/** Samples at `similarity`, `count` of them, `everyMs` apart from `from`. */
function feed(evidence: RoundEvidence, similarity: number, count: number, everyMs: number, from = 0): number {
  let at = from;
  for (let i = 0; i < count; i++) {
    evidence.record(similarity, at);
    at += everyMs;
  }
  return at - everyMs;
}

describe("an award's evidence on the live lane", () => {
  it("believes nothing without a meter history (a scripted instant award)", () => {
    const evidence = new RoundEvidence(normal);
    expect(evidence.supports("perfect")).toBe(false);
    expect(evidence.supports("good")).toBe(false);
  });

  it("believes a GOOD after the hold rule's samples at GOOD level spanning 300 ms, not a PERFECT", () => {
    const evidence = new RoundEvidence(normal);
    feed(evidence, normal.good + 0.02, HOLD_MIN_FRAMES, HOLD_MIN_MS / (HOLD_MIN_FRAMES - 1));
    expect(evidence.supports("good")).toBe(true);
    expect(evidence.supports("perfect")).toBe(false);
  });

  it("believes a PERFECT only from samples at PERFECT level, which also carry a GOOD", () => {
    const evidence = new RoundEvidence(normal);
    feed(evidence, normal.perfect, 6, 70);
    expect(evidence.supports("perfect")).toBe(true);
    expect(evidence.supports("good")).toBe(true);
  });

  it("refuses too few samples, however long they span", () => {
    const evidence = new RoundEvidence(normal);
    feed(evidence, 0.99, HOLD_MIN_FRAMES - 1, 200);
    expect(evidence.supports("good")).toBe(false);
  });

  it("refuses a burst of samples squeezed into less than 300 ms of server time", () => {
    const evidence = new RoundEvidence(normal);
    feed(evidence, 0.99, 50, 5);
    expect(evidence.supports("perfect")).toBe(false);
    // The same burst, arriving over 300 ms, is a hold.
    feed(evidence, 0.99, 2, HOLD_MIN_MS, 1_000);
    expect(evidence.supports("perfect")).toBe(true);
  });

  it("needs the samples in a row: a reading below the threshold starts over", () => {
    const evidence = new RoundEvidence(normal);
    let at = feed(evidence, 0.95, 4, 80);
    evidence.record(0.5, (at += 80));
    at = feed(evidence, 0.95, 4, 80, at + 80);
    expect(evidence.supports("good")).toBe(false);
    evidence.record(0.95, at + 80);
    expect(evidence.supports("good")).toBe(true);
    // Once shown, a later drop does not take it back (the award may come at the bell).
    evidence.record(0, at + 160);
    expect(evidence.supports("good")).toBe(true);
  });

  it("does not let a clock stepping back stretch a run", () => {
    const evidence = new RoundEvidence(normal);
    feed(evidence, 0.95, 4, 10, 10_000);
    evidence.record(0.95, 0);
    expect(evidence.supports("good")).toBe(false);
  });
});
