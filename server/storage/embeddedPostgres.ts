// Zero-setup PostgreSQL: PGlite (Postgres compiled to WASM, in this process) behind a loopback
// wire-protocol socket, so the ordinary `pg` driver and @prisma/adapter-pg reach it exactly like a
// real server. Used by the match store (data dir on disk) and by prisma.config.ts when authoring
// migrations (in memory).
import { mkdir, open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type pg from "pg";

export interface EmbeddedPostgres {
  /** Discrete connection settings for `pg` (no connection string: see prisma-offline.md defect 4). */
  readonly poolConfig: Readonly<pg.PoolConfig>;
  /** Stops the socket server and closes PGlite (flushes to disk). Idempotent. */
  stop(): Promise<void>;
}

// PGlite has no postmaster.pid: two instances on one data dir would corrupt it. Guard in-process
// with a set and across processes with a pid lock file.
const openDirs = new Set<string>();
const LOCK_FILE = "poseparty.lock";

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function acquireLock(dir: string): Promise<() => Promise<void>> {
  const lockPath = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
      if (Number.isInteger(holder) && holder !== process.pid && pidAlive(holder)) {
        throw new Error(
          `Embedded database ${dir} is in use by process ${holder}. Stop it, or point this ` +
            `process at another data dir (or a PostgreSQL server through DATABASE_URL). If no ` +
            `such process uses it, delete ${lockPath}.`,
        );
      }
      // Stale lock left by a crash (or by this very process before a restart): take it over.
      await rm(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock embedded database ${dir}`);
}

/**
 * Starts PGlite on `dataDir` (created and initialised on first use; `null` = in memory) and a
 * socket server on a random 127.0.0.1 port.
 */
export async function startEmbeddedPostgres(dataDir: string | null): Promise<EmbeddedPostgres> {
  let dir: string | null = null;
  let releaseLock: (() => Promise<void>) | null = null;
  if (dataDir !== null) {
    dir = path.resolve(dataDir);
    if (openDirs.has(dir)) {
      throw new Error(`Embedded database ${dir} is already open in this process`);
    }
    await mkdir(dir, { recursive: true });
    releaseLock = await acquireLock(dir);
    openDirs.add(dir);
  }

  let db: PGlite | null = null;
  let server: PGLiteSocketServer | null = null;
  const cleanup = async (): Promise<void> => {
    await server?.stop().catch(() => undefined);
    if (db && !db.closed) await db.close().catch(() => undefined);
    if (dir) openDirs.delete(dir);
    await releaseLock?.();
  };

  try {
    db = await PGlite.create(dir ?? undefined);
    // PGlite is one session: one socket at a time, so the pg pool must use max 1 as well.
    server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 1 });
    await server.start();
  } catch (error) {
    await cleanup();
    throw error;
  }

  const conn = server.getServerConn();
  const port = Number(conn.slice(conn.lastIndexOf(":") + 1));
  let stopped: Promise<void> | null = null;
  return {
    poolConfig: Object.freeze({
      host: "127.0.0.1",
      port,
      user: "postgres",
      password: "postgres",
      database: "postgres",
      max: 1,
      // Keep the single connection: reconnecting to a one-connection server only adds races.
      idleTimeoutMillis: 0,
    }),
    stop: () => (stopped ??= cleanup()),
  };
}
