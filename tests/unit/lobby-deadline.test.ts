// The lobby's deadline counts stalls, not slow progress, and never starts a game with zero players.
import { describe, expect, it } from "vitest";
import { applyRoomIntent, type RoomIntent, type RoomState, type TransitionResult } from "@/core/room";
import { lobbyTiming, PRELOAD_HARD_CAP_MAX_MS } from "@/core/lobbyDeadline";
import { toRoomSnapshot } from "@/server/realtime/roomHub";
import { apply, expectOk, newRoom, setup } from "./support/roomBuilder";

const OPEN = 5_000_000;
const BASE = 45_000;
const DEADLINE = OPEN + BASE;
const HARD_CAP = OPEN + 3 * BASE;

const progress = (playerId: string, percent: number, now: number): RoomIntent => ({
  type: "reportPreload",
  playerId,
  percent,
  status: "loading",
  now,
});
const ready = (playerId: string, now: number): RoomIntent => ({ type: "reportPreload", playerId, percent: 100, status: "ready", now });
const deadlinePassed = (now: number): RoomIntent => ({ type: "preloadTimedOut", now });

/** Host p1 and friends p2, p3 in a lobby opened at OPEN with a 45 s base timeout. */
function lobby(): RoomState {
  return apply(
    newRoom(),
    { type: "join", playerId: "p2", nickname: "Jun" },
    { type: "join", playerId: "p3", nickname: "Sol" },
    { type: "startGame", playerId: "p1", setup, now: OPEN, preloadTimeoutMs: BASE },
  );
}

const roles = (state: RoomState) => state.members.map((member) => [member.id, member.role]);

describe("the lobby's timing", () => {
  it("waits for progress 15 s back, extends 15 s at a time, up to 3x the base and at most 10 minutes", () => {
    expect(lobbyTiming(45_000)).toEqual({ baseMs: 45_000, progressWindowMs: 15_000, extensionMs: 15_000, hardCapMs: 135_000 });
    // A short (test) timeout scales the window and the extension down to a third of it.
    expect(lobbyTiming(1_500)).toEqual({ baseMs: 1_500, progressWindowMs: 500, extensionMs: 500, hardCapMs: 4_500 });
    expect(lobbyTiming(220_000).hardCapMs).toBe(PRELOAD_HARD_CAP_MAX_MS);
    expect(lobbyTiming(600_000).hardCapMs).toBe(600_000);
    // A test playlist's own cap (kept within the base and 10 minutes) and window.
    expect(lobbyTiming(45_000, { hardCapMs: 300_000 }).hardCapMs).toBe(300_000);
    expect(lobbyTiming(45_000, { hardCapMs: 10_000 }).hardCapMs).toBe(45_000);
    expect(lobbyTiming(45_000, { hardCapMs: 3_600_000 }).hardCapMs).toBe(PRELOAD_HARD_CAP_MAX_MS);
    expect(lobbyTiming(45_000, { progressWindowMs: 30_000 })).toMatchObject({ progressWindowMs: 30_000, extensionMs: 15_000 });
  });
});

