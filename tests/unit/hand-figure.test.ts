import { describe, expect, it } from "vitest";
import { HAND_TARGETS } from "@/core/targets/handLibrary";
import { extendedCount, handFigure } from "@/core/targets/handFigure";

const figureOf = (id: string) => {
  const target = HAND_TARGETS.find((entry) => entry.id === id);
  if (!target) throw new Error(`no hand target ${id}`);
  return handFigure(target.sign);
};

describe("hand signs drawn as hands", () => {
  it("counting signs show that many fingers", () => {
    for (const count of [1, 2, 3, 4, 5]) expect(extendedCount(figureOf(`fingers-${count}`))).toBe(count);
    expect(figureOf("fingers-4")).toEqual({ thumb: "folded", fingers: [true, true, true, true], spread: false });
  });

  it("named signs follow their finger spec", () => {
    expect(figureOf("thumbs-up")).toEqual({ thumb: "up", fingers: [false, false, false, false], spread: false });
    expect(figureOf("fist")).toEqual({ thumb: "folded", fingers: [false, false, false, false], spread: false });
    expect(figureOf("peace")).toEqual({ thumb: "folded", fingers: [true, true, false, false], spread: true });
    expect(figureOf("rock-on")).toEqual({ thumb: "folded", fingers: [true, false, false, true], spread: false });
    expect(figureOf("call-me")).toEqual({ thumb: "out", fingers: [false, false, false, true], spread: false });
    expect(figureOf("love-you")).toEqual({ thumb: "out", fingers: [true, false, false, true], spread: false });
    expect(figureOf("ok")).toEqual({ thumb: "ring", fingers: [false, true, true, true], spread: false });
  });

  it("no two regular signs with a finger spec draw the same picture", () => {
    const specified = HAND_TARGETS.filter((target) => target.sign.fingers || target.sign.count);
    const pictures = new Set(specified.map((target) => JSON.stringify(handFigure(target.sign))));
    expect(pictures.size).toBe(specified.length);
  });
});
