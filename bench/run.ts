/**
 * `npm run bench` / `npm run bench:smoke`: measures PoseParty and writes
 * bench/results/<timestamp>.json and .md, then prints the markdown. See bench/README.md.
 *
 *   tsx bench/run.ts [--smoke] [--only pages,inference,lobby,server|server.idle|server.comparison,network] [--build | --no-build]
 *
 * It is not a test: no number fails it. It exits 1 only when the harness itself broke (a
 * section threw instead of measuring, or nothing could be started), after writing the report.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runInferenceSection, inferenceOptions, variantsSkipped } from "./inference/section";
import { planBenchOptions } from "./inference/plans/options";
import { runPlanBench } from "./inference/plans/measure";
import { runLobbySection, lobbyOptions } from "./lobby/section";
import { networkOptions, runNetworkSection } from "./network/section";
import { runPagesSection, pagesOptions } from "./pages/section";
import { runServerSection, serverOptions } from "./server/section";
import { ensureBuild, startAppServer, type AppServer, type BuildInfo, type BuildPolicy } from "./lib/appServer";
import { REPO_ROOT, loadAverage, waitForQuiet } from "./lib/proc";
import { SECTION_NAMES, toMarkdown, type BenchReport, type SectionName, type SectionResult } from "./lib/report";
import { chromiumExecutablePath } from "../e2e/support/chromium";

const USAGE = `usage: tsx bench/run.ts [--smoke] [--only ${SECTION_NAMES.join(",")}] [--build | --no-build]
  --smoke     seconds-long run with tiny sizes (CI keeps the harness working; numbers not judged)
  --only      comma-separated sections (default: all); server.idle: only the server's idle start-up and memory;
              server.comparison: only the party-workload comparison (BENCH_COMPARISON=game:8,game-redis picks ladders);
              inference.plans: only the inference plans in the real app (issue 12)
  --build     always run next build first; --no-build: never (fail the sections that need it if there is none)
              default: build when there is no .next build, or (full runs) when app sources are newer than it`;

interface Args {
  smoke: boolean;
  only: SectionName[];
  /** `--only server.idle` / `server.comparison`: that part of the server section alone. */
  serverParts: "all" | "idle" | "comparison";
  /** `--only inference.plans`: the inference section's plans part alone. */
  inferenceParts: "all" | "plans";
  build: BuildPolicy;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { smoke: false, only: [...SECTION_NAMES], serverParts: "all", inferenceParts: "all", build: "auto" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--smoke") args.smoke = true;
    else if (arg === "--build") args.build = "always";
    else if (arg === "--no-build") args.build = "never";
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      let names = (value ?? "")
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean);
      for (const part of ["idle", "comparison"] as const) {
        if (!names.includes(`server.${part}`)) continue;
        args.serverParts = names.includes("server") ? "all" : part;
        names = names.map((name) => (name === `server.${part}` ? "server" : name));
      }
      if (names.includes("inference.plans")) {
        args.inferenceParts = names.includes("inference") ? "all" : "plans";
        names = names.map((name) => (name === "inference.plans" ? "inference" : name));
      }
      const unknown = names.filter((name) => !SECTION_NAMES.includes(name as SectionName));
      if (names.length === 0 || unknown.length > 0) throw new Error(`--only: unknown section ${unknown.join(", ") || "(none)"}`);
      args.only = SECTION_NAMES.filter((name) => names.includes(name));
    } else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return args;
}

const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

