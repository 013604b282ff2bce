// Match history storage. One dialect (PostgreSQL), one schema, one generated Prisma client:
// an embedded PGlite in this process by default (zero setup, data in `dataDir`), or a PostgreSQL
// server when a postgres:// URL is given. Migrations are applied on open. See docs/storage.md.
import { randomUUID } from "node:crypto";
import path from "node:path";
import pg from "pg";
import type { Logger } from "pino";
import { z } from "zod";
import { PrismaPg } from "@prisma/adapter-pg";
import { Prisma, PrismaClient } from "../../prisma/generated/client/index.js";
import { NICKNAME_MAX_INPUT_UNITS } from "@/core/nickname";
import { wellFormedDeep } from "@/core/text";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embeddedPostgres";
import { applyMigrations } from "./migrate";

import { leaderPoseSchema, type LeaderPose } from "@/core/game/copyRound";
import { roundKindSchema, STANDARD_TIME_SCALE, timeScaleSchema, type RoundKind, type TimeScale } from "@/core/playlist";
import type { MatchDetail, MatchSummary } from "@/core/matchHistory";
import { GRADES, type Grade } from "@/core/scoring/points";
export type { Grade, MatchDetail, MatchSummary, RoundKind };

export interface MatchToSave {
  /**
   * The match's id, chosen by the caller so that a save can be retried safely: saving an id
   * that is already stored answers that id and writes nothing (never twice). Omitted: a new id.
   */
  id?: string;
  roomCode: string;
  /** The room's pace ("More time"): 1 standard, 1.5 or 2 relaxed. Omitted: 1. */
  timeScale?: TimeScale;
  playlist: unknown; // JSON-serialisable playlist chosen by the host
  startedAt: Date;
  endedAt: Date;
  players: { playerId: string; nickname: string; finalScore: number; rank: number; wasSpectator: boolean }[];
  rounds: {
    index: number;
    kind: RoundKind;
    targetId: string;
    startsAt: Date;
    endsAt: Date;
    /** Copy rounds: who led, and the pose they struck (null: the round played its library pose). */
    leaderNickname?: string | null;
    leaderPose?: LeaderPose | null;
    results: { playerId: string; points: number; grade: Grade; bestSimilarity: number; reactionMs: number | null }[];
  }[];
}

export interface MatchStore {
  /** true when a trivial query succeeds within ~1 s; never throws */
  ping(): Promise<boolean>;
  saveMatch(match: MatchToSave): Promise<{ id: string }>; // one transaction: all or nothing; idempotent per match.id
  listRecentMatches(limit: number): Promise<MatchSummary[]>; // newest endedAt first
  getMatch(id: string): Promise<MatchDetail | null>; // null for unknown or malformed id
  close(): Promise<void>; // idempotent; closes pools / embedded db
}

export interface OpenMatchStoreOptions {
  databaseUrl?: string;
  /** The app's data dir (DATA_DIR); the embedded database lives in `<dataDir>/pglite`. */
  dataDir: string;
  logger: import("pino").Logger;
  /** Tests and tools only: another migrations folder (default: prisma/migrations). */
  migrationsDir?: string;
}

/** The embedded database's folder inside `dataDir` (so ./data gives ./data/pglite). */
export const EMBEDDED_SUBDIR = "pglite";
/** listRecentMatches never returns more than this, whatever the caller asks. */
export const MAX_LIST_LIMIT = 200;
const PING_TIMEOUT_MS = 1_000;

/** saveMatch input rejected before anything was written. */
export class InvalidMatchError extends Error {
  override name = "InvalidMatchError";
}

// ---------------------------------------------------------------------------------------------
// Input validation: this is a trust boundary (the data comes from game state built out of
// client messages), and the database types are narrower than JS numbers (INTEGER is 32-bit).

// PostgreSQL text and jsonb cannot hold NUL characters: reject them here, not mid-transaction.
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !s.includes("\u0000"), "contains a NUL character");
const validDate = z.date().refine((d) => !Number.isNaN(d.getTime()), "invalid date");
const MAX_PLAYLIST_JSON = 64 * 1024;

