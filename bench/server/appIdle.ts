/**
 * The whole app idle: what `npm run serve` (and so `npm start`) runs, `node dist/server/main.mjs`
 * with the node flags of package.json's "serve" script: Next.js, the game server and the embedded
 * database in one process. Per run, a new DATA_DIR, then a restart on it (existing DATA_DIR):
 *
 * - readyMs: spawn to the server's "ready in" log line; healthyMs: spawn to the first 200 from
 *   /api/health (polled every 50 ms). phasesMs / phaseRssMiB: the start-up log's own phases
 *   ("modules" is process start to main()).
 * - idleRssMiB: /proc VmRSS 5 s after healthy (no request but the health polls).
 * - pagesRssMiB: 2 s after the home page and a room page (a room created over Socket.IO) were
 *   served once each (firstPagesMs: how long each took); afterGcRssMiB: then after forced full
 *   GCs (--expose-gc and memoryProbe.ts, the only additions to what production runs).
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { io } from "socket.io-client";
import { bundleServer } from "../../scripts/build-server";
import { REPO_ROOT, freePort, readProc, sleep, spawnNode, stopChild, treeRssBytes } from "../lib/proc";
import { round } from "../lib/stats";
import type { MemoryReport, MemoryRequest } from "./protocol";

export interface AppIdleStart {
  readyMs: number;
  healthyMs: number;
  cpuMs: number;
  phasesMs: Record<string, number>;
  phaseRssMiB: Record<string, number>;
  idleRssMiB: number;
  firstPagesMs: { home: number; room: number };
  pagesRssMiB: number;
  afterGcRssMiB: number | null;
  /** process.memoryUsage() after the pages, before the forced GC (MiB). */
  heapUsedMiB: number | null;
  heapTotalMiB: number | null;
  externalMiB: number | null;
}

export interface AppIdleCase {
  /** Medians over the runs. */
  readyMs: number;
  healthyMs: number;
  cpuMs: number;
  phasesMs: Record<string, number>;
  idleRssMiB: number;
  pagesRssMiB: number;
  afterGcRssMiB: number | null;
  runs: AppIdleStart[];
}

export interface AppIdleTarget {
  label: string;
  /** node arguments before the bundle, and the bundle (relative to the repository root). */
  nodeArgs: string[];
  bundle: string;
}

export interface AppIdleData {
  targets: { label: string; launch: string; fresh: AppIdleCase; existing: AppIdleCase }[];
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
export const mib = (bytes: number) => round(bytes / 2 ** 20, 1) ?? 0;
const PROBE_BUNDLE = "dist/bench/memory-probe.mjs";

/** What production runs: the node flags and bundle of package.json's "serve" script. */
export function productionTarget(): AppIdleTarget {
  const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  const match = /\bnode((?:\s+--\S+)*)\s+(dist\/server\/main\.mjs)/.exec(scripts.serve ?? "");
  if (!match) throw new Error(`package.json "serve" does not run node dist/server/main.mjs: ${scripts.serve}`);
  return { label: "whole app (npm start)", nodeArgs: match[1]!.trim().split(/\s+/).filter(Boolean), bundle: match[2]! };
}

/** The child's process.memoryUsage() (after a full GC when `gc`), through the memory probe; null if it does not answer in 10 s. */
export function askMemory(child: ChildProcess, gc: boolean): Promise<NodeJS.MemoryUsage | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("message", onMessage);
      resolve(null);
    }, 10_000);
    const onMessage = (message: MemoryReport | { type?: string }) => {
      if (message.type !== "memory" || !("usage" in message)) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(message.usage);
    };
    child.on("message", onMessage);
    child.send({ type: "memory", gc } satisfies MemoryRequest);
  });
}

async function timedGet(url: string): Promise<number> {
  const began = performance.now();
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return Math.round(performance.now() - began);
}

function createRoom(url: string): Promise<string> {
  const socket = io(url, { transports: ["websocket"], reconnection: false, forceNew: true });
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("room:create timed out")), 15_000);
    socket.emit("room:create", { nickname: "Bench" }, (answer: { ok: boolean; room?: { code: string }; code?: string }) => {
      clearTimeout(timer);
      if (answer.ok && answer.room) resolve(answer.room.code);
      else reject(new Error(`room:create: ${answer.code}`));
    });
  }).finally(() => socket.close());
}

