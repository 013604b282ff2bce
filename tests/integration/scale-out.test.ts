// Two real server processes sharing one real redis-server (Debian's, started here on loopback),
// players split across them in one room, playing a whole match. Nothing is mocked.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomSnapshot, ScoreChange, ServerPayload } from "@/core/protocol";
import { redisServerInstalled, startRedis, type RedisProcess } from "../../scripts/lib/redisProcess";
import { startServerProcess, type ServerProcess } from "./processes";
import { expectOk, holdPose, nextRoomState, send, type TestClient } from "./support";

// Fixed loopback ports from this suite's range (other suites use port 0).
const REDIS_PORT = 6391;
const PORT_A = 3310;
const PORT_B = 3311;

// Tokens are minted locally: no LiveKit server is contacted.
const LIVEKIT = {
  LIVEKIT_URL: "wss://livekit.example.test",
  LIVEKIT_API_KEY: "APItestkey",
  LIVEKIT_API_SECRET: "a-test-secret-that-is-long-enough-for-hs256-0123456789",
};

const redisInstalled = redisServerInstalled();
const inCi = process.env.CI === "true" || process.env.CI === "1";

describe.skipIf(!redisInstalled && !inCi)("two server processes behind one Redis", () => {
  let redis: RedisProcess | undefined;
  let serverA: ServerProcess | undefined;
  let serverB: ServerProcess | undefined;
  const dataDirs: string[] = [];

  beforeAll(async () => {
    if (!redisInstalled) {
      throw new Error("redis-server is not installed: `apt-get install -y redis-server` (.ci/run installs it). This suite must run in CI.");
    }
    redis = await startRedis(REDIS_PORT);
    const env = async (port: number) => {
      const dataDir = await mkdtemp(path.join(tmpdir(), "poseparty-scale-"));
      dataDirs.push(dataDir);
      return { PORT: String(port), DATA_DIR: dataDir, REDIS_URL: redis!.url, ALLOW_TEST_PLAYLISTS: "true", ...LIVEKIT };
    };
    [serverA, serverB] = await Promise.all([startServerProcess(await env(PORT_A)), startServerProcess(await env(PORT_B))]);
  });

  afterAll(async () => {
    await Promise.all([serverA?.stop(), serverB?.stop()]);
    await redis?.stop();
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("plays one room with players on both processes: same members, same scores, same finished match", { timeout: 180_000 }, async () => {
    const a = serverA!;
    const b = serverB!;
    // Host and Bo on process A, Ana on process B.
    const host = await a.connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const code = created.room.code;

    const ana = await b.connectClient();
    // The code is known on B although the room lives on A.
    expect(expectOk(await send(ana, "room:peek", { roomCode: code.toLowerCase() }))).toMatchObject({ code, memberCount: 1 });
    const hostSeesAna = nextRoomState(host, (room) => room.members.length === 2);
    // The owner adds B's socket to the room and broadcasts at once: that very broadcast must
    // reach it (an adapter that subscribes B per room only after the join would drop it).
    const anaSeesHerself = nextRoomState(ana, (room) => room.members.length === 2);
    const anaJoined = expectOk(await send(ana, "room:join", { roomCode: code, nickname: "Ana" }));
    expect(anaJoined.room.members.map((member) => member.nickname)).toEqual(["Host", "Ana"]);
    await Promise.all([hostSeesAna, anaSeesHerself]);

    const bo = await a.connectClient();
    const anaSeesBo = nextRoomState(ana, (room) => room.members.length === 3);
    const boJoined = expectOk(await send(bo, "room:join", { roomCode: code, nickname: "Bo" }));
    const anaView = await anaSeesBo;
    expect(anaView.members.map((member) => [member.id, member.nickname, member.isHost])).toEqual([
      [created.playerId, "Host", true],
      [anaJoined.playerId, "Ana", false],
      [boJoined.playerId, "Bo", false],
    ]);
    expect(boJoined.room.members).toEqual(anaView.members);

    // The call's token route on B knows the seats of A's room (it asks the owner).
    const tokenFromB = await fetch(`${b.url}/api/livekit/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ roomCode: code, sessionToken: created.sessionToken }),
    });
    expect(tokenFromB.status).toBe(200);
    expect(((await tokenFromB.json()) as { identity: string }).identity).toBe(created.playerId);
    const wrongToken = await fetch(`${b.url}/api/livekit/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ roomCode: code, sessionToken: "not-a-seat-token-at-all" }),
    });
    expect(wrongToken.status).toBe(403);

    // Ana (on B) cannot act as host: the owner's machine answered.
    expect(await send(ana, "game:start", { testPlaylist: "pose-only" })).toMatchObject({ ok: false, code: "not_host" });

    const clients: TestClient[] = [host, ana, bo];
    const preloading = clients.map((client) => nextRoomState(client, (room) => room.phase === "preloading"));
    expectOk(await send(host, "game:start", { testPlaylist: "pose-only" }));
    await Promise.all(preloading);
    const playing = clients.map((client) => nextRoomState(client, (room) => room.phase === "playing", 10_000));
    for (const client of clients) expectOk(await send(client, "preload:progress", { percent: 100, status: "ready" }));
    const started = await Promise.all(playing);
    const timeline = started[0]!.game!.timeline!;
    for (const view of started) expect(view.game?.timeline).toEqual(timeline);

    // Everyone collects the live scoreboard, wherever their socket lives.
    const boards = clients.map(() => new Map<string, ScoreChange>());
    clients.forEach((client, index) =>
      client.on("game:scoreboard", ({ entries }) => {
        for (const entry of entries) boards[index]!.set(entry.playerId, entry);
      }),
    );
    const results = clients.map((client) => nextRoomState(client, (room) => room.phase === "results", timeline.endsAt - Date.now() + 15_000));

    const firstRound = timeline.rounds[0]!;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstRound.startsAt - Date.now()) + 100));
    // Both hold the pose on their meters first, wherever their socket lives.
    await Promise.all([holdPose(host, 0, 0.96), holdPose(ana, 0, 0.86)]);
    expectOk(await send(host, "game:score", { roundIndex: 0, similarity: 0.95, award: "perfect" }));
    expectOk(await send(ana, "game:score", { roundIndex: 0, similarity: 0.8, award: "good" }));
    // The same award twice is refused by the owner, whichever process it came through.
    expect(await send(ana, "game:score", { roundIndex: 0, similarity: 0.8, award: "good" })).toMatchObject({ ok: false, code: "already_awarded" });

    const finished: RoomSnapshot[] = await Promise.all(results);
    const reference = finished[0]!;
    for (const view of finished) {
      expect(view.game?.results).toEqual(reference.game?.results);
      expect(view.game?.scores).toEqual(reference.game?.scores);
      expect(view.members).toEqual(reference.members);
    }
    expect(reference.game?.results?.matchId).toEqual(expect.any(String));
    const totals = Object.fromEntries(reference.game!.scores.map((score) => [score.playerId, score.total]));
    expect(totals[created.playerId]).toBeGreaterThan(0);
    expect(totals[anaJoined.playerId]).toBeGreaterThan(0);
    expect(totals[boJoined.playerId]).toBe(0);
    expect(reference.game?.results?.ranking.at(-1)?.playerId).toBe(boJoined.playerId);

    // The live scoreboards on A and on B saw the same points as the final snapshot.
    for (const board of boards) {
      expect(board.get(created.playerId)?.total).toBe(totals[created.playerId]);
      expect(board.get(anaJoined.playerId)?.total).toBe(totals[anaJoined.playerId]);
    }

    // Leaving from B is seen on A.
    const hostSeesAnaLeave = nextRoomState(host, (room) => room.members.length === 2);
    expectOk(await send(ana, "room:leave", {}));
    expect((await hostSeesAnaLeave).members.map((member) => member.nickname)).toEqual(["Host", "Bo"]);
  });

  it("refuses a room code that no process owns, from either process", async () => {
    const client = await serverB!.connectClient();
    expect(await send(client, "room:peek", { roomCode: "ZZZZZZZ" })).toMatchObject({ ok: false, code: "room_not_found" });
    expect(await send(client, "room:join", { roomCode: "ZZZZZZZ", nickname: "Nobody" })).toMatchObject({ ok: false, code: "room_not_found" });
  });

  // Runs last: it kills process A.
  it("tells the players on the other process when the room's owner dies, and they can start over there", { timeout: 120_000 }, async () => {
    const host = await serverA!.connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const ana = await serverB!.connectClient();
    expectOk(await send(ana, "room:join", { roomCode: created.room.code, nickname: "Ana" }));
    const removed = new Promise<ServerPayload<"room:removed">>((resolve) => ana.once("room:removed", resolve));
    expect(await serverA!.stop("SIGKILL")).toBeNull(); // no drain: the owner's claim simply stops being refreshed
    // The claim's TTL runs out, then B's owner check notices (docs/scale-out.md): about 20 s.
    expect(await removed).toEqual({ code: "room_not_found" });
    expect(await send(ana, "room:peek", { roomCode: created.room.code })).toMatchObject({ ok: false, code: "room_not_found" });
    const fresh = expectOk(await send(ana, "room:create", { nickname: "Ana" }));
    expect(fresh.room.members.map((member) => member.nickname)).toEqual(["Ana"]);
  });
});