function quiet(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

async function section<T>(name: SectionName, smoke: boolean, work: () => Promise<T>): Promise<SectionResult<T>> {
  // Let the previous section's browsers and servers wind down (and note anyone else's work).
  const quiet = await waitForQuiet(smoke ? 10_000 : 60_000);
  const began = Date.now();
  const loadStart = loadAverage()[0]!;
  log(`${name}: start (machine CPU busy ${quiet.busyPercent ?? "?"} % before, waited ${Math.round(quiet.waitedMs / 1000)} s; load average ${loadStart})`);
  const context = { loadAverage: [loadStart, 0] as [number, number], cpuBusyBeforePercent: quiet.busyPercent, waitedForQuietMs: quiet.waitedMs };
  try {
    const data = await work();
    log(`${name}: done in ${Math.round((Date.now() - began) / 1000)} s`);
    context.loadAverage[1] = loadAverage()[0]!;
    return { status: "ok", durationMs: Date.now() - began, ...context, data };
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`${name}: FAILED ${message}`);
    context.loadAverage[1] = loadAverage()[0]!;
    return { status: "failed", durationMs: Date.now() - began, ...context, error: message };
  }
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const startedAt = new Date();
  const began = Date.now();
  // Bounded no matter what: a hung browser or server cannot keep the bench (or CI) running. Full:
  // the game server's wire variants (server/section.ts, GAME_VARIANTS) add up to ~9 min to 40.
  const hardLimitMs = args.smoke ? 8 * 60_000 : 50 * 60_000;
  let app: AppServer | null = null;
  const watchdog = setTimeout(() => {
    log(`hard time limit of ${hardLimitMs / 60_000} min reached: stopping`);
    void (app?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
  }, hardLimitMs);
  watchdog.unref();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping`);
    void (app?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const cpus = os.cpus();
  const report: BenchReport = {
    version: 1,
    mode: args.smoke ? "smoke" : "full",
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? "?",
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      chromium: quiet(chromiumExecutablePath(), ["--version"]),
      gitCommit: quiet("git", ["rev-parse", "--short", "HEAD"]),
      // Uncommitted changes in the tree (the build and servers measured are the tree, not the commit).
      gitDirty: (quiet("git", ["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "",
    },
    build: null,
    sections: {},
  };

  const selected = new Set(args.only);
  // The inference section's plans part plays games in the real app.
  const needsApp = selected.has("lobby") || selected.has("pages") || selected.has("inference");
  let appError: string | null = null;
  let build: BuildInfo | null = null;
  if (needsApp) {
    try {
      build = await ensureBuild(args.build, args.smoke, log);
      report.build = build;
      app = await startAppServer(log);
    } catch (error) {
      appError = error instanceof Error ? error.message : String(error);
      log(`app: ${appError}`);
    }
  }
  const requireApp = (): AppServer => {
    if (!app) throw new Error(`the app could not be started: ${appError ?? "unknown"}`);
    return app;
  };

  try {
    if (selected.has("pages")) {
      report.sections.pages = await section("pages", args.smoke, async () => {
        if (!build) throw new Error(`no Next.js build: ${appError ?? "unknown"}`);
        return runPagesSection(pagesOptions(args.smoke, log), app?.url ?? null);
      });
    }
    if (selected.has("inference")) {
      report.sections.inference = await section("inference", args.smoke, async () => {
        const options = inferenceOptions(args.smoke, log);
        const data = args.inferenceParts === "plans" ? variantsSkipped(options) : await runInferenceSection(options);
        try {
          Object.assign(data, await runPlanBench(planBenchOptions(args.smoke, log), requireApp()));
        } catch (error) {
          // The variants' numbers are kept; the run still counts as a harness failure (below).
          data.plansError = error instanceof Error ? (error.stack ?? error.message) : String(error);
          log(`inference plans: FAILED ${data.plansError}`);
        }
        return data;
      });
    }
    if (selected.has("lobby")) {
      report.sections.lobby = await section("lobby", args.smoke, () => runLobbySection(lobbyOptions(args.smoke, log), requireApp()));
    }
    // The app server would only add noise to the capacity numbers.
    await app?.stop();
    app = null;
    if (selected.has("server")) {
      // The idle part measures the whole app (dist/server/main.mjs serves Next.js): it needs a build.
      if (!build) {
        build = await ensureBuild(args.build, args.smoke, log).catch((error: unknown) => {
          log(`next build: ${error instanceof Error ? error.message : String(error)}`);
          return null;
        });
        report.build = build;
      }
      report.sections.server = await section("server", args.smoke, () => runServerSection(serverOptions(args.smoke, log, args.serverParts)));
    }
    if (selected.has("network")) {
      // The lab runs its own server (the built bundle) in its cloud namespace: it needs a build.
      if (!build) {
        build = await ensureBuild(args.build, args.smoke, log);
        report.build = build;
      }
      report.sections.network = await section("network", args.smoke, () => runNetworkSection(networkOptions(args.smoke, log)));
    }
  } finally {
    await app?.stop();
  }

  report.durationMs = Date.now() - began;
  const markdown = toMarkdown(report);
  const dir = path.join(REPO_ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt
    .toISOString()
    .replace(/[:]/g, "-")
    .replace(/\.\d+Z$/, "Z");
  const base = path.join(dir, `${stamp}${args.smoke ? "-smoke" : ""}`);
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + "\n");
  writeFileSync(`${base}.md`, markdown);
  console.log(markdown);
  log(`wrote ${path.relative(REPO_ROOT, base)}.json and .md in ${Math.round(report.durationMs / 1000)} s`);
  clearTimeout(watchdog);

  const failed = Object.entries(report.sections)
    .filter(([, result]) => result.status === "failed")
    .map(([name]) => name);
  if (report.sections.inference?.data?.plansError) failed.push("inference.plans");
  if (report.sections.server?.data?.comparisonError) failed.push("server.comparison");
  if (failed.length > 0) {
    log(`harness failure in: ${failed.join(", ")} (see the report); exit 1`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
