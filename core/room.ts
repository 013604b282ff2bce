/**
 * The room as a pure state machine: (state, intent) -> (state, effects).
 * No timers, sockets or randomness here: the Socket.IO adapter supplies ids
 * and clocks, applies the intent, then carries out the effects.
 */
import { checkNickname, makeNicknameUnique } from "./nickname";
import type { ErrorCode } from "./protocol";

export type RoomPhase = "chatting" | "preloading" | "playing" | "results";
export type MemberRole = "player" | "spectator";

export interface Member {
  readonly id: string;
  readonly nickname: string;
  /** Monotonic join position: the earliest remaining member inherits the host seat. */
  readonly joinOrder: number;
  readonly connected: boolean;
  /** Meaningful while preloading: this member's models are loaded and warmed up. */
  readonly ready: boolean;
  readonly role: MemberRole;
}

export interface RoomState {
  readonly code: string;
  readonly phase: RoomPhase;
  readonly hostId: string;
  readonly members: readonly Member[];
  readonly maxMembers: number;
  readonly nextJoinOrder: number;
}

export type RoomIntent =
  | { type: "join"; playerId: string; nickname: string }
  | { type: "leave"; playerId: string }
  | { type: "setConnected"; playerId: string; connected: boolean }
  /** Host: chatting -> preloading. */
  | { type: "startGame"; playerId: string }
  /** A player reports its preload finished (or regressed, e.g. after a retry). */
  | { type: "setReady"; playerId: string; ready: boolean }
  /** Host starts early with whoever is ready; the rest watch. */
  | { type: "startEarly"; playerId: string }
  /** Server: the preload deadline passed; players not ready become spectators. */
  | { type: "preloadTimedOut" }
  /** Server: the last round ended. */
  | { type: "finishGame" }
  /** Host: results -> chatting. */
  | { type: "returnToChat"; playerId: string };

export type RoomEffect =
  | { type: "stateChanged" }
  | { type: "phaseChanged"; from: RoomPhase; to: RoomPhase }
  | { type: "hostChanged"; hostId: string }
  | { type: "memberJoined"; playerId: string }
  | { type: "memberLeft"; playerId: string }
  /** The last member left: the adapter forgets the room. */
  | { type: "roomEmptied" };

export interface RoomError {
  readonly code: ErrorCode;
  readonly message: string;
}

export type TransitionResult =
  | { ok: true; state: RoomState; effects: RoomEffect[] }
  | { ok: false; error: RoomError };

export interface CreateRoomInput {
  code: string;
  maxMembers: number;
  host: { playerId: string; nickname: string };
}

export function createRoom(input: CreateRoomInput): TransitionResult {
  const nickname = checkNickname(input.host.nickname);
  if (!nickname.ok) return fail(nickname.code, nicknameMessage(nickname.code));
  const host: Member = {
    id: input.host.playerId,
    nickname: nickname.nickname,
    joinOrder: 0,
    connected: true,
    ready: false,
    role: "player",
  };
  const state: RoomState = {
    code: input.code,
    phase: "chatting",
    hostId: host.id,
    members: [host],
    maxMembers: input.maxMembers,
    nextJoinOrder: 1,
  };
  return { ok: true, state, effects: [{ type: "memberJoined", playerId: host.id }, { type: "stateChanged" }] };
}

export function applyRoomIntent(state: RoomState, intent: RoomIntent): TransitionResult {
  switch (intent.type) {
    case "join":
      return join(state, intent.playerId, intent.nickname);
    case "leave":
      return leave(state, intent.playerId);
    case "setConnected":
      return setConnected(state, intent.playerId, intent.connected);
    case "startGame":
      return startGame(state, intent.playerId);
    case "setReady":
      return setReady(state, intent.playerId, intent.ready);
    case "startEarly":
      return startEarly(state, intent.playerId);
    case "preloadTimedOut":
      return state.phase === "preloading"
        ? beginPlaying(state)
        : fail("wrong_phase", "The lobby is not loading.");
    case "finishGame":
      return state.phase === "playing"
        ? changePhase(state, "results")
        : fail("wrong_phase", "No game is being played.");
    case "returnToChat":
      return returnToChat(state, intent.playerId);
  }
}

export function findMember(state: RoomState, playerId: string): Member | undefined {
  return state.members.find((member) => member.id === playerId);
}

function join(state: RoomState, playerId: string, rawNickname: string): TransitionResult {
  if (findMember(state, playerId)) return fail("already_in_room", "You are already in this room.");
  if (state.members.length >= state.maxMembers) {
    return fail("room_full", `This room is full (${state.maxMembers} players).`);
  }
  const checked = checkNickname(rawNickname);
  if (!checked.ok) return fail(checked.code, nicknameMessage(checked.code));
  const nickname = makeNicknameUnique(
    checked.nickname,
    state.members.map((member) => member.nickname),
  );
  // Someone arriving mid-game cannot have loaded models for it: they watch until the next game.
  const role: MemberRole = state.phase === "chatting" ? "player" : "spectator";
  const member: Member = { id: playerId, nickname, joinOrder: state.nextJoinOrder, connected: true, ready: false, role };
  return {
    ok: true,
    state: { ...state, members: [...state.members, member], nextJoinOrder: state.nextJoinOrder + 1 },
    effects: [{ type: "memberJoined", playerId }, { type: "stateChanged" }],
  };
}

