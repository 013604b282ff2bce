// Rooms kept over a restart: written by the drain, read back once by the next start (real files in a temp dir).
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyRoomIntent, createRoom, type RoomState } from "@/core/room";
import { CARRY_OVER_FILE, saveRoomsForRestart, takeRoomsAfterRestart } from "@/server/realtime/roomCarryOver";
import { TEST_PLAYLISTS } from "@/core/playlist";

const logger = pino({ level: "silent" });

/** A room of two that is mid-preload: the state a drain may catch. */
function busyRoom(): RoomState {
  const created = createRoom({ code: "ABCDEFG", maxMembers: 8, host: { playerId: "host", nickname: "Host" } });
  if (!created.ok) throw new Error("room not created");
  const joined = applyRoomIntent(created.state, { type: "join", playerId: "ana", nickname: "Ana" });
  if (!joined.ok) throw new Error("join refused");
  const { settings } = TEST_PLAYLISTS["pose-only"];
  const started = applyRoomIntent(joined.state, {
    type: "startGame",
    playerId: "host",
    now: Date.now(),
    preloadTimeoutMs: 45_000,
    setup: {
      settings,
      testPlaylistId: "pose-only",
      timeScale: 1,
      targets: [
        { kind: "pose", targetId: "t1" },
        { kind: "pose", targetId: "t2" },
      ],
    },
  });
  if (!started.ok) throw new Error("start refused");
  return started.state;
}

describe("rooms kept over a restart", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "poseparty-carry-"));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("brings a room back once, in chat, everyone disconnected, seat tokens kept, game dropped", async () => {
    const room = busyRoom();
    expect(room.phase).toBe("preloading");
    await saveRoomsForRestart(dataDir, [{ state: room, sessionTokens: { host: "token-h", ana: "token-a" } }], logger);
    expect((await stat(path.join(dataDir, CARRY_OVER_FILE))).mode & 0o777).toBe(0o600);

    const [back, ...others] = await takeRoomsAfterRestart(dataDir, logger);
    expect(others).toEqual([]);
    expect(back?.state).toMatchObject({ code: "ABCDEFG", phase: "chatting", hostId: "host", game: null });
    expect(back?.state.members.map((member) => [member.id, member.nickname, member.connected, member.preload.status])).toEqual([
      ["host", "Host", false, "idle"],
      ["ana", "Ana", false, "idle"],
    ]);
    expect(back?.sessionTokens).toEqual({ host: "token-h", ana: "token-a" });
    // Once only: a second start (or a crash loop) does not resurrect it again.
    expect(await takeRoomsAfterRestart(dataDir, logger)).toEqual([]);
  });

  it("starts empty from a damaged or stale file, and deletes it", async () => {
    const file = path.join(dataDir, CARRY_OVER_FILE);
    await writeFile(file, "{ not json");
    expect(await takeRoomsAfterRestart(dataDir, logger)).toEqual([]);
    await expect(readFile(file)).rejects.toThrow();

    await saveRoomsForRestart(dataDir, [{ state: busyRoom(), sessionTokens: {} }], logger);
    const elevenMinutesLater = Date.now() + 11 * 60_000;
    expect(await takeRoomsAfterRestart(dataDir, logger, elevenMinutesLater)).toEqual([]);
  });
});
