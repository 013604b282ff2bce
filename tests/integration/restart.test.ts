// A real server process gets a real SIGTERM during a round, then a new process starts on the
// same data dir and port. Clients are real socket.io-clients that reconnect on their own, as
// browsers do (client/roomStore.ts reclaims the seat with its session token on every connect).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { io as connect } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import type { RoomSnapshot, ServerPayload } from "@/core/protocol";
import { openMatchStore } from "@/server/storage/matchStore";
import { parseLogLine, startServerProcess, type ServerProcess } from "./processes";
import { expectOk, holdPose, nextRoomState, send, type TestClient } from "./support";

const PORT = 3320; // from this suite's loopback range

describe("SIGTERM during a round, then a restart on the same data dir", () => {
  const running: ServerProcess[] = [];
  const clients: TestClient[] = [];
  let dataDir = "";

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(running.map((server) => server.stop("SIGKILL")));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps the finished match, abandons the round, and brings the players back to their room's chat", { timeout: 420_000 }, async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "poseparty-restart-"));
    const env = { PORT: String(PORT), DATA_DIR: dataDir, ALLOW_TEST_PLAYLISTS: "true" };
    const first = await startServerProcess(env);
    running.push(first);

    // Browsers reconnect by themselves: so do these.
    const browser = async () => {
      const client: TestClient = connect(first.url, { transports: ["websocket"], forceNew: true, reconnectionDelay: 200, reconnectionDelayMax: 1000 });
      clients.push(client);
      await new Promise<void>((resolve, reject) => {
        client.once("connect", () => resolve());
        client.once("connect_error", reject);
      });
      return client;
    };
    const host = await browser();
    const friend = await browser();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const code = created.room.code;
    const joined = expectOk(await send(friend, "room:join", { roomCode: code, nickname: "Ana" }));
    const seats = [
      { client: host, playerId: created.playerId, sessionToken: created.sessionToken, nickname: "Host" },
      { client: friend, playerId: joined.playerId, sessionToken: joined.sessionToken, nickname: "Ana" },
    ];

    const playUntil = async (roundIndex: number): Promise<RoomSnapshot> => {
      const playing = seats.map(({ client }) => nextRoomState(client, (room) => room.phase === "playing", 10_000));
      expectOk(await send(host, "game:start", { testPlaylist: "pose-only" }));
      for (const { client } of seats) expectOk(await send(client, "preload:progress", { percent: 100, status: "ready" }));
      const started = (await Promise.all(playing))[0]!;
      const round = started.game!.timeline!.rounds[roundIndex]!;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, round.startsAt - Date.now()) + 100));
      await holdPose(host, roundIndex, 0.96);
      expectOk(await send(host, "game:score", { roundIndex, similarity: 0.9, award: "perfect" }));
      return started;
    };

    // Match 1 plays to the end: its results carry the id it was saved under.
    const firstMatch = await playUntil(0);
    const results = await nextRoomState(host, (room) => room.phase === "results", firstMatch.game!.timeline!.endsAt - Date.now() + 15_000);
    const finishedMatchId = results.game?.results?.matchId;
    expect(finishedMatchId).toEqual(expect.any(String));
    expectOk(await send(host, "game:returnToChat", {}));

    // Match 2 is mid-round when the orchestrator sends SIGTERM.
    await playUntil(0);
    const told = seats.map(({ client }) => new Promise<ServerPayload<"server:shutdown">>((resolve) => client.once("server:shutdown", resolve)));
    const exitCode = await first.stop("SIGTERM");
    expect(await Promise.all(told)).toEqual([{ reason: "restart" }, { reason: "restart" }]);
    expect(exitCode).toBe(0);
    expect(first.logLines.map(parseLogLine).some((entry) => entry?.msg === "shutdown complete")).toBe(true);

    // The same port and data dir, a new process. Each client reconnects and reclaims its seat.
    const reconnected = seats.map(({ client }) => new Promise<void>((resolve) => client.io.once("reconnect", () => resolve())));
    const second = await startServerProcess(env);
    running.push(second);
    await Promise.all(reconnected);
    const hostSeesEveryoneBack = nextRoomState(host, (room) => room.members.every((member) => member.connected), 10_000);
    const rejoined = [];
    for (const seat of seats) {
      rejoined.push(expectOk(await send(seat.client, "room:join", { roomCode: code, nickname: seat.nickname, sessionToken: seat.sessionToken })));
    }
    for (const [index, answer] of rejoined.entries()) {
      expect(answer.playerId).toBe(seats[index]!.playerId);
      expect(answer.room.phase).toBe("chatting");
      expect(answer.room.game).toBeNull();
      expect(answer.room.members.map((member) => member.nickname)).toEqual(["Host", "Ana"]);
    }
    const hostView = await hostSeesEveryoneBack;
    expect(hostView.hostId).toBe(created.playerId);
    // Back in the chat the room works as before: a new game can start.
    const preloading = nextRoomState(friend, (room) => room.phase === "preloading");
    expectOk(await send(host, "game:start", { testPlaylist: "pose-only" }));
    await preloading;

    // The finished match is in the history the restarted server reads.
    expect(await second.stop("SIGTERM")).toBe(0);
    const store = (await openMatchStore({ dataDir, logger: pino({ level: "silent" }) })).store;
    try {
      const history = await store.listRecentMatches(10);
      expect(history.map((match) => match.id)).toContain(finishedMatchId);
      const saved = await store.getMatch(finishedMatchId!);
      expect(saved?.players.map((player) => player.nickname).sort()).toEqual(["Ana", "Host"]);
    } finally {
      await store.close();
    }
  });
});
