/** Rooms for the room machine's unit tests, built through its own intents as the server builds them. */
import { DEFAULT_PLAYLIST, type GameSetup } from "@/core/playlist";
import { applyRoomIntent, createRoom, type RoomIntent, type RoomState, type TransitionResult } from "@/core/room";

/** A two-round pose game with fixed targets. */
export const setup: GameSetup = {
  settings: { ...DEFAULT_PLAYLIST, rounds: 2 },
  testPlaylistId: null,
  timeScale: 1,
  targets: [
    { kind: "pose", targetId: "t-pose" },
    { kind: "pose", targetId: "star" },
  ],
};

export function expectOk(result: TransitionResult): Extract<TransitionResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result;
}

/** Applies the intents in order; any refusal fails the test. */
export function apply(state: RoomState, ...intents: RoomIntent[]): RoomState {
  return intents.reduce((current, intent) => expectOk(applyRoomIntent(current, intent)).state, state);
}

/** A chatting room ABCDEFG whose only member is its host, p1 "Mina". */
export function newRoom(maxMembers = 8): RoomState {
  return expectOk(createRoom({ code: "ABCDEFG", maxMembers, host: { playerId: "p1", nickname: "Mina" } })).state;
}
