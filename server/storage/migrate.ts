// Applies the committed Prisma migrations at server start-up without the Prisma CLI (whose
// schema engine cannot be downloaded here, and which a server should not spawn anyway).
// Bookkeeping is identical to `prisma migrate deploy` (same `_prisma_migrations` table, same
// checksum, same advisory lock), so `prisma migrate status/deploy` agree with what ran here.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";

/** The subset of pg.Client / pg.PoolClient used here (one connection: locks and BEGIN are per session). */
export interface MigrationConnection {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

// Prisma Migrate's own lock id on PostgreSQL: a concurrent `prisma migrate deploy` or a second
// server starting at the same time waits instead of applying the same migration twice.
const PRISMA_ADVISORY_LOCK_ID = 72707369;

// The table exactly as Prisma's schema engine creates it on PostgreSQL.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface LocalMigration {
  name: string;
  script: string;
  /** sha256 hex of the file's bytes: what Prisma stores in `checksum`. */
  checksum: string;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** `<dir>/<name>/migration.sql`, ordered by folder name (the timestamp prefix), like Prisma. */
export async function readLocalMigrations(migrationsDir: string): Promise<LocalMigration[]> {
  let entries;
  try {
    entries = await readdir(migrationsDir, { withFileTypes: true });
  } catch (error) {
    throw new MigrationError(`Cannot read migrations folder ${migrationsDir}: ${(error as Error).message}`);
  }
  const lock = await readFile(path.join(migrationsDir, "migration_lock.toml"), "utf8").catch(() => null);
  if (lock !== null && !/provider\s*=\s*"postgresql"/.test(lock)) {
    throw new MigrationError(`${migrationsDir}/migration_lock.toml is not for provider "postgresql"`);
  }
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const migrations: LocalMigration[] = [];
  for (const name of names) {
    const script = await readFile(path.join(migrationsDir, name, "migration.sql"), "utf8").catch(() => null);
    // Prisma ignores folders without a migration.sql too.
    if (script !== null) migrations.push({ name, script, checksum: sha256(script) });
  }
  return migrations;
}

/** Same file with other line endings (a git autocrlf checkout) is not an edit. */
function checksumMatches(local: LocalMigration, stored: string): boolean {
  return stored === local.checksum || stored === sha256(local.script.replace(/\r\n/g, "\n"));
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies pending migrations, each in its own transaction, and returns their names (empty when
 * the database is up to date). Throws MigrationError, with nothing half-applied, when a migration
 * fails, when an applied migration's file was edited (checksum differs), or when the database
 * records a failed migration that was never resolved.
 */
export async function applyMigrations(conn: MigrationConnection, options: { migrationsDir?: string; logger: Logger }): Promise<string[]> {
  const migrationsDir = options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const log = options.logger;
  const local = await readLocalMigrations(migrationsDir);
  if (local.length === 0) throw new MigrationError(`No migrations found in ${migrationsDir}`);

  await conn.query(`SELECT pg_advisory_lock(${PRISMA_ADVISORY_LOCK_ID})`);
  try {
    await conn.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await conn.query(
      `SELECT "migration_name", "checksum", "finished_at", "rolled_back_at"
         FROM "_prisma_migrations" ORDER BY "started_at"`,
    );
    const applied = new Map<string, AppliedRow>();
    for (const row of rows as AppliedRow[]) {
      // A rolled-back attempt (prisma migrate resolve --rolled-back) is as if it never ran.
      if (row.rolled_back_at !== null) continue;
      if (row.finished_at === null) {
        throw new MigrationError(
          `Migration ${row.migration_name} failed earlier and was never resolved. Fix the database, ` +
            `then run \`prisma migrate resolve --applied|--rolled-back ${row.migration_name}\`.`,
        );
      }
      applied.set(row.migration_name, row);
    }

    const localNames = new Set(local.map((m) => m.name));
    for (const [name, row] of applied) {
      const file = local.find((m) => m.name === name);
      if (!file) {
        // The database is ahead of this build (e.g. a rollback of the code): keep running.
        log.warn({ migration: name }, "database has a migration that is not in the migrations folder");
      } else if (!checksumMatches(file, row.checksum)) {
        throw new MigrationError(
          `Migration ${name} was modified after it was applied (checksum ${row.checksum} in the ` +
            `database, ${file.checksum} on disk). Restore the original file and put the change in a ` +
            `new migration (npm run db:migrate:new).`,
        );
      }
    }

    const pending = local.filter((m) => !applied.has(m.name));
    const done: string[] = [];
    for (const migration of pending) {
      const started = performance.now();
      await conn.query("BEGIN");
      try {
        const id = randomUUID();
        await conn.query(
          `INSERT INTO "_prisma_migrations" ("id", "checksum", "migration_name", "started_at", "applied_steps_count")
           VALUES ($1, $2, $3, now(), 0)`,
          [id, migration.checksum, migration.name],
        );
        // No parameters: the simple-query protocol runs the whole multi-statement file.
        await conn.query(migration.script);
        await conn.query(`UPDATE "_prisma_migrations" SET "finished_at" = clock_timestamp(), "applied_steps_count" = 1 WHERE "id" = $1`, [id]);
        await conn.query("COMMIT");
      } catch (error) {
        await conn.query("ROLLBACK").catch(() => undefined);
        throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${(error as Error).message}`, { cause: error });
      }
      log.info({ migration: migration.name, ms: Math.round(performance.now() - started) }, "migration applied");
      done.push(migration.name);
    }
    if (done.length === 0) log.debug({ count: localNames.size }, "database schema up to date");
    return done;
  } finally {
    await conn.query(`SELECT pg_advisory_unlock(${PRISMA_ADVISORY_LOCK_ID})`).catch(() => undefined);
  }
}
