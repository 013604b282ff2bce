/**
 * One match, as pure data and functions: the timeline the server owns
 * (absolute server times for the countdown and every round), the scores,
 * and the rules that accept or refuse a player's score event.
 */
import type { RoundKind } from "../playlist";
import type { Grade } from "../scoring/points";
import { pointsFor } from "../scoring/points";
import { STRIKE_MS, initialCopyRound, leaderScore, type CopyRoundState, type LeaderPose } from "./copyRound";
import { rankStandings } from "./ranking";

/** The 3-2-1 before the first round. */
export const COUNTDOWN_MS = 3_000;
/**
 * Between rounds: the last round's result (1.5 s), then "next: …" with a 2-1 countdown
 * (core/game/roundDisplay.ts). Long enough to read the next target before it counts.
 */
export const ROUND_GAP_MS = 3_500;
/** A score event stamped inside the window may arrive this much later (transit, a slow phone). */
export const SCORE_GRACE_MS = 400;
/** First event may leave a moment after the phase change reaches the players. */
const LEAD_IN_MS = 1_000;

export interface RoundTarget {
  kind: RoundKind;
  targetId: string;
}

export interface PlannedRound extends RoundTarget {
  index: number;
  startsAt: number;
  endsAt: number;
  /**
   * Copy rounds only (core/game/copyRound.ts): the strike runs from `startsAt` to here, the
   * copying (the scored part) from here to `endsAt`.
   */
  strikeEndsAt?: number;
  /** Copy rounds only: who strikes the pose; null when nobody can (a match of one). */
  leaderId?: string | null;
}

/** When a round's scoring opens: after the strike for a copy round, at its start otherwise. */
export function playStartsAt(round: PlannedRound): number {
  return round.strikeEndsAt ?? round.startsAt;
}

export interface MatchTimeline {
  countdownStartsAt: number;
  rounds: PlannedRound[];
  /** When the last round's window (with grace) is over and results can be computed. */
  endsAt: number;
}

export interface RoundScore {
  points: number;
  grade: Grade;
  /** Best similarity the player reported during the round. */
  bestSimilarity: number;
  /** From the round start to the award, server clock; null without an award. */
  reactionMs: number | null;
}

export interface PlayerScore {
  /** Kept with the score so a player who leaves mid-match still appears in its record. */
  nickname: string;
  total: number;
  /** Indexed by round; a round without an entry scored nothing. */
  rounds: Record<number, RoundScore>;
  /** Latest similarity reported (the live meter others see). */
  similarity: number;
}

export interface MatchState {
  timeline: MatchTimeline;
  /** Who plays (spectators are not here): only they may score. */
  scores: Record<string, PlayerScore>;
  /** Each copy round's leader and target, by round index (core/game/copyRound.ts). */
  copies: Record<number, CopyRoundState>;
}

/**
 * The server's plan for the match. `timeScale` (1, 1.5, 2: "More time") lengthens every round and
 * every gap for the whole room (a copy round's strike too); the 3-2-1 and the score grace
 * (transit, not play) stay as they are. `leaders` names each copy round's leader, by index.
 */
export function planTimeline(
  now: number,
  targets: readonly RoundTarget[],
  secondsPerRound: number,
  timeScale = 1,
  leaders: readonly (string | null)[] = [],
): MatchTimeline {
  const countdownStartsAt = now + LEAD_IN_MS;
  const roundMs = Math.round(secondsPerRound * 1000 * timeScale);
  const gapMs = Math.round(ROUND_GAP_MS * timeScale);
  const strikeMs = Math.round(STRIKE_MS * timeScale);
  let startsAt = countdownStartsAt + COUNTDOWN_MS;
  const rounds = targets.map((target, index) => {
    const round: PlannedRound =
      target.kind === "copy"
        ? { ...target, index, startsAt, strikeEndsAt: startsAt + strikeMs, endsAt: startsAt + strikeMs + roundMs, leaderId: leaders[index] ?? null }
        : { ...target, index, startsAt, endsAt: startsAt + roundMs };
    startsAt = round.endsAt + gapMs;
    return round;
  });
  const last = rounds.at(-1);
  return { countdownStartsAt, rounds, endsAt: (last ? last.endsAt : countdownStartsAt + COUNTDOWN_MS) + SCORE_GRACE_MS };
}

