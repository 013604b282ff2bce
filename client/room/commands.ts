"use client";
/**
 * What the game and the lobby send to their room: typed intents over the one socket
 * (client/socket.ts), acknowledged or, for the live lane, fire-and-forget.
 */
import type { ClientPayload, LivePayload } from "@/core/protocol";
import { getSocket, request } from "../socket";

export function startGame(choice: ClientPayload<"game:start">) {
  return request("game:start", choice);
}

export function sendRoomIntent(event: "game:startEarly" | "game:returnToChat") {
  return request(event, {});
}

/** An award, acked: the server checks it against the meter samples sent before it. */
export function sendAward(update: ClientPayload<"game:score">) {
  return request("game:score", update);
}

/** A copy round's leader: the pose it struck (core/game/copyRound.ts). */
export function sendLeaderPose(struck: ClientPayload<"game:leaderPose">) {
  return request("game:leaderPose", struck);
}

/**
 * A live meter sample, without an ack. Only while connected: a sample buffered through a drop
 * would arrive stale, before the seat is reclaimed.
 */
export function sendMeter(sample: LivePayload<"game:meter">): void {
  const socket = getSocket();
  if (socket.connected) socket.emit("game:meter", sample);
}

/** The game page's heartbeat (see "game:alive"); like a meter sample, only while connected. */
export function sendAlive(): void {
  const socket = getSocket();
  if (socket.connected) socket.emit("game:alive", {});
}

export function sendVisibility(update: ClientPayload<"game:visibility">) {
  return request("game:visibility", update);
}

/** This player's best moment for the results shown, or null to withdraw it. */
export function sendMoment(moment: ClientPayload<"game:moment">) {
  return request("game:moment", moment);
}

export function sendPreloadProgress(update: ClientPayload<"preload:progress">) {
  return request("preload:progress", update);
}

/** A WebRTC offer, answer or candidate for one friend in the room, relayed by the server. */
export function sendSignal(signal: ClientPayload<"rtc:signal">) {
  return request("rtc:signal", signal);
}

/** What this phone sends into the call (microphone, camera, a slow uplink), for the others' tiles. */
export function sendCallMedia(media: ClientPayload<"call:media">) {
  return request("call:media", media);
}
