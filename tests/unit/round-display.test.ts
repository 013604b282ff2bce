import { describe, expect, it } from "vitest";
import { matchStageAt, planTimeline, ROUND_GAP_MS } from "@/core/game/match";
import { RESULT_SHOWN_MS, roundDisplay, roundDisplayKey } from "@/core/game/roundDisplay";

const timeline = planTimeline(
  0,
  [
    { kind: "pose", targetId: "t-pose" },
    { kind: "hand", targetId: "fingers-4" },
  ],
  5,
);
const [first, second] = timeline.rounds;
const at = (time: number) => roundDisplay(matchStageAt(timeline, time), timeline);

describe("roundDisplay: result, then next, then its countdown", () => {
  it("before the first round: the first target with 3-2-1", () => {
    expect(at(timeline.countdownStartsAt)).toMatchObject({ kind: "next", round: { index: 0 }, secondsLeft: 3 });
    expect(at(first!.startsAt - 1)).toMatchObject({ kind: "next", round: { index: 0 }, secondsLeft: 1 });
  });

  it("right after a round ends, everything is about that round (never the next one)", () => {
    for (const time of [first!.endsAt, first!.endsAt + RESULT_SHOWN_MS - 1]) {
      expect(at(time)).toEqual({ kind: "result", round: first, last: false });
    }
  });

  it("then the next round with a countdown down to 1, then the round", () => {
    expect(at(first!.endsAt + RESULT_SHOWN_MS)).toMatchObject({ kind: "next", round: { index: 1 }, secondsLeft: 2 });
    expect(at(second!.startsAt - 1)).toMatchObject({ kind: "next", round: { index: 1 }, secondsLeft: 1 });
    expect(at(second!.startsAt)).toMatchObject({ kind: "round", round: { index: 1 }, secondsLeft: 5 });
    expect(ROUND_GAP_MS).toBeGreaterThan(RESULT_SHOWN_MS + 1000);
  });

  it("after the last round: its result until the results screen", () => {
    expect(at(second!.endsAt)).toEqual({ kind: "result", round: second, last: true });
    expect(at(timeline.endsAt + 10_000)).toEqual({ kind: "result", round: second, last: true });
  });

  it("the order over a whole match never goes back", () => {
    const seen: string[] = [];
    for (let time = timeline.countdownStartsAt; time < timeline.endsAt + 1000; time += 50) {
      const key = roundDisplayKey(at(time));
      if (seen.at(-1) !== key) seen.push(key);
    }
    expect(seen).toEqual(["next-0-3", "next-0-2", "next-0-1", "round-0", "result-0", "next-1-2", "next-1-1", "round-1", "result-1-last"]);
  });
});
