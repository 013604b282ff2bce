/**
 * The lobby's vision preload: downloads the runtime and the playlist's models with per-asset
 * progress, creates each task, and runs one warm-up detection on a real frame, so that the
 * game itself never pays for fetching, initialising or the (slow) first inference.
 *
 * Browser-only. Import it dynamically from the lobby only: tasks-vision itself is loaded with a
 * dynamic import inside preloadVision (nothing is fetched when this module is merely imported),
 * but the point is that no model work starts anywhere but the lobby.
 *
 * The tasks created here run on the main thread with the CPU delegate: the default inference
 * plan, and what the framing check uses. After it, the lobby measures the device and may choose
 * another plan (client/vision/plans/), which creates its own tasks from the bytes kept here. The
 * creates and first detections here are the only long tasks allowed, and the preload yields to
 * the event loop between every heavy step.
 *
 * One job per module: manifest.ts (which files), downloads.ts (bytes, hashes, watchdog),
 * runtime.ts (compile once, create tasks), modelKinds.ts (what differs per kind), warmup.ts (the
 * first detection), progress.ts (the bars), mainThread.ts (yielding, long tasks), errors.ts.
 */
import type { VisionAssetName } from "@/core/visionManifest";
import { exportLobbyReport } from "./debugExport";
import { downloadAll, objectUrlFor, revokeAll } from "./downloads";
import { describe, PreloadError, settle, toPreloadFailure, unwrap } from "./errors";
import { loadManifest, pickRuntimeFiles, planAssets, supportsWasmSimd, type AssetPlan } from "./manifest";
import { observeLongTasks, yieldForPaint } from "./mainThread";
import type { TasksVision, VisionTask, WasmFileset } from "./modelKinds";
import { ProgressTracker, type AssetProgress } from "./progress";
import { getVisionTasks, keepForPlans, storeTaskOfKind } from "./registry";
import type { AssetMetrics, PreloadReport, WarmupFrameSource } from "./report";
import { closeQuietly, compileRuntime, createTask, creationFailure } from "./runtime";
import { guardStep, serialQueue } from "./stallGuard";
import { chooseWarmupFrame, loadImage, recordWarmup } from "./warmup";

export { overallPercent, type AssetKey, type AssetProgress, type AssetStage } from "./progress";
export { PreloadError, type PreloadFailureKind } from "./errors";
export type { AssetMetrics, PreloadReport, WarmupFrameSource, WarmupLandmark } from "./report";

const DEFAULT_STILL_URL = "/warmup/still.jpg";
const CREATE_LIMIT_MS = 60_000;

export interface PreloadOptions {
  /** Only the models the playlist uses; at most one per kind (pose, hand, face). */
  assets: VisionAssetName[];
  /** "" (same origin) or MODEL_BASE_URL, prefixed to the manifest's root-relative URLs. */
  baseUrl: string;
  /** The camera frame when ready (a video with readyState >= 2 and videoWidth > 0). */
  warmupSource: () => WarmupFrameSource | null;
  /** Called on every change with a fresh array (the caller throttles what it sends on). */
  onProgress: (assets: AssetProgress[]) => void;
  signal?: AbortSignal;
  /** Warm-up image when the camera is not ready; default `/warmup/still.jpg` (page origin). */
  stillUrl?: string;
  /** Every task is created (the warm-ups are next) and the bytes are kept for other plans. */
  onTasksCreated?: () => void;
}

interface CreatedTask {
  kind: AssetPlan["asset"]["kind"];
  task: VisionTask;
}

/** One preload at a time: tasks-vision hands its WASM loader over through globals. */
const enqueuePreload = serialQueue();

/**
 * Loads, creates and warms up the given models (see the module comment). Resolves with what
 * happened; rejects with PreloadError, or with the signal's AbortError when aborted. Tasks land
 * in the registry (getVisionTasks); assets already loaded are reused.
 */
export function preloadVision(options: PreloadOptions): Promise<PreloadReport> {
  // Every step that could hang is bounded (stallGuard.ts), so a stuck preload settles and a
  // retry queued behind it runs.
  return enqueuePreload(() => runPreload(options));
}

