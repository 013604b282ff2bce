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
import { chromium, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { INFERENCE_PLANS, type InferencePlanId, type PlanMeasurement } from "../../../core/inferencePlan";
import { CHROMIUM_ARGS, PHONE_VIEWPORT, chromiumExecutablePath } from "../../../e2e/support/chromium";
import { fakeVideo, type FakeVideoName } from "../../../e2e/support/fakeVideo";
import { createRoom, joinByLink } from "../../../e2e/support/room";
import type { AppServer } from "../../lib/appServer";
import { loadAverage, sleep } from "../../lib/proc";
import { round } from "../../lib/stats";
import { CpuQuotaGroup } from "./cpuQuota";
import { evaluateGoals } from "./goals";
import {
  FORCED_PLAN_KEY,
  PLAYLIST,
  type CpuProfile,
  type PlanBenchData,
  type PlanBenchOptions,
  type PlanCeiling,
  type PlanProfileInfo,
  type PlanRow,
  type PlanRowId,
} from "./options";

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
