/**
 * The inference worker: the same tasks-vision tasks as the page's, created here from bytes the
 * lobby already downloaded (no second download, no second compile: the page posts its compiled
 * runtime), for the worker inference plans (core/inferencePlan.ts).
 *
 * Bundled by scripts/build-vision-worker.ts as a classic-worker IIFE to
 * public/vision/inference-worker.js: tasks-vision 1.1.0 loads its WASM loader with importScripts
 * in a classic worker (a module worker has no importScripts). Messages run one at a time, in order:
 * creates must not overlap (tasks-vision hands its loader over through globals).
 */
import * as vision from "@mediapipe/tasks-vision";
import type { VisionAssetKind, VisionAssetName } from "@/core/visionManifest";
import { describe } from "../errors";
import { detectWithKind, sourceSize, type VisionTask } from "../modelKinds";
import { closeQuietly, createTask } from "../runtime";
import type { FromInferenceWorker, ToInferenceWorker, WorkerFrame } from "./messages";

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToInferenceWorker>) => void) | null;
  postMessage(message: FromInferenceWorker): void;
}
const scope = self as unknown as WorkerScope;

const tasks = new Map<VisionAssetKind, { asset: VisionAssetName; task: VisionTask }>();
let loaderUrl: string | null = null;
/** VIDEO mode wants strictly increasing timestamps per task. */
let lastTimestamp = 0;

function nextTimestamp(): number {
  lastTimestamp = Math.max(performance.now(), lastTimestamp + 1);
  return lastTimestamp;
}

function closeFrame(frame: WorkerFrame | null): void {
  try {
    frame?.close();
  } catch {
    // Already closed or detached.
  }
}

async function handle(message: ToInferenceWorker): Promise<void> {
  switch (message.type) {
    case "ping":
      return scope.postMessage({ type: "pong", id: message.id });
    case "create": {
      try {
        loaderUrl ??= URL.createObjectURL(new Blob([message.loader], { type: "text/javascript" }));
        const began = performance.now();
        // The binary path is never fetched: createTask instantiates the posted module.
        const fileset = { wasmLoaderPath: loaderUrl, wasmBinaryPath: loaderUrl };
        const task = await createTask(vision, fileset, message.runtime, message.kind, message.model, message.delegate);
        const previous = tasks.get(message.kind);
        if (previous) closeQuietly(previous.task);
        tasks.set(message.kind, { asset: message.asset, task });
        const createMs = performance.now() - began;
        let warmupMs: number | null = null;
        if (message.warmupFrame) {
          const warmupBegan = performance.now();
          const { width, height } = sourceSize(message.warmupFrame);
          detectWithKind(message.kind, task, message.warmupFrame, nextTimestamp(), width, height);
          warmupMs = performance.now() - warmupBegan;
        }
        scope.postMessage({ type: "created", id: message.id, createMs, warmupMs });
      } finally {
        closeFrame(message.warmupFrame);
      }
      return;
    }
    case "detect": {
      try {
        const entry = tasks.get(message.kind);
        if (!entry) throw new Error(`no ${message.kind} task in the worker`);
        const { width, height } = sourceSize(message.frame);
        const began = performance.now();
        const detection = detectWithKind(message.kind, entry.task, message.frame, nextTimestamp(), width, height);
        const detectMs = performance.now() - began;
        // Posting clones the landmarks (33 or 2 x 21 small objects): cheap next to the detection.
        scope.postMessage({ type: "detected", id: message.id, detection, detectMs });
      } finally {
        closeFrame(message.frame);
      }
      return;
    }
    case "close":
      for (const { task } of tasks.values()) closeQuietly(task);
      tasks.clear();
      return;
  }
}

let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event) => {
  const message = event.data;
  queue = queue.then(() =>
    handle(message).catch((error: unknown) => {
      if (message.type === "create" || message.type === "detect") closeFrame(message.type === "create" ? message.warmupFrame : message.frame);
      scope.postMessage({ type: "failed", id: "id" in message ? message.id : null, message: describe(error) });
    }),
  );
};
