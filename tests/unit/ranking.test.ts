import { describe, expect, it } from "vitest";
import { applyScoreEvent, planTimeline, rankPlayers, startMatch } from "@/core/game/match";
import { rankStandings } from "@/core/game/ranking";

const standing = (name: string, total: number, id = name.toLowerCase()) => ({ id, name, total });

describe("rankStandings: one order for results, scoreboard and history", () => {
  it("ranks by points, ties share a rank and are marked", () => {
    const ranked = rankStandings([standing("Cleo", 300), standing("Ana", 500), standing("Bo", 300), standing("Dan", 100)]);
    expect(ranked.map(({ name, rank, tied }) => [name, rank, tied])).toEqual([
      ["Ana", 1, false],
      ["Bo", 2, true],
      ["Cleo", 2, true],
      ["Dan", 4, false],
    ]);
  });

  it("orders a tie by name whatever order the entries came in (join order, database rows)", () => {
    const a = rankStandings([standing("Zoe", 0), standing("민지", 0), standing("Amy", 0)]);
    const b = rankStandings([standing("민지", 0), standing("Amy", 0), standing("Zoe", 0)]);
    expect(a.map((entry) => entry.name)).toEqual(["Amy", "Zoe", "민지"]);
    expect(b).toEqual(a);
    expect(a.every((entry) => entry.rank === 1 && entry.tied)).toBe(true);
  });

  it("falls back to the id when names are equal, and works without ids", () => {
    expect(rankStandings([standing("Same", 1, "p2"), standing("Same", 1, "p1")]).map((entry) => entry.id)).toEqual(["p1", "p2"]);
    expect(
      rankStandings([
        { name: "B", total: 2 },
        { name: "A", total: 2 },
      ]).map((entry) => entry.name),
    ).toEqual(["A", "B"]);
    expect(rankStandings([])).toEqual([]);
  });

  it("the server's match ranking uses it: a tie is ordered by nickname, not by who joined first", () => {
    const timeline = planTimeline(0, [{ kind: "pose", targetId: "t-pose" }], 10);
    let state = startMatch(timeline, [
      { id: "first-joined", nickname: "Yuna" },
      { id: "second-joined", nickname: "Ari" },
      { id: "third-joined", nickname: "Min" },
    ]);
    const round = timeline.rounds[0]!;
    for (const playerId of ["first-joined", "second-joined"]) {
      const result = applyScoreEvent(state, { playerId, roundIndex: 0, similarity: 0.9, award: "good", receivedAt: round.startsAt + 1000 });
      if (!result.ok) throw new Error(result.reason);
      state = result.state;
    }
    const ranking = rankPlayers(state);
    expect(ranking.map((entry) => [entry.playerId, entry.rank])).toEqual([
      ["second-joined", 1],
      ["first-joined", 1],
      ["third-joined", 3],
    ]);
  });
});
