/**
 * Rooms survive a graceful restart (SIGTERM): the drain writes every room's members and seat
 * tokens to DATA_DIR, the next start reads them back (once) and the players' browsers, which
 * reconnect on their own, reclaim their seats with the tokens they hold. A round in progress
 * is abandoned: the room comes back in the chat phase. A crash (no drain) loses the rooms.
 */
import { chmod, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import type { RoomState } from "@/core/room";

export const CARRY_OVER_FILE = "rooms-at-shutdown.json";
/** Older than this, the players have given up: start empty. */
const MAX_CARRY_OVER_AGE_MS = 10 * 60_000;

const memberSchema = z.object({
  id: z.string(),
  nickname: z.string(),
  joinOrder: z.number().int(),
  connected: z.boolean(),
  preload: z.object({ percent: z.number(), status: z.enum(["idle", "loading", "ready", "failed"]) }),
  role: z.enum(["player", "spectator"]),
  paused: z.boolean(),
  media: z.object({ audio: z.boolean(), video: z.boolean() }),
});
const carriedRoomSchema = z.object({
  state: z.object({
    code: z.string(),
    phase: z.literal("chatting"),
    hostId: z.string(),
    members: z.array(memberSchema).min(1),
    maxMembers: z.number().int(),
    nextJoinOrder: z.number().int(),
    game: z.null(),
    // Files written before the field existed have none: a restored room shows no notice.
    calledOff: z.null().default(null),
  }),
  sessionTokens: z.record(z.string(), z.string()),
});
const carryOverSchema = z.object({ savedAt: z.number(), rooms: z.array(carriedRoomSchema) });

export interface CarriedRoom {
  state: RoomState;
  sessionTokens: Record<string, string>;
}

/** The room as it comes back: chatting, nobody connected yet, no game (a round in progress is abandoned). */
export function roomAfterRestart(state: RoomState): RoomState {
  return {
    ...state,
    phase: "chatting",
    game: null,
    calledOff: null,
    members: state.members.map((member) => ({
      ...member,
      connected: false,
      preload: { percent: 0, status: "idle" },
      role: "player",
      paused: false,
    })),
  };
}

/** Written during the drain; readable only by this user (it holds seat tokens). */
export async function saveRoomsForRestart(dataDir: string, rooms: CarriedRoom[], logger: Logger): Promise<void> {
  const file = path.join(dataDir, CARRY_OVER_FILE);
  const content = { savedAt: Date.now(), rooms: rooms.map((room) => ({ ...room, state: roomAfterRestart(room.state) })) };
  try {
    await writeFile(`${file}.tmp`, JSON.stringify(content), { mode: 0o600 });
    await chmod(`${file}.tmp`, 0o600);
    await rename(`${file}.tmp`, file);
    logger.info({ rooms: rooms.length }, "rooms kept for the restart");
  } catch (error) {
    logger.error({ err: error }, "could not keep the rooms for the restart: they are lost");
  }
}

/** Reads and deletes the drain's file: each room comes back once. Missing, stale or damaged: none. */
export async function takeRoomsAfterRestart(dataDir: string, logger: Logger, now = Date.now()): Promise<CarriedRoom[]> {
  const file = path.join(dataDir, CARRY_OVER_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return [];
  }
  await rm(file, { force: true });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = carryOverSchema.safeParse(json);
  if (!parsed.success) {
    logger.warn("ignored a damaged rooms file from the last shutdown");
    return [];
  }
  if (now - parsed.data.savedAt > MAX_CARRY_OVER_AGE_MS) {
    logger.info("rooms from the last shutdown are too old: starting empty");
    return [];
  }
  logger.info({ rooms: parsed.data.rooms.length }, "rooms carried over from the last shutdown");
  return parsed.data.rooms;
}
