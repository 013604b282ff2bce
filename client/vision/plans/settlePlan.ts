/**
 * The lobby's choice of inference plan (core/inferencePlan.ts), after the preload: remembered
 * from an earlier game on this device, or measured now. The trial times real detections on the
 * player's own camera for each plan that can run here, together with the frames the page drew
 * meanwhile, through the game's own loop; the pure rule picks. Never during the game.
 *
 * A worker or GPU plan's tasks are created from the bytes the preload kept (registry.ts), so
 * nothing is downloaded or compiled twice; a plan whose worker or GPU context cannot be created is
 * left out, and a failure while preparing the chosen plan falls back to main-CPU.
 */
import {
  cappedPlanToTry,
  choosePlan,
  DEFAULT_PLAN_ID,
  INFERENCE_PLANS,
  type InferencePlanId,
  type PlanChoiceReason,
  type PlanMeasurement,
} from "@/core/inferencePlan";
import type { VisionAssetKind, VisionAssetName } from "@/core/visionManifest";
import { InferenceLoop } from "@/client/vision/inferenceLoop";
import { detectWithKind, type VisionTask } from "../modelKinds";
import { TASKS_VISION_VERSION } from "../manifest";
import { describe } from "../errors";
import { getVisionTasks, keptModelBytes, keptRuntimeForPlans, onVisionClose } from "../registry";
import { createTask } from "../runtime";
import { canRunInferenceWorker, InferenceWorker, InferenceWorkerClosed } from "../worker/workerClient";
import { activePlanInfo, gpuTask, planWorker, setActivePlan, setPlanWorker, storeGpuTask, type ActivePlanInfo } from "./activePlan";
import { MainThreadDetector, WorkerDetector, type FrameDetector } from "./detectors";
import { forgetRememberedPlan, readForcedPlan, readRememberedPlan, rememberPlan } from "./rememberedPlan";

/**
 * Each plan runs until its first result (a worker's first detection may be its slow warm-up), then
 * SETTLE_MS more before counting, then WINDOW_MS counted. A plan with no result within
 * FIRST_RESULT_LIMIT_MS is measured as it is (no results: the rule leaves it out).
 */
const SETTLE_MS = 150;
const WINDOW_MS = 700;
const FIRST_RESULT_LIMIT_MS = 3_000;
/** The camera must have a frame within this time, or the default plan is kept unmeasured. */
const CAMERA_WAIT_MS = 3_000;

export interface PlanOutcome extends ActivePlanInfo {
  reason: PlanChoiceReason | "remembered" | "no-camera" | "forced";
  measurements: PlanMeasurement[];
  /** Plans that could not run here, and why (no worker, no GPU, a failed create). */
  unavailable: Partial<Record<InferencePlanId, string>>;
  /** Wall time the trial (or the remembered plan's preparation) added to the lobby. */
  trialMs: number;
  /** Where a measured trial's time went (bench/README.md): waiting for the worker, each plan, the chosen plan's preparation. */
  phasesMs: Partial<Record<TrialPhase, number>>;
}

export type TrialPhase = "camera" | "worker" | "gpu-create" | "prepare" | InferencePlanId;

export interface SettlePlanOptions {
  /** The playlist's models, already preloaded on the main thread. */
  assets: readonly { name: VisionAssetName; kind: VisionAssetKind }[];
  video: () => HTMLVideoElement | null;
  signal: AbortSignal;
  /** Measure again even when a choice is remembered (the player asked for a re-check). */
  recheck?: boolean;
  /** Called as each phase of the trial ends: the lobby tells the server the page is still working. */
  onPhase?: (phase: TrialPhase) => void;
}

let earlyWorker: { asset: VisionAssetName; ready: Promise<InferenceWorker> } | null = null;
let workerStarting: Promise<InferenceWorker> | null = null;
/**
 * Bumped when the vision tasks close (the player left the room). activePlan.ts closes the plan's
 * worker then, but not one still starting: a start that began before the close closes its worker
 * when it finishes, or it would idle on in the chatting room.
 */
let visionGeneration = 0;

onVisionClose(() => {
  visionGeneration += 1;
  // The next lobby starts its own worker rather than wait for one that will be closed.
  workerStarting = null;
  earlyWorker = null;
});

