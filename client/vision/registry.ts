/**
 * The loaded vision tasks, shared by the lobby (which fills it through preloadVision) and the
 * game (which only reads it). Type-only imports from tasks-vision: importing this module loads
 * no library code and requests nothing, so game code may import it statically.
 *
 * Each task is its own WASM instance with its own heap (tasks-vision instantiates the runtime
 * once per createFromOptions), so one task per kind is kept, and all are closed when the player
 * leaves the room.
 */
import type { FaceDetector, HandLandmarker, PoseLandmarker } from "@mediapipe/tasks-vision";
import type { VisionAssetKind, VisionAssetName } from "@/core/visionManifest";
import type { VisionTask } from "./modelKinds";

export interface VisionTasks {
  pose?: PoseLandmarker;
  hand?: HandLandmarker;
  face?: FaceDetector;
}

type TaskOfKind = { pose: PoseLandmarker; hand: HandLandmarker; face: FaceDetector };

interface LoadedTask<Kind extends VisionAssetKind> {
  /** Which model the task was created from (pose_lite and pose_full share the `pose` slot). */
  asset: VisionAssetName;
  task: TaskOfKind[Kind];
}

type LoadedTasks = { [Kind in VisionAssetKind]?: LoadedTask<Kind> };

const loaded: LoadedTasks = {};

/** The tasks that are created and warmed up; a snapshot, safe to keep for one game. */
export function getVisionTasks(): VisionTasks {
  return { pose: loaded.pose?.task, hand: loaded.hand?.task, face: loaded.face?.task };
}

/** Which asset each loaded kind came from. */
export function loadedVisionAssets(): Partial<Record<VisionAssetKind, VisionAssetName>> {
  return { pose: loaded.pose?.asset, hand: loaded.hand?.asset, face: loaded.face?.asset };
}

/** True when the task created from exactly this asset is loaded and warmed up. */
export function isVisionAssetLoaded(kind: VisionAssetKind, asset: VisionAssetName): boolean {
  return loaded[kind]?.asset === asset;
}

/**
 * Stores a created and warmed-up task (called by the preloader). A task of the same kind made
 * from another model (pose_lite -> pose_full) is closed first: its heap is tens of MB.
 */
export function storeVisionTask<Kind extends VisionAssetKind>(kind: Kind, asset: VisionAssetName, task: TaskOfKind[Kind]): void {
  const previous = loaded[kind];
  if (previous && previous.task !== task) closeQuietly(previous.task);
  loaded[kind] = { asset, task } as LoadedTasks[Kind];
}

/** storeVisionTask for a kind only known at run time. */
export function storeTaskOfKind(kind: VisionAssetKind, asset: VisionAssetName, task: VisionTask): void {
  storeVisionTask(kind, asset, task as never);
}

/**
 * What the lobby downloaded, kept for the inference plans (client/vision/plans/): a worker or a
 * GPU plan creates its own tasks from these bytes, so nothing is downloaded or compiled twice.
 * About 14 MB for an all-models playlist; dropped with the tasks when the player leaves.
 */
export interface KeptRuntime {
  /** The emscripten loader script's bytes (a worker makes its own blob: URL from them). */
  loader: Uint8Array<ArrayBuffer>;
  /** The compiled runtime: instances on any thread share its code. */
  module: WebAssembly.Module;
}

let keptRuntime: KeptRuntime | null = null;
const keptModels = new Map<VisionAssetName, Uint8Array<ArrayBuffer>>();
const closeHooks = new Set<() => void>();

export function keepForPlans(runtime: KeptRuntime, models: ReadonlyMap<VisionAssetName, Uint8Array<ArrayBuffer>>): void {
  keptRuntime = runtime;
  for (const [asset, bytes] of models) keptModels.set(asset, bytes);
}

export function keptRuntimeForPlans(): KeptRuntime | null {
  return keptRuntime;
}

export function keptModelBytes(asset: VisionAssetName): Uint8Array<ArrayBuffer> | null {
  return keptModels.get(asset) ?? null;
}

/** Runs when the tasks close (the inference plan's worker and GPU tasks go with them). */
export function onVisionClose(hook: () => void): () => void {
  closeHooks.add(hook);
  return () => closeHooks.delete(hook);
}

/** Closes and forgets every task (the player left the room). Safe to call repeatedly. */
export function closeVisionTasks(): void {
  for (const kind of ["pose", "hand", "face"] as const) {
    const entry = loaded[kind];
    delete loaded[kind];
    if (entry) closeQuietly(entry.task);
  }
  keptRuntime = null;
  keptModels.clear();
  for (const hook of [...closeHooks]) {
    try {
      hook();
    } catch (error) {
      console.warn("[vision] closing failed:", error);
    }
  }
}

function closeQuietly(task: { close(): void }): void {
  try {
    task.close();
  } catch {
    // Closing a task whose graph already failed can throw; there is nothing left to free.
  }
}
