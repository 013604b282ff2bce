/**
 * The Web Worker variant of the inference bench: the same PoseLandmarker (pose lite, VIDEO mode,
 * CPU) in a classic worker. Bundled as an IIFE: tasks-vision 1.1.0 loads its WASM loader with
 * importScripts in classic workers (in a module worker importScripts throws and the loader's
 * `var ModuleFactory` would not become a global).
 *
 * Takes transferred ImageBitmap or VideoFrame frames, closes them, posts back the landmarks'
 * x/y as a transferred Float32Array and how long detectForVideo took.
 */
import { PoseLandmarker } from "@mediapipe/tasks-vision";
import type { FromWorker, ToWorker } from "./types";

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

let landmarker: Promise<PoseLandmarker> | null = null;
let lastTimestamp = 0;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

async function handle(message: ToWorker): Promise<void> {
  if (message.type === "init") {
    const began = performance.now();
    landmarker = PoseLandmarker.createFromOptions(
      { wasmLoaderPath: message.loader, wasmBinaryPath: message.binary },
      { baseOptions: { modelAssetBuffer: new Uint8Array(message.model), delegate: "CPU" }, runningMode: "VIDEO", numPoses: 1 },
    );
    await landmarker;
    post({ type: "ready", createMs: performance.now() - began });
    return;
  }
  const { frame, id } = message;
  try {
    if (!landmarker) throw new Error("frame before init");
    const task = await landmarker;
    const timestamp = Math.max(performance.now(), lastTimestamp + 1);
    lastTimestamp = timestamp;
    const began = performance.now();
    const result = task.detectForVideo(frame, timestamp);
    const inferenceMs = performance.now() - began;
    const landmarks = result.landmarks[0] ?? [];
    const points = new Float32Array(landmarks.length * 2);
    for (let i = 0; i < landmarks.length; i++) {
      points[i * 2] = landmarks[i]!.x;
      points[i * 2 + 1] = landmarks[i]!.y;
    }
    post({ type: "result", id, inferenceMs, landmarks: points }, [points.buffer]);
  } finally {
    frame.close();
  }
}

scope.onmessage = (event) => {
  handle(event.data).catch((error: unknown) => post({ type: "error", message: error instanceof Error ? error.message : String(error) }));
};
