// The embedded database's template (server/storage/embeddedPostgres.ts): a new data dir is a copy
// of the data dir `npm install` initialised, an interrupted copy is redone, and without a template
// PGlite initialises the dir itself. Real PGlite on real temp dirs.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { embeddedTemplateDir, startEmbeddedPostgres } from "@/server/storage/embeddedPostgres";

const SLOW = 120_000;
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "poseparty-template-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function roundTrip(dir: string, options: Parameters<typeof startEmbeddedPostgres>[1] = {}): Promise<string> {
  const db = await startEmbeddedPostgres(dir, options);
  const client = new pg.Client(db.poolConfig);
  try {
    await client.connect();
    await client.query("CREATE TABLE IF NOT EXISTS note (text TEXT)");
    await client.query("INSERT INTO note VALUES ('kept')");
    const { rows } = await client.query<{ count: string }>("SELECT count(*) FROM note");
    return rows[0]!.count;
  } finally {
    await client.end();
    await db.stop();
  }
}

describe("embedded database template", () => {
  it("the install made a template for the installed PGlite", () => {
    expect(existsSync(path.join(embeddedTemplateDir(), "PG_VERSION"))).toBe(true);
  });

  it("fills a new data dir from the template, redoes an interrupted copy, and keeps data over restarts", { timeout: SLOW }, async () => {
    const dir = path.join(await tempDir(), "pglite");
    // What an interrupted copy leaves: files, but no PG_VERSION.
    await mkdir(path.join(dir, "base"), { recursive: true });
    await writeFile(path.join(dir, "base", "half-copied"), "x");
    let initdb = false;
    expect(await roundTrip(dir, { onInitdb: () => (initdb = true) })).toBe("1");
    expect(initdb).toBe(false);
    expect(await roundTrip(dir, { onInitdb: () => (initdb = true) })).toBe("2");
    expect(initdb).toBe(false);
  });

  it("without a template, initialises the data dir itself and says so", { timeout: SLOW }, async () => {
    const dir = path.join(await tempDir(), "pglite");
    const missing = path.join(await tempDir(), "no-template");
    let told: string | null = null;
    expect(await roundTrip(dir, { templateDir: missing, onInitdb: (template) => (told = template) })).toBe("1");
    expect(told).toBe(missing);
    expect(await roundTrip(dir, { templateDir: missing })).toBe("2");
  });
});
