import { describe, expect, it } from "vitest";
import { AWARD_MARGIN_MS, createLiveSender, METER_IDLE_INTERVAL_MS, type AwardUpdate, type LiveFrame, type MeterSample } from "@/client/game/liveSender";
import { RoundEvidence } from "@/core/game/awardEvidence";
import { STRIKE_EVIDENCE_RULE, STRIKE_STEADY_THRESHOLDS, type LeaderPose } from "@/core/game/copyRound";
import { BODY_POINT_NAMES, BODY_POINTS } from "@/core/scoring/bodyPoints";
import { StrikeTracker } from "@/core/scoring/strike";
import { getPoseTarget } from "@/core/targets/poseLibrary";
import { HOLD_MIN_MS, HoldTracker, THRESHOLDS } from "@/core/scoring/hold";
import type { Clock } from "@/client/throttledSender";

/** A hand-driven clock: time moves only when the test says so. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; callback: () => void; id: number }[] = [];
  let nextId = 1;
  const clock = {
    now: () => now,
    setTimeout(callback: () => void, ms: number) {
      const id = nextId++;
      timers.push({ at: now + Math.max(0, ms), callback, id });
      return id;
    },
    clearTimeout(handle: unknown) {
      timers = timers.filter((timer) => timer.id !== handle);
    },
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((timer) => timer !== due);
        now = due.at;
        due.callback();
      }
      now = until;
    },
  };
  return clock;
}

/** Plays a camera feed through the real hold tracker into the sender; the "server" records arrival times. */
function play(frameMs: number, feed: (t: number) => number, durationMs: number) {
  const clock = manualClock();
  const meters: { sample: MeterSample; at: number }[] = [];
  const awards: { award: AwardUpdate; at: number }[] = [];
  const sender = createLiveSender({
    sendMeter: (sample) => meters.push({ sample, at: clock.now() }),
    sendAward: async (award) => {
      awards.push({ award, at: clock.now() });
      return { ok: true };
    },
    clock,
  });
  const hold = new HoldTracker("easy");
  const frame: LiveFrame = { roundIndex: 0, similarity: 0, level: "none", award: null };
  for (let t = 0; t <= durationMs; t += frameMs) {
    frame.similarity = feed(t);
    frame.award = hold.push(frame.similarity, 1, t);
    frame.level = hold.level;
    sender.frame(frame);
    clock.advance(frameMs);
  }
  sender.dispose();
  return { meters, awards };
}

describe("the phone's live sender", () => {
  it("sends about 10 meter samples a second outside a hold, without an award", () => {
    const { meters, awards } = play(1000 / 30, () => 0.3, 2_000);
    expect(meters.length).toBeGreaterThanOrEqual(2_000 / METER_IDLE_INTERVAL_MS - 1);
    expect(meters.length).toBeLessThanOrEqual(2_000 / METER_IDLE_INTERVAL_MS + 1);
    expect(awards).toEqual([]);
  });

  for (const fps of [10, 15, 30, 60]) {
    it(`at ${fps} frames a second, sends a hold the server believes before the award`, () => {
      // Into the pose at 1 s and held.
      const { meters, awards } = play(1000 / fps, (t) => (t >= 1_000 ? 0.95 : 0.2), 3_000);
      expect(awards).toHaveLength(1);
      const [{ award, at }] = awards as [{ award: AwardUpdate; at: number }];
      expect(award).toMatchObject({ roundIndex: 0, award: "perfect" });
      // What the server's live lane would have seen by then, in arrival order (the award's own reading is no evidence).
      const evidence = new RoundEvidence(THRESHOLDS.easy);
      for (const meter of meters.filter((meter) => meter.at <= at)) evidence.record(meter.sample.similarity, meter.at);
      expect(evidence.supports("perfect")).toBe(true);
      // The award waited no longer than the hold plus the margin (and a frame).
      expect(at - 1_000).toBeLessThanOrEqual(HOLD_MIN_MS + AWARD_MARGIN_MS + 2 * (1000 / fps));
      // Never more than 40 samples in any second (the server's budget for the event).
      for (let from = 0; from < 3_000; from += 100) {
        expect(meters.filter((meter) => meter.at >= from && meter.at < from + 1_000).length).toBeLessThanOrEqual(40);
      }
    });
  }

  it("sends the reading that settled a leader's pose, so the server has seen the hold before the pose", () => {
    const pose = getPoseTarget("test-messi5")!.points as LeaderPose;
    // Raw (unmirrored) model landmarks of the pose, square frame.
    const landmarks = Array.from({ length: 33 }, () => ({ x: 0.5, y: 0.5, z: 0, visibility: 0 }));
    for (const name of BODY_POINT_NAMES) landmarks[BODY_POINTS[name]] = { x: 1 - pose[name].x, y: pose[name].y, z: 0, visibility: 0.95 };
    for (const fps of [7, 30]) {
      const clock = manualClock();
      const meters: { sample: MeterSample; at: number }[] = [];
      const sender = createLiveSender({ sendMeter: (sample) => meters.push({ sample, at: clock.now() }), sendAward: async () => ({ ok: true }), clock });
      const tracker = new StrikeTracker();
      let settledAt: number | null = null;
      for (let t = 0; t <= 3_000 && settledAt === null; t += 1000 / fps) {
        const reading = tracker.push(landmarks, 100, 100, t);
        sender.frame({ roundIndex: 0, similarity: reading.steadiness, level: "none", award: null, struckPose: reading.settled });
        if (reading.settled) settledAt = clock.now();
        else clock.advance(1000 / fps);
      }
      sender.dispose();
      expect(settledAt, `${fps} fps`).not.toBeNull();
      expect(meters.at(-1)?.at, `${fps} fps: the settling frame's reading went out`).toBe(settledAt);
      const evidence = new RoundEvidence(STRIKE_STEADY_THRESHOLDS, STRIKE_EVIDENCE_RULE);
      for (const meter of meters) evidence.record(meter.sample.similarity, meter.at);
      expect(evidence.supports("good"), `${fps} fps`).toBe(true);
    }
  });
});