const matchSchema = z
  .object({
    id: z
      .string()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be a lowercase UUID")
      .optional(),
    roomCode: text(32),
    timeScale: timeScaleSchema.default(STANDARD_TIME_SCALE),
    playlist: z
      .json()
      .refine((v) => v !== null, "playlist is required")
      .refine((v) => {
        const json = JSON.stringify(v);
        return json.length <= MAX_PLAYLIST_JSON && !json.includes("\\u0000");
      }, `playlist must serialise to at most ${MAX_PLAYLIST_JSON} characters without NUL characters`),
    startedAt: validDate,
    endedAt: validDate,
    players: z
      .array(
        z.object({
          playerId: text(128),
          // 20 graphemes (core/nickname.ts), which can be many UTF-16 units each (emoji sequences).
          nickname: text(NICKNAME_MAX_INPUT_UNITS),
          finalScore: z.int32(),
          rank: z.int32().min(1),
          wasSpectator: z.boolean(),
        }),
      )
      .min(1)
      .max(256),
    rounds: z
      .array(
        z.object({
          index: z.int32().min(0),
          kind: roundKindSchema,
          targetId: text(128),
          startsAt: validDate,
          endsAt: validDate,
          leaderNickname: text(NICKNAME_MAX_INPUT_UNITS).nullable().optional(),
          leaderPose: leaderPoseSchema.nullable().optional(),
          results: z
            .array(
              z.object({
                playerId: text(128),
                points: z.int32(),
                grade: z.enum(GRADES),
                bestSimilarity: z.number(), // z.number() rejects NaN and ±Infinity
                reactionMs: z.int32().min(0).nullable(),
              }),
            )
            .max(256),
        }),
      )
      .max(1_000),
  })
  .superRefine((m, ctx) => {
    if (m.endedAt < m.startedAt) ctx.addIssue({ code: "custom", path: ["endedAt"], message: "before startedAt" });
    const playerIds = new Set<string>();
    m.players.forEach((p, i) => {
      if (playerIds.has(p.playerId)) {
        ctx.addIssue({ code: "custom", path: ["players", i, "playerId"], message: `duplicate playerId ${p.playerId}` });
      }
      playerIds.add(p.playerId);
    });
    const indexes = new Set<number>();
    m.rounds.forEach((r, i) => {
      if (indexes.has(r.index)) ctx.addIssue({ code: "custom", path: ["rounds", i, "index"], message: "duplicate index" });
      indexes.add(r.index);
      if (r.endsAt < r.startsAt) ctx.addIssue({ code: "custom", path: ["rounds", i, "endsAt"], message: "before startsAt" });
      const seen = new Set<string>();
      r.results.forEach((res, j) => {
        const where = ["rounds", i, "results", j, "playerId"];
        if (!playerIds.has(res.playerId)) {
          ctx.addIssue({ code: "custom", path: where, message: `unknown playerId ${res.playerId}` });
        } else if (seen.has(res.playerId)) {
          ctx.addIssue({ code: "custom", path: where, message: `second result for ${res.playerId}` });
        }
        seen.add(res.playerId);
      });
    });
  });

// Postgres accepts any 8-4-4-4-12 hex UUID; anything else would be a query error, not "not found".
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---------------------------------------------------------------------------------------------

const summaryInclude = {
  players: {
    select: { nickname: true, finalScore: true, rank: true, wasSpectator: true },
    orderBy: [{ rank: "asc" }, { nickname: "asc" }],
  },
  _count: { select: { rounds: true } },
} satisfies Prisma.MatchInclude;

type SummaryRow = Prisma.MatchGetPayload<{ include: typeof summaryInclude }>;