describe("the lobby's deadline", () => {
  it("opens with the base deadline in the snapshot", () => {
    const state = lobby();
    expect(state.game?.lobby).toMatchObject({ openedAt: OPEN, deadline: DEADLINE, hardCapAt: HARD_CAP });
    expect(toRoomSnapshot(state).game?.preloadDeadline).toBe(DEADLINE);
  });

  it("never starts a game with nobody ready: it keeps waiting, and everyone keeps loading", () => {
    const state = apply(lobby(), progress("p2", 30, OPEN + 1_000));
    const result = expectOk(applyRoomIntent(state, deadlinePassed(DEADLINE)));
    expect(result.state.phase).toBe("preloading");
    expect(roles(result.state)).toEqual([
      ["p1", "player"],
      ["p2", "player"],
      ["p3", "player"],
    ]);
    expect(result.state.game?.lobby?.deadline).toBe(DEADLINE + 15_000);
    expect(toRoomSnapshot(result.state).game?.preloadDeadline).toBe(DEADLINE + 15_000);
    expect(result.effects).toContainEqual({ type: "preloadExtended", deadline: DEADLINE + 15_000, reason: "nobody_ready", waitingFor: [] });
    expect(result.effects).toContainEqual({ type: "stateChanged" });
    // The players still loading may still report, and the game starts when all are ready.
    const allReady = expectOk(applyRoomIntent(apply(result.state, ready("p1", DEADLINE + 1), ready("p2", DEADLINE + 2)), ready("p3", DEADLINE + 3)));
    expect(allReady.effects).toContainEqual({ type: "allReady" });
  });

  it("applies the usual rule at the next check once someone is ready", () => {
    const waiting = apply(lobby(), deadlinePassed(DEADLINE), ready("p1", DEADLINE + 5_000));
    const next = waiting.game!.lobby!.deadline;
    const playing = apply(waiting, deadlinePassed(next));
    expect(playing.phase).toBe("playing");
    expect(roles(playing)).toEqual([
      ["p1", "player"],
      ["p2", "spectator"],
      ["p3", "spectator"],
    ]);
  });

  it("extends the deadline for a player still making progress, and the snapshot shows it", () => {
    // p3's bar last moved 14 s before the deadline (a long model create): still loading.
    const state = apply(lobby(), ready("p1", OPEN + 20_000), ready("p2", OPEN + 30_000), progress("p3", 60, DEADLINE - 14_000));
    const result = expectOk(applyRoomIntent(state, deadlinePassed(DEADLINE)));
    expect(result.state.phase).toBe("preloading");
    expect(result.state.game?.lobby?.deadline).toBe(DEADLINE + 15_000);
    expect(toRoomSnapshot(result.state).game?.preloadDeadline).toBe(DEADLINE + 15_000);
    expect(result.effects).toContainEqual({ type: "preloadExtended", deadline: DEADLINE + 15_000, reason: "progress", waitingFor: ["p3"] });
    // Still moving at the next check: waited for again; then ready, and everyone plays.
    const again = apply(result.state, progress("p3", 90, DEADLINE + 10_000), deadlinePassed(DEADLINE + 15_000));
    expect(again.phase).toBe("preloading");
    expect(again.game?.lobby?.deadline).toBe(DEADLINE + 30_000);
    const allReady = expectOk(applyRoomIntent(again, ready("p3", DEADLINE + 20_000)));
    expect(allReady.effects).toContainEqual({ type: "allReady" });
    expect(roles(apply(allReady.state, { type: "beginPlay", now: DEADLINE + 21_000 })).every(([, role]) => role === "player")).toBe(true);
  });

  it("counts a later step as progress while the percent sits at 99 (models created, plans measured)", () => {
    const atStep = (step: number, now: number): RoomIntent => ({ type: "reportPreload", playerId: "p2", percent: 99, status: "loading", step, now });
    // p2's downloads ended 30 s before the deadline; since then its page has been creating models
    // and measuring plans: the percent stays at 99, each finished stage is a new step.
    const state = apply(lobby(), ready("p1", OPEN + 1_000), ready("p3", OPEN + 2_000), atStep(4, DEADLINE - 30_000), atStep(5, DEADLINE - 20_000));
    const working = apply(state, atStep(6, DEADLINE - 5_000));
    const extended = expectOk(applyRoomIntent(working, deadlinePassed(DEADLINE)));
    expect(extended.state.phase).toBe("preloading");
    expect(extended.effects).toContainEqual({ type: "preloadExtended", deadline: DEADLINE + 15_000, reason: "progress", waitingFor: ["p2"] });
    // A step changes nothing friends see: nothing is broadcast for it.
    expect(expectOk(applyRoomIntent(state, atStep(6, DEADLINE - 5_000))).effects).toEqual([]);
    // The same step again, or an earlier one, is not progress: p2 watches.
    const repeated = apply(state, atStep(5, DEADLINE - 5_000), atStep(3, DEADLINE - 4_000));
    expect(roles(apply(repeated, deadlinePassed(DEADLINE)))).toEqual([
      ["p1", "player"],
      ["p2", "spectator"],
      ["p3", "player"],
    ]);
    // A page that starts over (a reload: a lower percent) counts its steps from 0 again.
    const reloaded = apply(state, { type: "reportPreload", playerId: "p2", percent: 0, status: "loading", step: 0, now: DEADLINE - 3_000 });
    expect(apply(reloaded, deadlinePassed(DEADLINE)).phase).toBe("preloading");
  });

  it("counts a new status as progress, but not a repeated or lower percent", () => {
    const state = apply(lobby(), ready("p1", OPEN + 1_000), progress("p2", 50, OPEN + 2_000));
    // The same 50% reported again, then a lower one, just before the deadline: not progress.
    const flat = apply(state, progress("p2", 50, DEADLINE - 1_000), progress("p2", 40, DEADLINE - 500));
    expect(apply(flat, deadlinePassed(DEADLINE)).phase).toBe("playing");
    // A retry (failed -> loading) is.
    const retried = apply(
      state,
      { type: "reportPreload", playerId: "p2", percent: 50, status: "failed", now: OPEN + 3_000 },
      { type: "reportPreload", playerId: "p2", percent: 0, status: "loading", now: DEADLINE - 1_000 },
    );
    expect(apply(retried, deadlinePassed(DEADLINE)).phase).toBe("preloading");
  });

  it("waits for a player still moving, but not for one stalled or failed: they watch", () => {
    const state = apply(
      newRoom(),
      { type: "join", playerId: "p2", nickname: "Jun" },
      { type: "join", playerId: "p3", nickname: "Sol" },
      { type: "join", playerId: "p4", nickname: "Ara" },
      { type: "startGame", playerId: "p1", setup, now: OPEN, preloadTimeoutMs: BASE },
      ready("p1", OPEN + 20_000),
      // Moved 16 s before the deadline and not since: stalled.
      progress("p2", 70, DEADLINE - 16_000),
      progress("p3", 60, DEADLINE - 3_000),
      // Still moving.
      progress("p4", 50, DEADLINE - 2_000),
    );
    const extended = expectOk(applyRoomIntent(state, deadlinePassed(DEADLINE)));
    expect(extended.effects).toContainEqual({ type: "preloadExtended", deadline: DEADLINE + 15_000, reason: "progress", waitingFor: ["p3", "p4"] });
    expect(roles(extended.state).every(([, role]) => role === "player")).toBe(true);
    // p4 finishes; p3 fails just before the next check (a fresh report, but "failed" is not waited for).
    const next = apply(extended.state, ready("p4", DEADLINE + 5_000), {
      type: "reportPreload",
      playerId: "p3",
      percent: 60,
      status: "failed",
      now: DEADLINE + 14_000,
    });
    const result = expectOk(applyRoomIntent(next, deadlinePassed(DEADLINE + 15_000)));
    expect(result.state.phase).toBe("playing");
    expect(roles(result.state)).toEqual([
      ["p1", "player"],
      ["p2", "spectator"],
      ["p3", "spectator"],
      ["p4", "player"],
    ]);
    expect(Object.keys(result.state.game?.match?.scores ?? {}).sort()).toEqual(["p1", "p4"]);
  });

  it("stops waiting for a player once its progress stops", () => {
    const extended = apply(lobby(), ready("p1", OPEN + 1_000), progress("p2", 40, DEADLINE - 2_000), deadlinePassed(DEADLINE));
    expect(extended.phase).toBe("preloading");
    // No report in the 15 s since: at the next check p2 watches.
    const playing = apply(extended, deadlinePassed(extended.game!.lobby!.deadline));
    expect(playing.phase).toBe("playing");
    expect(roles(playing)).toEqual([
      ["p1", "player"],
      ["p2", "spectator"],
      ["p3", "spectator"],
    ]);
  });

  it("never extends past the hard cap", () => {
    let state = apply(lobby(), ready("p1", OPEN + 1_000));
    let percent = 1;
    while (state.phase === "preloading") {
      const deadline = state.game!.lobby!.deadline;
      expect(deadline).toBeLessThanOrEqual(HARD_CAP);
      state = apply(state, progress("p2", percent++, deadline - 1_000), deadlinePassed(deadline));
    }
    expect(percent).toBeGreaterThan(2);
    expect(state.phase).toBe("playing");
    expect(roles(state)).toEqual([
      ["p1", "player"],
      ["p2", "spectator"],
      ["p3", "spectator"],
    ]);
  });

  it("calls the game off at the hard cap when nobody is ready: back to chatting, with the reason", () => {
    let state = apply(lobby(), progress("p2", 10, OPEN + 5_000));
    let checks = 0;
    while (state.phase === "preloading") {
      const deadline = state.game!.lobby!.deadline;
      const result = expectOk(applyRoomIntent(state, deadlinePassed(deadline)));
      state = result.state;
      checks += 1;
      if (state.phase === "chatting") {
        expect(deadline).toBe(HARD_CAP);
        expect(result.effects).toContainEqual({ type: "gameCalledOff", reason: "nobody_ready" });
        expect(result.effects).toContainEqual({ type: "phaseChanged", from: "preloading", to: "chatting" });
      }
    }
    // 45 s, then 15 s steps up to 135 s.
    expect(checks).toBe(7);
    expect(state.phase).toBe("chatting");
    expect(state.game).toBeNull();
    expect(state.calledOff).toEqual({ reason: "nobody_ready", at: HARD_CAP });
    expect(state.members.every((member) => member.role === "player" && member.preload.status === "idle")).toBe(true);
    const snapshot = toRoomSnapshot(state);
    expect(snapshot.calledOff).toEqual({ reason: "nobody_ready", at: HARD_CAP });
    expect(snapshot.game).toBeNull();
    // The next game clears the notice.
    const next = apply(state, { type: "startGame", playerId: "p1", setup, now: HARD_CAP + 60_000, preloadTimeoutMs: BASE });
    expect(next.calledOff).toBeNull();
    expect(toRoomSnapshot(next).calledOff).toBeNull();
  });

  it("plays with those ready at the hard cap, even while others are still moving", () => {
    let state = apply(lobby(), ready("p2", OPEN + 30_000));
    let percent = 1;
    while (state.phase === "preloading") {
      const deadline = state.game!.lobby!.deadline;
      state = apply(state, progress("p3", percent++, deadline - 1_000), deadlinePassed(deadline));
    }
    expect(state.phase).toBe("playing");
    expect(state.game?.match?.timeline.countdownStartsAt).toBeGreaterThanOrEqual(HARD_CAP);
    expect(roles(state)).toEqual([
      ["p1", "spectator"],
      ["p2", "player"],
      ["p3", "spectator"],
    ]);
  });

  it("does nothing when the check comes before the deadline", () => {
    const state = lobby();
    const early = expectOk(applyRoomIntent(state, deadlinePassed(DEADLINE - 1)));
    expect(early.state).toBe(state);
    expect(early.effects).toEqual([]);
  });

  it("never begins play with zero players, whatever asks", () => {
    const state = lobby();
    expect(applyRoomIntent(state, { type: "beginPlay", now: DEADLINE })).toMatchObject({ ok: false, error: { code: "nobody_ready" } });
    expect(applyRoomIntent(state, { type: "startEarly", playerId: "p1", now: DEADLINE })).toMatchObject({ ok: false, error: { code: "nobody_ready" } });
  });

  it("still lets the host start early with those ready, also while the deadline is extended", () => {
    const state = apply(lobby(), ready("p3", OPEN + 5_000), progress("p2", 50, DEADLINE - 1_000), deadlinePassed(DEADLINE));
    expect(state.phase).toBe("preloading");
    const playing = apply(state, { type: "startEarly", playerId: "p1", now: DEADLINE + 1_000 });
    expect(playing.phase).toBe("playing");
    expect(roles(playing)).toEqual([
      ["p1", "spectator"],
      ["p2", "spectator"],
      ["p3", "player"],
    ]);
  });
});

