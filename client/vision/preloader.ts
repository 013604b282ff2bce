/**
 * The lobby's vision preload: downloads the runtime and the playlist's models with per-asset
 * progress, creates each task, and runs one warm-up detection on a real frame, so that the
 * game itself never pays for fetching, initialising or the (slow) first inference.
 *
 * Browser-only. Import it dynamically from the lobby only: tasks-vision itself is loaded with a
 * dynamic import inside preloadVision (nothing is fetched when this module is merely imported),
 * but the point is that no model work starts anywhere but the lobby.
 *
 * Main thread on purpose: inference stays on the thread that draws the call (a Web Worker was
 * measured at 0.4x the FPS), so the creates and first detections here are the only long tasks
 * allowed, and the preload yields to the event loop between every heavy step.
 */
import type { Detection, FaceDetector, HandLandmarker, NormalizedLandmark, PoseLandmarker } from "@mediapipe/tasks-vision";
import {
  findVisionAsset,
  parseVisionManifest,
  type VisionAsset,
  type VisionAssetKind,
  type VisionAssetName,
  type VisionFile,
  type VisionManifest,
} from "@/core/visionManifest";
import { exportLobbyReport } from "./debugExport";
import { stopUsageLogging } from "./usageLogging";
import { fetchWithProgress, FetchWithProgressError, type FetchedFile } from "./fetchWithProgress";
import { getVisionTasks, isVisionAssetLoaded, storeVisionTask } from "./registry";
import { createSha256Hasher } from "./sha256Hasher";
import { guardStep, inactivityWatchdog, serialQueue } from "./stallGuard";

// ---------------------------------------------------------------------------------------------
// Public types

/**
 * waiting: not started; downloading: bytes arriving; queued: every byte in, waiting its turn to be
 * created (creates run one at a time); creating; created: waiting its turn for the first
 * detection (they run after every create); warming: the first detection; ready; failed.
 */
export type AssetStage = "waiting" | "downloading" | "queued" | "creating" | "created" | "warming" | "ready" | "failed";
/** The vision runtime and models; "sounds" is the lobby's own bar for the game's sounds. */
export type AssetKey = "runtime" | VisionAssetName | "sounds";

export interface AssetProgress {
  key: AssetKey;
  stage: AssetStage;
  /** Decoded bytes received so far (stays at totalBytes once downloaded). */
  receivedBytes: number;
  /** Raw size from the manifest (the wire may carry fewer bytes: gzip/br). */
  totalBytes: number;
  error?: string;
}

/**
 * network: a download failed (offline, HTTP error, missing asset). integrity: bytes differ from
 * the manifest. unsupported: the browser cannot run it (no WebAssembly, insecure context, loader
 * script refused). camera: not raised by the preloader (it falls back to the still image); for
 * the lobby's own camera errors. stalled: a step stopped making progress (a download that sends
 * nothing, a compile or create that never finishes); Retry starts over. other: anything else
 * (bad manifest, task creation failed).
 */
export type PreloadFailureKind = "network" | "camera" | "unsupported" | "integrity" | "stalled" | "other";

export class PreloadError extends Error {
  readonly kind: PreloadFailureKind;
  readonly asset?: AssetKey;

  constructor(kind: PreloadFailureKind, message: string, options?: { asset?: AssetKey; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PreloadError";
    this.kind = kind;
    if (options?.asset !== undefined) this.asset = options.asset;
  }
}

export type WarmupFrameSource = HTMLVideoElement | HTMLImageElement | HTMLCanvasElement;

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
}

export interface AssetMetrics {
  key: AssetKey;
  /** Raw bytes (for the runtime: loader JS + WASM). */
  bytes: number;
  /** Bytes on the wire (Resource Timing encodedBodySize); null when unknown or reused. */
  wireBytes: number | null;
  /** Request to verified bytes; 0 when reused. */
  downloadMs: number;
  createMs: number | null;
  warmupMs: number | null;
  /** Already loaded by an earlier preload in this page: no download, no create. */
  reused: boolean;
  /** Resource Timing says the bytes came from the HTTP cache; null when unknown. */
  fromHttpCache: boolean | null;
}

export interface WarmupLandmark {
  x: number;
  y: number;
  z: number;
}

