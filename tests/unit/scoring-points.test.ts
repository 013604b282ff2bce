import { describe, expect, it } from "vitest";
import { BASE_POINTS, MAX_POINTS_PER_ROUND, SLOWEST_FACTOR, pointsFor } from "@/core/scoring/points";

describe("points", () => {
  const round = 10_000;

  it("pays the full base at the start and half at the end", () => {
    expect(pointsFor("perfect", 0, round)).toBe(1000);
    expect(pointsFor("good", 0, round)).toBe(600);
    expect(pointsFor("perfect", round, round)).toBe(500);
    expect(pointsFor("good", round, round)).toBe(300);
    expect(pointsFor("perfect", round / 2, round)).toBe(750);
    expect(SLOWEST_FACTOR).toBe(0.5);
  });

  it("is faster-is-better and perfect-beats-good all the way through", () => {
    let previous = Number.POSITIVE_INFINITY;
    for (let t = 0; t <= round; t += 250) {
      const perfect = pointsFor("perfect", t, round);
      expect(Number.isInteger(perfect)).toBe(true);
      expect(perfect).toBeLessThanOrEqual(previous);
      expect(perfect).toBeGreaterThan(pointsFor("good", t, round));
      previous = perfect;
    }
  });

  it("is clamped: early, late, or broken timing never exceeds the cap or goes negative", () => {
    expect(pointsFor("perfect", -5000, round)).toBe(MAX_POINTS_PER_ROUND);
    expect(pointsFor("perfect", 3 * round, round)).toBe(BASE_POINTS.perfect * SLOWEST_FACTOR);
    expect(pointsFor("perfect", 100, 0)).toBe(500);
    expect(pointsFor("perfect", Number.NaN, round)).toBe(500);
    expect(pointsFor("good", 100, Number.NaN)).toBe(300);
    expect(MAX_POINTS_PER_ROUND).toBe(1000);
  });

  it("gives nothing without an award", () => {
    expect(pointsFor("miss", 0, round)).toBe(0);
    expect(pointsFor(null, 0, round)).toBe(0);
    expect(pointsFor(undefined, 0, round)).toBe(0);
  });
});
