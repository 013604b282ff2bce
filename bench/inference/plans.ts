/**
 * `inference.plans` (issue 12, "Benchmarks"): the game's inference plans in the real app, each
 * fixed plan and auto, under two CPU profiles. Per row, browser A (measured, messi5 camera)
 * hosts a room, browser B (unthrottled, another camera) joins so A is in a call, A starts the
 * test playlist `messi-long`; once A is in a round the bench counts, over one window, A's page
 * frames (requestAnimationFrame), finished detections and their times, main-thread long tasks,
 * and the frames B decoded of A's video tile.
 *
 * The slow-phone profile puts the WHOLE of A's browser (renderer, workers, GPU and network
 * processes) under a cgroup v1 CPU quota of half a core: CDP throttling would slow A's main
 * thread but not its workers, and so flatter every worker plan (bench/README.md).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { choosePlan, INFERENCE_PLANS, type InferencePlanId, type PlanMeasurement } from "../../core/inferencePlan";
import type { TestPlaylistId } from "../../core/playlist";
import { CHROMIUM_ARGS, PHONE_VIEWPORT, chromiumExecutablePath } from "../../e2e/support/chromium";
import { fakeVideo, type FakeVideoName } from "../../e2e/support/fakeVideo";
import { createRoom, joinByLink } from "../../e2e/support/room";
import type { AppServer } from "../lib/appServer";
import { loadAverage, sleep } from "../lib/proc";
import { round } from "../lib/stats";

/** What the lobby stores in localStorage to force a plan (client/vision/plans/rememberedPlan.ts). */
const FORCED_PLAN_KEY = "poseparty.inferencePlan.force";
const PLAYLIST: TestPlaylistId = "messi-long";
const CGROUP_CPU_ROOT = "/sys/fs/cgroup/cpu";

export type PlanRowId = InferencePlanId | "auto";

export interface CpuProfile {
  /** 1: unthrottled; else the slowdown the profile aims at (4: a quarter of the machine). */
  cpuThrottle: number;
  /** cgroup v1 CPU quota for the measured browser; null: none. */
  quota: { periodUs: number; quotaUs: number } | null;
  /** Only probe that the quota can be set up (and remove it); measure no row. */
  probeOnly?: boolean;
}

export interface PlanBenchOptions {
  smoke: boolean;
  profiles: CpuProfile[];
  /** Rows per profile, in order. Auto first: its trial tells whether main-gpu can run here. */
  rows: PlanRowId[];
  windowMs: number;
  measuredVideo: FakeVideoName;
  friendVideo: FakeVideoName;
  /** Start -> A in a round. */
  gameTimeoutMs: number;
  log: (line: string) => void;
}

export function planBenchOptions(smoke: boolean, log: (line: string) => void): PlanBenchOptions {
  const machineCores = os.cpus().length;
  // Half a core: a quarter of this 2-core machine (the issue's slow phone).
  const quarter: CpuProfile = { cpuThrottle: 4, quota: { periodUs: 100_000, quotaUs: Math.round((100_000 * machineCores) / 4) } };
  return smoke
    ? {
        smoke,
        profiles: [
          { cpuThrottle: 1, quota: null },
          { ...quarter, probeOnly: true },
        ],
        rows: ["auto", "main-cpu"],
        windowMs: 2_000,
        measuredVideo: "messi5",
        friendVideo: "astronaut",
        gameTimeoutMs: 240_000,
        log,
      }
    : {
        smoke,
        profiles: [{ cpuThrottle: 1, quota: null }, quarter],
        rows: ["auto", "main-cpu", "main-gpu", "worker-cpu", "main-cpu-capped", "worker-cpu-capped"],
        windowMs: 15_000,
        measuredVideo: "messi5",
        friendVideo: "astronaut",
        gameTimeoutMs: 300_000,
        log,
      };
}

