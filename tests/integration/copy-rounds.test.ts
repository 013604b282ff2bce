// "Copy me" rounds (issue 24) over the real server on loopback, real socket.io clients and the
// real embedded database, nothing mocked. The "copy-me" test playlist: a copy round (6 s strike,
// 8 s copy, led by the first player), then a library round.
import { describe, expect, it } from "vitest";
import { LEADER_MAX_POINTS, type LeaderPose } from "@/core/game/copyRound";
import type { RoomSnapshot, ScoreChange } from "@/core/protocol";
import { getPoseTarget } from "@/core/targets/poseLibrary";
import { expectOk, holdPose, nextRoomState, send, sendRaw, useTestServer, type TestClient } from "./support";

const messiPose = getPoseTarget("test-messi5")!.points as LeaderPose;
const until = (at: number, marginMs = 30) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now()) + marginMs));
/** What a leader's page sends while standing still: steadiness samples for more than the strike's second. */
const holdStill = (client: TestClient) => holdPose(client, 0, 0.98, { samples: 12, everyMs: 90 });

describe("copy rounds", () => {
  const server = useTestServer({ ALLOW_TEST_PLAYLISTS: "1" });

  async function playingRoom(nicknames: string[]) {
    const clients = await Promise.all(nicknames.map(() => server().connectClient()));
    const [host, ...guests] = clients as [TestClient, ...TestClient[]];
    const created = expectOk(await send(host, "room:create", { nickname: nicknames[0]! }));
    const joined = [created];
    for (const [index, guest] of guests.entries())
      joined.push(expectOk(await send(guest, "room:join", { roomCode: created.room.code, nickname: nicknames[index + 1]! })));
    const playing = nextRoomState(host, (room) => room.phase === "playing", 10_000);
    expectOk(await send(host, "game:start", { testPlaylist: "copy-me" }));
    for (const client of clients) expectOk(await send(client, "preload:progress", { percent: 100, status: "ready" }));
    const room = await playing;
    return {
      clients,
      ids: joined.map((entry) => entry.playerId),
      tokens: joined.map((entry) => entry.sessionToken),
      room,
      round: room.game!.timeline!.rounds[0]!,
    };
  }

  it("takes the leader's held pose during the strike only, refuses everything else, and pays the leader per copier", async () => {
    const { clients, ids, round, room } = await playingRoom(["Ana", "Ben", "Cho"]);
    const [ana, ben, cho] = clients as [TestClient, TestClient, TestClient];
    expect(round).toMatchObject({ kind: "copy", leaderId: ids[0] });

    // Before the strike: too early.
    expect(await send(ana, "game:leaderPose", { roundIndex: 0, pose: messiPose })).toMatchObject({ ok: false, code: "outside_window" });
    await until(round.startsAt);
    // A friend cannot set the leader's pose.
    expect(await send(ben, "game:leaderPose", { roundIndex: 0, pose: messiPose })).toMatchObject({ ok: false, code: "not_leader" });
    // Bad numbers, a missing point, a point too many, a payload too large: refused at the boundary.
    expect(await sendRaw(ana, "game:leaderPose", { roundIndex: 0, pose: { ...messiPose, nose: { x: 1e9, y: 0.4 } } })).toMatchObject({
      ok: false,
      code: "invalid_payload",
    });
    const { rightAnkle: _dropped, ...missing } = messiPose;
    expect(await sendRaw(ana, "game:leaderPose", { roundIndex: 0, pose: missing })).toMatchObject({ ok: false, code: "invalid_payload" });
    expect(await sendRaw(ana, "game:leaderPose", { roundIndex: 0, pose: { ...messiPose, leftEar: { x: 0.5, y: 0.3 } } })).toMatchObject({
      ok: false,
      code: "invalid_payload",
    });
    expect(await sendRaw(ana, "game:leaderPose", { roundIndex: 0, pose: messiPose, note: "x".repeat(3_000) })).toMatchObject({
      ok: false,
      code: "payload_too_large",
    });
    // The event's own budget is 4 a second (a page sends one every 500 ms at most): a pause.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Not a whole body in view.
    expect(await send(ana, "game:leaderPose", { roundIndex: 0, pose: { ...messiPose, leftAnkle: { x: 0.3, y: 0.7, v: 0.1 } } })).toMatchObject({
      ok: false,
      code: "implausible_pose",
    });
    // A pose out of nowhere: the leader's meter never showed it held.
    expect(await send(ana, "game:leaderPose", { roundIndex: 0, pose: messiPose })).toMatchObject({ ok: false, code: "implausible_pose" });
    // Nobody copies during the strike.
    expect(await send(ben, "game:score", { roundIndex: 0, similarity: 0.95, award: "perfect" })).toMatchObject({ ok: false, code: "outside_window" });

    await holdStill(ana);
    const struck = nextRoomState(ben, (snapshot) => snapshot.game?.copies[0]?.source === "leader");
    expectOk(await send(ana, "game:leaderPose", { roundIndex: 0, pose: messiPose }));
    const seen: RoomSnapshot = await struck;
    expect(seen.game!.copies[0]).toMatchObject({ leaderId: ids[0], source: "leader", pose: messiPose, fallbackReason: null });
    expect(await send(ana, "game:leaderPose", { roundIndex: 0, pose: messiPose })).toMatchObject({ ok: false, code: "already_awarded" });

    // Copying: Ben holds it, Cho does not; Ana cannot copy herself.
    await until(round.strikeEndsAt!);
    const boards: ScoreChange[] = [];
    cho.on("game:scoreboard", ({ entries }) => boards.push(...entries));
    await holdPose(ben, 0, 0.95);
    expectOk(await send(ben, "game:score", { roundIndex: 0, similarity: 0.95, award: "perfect" }));
    await holdPose(ana, 0, 0.95);
    expect(await send(ana, "game:score", { roundIndex: 0, similarity: 0.95, award: "perfect" })).toMatchObject({ ok: false, code: "is_leader" });
    await send(cho, "clock:ping", {});
    expect(boards.find((entry) => entry.playerId === ids[1])?.round.grade).toBe("perfect");
    // One of two friends matched: half the leader's points, on the same scoreboard message.
    expect(boards.find((entry) => entry.playerId === ids[0])).toEqual({
      playerId: ids[0],
      total: LEADER_MAX_POINTS / 2,
      round: { roundIndex: 0, points: LEADER_MAX_POINTS / 2, grade: "good" },
    });

    // The saved match keeps the leader's name and pose.
    const results = await nextRoomState(ana, (snapshot) => snapshot.phase === "results", Math.max(0, room.game!.timeline!.endsAt - Date.now()) + 20_000);
    const saved = await server().server.store.getMatch(results.game!.results!.matchId);
    expect(saved!.rounds[0]).toMatchObject({ kind: "copy", targetId: "test-messi5", leaderNickname: "Ana", leaderPose: messiPose });
    expect(saved!.rounds[0]!.results.find((result) => result.nickname === "Ana")).toMatchObject({ points: LEADER_MAX_POINTS / 2, grade: "good" });
    expect(saved!.rounds[1]).toMatchObject({ kind: "pose", leaderNickname: null, leaderPose: null });
  }, 60_000);

  it("plays the library pose when the leader is away at the strike's end, and the leader plays it too once back", async () => {
    const { clients, ids, tokens, round, room } = await playingRoom(["Dan", "Eve"]);
    const [dan, eve] = clients as [TestClient, TestClient];
    dan.disconnect();
    const fallback = await nextRoomState(
      eve,
      (snapshot) => snapshot.game?.copies[0]?.source === "fallback",
      Math.max(0, round.strikeEndsAt! - Date.now()) + 5_000,
    );
    expect(fallback.game!.copies[0]).toMatchObject({ leaderId: ids[0], source: "fallback", pose: null, fallbackReason: "no_pose" });
    // The round never waits: the friend plays the library pose at once.
    await holdPose(eve, 0, 0.95);
    expectOk(await send(eve, "game:score", { roundIndex: 0, similarity: 0.95, award: "perfect" }));

    // The leader comes back (its seat was kept) and plays the fallback like anyone.
    const back = await server().connectClient();
    expectOk(await send(back, "room:join", { roomCode: room.code, nickname: "Dan", sessionToken: tokens[0]! }));
    await holdPose(back, 0, 0.95);
    expectOk(await send(back, "game:score", { roundIndex: 0, similarity: 0.95, award: "good" }));
    const snapshot = server().server.realtime.hub.snapshot(room.code);
    expect(snapshot!.game!.scores.find((score) => score.playerId === ids[0])!.rounds).toMatchObject([{ roundIndex: 0, grade: "good" }]);
  }, 40_000);

  it("takes the pose of a leader who reconnected during the strike", async () => {
    const { clients, tokens, round, room } = await playingRoom(["Fay", "Gus"]);
    const [fay, gus] = clients as [TestClient, TestClient];
    fay.disconnect();
    await until(round.startsAt, 300);
    const back = await server().connectClient();
    expectOk(await send(back, "room:join", { roomCode: room.code, nickname: "Fay", sessionToken: tokens[0]! }));
    await holdStill(back);
    const struck = nextRoomState(gus, (snapshot) => snapshot.game?.copies[0]?.source === "leader");
    expectOk(await send(back, "game:leaderPose", { roundIndex: 0, pose: messiPose }));
    await struck;
    await until(round.strikeEndsAt!, 200);
    expect(server().server.realtime.hub.snapshot(room.code)!.game!.copies[0]!.source).toBe("leader");
  }, 40_000);
});
