import { describe, expect, it } from "vitest";
import { applyRoomIntent, createRoom, type RoomIntent, type RoomState } from "@/core/room";
import { apply, expectOk, newRoom, setup } from "./support/roomBuilder";

const NOW = 5_000_000;
const TIMEOUT = 45_000;
/** The host opens the lobby at NOW; its first deadline is NOW + TIMEOUT. */
const start = (playerId: string): RoomIntent => ({ type: "startGame", playerId, setup, now: NOW, preloadTimeoutMs: TIMEOUT });
const ready = (playerId: string): RoomIntent => ({ type: "reportPreload", playerId, percent: 100, status: "ready", now: NOW });

describe("room state machine", () => {
  it("creates a chatting room with the creator as host", () => {
    const created = expectOk(createRoom({ code: "ABCDEFG", maxMembers: 8, host: { playerId: "p1", nickname: "  Mina  " } }));
    expect(created.state.phase).toBe("chatting");
    expect(created.state.hostId).toBe("p1");
    expect(created.state.members).toEqual([
      {
        id: "p1",
        nickname: "Mina",
        joinOrder: 0,
        connected: true,
        preload: { percent: 0, status: "idle" },
        role: "player",
        paused: false,
        media: { audio: true, video: true },
      },
    ]);
    expect(created.effects).toContainEqual({ type: "stateChanged" });
  });

  it("refuses to create a room with an empty nickname", () => {
    const result = createRoom({ code: "ABCDEFG", maxMembers: 8, host: { playerId: "p1", nickname: "   " } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe("nickname_empty");
  });

  it("joins members in order and announces the change", () => {
    const result = expectOk(applyRoomIntent(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }));
    expect(result.state.members.map((member) => member.nickname)).toEqual(["Mina", "Jun"]);
    expect(result.effects).toEqual([{ type: "memberJoined", playerId: "p2" }, { type: "stateChanged" }]);
  });

  it("makes duplicate nicknames unique, case-insensitively", () => {
    const state = apply(newRoom(), { type: "join", playerId: "p2", nickname: "mina" }, { type: "join", playerId: "p3", nickname: "MINA" });
    expect(state.members.map((member) => member.nickname)).toEqual(["Mina", "mina 2", "MINA 3"]);
  });

  it("rejects too-long nicknames without changing the room", () => {
    const before = newRoom();
    const result = applyRoomIntent(before, { type: "join", playerId: "p2", nickname: "x".repeat(21) });
    expect(result).toMatchObject({ ok: false, error: { code: "nickname_too_long" } });
    expect(before.members).toHaveLength(1);
  });

  it("refuses a member when the room is full", () => {
    const full = apply(newRoom(2), { type: "join", playerId: "p2", nickname: "Jun" });
    expect(applyRoomIntent(full, { type: "join", playerId: "p3", nickname: "Sol" })).toMatchObject({
      ok: false,
      error: { code: "room_full" },
    });
  });

  it("refuses the same player joining twice", () => {
    expect(applyRoomIntent(newRoom(), { type: "join", playerId: "p1", nickname: "Again" })).toMatchObject({
      ok: false,
      error: { code: "already_in_room" },
    });
  });

  it("hands the host seat to the earliest remaining member when the host leaves", () => {
    const state = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }, { type: "join", playerId: "p3", nickname: "Sol" });
    const result = expectOk(applyRoomIntent(state, { type: "leave", playerId: "p1" }));
    expect(result.state.hostId).toBe("p2");
    expect(result.effects).toContainEqual({ type: "hostChanged", hostId: "p2" });
    expect(result.state.members.map((member) => member.id)).toEqual(["p2", "p3"]);
  });

  it("keeps the host when someone else leaves", () => {
    const state = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }, { type: "leave", playerId: "p2" });
    expect(state.hostId).toBe("p1");
    expect(state.members).toHaveLength(1);
  });

  it("reports an empty room when the last member leaves", () => {
    const result = expectOk(applyRoomIntent(newRoom(), { type: "leave", playerId: "p1" }));
    expect(result.effects).toContainEqual({ type: "roomEmptied" });
  });

  it("lets only the host start the game", () => {
    const state = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" });
    expect(applyRoomIntent(state, start("p2"))).toMatchObject({ ok: false, error: { code: "not_host" } });
    const started = expectOk(applyRoomIntent(state, start("p1")));
    expect(started.state.phase).toBe("preloading");
    expect(started.effects).toContainEqual({ type: "phaseChanged", from: "chatting", to: "preloading" });
  });

  it("announces when every connected player is ready, then plays", () => {
    const lobby = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }, start("p1"));
    const oneReady = expectOk(applyRoomIntent(lobby, ready("p1")));
    expect(oneReady.effects).not.toContainEqual({ type: "allReady" });
    const bothReady = expectOk(applyRoomIntent(oneReady.state, ready("p2")));
    // Still in the lobby, so everyone sees every bar full before the game replaces it.
    expect(bothReady.state.phase).toBe("preloading");
    expect(bothReady.effects).toContainEqual({ type: "allReady" });
    const playing = expectOk(applyRoomIntent(bothReady.state, { type: "beginPlay", now: NOW }));
    expect(playing.state.phase).toBe("playing");
    expect(playing.effects).toContainEqual({ type: "phaseChanged", from: "preloading", to: "playing" });
  });

  it("waits for a player who is reconnecting, and stops waiting once it has left", () => {
    const lobby = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }, start("p1"), { type: "setConnected", playerId: "p2", connected: false });
    const oneReady = expectOk(applyRoomIntent(lobby, ready("p1")));
    expect(oneReady.effects).not.toContainEqual({ type: "allReady" });
    // Back within the grace period and done loading: the game can start with both.
    const back = apply(oneReady.state, { type: "setConnected", playerId: "p2", connected: true });
    expect(expectOk(applyRoomIntent(back, ready("p2"))).effects).toContainEqual({ type: "allReady" });
    // Never back: the grace period ends with a leave, and the lobby stops waiting.
    expect(expectOk(applyRoomIntent(oneReady.state, { type: "leave", playerId: "p2" })).effects).toContainEqual({ type: "allReady" });
  });

  it("turns players who are not ready into spectators on timeout or an early start", () => {
    const lobby = apply(
      newRoom(),
      { type: "join", playerId: "p2", nickname: "Jun" },
      { type: "join", playerId: "p3", nickname: "Sol" },
      start("p1"),
      ready("p1"),
    );
    for (const state of [apply(lobby, { type: "preloadTimedOut", now: NOW + TIMEOUT }), apply(lobby, { type: "startEarly", playerId: "p1", now: NOW })]) {
      expect(state.phase).toBe("playing");
      expect(state.members.map((member) => [member.id, member.role])).toEqual([
        ["p1", "player"],
        ["p2", "spectator"],
        ["p3", "spectator"],
      ]);
    }
    expect(applyRoomIntent(lobby, { type: "startEarly", playerId: "p2", now: NOW })).toMatchObject({ ok: false, error: { code: "not_host" } });
  });

  it("refuses an early start when nobody is ready", () => {
    const lobby = apply(newRoom(), start("p1"));
    expect(applyRoomIntent(lobby, { type: "startEarly", playerId: "p1", now: NOW })).toMatchObject({ ok: false, error: { code: "nobody_ready" } });
  });

  it("makes members who join mid-game spectators", () => {
    const playing = apply(newRoom(), start("p1"), ready("p1"), { type: "beginPlay", now: NOW });
    const joined = apply(playing, { type: "join", playerId: "p2", nickname: "Late" });
    expect(joined.members.find((member) => member.id === "p2")?.role).toBe("spectator");
    expect(joined.phase).toBe("playing");
  });

  it("goes playing -> results -> chatting, the last step by the host only", () => {
    const playing = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }, start("p1"), ready("p1"), {
      type: "startEarly",
      playerId: "p1",
      now: NOW,
    });
    expect(applyRoomIntent(newRoom(), ready("p1"))).toMatchObject({ ok: false, error: { code: "wrong_phase" } });
    expect(applyRoomIntent(newRoom(), { type: "finishGame", matchId: "m0", save: "saved", ranking: [] })).toMatchObject({
      ok: false,
      error: { code: "wrong_phase" },
    });
    const ranking = [{ playerId: "p1", total: 0, rank: 1 }];
    const results = apply(playing, { type: "finishGame", matchId: "m1", save: "saved", ranking });
    expect(results.phase).toBe("results");
    expect(results.game?.results).toEqual({ matchId: "m1", save: "saved", ranking });
    expect(applyRoomIntent(results, { type: "returnToChat", playerId: "p2" })).toMatchObject({ ok: false, error: { code: "not_host" } });
    const chatting = apply(results, { type: "returnToChat", playerId: "p1" });
    expect(chatting.phase).toBe("chatting");
    // Everyone plays the next game, including this game's spectators.
    expect(chatting.members.every((member) => member.role === "player" && member.preload.status === "idle")).toBe(true);
    expect(chatting.game).toBeNull();
  });

  it("stops waiting when the last unready player leaves the lobby", () => {
    const lobby = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }, start("p1"), ready("p1"));
    expect(expectOk(applyRoomIntent(lobby, { type: "leave", playerId: "p2" })).effects).toContainEqual({ type: "allReady" });
  });

  it("keeps the playlist with the game and every member's progress, live", () => {
    const lobby = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }, start("p1"));
    expect(lobby.game).toMatchObject({ ...setup, match: null, results: null, lobby: { openedAt: NOW, deadline: NOW + TIMEOUT } });
    expect(lobby.members.map((member) => member.preload)).toEqual([
      { percent: 0, status: "loading" },
      { percent: 0, status: "loading" },
    ]);
    const progressed = apply(lobby, { type: "reportPreload", playerId: "p2", percent: 42, status: "loading", now: NOW });
    expect(progressed.members[1]?.preload).toEqual({ percent: 42, status: "loading" });
    const repeat = expectOk(applyRoomIntent(progressed, { type: "reportPreload", playerId: "p2", percent: 42, status: "loading", now: NOW }));
    expect(repeat.effects).toEqual([]);
  });

  it("shows a failed load to everyone and lets the player retry", () => {
    const lobby = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }, start("p1"));
    const failed = apply(lobby, { type: "reportPreload", playerId: "p2", percent: 30, status: "failed", now: NOW }, ready("p1"));
    expect(failed.phase).toBe("preloading");
    expect(failed.members[1]?.preload.status).toBe("failed");
    const retrying = apply(failed, { type: "reportPreload", playerId: "p2", percent: 0, status: "loading", now: NOW });
    expect(retrying.members[1]?.preload.status).toBe("loading");
    expect(expectOk(applyRoomIntent(retrying, ready("p2"))).effects).toContainEqual({ type: "allReady" });
  });

  it("counts ready as 100% whatever percent was sent", () => {
    const lobby = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }, start("p1"));
    const state = apply(lobby, { type: "reportPreload", playerId: "p1", percent: 97, status: "ready", now: NOW });
    expect(state.members[0]?.preload).toEqual({ percent: 100, status: "ready" });
  });

  it("refuses progress from spectators and outside the lobby", () => {
    expect(applyRoomIntent(newRoom(), ready("p1"))).toMatchObject({ ok: false, error: { code: "wrong_phase" } });
    const playing = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }, start("p1"), ready("p1"), {
      type: "startEarly",
      playerId: "p1",
      now: NOW,
    });
    expect(applyRoomIntent(playing, ready("p2"))).toMatchObject({ ok: false, error: { code: "wrong_phase" } });
  });

  it("starts the match timeline with the ready players only, and scores them", () => {
    const playing = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }, start("p1"), ready("p1"), {
      type: "preloadTimedOut",
      now: NOW + TIMEOUT,
    });
    const match = playing.game?.match;
    expect(match?.timeline.rounds.map((round) => round.targetId)).toEqual(["t-pose", "star"]);
    expect(match?.timeline.countdownStartsAt).toBeGreaterThanOrEqual(NOW);
    expect(Object.keys(match?.scores ?? {})).toEqual(["p1"]);

    const openAt = match!.timeline.rounds[0]!.startsAt + 1_000;
    const scored = expectOk(applyRoomIntent(playing, { type: "score", playerId: "p1", roundIndex: 0, similarity: 0.95, award: "perfect", now: openAt }));
    expect(scored.effects).toEqual([{ type: "scoreChanged", playerId: "p1" }]);
    expect(scored.state.game?.match?.scores.p1?.total).toBeGreaterThan(0);
    // A spectator cannot score; a closed round cannot be scored.
    expect(applyRoomIntent(playing, { type: "score", playerId: "p2", roundIndex: 0, similarity: 1, now: openAt })).toMatchObject({
      ok: false,
      error: { code: "spectator" },
    });
    expect(applyRoomIntent(playing, { type: "score", playerId: "p1", roundIndex: 0, similarity: 1, now: NOW })).toMatchObject({
      ok: false,
      error: { code: "outside_window" },
    });
  });

  it("marks members disconnected and back without other changes", () => {
    const state = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" });
    const away = expectOk(applyRoomIntent(state, { type: "setConnected", playerId: "p2", connected: false }));
    expect(away.state.members[1]?.connected).toBe(false);
    expect(away.state.hostId).toBe("p1");
    const repeat = expectOk(applyRoomIntent(away.state, { type: "setConnected", playerId: "p2", connected: false }));
    expect(repeat.effects).toEqual([]);
  });
});

