import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RoomClock } from "@/server/realtime/roomClock";

describe("a room clock's repeating tick (the live lane's meter broadcast)", () => {
  // Timers are faked; the monotonic clock is set by hand, so a tick can be made to run late
  // (as it does when the event loop is busy) without firing anything.
  let monotonic = 0;
  let clock: RoomClock;
  const runFor = (ms: number) => {
    monotonic += ms;
    vi.advanceTimersByTime(ms);
  };
  /** The event loop was busy: time passed, nothing fired. */
  const busyFor = (ms: number) => {
    monotonic += ms;
  };

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    monotonic = 0;
    vi.spyOn(performance, "now").mockImplementation(() => monotonic);
    clock = new RoomClock();
  });
  afterEach(() => {
    clock.dispose();
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it("ticks on its own grid: a late tick does not move the next one, and missed ones are skipped, not bunched", () => {
    const ticks: number[] = [];
    clock.setRepeating(() => ticks.push(monotonic), 100, 30);
    runFor(29);
    expect(ticks).toEqual([]);
    runFor(1);
    expect(ticks).toEqual([30]);

    // Due at 130, runs at 180: the next is still due at 230 (setInterval would say 280).
    busyFor(150);
    vi.advanceTimersByTime(100);
    expect(ticks).toEqual([30, 180]);
    runFor(49);
    expect(ticks).toHaveLength(2);
    runFor(1);
    expect(ticks).toEqual([30, 180, 230]);

    // Busy past two grid points (330 and 430): one tick when the loop is free, then back on the grid at 530.
    busyFor(240);
    vi.advanceTimersByTime(100);
    expect(ticks).toEqual([30, 180, 230, 470]);
    runFor(59);
    expect(ticks).toHaveLength(4);
    runFor(1);
    expect(ticks.at(-1)).toBe(530);
  });

  it("stops when cleared, even from inside its own tick, and leaves no timer behind on dispose", () => {
    let count = 0;
    const handle = clock.setRepeating(() => {
      count += 1;
      if (count === 3) clock.clear(handle);
    }, 100);
    runFor(1_000);
    expect(count).toBe(3);
    expect(clock.pending).toBe(0);

    clock.setRepeating(() => (count += 1), 100);
    expect(clock.pending).toBe(1);
    clock.dispose();
    expect(clock.pending).toBe(0);
    runFor(1_000);
    expect(count).toBe(3);
  });
});
