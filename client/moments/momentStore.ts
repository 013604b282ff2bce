"use client";
/**
 * Best moments friends shared for the results on screen ("game:moments"), by player. Memory
 * only; forgotten when the room leaves the results or another match's moments arrive.
 */
import { useSyncExternalStore } from "react";
import type { RoomSnapshot, ServerPayload } from "@/core/protocol";
import type { PoseClientSocket } from "../socket";

export interface SharedMoments {
  matchId: string | null;
  /** playerId -> image data URL. */
  images: Readonly<Record<string, string>>;
}

const NONE: SharedMoments = { matchId: null, images: {} };
// Its own tiny store (not roomStore's createStore: roomStore imports this module).
let current: SharedMoments = NONE;
const listeners = new Set<() => void>();
const store = {
  getState: () => current,
  update(next: SharedMoments) {
    current = next;
    for (const listener of [...listeners]) listener();
  },
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
};

/** Merges what arrived: a new match starts over, a null image withdraws that player's. */
export function applyMoments(current: SharedMoments, { matchId, moments }: ServerPayload<"game:moments">): SharedMoments {
  const images: Record<string, string> = matchId === current.matchId ? { ...current.images } : {};
  for (const { playerId, image } of moments) {
    if (image === null) delete images[playerId];
    else images[playerId] = image;
  }
  return { matchId, images };
}

/** Called once with the page's socket (client/roomStore.ts), before any join can answer. */
export function wireMoments(socket: PoseClientSocket): void {
  socket.on("game:moments", (payload) => store.update(applyMoments(store.getState(), payload)));
  socket.on("room:state", (room: RoomSnapshot) => {
    if (room.phase !== "results" && store.getState().matchId !== null) store.update(NONE);
  });
}

/** The moments shared for this match (none for another). */
export function useSharedMoments(matchId: string | undefined): Readonly<Record<string, string>> {
  const state = useSyncExternalStore(store.subscribe, store.getState, () => NONE);
  return state.matchId !== null && state.matchId === matchId ? state.images : NONE.images;
}