export function startMatch(timeline: MatchTimeline, players: readonly { id: string; nickname: string }[]): MatchState {
  const scores: Record<string, PlayerScore> = {};
  for (const player of players) scores[player.id] = { nickname: player.nickname, total: 0, rounds: {}, similarity: 0 };
  const copies: Record<number, CopyRoundState> = {};
  for (const round of timeline.rounds) if (round.kind === "copy") copies[round.index] = initialCopyRound(round.leaderId ?? null);
  return { timeline, scores, copies };
}

export interface ScoreEvent {
  playerId: string;
  roundIndex: number;
  /** 0..1, the player's live similarity. */
  similarity: number;
  /** Set once the player held the pose: the client's hold tracker decided the grade. */
  award?: Grade;
  /** Server clock when the event arrived. */
  receivedAt: number;
}

export type ScoreRejection = "not_a_player" | "unknown_round" | "outside_window" | "already_awarded" | "leader_is_copied";

/**
 * What applyScoreEvent decided (unrelated to core/scoring's ScoreResult, a scorer's per-frame
 * similarity). `leaderId`: a copy round's leader whose points this award changed.
 */
export type ScoreEventResult =
  { ok: true; state: MatchState; awarded: { grade: Grade; points: number } | null; leaderId: string | null } | { ok: false; reason: ScoreRejection };

/** Whether a player's score counts in this round at `at`: the round's scored window, and not its own pose. */
export function scoreWindowRefusal(state: MatchState, playerId: string, roundIndex: number, at: number): ScoreRejection | null {
  if (!state.scores[playerId]) return "not_a_player";
  const round = state.timeline.rounds[roundIndex];
  if (!round) return "unknown_round";
  if (at < playStartsAt(round) || at > round.endsAt + SCORE_GRACE_MS) return "outside_window";
  const copy = state.copies[roundIndex];
  if (copy && copy.source === "pending") return "outside_window";
  if (copy && copy.source === "leader" && copy.leaderId === playerId) return "leader_is_copied";
  return null;
}

export function applyScoreEvent(state: MatchState, event: ScoreEvent): ScoreEventResult {
  const refusal = scoreWindowRefusal(state, event.playerId, event.roundIndex, event.receivedAt);
  if (refusal) return { ok: false, reason: refusal };
  const player = state.scores[event.playerId]!;
  const round = state.timeline.rounds[event.roundIndex]!;
  const previous = player.rounds[round.index];
  if (event.award && previous && previous.grade !== "miss") return { ok: false, reason: "already_awarded" };

  const similarity = Math.min(1, Math.max(0, event.similarity));
  let roundScore: RoundScore = previous ?? { points: 0, grade: "miss", bestSimilarity: 0, reactionMs: null };
  roundScore = { ...roundScore, bestSimilarity: Math.max(roundScore.bestSimilarity, similarity) };
  let awarded: { grade: Grade; points: number } | null = null;
  if (event.award) {
    // Late-but-in-grace awards count as at the bell: never more than the round allows.
    const opensAt = playStartsAt(round);
    const elapsedMs = Math.min(event.receivedAt, round.endsAt) - opensAt;
    const points = pointsFor(event.award, elapsedMs, round.endsAt - opensAt);
    roundScore = { ...roundScore, grade: event.award, points, reactionMs: elapsedMs };
    awarded = { grade: event.award, points };
  }
  const scores = { ...state.scores, [event.playerId]: withRound(player, round.index, roundScore, similarity) };
  const copy = state.copies[round.index];
  const leaderId = awarded && copy?.source === "leader" ? copy.leaderId : null;
  if (leaderId) rescoreLeader(scores, leaderId, round.index);
  return { ok: true, state: { ...state, scores }, awarded, leaderId };
}

function withRound(player: PlayerScore, roundIndex: number, roundScore: RoundScore, similarity = player.similarity): PlayerScore {
  const rounds = { ...player.rounds, [roundIndex]: roundScore };
  const total = Object.values(rounds).reduce((sum, score) => sum + score.points, 0);
  return { ...player, total, rounds, similarity };
}

/** The leader's points for a copy round: its share of the followers who matched (awarded). */
function rescoreLeader(scores: Record<string, PlayerScore>, leaderId: string, roundIndex: number): void {
  const leader = scores[leaderId];
  if (!leader) return; // a leader who left still has a score entry; this is only a guard
  const followers = Object.entries(scores).filter(([playerId]) => playerId !== leaderId);
  const matched = followers.filter(([, score]) => {
    const grade = score.rounds[roundIndex]?.grade;
    return grade === "perfect" || grade === "good";
  }).length;
  const { points, grade } = leaderScore(matched, followers.length);
  scores[leaderId] = withRound(leader, roundIndex, { points, grade, bestSimilarity: leader.rounds[roundIndex]?.bestSimilarity ?? 0, reactionMs: null });
}

