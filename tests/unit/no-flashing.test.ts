/**
 * Issue 25 (WCAG 2.3.1): nothing flashes more than three times a second, in any motion mode, and
 * reduced motion stops every animation. Read from the one stylesheet every screen uses.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const css = readFileSync(new URL("../../app/globals.css", import.meta.url), "utf8");

/** Every `animation:` shorthand with a name: its duration (s) and how many times it runs. */
function animations(): { declaration: string; seconds: number; iterations: number }[] {
  return [...css.matchAll(/animation:\s*([^;]+);/g)]
    .map((match) => match[1]!.trim())
    .filter((value) => !/^none\b/.test(value))
    .map((declaration) => {
      const tokens = declaration.split(/\s+/);
      const time = tokens.find((token) => /^\d*\.?\d+m?s$/.test(token)) ?? "0s";
      const seconds = time.endsWith("ms") ? Number(time.slice(0, -2)) / 1000 : Number(time.slice(0, -1));
      const count = tokens.find((token) => token === "infinite" || /^\d+(\.\d+)?$/.test(token));
      return { declaration, seconds, iterations: count === "infinite" ? Infinity : Number(count ?? 1) };
    });
}

describe("no flashing", () => {
  it("finds the stylesheet's animations", () => {
    expect(animations().length).toBeGreaterThan(3);
  });

  it("repeats no animation faster than three times a second", () => {
    const fast = animations().filter((animation) => animation.iterations > 1 && animation.seconds < 1 / 3);
    expect(fast).toEqual([]);
  });

  it("stops every animation and transition under reduced motion, confetti included", () => {
    expect(css).toMatch(/html\[data-motion="reduce"\] \*,[^{]*\{\s*animation: none !important;\s*transition: none !important;/);
    expect(css).toMatch(/html\[data-motion="reduce"\] \.celebration \{\s*display: none;/);
  });
});
