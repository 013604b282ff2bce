/**
 * What differs per model kind, in one table: how a task is created and how one detection becomes
 * the game's plain shape (KindDetection). Used on the main thread and in the inference worker
 * alike, so both produce the same results. Type-only imports: importing this loads no library code.
 */
import type { FaceDetector, HandLandmarker, PoseLandmarker } from "@mediapipe/tasks-vision";
import type { VisionAssetKind } from "@/core/visionManifest";

export type TasksVision = typeof import("@mediapipe/tasks-vision");
/** tasks-vision does not export its WasmFileset type. */
export type WasmFileset = Parameters<TasksVision["PoseLandmarker"]["createFromOptions"]>[0];
export type TaskOfKind = { pose: PoseLandmarker; hand: HandLandmarker; face: FaceDetector };
export type VisionTask = TaskOfKind[VisionAssetKind];
export type Delegate = "CPU" | "GPU";

/** What a detection may read: an element on the main thread, a transferred bitmap or frame in a worker. */
export type DetectionSource = HTMLVideoElement | HTMLImageElement | HTMLCanvasElement | ImageBitmap | VideoFrame | OffscreenCanvas;

export interface Landmark {
  x: number;
  y: number;
  z: number;
  visibility?: number;
}

/** A face's box in pixels of the frame the model saw (frameWidth x frameHeight). */
export interface FaceBox {
  originX: number;
  originY: number;
  width: number;
  height: number;
  score: number;
}

/**
 * One detection, the same plain (structured-cloneable) shape on either thread. Landmarks are
 * normalised to the frame; a face box is in pixels of the frame the model saw, so the frame's
 * size comes with it (a worker may be sent a smaller copy of the camera frame).
 */
export type KindDetection = { frameWidth: number; frameHeight: number } & (
  { kind: "pose"; pose: Landmark[] | null } | { kind: "hand"; hands: Landmark[][] } | { kind: "face"; face: FaceBox | null }
);

interface ModelKind<Kind extends VisionAssetKind> {
  create(vision: TasksVision, fileset: WasmFileset, baseOptions: { modelAssetBuffer: Uint8Array; delegate: Delegate }): Promise<TaskOfKind[Kind]>;
  /** One VIDEO-mode detection; timestamps must increase per task. Returns tasks-vision's own objects (no copies). */
  detect(task: TaskOfKind[Kind], source: DetectionSource, timestamp: number, frameWidth: number, frameHeight: number): KindDetection;
}

export const MODEL_KINDS: { [Kind in VisionAssetKind]: ModelKind<Kind> } = {
  pose: {
    create: (vision, fileset, baseOptions) => vision.PoseLandmarker.createFromOptions(fileset, { baseOptions, runningMode: "VIDEO", numPoses: 1 }),
    detect: (task, source, timestamp, frameWidth, frameHeight) => ({
      kind: "pose",
      frameWidth,
      frameHeight,
      pose: task.detectForVideo(source, timestamp).landmarks[0] ?? null,
    }),
  },
  hand: {
    create: (vision, fileset, baseOptions) => vision.HandLandmarker.createFromOptions(fileset, { baseOptions, runningMode: "VIDEO", numHands: 2 }),
    detect: (task, source, timestamp, frameWidth, frameHeight) => ({
      kind: "hand",
      frameWidth,
      frameHeight,
      hands: task.detectForVideo(source, timestamp).landmarks,
    }),
  },
  face: {
    create: (vision, fileset, baseOptions) => vision.FaceDetector.createFromOptions(fileset, { baseOptions, runningMode: "VIDEO" }),
    detect: (task, source, timestamp, frameWidth, frameHeight) => {
      const face = task.detectForVideo(source, timestamp).detections[0];
      const box = face?.boundingBox;
      return {
        kind: "face",
        frameWidth,
        frameHeight,
        face: box ? { originX: box.originX, originY: box.originY, width: box.width, height: box.height, score: face.categories[0]?.score ?? 0 } : null,
      };
    },
  },
};

/** Typed access to one kind's entry (TypeScript cannot correlate a kind variable with its task). */
export function createTaskOfKind(
  kind: VisionAssetKind,
  vision: TasksVision,
  fileset: WasmFileset,
  baseOptions: { modelAssetBuffer: Uint8Array; delegate: Delegate },
): Promise<VisionTask> {
  return (MODEL_KINDS[kind] as ModelKind<VisionAssetKind>).create(vision, fileset, baseOptions);
}

export function detectWithKind(
  kind: VisionAssetKind,
  task: VisionTask,
  source: DetectionSource,
  timestamp: number,
  frameWidth: number,
  frameHeight: number,
): KindDetection {
  return (MODEL_KINDS[kind] as ModelKind<VisionAssetKind>).detect(task, source, timestamp, frameWidth, frameHeight);
}

/** The frame's size in pixels (what a face box is measured in). */
export function sourceSize(source: DetectionSource): { width: number; height: number } {
  if (typeof HTMLVideoElement !== "undefined" && source instanceof HTMLVideoElement) return { width: source.videoWidth, height: source.videoHeight };
  if (typeof HTMLImageElement !== "undefined" && source instanceof HTMLImageElement) return { width: source.naturalWidth, height: source.naturalHeight };
  if (typeof VideoFrame !== "undefined" && source instanceof VideoFrame) return { width: source.displayWidth, height: source.displayHeight };
  return { width: (source as { width: number }).width, height: (source as { height: number }).height };
}