/**
 * The plan's one worker: the running one, or the one being started (single flight). Two starts
 * racing would make the second close the first, worker tasks and all. Rejects with
 * InferenceWorkerClosed when the vision tasks closed while it started.
 */
function ensurePlanWorker(): Promise<InferenceWorker> {
  const running = planWorker();
  if (running) return Promise.resolve(running);
  if (workerStarting) return workerStarting;
  const generation = visionGeneration;
  const starting = InferenceWorker.start().then(
    (worker) => {
      if (workerStarting === starting) workerStarting = null;
      if (generation !== visionGeneration) {
        worker.close();
        throw new InferenceWorkerClosed();
      }
      setPlanWorker(worker);
      return worker;
    },
    (error: unknown) => {
      if (workerStarting === starting) workerStarting = null;
      throw error;
    },
  );
  workerStarting = starting;
  return starting;
}

/** The heaviest model the playlist uses decides: pose, else hand, else face. */
function trialAssetOf(assets: SettlePlanOptions["assets"]): SettlePlanOptions["assets"][number] | undefined {
  return (["pose", "hand", "face"] as const).map((kind) => assets.find((asset) => asset.kind === kind)).find(Boolean);
}

/** The trial's asset when this lobby may run a worker plan (none forced or remembered elsewhere). */
function workerTrialAsset(assets: SettlePlanOptions["assets"]): SettlePlanOptions["assets"][number] | null {
  const trialAsset = trialAssetOf(assets);
  if (!trialAsset || !canRunInferenceWorker()) return null;
  const forced = readForcedPlan();
  if (forced && INFERENCE_PLANS[forced].thread !== "worker") return null;
  const remembered = readRememberedPlan(deviceKey(trialAsset.name));
  if (remembered && INFERENCE_PLANS[remembered.plan].thread !== "worker") return null;
  return trialAsset;
}

/**
 * Starts the worker itself (its script, no model) when the preload begins: it needs none of the
 * preload's bytes, and loading it then keeps it out of the busier time after the downloads.
 */
export function startWorkerScript(assets: SettlePlanOptions["assets"]): void {
  if (workerTrialAsset(assets)) ensurePlanWorker().catch(() => undefined); // the trial reports it
}

/**
 * Creates the trial's model in the worker while the preload still warms up its main-thread tasks
 * (called once those are created): on two or more cores the worker's create and warm-up then cost
 * the lobby little extra time. Skipped when a main-thread plan is remembered.
 */
export function startWorkerEarly(assets: SettlePlanOptions["assets"], getVideo: () => HTMLVideoElement | null): void {
  const trialAsset = workerTrialAsset(assets);
  if (!trialAsset) return;
  const ready = startWorkerWith(trialAsset, getVideo(), new AbortController().signal);
  ready.catch(() => undefined); // the trial reports it
  earlyWorker = { asset: trialAsset.name, ready };
}

