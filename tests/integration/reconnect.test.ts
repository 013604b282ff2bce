// Real life during a match, over the real server (Socket.IO on loopback, embedded database):
// a phone whose connection drops and comes back, and a page hidden mid-game.
import { describe, expect, it } from "vitest";
import { DEFAULT_PLAYLIST } from "@/core/playlist";
import type { JoinedRoom, MemberSnapshot, PlayerScoreSnapshot, RoomSnapshot, ScoreChange } from "@/core/protocol";
import { expectOk, holdPose, nextRoomState, reportReady, send, sendRaw, startLobby, useTestServer, type TestClient, type TestServer } from "./support";

/** Three rounds of 5 s: the shortest real playlist, so the test can also watch the match end. */
const SHORT_PLAYLIST = { ...DEFAULT_PLAYLIST, rounds: 3, secondsPerRound: 5 };

interface Seat {
  client: TestClient;
  joined: JoinedRoom;
}

/** A host and friends who loaded the game and are now playing it. */
async function playingRoom(harness: TestServer, friends: string[]): Promise<{ seats: Seat[]; room: RoomSnapshot }> {
  const host = await harness.connectClient();
  const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
  const seats: Seat[] = [{ client: host, joined: created }];
  for (const nickname of friends) {
    const client = await harness.connectClient();
    seats.push({ client, joined: expectOk(await send(client, "room:join", { roomCode: created.room.code, nickname })) });
  }
  const playing = nextRoomState(host, (room) => room.phase === "playing", 8000);
  expectOk(await send(host, "game:start", { playlist: SHORT_PLAYLIST }));
  for (const seat of seats) expectOk(await send(seat.client, "preload:progress", { percent: 100, status: "ready" }));
  return { seats, room: await playing };
}

function memberOf(room: RoomSnapshot, playerId: string): MemberSnapshot | undefined {
  return room.members.find((member) => member.id === playerId);
}

function scoreOf(room: RoomSnapshot, playerId: string): PlayerScoreSnapshot | undefined {
  return room.game?.scores.find((score) => score.playerId === playerId);
}

/** Resolves with the next scoreboard message that has an entry for the player matching the predicate. */
function nextScoreEntry(client: TestClient, playerId: string, predicate: (entry: ScoreChange) => boolean): Promise<ScoreChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off("game:scoreboard", listener);
      reject(new Error(`timed out waiting for a scoreboard entry of ${playerId}`));
    }, 4000);
    const listener = ({ entries }: { entries: ScoreChange[] }) => {
      const entry = entries.find((candidate) => candidate.playerId === playerId);
      if (!entry || !predicate(entry)) return;
      clearTimeout(timer);
      client.off("game:scoreboard", listener);
      resolve(entry);
    };
    client.on("game:scoreboard", listener);
  });
}

/** Resolves with the next live meter broadcast that shows the player's meter matching the predicate. */
function nextMeter(client: TestClient, playerId: string, predicate: (similarity: number) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off("game:meters", listener);
      reject(new Error(`timed out waiting for a meter of ${playerId}`));
    }, 4000);
    const listener = ({ meters }: { meters: { playerId: string; similarity: number }[] }) => {
      const meter = meters.find((candidate) => candidate.playerId === playerId);
      if (!meter || !predicate(meter.similarity)) return;
      clearTimeout(timer);
      client.off("game:meters", listener);
      resolve(meter.similarity);
    };
    client.on("game:meters", listener);
  });
}