export type LeaderPoseRejection = "not_a_player" | "unknown_round" | "not_leader" | "outside_strike" | "already_set";

/**
 * The leader's pose for a copy round, as it arrived (server clock). Accepted once, from the
 * round's leader, during its strike; the caller has already checked the pose is playable and that
 * the leader's meter showed it held (GameRoom).
 */
export function setLeaderPose(
  state: MatchState,
  event: { playerId: string; roundIndex: number; pose: LeaderPose; receivedAt: number },
): { ok: true; state: MatchState } | { ok: false; reason: LeaderPoseRejection } {
  if (!state.scores[event.playerId]) return { ok: false, reason: "not_a_player" };
  const round = state.timeline.rounds[event.roundIndex];
  const copy = state.copies[event.roundIndex];
  if (!round || !copy) return { ok: false, reason: "unknown_round" };
  if (copy.leaderId !== event.playerId) return { ok: false, reason: "not_leader" };
  if (event.receivedAt < round.startsAt || event.receivedAt >= playStartsAt(round)) return { ok: false, reason: "outside_strike" };
  if (copy.source !== "pending") return { ok: false, reason: "already_set" };
  return { ok: true, state: { ...state, copies: { ...state.copies, [event.roundIndex]: { ...copy, source: "leader", pose: event.pose } } } };
}

/** The strike is over: a round still without its leader's pose plays its library pose. */
export function closeStrike(state: MatchState, roundIndex: number): MatchState {
  const copy = state.copies[roundIndex];
  if (!copy || copy.source !== "pending") return state;
  return { ...state, copies: { ...state.copies, [roundIndex]: { ...copy, source: "fallback", fallbackReason: "no_pose" } } };
}

/** The player stopped playing for now (page hidden, connection lost): its live meter reads 0; points stay. */
export function clearLiveSimilarity(state: MatchState, playerId: string): MatchState {
  const player = state.scores[playerId];
  if (!player || player.similarity === 0) return state;
  return { ...state, scores: { ...state.scores, [playerId]: { ...player, similarity: 0 } } };
}

export interface RankedPlayer {
  playerId: string;
  total: number;
  /** 1-based; ties share a rank (1, 1, 3). */
  rank: number;
}

/** Ties share a rank and are ordered by name (core/game/ranking.ts: the same order everywhere). */
export function rankPlayers(state: MatchState): RankedPlayer[] {
  const standings = Object.entries(state.scores).map(([playerId, score]) => ({ id: playerId, name: score.nickname, total: score.total }));
  return rankStandings(standings).map(({ id, total, rank }) => ({ playerId: id, total, rank }));
}

/** What the players should be seeing at a server time: pure, so every client agrees. */
export type MatchStage =
  | { kind: "waiting"; startsInMs: number }
  | { kind: "countdown"; secondsLeft: number }
  /** A copy round's first phase: the leader strikes a pose, the others watch the leader. */
  | { kind: "strike"; round: PlannedRound; remainingMs: number }
  | { kind: "round"; round: PlannedRound; remainingMs: number }
  | { kind: "gap"; previous: PlannedRound; next: PlannedRound; startsInMs: number }
  | { kind: "finished" };

export function matchStageAt(timeline: MatchTimeline, serverTime: number): MatchStage {
  if (serverTime < timeline.countdownStartsAt) return { kind: "waiting", startsInMs: timeline.countdownStartsAt - serverTime };
  const first = timeline.rounds[0];
  if (!first) return { kind: "finished" };
  if (serverTime < first.startsAt) return { kind: "countdown", secondsLeft: Math.ceil((first.startsAt - serverTime) / 1000) };
  for (let i = 0; i < timeline.rounds.length; i++) {
    const round = timeline.rounds[i]!;
    if (serverTime < playStartsAt(round)) return { kind: "strike", round, remainingMs: playStartsAt(round) - serverTime };
    if (serverTime < round.endsAt) return { kind: "round", round, remainingMs: round.endsAt - serverTime };
    const next = timeline.rounds[i + 1];
    if (next && serverTime < next.startsAt) return { kind: "gap", previous: round, next, startsInMs: next.startsAt - serverTime };
  }
  return { kind: "finished" };
}
