// The room store's slices, driven the way React drives them: useSyncExternalStore calls the
// component's selection after every store change and re-renders only when it returns another
// value (Object.is). Neither jsdom nor happy-dom is a dev dependency, so React itself does not
// render here; the end-to-end render counts in docs/architecture.md cover that part.
import { describe, expect, it } from "vitest";
import { planTimeline } from "@/core/game/match";
import { roomSnapshotSchema, type MemberSnapshot, type RoomSnapshot } from "@/core/protocol";
import {
  applyMeters,
  applyRoomState,
  applyScoreboard,
  createSelection,
  createStore,
  selectRoom,
  selectScores,
  selectSeat,
  type RoomStoreState,
  type Store,
} from "@/client/roomStore";

function member(id: string, nickname: string): MemberSnapshot {
  return {
    id,
    nickname,
    connected: true,
    preload: { percent: 100, status: "ready" },
    role: "player",
    paused: false,
    isHost: id === "p1",
    media: { audio: true, video: true },
  };
}

/** A room in its first round, as the server sends it (checked against the protocol's schema). */
function playingRoom(): RoomSnapshot {
  const timeline = planTimeline(Date.now(), [{ kind: "pose", targetId: "test-messi5" }], 8);
  return roomSnapshotSchema.parse({
    code: "ABCD",
    phase: "playing",
    hostId: "p1",
    maxMembers: 8,
    members: [member("p1", "Mina"), member("p2", "Joon")],
    game: {
      settings: { rounds: 1, secondsPerRound: 8, difficulty: "easy", roundKinds: ["pose"], poseQuality: "lite" },
      testPlaylistId: null,
      timeScale: 1,
      preloadDeadline: null,
      timeline,
      copies: [],
      scores: [
        { playerId: "p1", total: 0, similarity: 0, rounds: [] },
        { playerId: "p2", total: 0, similarity: 0, rounds: [] },
      ],
      results: null,
    },
    calledOff: null,
  });
}

function seatedStore(): Store<RoomStoreState> {
  const store = createStore<RoomStoreState>({ connection: "connected", seat: null, room: null, removedReason: null, scores: {}, restarted: false });
  store.update({ seat: { roomCode: "ABCD", playerId: "p1", sessionToken: "token", nickname: "Mina" } });
  store.update(applyRoomState(store.getState(), playingRoom()));
  return store;
}

/** A component's subscription: counts the renders useSyncExternalStore would do. */
function watch<Slice>(store: Store<RoomStoreState>, selector: (state: RoomStoreState) => Slice, isEqual?: (a: Slice, b: Slice) => boolean) {
  const read = createSelection(store.getState, selector, isEqual);
  let shown = read();
  const view = { renders: 0, current: () => shown };
  store.subscribe(() => {
    const next = read();
    if (Object.is(next, shown)) return;
    shown = next;
    view.renders++;
  });
  return view;
}

const selectMembers = (state: RoomStoreState) => state.room?.members;
const selectSelfRounds = (state: RoomStoreState) => state.scores.p1?.rounds;
const meters = (similarity: number) => ({
  meters: [
    { playerId: "p1", similarity },
    { playerId: "p2", similarity: similarity / 2 },
  ],
});

describe("room store slices", () => {
  it("a scoreboard message re-renders the scoreboard and the scorer's award, not the room, the call or the seat", () => {
    const store = seatedStore();
    const scoreboard = watch(store, selectScores);
    const selfRounds = watch(store, selectSelfRounds);
    const room = watch(store, selectRoom);
    const callMembers = watch(store, selectMembers);
    const seat = watch(store, selectSeat);

    store.update(applyScoreboard(store.getState(), { entries: [{ playerId: "p1", total: 100, round: { roundIndex: 0, points: 100, grade: "perfect" } }] }));

    expect(scoreboard.renders).toBe(1);
    expect(scoreboard.current().p1?.total).toBe(100);
    expect(selfRounds.renders).toBe(1);
    expect(selfRounds.current()).toEqual([{ roundIndex: 0, points: 100, grade: "perfect" }]);
    expect([room.renders, callMembers.renders, seat.renders]).toEqual([0, 0, 0]);
  });

  it("meters ten times a second re-render only what draws the meters", () => {
    const store = seatedStore();
    store.update(applyScoreboard(store.getState(), { entries: [{ playerId: "p1", total: 50, round: { roundIndex: 0, points: 50, grade: "good" } }] }));
    const scoreboard = watch(store, selectScores);
    const selfRounds = watch(store, selectSelfRounds);
    const callMembers = watch(store, selectMembers);

    for (let tick = 1; tick <= 10; tick++) store.update(applyMeters(store.getState(), meters(tick / 10)));

    expect(scoreboard.renders).toBe(10);
    expect(scoreboard.current().p2?.similarity).toBe(0.5);
    // The rounds keep their reference through a meter: the stage's award is not redrawn.
    expect(selfRounds.renders).toBe(0);
    expect(selfRounds.current()?.[0]?.grade).toBe("good");
    expect(callMembers.renders).toBe(0);
  });

  it("a room snapshot re-renders the room and the call", () => {
    const store = seatedStore();
    const room = watch(store, selectRoom);
    const callMembers = watch(store, selectMembers);
    const seat = watch(store, selectSeat);
    const next = playingRoom();
    store.update(applyRoomState(store.getState(), { ...next, members: next.members.map((one) => (one.id === "p2" ? { ...one, paused: true } : one)) }));
    expect([room.renders, callMembers.renders, seat.renders]).toEqual([1, 1, 0]);
    expect(callMembers.current()?.[1]?.paused).toBe(true);
  });

  it("a derived slice equal to the last one is the same value, so it does not re-render", () => {
    const store = seatedStore();
    // A new array on every call: without an equality check every meter would re-render it.
    const selectNames = (state: RoomStoreState) => (state.room?.members ?? []).map((one) => one.nickname);
    const sameNames = (a: string[], b: string[]) => a.length === b.length && a.every((name, index) => name === b[index]);
    const withEquality = watch(store, selectNames, sameNames);
    const withoutEquality = watch(store, selectNames);
    for (let tick = 1; tick <= 5; tick++) store.update(applyMeters(store.getState(), meters(tick / 10)));
    expect(withEquality.renders).toBe(0);
    expect(withoutEquality.renders).toBe(5);
    expect(withEquality.current()).toEqual(["Mina", "Joon"]);
  });

  it("updates are immutable: the previous state's scores stay as they were", () => {
    const store = seatedStore();
    const before = store.getState();
    const beforeScores = structuredClone(before.scores);
    store.update(applyScoreboard(before, { entries: [{ playerId: "p2", total: 20, round: { roundIndex: 0, points: 20, grade: "good" } }] }));
    store.update(applyMeters(store.getState(), meters(0.9)));
    expect(before.scores).toEqual(beforeScores);
    expect(store.getState().scores.p2).toEqual({ playerId: "p2", total: 20, similarity: 0.45, rounds: [{ roundIndex: 0, points: 20, grade: "good" }] });
  });
});
