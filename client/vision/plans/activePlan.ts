/**
 * The inference plan this page plays with, chosen in the lobby (settlePlan.ts) and read by the
 * game (gameDetector). Until the lobby chooses, and after the player leaves, it is main-CPU with
 * the registry's tasks. Owns what a plan created besides those: the inference worker and GPU tasks.
 */
import { DEFAULT_PLAN_ID, INFERENCE_PLANS, type InferencePlan, type InferencePlanId } from "@/core/inferencePlan";
import type { VisionAssetKind, VisionAssetName } from "@/core/visionManifest";
import type { VisionTask } from "../modelKinds";
import { getVisionTasks, onVisionClose } from "../registry";
import { closeQuietly } from "../runtime";
import type { InferenceWorker } from "../worker/workerClient";
import { FallbackDetector, MainThreadDetector, WorkerDetector, type FrameDetector } from "./detectors";

export type PlanSource = "measured" | "remembered" | "default" | "forced";

export interface ActivePlanInfo {
  plan: InferencePlan;
  /** Median detection time measured for it (the remembered figure when not measured again). */
  detectMsP50: number | null;
  source: PlanSource;
}

/** Main-thread CPU detections with the tasks the lobby's preload created. */
export function mainCpuDetector(): MainThreadDetector {
  return new MainThreadDetector("main-cpu", (kind) => getVisionTasks()[kind]);
}

let info: ActivePlanInfo = { plan: INFERENCE_PLANS[DEFAULT_PLAN_ID], detectMsP50: null, source: "default" };
let worker: InferenceWorker | null = null;
const gpuTasks = new Map<VisionAssetKind, { asset: VisionAssetName; task: VisionTask }>();

export function activePlanInfo(): ActivePlanInfo {
  return info;
}

export function setActivePlan(next: ActivePlanInfo): void {
  info = next;
  // What the chosen plan does not use goes now: a worker's heaps, the GPU's textures.
  if (next.plan.thread !== "worker") closeWorker();
  if (next.plan.delegate !== "GPU") closeGpuTasks();
}

/** The detector for the game: the active plan's, falling back to main-CPU if it stops working. */
export function gameDetector(): FrameDetector {
  const main = mainCpuDetector();
  const { plan } = info;
  if (plan.thread === "worker" && worker && worker.failed === null) {
    const running = worker;
    const kinds = new Set<VisionAssetKind>((["pose", "hand", "face"] as const).filter((kind) => getVisionTasks()[kind] !== undefined));
    return new FallbackDetector(new WorkerDetector(plan.id, running, kinds), main, () => running.failed?.message ?? null);
  }
  if (plan.delegate === "GPU" && gpuTasks.size > 0) {
    const gpu = new MainThreadDetector(plan.id, (kind) => gpuTasks.get(kind)?.task);
    return new FallbackDetector(gpu, main, () => gpu.brokenReason);
  }
  return main;
}

export function planWorker(): InferenceWorker | null {
  return worker && worker.failed === null ? worker : null;
}

export function setPlanWorker(next: InferenceWorker | null): void {
  if (worker && worker !== next) worker.close();
  worker = next;
}

export function gpuTask(kind: VisionAssetKind, asset: VisionAssetName): VisionTask | undefined {
  const entry = gpuTasks.get(kind);
  return entry?.asset === asset ? entry.task : undefined;
}

export function storeGpuTask(kind: VisionAssetKind, asset: VisionAssetName, task: VisionTask): void {
  const previous = gpuTasks.get(kind);
  if (previous && previous.task !== task) closeQuietly(previous.task);
  gpuTasks.set(kind, { asset, task });
}

export function gpuTaskOf(kind: VisionAssetKind): VisionTask | undefined {
  return gpuTasks.get(kind)?.task;
}

function closeWorker(): void {
  worker?.close();
  worker = null;
}

function closeGpuTasks(): void {
  for (const { task } of gpuTasks.values()) closeQuietly(task);
  gpuTasks.clear();
}

onVisionClose(() => {
  closeWorker();
  closeGpuTasks();
  info = { plan: INFERENCE_PLANS[DEFAULT_PLAN_ID], detectMsP50: null, source: "default" };
});

export function planIdLabel(id: InferencePlanId): string {
  return INFERENCE_PLANS[id].thread === "worker" ? "worker" : INFERENCE_PLANS[id].delegate === "GPU" ? "gpu" : "main";
}
