// Prisma CLI configuration (dev-time only: the server never runs the CLI). Prisma's Rust schema
// engine cannot be downloaded here, so the CLI uses the WASM engine through a driver adapter
// (see docs/storage.md and /work/shared/notes/prisma-offline.md).
//
// - DATABASE_URL=postgres(ql)://...  -> that server is the main database (migrate status/deploy).
// - otherwise                        -> a throwaway in-memory PGlite (`npm run db:migrate:new`).
// The shadow database (migrate dev / diff) is always a throwaway in-memory PGlite: no server and
// no CREATEDB permission needed.
import path from "node:path";
import { defineConfig, type PrismaConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { startEmbeddedPostgres } from "./server/storage/embeddedPostgres";

type MigrationAdapterFactory = Extract<PrismaConfig, { engine: "js" }>["adapter"] extends () => Promise<infer F> ? F : never;
type Adapter = Awaited<ReturnType<PrismaPg["connect"]>>;

const databaseUrl = process.env.DATABASE_URL ?? "";
// Offline workarounds, set here so that every CLI command gets them (prisma-offline.md):
// the schema's `url = env("DATABASE_URL")` must resolve or `generate` tries to download a query
// engine; the adapter carries the real connection, so a placeholder is enough.
process.env.DATABASE_URL ||= "postgresql://unused@127.0.0.1:1/unused";
// Any executable stops the CLI from downloading the Rust schema engine; the JS engine is used.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ||= path.resolve("prisma", "no-schema-engine.sh");

// Two incompatibilities between Prisma 6.19.3's WASM schema engine and the databases it reads,
// fixed on the wire for the CLI only (the server's runtime queries never hit them):
//
// 1. @prisma/adapter-pg refuses the catalog types `name` and `"char"` ("Column type 'name' could not
//    be deserialized", prisma-offline.md defect 3) which the engine's introspection selects. pg
//    returns both as plain strings, so reporting them as `text` is exact.
// 2. PostgreSQL 18 (PGlite 0.5 is 18) lists NOT NULL as pg_constraint rows with contype 'n'; the
//    engine's constraint query lets them through and then panics ("RuntimeError: unreachable"):
//    prisma/orm#29635. Its proposed fix (prisma-engines#5819) is the allowlist used here; column
//    nullability comes from pg_attribute anyway.
const CATALOG_TEXT_OIDS = new Set([18, 19]);
const TEXT_OID = 25;
const PG18_CONSTRAINT_FILTER = "contype NOT IN ('p', 'u', 'f')";
const PG18_CONSTRAINT_FIX = "contype IN ('c', 'x')";

type QueryFn = (...args: unknown[]) => Promise<unknown> | undefined;

function reportCatalogTypesAsText(result: unknown): unknown {
  for (const r of Array.isArray(result) ? result : [result]) {
    const fields = (r as { fields?: { dataTypeID: number }[] } | null)?.fields;
    for (const field of fields ?? []) {
      if (CATALOG_TEXT_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

function fixConstraintQuery(arg: unknown): unknown {
  if (typeof arg === "string") return arg.replace(PG18_CONSTRAINT_FILTER, PG18_CONSTRAINT_FIX);
  if (arg && typeof arg === "object" && typeof (arg as { text?: unknown }).text === "string") {
    const config = arg as { text: string };
    return { ...config, text: config.text.replace(PG18_CONSTRAINT_FILTER, PG18_CONSTRAINT_FIX) };
  }
  return arg;
}

/** A pg pool whose every connection gets both fixes above. */
function patchedPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on("connect", (client) => {
    const target = client as unknown as { query: QueryFn };
    const query = target.query.bind(client);
    target.query = (first, ...rest) => {
      const last = rest.at(-1);
      // pg.Pool#query calls its client callback-style; the adapter's transactions use promises.
      if (typeof last === "function") {
        const callback = last as (error: unknown, result?: unknown) => void;
        return query(fixConstraintQuery(first), ...rest.slice(0, -1), (error: unknown, result?: unknown) =>
          callback(error, error ? result : reportCatalogTypesAsText(result)),
        );
      }
      return query(fixConstraintQuery(first), ...rest)?.then(reportCatalogTypesAsText);
    };
  });
  return pool;
}

/** Discrete settings, never a connectionString: pg lets a connection string override `database`
 *  (prisma-offline.md defect 4), and this keeps the pool config explicit. */
function discreteConfig(url: string): pg.PoolConfig {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname) || "localhost",
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || undefined,
    password: decodeURIComponent(u.password) || undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || undefined,
    max: 1,
  };
}

async function serverAdapter(url: string): Promise<Adapter> {
  return new PrismaPg(patchedPool(discreteConfig(url)), { disposeExternalPool: true }).connect();
}

/** An adapter over a fresh in-memory PGlite; dispose() stops the PGlite too. */
async function embeddedAdapter(): Promise<Adapter> {
  const pglite = await startEmbeddedPostgres(null);
  const adapter = await new PrismaPg(patchedPool({ ...pglite.poolConfig }), {
    disposeExternalPool: true,
  }).connect();
  const dispose = adapter.dispose.bind(adapter);
  adapter.dispose = async () => {
    await dispose();
    await pglite.stop();
  };
  return adapter;
}

const factory: MigrationAdapterFactory = {
  provider: "postgres",
  adapterName: "@prisma/adapter-pg",
  connect: () => (/^postgres(ql)?:\/\//.test(databaseUrl) ? serverAdapter(databaseUrl) : embeddedAdapter()),
  connectToShadowDb: embeddedAdapter,
};

export default defineConfig({
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  experimental: { adapter: true },
  engine: "js",
  async adapter() {
    return factory;
  },
});