export interface PlanRow {
  plan: PlanRowId;
  cpuThrottle: number;
  pageFps: number | null;
  resultsPerSecond: number | null;
  detectMsP50: number | null;
  detectMsP95: number | null;
  /** Main-thread long tasks, scaled to 15 s. */
  longTaskMs: number | null;
  /** Frames B decoded of A's tile, a second. */
  remoteFps: number | null;
  auto?: true;
  /** Auto rows: the plan the lobby chose. */
  picked?: InferencePlanId | null;
  /** Auto rows: wall time the lobby's trial took. */
  trialMs?: number | null;
  /** Auto rows: where the trial's time went (camera, worker, each plan, prepare), from the page. */
  trialPhasesMs?: Record<string, number>;
  /** What A's page said it ran (`window.__poseparty.inferencePlan`): plan, source, reason. */
  ran?: { plan: string | null; source: string | null; reason: string | null };
  /** Auto rows: the trial's own measurements, and the plans it could not run here (and why). */
  trial?: unknown[];
  trialUnavailable?: Partial<Record<InferencePlanId, string>>;
  /** Detections started on each thread during the window. */
  threads?: { main: number; worker: number };
  longTaskCount?: number | null;
  windowMs?: number;
  /** Something to know when reading the row (a worker plan that fell back to the main thread). */
  note?: string;
  /** A's "[vision]" console warnings during the row (why a plan fell back), the first few. */
  visionLog?: string[];
  /** The plan cannot run here (and why); the numbers are null. */
  unavailable?: string;
  error?: string;
  /** 1-minute load average before and after the row. */
  loadAverage?: [number, number];
}

export interface PlanCeiling {
  cpuThrottle: number;
  /** A's page frames a second with the camera playing and B in the call, no inference (chatting, before Start). */
  pageFps: number | null;
  remoteFps: number | null;
  longTaskMs: number | null;
  error?: string;
}

export interface PlanProfileInfo {
  cpuThrottle: number;
  method: string;
  available: boolean;
  measured: boolean;
  note?: string;
}

export interface PlanGoals {
  cpuThrottle: number;
  /** The fixed plan the rule (core/inferencePlan.ts choosePlan) picks from the fixed rows' numbers. */
  bestFixed: InferencePlanId | null;
  autoPicked: InferencePlanId | null;
  /** auto / best fixed plan, and whether >= 0.9. */
  pageFpsRatio: number | null;
  pageFpsMet: boolean | null;
  resultsRatio: number | null;
  resultsMet: boolean | null;
  /** Unthrottled only: auto / ceiling, and whether >= 0.9. */
  ceilingRatio: number | null;
  ceilingMet: boolean | null;
}

export interface PlanBenchData {
  plans: PlanRow[];
  planCeilings: PlanCeiling[];
  planProfiles: PlanProfileInfo[];
  planGoals: PlanGoals[];
  planWindowMs: number;
  planPlaylist: TestPlaylistId;
}

// ---------------------------------------------------------------------------------------------
// The CPU quota

/** A cgroup v1 `cpu` group with a CFS quota, and a Chromium wrapper that enters it before exec. */
class CpuQuotaGroup {
  private constructor(
    readonly dir: string,
    private readonly parent: string,
    readonly wrapper: string,
    private readonly wrapperDir: string,
  ) {}