describe("dropping out and coming back mid-game", () => {
  /** Two players in round 0, both ready, p2 already awarded a PERFECT worth some points. */
  function midRound(): { state: RoomState; roundOpenAt: number } {
    const playing = apply(newRoom(), { type: "join", playerId: "p2", nickname: "Jun" }, start("p1"), ready("p1"), ready("p2"), { type: "beginPlay", now: NOW });
    const roundOpenAt = playing.game!.match!.timeline.rounds[0]!.startsAt + 500;
    const state = apply(playing, { type: "score", playerId: "p2", roundIndex: 0, similarity: 0.95, award: "perfect", now: roundOpenAt });
    return { state, roundOpenAt };
  }

  it("keeps seat, nickname, role, readiness and points through a drop and a return", () => {
    const { state } = midRound();
    const before = state.members[1]!;
    const pointsBefore = state.game!.match!.scores.p2!.total;
    expect(pointsBefore).toBeGreaterThan(0);

    const away = expectOk(applyRoomIntent(state, { type: "setConnected", playerId: "p2", connected: false }));
    expect(away.state.members[1]).toEqual({ ...before, connected: false });
    // The frozen meter would mislead friends: it reads 0, the points stay.
    expect(away.state.game!.match!.scores.p2).toMatchObject({ total: pointsBefore, similarity: 0 });
    expect(away.effects).toEqual([{ type: "stateChanged" }, { type: "scoreChanged", playerId: "p2" }]);

    const back = expectOk(applyRoomIntent(away.state, { type: "setConnected", playerId: "p2", connected: true }));
    expect(back.state.members[1]).toEqual(before);
    expect(back.state.phase).toBe("playing");
    expect(back.state.game!.match!.scores.p2!.total).toBe(pointsBefore);
  });

  it("counts points earned after the return on top of those from before", () => {
    const { state, roundOpenAt } = midRound();
    const pointsBefore = state.game!.match!.scores.p2!.total;
    const round1OpensAt = state.game!.match!.timeline.rounds[1]!.startsAt + 500;
    const after = apply(
      state,
      { type: "setConnected", playerId: "p2", connected: false },
      { type: "setConnected", playerId: "p2", connected: true },
      { type: "score", playerId: "p2", roundIndex: 1, similarity: 0.85, award: "good", now: round1OpensAt },
    );
    const score = after.game!.match!.scores.p2!;
    expect(score.total).toBeGreaterThan(pointsBefore);
    expect(score.rounds[0]?.points).toBe(pointsBefore);
    // The round awarded before the drop stays awarded: no second award after coming back.
    expect(applyRoomIntent(after, { type: "score", playerId: "p2", roundIndex: 0, similarity: 0.9, award: "good", now: roundOpenAt + 100 })).toMatchObject({
      ok: false,
      error: { code: "already_awarded" },
    });
  });

  it("marks a hidden page as paused during the game, clears its live meter and keeps its points", () => {
    const { state, roundOpenAt } = midRound();
    const live = apply(state, { type: "score", playerId: "p1", roundIndex: 0, similarity: 0.6, now: roundOpenAt + 100 });
    expect(live.game!.match!.scores.p1!.similarity).toBe(0.6);

    const hidden = expectOk(applyRoomIntent(live, { type: "setVisibility", playerId: "p1", hidden: true }));
    expect(hidden.state.members[0]).toMatchObject({ paused: true, connected: true, role: "player" });
    expect(hidden.state.game!.match!.scores.p1).toMatchObject({ similarity: 0, total: 0 });
    expect(hidden.effects).toEqual([{ type: "stateChanged" }, { type: "scoreChanged", playerId: "p1" }]);
    expect(expectOk(applyRoomIntent(hidden.state, { type: "setVisibility", playerId: "p1", hidden: true })).effects).toEqual([]);

    const visible = expectOk(applyRoomIntent(hidden.state, { type: "setVisibility", playerId: "p1", hidden: false }));
    expect(visible.state.members[0]?.paused).toBe(false);
    expect(visible.effects).toEqual([{ type: "stateChanged" }]);
    // p2 was not touched by any of it.
    expect(visible.state.game!.match!.scores.p2).toEqual(state.game!.match!.scores.p2);
  });

  it("shows results still being saved, then saved once that very match lands", () => {
    const { state } = midRound();
    const saving = apply(state, { type: "finishGame", matchId: "m1", save: "saving", ranking: [] });
    expect(saving.game?.results).toMatchObject({ matchId: "m1", save: "saving" });
    // Another match's id (this room moved on, or another room's match) changes nothing.
    expect(applyRoomIntent(saving, { type: "matchSaved", matchId: "m2" })).toMatchObject({ ok: false, error: { code: "wrong_phase" } });
    const saved = applyRoomIntent(saving, { type: "matchSaved", matchId: "m1" });
    expect(saved).toMatchObject({ ok: true, effects: [{ type: "stateChanged" }] });
    expect(saved.ok && saved.state.game?.results).toMatchObject({ matchId: "m1", save: "saved" });
    // Twice is harmless and broadcasts nothing.
    expect(saved.ok && applyRoomIntent(saved.state, { type: "matchSaved", matchId: "m1" })).toMatchObject({ ok: true, effects: [] });
  });

  it("ends pausing with the match and refuses it outside the game", () => {
    const { state } = midRound();
    const paused = apply(state, { type: "setVisibility", playerId: "p2", hidden: true });
    const results = apply(paused, { type: "finishGame", matchId: "m1", save: "saved", ranking: [] });
    expect(results.phase).toBe("results");
    expect(results.members.map((member) => member.paused)).toEqual([false, false]);
    expect(applyRoomIntent(results, { type: "setVisibility", playerId: "p2", hidden: true })).toMatchObject({
      ok: false,
      error: { code: "wrong_phase" },
    });
    expect(applyRoomIntent(newRoom(), { type: "setVisibility", playerId: "p1", hidden: true })).toMatchObject({
      ok: false,
      error: { code: "wrong_phase" },
    });
    expect(applyRoomIntent(state, { type: "setVisibility", playerId: "nobody", hidden: true })).toMatchObject({
      ok: false,
      error: { code: "not_in_room" },
    });
  });
});