/** Waits until the server clock (same machine) passes a timeline instant. */
async function waitUntil(serverTime: number): Promise<void> {
  const wait = serverTime - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

describe("a player's connection drops mid-match and comes back", () => {
  // LEAVE_GRACE_MS keeps its default (30 s). All clients share one loopback address, so the
  // per-address join budget is raised: 20 rejoins from one phone are not an attack.
  const server = useTestServer({ JOIN_RATE_PER_MINUTE: "1000" });

  it("returns 20 times to the same seat, name, role and score while the others see it reconnecting", async () => {
    const { seats, room: started } = await playingRoom(server(), ["Ana", "Bo"]);
    const [host, ana, bo] = seats as [Seat, Seat, Seat];
    const anaId = ana.joined.playerId;
    const { sessionToken } = ana.joined;
    const timeline = started.game!.timeline!;
    const [round0, round1] = timeline.rounds as [(typeof timeline.rounds)[0], (typeof timeline.rounds)[0]];
    expect(memberOf(started, anaId)).toMatchObject({ role: "player", connected: true, preload: { status: "ready" } });

    // Round 0: Ana holds the pose and earns points before her first drop.
    await waitUntil(round0.startsAt + 100);
    const earned = nextScoreEntry(bo.client, anaId, (entry) => entry.total > 0);
    await holdPose(ana.client, 0, 0.96);
    expectOk(await send(ana.client, "game:score", { roundIndex: 0, similarity: 0.95, award: "perfect" }));
    let expectedTotal = (await earned).total;

    let anaClient = ana.client;
    const dropAndReturn = async (drop: number): Promise<void> => {
      const hostSeesAway = nextRoomState(host.client, (room) => memberOf(room, anaId)?.connected === false);
      const boSeesAway = nextRoomState(bo.client, (room) => memberOf(room, anaId)?.connected === false);
      // Half the drops cut the connection under Socket.IO (a network loss, a locked phone), the
      // other half close the socket cleanly (a reload, a closed tab).
      if (drop % 2 === 0) anaClient.io.engine.close();
      else anaClient.disconnect();
      const away = await hostSeesAway;
      await boSeesAway;
      // Away, Ana keeps her seat, name and points; her live meter reads 0.
      expect(memberOf(away, anaId)).toMatchObject({ nickname: "Ana", role: "player", connected: false });
      expect(scoreOf(away, anaId)).toMatchObject({ total: expectedTotal, similarity: 0 });
      expect(away.members.map((member) => member.id)).toEqual(started.members.map((member) => member.id));

      const hostSeesBack = nextRoomState(host.client, (room) => memberOf(room, anaId)?.connected === true);
      const boSeesBack = nextRoomState(bo.client, (room) => memberOf(room, anaId)?.connected === true);
      anaClient = await server().connectClient();
      const resumed = expectOk(await send(anaClient, "room:join", { roomCode: started.code, nickname: "someone else", sessionToken }));
      // The join answer is the whole picture the game screen needs to carry on mid-round.
      expect(resumed.playerId).toBe(anaId);
      expect(resumed.sessionToken).toBe(sessionToken);
      expect(resumed.room.phase).toBe("playing");
      expect(resumed.room.game?.timeline).toEqual(timeline);
      expect(resumed.room.game?.settings).toEqual(started.game?.settings);
      expect(memberOf(resumed.room, anaId)).toMatchObject({
        nickname: "Ana",
        role: "player",
        connected: true,
        preload: { percent: 100, status: "ready" },
      });
      expect(scoreOf(resumed.room, anaId)?.total).toBe(expectedTotal);
      expect(resumed.room.game?.scores.map((score) => score.playerId).sort()).toEqual(seats.map((seat) => seat.joined.playerId).sort());
      expect(resumed.room.members.map((member) => [member.id, member.nickname])).toEqual(started.members.map((member) => [member.id, member.nickname]));
      expect(memberOf(await hostSeesBack, anaId)).toMatchObject({ nickname: "Ana", connected: true });
      await boSeesBack;
    };

    for (let drop = 0; drop < 10; drop++) await dropAndReturn(drop);

    // Round 1, from the tenth new connection: points earned after coming back count on top.
    await waitUntil(round1.startsAt + 100);
    const moreEarned = nextScoreEntry(host.client, anaId, (entry) => entry.total > expectedTotal);
    await holdPose(anaClient, 1, 0.87);
    expectOk(await send(anaClient, "game:score", { roundIndex: 1, similarity: 0.85, award: "good" }));
    const afterRound1 = await moreEarned;
    expect(afterRound1.round.roundIndex).toBe(1);
    // The whole picture (in every snapshot) has both rounds.
    const both = server().server.realtime.hub.snapshot(started.code);
    expect(
      scoreOf(both!, anaId)
        ?.rounds.map((round) => round.roundIndex)
        .sort(),
    ).toEqual([0, 1]);
    expectedTotal = afterRound1.total;

    for (let drop = 10; drop < 20; drop++) await dropAndReturn(drop);

    // The match carries on to its end, with Ana's points from both rounds in the saved ranking.
    const results = await nextRoomState(host.client, (room) => room.phase === "results", 30_000);
    const ranking = results.game?.results?.ranking ?? [];
    expect(ranking.find((entry) => entry.playerId === anaId)?.total).toBe(expectedTotal);
    expect(ranking[0]?.playerId).toBe(anaId);
    expect(results.game?.results).toMatchObject({ matchId: expect.any(String) as unknown, save: "saved" });
    expect(memberOf(results, anaId)).toMatchObject({ nickname: "Ana", connected: true });
  }, 90_000);

  it("gives the seat back only for the right token: a guessed token joins as a new member", async () => {
    const { seats, room } = await playingRoom(server(), ["Ana"]);
    const [host, ana] = seats as [Seat, Seat];
    const away = nextRoomState(host.client, (snapshot) => memberOf(snapshot, ana.joined.playerId)?.connected === false);
    ana.client.io.engine.close();
    await away;
    const impostor = await server().connectClient();
    const joined = expectOk(await send(impostor, "room:join", { roomCode: room.code, nickname: "Ana", sessionToken: "A".repeat(24) }));
    expect(joined.playerId).not.toBe(ana.joined.playerId);
    // Someone new mid-game only watches, under a name of their own; Ana's seat stays reserved.
    expect(memberOf(joined.room, joined.playerId)).toMatchObject({ nickname: "Ana 2", role: "spectator" });
    expect(memberOf(joined.room, ana.joined.playerId)).toMatchObject({ nickname: "Ana", connected: false, role: "player" });
  });
});

describe("a phone that drops in the lobby, where loading can hold it for long", () => {
  // A 1 s grace period: the lobby must hold the seat far past it.
  const server = useTestServer({ JOIN_RATE_PER_MINUTE: "1000", LEAVE_GRACE_MS: "1000" });

  async function lobbyWithAna(): Promise<{ host: TestClient; ana: TestClient; joined: JoinedRoom; code: string }> {
    const host = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const ana = await server().connectClient();
    const joined = expectOk(await send(ana, "room:join", { roomCode: created.room.code, nickname: "Ana" }));
    await startLobby(host, { playlist: SHORT_PLAYLIST });
    return { host, ana, joined, code: created.room.code };
  }

  async function dropAndWaitPastGrace(host: TestClient, ana: TestClient, anaId: string): Promise<void> {
    const away = nextRoomState(host, (room) => memberOf(room, anaId)?.connected === false);
    ana.io.engine.close();
    await away;
    await new Promise((resolve) => setTimeout(resolve, 2500));
  }

  it("keeps the seat through the lobby, past the grace period: the player comes back and plays", async () => {
    const { host, ana, joined, code } = await lobbyWithAna();
    const anaId = joined.playerId;
    expectOk(await send(ana, "preload:progress", { percent: 40, status: "loading" }));
    await dropAndWaitPastGrace(host, ana, anaId);
    // Still a player with her progress, not released as the grace period would have.
    const room = server().server.realtime.hub.snapshot(code)!;
    expect(memberOf(room, anaId)).toMatchObject({ nickname: "Ana", role: "player", connected: false, preload: { status: "loading", percent: 40 } });

    const back = await server().connectClient();
    const resumed = expectOk(await send(back, "room:join", { roomCode: code, nickname: "Ana", sessionToken: joined.sessionToken }));
    expect(resumed.playerId).toBe(anaId);
    expect(memberOf(resumed.room, anaId)).toMatchObject({ role: "player", connected: true });
    const playing = nextRoomState(host, (snapshot) => snapshot.phase === "playing", 8000);
    await reportReady(host);
    await reportReady(back);
    expect(memberOf(await playing, anaId)).toMatchObject({ role: "player", connected: true });
  });

  it("a player still away when the game starts watches it, and leaves after the usual grace period", async () => {
    const { host, ana, joined, code } = await lobbyWithAna();
    const anaId = joined.playerId;
    await dropAndWaitPastGrace(host, ana, anaId);
    await reportReady(host);
    const playing = nextRoomState(host, (snapshot) => snapshot.phase === "playing", 8000);
    expectOk(await send(host, "game:startEarly", {}));
    expect(memberOf(await playing, anaId)).toMatchObject({ role: "spectator", connected: false });
    // The lobby is over: one grace period later the seat is released.
    const gone = await nextRoomState(host, (snapshot) => memberOf(snapshot, anaId) === undefined, 4000);
    expect(gone.members.map((member) => member.nickname)).toEqual(["Host"]);
    expect(server().server.realtime.hub.snapshot(code)?.phase).toBe("playing");
  });
});

describe("a page hidden during the game", () => {
  const server = useTestServer({ JOIN_RATE_PER_MINUTE: "1000" });

  it("shows the others the player as paused, zeroes its live meter, and back when visible", async () => {
    const { seats, room } = await playingRoom(server(), ["Ana"]);
    const [host, ana] = seats as [Seat, Seat];
    const anaId = ana.joined.playerId;
    const round0 = room.game!.timeline!.rounds[0]!;
    await waitUntil(round0.startsAt + 100);
    const live = nextMeter(host.client, anaId, (similarity) => similarity === 0.7);
    ana.client.emit("game:meter", { roundIndex: 0, similarity: 0.7 });
    await live;

    const hostSeesPaused = nextRoomState(host.client, (snapshot) => memberOf(snapshot, anaId)?.paused === true);
    const meterDrops = nextMeter(host.client, anaId, (similarity) => similarity === 0);
    expectOk(await send(ana.client, "game:visibility", { hidden: true }));
    const paused = await hostSeesPaused;
    expect(memberOf(paused, anaId)).toMatchObject({ connected: true, role: "player", paused: true });
    await meterDrops;
    expect(scoreOf(paused, anaId)).toMatchObject({ total: 0, similarity: 0 });

    const hostSeesBack = nextRoomState(host.client, (snapshot) => memberOf(snapshot, anaId)?.paused === false);
    expectOk(await send(ana.client, "game:visibility", { hidden: false }));
    await hostSeesBack;
    // Back on screen, Ana still scores in the running round.
    const scored = nextScoreEntry(host.client, anaId, (entry) => entry.total > 0);
    await holdPose(ana.client, 0, 0.9);
    expectOk(await send(ana.client, "game:score", { roundIndex: 0, similarity: 0.9, award: "good" }));
    expect((await scored).total).toBeGreaterThan(0);
  });

  it("refuses malformed visibility reports and floods without changing the room", async () => {
    const { seats, room } = await playingRoom(server(), ["Ana"]);
    const [, ana] = seats as [Seat, Seat];
    const snapshot = () => JSON.stringify(server().server.realtime.hub.snapshot(room.code)?.members);
    const before = snapshot();
    const malformed: unknown[] = [
      { hidden: "yes" },
      { hidden: 1 },
      {},
      { hidden: true, isHost: true },
      JSON.parse('{"hidden":true,"__proto__":{"paused":true}}'),
      [true],
      null,
    ];
    // Paced under the event's own budget (4 a second), so each answer is about the payload.
    const paced = () => new Promise((resolve) => setTimeout(resolve, 350));
    for (const payload of malformed) {
      expect(await sendRaw(ana.client, "game:visibility", payload), JSON.stringify(payload)).toMatchObject({ ok: false, code: "invalid_payload" });
      await paced();
    }
    expect(await sendRaw(ana.client, "game:visibility", { hidden: true, pad: "x".repeat(200) })).toMatchObject({
      ok: false,
      code: "payload_too_large",
    });
    expect(snapshot()).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    // A flood of toggles: a few a second get through, the rest are refused.
    const answers = await Promise.all(Array.from({ length: 12 }, (_, index) => send(ana.client, "game:visibility", { hidden: index % 2 === 0 })));
    expect(answers.filter((answer) => !answer.ok && answer.code === "rate_limited").length).toBeGreaterThanOrEqual(6);
    expect(server().server.realtime.hub.snapshot(room.code)?.phase).toBe("playing");
  });

  it("refuses a visibility report outside the game and from a socket without a room", async () => {
    const host = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    expect(await send(host, "game:visibility", { hidden: true })).toMatchObject({ ok: false, code: "wrong_phase" });
    expect(server().server.realtime.hub.snapshot(created.room.code)?.members[0]?.paused).toBe(false);
    const stranger = await server().connectClient();
    expect(await send(stranger, "game:visibility", { hidden: true })).toMatchObject({ ok: false, code: "not_in_room" });
  });
});
