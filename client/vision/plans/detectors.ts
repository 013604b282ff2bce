/**
 * How the game's loop (client/vision/inferenceLoop.ts) and the lobby's trial get detections,
 * whatever the plan: on this thread (CPU or GPU tasks), or in the inference worker. A worker plan
 * whose worker fails falls back to the main thread by itself (FallbackDetector).
 */
import type { InferencePlanId } from "@/core/inferencePlan";
import type { VisionAssetKind } from "@/core/visionManifest";
import { detectWithKind, type KindDetection, type VisionTask } from "../modelKinds";
import { InferenceWorkerClosed, type InferenceWorker } from "../worker/workerClient";

/**
 * Detections started on each thread in this page, at `window.__poseparty.detections`: how a test
 * sees that a worker plan's game runs no inference on the main thread. A counter per detection.
 */
const detectionCounts = { main: 0, worker: 0 };
function countDetection(thread: "main" | "worker"): void {
  detectionCounts[thread] += 1;
  if (typeof window === "undefined") return;
  const scope = window as unknown as { __poseparty?: Record<string, unknown> };
  if (scope.__poseparty?.detections !== detectionCounts) scope.__poseparty = { ...(scope.__poseparty ?? {}), detections: detectionCounts };
}

/**
 * The last detection times (ms; for a worker, request to result) and how many finished, at
 * `window.__poseparty.detectionTimes`: read-only, for the bench's plan rows (bench/inference/plans/measure.ts).
 */
const RECENT_DETECT_MS = 1_000;
const detectionTimes = { finished: 0, recentMs: [] as number[] };
function recordDetectMs(ms: number): void {
  detectionTimes.finished += 1;
  if (detectionTimes.recentMs.length >= RECENT_DETECT_MS) detectionTimes.recentMs.shift();
  detectionTimes.recentMs.push(ms);
  if (typeof window === "undefined") return;
  const scope = window as unknown as { __poseparty?: Record<string, unknown> };
  if (scope.__poseparty?.detectionTimes !== detectionTimes) scope.__poseparty = { ...(scope.__poseparty ?? {}), detectionTimes };
}

export type DetectionCallback = (detection: KindDetection | null, detectMs: number) => void;

export interface FrameDetector {
  /** The plan detections run under now (a fallen-back worker plan says main-cpu). */
  readonly planId: InferencePlanId;
  has(kind: VisionAssetKind): boolean;
  /**
   * Starts one detection on the video's current frame. The result (null when the detection
   * failed) comes through `onResult`: at once on the main thread, later from a worker. Returns
   * false when a detection is still running: one at a time, so a slow device skips frames
   * instead of queueing them.
   */
  submit(kind: VisionAssetKind, video: HTMLVideoElement, timestamp: number, onResult: DetectionCallback): boolean;
}

/** After this many failed detections in a row, a detector counts as broken (a lost GPU context). */
const FAILURES_TO_GIVE_UP = 5;

/** Detections on this thread, with the tasks the lookup gives (the registry's CPU tasks, or a GPU plan's). */
export class MainThreadDetector implements FrameDetector {
  private failuresInARow = 0;
  private lastError = "";

  constructor(
    readonly planId: InferencePlanId,
    private readonly taskOf: (kind: VisionAssetKind) => VisionTask | undefined,
  ) {}

  has(kind: VisionAssetKind): boolean {
    return this.taskOf(kind) !== undefined;
  }

  submit(kind: VisionAssetKind, video: HTMLVideoElement, timestamp: number, onResult: DetectionCallback): boolean {
    const task = this.taskOf(kind);
    if (!task) return false;
    countDetection("main");
    const began = performance.now();
    let detection: KindDetection | null = null;
    try {
      detection = detectWithKind(kind, task, video, timestamp, video.videoWidth, video.videoHeight);
      this.failuresInARow = 0;
    } catch (error) {
      // One frame that fails (mid-resize) is skipped; the next one is tried.
      this.failuresInARow += 1;
      this.lastError = error instanceof Error ? error.message : String(error);
      console.warn("[vision] detection failed:", error);
    }
    const detectMs = performance.now() - began;
    recordDetectMs(detectMs);
    onResult(detection, detectMs);
    return true;
  }

  /** Why it stopped working (several failures in a row, as after a lost GPU context), or null. */
  get brokenReason(): string | null {
    return this.failuresInARow >= FAILURES_TO_GIVE_UP ? `${this.failuresInARow} detections failed in a row: ${this.lastError}` : null;
  }
}

/**
 * Detections in the inference worker: each camera frame is copied into an ImageBitmap (async: no
 * long task here) and transferred. `detectMs` is request to result, as the game sees it.
 */
export class WorkerDetector implements FrameDetector {
  private busy = false;

  constructor(
    readonly planId: InferencePlanId,
    private readonly worker: InferenceWorker,
    private readonly kinds: ReadonlySet<VisionAssetKind>,
  ) {}

  has(kind: VisionAssetKind): boolean {
    return this.kinds.has(kind) && this.worker.failed === null;
  }

  submit(kind: VisionAssetKind, video: HTMLVideoElement, _timestamp: number, onResult: DetectionCallback): boolean {
    if (this.busy || !this.has(kind)) return false;
    this.busy = true;
    countDetection("worker");
    const began = performance.now();
    createImageBitmap(video)
      .then((frame) => this.worker.detect(kind, frame))
      .then(
        ({ detection }) => {
          const detectMs = performance.now() - began;
          recordDetectMs(detectMs);
          onResult(detection, detectMs);
        },
        (error: unknown) => {
          if (!(error instanceof InferenceWorkerClosed)) console.warn("[vision] worker detection failed:", error);
          onResult(null, performance.now() - began);
        },
      )
      .finally(() => {
        this.busy = false;
      });
    return true;
  }
}

/** The chosen detector, and the main-thread CPU one to use from the moment it fails. */
export class FallbackDetector implements FrameDetector {
  private fellBack: string | null = null;

  constructor(
    private readonly chosen: FrameDetector,
    private readonly fallback: FrameDetector,
    /** True once the chosen detector can no longer run (its worker stopped, its GPU context was lost). */
    private readonly chosenFailed: () => string | null,
  ) {}

  private get current(): FrameDetector {
    if (this.fellBack === null) {
      const reason = this.chosenFailed();
      if (reason !== null) {
        this.fellBack = reason;
        console.warn(`[vision] ${this.chosen.planId} stopped (${reason}); detecting on the main thread`);
      }
    }
    return this.fellBack === null ? this.chosen : this.fallback;
  }

  /** Why the chosen plan was left, or null while it runs. */
  get fallbackReason(): string | null {
    return this.fellBack;
  }

  get planId(): InferencePlanId {
    return this.current.planId;
  }

  has(kind: VisionAssetKind): boolean {
    return this.current.has(kind);
  }

  submit(kind: VisionAssetKind, video: HTMLVideoElement, timestamp: number, onResult: DetectionCallback): boolean {
    return this.current.submit(kind, video, timestamp, onResult);
  }
}