export interface PreloadReport {
  assets: AssetMetrics[];
  /** Start of this preload (after any earlier one settled) to resolution. */
  timeToReadyMs: number;
  /** Sum and number of long tasks (> 50 ms, any cause) seen while preloading. */
  longTaskMs: number;
  longTaskCount: number;
  /** False when the browser has no longtask entries (the two numbers above are then 0). */
  longTasksObserved: boolean;
  delegate: "CPU" | "GPU";
  /** Which runtime build ran: SIMD when WebAssembly.validate accepts a SIMD module. */
  wasmSimd: boolean;
  /** Where the downloads' sha256 ran (null: nothing downloaded). See sha256Hasher.ts. */
  sha256Thread: "worker" | "main" | null;
  warmupSource: "camera" | "still";
  warmup: {
    /** First pose's 33 landmarks, normalised to the warm-up frame. */
    pose?: (WarmupLandmark & { visibility?: number })[];
    /** First hand's 21 landmarks, normalised. */
    hand?: WarmupLandmark[];
    /** First face, in pixels of the warm-up frame. */
    face?: { originX: number; originY: number; width: number; height: number; score: number };
    frameWidth: number;
    frameHeight: number;
  };
}

// ---------------------------------------------------------------------------------------------
// Constants

const MANIFEST_PATH = "/vision/manifest.json";
const DEFAULT_STILL_URL = "/warmup/still.jpg";
/** The JS bundle this code imports; the manifest's runtime must come from the same version. */
const TASKS_VISION_VERSION = "1.1.0";
/**
 * CPU (XNNPACK) for now: CI has no GPU, and CPU with the lite models was measured at about 25 Hz
 * on this project's test machine, enough for the games. A GPU option can come later.
 */
const DELEGATE = "CPU" as const;
const RUNTIME_FILE_NAMES = {
  simd: { loader: "vision_wasm_internal.js", binary: "vision_wasm_internal.wasm" },
  nosimd: { loader: "vision_wasm_nosimd_internal.js", binary: "vision_wasm_nosimd_internal.wasm" },
} as const;
/** The smallest module using a SIMD instruction (the same probe tasks-vision uses). */
const WASM_SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
/**
 * How long a step may go without progress before the lobby calls it stuck. Generous: a slow phone
 * needs seconds per create, and these only catch steps that would otherwise never end.
 */
const DOWNLOAD_SILENCE_LIMIT_MS = 30_000;
const COMPILE_LIMIT_MS = 60_000;
const CREATE_LIMIT_MS = 60_000;
const MANIFEST_LIMIT_MS = 30_000;
/**
 * What each step costs, for the overall bar, in milliseconds. CPU steps: measured on the 2-core
 * test machine, one page, cold (docs/vision-preload.md, "Measured"; the runtime's compile from the
 * lobby report's runtime createMs), times CPU_SLOWDOWN for a phone. Downloads: DOWNLOAD_MS_PER_MB
 * per raw megabyte, all files together (they share the connection). The bar used to give every
 * create and warm-up an equal 30 % in all, and sat at 85-92 % for 20-28 s on a loaded machine
 * while the pose model warmed up: the pose model's create and first detection cost as much as
 * the hand's and face's together, and CPU steps can take longer than the downloads.
 */
const DOWNLOAD_MS_PER_MB = 250;
const CPU_SLOWDOWN = 3;
const STEP_COST_MS: Record<AssetKey, { create: number; warmup: number }> = {
  runtime: { create: 600, warmup: 0 }, // the compile (639 ms in an e2e lobby on this machine)
  pose_lite: { create: 650, warmup: 620 },
  // Not measured cold: scaled from lite by model size (full 2x, heavy 5x the weights).
  pose_full: { create: 1_000, warmup: 900 },
  pose_heavy: { create: 2_500, warmup: 2_200 },
  hand_lite: { create: 290, warmup: 220 },
  face_short: { create: 230, warmup: 60 },
  sounds: { create: 100, warmup: 0 }, // decoding 338 KB of MP3
};

// ---------------------------------------------------------------------------------------------
// Progress

/**
 * 0..100 (integer) for one bar over all assets, each step weighted by what it costs
 * (STEP_COST_MS): bytes for the downloads, then each asset's create and first detection, counted
 * when they end. Never decreases while stages only move forward; 100 only when every asset is
 * ready. A failed "sounds" bar counts as done: the game plays on without sound.
 */
