// Awards the server can believe (issue 13), over the real server on loopback, real
// socket.io-clients and the real embedded database, nothing mocked: a scripted client that claims
// a PERFECT the moment each round opens is refused with `implausible_award` and scores nothing;
// one whose live meter showed the hold first gets its points; the saved match agrees, and
// /metrics counts the refusals.
import { describe, expect, it } from "vitest";
import type { ScoreChange } from "@/core/protocol";
import { expectOk, holdPose, nextRoomState, send, useTestServer } from "./support";

const METRICS_TOKEN = "awards-test-metrics-token";

describe("awards against the live meter", () => {
  const server = useTestServer({ ALLOW_TEST_PLAYLISTS: "1", METRICS_TOKEN: METRICS_TOKEN });

  it("refuses instant awards, pays held ones, and saves what the room showed", async () => {
    const cheat = await server().connectClient();
    const honest = await server().connectClient();
    const created = expectOk(await send(cheat, "room:create", { nickname: "Cheat" }));
    const joined = expectOk(await send(honest, "room:join", { roomCode: created.room.code, nickname: "Honest" }));
    const cheatId = created.playerId;
    const honestId = joined.playerId;
    const playing = nextRoomState(cheat, (room) => room.phase === "playing", 10_000);
    // "pose-only": two 5-second rounds, easy.
    expectOk(await send(cheat, "game:start", { testPlaylist: "pose-only" }));
    for (const client of [cheat, honest]) expectOk(await send(client, "preload:progress", { percent: 100, status: "ready" }));
    const started = await playing;
    const timeline = started.game!.timeline!;

    const honestBoards: ScoreChange[] = [];
    honest.on("game:scoreboard", ({ entries }) => honestBoards.push(...entries));

    for (const round of timeline.rounds) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, round.startsAt - Date.now()) + 30));
      // The scripted client: no meter at all, a PERFECT straight away.
      expect(await send(cheat, "game:score", { roundIndex: round.index, similarity: 1, award: "perfect" })).toMatchObject({
        ok: false,
        code: "implausible_award",
      });
      // A flash of the pose (too short to be a hold) is not enough either.
      await holdPose(cheat, round.index, 1, { samples: 3, everyMs: 20 });
      expect(await send(cheat, "game:score", { roundIndex: round.index, similarity: 1, award: "perfect" })).toMatchObject({
        ok: false,
        code: "implausible_award",
      });
      // The honest player's meter shows the hold, then the award comes.
      await holdPose(honest, round.index, 0.95);
      expectOk(await send(honest, "game:score", { roundIndex: round.index, similarity: 0.95, award: "perfect" }));
    }

    const ended = await nextRoomState(cheat, (room) => room.phase === "results", Math.max(0, timeline.endsAt - Date.now()) + 20_000);
    const ranking = ended.game!.results!.ranking;
    expect(ranking.find((entry) => entry.playerId === cheatId)).toMatchObject({ total: 0, rank: 2 });
    const honestTotal = ranking.find((entry) => entry.playerId === honestId)!.total;
    expect(honestTotal).toBeGreaterThan(0);
    // The friend's live scoreboard never showed the cheat scoring.
    expect(honestBoards.filter((entry) => entry.playerId === cheatId && entry.total > 0)).toEqual([]);

    // The saved match says the same: nothing for the cheat in any round, a PERFECT each for the other.
    const saved = await server().server.store.getMatch(ended.game!.results!.matchId);
    expect(saved).not.toBeNull();
    for (const round of saved!.rounds) {
      expect(round.results.find((result) => result.nickname === "Cheat")).toMatchObject({ points: 0, grade: "miss" });
      expect(round.results.find((result) => result.nickname === "Honest")).toMatchObject({ grade: "perfect", bestSimilarity: 0.95 });
      // The cheat's meter flashes were still its best readings (the lane keeps them for the record).
      expect(round.results.find((result) => result.nickname === "Cheat")?.bestSimilarity).toBe(1);
    }
    expect(
      saved!.rounds
        .flatMap((round) => round.results.filter((result) => result.nickname === "Honest").map((result) => result.points))
        .reduce((a, b) => a + b, 0),
    ).toBe(honestTotal);

    const metrics = await fetch(`${server().url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((response) => response.text());
    expect(metrics).toMatch(new RegExp(`^poseparty_implausible_awards_total ${timeline.rounds.length * 2}$`, "m"));
  }, 60_000);

  it("never pays for repeated claims, nor a PERFECT for a meter that only showed GOOD", async () => {
    const host = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Solo" }));
    const playing = nextRoomState(host, (room) => room.phase === "playing", 10_000);
    expectOk(await send(host, "game:start", { testPlaylist: "pose-only" }));
    expectOk(await send(host, "preload:progress", { percent: 100, status: "ready" }));
    const round = (await playing).game!.timeline!.rounds[0]!;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, round.startsAt - Date.now()) + 30));
    // Claiming again and again, over more than a hold's time, builds no hold: only the meter is evidence.
    for (let claim = 0; claim < 6; claim++) {
      expect(await send(host, "game:score", { roundIndex: 0, similarity: 0.95, award: "perfect" })).toMatchObject({ ok: false, code: "implausible_award" });
      await new Promise((resolve) => setTimeout(resolve, 70));
    }
    // Easy: GOOD from 0.75, PERFECT from 0.88.
    await holdPose(host, 0, 0.8);
    expect(await send(host, "game:score", { roundIndex: 0, similarity: 0.8, award: "perfect" })).toMatchObject({ ok: false, code: "implausible_award" });
    expectOk(await send(host, "game:score", { roundIndex: 0, similarity: 0.8, award: "good" }));
    const snapshot = server().server.realtime.hub.snapshot(created.room.code);
    expect(snapshot?.game?.scores[0]?.rounds).toMatchObject([{ roundIndex: 0, grade: "good" }]);
  }, 30_000);
});
