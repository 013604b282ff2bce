/**
 * A finished match is never lost, whatever the database says. `MatchSaver.save` tries the
 * database a few times; if it still refuses (server down, disk full, read-only, a bug), the
 * record is written durably to `<DATA_DIR>/pending-matches/<match id>.json` and retried in the
 * background with backoff, and again at the next start (`resumePending`). The match id is chosen
 * before the first try and the store saves an id once only, so however many tries, processes or
 * restarts, the same match is never saved twice. Listeners hear when a pending match landed
 * (the room's results screen turns from "saving…" to "saved").
 */
import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { writeAtomically } from "../../scripts/lib/writeAtomically";
import type { MatchToSave } from "./matchStore";

export const PENDING_MATCHES_SUBDIR = "pending-matches";
const FILE_VERSION = 1;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type MatchWithId = MatchToSave & { id: string };
export type SaveOutcome = "saved" | "saving";

export interface MatchSaverOptions {
  dataDir: string;
  /** The store's saveMatch (idempotent per id). */
  save: (match: MatchWithId) => Promise<{ id: string }>;
  logger: Logger;
  /** Tries before the results show (default 3), and the pause after try n (default 250·n ms). */
  immediateAttempts?: number;
  immediatePauseMs?: (attempt: number) => number;
  /** Background retry delays, the last one repeated for ever (default 1 s, 2 s, 5 s, 15 s, 30 s, 60 s). */
  retryDelaysMs?: readonly number[];
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 15_000, 30_000, 60_000];

// What a pending file holds: the match as JSON (dates as ISO strings, read back as Dates).
const date = z.coerce.date();
const pendingFileSchema = z.object({
  version: z.literal(FILE_VERSION),
  keptAt: z.string(),
  match: z.looseObject({
    id: z.string().regex(UUID_RE),
    startedAt: date,
    endedAt: date,
    rounds: z.array(z.looseObject({ startsAt: date, endsAt: date })),
  }),
});

interface Pending {
  match: MatchWithId;
  tries: number;
  timer?: NodeJS.Timeout;
}

export class MatchSaver {
  private readonly pending = new Map<string, Pending>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly listeners = new Set<(matchId: string) => void>();
  private readonly folder: string;
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly options: MatchSaverOptions) {
    this.folder = path.join(options.dataDir, PENDING_MATCHES_SUBDIR);
    this.log = options.logger.child({ task: "match:save" });
  }

  /** Matches kept on disk and not yet in the database. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Called with the id of every match that reached the database after `save` answered "saving". */
  onSaved(listener: (matchId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * "saved": the match is in the database. "saving": the database refused it every time; it is
   * kept on disk and being retried (or, if even the disk refused, retried from memory).
   */
  save(match: MatchWithId): Promise<SaveOutcome> {
    return this.track(this.saveNow(match));
  }

  /** At start-up: every match a previous run could not save is retried (in the background). */
  async resumePending(): Promise<number> {
    let names: string[];
    try {
      names = (await readdir(this.folder)).filter((name) => name.endsWith(".json") && !name.startsWith("."));
    } catch {
      return 0;
    }
    let resumed = 0;
    for (const name of names) {
      const file = path.join(this.folder, name);
      let match: MatchWithId;
      try {
        const parsed = pendingFileSchema.parse(JSON.parse(await readFile(file, "utf8")));
        match = parsed.match as unknown as MatchWithId;
      } catch (error) {
        // Kept where it is for a person to look at: deleting it could lose a match.
        this.log.error({ err: error, file }, "a pending match file could not be read: left in place");
        continue;
      }
      if (path.basename(name, ".json") !== match.id || this.pending.has(match.id)) continue;
      this.pending.set(match.id, { match, tries: 0 });
      this.scheduleRetry(match.id, 0);
      resumed++;
    }
    if (resumed > 0) this.log.warn({ matches: resumed }, "matches not yet saved by the last run: saving them now");
    return resumed;
  }

  /** Stops retrying and waits for tries in flight; what is still pending stays on disk for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async saveNow(match: MatchWithId): Promise<SaveOutcome> {
    const log = this.log.child({ matchId: match.id, roomCode: match.roomCode });
    const attempts = this.options.immediateAttempts ?? 3;
    for (let attempt = 1; attempt <= attempts && !this.closed; attempt++) {
      try {
        await this.options.save(match);
        return "saved";
      } catch (error) {
        log.error({ err: error, attempt }, "saving the match failed");
        if (attempt < attempts) await sleep(this.options.immediatePauseMs?.(attempt) ?? 250 * attempt);
      }
    }
    await this.keep(match, log);
    this.pending.set(match.id, { match, tries: 0 });
    if (!this.closed) this.scheduleRetry(match.id, this.delay(0));
    return "saving";
  }

  /** Durably on disk before the players see "saving…": a crash from here on loses nothing. */
  private async keep(match: MatchWithId, log: Logger): Promise<void> {
    const file = this.fileOf(match.id);
    try {
      await mkdir(this.folder, { recursive: true });
      const content = { version: FILE_VERSION, keptAt: new Date().toISOString(), match };
      await writeAtomically(file, JSON.stringify(content), { durable: true, mode: 0o600 });
      log.warn({ file }, "the database refused the match: kept on disk, saving it in the background");
    } catch (error) {
      log.fatal({ err: error, file }, "the database refused the match and the disk too: retrying from memory only");
    }
  }

  private scheduleRetry(matchId: string, delayMs: number): void {
    const entry = this.pending.get(matchId);
    if (!entry || this.closed) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => void this.track(this.retry(matchId)), delayMs);
  }

  private async retry(matchId: string): Promise<void> {
    const entry = this.pending.get(matchId);
    if (!entry || this.closed) return;
    entry.tries++;
    const log = this.log.child({ matchId, roomCode: entry.match.roomCode, retry: entry.tries });
    try {
      await this.options.save(entry.match);
    } catch (error) {
      const next = this.delay(entry.tries);
      log.error({ err: error, nextRetryMs: next }, "saving the kept match failed again");
      this.scheduleRetry(matchId, next);
      return;
    }
    this.pending.delete(matchId);
    await rm(this.fileOf(matchId), { force: true }).catch((error: unknown) =>
      // Harmless: the next start saves it again, and the store answers "already saved".
      log.warn({ err: error }, "could not remove the kept match file"),
    );
    log.info("kept match saved");
    for (const listener of this.listeners) {
      try {
        listener(matchId);
      } catch (error) {
        log.error({ err: error }, "a match-saved listener failed");
      }
    }
  }

  private delay(tries: number): number {
    const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    return delays[Math.min(tries, delays.length - 1)] ?? 60_000;
  }

  private fileOf(matchId: string): string {
    if (!UUID_RE.test(matchId)) throw new Error(`not a match id: ${matchId}`);
    return path.join(this.folder, `${matchId}.json`);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.then(
      () => this.inFlight.delete(work),
      () => this.inFlight.delete(work),
    );
    return work;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