/** Chooses (or recalls) the plan, prepares its tasks, and makes it the game's (activePlan.ts). */
export async function settleInferencePlan(options: SettlePlanOptions): Promise<PlanOutcome> {
  const startedAt = performance.now();
  const { signal } = options;
  const trialAsset = trialAssetOf(options.assets);
  const phasesMs: PlanOutcome["phasesMs"] = {};
  const timed = async <T>(phase: TrialPhase, work: () => Promise<T>): Promise<T> => {
    const began = performance.now();
    try {
      return await work();
    } finally {
      phasesMs[phase] = Math.round(performance.now() - began);
      options.onPhase?.(phase);
    }
  };
  const done = (outcome: Omit<PlanOutcome, "trialMs" | "phasesMs">): PlanOutcome => {
    const result = { ...outcome, trialMs: Math.round(performance.now() - startedAt), phasesMs };
    exposeForTests(result);
    return result;
  };
  if (!trialAsset) {
    setActivePlan({ plan: INFERENCE_PLANS[DEFAULT_PLAN_ID], detectMsP50: null, source: "default" });
    return done({ ...activePlanInfo(), reason: "default", measurements: [], unavailable: {} });
  }

  // The bench's fixed-plan rows (bench/inference/plans/measure.ts) set a plan by hand: no trial.
  const forced = readForcedPlan();
  if (forced) {
    const failed = await preparePlan(forced, options.assets, options.video, signal);
    const plan = failed === null ? forced : DEFAULT_PLAN_ID;
    setActivePlan({ plan: INFERENCE_PLANS[plan], detectMsP50: null, source: "forced" });
    return done({ ...activePlanInfo(), reason: "forced", measurements: [], unavailable: failed === null ? {} : { [forced]: failed } });
  }

  const remembered = options.recheck ? null : readRememberedPlan(deviceKey(trialAsset.name));
  if (options.recheck) forgetRememberedPlan();
  if (remembered) {
    const prepared = await timed("prepare", () => preparePlan(remembered.plan, options.assets, options.video, signal));
    if (prepared === null) {
      setActivePlan({ plan: INFERENCE_PLANS[remembered.plan], detectMsP50: remembered.detectMsP50, source: "remembered" });
      return done({ ...activePlanInfo(), reason: "remembered", measurements: remembered.measurements, unavailable: {} });
    }
    // It worked here before and does not now (a browser update, a lost GPU): measure again.
    forgetRememberedPlan();
  }

  const video = await timed("camera", () => waitForCamera(options.video, signal));
  if (!video) {
    setActivePlan({ plan: INFERENCE_PLANS[DEFAULT_PLAN_ID], detectMsP50: null, source: "default" });
    return done({ ...activePlanInfo(), reason: "no-camera", measurements: [], unavailable: {} });
  }

  const measurements: PlanMeasurement[] = [];
  const unavailable: Partial<Record<InferencePlanId, string>> = {};
  const { kind } = trialAsset;
  const onlyTrialKind = (task: VisionTask | undefined) => (candidate: VisionAssetKind) => (candidate === kind ? task : undefined);
  const detectors: Partial<Record<InferencePlanId, FrameDetector>> = {
    "main-cpu": new MainThreadDetector("main-cpu", onlyTrialKind(getVisionTasks()[kind])),
  };

  // The worker is made ready first (usually already, started during the preload's warm-ups): its
  // create must not run while the main thread is being measured, or it would take that core.
  const early = earlyWorker?.asset === trialAsset.name ? earlyWorker.ready : null;
  earlyWorker = null;
  const worker = await timed("worker", () => early ?? startWorkerWith(trialAsset, video, signal)).catch((error: unknown) => {
    if (signal.aborted) throw error;
    unavailable["worker-cpu"] = describe(error);
    return null;
  });
  const measure = async (plan: InferencePlanId, detector: FrameDetector) => {
    measurements.push(await timed(plan, () => measurePlan(plan, detector, kind, video, signal)));
  };

  await measure("main-cpu", detectors["main-cpu"]!);
  if (worker) {
    detectors["worker-cpu"] = new WorkerDetector("worker-cpu", worker, new Set([kind]));
    await measure("worker-cpu", detectors["worker-cpu"]);
  }

  const gpuReason = gpuUnavailableReason();
  if (gpuReason) unavailable["main-gpu"] = gpuReason;
  else {
    const task = await timed("gpu-create", () => createGpuTask(trialAsset, video)).catch((error: unknown) => {
      unavailable["main-gpu"] = describe(error);
      return null;
    });
    if (task) {
      detectors["main-gpu"] = new MainThreadDetector("main-gpu", onlyTrialKind(task));
      await measure("main-gpu", detectors["main-gpu"]);
    }
  }

  const available: InferencePlanId[] = ["main-cpu", "main-cpu-capped", ...(worker ? (["worker-cpu", "worker-cpu-capped"] as const) : [])];
  const capped = cappedPlanToTry(measurements, available);
  if (capped) {
    const base = INFERENCE_PLANS[capped].thread === "worker" ? detectors["worker-cpu"] : detectors["main-cpu"];
    if (base) await measure(capped, base);
  }

  signal.throwIfAborted();
  const choice = choosePlan(measurements);
  const failed = await timed("prepare", () => preparePlan(choice.plan, options.assets, options.video, signal));
  const plan = failed === null ? choice.plan : DEFAULT_PLAN_ID;
  if (failed !== null) unavailable[choice.plan] = failed;
  const chosen = measurements.find((m) => m.plan === plan);
  setActivePlan({ plan: INFERENCE_PLANS[plan], detectMsP50: chosen?.detectMsP50 ?? null, source: "measured" });
  // A trial the page could not see through (hidden half-way) proves nothing: not remembered.
  if (failed === null && measurements.every((m) => m.resultsPerSecond > 0)) {
    rememberPlan(deviceKey(trialAsset.name), { plan, detectMsP50: chosen?.detectMsP50 ?? null, measurements });
  }
  return done({ ...activePlanInfo(), reason: failed === null ? choice.reason : "default", measurements, unavailable });
}

