import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { METER_BROADCAST_INTERVAL_MS, type ServerPayload } from "@/core/protocol";
import { THRESHOLDS } from "@/core/scoring/hold";
import { LiveLane } from "@/server/realtime/liveLane";
import { RoomClock } from "@/server/realtime/roomClock";

describe("the live lane", () => {
  let clock: RoomClock;
  let sent: ServerPayload<"game:meters">[];
  let lane: LiveLane;

  beforeEach(() => {
    vi.useFakeTimers();
    clock = new RoomClock();
    sent = [];
    lane = new LiveLane(clock, (payload) => sent.push(payload));
  });
  afterEach(() => {
    clock.dispose();
    vi.useRealTimers();
  });

  it("turns a burst of meter samples into one broadcast per tick carrying the latest values", () => {
    lane.start("normal");
    for (let i = 1; i <= 30; i++) {
      lane.record("ana", 0, i / 100, Date.now());
      lane.record("bo", 0, 1 - i / 100, Date.now());
    }
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(METER_BROADCAST_INTERVAL_MS);
    expect(sent).toEqual([
      {
        meters: [
          { playerId: "ana", similarity: 0.3 },
          { playerId: "bo", similarity: 0.7 },
        ],
      },
    ]);

    // A tick without news sends nothing; the next sample goes out with the next tick, alone.
    vi.advanceTimersByTime(METER_BROADCAST_INTERVAL_MS);
    expect(sent).toHaveLength(1);
    lane.record("bo", 0, 0.42, Date.now());
    vi.advanceTimersByTime(METER_BROADCAST_INTERVAL_MS);
    expect(sent.at(-1)).toEqual({ meters: [{ playerId: "bo", similarity: 0.42 }] });
  });

  it("keeps the evidence per round and the best reading for the record", () => {
    lane.start("normal");
    for (let i = 0; i < 6; i++) {
      lane.record("ana", 1, THRESHOLDS.normal.perfect, Date.now());
      vi.advanceTimersByTime(70);
    }
    expect(lane.supports("ana", 1, "perfect")).toBe(true);
    expect(lane.supports("ana", 0, "good")).toBe(false);
    expect(lane.supports("bo", 1, "good")).toBe(false);
    expect(lane.bestOf("ana", 1)).toBe(THRESHOLDS.normal.perfect);
  });

  it("reads 0 for a player who went away, and forgets everything when the match ends", () => {
    lane.start("easy");
    lane.record("ana", 0, 0.8, Date.now());
    lane.zero("ana");
    vi.advanceTimersByTime(METER_BROADCAST_INTERVAL_MS);
    expect(sent).toEqual([{ meters: [{ playerId: "ana", similarity: 0 }] }]);

    lane.stop();
    expect(clock.pending).toBe(0);
    lane.record("ana", 0, 0.9, Date.now());
    vi.advanceTimersByTime(METER_BROADCAST_INTERVAL_MS * 5);
    expect(sent).toHaveLength(1);
    expect(lane.similarityOf("ana")).toBe(0);
  });
});