async function measureApp(target: AppIdleTarget, dataDir: string, label: string): Promise<AppIdleStart> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const phasesMs: Record<string, number> = {};
  const phaseRssMiB: Record<string, number> = {};
  let readyMs: number | null = null;
  const began = performance.now();
  const child = spawnNode(path.join(REPO_ROOT, target.bundle), {
    ipc: true,
    quiet: true,
    nodeArgs: ["--expose-gc", ...target.nodeArgs, "--import", path.join(REPO_ROOT, PROBE_BUNDLE)],
    // The default single-process app, whatever the caller's shell exported: embedded database,
    // no Redis, LiveKit, Sentry or LAN HTTPS.
    env: {
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: "info",
      DATABASE_URL: "",
      REDIS_URL: "",
      LIVEKIT_URL: "",
      LIVEKIT_API_KEY: "",
      LIVEKIT_API_SECRET: "",
      SENTRY_DSN: "",
      HTTPS: "",
      NODE_OPTIONS: "",
    },
  });
  let pending = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      try {
        const entry = JSON.parse(line) as { phase?: string; ms?: number; rssMiB?: number; msg?: string };
        if (entry.phase && typeof entry.ms === "number") phasesMs[entry.phase] = entry.ms;
        if (entry.phase && typeof entry.rssMiB === "number") phaseRssMiB[entry.phase] = entry.rssMiB;
        if (readyMs === null && entry.msg?.startsWith("ready in")) readyMs = Math.round(performance.now() - began);
      } catch {
        // not a log line
      }
    }
  });
  try {
    const deadline = Date.now() + 240_000;
    let healthyMs: number | null = null;
    while (healthyMs === null) {
      if (child.exitCode !== null) throw new Error(`${label} exited with code ${child.exitCode}: ${child.output.join("").slice(-500)}`);
      if (Date.now() > deadline) throw new Error(`${label} was not healthy within 240 s`);
      const ok = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) healthyMs = Math.round(performance.now() - began);
      else await sleep(50);
    }
    const cpuMs = Math.round(readProc(child.pid!)?.cpuMs ?? Number.NaN);
    await sleep(5_000);
    const idleRss = treeRssBytes(child.pid!);
    if (idleRss === null) throw new Error(`${label}: cannot read /proc/${child.pid}`);
    const home = await timedGet(`${url}/`);
    const room = await timedGet(`${url}/r/${await createRoom(url)}`);
    await sleep(2_000);
    const pagesRss = treeRssBytes(child.pid!) ?? Number.NaN;
    const usage = await askMemory(child, false);
    const afterGc = (await askMemory(child, true)) ? treeRssBytes(child.pid!) : null;
    return {
      readyMs: readyMs ?? Number.NaN,
      healthyMs,
      cpuMs,
      phasesMs,
      phaseRssMiB,
      idleRssMiB: mib(idleRss),
      firstPagesMs: { home, room },
      pagesRssMiB: mib(pagesRss),
      afterGcRssMiB: afterGc === null ? null : mib(afterGc),
      heapUsedMiB: usage ? mib(usage.heapUsed) : null,
      heapTotalMiB: usage ? mib(usage.heapTotal) : null,
      externalMiB: usage ? mib(usage.external) : null,
    };
  } finally {
    // A graceful stop (SIGTERM drains): the restart that follows opens what this one closed.
    await stopChild(child, 15_000);
  }
}

function summarise(runs: AppIdleStart[]): AppIdleCase {
  const phases = Object.keys(runs[0]?.phasesMs ?? {});
  const gc = runs.map((run) => run.afterGcRssMiB).filter((value): value is number => value !== null);
  return {
    readyMs: Math.round(median(runs.map((run) => run.readyMs))),
    healthyMs: Math.round(median(runs.map((run) => run.healthyMs))),
    cpuMs: Math.round(median(runs.map((run) => run.cpuMs))),
    phasesMs: Object.fromEntries(phases.map((phase) => [phase, Math.round(median(runs.map((run) => run.phasesMs[phase] ?? Number.NaN)))])),
    idleRssMiB: round(median(runs.map((run) => run.idleRssMiB)), 1) ?? 0,
    pagesRssMiB: round(median(runs.map((run) => run.pagesRssMiB)), 1) ?? 0,
    afterGcRssMiB: gc.length ? (round(median(gc), 1) ?? null) : null,
    runs,
  };
}

/**
 * Each target `runs` times (a new DATA_DIR, then a restart on it), targets interleaved run by run
 * so that other work on the machine falls on all of them alike. Needs a Next.js build in .next.
 */
export async function runAppIdle(options: {
  runs: number;
  targets: AppIdleTarget[];
  newDataDir: () => string;
  log: (line: string) => void;
}): Promise<AppIdleData> {
  await bundleServer("server/main.ts", "dist/server/main.mjs");
  await bundleServer("bench/server/memoryProbe.ts", PROBE_BUNDLE);
  const results = options.targets.map(() => ({ fresh: [] as AppIdleStart[], existing: [] as AppIdleStart[] }));
  for (let run = 0; run < options.runs; run++) {
    for (const [index, target] of options.targets.entries()) {
      const dataDir = options.newDataDir();
      const fresh = await measureApp(target, dataDir, `${target.label}, new DATA_DIR`);
      const existing = await measureApp(target, dataDir, `${target.label}, existing DATA_DIR`);
      results[index]!.fresh.push(fresh);
      results[index]!.existing.push(existing);
      options.log(
        `app idle run ${run + 1}/${options.runs} (${target.label}): new DATA_DIR healthy in ${fresh.healthyMs} ms, ${fresh.pagesRssMiB} MiB after pages; ` +
          `existing healthy in ${existing.healthyMs} ms, ${existing.pagesRssMiB} MiB after pages`,
      );
    }
  }
  return {
    targets: options.targets.map((target, index) => ({
      label: target.label,
      launch: `node ${[...target.nodeArgs, target.bundle].join(" ")}`,
      fresh: summarise(results[index]!.fresh),
      existing: summarise(results[index]!.existing),
    })),
  };
}
