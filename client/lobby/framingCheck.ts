/**
 * The lobby's framing check in the browser: runs the loaded models on the camera and asks
 * core/framing.ts whether the picture shows what the playlist needs. Each model runs in its own
 * task, and the checks are spaced out by what they cost (framingCheckDelay), so the call and the
 * lobby keep their frames on a slow phone. Uses only tasks the preload created.
 */
import { checkFraming, framingCheckDelay, meanLuma, type FramingLandmark, type FramingObservation, type FramingResult } from "@/core/framing";
import type { RoundKind } from "@/core/playlist";
import { getVisionTasks } from "@/client/vision/registry";
import type { PreloadReport } from "@/client/vision/preloader";

export interface FramingCheck {
  result: FramingResult;
  /** The pose found (normalised to the camera frame, unmirrored), to mark joints on the preview. */
  pose: readonly FramingLandmark[] | null;
}

let lastTimestamp = 0;
let lumaCanvas: HTMLCanvasElement | null = null;

/** Strictly increasing across the lobby and the game (tasks in VIDEO mode require it). */
function nextTimestamp(): number {
  lastTimestamp = Math.max(performance.now(), lastTimestamp + 1);
  return lastTimestamp;
}

/** Mean luma of the current frame, read from a 32x24 copy (a fraction of a millisecond). */
function frameLuma(video: HTMLVideoElement): number | undefined {
  try {
    lumaCanvas ??= document.createElement("canvas");
    lumaCanvas.width = 32;
    lumaCanvas.height = 24;
    const context = lumaCanvas.getContext("2d", { willReadFrequently: true });
    if (!context) return undefined;
    context.drawImage(video, 0, 0, 32, 24);
    const luma = meanLuma(context.getImageData(0, 0, 32, 24).data);
    return Number.isFinite(luma) ? luma : undefined;
  } catch {
    return undefined;
  }
}

function usable(video: HTMLVideoElement | null): video is HTMLVideoElement {
  return video !== null && video.readyState >= 2 && video.videoWidth > 0;
}

/** A new task at normal priority (not throttled like timers), so the page paints in between. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * The check from the preload's warm-up detection, when it ran on the camera: no extra detection.
 * Null when the warm-up used the still image (the camera was not ready yet).
 */
export function framingFromWarmup(roundKinds: readonly RoundKind[], report: PreloadReport, video: HTMLVideoElement | null): FramingCheck | null {
  if (report.warmupSource !== "camera") return null;
  const observation: FramingObservation = {
    pose: report.warmup.pose ?? null,
    hands: report.warmup.hand ? 1 : 0,
    face: report.warmup.face !== undefined,
    ...(usable(video) ? { meanLuma: frameLuma(video) } : {}),
  };
  return { result: checkFraming(roundKinds, observation), pose: report.warmup.pose ?? null };
}

/** One check on the current camera frame; null when the camera has no frame yet. */
export async function checkFramingNow(roundKinds: readonly RoundKind[], video: HTMLVideoElement | null): Promise<FramingCheck | null> {
  if (!usable(video)) return null;
  const tasks = getVisionTasks();
  let pose: FramingLandmark[] | null = null;
  let hands = 0;
  let face = false;
  if ((roundKinds.includes("pose") || roundKinds.includes("copy")) && tasks.pose) {
    pose = tasks.pose.detectForVideo(video, nextTimestamp()).landmarks[0] ?? null;
    await nextTask();
  }
  if (roundKinds.includes("hand") && tasks.hand) {
    hands = tasks.hand.detectForVideo(video, nextTimestamp()).landmarks.length;
    await nextTask();
  }
  if (roundKinds.includes("head") && tasks.face) {
    face = tasks.face.detectForVideo(video, nextTimestamp()).detections.length > 0;
  }
  const luma = frameLuma(video);
  return { result: checkFraming(roundKinds, { pose, hands, face, ...(luma !== undefined ? { meanLuma: luma } : {}) }), pose };
}

/** `window.__poseparty.framing`: how many live checks ran and what they cost (for tests and the bench). */
const stats = { checks: 0, totalMs: 0, maxMs: 0 };
function recordCheck(spentMs: number): void {
  stats.checks += 1;
  stats.totalMs += spentMs;
  stats.maxMs = Math.max(stats.maxMs, spentMs);
  const scope = window as unknown as { __poseparty?: Record<string, unknown> };
  scope.__poseparty = {
    ...(scope.__poseparty ?? {}),
    framing: { checks: stats.checks, meanMs: Math.round(stats.totalMs / stats.checks), maxMs: Math.round(stats.maxMs) },
  };
}

/**
 * Checks again and again until `signal` aborts: each result goes to `onCheck`; the next check
 * waits at least framingCheckDelay(what this one cost). Hidden pages check nothing.
 */
export function watchFraming(
  roundKinds: readonly RoundKind[],
  getVideo: () => HTMLVideoElement | null,
  onCheck: (check: FramingCheck) => void,
  signal: AbortSignal,
): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = async (): Promise<void> => {
    timer = null;
    if (signal.aborted) return;
    let spentMs = 0;
    if (document.visibilityState === "visible") {
      const startedAt = performance.now();
      try {
        const check = await checkFramingNow(roundKinds, getVideo());
        spentMs = performance.now() - startedAt;
        recordCheck(spentMs);
        if (check && !signal.aborted) onCheck(check);
      } catch (error) {
        // A detection that throws once (a frame mid-resize) is retried; it is not the player's fault.
        console.warn("[framing] check failed:", error);
      }
    }
    if (!signal.aborted) timer = setTimeout(() => void run(), framingCheckDelay(spentMs));
  };
  signal.addEventListener("abort", () => {
    if (timer !== null) clearTimeout(timer);
  });
  timer = setTimeout(() => void run(), framingCheckDelay(0));
}