  /** Throws when the group cannot be made (not root, no cgroup v1 cpu controller). */
  static create(quota: NonNullable<CpuProfile["quota"]>): CpuQuotaGroup {
    const line = readFileSync("/proc/self/cgroup", "utf8")
      .split("\n")
      .find((entry) => entry.split(":")[1]?.split(",").includes("cpu"));
    const own = line?.split(":")[2] ?? "/";
    const parent = path.join(CGROUP_CPU_ROOT, own);
    if (!existsSync(path.join(parent, "cgroup.procs"))) throw new Error(`no cgroup v1 cpu controller at ${parent}`);
    const dir = path.join(parent, `poseparty-bench-${process.pid}-${Date.now()}`);
    mkdirSync(dir);
    try {
      writeFileSync(path.join(dir, "cpu.cfs_period_us"), String(quota.periodUs));
      writeFileSync(path.join(dir, "cpu.cfs_quota_us"), String(quota.quotaUs));
    } catch (error) {
      rmdirSync(dir);
      throw error;
    }
    const wrapperDir = mkdtempSync(path.join(os.tmpdir(), "poseparty-bench-quota-"));
    const wrapper = path.join(wrapperDir, "chromium-in-quota.sh");
    const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
    // The browser and every process it starts inherit the group; no entry, no launch.
    writeFileSync(wrapper, `#!/bin/sh\necho $$ > ${quote(path.join(dir, "cgroup.procs"))} || exit 97\nexec ${quote(chromiumExecutablePath())} "$@"\n`);
    chmodSync(wrapper, 0o755);
    return new CpuQuotaGroup(dir, parent, wrapper, wrapperDir);
  }

