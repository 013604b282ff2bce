// The saved match's vocabulary is the game's own: the history's schema (core/matchHistory.ts)
// and the database's enums (prisma/schema.prisma) say the same grades and round kinds.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { matchDetailSchema, type MatchDetail } from "@/core/matchHistory";
import { roundKindSchema } from "@/core/playlist";
import { GRADES } from "@/core/scoring/points";

function prismaEnum(name: string): string[] {
  const schema = readFileSync(resolve(import.meta.dirname, "../../prisma/schema.prisma"), "utf8");
  const body = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(schema)?.[1];
  if (body === undefined) throw new Error(`no enum ${name} in prisma/schema.prisma`);
  return body
    .split("\n")
    .map((line) => line.replace(/\/\/.*/, "").trim())
    .filter(Boolean);
}

const saved: MatchDetail = {
  id: "6f1c1c53-2f35-4a55-9a43-3c6f5a0b9c11",
  roomCode: "ABCDEFG",
  timeScale: 1.5,
  startedAt: new Date("2026-12-07T05:00:00Z"),
  endedAt: new Date("2026-12-07T05:02:00Z"),
  roundCount: 1,
  players: [{ nickname: "Ana", finalScore: 900, rank: 1, wasSpectator: false }],
  playlist: { rounds: 1 },
  rounds: [
    {
      index: 0,
      kind: "copy",
      targetId: "warrior-2",
      startsAt: new Date("2026-12-07T05:00:10Z"),
      endsAt: new Date("2026-12-07T05:00:18Z"),
      leaderNickname: "Ana",
      leaderPose: null,
      results: [{ nickname: "Ana", points: 900, grade: "perfect", bestSimilarity: 0.97, reactionMs: 800 }],
    },
  ],
};

describe("a saved match's vocabulary", () => {
  it("the database's enums are the core lists", () => {
    expect(prismaEnum("Grade")).toEqual([...GRADES]);
    expect(prismaEnum("RoundKind")).toEqual([...roundKindSchema.options]);
  });

  it("the history reads the API's JSON back into the same match", () => {
    const json: unknown = JSON.parse(JSON.stringify(saved));
    expect(matchDetailSchema.parse(json)).toEqual(saved);
  });

  it("reads an unknown pace as standard and a broken leader's pose as none, and refuses an unknown grade", () => {
    const json = JSON.parse(JSON.stringify(saved)) as { timeScale: unknown; rounds: { leaderPose: unknown; results: { grade: string }[] }[] };
    json.timeScale = 7;
    json.rounds[0]!.leaderPose = { nose: "x" };
    const read = matchDetailSchema.parse(json);
    expect(read.timeScale).toBe(1);
    expect(read.rounds[0]!.leaderPose).toBeNull();
    json.rounds[0]!.results[0]!.grade = "legendary";
    expect(() => matchDetailSchema.parse(json)).toThrow();
  });
});