function leave(state: RoomState, playerId: string): TransitionResult {
  if (!findMember(state, playerId)) return fail("not_in_room", "You are not in this room.");
  const members = state.members.filter((member) => member.id !== playerId);
  const effects: RoomEffect[] = [{ type: "memberLeft", playerId }];
  const [earliest] = [...members].sort((a, b) => a.joinOrder - b.joinOrder);
  if (!earliest) {
    return { ok: true, state: { ...state, members }, effects: [...effects, { type: "roomEmptied" }] };
  }
  let next: RoomState = { ...state, members };
  if (state.hostId === playerId) {
    next = { ...next, hostId: earliest.id };
    effects.push({ type: "hostChanged", hostId: earliest.id });
  }
  effects.push({ type: "stateChanged" });
  // The leaver may have been the last one the lobby was waiting for.
  const settled = settleLobby(next);
  return { ok: true, state: settled.state, effects: [...effects, ...settled.effects] };
}

function setConnected(state: RoomState, playerId: string, connected: boolean): TransitionResult {
  const member = findMember(state, playerId);
  if (!member) return fail("not_in_room", "You are not in this room.");
  if (member.connected === connected) return { ok: true, state, effects: [] };
  return {
    ok: true,
    state: replaceMember(state, { ...member, connected }),
    effects: [{ type: "stateChanged" }],
  };
}

function startGame(state: RoomState, playerId: string): TransitionResult {
  const denied = requireHost(state, playerId) ?? requirePhase(state, "chatting");
  if (denied) return denied;
  const members = state.members.map((member) => ({ ...member, ready: false, role: "player" as const }));
  return changePhase({ ...state, members }, "preloading");
}

function setReady(state: RoomState, playerId: string, ready: boolean): TransitionResult {
  const member = findMember(state, playerId);
  if (!member) return fail("not_in_room", "You are not in this room.");
  const denied = requirePhase(state, "preloading");
  if (denied) return denied;
  if (member.role === "spectator") return fail("spectator", "Spectators do not load the game.");
  if (member.ready === ready) return { ok: true, state, effects: [] };
  const updated = replaceMember(state, { ...member, ready });
  const settled = settleLobby(updated);
  return { ok: true, state: settled.state, effects: [{ type: "stateChanged" }, ...settled.effects] };
}

function startEarly(state: RoomState, playerId: string): TransitionResult {
  const denied = requireHost(state, playerId) ?? requirePhase(state, "preloading");
  if (denied) return denied;
  if (!state.members.some((member) => member.role === "player" && member.ready)) {
    return fail("nobody_ready", "Nobody has finished loading yet.");
  }
  return beginPlaying(state);
}

function returnToChat(state: RoomState, playerId: string): TransitionResult {
  const denied = requireHost(state, playerId) ?? requirePhase(state, "results");
  if (denied) return denied;
  const members = state.members.map((member) => ({ ...member, ready: false, role: "player" as const }));
  return changePhase({ ...state, members }, "chatting");
}

/** Starts play once every connected player is ready; disconnected ones are not waited for. */
function settleLobby(state: RoomState): { state: RoomState; effects: RoomEffect[] } {
  if (state.phase !== "preloading") return { state, effects: [] };
  const waitingFor = state.members.filter((member) => member.role === "player" && member.connected);
  if (waitingFor.length === 0 || !waitingFor.every((member) => member.ready)) return { state, effects: [] };
  const started = beginPlaying(state);
  return started.ok ? { state: started.state, effects: started.effects } : { state, effects: [] };
}

/** preloading -> playing: whoever is not ready now watches this game. */
function beginPlaying(state: RoomState): TransitionResult {
  const members = state.members.map((member) =>
    member.ready ? member : { ...member, role: "spectator" as const },
  );
  return changePhase({ ...state, members }, "playing");
}

function changePhase(state: RoomState, to: RoomPhase): TransitionResult {
  return {
    ok: true,
    state: { ...state, phase: to },
    effects: [{ type: "phaseChanged", from: state.phase, to }, { type: "stateChanged" }],
  };
}

function replaceMember(state: RoomState, member: Member): RoomState {
  return { ...state, members: state.members.map((existing) => (existing.id === member.id ? member : existing)) };
}

function requireHost(state: RoomState, playerId: string): { ok: false; error: RoomError } | null {
  if (!findMember(state, playerId)) return fail("not_in_room", "You are not in this room.");
  return state.hostId === playerId ? null : fail("not_host", "Only the host can do that.");
}

function requirePhase(state: RoomState, phase: RoomPhase): { ok: false; error: RoomError } | null {
  return state.phase === phase ? null : fail("wrong_phase", `That is only possible while ${phase}.`);
}

function nicknameMessage(code: "nickname_empty" | "nickname_too_long"): string {
  return code === "nickname_empty" ? "Please enter a nickname." : "Nicknames are at most 20 characters.";
}

function fail(code: ErrorCode, message: string): { ok: false; error: RoomError } {
  return { ok: false, error: { code, message } };
}
