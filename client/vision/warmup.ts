/** The warm-up frame: the camera when it has one, else the bundled still, and the first detection on it. */
import type { VisionAssetKind } from "@/core/visionManifest";
import { describe, PreloadError, type Settled } from "./errors";
import { detectWithKind, type VisionTask } from "./modelKinds";
import type { PreloadReport, WarmupFrameSource } from "./report";

export interface WarmupFrame {
  source: WarmupFrameSource;
  origin: "camera" | "still";
  width: number;
  height: number;
}

/** The camera frame when it is ready now, else the bundled still (loaded during the downloads). */
export async function chooseWarmupFrame(
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

export function usableFrame(source: WarmupFrameSource | null): Omit<WarmupFrame, "origin"> | null {
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

/** The first detection of a task: slow (graph and XNNPACK set-up), which is why it happens in the lobby. */
export function recordWarmup(warmup: PreloadReport["warmup"], kind: VisionAssetKind, task: VisionTask, frame: WarmupFrame): void {
  // VIDEO mode wants increasing timestamps per task; the game keeps using performance.now().
  const detection = detectWithKind(kind, task, frame.source, performance.now(), frame.width, frame.height);
  switch (detection.kind) {
    case "pose":
      if (detection.pose) warmup.pose = detection.pose.map(({ x, y, z, visibility }) => (Number.isFinite(visibility) ? { x, y, z, visibility } : { x, y, z }));
      return;
    case "hand": {
      const first = detection.hands[0];
      if (first) warmup.hand = first.map(({ x, y, z }) => ({ x, y, z }));
      return;
    }
    case "face":
      if (detection.face) warmup.face = { ...detection.face };
      return;
  }
}

export function loadImage(url: string): Promise<HTMLImageElement> {
  const image = new Image();
  image.decoding = "async";
  image.src = url;
  // decode() decodes off the main thread and rejects when the image cannot load.
  return image.decode().then(() => image);
}