describe("the framing check in the lobby", () => {
  const readyFraming = (playerId: string, framing: "adjusting" | "ok" | "skipped", now: number): RoomIntent => ({
    type: "reportPreload",
    playerId,
    percent: 100,
    status: "ready",
    framing,
    now,
  });
  const allReady = (result: TransitionResult) => expectOk(result).effects.some((effect) => effect.type === "allReady");

  it("holds the all-ready start while a ready player fixes its framing, and friends see it", () => {
    const state = apply(lobby(), readyFraming("p1", "ok", OPEN + 1_000), readyFraming("p2", "skipped", OPEN + 2_000));
    const framing = applyRoomIntent(state, readyFraming("p3", "adjusting", OPEN + 3_000));
    expect(allReady(framing)).toBe(false);
    const snapshot = toRoomSnapshot(expectOk(framing).state);
    expect(snapshot.members.map((member) => member.preload)).toEqual([
      { percent: 100, status: "ready", framing: "ok" },
      { percent: 100, status: "ready", framing: "skipped" },
      { percent: 100, status: "ready", framing: "adjusting" },
    ]);
    // The picture is fixed (or "play anyway"): everyone is ready now.
    expect(allReady(applyRoomIntent(expectOk(framing).state, readyFraming("p3", "ok", OPEN + 5_000)))).toBe(true);
    expect(allReady(applyRoomIntent(expectOk(framing).state, readyFraming("p3", "skipped", OPEN + 5_000)))).toBe(true);
  });

  it("never holds the game past the deadline or the host's early start: a framing player plays", () => {
    const state = apply(lobby(), readyFraming("p1", "ok", OPEN + 1_000), readyFraming("p2", "adjusting", OPEN + 2_000), ready("p3", OPEN + 2_500));
    expect(state.phase).toBe("preloading");
    const atDeadline = apply(state, deadlinePassed(DEADLINE));
    expect(atDeadline.phase).toBe("playing");
    expect(roles(atDeadline)).toEqual([
      ["p1", "player"],
      ["p2", "player"],
      ["p3", "player"],
    ]);
    const early = apply(state, { type: "startEarly", playerId: "p1", now: OPEN + 4_000 });
    expect(early.phase).toBe("playing");
    expect(roles(early)).toContainEqual(["p2", "player"]);
  });
});
