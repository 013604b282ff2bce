"use client";
/**
 * The browser's view of "my seat in a room": the last room snapshot from the
 * server and the credentials to reclaim the seat after a reload or a drop.
 * Components read the slice they show with `useRoomStore(selector)` and send intents through it.
 */
import { useMemo, useSyncExternalStore } from "react";
import type { JoinedRoom, PlayerScoreSnapshot, RoomSnapshot, ServerPayload } from "@/core/protocol";
import { wireMoments } from "./moments/momentStore";
import { getSocket, request, type ClientAck, type ClientErrorCode } from "./socket";
import { forgetSeat, rememberNickname, storedSeat, storeSeat, type Seat } from "./room/seat";

export type ConnectionStatus = "connecting" | "connected" | "unreachable" | "restarting";

export interface RoomStoreState {
  connection: ConnectionStatus;
  seat: Seat | null;
  room: RoomSnapshot | null;
  /** Set when the server dropped us from the room (grace expired, another tab took the seat). */
  removedReason: ClientErrorCode | null;
  /** Live scores by player: the snapshot's, updated by every scoreboard change and meter tick. */
  scores: Readonly<Record<string, PlayerScoreSnapshot>>;
  /** The server restarted under us (it said so before closing): shown until the next game starts. */
  restarted: boolean;
}

/**
 * A tiny external store: every update is a new state object, and a slice nobody changed keeps
 * its reference, so a selector can tell "my slice changed" by comparing references.
 */
export interface Store<State> {
  getState(): State;
  update(patch: Partial<State>): void;
  subscribe(listener: () => void): () => void;
}

