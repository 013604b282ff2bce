/**
 * Choosing a match's targets: one per round, never the same target twice in a match,
 * deterministic for a seed (the server draws the seed; tests fix it).
 *
 * - Round kinds go round-robin in the host's order: kinds [pose, hand] over 5 rounds give
 *   pose, hand, pose, hand, pose. Predictable for players and tests alike.
 * - Pose and hand targets: those of the match's difficulty first, then easier ones, then harder
 *   ones (so a long "hard" match still fills up), shuffled by the seed. The ones chosen are then
 *   shuffled again, so a match does not play all its hardest targets first.
 * - Head targets are generated circles (endless supply).
 * - Copy rounds (a friend's pose, core/game/copyRound.ts) draw their fallback from the pose
 *   library, sharing its supply with pose rounds: no library pose twice in a match.
 * - `includeTestOnly`: the test-only targets of each kind come FIRST (in library order), then the
 *   regular ones. An end-to-end test with a fixed camera picture thus gets the targets derived
 *   from that picture. Without it, test-only targets are never used.
 * - If a kind runs out of distinct targets, its remaining rounds go to the next kind (in the
 *   host's order) that still has some; if none has, this throws rather than repeat.
 */
import type { RoundKind } from "../playlist";
import type { Difficulty } from "../scoring/types";
import { ALL_HAND_TARGETS, getHandTarget, type HandTarget } from "./handLibrary";
import { TEST_HEAD_TARGETS, generateHeadTargets, getHeadTarget, type HeadTarget } from "./headLibrary";
import { ALL_POSE_TARGETS, getPoseTarget, type PoseTarget } from "./poseLibrary";
import { mulberry32, shuffled, type Random } from "./random";

/** Any target, with everything needed to show and score it. */
export type GameTarget = PoseTarget | HandTarget | HeadTarget;

/** What travels in the game setup: plain, serialisable; `resolveTarget` turns it into a target. */
export interface TargetRef {
  kind: RoundKind;
  targetId: string;
}

/** The target behind a reference, or undefined if the id is unknown for that kind. */
export function resolveTarget(ref: TargetRef): GameTarget | undefined {
  switch (ref.kind) {
    case "pose":
    case "copy":
      return getPoseTarget(ref.targetId);
    case "hand":
      return getHandTarget(ref.targetId);
    case "head":
      return getHeadTarget(ref.targetId);
  }
}

export interface PickOptions {
  readonly includeTestOnly?: boolean;
}

const DIFFICULTY_RANK: Readonly<Record<Difficulty, number>> = { easy: 0, normal: 1, hard: 2 };

/** Lower is preferred: the match's own difficulty, then easier (closest first), then harder. */
function difficultyTier(target: Difficulty, match: Difficulty): number {
  const delta = DIFFICULTY_RANK[target] - DIFFICULTY_RANK[match];
  return delta === 0 ? 0 : delta < 0 ? -delta : 2 + delta;
}

function orderLibrary<T extends PoseTarget | HandTarget>(
  library: readonly T[],
  difficulty: Difficulty,
  random: Random,
  includeTestOnly: boolean,
): { tests: T[]; regular: T[] } {
  const tests = includeTestOnly ? library.filter((target) => target.testOnly) : [];
  // Shuffle first, then a stable sort by tier: random within a tier, tiers in order.
  const regular = shuffled(
    library.filter((target) => !target.testOnly),
    random,
  ).sort((a, b) => difficultyTier(a.difficulty, difficulty) - difficultyTier(b.difficulty, difficulty));
  return { tests, regular };
}

/** Takes `count` targets: tests first, then the preferred regular ones in a seeded order. */
function take<T>(pool: { tests: T[]; regular: T[] }, count: number, random: Random): T[] {
  const fromTests = pool.tests.slice(0, count);
  const fromRegular = pool.regular.slice(0, count - fromTests.length);
  return [...fromTests, ...shuffled(fromRegular, random)];
}

/**
 * One target reference per round (resolve with `resolveTarget`).
 * @param kinds the round kinds the host chose (distinct, at least one).
 * @param rounds how many rounds (non-negative integer).
 * @param seed any 32-bit integer; the same arguments always give the same targets.
 */
export function pickTargets(kinds: readonly RoundKind[], rounds: number, difficulty: Difficulty, seed: number, options: PickOptions = {}): TargetRef[] {
  if (kinds.length === 0) throw new RangeError("pickTargets: no round kinds");
  if (!Number.isInteger(rounds) || rounds < 0) throw new RangeError(`pickTargets: bad round count ${rounds}`);
  const includeTestOnly = options.includeTestOnly ?? false;
  // One sub-stream per purpose, drawn in a fixed order: changing one library does not reshuffle
  // the others.
  const root = mulberry32(seed);
  const poseRandom = mulberry32(Math.floor(root() * 2 ** 32));
  const handRandom = mulberry32(Math.floor(root() * 2 ** 32));
  const headSeed = Math.floor(root() * 2 ** 32);

  const capacity: Record<Exclude<RoundKind, "copy">, number> = {
    pose: ALL_POSE_TARGETS.filter((target) => includeTestOnly || !target.testOnly).length,
    hand: ALL_HAND_TARGETS.filter((target) => includeTestOnly || !target.testOnly).length,
    head: Number.POSITIVE_INFINITY,
  };
  const library = (kind: RoundKind) => (kind === "copy" ? "pose" : kind);

  // Which kind each round gets: round-robin, skipping kinds that ran out.
  const roundKinds: RoundKind[] = [];
  const used: Record<RoundKind, number> = { pose: 0, hand: 0, head: 0, copy: 0 };
  for (let round = 0; round < rounds; round++) {
    let chosen: RoundKind | null = null;
    for (let step = 0; step < kinds.length && !chosen; step++) {
      const kind = kinds[(round + step) % kinds.length] as RoundKind;
      const drawn = kind === "pose" || kind === "copy" ? used.pose + used.copy : used[kind];
      if (drawn < capacity[library(kind)]) chosen = kind;
    }
    if (!chosen) throw new RangeError(`pickTargets: only ${round} distinct targets for ${rounds} rounds`);
    used[chosen]++;
    roundKinds.push(chosen);
  }

  const queues: Record<Exclude<RoundKind, "copy">, GameTarget[]> = {
    pose: take(orderLibrary(ALL_POSE_TARGETS, difficulty, poseRandom, includeTestOnly), used.pose + used.copy, poseRandom),
    hand: take(orderLibrary(ALL_HAND_TARGETS, difficulty, handRandom, includeTestOnly), used.hand, handRandom),
    head: [],
  };
  const headTests = includeTestOnly ? TEST_HEAD_TARGETS.slice(0, used.head) : [];
  queues.head = [...headTests, ...generateHeadTargets(headSeed, used.head - headTests.length, difficulty)];

  const next: Record<Exclude<RoundKind, "copy">, number> = { pose: 0, hand: 0, head: 0 };
  return roundKinds.map((kind) => {
    const from = library(kind);
    return { kind, targetId: (queues[from][next[from]++] as GameTarget).id };
  });
}