/**
 * Runs the game's loop with `detector` on the camera and counts what the player would feel: the
 * frames the page drew (requestAnimationFrame) and the results it got, over WINDOW_MS.
 */
export async function measurePlan(
  plan: InferencePlanId,
  detector: FrameDetector,
  kind: VisionAssetKind,
  video: HTMLVideoElement,
  signal: AbortSignal,
): Promise<PlanMeasurement> {
  signal.throwIfAborted();
  const canvas = document.createElement("canvas");
  const detectMs: number[] = [];
  let results = 0;
  let counting = false;
  let firstResult: () => void = () => undefined;
  const firstResultSeen = new Promise<void>((resolve) => {
    firstResult = resolve;
  });
  const loop = new InferenceLoop(
    video,
    canvas,
    { planId: plan, has: (candidate) => candidate === kind && detector.has(candidate), submit: (...args) => detector.submit(...args) },
    (report) => {
      firstResult();
      if (!counting) return;
      results += 1;
      if (report.detectMs !== null) detectMs.push(report.detectMs);
    },
    INFERENCE_PLANS[plan].maxDetectionsPerSecond,
  );
  loop.start();
  try {
    await Promise.race([firstResultSeen, sleep(FIRST_RESULT_LIMIT_MS, signal)]);
    await sleep(SETTLE_MS, signal);
    let frames = 0;
    let counter = 0;
    const countFrame = (): void => {
      frames += 1;
      counter = requestAnimationFrame(countFrame);
    };
    counter = requestAnimationFrame(countFrame);
    counting = true;
    const began = performance.now();
    try {
      await sleep(WINDOW_MS, signal);
    } finally {
      counting = false;
      cancelAnimationFrame(counter);
    }
    const seconds = (performance.now() - began) / 1000;
    return { plan, pageFps: round1(frames / seconds), resultsPerSecond: round1(results / seconds), detectMsP50: round1(median(detectMs)) };
  } finally {
    loop.stop();
    // A worker's last answer may still be on its way: let it land before the next plan runs.
    await sleep(60, signal).catch(() => undefined);
  }
}

/**
 * Makes `plan` ready for every model the playlist uses: a worker plan creates them in the worker,
 * a GPU plan on the GPU, main-CPU has them already. Returns null when ready, else why not.
 */
async function preparePlan(
  plan: InferencePlanId,
  assets: SettlePlanOptions["assets"],
  getVideo: () => HTMLVideoElement | null,
  signal: AbortSignal,
): Promise<string | null> {
  const { thread, delegate } = INFERENCE_PLANS[plan];
  try {
    if (thread === "worker") {
      const worker = await ensurePlanWorker();
      for (const asset of assets) {
        signal.throwIfAborted();
        if (worker.has(asset.kind, asset.name)) continue;
        await createInWorker(worker, asset, getVideo());
      }
    } else if (delegate === "GPU") {
      const reason = gpuUnavailableReason();
      if (reason) return reason;
      for (const asset of assets) {
        signal.throwIfAborted();
        if (!gpuTask(asset.kind, asset.name)) await createGpuTask(asset, getVideo());
      }
    }
    return null;
  } catch (error) {
    if (signal.aborted) throw error;
    return describe(error);
  }
}

