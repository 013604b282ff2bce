/**
 * The live meters' cadence across many rooms at once: 50 rooms, each the real RoomClock and
 * LiveLane (random tick phase, own grid), 4 players each driven by the real client sender
 * (client/game/liveSender.ts) from a camera at a phone's frame rate, every sample reaching the
 * server with a few ms of jitter. Counts, per friend pair, the meter updates the room's
 * broadcasts carry over a 6 s window, in fake time (nothing here depends on how busy the
 * machine is).
 *
 * Why: a view refreshes only on ticks that have news from its player (LiveLane.flush sends what
 * changed), so it refreshes at the tick rate only if samples arrive more often than the room
 * ticks. A sender at exactly the tick rate beats against the tick: when its samples sit near
 * the tick's phase, a few ms of jitter puts two in one tick and none in the next (>= 25 % of
 * ticks empty). While a pose is held the client sends every frame (>= 30 ms apart), so every
 * tick has news at any phone frame rate; a holding cadence at the tick rate fails this test.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLiveSender, type LiveFrame } from "@/client/game/liveSender";
import type { Clock } from "@/client/throttledSender";
import { METER_BROADCAST_INTERVAL_MS } from "@/core/protocol";
import { mulberry32 } from "@/core/targets/random";
import type { HoldLevel } from "@/core/scoring/hold";
import { LiveLane } from "@/server/realtime/liveLane";
import { RoomClock } from "@/server/realtime/roomClock";

const ROOMS = 50;
const PLAYERS = 4;
const WARM_UP_MS = 1_000;
const WINDOW_MS = 6_000;

const realRandom = Math.random;

const fakeClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Result {
  /** Meter updates per second each friend saw of each other player, one per (room, receiver, sender). */
  pairHz: number[];
  /** Broadcasts per second each room sent (its ticks that had news). */
  roomHz: number[];
}

/**
 * Plays every room for WARM_UP_MS + WINDOW_MS of fake time. `fps` picks each player's camera
 * rate; each frame (so each sample's arrival at the server) comes up to `jitterMs` early or late.
 */
function playRooms(options: { level: HoldLevel; fps: readonly number[]; jitterMs: number; seed: number }): Result {
  // Deterministic randomness, so a failure can be replayed.
  const random = mulberry32(options.seed);
  // The lanes' tick phases too (LiveLane.start); not a spy, which would record every call.
  Math.random = random;
  const clocks: RoomClock[] = [];
  const updates: Map<string, number>[] = [];
  const broadcasts: number[] = [];
  const start = performance.now();
  const inWindow = () => performance.now() >= start + WARM_UP_MS && performance.now() < start + WARM_UP_MS + WINDOW_MS;

  for (let room = 0; room < ROOMS; room++) {
    const clock = new RoomClock();
    clocks.push(clock);
    const seen = new Map<string, number>();
    updates.push(seen);
    broadcasts.push(0);
    const lane = new LiveLane(clock, ({ meters }) => {
      if (!inWindow()) return;
      broadcasts[room]! += 1;
      for (const { playerId } of meters) seen.set(playerId, (seen.get(playerId) ?? 0) + 1);
    });
    lane.start("easy");
    for (let player = 0; player < PLAYERS; player++) {
      const playerId = `r${room}p${player}`;
      const sender = createLiveSender({
        sendMeter: ({ roundIndex, similarity }) => lane.record(playerId, roundIndex, similarity, clock.now()),
        sendAward: () => Promise.resolve({ ok: true }),
        clock: fakeClock,
      });
      const frameMs = 1_000 / options.fps[(room * PLAYERS + player) % options.fps.length]!;
      let frame = 0;
      const firstAt = start + random() * frameMs;
      const nextFrame = () => {
        const report: LiveFrame = { roundIndex: 0, similarity: 0.9 + random() * 0.1, level: options.level, award: null };
        sender.frame(report);
        frame += 1;
        const due = firstAt + frame * frameMs + (random() * 2 - 1) * options.jitterMs;
        if (due < start + WARM_UP_MS + WINDOW_MS + 500) setTimeout(nextFrame, Math.max(0, due - performance.now()));
      };
      setTimeout(nextFrame, firstAt - performance.now());
    }
  }
  vi.advanceTimersByTime(WARM_UP_MS + WINDOW_MS + 1_000);
  for (const clock of clocks) clock.dispose();

  const seconds = WINDOW_MS / 1_000;
  const pairHz: number[] = [];
  for (const [room, seen] of updates.entries()) {
    for (let sender = 0; sender < PLAYERS; sender++) {
      // The same broadcast reaches the sender's 3 friends.
      const hz = (seen.get(`r${room}p${sender}`) ?? 0) / seconds;
      for (let friend = 1; friend < PLAYERS; friend++) pairHz.push(hz);
    }
  }
  return { pairHz, roomHz: broadcasts.map((count) => count / seconds) };
}

const min = (values: number[]) => Math.min(...values);

describe("the live meters of many rooms at once", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"] });
  });
  afterEach(() => {
    Math.random = realRandom;
    vi.useRealTimers();
  });

  it("refresh every friend's view of a player holding a pose at the tick rate, whatever the phone's frame rate", { timeout: 180_000 }, () => {
    const { pairHz, roomHz } = playRooms({ level: "perfect", fps: [15, 20, 24, 30], jitterMs: 5, seed: 27 });
    expect(pairHz).toHaveLength(ROOMS * PLAYERS * (PLAYERS - 1));
    // 10 ticks a second; a tick at the edge of the window may fall either side.
    expect(min(roomHz)).toBeGreaterThanOrEqual(1_000 / METER_BROADCAST_INTERVAL_MS - 0.2);
    expect(min(pairHz)).toBeGreaterThanOrEqual(9.5);
  });
});
