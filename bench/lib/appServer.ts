/**
 * The real app for the lobby and page-weight sections: `next build` when needed, then
 * `server/main.ts` (Next + Socket.IO on one port) on a free loopback port, with a temporary
 * DATA_DIR and the test playlists allowed (as `npm run e2e:server` does).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT, freePort, spawnTs, stopChild, waitForHttp } from "./proc";

export type BuildPolicy = "auto" | "always" | "never";

export interface BuildInfo {
  buildId: string;
  /** This run built the app (and how long it took). */
  built: boolean;
  buildMs: number | null;
  /** Sources newer than the build that was used (only when it was reused). */
  staleSources: string[];
}

const SOURCE_DIRS = ["app", "components", "client", "core"];
const SOURCE_FILES = ["next.config.ts", "package.json", "tsconfig.json"];

function newestSources(since: number): string[] {
  const newer: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (statSync(full).mtimeMs > since) newer.push(path.relative(REPO_ROOT, full));
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(path.join(REPO_ROOT, dir))) walk(path.join(REPO_ROOT, dir));
  for (const file of SOURCE_FILES) {
    const full = path.join(REPO_ROOT, file);
    if (existsSync(full) && statSync(full).mtimeMs > since) newer.push(file);
  }
  return newer;
}

function runBuild(log: (line: string) => void): Promise<number> {
  const began = Date.now();
  log("next build (npm run build) ...");
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
    const output: string[] = [];
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.on("exit", (code) => {
      if (code === 0) resolve(Date.now() - began);
      else reject(new Error(`npm run build failed (${code}): ${output.join("").slice(-1500)}`));
    });
  });
}

let buildOnce: Promise<BuildInfo> | null = null;

/** Builds at most once per bench run. `auto`: build when there is no build, or (full runs) when sources are newer. */
export function ensureBuild(policy: BuildPolicy, smoke: boolean, log: (line: string) => void): Promise<BuildInfo> {
  buildOnce ??= (async () => {
    const buildIdFile = path.join(REPO_ROOT, ".next/BUILD_ID");
    const exists = existsSync(buildIdFile);
    const stale = exists ? newestSources(statSync(buildIdFile).mtimeMs) : [];
    const build = policy === "always" || (policy === "auto" && (!exists || (!smoke && stale.length > 0)));
    if (policy === "never" && !exists) throw new Error("no Next.js build in .next and --no-build was given");
    let buildMs: number | null = null;
    if (build) buildMs = await runBuild(log);
    else if (stale.length > 0) log(`reusing .next although ${stale.length} source files are newer (e.g. ${stale.slice(0, 3).join(", ")})`);
    return {
      buildId: readFileSync(buildIdFile, "utf8").trim(),
      built: build,
      buildMs,
      staleSources: build ? [] : stale.slice(0, 20),
    };
  })();
  return buildOnce;
}

export interface AppServer {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startAppServer(log: (line: string) => void): Promise<AppServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "poseparty-bench-app-"));
  const child = spawnTs("server/main.ts", {
    env: {
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      ALLOW_TEST_PLAYLISTS: "true",
      JOIN_RATE_PER_MINUTE: "1000",
      // The default single-process deployment, whatever the caller's shell or CI exported.
      DATABASE_URL: "",
      REDIS_URL: "",
      SENTRY_DSN: "",
      LIVEKIT_URL: "",
      LIVEKIT_API_KEY: "",
      LIVEKIT_API_SECRET: "",
    },
    logPrefix: "[app server] ",
    quiet: true,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    // Generous: the embedded database initialises in WASM, which took 90 s on a loaded 2-core machine.
    await waitForHttp(`${url}/api/health`, 240_000, child);
  } catch (error) {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`the app server did not start: ${error instanceof Error ? error.message : String(error)}\n${child.output.join("").slice(-1500)}`, {
      cause: error,
    });
  }
  log(`app server: pid ${child.pid}, ${url}`);
  return {
    url,
    pid: child.pid!,
    child,
    stop: async () => {
      await stopChild(child, 10_000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