export function overallPercent(assets: readonly AssetProgress[]): number {
  if (assets.length === 0) return 0;
  const settled = (asset: AssetProgress): boolean => asset.stage === "ready" || (asset.key === "sounds" && asset.stage === "failed");
  if (assets.every(settled)) return 100;
  let total = 0;
  let done = 0;
  for (const asset of assets) {
    const cost = STEP_COST_MS[asset.key];
    const downloadCost = (asset.totalBytes / 1_000_000) * DOWNLOAD_MS_PER_MB;
    const createCost = cost.create * CPU_SLOWDOWN;
    const warmupCost = cost.warmup * CPU_SLOWDOWN;
    total += downloadCost + createCost + warmupCost;
    if (settled(asset)) {
      done += downloadCost + createCost + warmupCost;
      continue;
    }
    const received = asset.totalBytes > 0 ? Math.min(asset.receivedBytes, asset.totalBytes) / asset.totalBytes : 0;
    done += downloadCost * received;
    if (asset.stage === "created" || asset.stage === "warming") done += createCost;
  }
  return total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : 0;
}

class ProgressTracker {
  private readonly entries = new Map<AssetKey, AssetProgress>();

  constructor(
    private readonly onProgress: (assets: AssetProgress[]) => void,
    private readonly signal: AbortSignal | undefined,
  ) {}

  add(entry: AssetProgress): void {
    this.entries.set(entry.key, entry);
  }

  update(key: AssetKey, change: Partial<Omit<AssetProgress, "key">>): void {
    const current = this.entries.get(key);
    if (!current) return;
    this.entries.set(key, { ...current, ...change });
    this.emit();
  }

  get(key: AssetKey): AssetProgress | undefined {
    return this.entries.get(key);
  }