async function startWorkerWith(
  asset: { name: VisionAssetName; kind: VisionAssetKind },
  video: HTMLVideoElement | null,
  signal: AbortSignal,
): Promise<InferenceWorker> {
  if (!canRunInferenceWorker()) throw new Error("no Worker or OffscreenCanvas in this browser");
  const worker = await ensurePlanWorker();
  signal.throwIfAborted();
  if (!worker.has(asset.kind, asset.name)) await createInWorker(worker, asset, video);
  return worker;
}

async function createInWorker(worker: InferenceWorker, asset: { name: VisionAssetName; kind: VisionAssetKind }, video: HTMLVideoElement | null): Promise<void> {
  const runtime = keptRuntimeForPlans();
  const model = keptModelBytes(asset.name);
  if (!runtime || !model) throw new Error(`the bytes of ${asset.name} are no longer kept`);
  // The worker's first detection (the slow one) runs on a real camera frame, in the lobby.
  const warmupFrame = video && video.readyState >= 2 && video.videoWidth > 0 ? await createImageBitmap(video) : null;
  await worker.create({ kind: asset.kind, asset: asset.name, delegate: "CPU", runtime, model, warmupFrame });
}

async function createGpuTask(asset: { name: VisionAssetName; kind: VisionAssetKind }, video: HTMLVideoElement | null): Promise<VisionTask> {
  const runtime = keptRuntimeForPlans();
  const model = keptModelBytes(asset.name);
  if (!runtime || !model) throw new Error(`the bytes of ${asset.name} are no longer kept`);
  const vision = await import("@mediapipe/tasks-vision");
  const loaderUrl = URL.createObjectURL(new Blob([runtime.loader], { type: "text/javascript" }));
  try {
    const task = await createTask(vision, { wasmLoaderPath: loaderUrl, wasmBinaryPath: loaderUrl }, runtime.module, asset.kind, model, "GPU");
    if (video && video.readyState >= 2 && video.videoWidth > 0) {
      // The first GPU detection compiles its shaders: here, not in the game.
      detectWithKind(asset.kind, task, video, performance.now(), video.videoWidth, video.videoHeight);
    }
    storeGpuTask(asset.kind, asset.name, task);
    return task;
  } finally {
    URL.revokeObjectURL(loaderUrl);
  }
}

/**
 * Null when a GPU plan is worth measuring: WebGL2 on a hardware renderer. A software renderer
 * (SwiftShader, llvmpipe) runs the GPU delegate on the CPU, slower than XNNPACK: not a candidate.
 */
export function gpuUnavailableReason(): string | null {
  if (typeof document === "undefined") return "no document";
  const canvas = document.createElement("canvas");
  const gl = canvas.getContext("webgl2");
  if (!gl) return "no WebGL2";
  try {
    const debug = gl.getExtension("WEBGL_debug_renderer_info");
    const renderer = String(debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer) ? `software WebGL (${renderer})` : null;
  } finally {
    gl.getExtension("WEBGL_lose_context")?.loseContext();
  }
}

function deviceKey(asset: VisionAssetName): string {
  const nav = typeof navigator === "undefined" ? null : navigator;
  return [TASKS_VISION_VERSION, asset, nav?.userAgent ?? "", nav?.hardwareConcurrency ?? 0].join("|");
}

async function waitForCamera(getVideo: () => HTMLVideoElement | null, signal: AbortSignal): Promise<HTMLVideoElement | null> {
  const deadline = performance.now() + CAMERA_WAIT_MS;
  for (;;) {
    const video = getVideo();
    if (video && video.readyState >= 2 && video.videoWidth > 0 && !video.paused) return video;
    if (performance.now() > deadline) return null;
    await sleep(100, signal);
  }
}

/** `window.__poseparty.inferencePlan`: what the lobby measured and chose (for tests and the bench). */
function exposeForTests(outcome: PlanOutcome): void {
  const scope = window as unknown as { __poseparty?: Record<string, unknown> };
  scope.__poseparty = {
    ...(scope.__poseparty ?? {}),
    inferencePlan: {
      plan: outcome.plan.id,
      source: outcome.source,
      reason: outcome.reason,
      detectMsP50: outcome.detectMsP50,
      measurements: outcome.measurements,
      unavailable: outcome.unavailable,
      trialMs: outcome.trialMs,
      phasesMs: outcome.phasesMs,
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
