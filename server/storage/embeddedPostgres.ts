// Zero-setup PostgreSQL: PGlite (Postgres compiled to WASM, in this process) behind a loopback
// wire-protocol socket, so the ordinary `pg` driver and @prisma/adapter-pg reach it exactly like a
// real server. Used by the match store (data dir on disk) and by prisma.config.ts when authoring
// migrations (in memory).
//
// Kept lean (bench/README.md, "Memory"): a new data dir is a copy of a template made once at
// install (no initdb in this process), PostgreSQL runs with small buffers, and its WebAssembly
// runs on V8's baseline compiler only.
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
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
          { cause: error },
        );
      }
      // Stale lock left by a crash (or by this very process before a restart): take it over.
      await rm(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock embedded database ${dir}`);
}

// PostgreSQL's defaults are sized for a server: 128 MB of shared buffers, which PGlite allocates
// and touches up front (~150 MiB of resident memory). This database holds a few rows per finished
// match and is read by the history page; 8 MB (1,024 pages) keeps its working set cached with
// room to spare. wal_buffers follows (1/32 of it). PGlite serves one session (one socket, a
// pool of 1), yet sizes its shared memory for the default 100 connections: 5 (PostgreSQL keeps 3
// for superusers) saves ~4 MiB resident. Neither setting touches durability: the WAL, fsync and
// synchronous_commit are PGlite's own (its -F means fsync off; docs/storage.md says what that
// risks). Command-line settings: they apply to existing data dirs too, and postgresql.conf stays
// PostgreSQL's own.
const LEAN_SETTINGS = ["shared_buffers=8MB", "max_connections=5"];
export const EMBEDDED_START_PARAMS: readonly string[] = [...PGlite.defaultStartParams, ...LEAN_SETTINGS.flatMap((setting) => ["-c", setting])];

/**
 * V8 compiles WebAssembly twice: quickly at first (Liftoff), then hot functions again with its
 * optimising compiler in the background. For PGlite's 9 MB module the optimised code costs 40-55
 * MiB of resident memory and about half a second of CPU at start, for queries this app runs a few
 * times a minute (bench/README.md, "Memory"). So PGlite is compiled and started with Liftoff
 * only. The flag is process-wide, so it is set for that span alone: left on, it also slowed
 * other WebAssembly (Node's fetch parses HTTP in WebAssembly) enough to stall a polling test.
 */
async function withBaselineWasm<T>(work: () => Promise<T>): Promise<T> {
  v8.setFlagsFromString("--liftoff-only");
  try {
    return await work();
  } finally {
    v8.setFlagsFromString("--no-liftoff-only");
  }
}

/** Where `npm install` puts the initialised data dir (scripts/db-template.ts), per PGlite version. */
export function embeddedTemplateDir(): string {
  // The package does not export its package.json: read it next to its entry point (dist/).
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const manifest = JSON.parse(readFileSync(path.join(path.dirname(entry), "..", "package.json"), "utf8")) as { version: string };
  return path.join(TEMPLATE_ROOT, `pglite-${manifest.version}`);
}
const TEMPLATE_ROOT = fileURLToPath(new URL("../../node_modules/.cache/poseparty", import.meta.url));

/**
 * Creates the template: initdb into a temporary folder, then renamed into place (a concurrent
 * or interrupted run never leaves a half-made template). Returns its path.
 */
export async function makeEmbeddedTemplate(target = embeddedTemplateDir()): Promise<string> {
  const staging = `${target}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(path.dirname(target), { recursive: true });
  const db = await withBaselineWasm(() => PGlite.create(staging, { startParams: [...EMBEDDED_START_PARAMS] }));
  await db.close();
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
  return target;
}

/**
 * A data dir without PG_VERSION is new: fill it from the template instead of letting PGlite run
 * initdb (6-7 s of CPU and ~400 MiB of garbage in this process). PG_VERSION is copied last, so an
 * interrupted copy is still "new" at the next start and is copied again. Returns false when there
 * is no template (install scripts skipped): PGlite then runs initdb as before.
 */
async function fillFromTemplate(dir: string, template: string): Promise<boolean> {
  if (existsSync(path.join(dir, "PG_VERSION"))) return false;
  if (!existsSync(path.join(template, "PG_VERSION"))) return false;
  await cp(template, dir, { recursive: true, force: true, filter: (source) => path.basename(source) !== "PG_VERSION" || path.dirname(source) !== template });
  await cp(path.join(template, "PG_VERSION"), path.join(dir, "PG_VERSION"));
  return true;
}

export interface EmbeddedStartOptions {
  /** The initialised data dir copied into a new `dataDir` (default: the one `npm install` made). */
  templateDir?: string;
  /** Told when a new data dir had to be initialised in-process (no template). */
  onInitdb?: (template: string) => void;
}

/**
 * Starts PGlite on `dataDir` (created and initialised on first use; `null` = in memory) and a
 * socket server on a random 127.0.0.1 port.
 */
export async function startEmbeddedPostgres(dataDir: string | null, options: EmbeddedStartOptions = {}): Promise<EmbeddedPostgres> {
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
    if (dir) {
      const template = options.templateDir ?? embeddedTemplateDir();
      if (!(await fillFromTemplate(dir, template)) && !existsSync(path.join(dir, "PG_VERSION"))) options.onInitdb?.(template);
    }
    db = await withBaselineWasm(() => PGlite.create(dir ?? undefined, { startParams: [...EMBEDDED_START_PARAMS] }));
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
