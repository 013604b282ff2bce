/** Shared by the inference page (browser), its worker and the section runner (Node). */

export type InferenceVariant = "main" | "worker-bitmap" | "worker-videoframe";
export type StartKind = "cold" | "warm";

export interface RunConfig {
  variant: InferenceVariant;
  start: StartKind;
  /** Steady-state measurement after the first result (0: stop at the first result). */
  steadyMs: number;
  /** Absolute URLs. */
  runtime: { loader: string; binary: string };
  modelUrl: string;
  workerUrl: string;
}

export interface Stats {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

export interface SteadyResult {
  durationMs: number;
  /** Camera frames the loop got (requestVideoFrameCallback) per second. */
  loopFps: number;
  /** Results drawn per second. */
  resultsPerSecond: number;
  /** Page frames (requestAnimationFrame) per second: how smooth everything else on the page is. */
  rafFps: number;
  /** detectForVideo alone (in the worker for worker variants). */
  inferenceMs: Stats;
  /** From the loop taking a camera frame to its result drawn (frame grab + transfer + inference + draw). */
  frameToResultMs: Stats;
  /** Main-thread long tasks (> 50 ms) during the window. */
  longTaskMs: number;
  longTaskCount: number;
  /** Share of results with a pose in them. */
  poseFoundShare: number;
}

export interface RunResult {
  variant: InferenceVariant;
  start: StartKind;
  /** First request to first drawn result (cold: includes create + first detection; warm: task created and warmed before). */
  firstResultMs: number;
  /** Cold: createFromOptions. Warm main: the lobby preload's create. */
  createMs: number | null;
  /** The first detection (cold), or the warm-up detection (warm). */
  firstDetectionMs: number | null;
  /** Warm main only: the real lobby preload (preloadVision) that warmed the task. */
  lobby?: { timeToReadyMs: number; longTaskMs: number; createMs: number | null; warmupMs: number | null };
  steady: SteadyResult | null;
  userAgent: string;
}

/** Main thread -> worker. */
export type ToWorker = { type: "init"; loader: string; binary: string; model: ArrayBuffer } | { type: "frame"; id: number; frame: ImageBitmap | VideoFrame };

/** Worker -> main thread. */
export type FromWorker =
  { type: "ready"; createMs: number } | { type: "result"; id: number; inferenceMs: number; landmarks: Float32Array } | { type: "error"; message: string };