async function runPreload(options: PreloadOptions): Promise<PreloadReport> {
  const { signal } = options;
  signal?.throwIfAborted();
  const startedAt = performance.now();
  const longTasks = observeLongTasks();
  const progress = new ProgressTracker(options.onProgress, signal);
  const objectUrls: string[] = [];
  const createdNotStored = new Set<CreatedTask>();
  try {
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
      throw new PreloadError("unsupported", "this browser has no WebAssembly");
    }
    const manifest = await loadManifest(options.baseUrl, signal);
    const plans = planAssets(manifest, options.assets);
    const toCreate = plans.filter((plan) => !plan.reused);
    const wasmSimd = supportsWasmSimd();
    const runtimeFiles = pickRuntimeFiles(manifest, wasmSimd);
    const runtimeBytes = runtimeFiles.loader.bytes + runtimeFiles.binary.bytes;
    const runtimeNeeded = toCreate.length > 0;

    // Reused assets (and the runtime when nothing is created) are complete from the start.
    progress.add({ key: "runtime", stage: runtimeNeeded ? "waiting" : "ready", receivedBytes: runtimeNeeded ? 0 : runtimeBytes, totalBytes: runtimeBytes });
    for (const plan of plans) {
      const { name, bytes } = plan.asset;
      progress.add({ key: name, stage: plan.reused ? "ready" : "waiting", receivedBytes: plan.reused ? bytes : 0, totalBytes: bytes });
    }
    progress.emit();
    const runtimeMetrics: AssetMetrics = {
      key: "runtime",
      bytes: runtimeBytes,
      wireBytes: null,
      downloadMs: 0,
      createMs: null,
      warmupMs: null,
      reused: !runtimeNeeded,
      fromHttpCache: null,
    };

    const stillUrl = options.stillUrl ?? DEFAULT_STILL_URL;
    // Fetched and decoded alongside the downloads (31 KB), used only if the camera is not ready.
    const stillImage = settle(loadImage(stillUrl));
    let created: { plan: AssetPlan; created: CreatedTask }[] = [];
    let sha256Thread: PreloadReport["sha256Thread"] = null;
    if (runtimeNeeded) {
      // Starts now, in parallel with the downloads (the bundle is ~150 KB of JS, no models).
      const library = settle(import("@mediapipe/tasks-vision"));
      const downloads = await downloadAll(options.baseUrl, runtimeFiles, toCreate, progress, runtimeMetrics, signal);
      sha256Thread = downloads.sha256Thread;
      await yieldForPaint();
      signal?.throwIfAborted();
      progress.update("runtime", { stage: "creating" });
      const compileStartedAt = performance.now();
      const runtimeModule = await compileRuntime(downloads.runtimeBinary, signal);
      runtimeMetrics.createMs = performance.now() - compileStartedAt;
      const fileset: WasmFileset = {
        wasmLoaderPath: objectUrlFor(downloads.runtimeLoader, "text/javascript", objectUrls),
        // Never fetched: every task instantiates runtimeModule (see createTask). Kept valid so a
        // tasks-vision that ignored the hook would still find the binary, not a dead link.
        wasmBinaryPath: objectUrlFor(downloads.runtimeBinary, "application/wasm", objectUrls),
      };
      progress.update("runtime", { stage: "ready" });
      const vision = unwrap(
        await library,
        (error) => new PreloadError("network", `could not load the tasks-vision library: ${describe(error)}`, { cause: error }),
      );
      created = await createAll(vision, fileset, runtimeModule, toCreate, downloads.models, progress, createdNotStored, signal);
      // Every task has instantiated its own copy of the runtime: the 13 MB blob can go.
      revokeAll(objectUrls);
      // A worker or GPU plan creates its own tasks from these (client/vision/plans/).
      keepForPlans({ loader: downloads.runtimeLoader, module: runtimeModule }, downloads.models);
      options.onTasksCreated?.();
    }

    await yieldForPaint();
    signal?.throwIfAborted();
    const frame = await chooseWarmupFrame(options.warmupSource, stillImage, stillUrl);
    const warmup: PreloadReport["warmup"] = { frameWidth: frame.width, frameHeight: frame.height };
    for (const { plan, created: task } of created) {
      progress.update(plan.asset.name, { stage: "warming" });
      // Painted before the (long, synchronous) first detection starts.
      await yieldForPaint();
      signal?.throwIfAborted();
      const warmupStartedAt = performance.now();
      try {
        recordWarmup(warmup, task.kind, task.task, frame);
      } catch (error) {
        throw new PreloadError("other", `first ${plan.asset.name} detection failed: ${describe(error)}`, { asset: plan.asset.name, cause: error });
      }
      plan.metrics.warmupMs = performance.now() - warmupStartedAt;
      storeTaskOfKind(task.kind, plan.asset.name, task.task);
      createdNotStored.delete(task);
      progress.update(plan.asset.name, { stage: "ready" });
    }
    // Reused tasks were warmed up by an earlier preload; one more (fast) detection fills the report.
    const tasks = getVisionTasks();
    for (const plan of plans.filter((candidate) => candidate.reused)) {
      await yieldForPaint();
      const kind = plan.asset.kind;
      const task = tasks[kind];
      try {
        if (task) recordWarmup(warmup, kind, task, frame);
      } catch (error) {
        throw new PreloadError("other", `the loaded ${plan.asset.name} task failed to detect: ${describe(error)}`, { asset: plan.asset.name, cause: error });
      }
    }

    const timeToReadyMs = performance.now() - startedAt;
    const longTaskTotals = await longTasks.stop();
    const report: PreloadReport = {
      assets: [runtimeMetrics, ...plans.map((plan) => plan.metrics)],
      timeToReadyMs,
      longTaskMs: longTaskTotals.totalMs,
      longTaskCount: longTaskTotals.count,
      longTasksObserved: longTaskTotals.observed,
      delegate: "CPU",
      wasmSimd,
      sha256Thread,
      warmupSource: frame.origin,
      warmup,
    };
    exportLobbyReport(report);
    return report;
  } catch (error) {
    const failure = toPreloadFailure(error, signal);
    if (failure instanceof PreloadError && failure.asset !== undefined && progress.get(failure.asset)) {
      progress.update(failure.asset, { stage: "failed", error: failure.message });
    }
    throw failure;
  } finally {
    for (const task of createdNotStored) closeQuietly(task.task);
    revokeAll(objectUrls);
    void longTasks.stop();
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * One task at a time: tasks-vision passes its WASM loader through `self.ModuleFactory`, so
 * parallel creates would race, and each create is a long task anyway. The lobby gets a frame in
 * between.
 */
async function createAll(
  vision: TasksVision,
  fileset: WasmFileset,
  runtimeModule: WebAssembly.Module,
  plans: readonly AssetPlan[],
  models: ReadonlyMap<VisionAssetName, Uint8Array<ArrayBuffer>>,
  progress: ProgressTracker,
  createdNotStored: Set<CreatedTask>,
  signal: AbortSignal | undefined,
): Promise<{ plan: AssetPlan; created: CreatedTask }[]> {
  const created: { plan: AssetPlan; created: CreatedTask }[] = [];
  for (const plan of plans) {
    await yieldForPaint();
    signal?.throwIfAborted();
    const { name, kind } = plan.asset;
    const modelBytes = models.get(name);
    if (!modelBytes) throw new PreloadError("other", `${name} was not downloaded`, { asset: name });
    progress.update(name, { stage: "creating" });
    const createStartedAt = performance.now();
    let task: VisionTask;
    try {
      task = await guardStep(createTask(vision, fileset, runtimeModule, kind, modelBytes, "CPU"), {
        limitMs: CREATE_LIMIT_MS,
        signal,
        onStall: () => new PreloadError("stalled", `creating ${name} did not finish within ${CREATE_LIMIT_MS / 1000} s`, { asset: name }),
        // It finished after all (the player has retried by then): free its heap.
        onAbandoned: (late) => closeQuietly(late),
      });
    } catch (error) {
      if (error instanceof PreloadError || signal?.aborted) throw error;
      throw creationFailure(error, name);
    }
    const entry: CreatedTask = { kind, task };
    createdNotStored.add(entry);
    plan.metrics.createMs = performance.now() - createStartedAt;
    // Created; its warm-up runs once every task is created.
    progress.update(name, { stage: "created" });
    created.push({ plan, created: entry });
  }
  return created;
}
