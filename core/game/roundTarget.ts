/**
 * What a round asks of a player, as every page works it out from the room snapshot: a library
 * target, or for a copy round the leader's pose once struck (the library pose when it fell back).
 */
import type { CopyRoundSnapshot } from "../protocol";
import { resolveTarget, type GameTarget } from "../targets/pick";
import { leaderPoseTarget } from "./copyRound";
import type { PlannedRound } from "./match";

export type RoundRole =
  /** Play the target (any library round, a follower in a copy round, everyone when it fell back). */
  | { kind: "play"; target: GameTarget | undefined }
  /** A copy round's leader: strike a pose now, then be copied. */
  | { kind: "lead" }
  /** A copy round whose target is not decided yet: the strike is on (someone else leads). */
  | { kind: "watch" };

export function copyOf(copies: readonly CopyRoundSnapshot[], roundIndex: number): CopyRoundSnapshot | undefined {
  return copies.find((copy) => copy.roundIndex === roundIndex);
}

/** The round's target for everyone, or undefined while a copy round still waits for its pose. */
export function roundTarget(round: PlannedRound, copies: readonly CopyRoundSnapshot[], nicknameOf: (playerId: string) => string): GameTarget | undefined {
  if (round.kind !== "copy") return resolveTarget(round);
  const copy = copyOf(copies, round.index);
  if (copy?.source === "leader" && copy.pose && copy.leaderId) return leaderPoseTarget(round.index, nicknameOf(copy.leaderId), copy.pose);
  if (copy?.source === "fallback") return resolveTarget(round);
  return undefined;
}

/** This player's part in a round. */
export function roundRole(round: PlannedRound, copies: readonly CopyRoundSnapshot[], selfId: string, nicknameOf: (playerId: string) => string): RoundRole {
  if (round.kind !== "copy") return { kind: "play", target: resolveTarget(round) };
  const copy = copyOf(copies, round.index);
  // A fallen-back round is everyone's, its leader's too.
  if (copy?.source === "fallback") return { kind: "play", target: resolveTarget(round) };
  if (round.leaderId === selfId) return { kind: "lead" };
  const target = roundTarget(round, copies, nicknameOf);
  return target ? { kind: "play", target } : { kind: "watch" };
}
