/**
 * A saved match as the history shows it: the one schema for the match-detail JSON that
 * `/api/matches/[id]` answers and the room's history sheet reads, and the types the storage
 * adapter returns. Built from the game's own vocabularies (GRADES, the round kinds, the leader's
 * pose, the pace), so no other module spells those literals again.
 */
import { z } from "zod";
import { leaderPoseSchema } from "./game/copyRound";
import { roundKindSchema, STANDARD_TIME_SCALE, timeScaleSchema } from "./playlist";
import { GRADES } from "./scoring/points";

export const gradeSchema = z.enum(GRADES);

/** Caps on what a client accepts from the API: a match has at most this many rounds and players. */
const MAX_ROUNDS = 1_000;
const MAX_PLAYERS = 256;

const playerSchema = z.object({ nickname: z.string(), finalScore: z.number(), rank: z.number(), wasSpectator: z.boolean() });

export const matchSummarySchema = z.object({
  id: z.string(),
  roomCode: z.string(),
  /** 1 standard; 1.5 or 2: played relaxed, with longer rounds for everyone. An unknown value reads as 1. */
  timeScale: timeScaleSchema.catch(STANDARD_TIME_SCALE),
  startedAt: z.coerce.date(),
  endedAt: z.coerce.date(),
  roundCount: z.number(),
  /** By rank. */
  players: z.array(playerSchema).max(MAX_PLAYERS),
});

export const matchDetailSchema = matchSummarySchema.extend({
  /** The playlist the host chose, as saved (JSON). */
  playlist: z.unknown(),
  rounds: z
    .array(
      z.object({
        index: z.number(),
        kind: roundKindSchema,
        targetId: z.string(),
        startsAt: z.coerce.date(),
        endsAt: z.coerce.date(),
        /** Copy rounds: who led, and the pose they struck (null: the round played its library pose). */
        leaderNickname: z.string().nullable().catch(null),
        leaderPose: leaderPoseSchema.nullable().catch(null),
        results: z
          .array(z.object({ nickname: z.string(), points: z.number(), grade: gradeSchema, bestSimilarity: z.number(), reactionMs: z.number().nullable() }))
          .max(MAX_PLAYERS),
      }),
    )
    .max(MAX_ROUNDS),
});

export type MatchSummary = z.infer<typeof matchSummarySchema>;
export type MatchDetail = z.infer<typeof matchDetailSchema>;