export function createStore<State>(initial: State): Store<State> {
  let current = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => current,
    update(patch) {
      current = { ...current, ...patch };
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * Reads one slice of a store for useSyncExternalStore: the same state, or a slice `isEqual` to
 * the last one, gives back the very same value, so a store update that leaves the slice alone
 * does not re-render the component that shows it.
 */
export function createSelection<State, Slice>(
  getState: () => State,
  selector: (state: State) => Slice,
  isEqual: (a: Slice, b: Slice) => boolean = Object.is,
): () => Slice {
  let memo: { state: State; slice: Slice } | null = null;
  return () => {
    const state = getState();
    if (memo && memo.state === state) return memo.slice;
    const next = selector(state);
    const slice = memo && isEqual(memo.slice, next) ? memo.slice : next;
    memo = { state, slice };
    return slice;
  };
}

/** A room snapshot from the server; scores start over from the snapshot's. */
export function applyRoomState(state: RoomStoreState, room: RoomSnapshot): Partial<RoomStoreState> {
  return { room, scores: scoresOf(room), restarted: state.restarted && room.phase === "chatting" };
}

/** Each entry is what one award changed: the new total and that round's result. */
export function applyScoreboard(state: RoomStoreState, { entries }: ServerPayload<"game:scoreboard">): Partial<RoomStoreState> {
  const scores = { ...state.scores };
  for (const { playerId, total, round } of entries) {
    const previous = scores[playerId] ?? { playerId, total: 0, similarity: 0, rounds: [] };
    const rounds = [...previous.rounds.filter((known) => known.roundIndex !== round.roundIndex), round];
    scores[playerId] = { ...previous, total, rounds };
  }
  return { scores };
}

/** The room's live meters: only the similarity changes (each score's rounds keep their reference). */
export function applyMeters(state: RoomStoreState, { meters }: ServerPayload<"game:meters">): Partial<RoomStoreState> {
  const scores = { ...state.scores };
  for (const { playerId, similarity } of meters) {
    const score = scores[playerId];
    if (score) scores[playerId] = { ...score, similarity };
  }
  return { scores };
}

const store = createStore<RoomStoreState>({ connection: "connecting", seat: null, room: null, removedReason: null, scores: {}, restarted: false });
const update = store.update;
/** The current state, outside React (the best-moment keeper asks whether the camera is on in the call). */
export const roomStoreState = (): RoomStoreState => store.getState();
let wired = false;

function wireSocket(): void {
  if (wired) return;
  wired = true;
  const socket = getSocket();
  wireMoments(socket);
  if (socket.connected) update({ connection: "connected" });
  socket.on("connect", () => {
    const afterRestart = store.getState().connection === "restarting";
    update({ connection: "connected" });
    // A new connection has no seat on the server yet: reclaim ours with the session token.
    const { seat } = store.getState();
    if (seat) void reclaimSeat(seat, afterRestart);
  });
  socket.on("connect_error", () => {
    if (store.getState().connection !== "restarting") update({ connection: "unreachable" });
  });
  socket.on("disconnect", () => {
    if (store.getState().connection !== "restarting") update({ connection: "connecting" });
  });
  socket.on("server:shutdown", () => update({ connection: "restarting" }));
  socket.on("room:state", (room) => {
    const state = store.getState();
    if (state.seat && room.code === state.seat.roomCode) update(applyRoomState(state, room));
  });
  socket.on("game:scoreboard", (payload) => update(applyScoreboard(store.getState(), payload)));
  // Ten times a second during a round: only what shows scores subscribes to them.
  socket.on("game:meters", (payload) => update(applyMeters(store.getState(), payload)));
  socket.on("room:removed", ({ code }) => {
    const { seat } = store.getState();
    if (seat) forgetSeat(seat.roomCode);
    update({ seat: null, room: null, removedReason: code });
  });
}

/**
 * After a drop or a server restart: the server kept the room (a restart brings it back in chat,
 * the round abandoned) and the token takes the seat back; or the room is gone, and the player
 * is told instead of staring at a frozen screen.
 */
async function reclaimSeat(seat: Seat, afterRestart: boolean): Promise<void> {
  const answer = await joinRoom(seat.roomCode, seat.nickname);
  if (answer.ok) {
    if (afterRestart) update({ restarted: true });
  } else if (answer.code === "room_not_found" || answer.code === "room_full") {
    forgetSeat(seat.roomCode);
    update({ seat: null, room: null, removedReason: answer.code, restarted: afterRestart });
  }
}

function subscribe(listener: () => void): () => void {
  wireSocket();
  return store.subscribe(listener);
}

const serverSnapshot: RoomStoreState = { connection: "connecting", seat: null, room: null, removedReason: null, scores: {}, restarted: false };

function scoresOf(room: RoomSnapshot): Record<string, PlayerScoreSnapshot> {
  return Object.fromEntries((room.game?.scores ?? []).map((score) => [score.playerId, score]));
}

const wholeState = (state: RoomStoreState) => state;

/**
 * The slice of the room store a component shows; it re-renders only when that slice changes
 * (by reference, or by `isEqual`). Scores change ten times a second during a round: select them
 * only where they are drawn. Keep `selector` and `isEqual` stable (module-level) when they build
 * a new value, so the memo survives the component's own renders.
 */
export function useRoomStore<Slice>(selector: (state: RoomStoreState) => Slice, isEqual?: (a: Slice, b: Slice) => boolean): Slice;
/** The whole state: re-renders on every change, meters included. Prefer a selector. */
export function useRoomStore(): RoomStoreState;
export function useRoomStore<Slice>(
  selector: (state: RoomStoreState) => Slice = wholeState as (state: RoomStoreState) => Slice,
  isEqual?: (a: Slice, b: Slice) => boolean,
): Slice {
  const [getSelection, getServerSelection] = useMemo(
    () => [createSelection(store.getState, selector, isEqual), createSelection(() => serverSnapshot, selector, isEqual)],
    [selector, isEqual],
  );
  return useSyncExternalStore(subscribe, getSelection, getServerSelection);
}

export const selectConnection = (state: RoomStoreState) => state.connection;
export const selectSeat = (state: RoomStoreState) => state.seat;
export const selectRoom = (state: RoomStoreState) => state.room;
export const selectScores = (state: RoomStoreState) => state.scores;
export const selectRemovedReason = (state: RoomStoreState) => state.removedReason;
export const selectRestarted = (state: RoomStoreState) => state.restarted;

function takeSeat(joined: JoinedRoom, nickname: string): void {
  const seat: Seat = {
    roomCode: joined.room.code,
    playerId: joined.playerId,
    sessionToken: joined.sessionToken,
    // The server may have made the name unique ("Mina 2"): keep the one the room shows.
    nickname: joined.room.members.find((member) => member.id === joined.playerId)?.nickname ?? nickname,
  };
  storeSeat(seat);
  update({ seat, room: joined.room, removedReason: null, scores: scoresOf(joined.room) });
}

export async function createRoom(nickname: string): Promise<ClientAck<"room:create">> {
  wireSocket();
  const answer = await request("room:create", { nickname });
  if (answer.ok) {
    rememberNickname(nickname);
    takeSeat(answer, nickname);
  }
  return answer;
}

/** Joins, or reclaims this tab's seat when it has one for the room. */
export async function joinRoom(roomCode: string, nickname: string): Promise<ClientAck<"room:join">> {
  wireSocket();
  const previous = storedSeat(roomCode);
  const answer = await request("room:join", {
    roomCode,
    nickname: previous?.nickname ?? nickname,
    ...(previous ? { sessionToken: previous.sessionToken } : {}),
  });
  if (answer.ok) {
    rememberNickname(previous?.nickname ?? nickname);
    takeSeat(answer, previous?.nickname ?? nickname);
  }
  return answer;
}

export function peekRoom(roomCode: string): Promise<ClientAck<"room:peek">> {
  wireSocket();
  return request("room:peek", { roomCode });
}

export async function leaveRoom(): Promise<void> {
  const { seat } = store.getState();
  if (seat) forgetSeat(seat.roomCode);
  update({ seat: null, room: null, restarted: false });
  await request("room:leave", {});
}
