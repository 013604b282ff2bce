/** Translations from the room's match state to what goes on the wire and into the database. */
import type { LeaderPose } from "@/core/game/copyRound";
import type { RankedPlayer, PlayerScore } from "@/core/game/match";
import type { PlayerScoreSnapshot, RoomSnapshot } from "@/core/protocol";
import type { RoomState } from "@/core/room";
import type { MatchToSave } from "../storage/matchStore";

/** A player's whole score, as the join snapshot and room:state carry it. */
export function playerScoreSnapshot(playerId: string, score: PlayerScore): PlayerScoreSnapshot {
  return {
    playerId,
    total: score.total,
    similarity: score.similarity,
    rounds: Object.entries(score.rounds).map(([roundIndex, round]) => ({
      roundIndex: Number(roundIndex),
      points: round.points,
      grade: round.grade,
    })),
  };
}

export function toGameSnapshot(state: RoomState): NonNullable<RoomSnapshot["game"]> | null {
  const { game } = state;
  if (!game) return null;
  return {
    settings: game.settings,
    testPlaylistId: game.testPlaylistId,
    timeScale: game.timeScale,
    // The current deadline, extensions included: the lobby's countdown follows it.
    preloadDeadline: state.phase === "preloading" ? (game.lobby?.deadline ?? null) : null,
    timeline: game.match?.timeline ?? null,
    scores: game.match ? Object.entries(game.match.scores).map(([playerId, score]) => playerScoreSnapshot(playerId, score)) : [],
    copies: game.match ? Object.entries(game.match.copies).map(([roundIndex, copy]) => ({ roundIndex: Number(roundIndex), ...copy })) : [],
    results: game.results ? { matchId: game.results.matchId, save: game.results.save, ranking: [...game.results.ranking] } : null,
  };
}

/** A copy round's leader, by the name it had, and the pose it struck (null: the library pose was played). */
function copyRecord(state: RoomState, roundIndex: number): { leaderNickname: string | null; leaderPose: LeaderPose | null } | Record<never, never> {
  const copy = state.game?.match?.copies[roundIndex];
  if (!copy) return {};
  const leaderNickname = copy.leaderId ? (state.game?.match?.scores[copy.leaderId]?.nickname ?? null) : null;
  return { leaderNickname, leaderPose: copy.source === "leader" ? copy.pose : null };
}

/**
 * The finished match as stored: players (spectators included, marked), rounds, per-round results.
 * `meterBest` is the best reading each player's live meter showed in a round (the live lane keeps
 * it; the room state only sees the readings sent with awards).
 */
export function toMatchRecord(
  state: RoomState,
  ranking: readonly RankedPlayer[],
  endedAt: Date,
  meterBest: (playerId: string, roundIndex: number) => number = () => 0,
): MatchToSave {
  const match = state.game?.match;
  if (!state.game || !match) throw new Error("no match to record");
  const rankOf = new Map(ranking.map((entry) => [entry.playerId, entry]));
  const lastRank = ranking.length + 1;
  return {
    roomCode: state.code,
    timeScale: state.game.timeScale,
    playlist: { ...state.game.settings, testPlaylistId: state.game.testPlaylistId, targets: state.game.targets },
    startedAt: new Date(match.timeline.countdownStartsAt),
    endedAt,
    players: [
      // Everyone who played, including anyone who left before the end...
      ...Object.entries(match.scores).map(([playerId, score]) => ({
        playerId,
        nickname: score.nickname,
        finalScore: score.total,
        rank: rankOf.get(playerId)?.rank ?? lastRank,
        wasSpectator: false,
      })),
      // ...and those who watched.
      ...state.members
        .filter((member) => !(member.id in match.scores))
        .map((member) => ({ playerId: member.id, nickname: member.nickname, finalScore: 0, rank: lastRank, wasSpectator: true })),
    ],
    rounds: match.timeline.rounds.map((round) => ({
      index: round.index,
      kind: round.kind,
      targetId: round.targetId,
      startsAt: new Date(round.startsAt),
      endsAt: new Date(round.endsAt),
      ...copyRecord(state, round.index),
      results: Object.entries(match.scores).map(([playerId, score]) => {
        const result = score.rounds[round.index];
        return {
          playerId,
          points: result?.points ?? 0,
          grade: result?.grade ?? "miss",
          bestSimilarity: Math.max(result?.bestSimilarity ?? 0, meterBest(playerId, round.index)),
          reactionMs: result?.reactionMs ?? null,
        };
      }),
    })),
  };
}
