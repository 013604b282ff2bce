import { describe, expect, it } from "vitest";
import { DEFAULT_PLAYLIST } from "@/core/playlist";
import type { RoomSnapshot } from "@/core/protocol";
import { expectOk, nextRoomState, reportReady, send, startLobby, useTestServer, type TestClient, type TestServer } from "./support";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A host and two friends in a fresh room. */
async function roomOfThree(harness: TestServer): Promise<{ clients: TestClient[]; ids: string[]; code: string }> {
  const host = await harness.connectClient();
  const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
  const clients = [host];
  const ids = [created.playerId];
  for (const nickname of ["Ana", "Bo"]) {
    const friend = await harness.connectClient();
    ids.push(expectOk(await send(friend, "room:join", { roomCode: created.room.code, nickname })).playerId);
    clients.push(friend);
  }
  return { clients, ids, code: created.room.code };
}

describe("the preload lobby over a real server", () => {
  // A 3 s base deadline: progress counts 1 s back, extensions are 1 s, the hard cap is 9 s after
  // the lobby opens (core/lobbyDeadline.ts scales them to a third of a short base). A 1 s window
  // leaves a slow-but-moving player reporting every 200 ms room for a loaded machine's delays.
  const harness = useTestServer({ PRELOAD_TIMEOUT_MS: "3000", ALLOW_TEST_PLAYLISTS: "false" });

  it("shows everyone each friend's progress and starts the game when all are ready", async () => {
    const { clients, ids } = await roomOfThree(harness());
    const [host, ana, bo] = clients as [TestClient, TestClient, TestClient];
    const lobbyState = await startLobby(host, { playlist: { ...DEFAULT_PLAYLIST, roundKinds: ["pose", "head"] } }, bo);
    expect(lobbyState.game?.settings.roundKinds).toEqual(["pose", "head"]);
    expect(lobbyState.game?.preloadDeadline).toBeGreaterThan(Date.now());

    const boSeesAna = nextRoomState(bo, (room) => room.members[1]?.preload.percent === 40);
    expectOk(await send(ana, "preload:progress", { percent: 40, status: "loading" }));
    expect((await boSeesAna).members[1]?.preload).toEqual({ percent: 40, status: "loading" });

    // Everyone first sees every friend at 100%, then the game starts.
    const allFull = nextRoomState(bo, (room) => room.phase === "preloading" && room.members.every((m) => m.preload.percent === 100));
    const playing = nextRoomState(host, (room) => room.phase === "playing");
    for (const client of clients) await reportReady(client);
    expect((await allFull).members.map((member) => member.preload.status)).toEqual(["ready", "ready", "ready"]);
    const started = await playing;
    expect(started.members.map((member) => [member.id, member.role])).toEqual(ids.map((id) => [id, "player"]));
  });

  it("waits for a ready player fixing its framing until the deadline, and then it plays", async () => {
    const { clients, ids } = await roomOfThree(harness());
    const [host, ana, bo] = clients as [TestClient, TestClient, TestClient];
    const deadline = (await startLobby(host)).game!.preloadDeadline!;
    const boFraming = nextRoomState(host, (room) => room.members[2]?.preload.framing === "adjusting");
    await reportReady(host, "ok");
    await reportReady(ana, "skipped");
    await reportReady(bo, "adjusting");
    // Friends see the outcome only; the game is held while everyone else is ready...
    expect((await boFraming).members[2]?.preload).toEqual({ percent: 100, status: "ready", framing: "adjusting" });
    // ...but not past the deadline, and the framing player plays.
    const started = await nextRoomState(host, (room) => room.phase === "playing", 8000);
    expect(Date.now()).toBeGreaterThanOrEqual(deadline - 50);
    expect(started.members.map((member) => [member.id, member.role])).toEqual(ids.map((id) => [id, "player"]));
    // A framing status outside the schema is refused at the boundary.
    const refused = await send(bo, "preload:progress", { percent: 100, status: "ready", framing: "great" } as never);
    expect(refused).toMatchObject({ ok: false, code: "invalid_payload" });
  });

  it("turns players still loading at the deadline into spectators and starts without them", async () => {
    const { clients, ids } = await roomOfThree(harness());
    const [host, ana] = clients as [TestClient, TestClient, TestClient];
    await startLobby(host);
    await reportReady(host);
    await reportReady(ana);
    const started = await nextRoomState(host, (room) => room.phase === "playing", 8000);
    expect(started.members.map((member) => member.role)).toEqual(["player", "player", "spectator"]);
    expect(started.members[2]?.id).toBe(ids[2]);
  });

  it("waits for a slow player whose bar keeps moving, then plays with everyone", async () => {
    const { clients, ids } = await roomOfThree(harness());
    const [host, ana, bo] = clients as [TestClient, TestClient, TestClient];
    const firstDeadline = (await startLobby(host)).game!.preloadDeadline!;
    await reportReady(host);
    await reportReady(ana);

    const extended = nextRoomState(host, (room) => room.phase === "preloading" && room.game!.preloadDeadline! > firstDeadline, 8000);
    const playing = nextRoomState(host, (room) => room.phase === "playing", 12_000);
    // Bo is slow but moving: a few percent every 200 ms, until well past the first deadline.
    let percent = 0;
    while (Date.now() < firstDeadline + 2500) {
      percent += 2;
      expectOk(await send(bo, "preload:progress", { percent, status: "loading" }));
      await sleep(200);
    }
    const waiting = await extended;
    // Nobody was made a spectator, and the countdown follows the moved deadline.
    expect(waiting.members.map((member) => member.role)).toEqual(["player", "player", "player"]);
    expect(waiting.game!.preloadDeadline!).toBeGreaterThan(firstDeadline);

    await reportReady(bo);
    const started = await playing;
    expect(started.members.map((member) => [member.id, member.role])).toEqual(ids.map((id) => [id, "player"]));
    expect(started.game!.timeline!.countdownStartsAt).toBeGreaterThan(firstDeadline + 2000);
  });

  it("never begins a game with nobody ready: it waits, then calls it off at the hard cap", async () => {
    const { clients } = await roomOfThree(harness());
    const [host, ana] = clients as [TestClient, TestClient, TestClient];
    const seen: RoomSnapshot[] = [];
    host.on("room:state", (room) => seen.push(room));
    const firstDeadline = (await startLobby(host)).game!.preloadDeadline!;
    // Ana gets somewhere, then stalls; nobody ever finishes.
    expectOk(await send(ana, "preload:progress", { percent: 20, status: "loading" }));

    const back = await nextRoomState(host, (room) => room.phase === "chatting", 15_000);
    expect(back.game).toBeNull();
    expect(back.calledOff?.reason).toBe("nobody_ready");
    // The hard cap is 3x the 3 s base after the lobby opened, 6 s after the first deadline.
    expect(back.calledOff!.at).toBeGreaterThanOrEqual(firstDeadline + 6000);
    expect(back.members.map((member) => [member.role, member.preload.status])).toEqual([
      ["player", "idle"],
      ["player", "idle"],
      ["player", "idle"],
    ]);
    expect(seen.some((room) => room.phase === "playing")).toBe(false);
    expect(seen.some((room) => room.phase === "preloading" && room.game!.preloadDeadline! > firstDeadline)).toBe(true);
    expect(harness().server.realtime.hub.snapshot(back.code)?.phase).toBe("chatting");

    // The next game starts afresh, without the notice.
    expect((await startLobby(host)).calledOff).toBeNull();
  });

  it("lets the host start early with those ready, and only the host", async () => {
    const { clients } = await roomOfThree(harness());
    const [host, ana] = clients as [TestClient, TestClient, TestClient];
    await startLobby(host);
    expect(await send(host, "game:startEarly", {})).toMatchObject({ ok: false, code: "nobody_ready" });
    await reportReady(ana);
    expect(await send(ana, "game:startEarly", {})).toMatchObject({ ok: false, code: "not_host" });
    const started = nextRoomState(ana, (room) => room.phase === "playing");
    expectOk(await send(host, "game:startEarly", {}));
    expect((await started).members.map((member) => member.role)).toEqual(["spectator", "player", "spectator"]);
  });

  it("shows a failed load next to the name", async () => {
    const { clients } = await roomOfThree(harness());
    const [host, ana] = clients as [TestClient, TestClient, TestClient];
    await startLobby(host);
    const hostSees = nextRoomState(host, (room) => room.members[1]?.preload.status === "failed");
    expectOk(await send(ana, "preload:progress", { percent: 12, status: "failed" }));
    expect((await hostSees).phase).toBe("preloading");
  });

  it("caps progress updates at about 4 a second per player", async () => {
    const { clients } = await roomOfThree(harness());
    const [host] = clients as [TestClient, TestClient, TestClient];
    await startLobby(host);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, index) => send(host, "preload:progress", { percent: index, status: "loading" })));
    const refused = answers.filter((answer) => !answer.ok && answer.code === "rate_limited").length;
    expect(refused).toBeGreaterThanOrEqual(6);
    expect(answers.filter((answer) => answer.ok).length).toBeLessThanOrEqual(6);
  });

  it("refuses test playlists unless the server allows them", async () => {
    const { clients, code } = await roomOfThree(harness());
    expect(await send(clients[0]!, "game:start", { testPlaylist: "all-models" })).toMatchObject({
      ok: false,
      code: "test_playlists_disabled",
    });
    expect(harness().server.realtime.hub.snapshot(code)?.phase).toBe("chatting");
  });
});
