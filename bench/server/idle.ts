/**
 * Server idle. First the whole app as `npm start` runs it (appIdle.ts: Next.js, the game server and
 * the embedded database in one process). Then, labelled as such, the game server alone: start-up
 * time and resident memory of the game server right after it starts, on a
 * new DATA_DIR (the embedded database is created) and again on the same, now existing, DATA_DIR
 * (a restart). The server is `startGameServer.ts` (the real `startPoseServer` without Next.js,
 * the process the capacity ladder loads), bundled and run by plain `node` with production's flags,
 * as production runs server/main.ts (scripts/build-server.ts). For reference, the same server under tsx (how it
 * ran before the bundle) and the bare Socket.IO relay, bundled the same way.
 *
 * startMs: from spawning the process to its "ready" message (the HTTP server listens and the
 * database is open and migrated). rssMiB: /proc VmRSS 1 s after ready, of the process and any
 * children it started. cpuMs: CPU the process used until ready (less sensitive than startMs to
 * other work on a shared machine).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { bundleServer } from "../../scripts/build-server";
import { REPO_ROOT, readProc, sleep, spawnNode, spawnTs, stopChild, treeRssBytes } from "../lib/proc";
import { round } from "../lib/stats";
import { askMemory, median, mib, productionTarget, runAppIdle, type AppIdleData, type AppIdleTarget } from "./appIdle";

export interface IdleStart {
  rssMiB: number;
  startMs: number;
  cpuMs: number;
  /** process.memoryUsage() after forced full GCs (what is garbage vs. live). */
  afterFullGcRssMiB: number | null;
  externalMiB: number | null;
}

export interface IdleCase {
  /** Medians over `runs` (each run: a new DATA_DIR, then a restart on it). */
  rssMiB: number;
  startMs: number;
  cpuMs: number;
  runs: IdleStart[];
}

export interface ServerIdleData {
  /** The whole app (dist/server/main.mjs as `npm start` runs it); null when it could not be measured. */
  app: AppIdleData | null;
  appError?: string;
  /** The rows below: the game server alone (no Next.js). */
  launch: string;
  fresh: IdleCase;
  existing: IdleCase;
  /** The same server under `node --import tsx` (no bundle), one run. */
  tsx: { fresh: IdleStart; existing: IdleStart } | null;
  /** The bare Socket.IO relay of the capacity section, bundled, one start. */
  relay: IdleStart | null;
}

async function measureStart(file: string, how: "node" | "tsx", env: Record<string, string>, label: string): Promise<IdleStart> {
  const began = performance.now();
  // The node flags production runs the bundle with (package.json "serve").
  const spawnOptions = { ipc: true, nodeArgs: ["--expose-gc", ...(how === "node" ? productionTarget().nodeArgs : [])], env, logPrefix: `[${label}] ` };
  const child = how === "node" ? spawnNode(file, spawnOptions) : spawnTs(file, spawnOptions);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label} did not start within 240 s: ${child.output.join("").slice(-500)}`)), 240_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${label} exited with code ${code}: ${child.output.join("").slice(-500)}`));
      });
      child.on("message", (message: { type?: string }) => {
        if (message.type !== "ready") return;
        clearTimeout(timer);
        resolve();
      });
    });
    const startMs = Math.round(performance.now() - began);
    const cpuMs = Math.round(readProc(child.pid!)?.cpuMs ?? Number.NaN);
    await sleep(1_000);
    const rss = treeRssBytes(child.pid!);
    if (rss === null) throw new Error(`${label}: cannot read /proc/${child.pid}`);
    const usage = await askMemory(child, true);
    return { rssMiB: mib(rss), startMs, cpuMs, afterFullGcRssMiB: usage ? mib(usage.rss) : null, externalMiB: usage ? mib(usage.external) : null };
  } finally {
    // A graceful stop: the restart that follows opens what this one closed.
    child.removeAllListeners("exit");
    await stopChild(child, 15_000);
  }
}

function summarise(runs: IdleStart[]): IdleCase {
  return {
    rssMiB: round(median(runs.map((run) => run.rssMiB)), 1) ?? 0,
    startMs: Math.round(median(runs.map((run) => run.startMs))),
    cpuMs: Math.round(median(runs.map((run) => run.cpuMs))),
    runs,
  };
}

export async function runServerIdle(options: { smoke: boolean; log: (line: string) => void }): Promise<ServerIdleData> {
  const gameBundle = "dist/bench/game-server.mjs";
  const relayBundle = "dist/bench/bare-relay.mjs";
  await bundleServer("bench/server/startGameServer.ts", gameBundle);
  await bundleServer("bench/server/bareRelay.ts", relayBundle);
  const runs = options.smoke ? 1 : 3;
  const fresh: IdleStart[] = [];
  const existing: IdleStart[] = [];
  const tempDirs: string[] = [];
  const newDataDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "poseparty-bench-idle-"));
    tempDirs.push(dir);
    return dir;
  };
  try {
    let app: AppIdleData | null = null;
    let appError: string | undefined;
    try {
      // BENCH_IDLE_BASELINE="[node flags] other/bundle.mjs" (two folders below the root, like
      // dist/server): an older build measured beside the current one, interleaved, for a
      // before/after in one run. It uses the same .next build.
      const baseline = process.env.BENCH_IDLE_BASELINE?.trim().split(/\s+/).filter(Boolean);
      const targets: AppIdleTarget[] = [productionTarget()];
      if (baseline?.length) targets.unshift({ label: "baseline", nodeArgs: baseline.slice(0, -1), bundle: baseline.at(-1)! });
      app = await runAppIdle({ runs, targets, newDataDir, log: options.log });
    } catch (error) {
      appError = error instanceof Error ? error.message : String(error);
      options.log(`app idle: FAILED ${appError}`);
    }
    for (let run = 0; run < runs; run++) {
      const env = { BENCH_DATA_DIR: newDataDir() };
      fresh.push(await measureStart(path.join(REPO_ROOT, gameBundle), "node", env, "idle server, new DATA_DIR"));
      existing.push(await measureStart(path.join(REPO_ROOT, gameBundle), "node", env, "idle server, existing DATA_DIR"));
      options.log(
        `idle run ${run + 1}/${runs}: new DATA_DIR ${fresh.at(-1)!.rssMiB} MiB, ready in ${fresh.at(-1)!.startMs} ms; ` +
          `existing ${existing.at(-1)!.rssMiB} MiB, ready in ${existing.at(-1)!.startMs} ms`,
      );
    }
    let tsx: ServerIdleData["tsx"] = null;
    let relay: IdleStart | null = null;
    if (!options.smoke) {
      const env = { BENCH_DATA_DIR: newDataDir() };
      const tsxFresh = await measureStart("bench/server/startGameServer.ts", "tsx", env, "idle server under tsx, new DATA_DIR");
      const tsxExisting = await measureStart("bench/server/startGameServer.ts", "tsx", env, "idle server under tsx, existing DATA_DIR");
      tsx = { fresh: tsxFresh, existing: tsxExisting };
      relay = await measureStart(path.join(REPO_ROOT, relayBundle), "node", {}, "bare relay");
    }
    return {
      app,
      ...(appError ? { appError } : {}),
      launch: `node ${[...productionTarget().nodeArgs, gameBundle].join(" ")} (bundle of bench/server/startGameServer.ts; --expose-gc for the after-GC reading)`,
      fresh: summarise(fresh),
      existing: summarise(existing),
      tsx,
      relay,
    };
  } finally {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  }
}