function toSummary(row: SummaryRow): MatchSummary {
  return {
    id: row.id,
    roomCode: row.roomCode,
    // The column only ever holds what the schema let in; anything else reads as standard.
    timeScale: timeScaleSchema.catch(STANDARD_TIME_SCALE).parse(row.timeScale),
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    roundCount: row._count.rounds,
    players: row.players,
  };
}

class PrismaMatchStore implements MatchStore {
  private closing: Promise<void> | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
    private readonly embedded: EmbeddedPostgres | null,
    private readonly logger: Logger,
  ) {}

  async ping(): Promise<boolean> {
    if (this.closing) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
    });
    const query = this.prisma.$queryRaw`SELECT 1`.then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async saveMatch(match: MatchToSave): Promise<{ id: string }> {
    this.assertOpen();
    // Unpaired surrogates cannot be stored (PostgreSQL: "unexpected end of hex escape"): they
    // are replaced here too, whatever path the strings came by, so they never fail a save.
    const parsed = matchSchema.safeParse(wellFormedDeep(match));
    if (!parsed.success) {
      throw new InvalidMatchError(`Invalid match, nothing saved:\n${z.prettifyError(parsed.error)}`);
    }
    const m = parsed.data;
    try {
      return await this.insertMatch(m);
    } catch (error) {
      // A retry of a save that did commit (its answer was lost with the connection, or another
      // process's retry got there first): the whole match is there, since it is one transaction.
      if (m.id && (await this.matchExists(m.id))) {
        this.logger.info({ matchId: m.id }, "match was saved already: not saved twice");
        return { id: m.id };
      }
      throw error;
    }
  }

  private async matchExists(id: string): Promise<boolean> {
    try {
      return (await this.prisma.match.findUnique({ where: { id }, select: { id: true } })) !== null;
    } catch {
      return false;
    }
  }

  private async insertMatch(m: z.infer<typeof matchSchema>): Promise<{ id: string }> {
    // Ids made here so that all rows go in as four batched INSERTs in one transaction.
    const matchId = m.id ?? randomUUID();
    const playerRowIds = new Map(m.players.map((p) => [p.playerId, randomUUID()]));
    const rounds = m.rounds.map((r) => ({ ...r, id: randomUUID() }));

    await this.prisma.$transaction([
      this.prisma.match.create({
        data: {
          id: matchId,
          roomCode: m.roomCode,
          timeScale: m.timeScale,
          // z.json() guarantees a JSON value; the round-trip drops anything JSON would not keep.
          playlist: JSON.parse(JSON.stringify(m.playlist)) as Prisma.InputJsonValue,
          startedAt: m.startedAt,
          endedAt: m.endedAt,
        },
      }),
      this.prisma.matchPlayer.createMany({
        data: m.players.map((p) => ({ ...p, id: playerRowIds.get(p.playerId) ?? "", matchId })),
      }),
      this.prisma.round.createMany({
        data: rounds.map(({ results: _results, leaderPose, ...r }) => ({
          ...r,
          matchId,
          leaderPose: leaderPose ? (leaderPose as Prisma.InputJsonValue) : Prisma.DbNull,
        })),
      }),
      this.prisma.roundResult.createMany({
        data: rounds.flatMap((r) =>
          r.results.map(({ playerId, ...res }) => ({
            ...res,
            roundId: r.id,
            matchPlayerId: playerRowIds.get(playerId) ?? "",
          })),
        ),
      }),
    ]);
    this.logger.debug({ matchId, rounds: rounds.length, players: m.players.length }, "match saved");
    return { id: matchId };
  }

  async listRecentMatches(limit: number): Promise<MatchSummary[]> {
    this.assertOpen();
    if (!Number.isFinite(limit)) throw new RangeError(`limit must be a finite number, got ${limit}`);
    const take = Math.min(Math.max(Math.floor(limit), 0), MAX_LIST_LIMIT);
    if (take === 0) return [];
    const rows = await this.prisma.match.findMany({
      // id breaks ties so that pages are stable when two matches end in the same millisecond.
      orderBy: [{ endedAt: "desc" }, { id: "desc" }],
      take,
      include: summaryInclude,
    });
    return rows.map(toSummary);
  }

  async getMatch(id: string): Promise<MatchDetail | null> {
    this.assertOpen();
    if (typeof id !== "string" || !UUID_RE.test(id)) return null;
    const row = await this.prisma.match.findUnique({
      where: { id },
      include: {
        ...summaryInclude,
        rounds: {
          orderBy: { index: "asc" },
          include: {
            results: {
              include: { matchPlayer: { select: { nickname: true, rank: true } } },
              orderBy: [{ points: "desc" }, { matchPlayer: { rank: "asc" } }],
            },
          },
        },
      },
    });
    if (!row) return null;
    return {
      ...toSummary(row),
      playlist: row.playlist,
      rounds: row.rounds.map((r) => ({
        index: r.index,
        kind: r.kind,
        targetId: r.targetId,
        startsAt: r.startsAt,
        endsAt: r.endsAt,
        leaderNickname: r.leaderNickname,
        // Written through leaderPoseSchema; read back through it too, so the page never draws junk.
        leaderPose: r.leaderPose === null ? null : (leaderPoseSchema.safeParse(r.leaderPose).data ?? null),
        results: r.results.map((res) => ({
          nickname: res.matchPlayer.nickname,
          points: res.points,
          grade: res.grade,
          bestSimilarity: res.bestSimilarity,
          reactionMs: res.reactionMs,
        })),
      })),
    };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.prisma.$disconnect().catch((error: unknown) => this.logger.warn({ err: error }, "prisma disconnect failed"));
      await this.pool.end().catch((error: unknown) => this.logger.warn({ err: error }, "pool end failed"));
      await this.embedded?.stop();
      this.logger.info("match store closed");
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw new Error("match store is closed");
  }
}