  emit(): void {
    // After an abort the lobby is gone (or restarting): a late "warming" would only confuse it.
    if (this.signal?.aborted) return;
    const snapshot = [...this.entries.values()].map((entry) => ({ ...entry }));
    try {
      this.onProgress(snapshot);
    } catch (error) {
      // A broken UI callback must not turn into a failed download: report it, carry on.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// preloadVision

type TasksVision = typeof import("@mediapipe/tasks-vision");
/** tasks-vision does not export its WasmFileset type. */
type WasmFileset = Parameters<TasksVision["PoseLandmarker"]["createFromOptions"]>[0];

type CreatedTask = { kind: "pose"; task: PoseLandmarker } | { kind: "hand"; task: HandLandmarker } | { kind: "face"; task: FaceDetector };

interface AssetPlan {
  asset: VisionAsset;
  reused: boolean;
  metrics: AssetMetrics;
}

interface WarmupFrame {
  source: WarmupFrameSource;
  origin: "camera" | "still";
  width: number;
  height: number;
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
        recordWarmup(warmup, task, frame);
      } catch (error) {
        throw new PreloadError("other", `first ${plan.asset.name} detection failed: ${describe(error)}`, { asset: plan.asset.name, cause: error });
      }
      plan.metrics.warmupMs = performance.now() - warmupStartedAt;
      storeCreatedTask(plan.asset.name, task);
      createdNotStored.delete(task);
      progress.update(plan.asset.name, { stage: "ready" });
    }
    // Reused tasks were warmed up by an earlier preload; one more (fast) detection fills the report.
    const tasks = getVisionTasks();
    for (const plan of plans.filter((candidate) => candidate.reused)) {
      await yieldForPaint();
      const task = reusedTask(tasks, plan.asset.kind);
      try {
        if (task) recordWarmup(warmup, task, frame);
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
      delegate: DELEGATE,
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
// Manifest and plan

async function loadManifest(baseUrl: string, signal: AbortSignal | undefined): Promise<VisionManifest> {
  const url = joinUrl(baseUrl, MANIFEST_PATH);
  let json: unknown;
  const stopFetch = new AbortController();
  const onAbort = (): void => stopFetch.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const silence = setTimeout(
    () => stopFetch.abort(new PreloadError("stalled", `the vision manifest ${url} did not arrive within ${MANIFEST_LIMIT_MS / 1000} s`)),
    MANIFEST_LIMIT_MS,
  );
  try {
    // Revalidated every time (the server says no-cache): it names the current hashed files.
    const response = await fetch(url, { signal: stopFetch.signal, cache: "no-cache" });
    if (!response.ok) throw new PreloadError("network", `could not fetch the vision manifest ${url}: HTTP ${response.status}`);
    json = await response.json();
  } catch (error) {
    if (stopFetch.signal.reason instanceof PreloadError) throw stopFetch.signal.reason;
    if (error instanceof PreloadError || signal?.aborted) throw error;
    if (error instanceof SyntaxError) throw new PreloadError("other", `the vision manifest ${url} is not JSON`, { cause: error });
    throw new PreloadError("network", `could not fetch the vision manifest ${url}: ${describe(error)}`, { cause: error });
  } finally {
    clearTimeout(silence);
    signal?.removeEventListener("abort", onAbort);
  }
  let manifest: VisionManifest;
  try {
    manifest = parseVisionManifest(json);
  } catch (error) {
    throw new PreloadError("other", describe(error), { cause: error });
  }
  if (manifest.tasksVisionVersion !== TASKS_VISION_VERSION) {
    throw new PreloadError(
      "other",
      `the vision assets were built for tasks-vision ${manifest.tasksVisionVersion}, this page runs ${TASKS_VISION_VERSION} (run npm run vision:build)`,
    );
  }
  return manifest;
}

function planAssets(manifest: VisionManifest, names: readonly VisionAssetName[]): AssetPlan[] {
  const kinds = new Map<VisionAssetKind, VisionAssetName>();
  const plans: AssetPlan[] = [];
  for (const name of new Set(names)) {
    const asset = findVisionAsset(manifest, name);
    if (!asset) throw new PreloadError("other", `the vision manifest has no asset ${name} (run npm run vision:build)`, { asset: name });
    const sameKind = kinds.get(asset.kind);
    if (sameKind) throw new PreloadError("other", `one ${asset.kind} model at a time: both ${sameKind} and ${name} were asked for`, { asset: name });
    kinds.set(asset.kind, name);
    const reused = isVisionAssetLoaded(asset.kind, name);
    plans.push({
      asset,
      reused,
      metrics: { key: name, bytes: asset.bytes, wireBytes: null, downloadMs: 0, createMs: null, warmupMs: null, reused, fromHttpCache: null },
    });
  }
  return plans;
}

function supportsWasmSimd(): boolean {
  try {
    return WebAssembly.validate(WASM_SIMD_PROBE);
  } catch {
    return false;
  }
}

function pickRuntimeFiles(manifest: VisionManifest, wasmSimd: boolean): { loader: VisionFile; binary: VisionFile } {
  const names = RUNTIME_FILE_NAMES[wasmSimd ? "simd" : "nosimd"];
  const find = (name: string): VisionFile => {
    const file = manifest.runtime.files.find((candidate) => candidate.name === name);
    if (!file) throw new PreloadError("other", `the vision manifest's runtime has no ${name}`, { asset: "runtime" });
    return file;
  };
  return { loader: find(names.loader), binary: find(names.binary) };
}

// ---------------------------------------------------------------------------------------------
// Downloads

interface Downloads {
  runtimeLoader: Uint8Array<ArrayBuffer>;
  runtimeBinary: Uint8Array<ArrayBuffer>;
  models: Map<VisionAssetName, Uint8Array<ArrayBuffer>>;
  sha256Thread: "worker" | "main";
}

/**
 * All downloads at once (network-bound, they only cost the main thread a little per chunk).
 * The first failure stops the others so a broken lobby does not keep eating a phone's data.
 */
async function downloadAll(
  baseUrl: string,
  runtimeFiles: { loader: VisionFile; binary: VisionFile },
  plans: readonly AssetPlan[],
  progress: ProgressTracker,
  runtimeMetrics: AssetMetrics,
  outerSignal: AbortSignal | undefined,
): Promise<Downloads> {
  const stopOthers = new AbortController();
  const onOuterAbort = (): void => stopOthers.abort(outerSignal?.reason);
  if (outerSignal?.aborted) onOuterAbort();
  outerSignal?.addEventListener("abort", onOuterAbort, { once: true });
  const signal = stopOthers.signal;
  const hasher = createSha256Hasher();

  const download = async (key: AssetKey, file: VisionFile, onReceived: (receivedBytes: number) => void): Promise<FetchedFile> => {
    const url = joinUrl(baseUrl, file.url);
    // A connection that stays open but sends nothing would otherwise hold the bar forever.
    const watchdog = inactivityWatchdog(DOWNLOAD_SILENCE_LIMIT_MS, () => {
      if (!signal.aborted) {
        stopOthers.abort(new PreloadError("stalled", `${key}: no data from ${url} for ${DOWNLOAD_SILENCE_LIMIT_MS / 1000} s`, { asset: key }));
      }
    });
    try {
      return await fetchWithProgress(url, {
        expectedBytes: file.bytes,
        expectedSha256: file.sha256,
        signal,
        sha256: (bytes) => hasher.digest(bytes),
        onProgress: ({ receivedBytes }) => {
          watchdog.touch();
          onReceived(receivedBytes);
        },
      });
    } catch (error) {
      if (signal.reason instanceof PreloadError) throw signal.reason;
      const failure = toPreloadFailure(error, outerSignal, key);
      // Only the first real failure stops the rest; the others then end with AbortError.
      if (!signal.aborted) stopOthers.abort(failure);
      throw failure;
    } finally {
      watchdog.stop();
    }
  };

  const runtimeReceived = { loader: 0, binary: 0 };
  const reportRuntime = (): void => progress.update("runtime", { stage: "downloading", receivedBytes: runtimeReceived.loader + runtimeReceived.binary });
  const runtimeDownload = Promise.all([
    download("runtime", runtimeFiles.loader, (received) => {
      runtimeReceived.loader = received;
      reportRuntime();
    }),
    download("runtime", runtimeFiles.binary, (received) => {
      runtimeReceived.binary = received;
      reportRuntime();
    }),
  ]).then(([loader, binary]) => {
    runtimeMetrics.downloadMs = Math.max(loader.downloadMs, binary.downloadMs);
    runtimeMetrics.wireBytes = loader.wireBytes !== null && binary.wireBytes !== null ? loader.wireBytes + binary.wireBytes : null;
    runtimeMetrics.fromHttpCache = loader.fromHttpCache !== null && binary.fromHttpCache !== null ? loader.fromHttpCache && binary.fromHttpCache : null;
    // Compiled once every model has arrived.
    progress.update("runtime", { stage: "queued", receivedBytes: runtimeFiles.loader.bytes + runtimeFiles.binary.bytes });
    return { loader: loader.bytes, binary: binary.bytes };
  });
  const modelDownloads = plans.map(async (plan) => {
    const name = plan.asset.name;
    const fetched = await download(name, plan.asset, (receivedBytes) => progress.update(name, { stage: "downloading", receivedBytes }));
    // Every byte is in and checked; creates run one at a time, so it may wait a while for its turn.
    progress.update(name, { stage: "queued", receivedBytes: plan.asset.bytes });
    plan.metrics.downloadMs = fetched.downloadMs;
    plan.metrics.wireBytes = fetched.wireBytes;
    plan.metrics.fromHttpCache = fetched.fromHttpCache;
    return [name, fetched.bytes] as const;
  });

  try {
    const [runtime, ...models] = await Promise.all([runtimeDownload, ...modelDownloads]);
    return { runtimeLoader: runtime.loader, runtimeBinary: runtime.binary, models: new Map(models), sha256Thread: hasher.where };
  } catch (error) {
    // Promise.all settles on the first rejection; make sure every other download has stopped.
    if (!signal.aborted) stopOthers.abort(error);
    throw stopOthers.signal.reason instanceof PreloadError ? stopOthers.signal.reason : error;
  } finally {
    outerSignal?.removeEventListener("abort", onOuterAbort);
    hasher.close();
  }
}

function objectUrlFor(bytes: Uint8Array<ArrayBuffer>, type: string, objectUrls: string[]): string {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  objectUrls.push(url);
  return url;
}

function revokeAll(objectUrls: string[]): void {
  for (const url of objectUrls.splice(0)) URL.revokeObjectURL(url);
}

// ---------------------------------------------------------------------------------------------
// Create

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
  models: Map<VisionAssetName, Uint8Array<ArrayBuffer>>,
  progress: ProgressTracker,
  createdNotStored: Set<CreatedTask>,
  signal: AbortSignal | undefined,
): Promise<{ plan: AssetPlan; created: CreatedTask }[]> {
  const created: { plan: AssetPlan; created: CreatedTask }[] = [];
  for (const plan of plans) {
    await yieldForPaint();
    signal?.throwIfAborted();
    const name = plan.asset.name;
    const modelBytes = models.get(name);
    if (!modelBytes) throw new PreloadError("other", `${name} was not downloaded`, { asset: name });
    progress.update(name, { stage: "creating" });
    const createStartedAt = performance.now();
    let task: CreatedTask;
    try {
      task = await guardStep(createTask(vision, fileset, runtimeModule, plan.asset.kind, modelBytes), {
        limitMs: CREATE_LIMIT_MS,
        signal,
        onStall: () => new PreloadError("stalled", `creating ${name} did not finish within ${CREATE_LIMIT_MS / 1000} s`, { asset: name }),
        // It finished after all (the player has retried by then): free its heap.
        onAbandoned: (late) => closeQuietly(late.task),
      });
    } catch (error) {
      if (error instanceof PreloadError || signal?.aborted) throw error;
      throw creationFailure(error, name);
    }
    createdNotStored.add(task);
    models.delete(name); // the task copied the model into its heap
    plan.metrics.createMs = performance.now() - createStartedAt;
    // Created; its warm-up runs once every task is created.
    progress.update(name, { stage: "created" });
    created.push({ plan, created: task });
  }
  return created;
}

async function createTask(
  vision: TasksVision,
  fileset: WasmFileset,
  runtimeModule: WebAssembly.Module,
  kind: VisionAssetKind,
  modelAssetBuffer: Uint8Array,
): Promise<CreatedTask> {
  const baseOptions = { modelAssetBuffer, delegate: DELEGATE };
  const instantiation = provideCompiledRuntime(runtimeModule);
  const create = async (): Promise<CreatedTask> => {
    switch (kind) {
      case "pose":
        return { kind, task: await vision.PoseLandmarker.createFromOptions(fileset, { baseOptions, runningMode: "VIDEO", numPoses: 1 }) };
      case "hand":
        return { kind, task: await vision.HandLandmarker.createFromOptions(fileset, { baseOptions, runningMode: "VIDEO", numHands: 2 }) };
      case "face":
        return { kind, task: await vision.FaceDetector.createFromOptions(fileset, { baseOptions, runningMode: "VIDEO" }) };
    }
  };
  try {
    // Emscripten never settles its factory when instantiateWasm fails: race that failure.
    const created = await Promise.race([create(), instantiation.failed]);
    // No usage statistics to Google from players' phones (usageLogging.ts; the CSP is the backstop).
    if (!stopUsageLogging(created.task)) console.warn("PoseParty: this tasks-vision build's usage logging could not be turned off; the CSP blocks it");
    return created;
  } finally {
    instantiation.release();
  }
}

/**
 * Compiles the runtime once per preload. tasks-vision instantiates the runtime anew for every
 * task, and by default each instantiation fetches and compiles the 13 MB binary again: three
 * compiles for an all-models playlist, nine on one machine running three players. Compiled once,
 * every task's instance shares the machine code (V8 shares a Module's code between instances).
 */
async function compileRuntime(binary: Uint8Array<ArrayBuffer>, signal: AbortSignal | undefined): Promise<WebAssembly.Module> {
  try {
    return await guardStep(WebAssembly.compile(binary), {
      limitMs: COMPILE_LIMIT_MS,
      signal,
      onStall: () => new PreloadError("stalled", `compiling the vision runtime did not finish within ${COMPILE_LIMIT_MS / 1000} s`, { asset: "runtime" }),
    });
  } catch (error) {
    if (error instanceof PreloadError || signal?.aborted) throw error;
    throw new PreloadError("unsupported", `this browser cannot compile the vision runtime: ${describe(error)}`, { asset: "runtime", cause: error });
  }
}

type EmscriptenInstantiate = (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) => object;

/**
 * Makes the next createFromOptions instantiate the compiled runtime instead of fetching and
 * compiling the binary: tasks-vision passes `self.Module` to the emscripten factory (adding its
 * own locateFile) and clears it afterwards; emscripten calls `Module.instantiateWasm` when set.
 */
function provideCompiledRuntime(runtimeModule: WebAssembly.Module): { failed: Promise<never>; release(): void } {
  const scope = globalThis as { Module?: { instantiateWasm: EmscriptenInstantiate } };
  let fail: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined); // raced, never awaited alone
  const hook = {
    instantiateWasm: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void): object => {
      WebAssembly.instantiate(runtimeModule, imports).then(receive, fail);
      return {}; // emscripten: instantiation is under way, asynchronously
    },
  };
  scope.Module = hook;
  return {
    failed,
    release: () => {
      // Normally tasks-vision has cleared it; a create that failed early leaves it behind.
      if (scope.Module === hook) delete scope.Module;
    },
  };
}

function creationFailure(error: unknown, asset: VisionAssetName): PreloadError {
  // tasks-vision rejects with the <script> error Event when its loader script does not run.
  if (typeof Event !== "undefined" && error instanceof Event) {
    return new PreloadError("unsupported", `the WASM loader script did not run for ${asset} (a Content-Security-Policy without blob: in script-src?)`, {
      asset,
    });
  }
  if (error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError) {
    return new PreloadError("unsupported", `this browser cannot compile the vision runtime: ${describe(error)}`, { asset, cause: error });
  }
  return new PreloadError("other", `could not create ${asset}: ${describe(error)}`, { asset, cause: error });
}

function storeCreatedTask(asset: VisionAssetName, created: CreatedTask): void {
  switch (created.kind) {
    case "pose":
      return storeVisionTask("pose", asset, created.task);
    case "hand":
      return storeVisionTask("hand", asset, created.task);
    case "face":
      return storeVisionTask("face", asset, created.task);
  }
}

function reusedTask(tasks: ReturnType<typeof getVisionTasks>, kind: VisionAssetKind): CreatedTask | null {
  switch (kind) {
    case "pose":
      return tasks.pose ? { kind, task: tasks.pose } : null;
    case "hand":
      return tasks.hand ? { kind, task: tasks.hand } : null;
    case "face":
      return tasks.face ? { kind, task: tasks.face } : null;
  }
}

// ---------------------------------------------------------------------------------------------
// Warm-up

/** The camera frame when it is ready now, else the bundled still (loaded during the downloads). */
async function chooseWarmupFrame(
  warmupSource: () => WarmupFrameSource | null,
  stillImage: Promise<Settled<HTMLImageElement>>,
  stillUrl: string,
): Promise<WarmupFrame> {
  const camera = usableFrame(warmupSource());
  if (camera) return { ...camera, origin: "camera" };
  const still = await stillImage;
  if (still.ok) return { source: still.value, origin: "still", width: still.value.naturalWidth, height: still.value.naturalHeight };
  // The camera may have come up while the still was failing.
  const lateCamera = usableFrame(warmupSource());
  if (lateCamera) return { ...lateCamera, origin: "camera" };
  throw new PreloadError("network", `the camera is not ready and the warm-up image ${stillUrl} did not load: ${describe(still.error)}`, { cause: still.error });
}

function usableFrame(source: WarmupFrameSource | null): Omit<WarmupFrame, "origin"> | null {
  if (!source) return null;
  if (source instanceof HTMLVideoElement) {
    // HAVE_CURRENT_DATA: there is a frame to read.
    return source.readyState >= 2 && source.videoWidth > 0 ? { source, width: source.videoWidth, height: source.videoHeight } : null;
  }
  if (source instanceof HTMLImageElement) {
    return source.complete && source.naturalWidth > 0 ? { source, width: source.naturalWidth, height: source.naturalHeight } : null;
  }
  return source.width > 0 && source.height > 0 ? { source, width: source.width, height: source.height } : null;
}

/** The first detection of a task: slow (graph and XNNPACK set-up), which is why it happens here. */
function recordWarmup(warmup: PreloadReport["warmup"], created: CreatedTask, frame: WarmupFrame): void {
  // VIDEO mode wants increasing timestamps per task; the game keeps using performance.now().
  const timestamp = performance.now();
  switch (created.kind) {
    case "pose": {
      const landmarks = created.task.detectForVideo(frame.source, timestamp).landmarks[0];
      if (landmarks) warmup.pose = landmarks.map(poseLandmark);
      return;
    }
    case "hand": {
      const landmarks = created.task.detectForVideo(frame.source, timestamp).landmarks[0];
      if (landmarks) warmup.hand = landmarks.map(({ x, y, z }) => ({ x, y, z }));
      return;
    }
    case "face": {
      const face = created.task.detectForVideo(frame.source, timestamp).detections[0];
      if (face) {
        const box = faceBox(face);
        if (box) warmup.face = box;
      }
      return;
    }
  }
}

function poseLandmark({ x, y, z, visibility }: NormalizedLandmark): WarmupLandmark & { visibility?: number } {
  return Number.isFinite(visibility) ? { x, y, z, visibility } : { x, y, z };
}

function faceBox(face: Detection): NonNullable<PreloadReport["warmup"]["face"]> | null {
  if (!face.boundingBox) return null;
  const { originX, originY, width, height } = face.boundingBox;
  return { originX, originY, width, height, score: face.categories[0]?.score ?? 0 };
}

function loadImage(url: string): Promise<HTMLImageElement> {
  const image = new Image();
  image.decoding = "async";
  image.src = url;
  // decode() decodes off the main thread and rejects when the image cannot load.
  return image.decode().then(() => image);
}

// ---------------------------------------------------------------------------------------------
// Main-thread health

/**
 * Lets the lobby paint between heavy steps: after the next frame, then a task boundary (so the
 * progress just reported is on screen before the next long task). Hidden tabs get no frames and
 * throttle timers to 1 Hz: there, only the task boundary.
 */
function yieldForPaint(): Promise<void> {
  const visible = typeof document !== "undefined" && document.visibilityState === "visible" && typeof requestAnimationFrame === "function";
  if (!visible) return nextTask();
  return new Promise<void>((resolve) => {
    let done = false;
    const afterFrame = (): void => {
      if (done) return;
      done = true;
      clearTimeout(fallback);
      void nextTask().then(resolve);
    };
    // In case the tab is hidden while we wait: never more than 100 ms for a frame.
    const fallback = setTimeout(afterFrame, 100);
    requestAnimationFrame(afterFrame);
  });
}

/**
 * A new task at normal priority: a MessageChannel message (not throttled like timers). Not
 * scheduler.yield(): its continuation jumps ahead of queued tasks, and on a starved phone that
 * starves React's render task too, so bars would skip stages while models warm up.
 */
function nextTask(): Promise<void> {
  return new Promise<void>((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

interface LongTaskTotals {
  totalMs: number;
  count: number;
  observed: boolean;
}

/** Sums long tasks (any cause: the lobby's own rendering counts too) until stop(). */
function observeLongTasks(): { stop: () => Promise<LongTaskTotals> } {
  const totals: LongTaskTotals = { totalMs: 0, count: 0, observed: false };
  const supported = typeof PerformanceObserver !== "undefined" && (PerformanceObserver.supportedEntryTypes ?? []).includes("longtask");
  if (!supported) return { stop: () => Promise.resolve({ ...totals }) };
  const add = (entries: PerformanceEntryList): void => {
    for (const entry of entries) {
      totals.totalMs += entry.duration;
      totals.count += 1;
    }
  };
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({ type: "longtask", buffered: false });
  totals.observed = true;
  let stopped: Promise<LongTaskTotals> | null = null;
  return {
    stop: () => {
      stopped ??= (async () => {
        // The last warm-up's long task is reported after its task ends: let that happen first.
        await nextTask();
        add(observer.takeRecords());
        observer.disconnect();
        return { ...totals, totalMs: Math.round(totals.totalMs) };
      })();
      return stopped;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Errors and small helpers

/** Maps anything thrown to a PreloadError, except aborts, which stay the signal's AbortError. */
function toPreloadFailure(error: unknown, signal: AbortSignal | undefined, asset?: AssetKey): unknown {
  if (signal?.aborted) return signal.reason ?? error;
  if (error instanceof DOMException && error.name === "AbortError") return error;
  if (error instanceof PreloadError) return error;
  if (error instanceof FetchWithProgressError) {
    const kind: PreloadFailureKind = error.kind === "integrity" ? "integrity" : error.kind === "unsupported" ? "unsupported" : "network";
    const what = asset === undefined ? "" : `${asset}: `;
    return new PreloadError(kind, `${what}${error.message}`, { asset, cause: error });
  }
  return new PreloadError("other", describe(error), { asset, cause: error });
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects (so starting work early cannot cause an unhandled rejection). */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function unwrap<T>(settled: Settled<T>, toError: (error: unknown) => Error): T {
  if (settled.ok) return settled.value;
  throw toError(settled.error);
}

function joinUrl(baseUrl: string, rootRelativeUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${rootRelativeUrl}`;
}

function closeQuietly(task: { close(): void }): void {
  try {
    task.close();
  } catch {
    // A task whose graph failed may throw on close; nothing more to free.
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof Event !== "undefined" && error instanceof Event) return `${error.type} event`;
  return String(error);
}