  /** PIDs in the group now. */
  pids(): number[] {
    try {
      return readFileSync(path.join(this.dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** Waits for the browser's processes to exit, moves any straggler out, removes the group. */
  async remove(): Promise<void> {
    for (let attempt = 0; attempt < 20 && this.pids().length > 0; attempt++) await sleep(250);
    // Stragglers go back to our own group, so the directory can go.
    for (const pid of this.pids()) {
      try {
        writeFileSync(path.join(this.parent, "cgroup.procs"), String(pid));
      } catch {
        // gone meanwhile
      }
    }
    try {
      rmdirSync(this.dir);
    } catch {
      // retried once below, after the last processes had time to exit
      await sleep(1_000);
      try {
        rmdirSync(this.dir);
      } catch {
        // left for the operator: reported in the log by the caller's note
      }
    }
    rmSync(this.wrapperDir, { recursive: true, force: true });
  }

  get removed(): boolean {
    return !existsSync(this.dir);
  }
}

// ---------------------------------------------------------------------------------------------
// Browsers and pages

async function launch(executablePath: string, video: FakeVideoName): Promise<Browser> {
  const camera = fakeVideo(video);
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${camera.path}`] });
}

async function newPlayerContext(browser: Browser, baseURL: string, forcedPlan: InferencePlanId | null): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: PHONE_VIEWPORT, baseURL });
  await context.grantPermissions(["camera", "microphone"], { origin: new URL(baseURL).origin });
  if (forcedPlan) {
    // Before any page script of every document, so the lobby sees it (no trial).
    await context.addInitScript(
      ([key, plan]) => {
        try {
          localStorage.setItem(key, plan);
        } catch {
          // about:blank has no storage
        }
      },
      [FORCED_PLAN_KEY, forcedPlan] as const,
    );
  }
  return context;
}

async function waitForCall(page: Page, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const peers = await page.evaluate(
      () => (window as unknown as { __poseparty?: { call?: { peers(): Record<string, string> } } }).__poseparty?.call?.peers() ?? {},
    );
    if (Object.values(peers).includes("connected")) return true;
    await sleep(500);
  }
  return false;
}

interface PageWindow {
  elapsedMs: number;
  frames: number;
  longTaskMs: number;
  longTaskCount: number;
  main: number;
  worker: number;
  finished: number;
  /** Detection times that finished in the window (the newest, up to the page's bounded list). */
  detectMs: number[];
  stage: string | null;
}

/**
 * Starts the counters on A's page: rAF frames, long tasks (observer made now, so only tasks in
 * the window count), and the detection counters' values at the start. Plain JavaScript source so
 * no helper of the TypeScript loader leaks into the page.
 */
const START_WINDOW = `(() => {
  const pp = window.__poseparty ?? {};
  const w = { t0: performance.now(), frames: 0, longTaskMs: 0, longTaskCount: 0, stopped: false,
    main0: pp.detections?.main ?? 0, worker0: pp.detections?.worker ?? 0, finished0: pp.detectionTimes?.finished ?? 0 };
  window.__benchPlanWindow = w;
  const tick = () => { if (w.stopped) return; w.frames++; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  try {
    w.observer = new PerformanceObserver((list) => { if (w.stopped) return; for (const entry of list.getEntries()) { w.longTaskMs += entry.duration; w.longTaskCount++; } });
    w.observer.observe({ type: "longtask" });
  } catch { w.longTaskMs = NaN; }
})()`;

const END_WINDOW = `(() => {
  const w = window.__benchPlanWindow;
  w.stopped = true;
  w.observer?.disconnect();
  const pp = window.__poseparty ?? {};
  const finished = (pp.detectionTimes?.finished ?? 0) - w.finished0;
  const recent = pp.detectionTimes?.recentMs ?? [];
  return {
    elapsedMs: performance.now() - w.t0, frames: w.frames, longTaskMs: w.longTaskMs, longTaskCount: w.longTaskCount,
    main: (pp.detections?.main ?? 0) - w.main0, worker: (pp.detections?.worker ?? 0) - w.worker0, finished,
    detectMs: finished > 0 ? recent.slice(-Math.min(finished, recent.length)) : [],
    stage: document.querySelector('[data-testid="game-stage"]')?.dataset.stage ?? null,
  };
})()`;

const decodedFramesTotal = (page: Page) =>
  page.evaluate(() => {
    const frames = (window as unknown as { __poseparty?: { call?: { decodedFrames(): Record<string, number> } } }).__poseparty?.call?.decodedFrames() ?? {};
    // B has one friend: A.
    return { at: performance.now(), frames: Object.values(frames).reduce((sum, count) => sum + count, 0), tiles: Object.keys(frames).length };
  });

interface WindowResult {
  a: PageWindow;
  remoteFps: number | null;
}

/** One counted window on A, with B's decoded frames of A's tile over the same time. */
async function measureWindow(a: Page, b: Page, windowMs: number): Promise<WindowResult> {
  const [, before] = await Promise.all([a.evaluate(START_WINDOW), decodedFramesTotal(b)]);
  await sleep(windowMs);
  const [window, after] = await Promise.all([a.evaluate<PageWindow>(END_WINDOW), decodedFramesTotal(b)]);
  const remoteFps = before.tiles > 0 && after.at > before.at ? ((after.frames - before.frames) * 1000) / (after.at - before.at) : null;
  return { a: window, remoteFps };
}

const percentile = (values: number[], p: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

interface ExposedPlan {
  plan: InferencePlanId;
  source: string;
  reason: string;
  trialMs: number;
  phasesMs?: Record<string, number>;
  measurements: PlanMeasurement[];
  unavailable: Partial<Record<InferencePlanId, string>>;
}

const exposedPlan = (page: Page) =>
  page.evaluate(() => (window as unknown as { __poseparty?: { inferencePlan?: unknown } }).__poseparty?.inferencePlan ?? null) as Promise<ExposedPlan | null>;

// ---------------------------------------------------------------------------------------------
// One row

interface RowContext {
  app: AppServer;
  options: PlanBenchOptions;
  profile: CpuProfile;
  executablePath: string;
  quota: CpuQuotaGroup | null;
  friend: Browser;
  /** Measure the ceiling in this row, before Start. */
  ceiling: boolean;
}

/** A row before (or without) its measurement: every number null. */
function unmeasuredRow(plan: PlanRowId, cpuThrottle: number): PlanRow {
  return { plan, cpuThrottle, pageFps: null, resultsPerSecond: null, detectMsP50: null, detectMsP95: null, longTaskMs: null, remoteFps: null };
}

async function runRow(ctx: RowContext, plan: PlanRowId): Promise<{ row: PlanRow; ceiling: PlanCeiling | null; exposed: ExposedPlan | null }> {
  const { options, profile } = ctx;
  const row = unmeasuredRow(plan, profile.cpuThrottle);
  if (plan === "auto") row.auto = true;
  const load0 = loadAverage()[0]!;
  let ceiling: PlanCeiling | null = null;
  let exposed: ExposedPlan | null = null;
  const measured = await launch(ctx.executablePath, options.measuredVideo);
  const friendContext = await newPlayerContext(ctx.friend, ctx.app.url, null);
  try {
    if (ctx.quota && ctx.quota.pids().length === 0) throw new Error("the measured browser is not in the CPU quota group");
    const context = await newPlayerContext(measured, ctx.app.url, plan === "auto" ? null : plan);
    const a = await context.newPage();
    const visionLog: string[] = [];
    a.on("console", (message) => {
      if (message.text().startsWith("[vision]") && visionLog.length < 8) visionLog.push(`${message.type()}: ${message.text().slice(0, 300)}`);
    });
    row.visionLog = visionLog;
    const b = await friendContext.newPage();
    const { link } = await createRoom(a, "Measured", PLAYLIST);
    await joinByLink(b, link, "Friend");
    if (!(await waitForCall(a, 90_000))) throw new Error("A's call with B did not connect within 90 s");

    if (ctx.ceiling) {
      // Chatting: the camera plays, B is in the call, no model is loaded yet. The page and the
      // call settle first (hydration, the call's first frames: seconds of long tasks on 2 cores).
      await sleep(options.smoke ? 1_000 : 5_000);
      const window = await measureWindow(a, b, options.windowMs);
      ceiling = {
        cpuThrottle: profile.cpuThrottle,
        pageFps: round((window.a.frames * 1000) / window.a.elapsedMs, 1),
        remoteFps: round(window.remoteFps, 1),
        longTaskMs: round((window.a.longTaskMs * 15_000) / window.a.elapsedMs, 0),
      };
      options.log(`plans x${profile.cpuThrottle}: ceiling ${ceiling.pageFps} page fps, B sees ${ceiling.remoteFps} fps`);
    }

    await a.getByTestId("start-game").click({ timeout: 120_000 });
    // A camera that does not show the target fails the framing check: that player plays anyway.
    for (const page of [a, b]) {
      void page
        .getByTestId("framing-play-anyway")
        .click({ timeout: options.gameTimeoutMs })
        .catch(() => undefined);
    }
    await a.locator('[data-testid="game-stage"][data-stage="round"]').waitFor({ timeout: options.gameTimeoutMs });
    exposed = await exposedPlan(a);
    const window = await measureWindow(a, b, options.windowMs);
    const w = window.a;
    row.windowMs = Math.round(w.elapsedMs);
    row.pageFps = round((w.frames * 1000) / w.elapsedMs, 1);
    row.resultsPerSecond = round((w.finished * 1000) / w.elapsedMs, 1);
    row.detectMsP50 = round(percentile(w.detectMs, 50), 1);
    row.detectMsP95 = round(percentile(w.detectMs, 95), 1);
    row.longTaskMs = Number.isFinite(w.longTaskMs) ? round((w.longTaskMs * 15_000) / w.elapsedMs, 0) : null;
    row.longTaskCount = Number.isFinite(w.longTaskMs) ? w.longTaskCount : null;
    row.remoteFps = round(window.remoteFps, 1);
    row.threads = { main: w.main, worker: w.worker };
    row.ran = { plan: exposed?.plan ?? null, source: exposed?.source ?? null, reason: exposed?.reason ?? null };
    if (plan === "auto") {
      row.picked = exposed?.plan ?? null;
      row.trialMs = exposed?.trialMs ?? null;
      row.trialPhasesMs = exposed?.phasesMs ?? {};
      row.trial = exposed?.measurements ?? [];
      row.trialUnavailable = exposed?.unavailable ?? {};
    } else if (exposed && exposed.plan !== plan) {
      // A forced plan that could not be prepared ran main-CPU instead: not this plan's numbers.
      row.unavailable = exposed.unavailable[plan] ?? `the page ran ${exposed.plan} instead`;
    }
    const ranPlan = exposed?.plan ?? null;
    if (ranPlan && INFERENCE_PLANS[ranPlan].thread === "worker" && w.worker === 0 && w.main > 0) {
      // The game's FallbackDetector left the worker (it failed, or a detection went unanswered for 5 s).
      row.note = "the worker plan fell back to the main thread during the game: every detection in the window ran there";
      options.log(`plans x${profile.cpuThrottle} ${plan}: ${row.note}`);
    }
    if (w.stage !== "round" && w.stage !== "gap") row.error = `the game left the rounds during the window (stage ${w.stage})`;
    options.log(
      `plans x${profile.cpuThrottle} ${plan}${plan === "auto" ? ` (picked ${row.picked}, trial ${row.trialMs} ms: ${JSON.stringify(row.trialPhasesMs)})` : ""}: ` +
        `page ${row.pageFps} fps, ${row.resultsPerSecond} results/s, detect p50 ${row.detectMsP50} / p95 ${row.detectMsP95} ms, ` +
        `long tasks ${row.longTaskMs} ms/15 s, B sees ${row.remoteFps} fps (threads main ${w.main}, worker ${w.worker})`,
    );
  } catch (error) {
    row.error = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    options.log(`plans x${profile.cpuThrottle} ${plan}: FAILED ${row.error}`);
    if (ctx.ceiling && !ceiling) ceiling = { cpuThrottle: profile.cpuThrottle, pageFps: null, remoteFps: null, longTaskMs: null, error: row.error };
  } finally {
    await friendContext.close().catch(() => undefined);
    await measured.close().catch(() => undefined);
    row.loadAverage = [load0, loadAverage()[0]!];
  }
  return { row, ceiling, exposed };
}

// ---------------------------------------------------------------------------------------------
// The runner

export async function runPlanBench(options: PlanBenchOptions, app: AppServer): Promise<PlanBenchData> {
  const plans: PlanRow[] = [];
  const planCeilings: PlanCeiling[] = [];
  const planProfiles: PlanProfileInfo[] = [];
  const friend = await launch(chromiumExecutablePath(), options.friendVideo);
  try {
    for (const profile of options.profiles) {
      const method = profile.quota
        ? `cgroup v1 cpu quota ${profile.quota.quotaUs} us per ${profile.quota.periodUs} us on the measured browser's processes`
        : "none";
      let quota: CpuQuotaGroup | null = null;
      if (profile.quota) {
        try {
          quota = CpuQuotaGroup.create(profile.quota);
        } catch (error) {
          const note = `the CPU quota could not be set up: ${error instanceof Error ? error.message : String(error)}`;
          options.log(`plans x${profile.cpuThrottle}: unavailable (${note})`);
          planProfiles.push({ cpuThrottle: profile.cpuThrottle, method, available: false, measured: false, note });
          continue;
        }
      }
      if (profile.probeOnly) {
        await quota?.remove();
        const note = `smoke: the quota group was created and ${quota?.removed ? "removed" : "NOT removed"}; no row measured`;
        planProfiles.push({ cpuThrottle: profile.cpuThrottle, method, available: true, measured: false, note });
        options.log(`plans x${profile.cpuThrottle}: ${note}`);
        continue;
      }
      const info: PlanProfileInfo = { cpuThrottle: profile.cpuThrottle, method, available: true, measured: true };
      planProfiles.push(info);
      try {
        let gpuUnavailable: string | null = null;
        let ceilingDone = false;
        for (const plan of options.rows) {
          if (plan === "main-gpu" && gpuUnavailable !== null) {
            plans.push({ ...unmeasuredRow(plan, profile.cpuThrottle), unavailable: gpuUnavailable });
            options.log(`plans x${profile.cpuThrottle} main-gpu: unavailable (${gpuUnavailable})`);
            continue;
          }
          const executablePath = quota?.wrapper ?? chromiumExecutablePath();
          const result = await runRow({ app, options, profile, executablePath, quota, friend, ceiling: !ceilingDone }, plan);
          plans.push(result.row);
          if (result.ceiling) {
            planCeilings.push(result.ceiling);
            ceilingDone = result.ceiling.pageFps !== null;
          }
          // Auto's trial says what it could not run here (no hardware WebGL2: no main-gpu).
          const gpuNote = result.exposed?.unavailable["main-gpu"];
          if (plan === "auto" && gpuNote) gpuUnavailable = gpuNote;
        }
      } finally {
        await quota?.remove();
        if (quota && !quota.removed) info.note = `the cgroup ${quota.dir} could not be removed`;
      }
    }
  } finally {
    await friend.close().catch(() => undefined);
  }
  if (plans.length > 0 && plans.every((row) => row.error || row.unavailable)) {
    throw new Error(`every plan row failed: ${plans.map((row) => `${row.plan}: ${row.error ?? row.unavailable}`).join("; ")}`);
  }
  return { plans, planCeilings, planProfiles, planGoals: evaluateGoals(plans, planCeilings), planWindowMs: options.windowMs, planPlaylist: PLAYLIST };
}

/**
 * The issue's goals, per profile: auto's page fps and results/s at least 0.9x those of the fixed
 * plan the rule picks from the fixed rows; unthrottled, auto's page within 10 % of the ceiling.
 * Reported, never asserted.
 */
export function evaluateGoals(rows: PlanRow[], ceilings: PlanCeiling[]): PlanGoals[] {
  const throttles = [...new Set(rows.map((row) => row.cpuThrottle))];
  return throttles.map((cpuThrottle) => {
    const ok = (row: PlanRow) => row.cpuThrottle === cpuThrottle && !row.error && !row.unavailable && row.pageFps !== null && row.resultsPerSecond !== null;
    const fixed = rows.filter((row) => ok(row) && !row.auto);
    const auto = rows.find((row) => ok(row) && row.auto);
    const measurements: PlanMeasurement[] = fixed.map((row) => ({
      plan: row.plan as InferencePlanId,
      pageFps: row.pageFps!,
      resultsPerSecond: row.resultsPerSecond!,
      detectMsP50: row.detectMsP50 ?? NaN,
    }));
    const bestFixed = measurements.length > 0 ? choosePlan(measurements).plan : null;
    const best = fixed.find((row) => row.plan === bestFixed);
    const ratio = (a: number | null | undefined, b: number | null | undefined) => (a !== null && a !== undefined && b ? round(a / b, 2) : null);
    const pageFpsRatio = ratio(auto?.pageFps, best?.pageFps);
    const resultsRatio = ratio(auto?.resultsPerSecond, best?.resultsPerSecond);
    const ceiling = ceilings.find((entry) => entry.cpuThrottle === cpuThrottle)?.pageFps;
    const ceilingRatio = cpuThrottle === 1 ? ratio(auto?.pageFps, ceiling) : null;
    return {
      cpuThrottle,
      bestFixed,
      autoPicked: auto?.picked ?? null,
      pageFpsRatio,
      pageFpsMet: pageFpsRatio === null ? null : pageFpsRatio >= 0.9,
      resultsRatio,
      resultsMet: resultsRatio === null ? null : resultsRatio >= 0.9,
      ceilingRatio,
      ceilingMet: ceilingRatio === null ? null : ceilingRatio >= 0.9,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Markdown

const fmt = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toLocaleString("en-US", { maximumFractionDigits: digits });
const profileName = (cpuThrottle: number) => (cpuThrottle === 1 ? "unthrottled" : `quota ÷${cpuThrottle}`);
const met = (value: boolean | null) => (value === null ? "not measured" : value ? "met" : "**not met**");

export function plansMarkdown(data: PlanBenchData): string[] {
  const out: string[] = ["### Inference plans in the game (`inference.plans`)", ""];
  out.push(
    `The real app, playlist \`${data.planPlaylist}\`: A (measured, messi5 camera) hosts, B (unthrottled) joins, A starts; ` +
      `${fmt(data.planWindowMs / 1000, 0)} s counted on A from the first round. Long tasks scaled to 15 s; remote fps = frames B decoded of A's tile.`,
    "",
  );
  for (const profile of data.planProfiles) {
    out.push(
      `- ${profileName(profile.cpuThrottle)}: ${profile.method}${profile.available ? "" : " — **unavailable**"}${profile.note ? ` (${profile.note})` : ""}`,
    );
  }
  out.push("");
  const rows = data.plans.map((row) => [
    profileName(row.cpuThrottle),
    (row.auto ? `auto → ${row.picked ?? "?"}` : row.plan) + (row.note ? " (fell back to main)" : ""),
    row.error || row.unavailable
      ? `${row.unavailable ? (row.ran?.plan ? `could not prepare, ran ${row.ran.plan}` : "unavailable") : "failed"}: ${(row.unavailable ?? row.error ?? "").slice(0, 90)}` +
        (row.pageFps !== null ? ` (${fmt(row.pageFps)})` : "")
      : fmt(row.pageFps),
    fmt(row.resultsPerSecond),
    `${fmt(row.detectMsP50, 0)} / ${fmt(row.detectMsP95, 0)}`,
    fmt(row.longTaskMs, 0),
    fmt(row.remoteFps),
    row.threads ? `${row.threads.main} / ${row.threads.worker}` : "–",
    row.auto ? `${fmt(row.trialMs, 0)} ms` : "",
    row.loadAverage ? row.loadAverage.map((value) => fmt(value, 1)).join(" → ") : "–",
  ]);
  for (const ceiling of data.planCeilings) {
    rows.push([
      profileName(ceiling.cpuThrottle),
      "_ceiling: camera + call, no inference_",
      ceiling.error ? `failed: ${ceiling.error.slice(0, 90)}` : fmt(ceiling.pageFps),
      "",
      "",
      fmt(ceiling.longTaskMs, 0),
      fmt(ceiling.remoteFps),
      "",
      "",
      "",
    ]);
  }
  out.push(
    "| profile | plan | page fps | results/s | detect p50 / p95 ms | long tasks ms/15 s | remote fps (B) | detections main / worker | trial | load avg |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((cells) => `| ${cells.join(" | ")} |`),
    "",
  );
  for (const goal of data.planGoals) {
    out.push(
      `- **Goals, ${profileName(goal.cpuThrottle)}** (reported, not asserted): best fixed plan by the rule ${goal.bestFixed ?? "–"}, auto picked ${goal.autoPicked ?? "–"}; ` +
        `auto page fps ×${fmt(goal.pageFpsRatio, 2)} of it (≥ 0.9: ${met(goal.pageFpsMet)}), results/s ×${fmt(goal.resultsRatio, 2)} (≥ 0.9: ${met(goal.resultsMet)})` +
        (goal.cpuThrottle === 1 ? `; auto page fps ×${fmt(goal.ceilingRatio, 2)} of the ceiling (≥ 0.9: ${met(goal.ceilingMet)})` : "") +
        ".",
    );
  }
  for (const row of data.plans.filter((candidate) => candidate.auto && candidate.trial)) {
    const trial = (row.trial as PlanMeasurement[]).map((m) => `${m.plan} ${fmt(m.pageFps)} fps / ${fmt(m.resultsPerSecond)} results/s`).join("; ");
    const phases = Object.entries(row.trialPhasesMs ?? {})
      .map(([phase, ms]) => `${phase} ${fmt(ms, 0)}`)
      .join(", ");
    out.push(
      `- **Auto's trial, ${profileName(row.cpuThrottle)}** (${fmt(row.trialMs, 0)} ms): measured ${trial || "nothing"}; ms per phase: ${phases || "–"}.`,
    );
  }
  out.push("");
  return out;
}