/** Host and database of a URL, for logs (never the password). */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}

export async function openMatchStore(
  options: OpenMatchStoreOptions,
): Promise<{ store: MatchStore; engine: "embedded" | "postgresql"; appliedMigrations: string[] }> {
  const started = performance.now();
  const logger = options.logger.child({ component: "matchStore" });
  // An empty DATABASE_URL= in an env file means "not set".
  const url = options.databaseUrl?.trim() || undefined;
  if (url !== undefined && !/^postgres(ql)?:\/\//i.test(url)) {
    throw new Error(
      `DATABASE_URL must start with postgres:// or postgresql:// (got "${url.split(":")[0]}:..."); ` +
        `leave it unset to use the embedded database in ${path.join(options.dataDir, EMBEDDED_SUBDIR)}.`,
    );
  }
  const engine = url ? "postgresql" : "embedded";

  const embeddedDir = path.join(options.dataDir, EMBEDDED_SUBDIR);
  const embedded = url
    ? null
    : await startEmbeddedPostgres(embeddedDir, {
        onInitdb: (template) =>
          logger.warn({ template }, "no embedded database template (npm run db:template): initialising a new data dir in-process, which is slow"),
      });
  const pool = new pg.Pool(
    embedded ? { ...embedded.poolConfig } : { connectionString: url, max: 10, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 },
  );
  // Without a listener, an idle client's error (server restart, network) crashes the process.
  pool.on("error", (error) => logger.warn({ err: error }, "idle database connection failed"));

  try {
    const conn = await pool.connect();
    let appliedMigrations: string[];
    try {
      appliedMigrations = await applyMigrations(conn, { migrationsDir: options.migrationsDir, logger });
    } finally {
      conn.release();
    }
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    const store = new PrismaMatchStore(prisma, pool, embedded, logger);
    logger.info(
      {
        engine,
        where: embedded ? embeddedDir : describeUrl(url ?? ""),
        appliedMigrations,
        ms: Math.round(performance.now() - started),
      },
      "match store open",
    );
    return { store, engine, appliedMigrations };
  } catch (error) {
    await pool.end().catch(() => undefined);
    await embedded?.stop();
    throw error;
  }
}
