/**
 * The inference bench page (bundled by esbuild, served by inference/pageServer.ts). It shows
 * the fake camera at 640x480 with a canvas over it, and runs one measurement per page load,
 * called from the section runner: `await window.__bench.run(config)`.
 *
 * Main thread: the game's own InferenceLoop (client/vision/inferenceLoop.ts), warm = after the
 * lobby's real preloadVision. Worker: the same model in inference/worker.ts, driven by
 * requestVideoFrameCallback on the main thread, one frame in flight at a time (the newest
 * camera frame goes out as soon as the previous result is back; older ones are skipped),
 * results drawn with the same bones.
 */
import { PoseLandmarker, type PoseLandmarkerResult } from "@mediapipe/tasks-vision";
import { InferenceLoop } from "@/client/vision/inferenceLoop";
import { preloadVision } from "@/client/vision/preloader";
import { MainThreadDetector } from "@/client/vision/plans/detectors";
import { getVisionTasks } from "@/client/vision/registry";
import type { VisionTasks } from "@/client/vision/registry";
import { POSE_BONES } from "@/core/scoring/bodyPoints";
import { measureInputPaths, type InputBreakdown } from "./inputs";
import type { FromWorker, RunConfig, RunResult, Stats, SteadyResult, ToWorker } from "./types";

declare global {
  interface Window {
    __bench?: { ready: Promise<void>; run(config: RunConfig): Promise<RunResult>; inputs(config: RunConfig, rounds: number): Promise<InputBreakdown> };
  }
}

const video = document.getElementById("camera") as HTMLVideoElement;
const canvas = document.getElementById("overlay") as HTMLCanvasElement;

async function startCamera(): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  video.srcObject = stream;
  await video.play();
  // A few frames in, so the first measured request sees a steady camera.
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => video.requestVideoFrameCallback(() => resolve()));
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : Number.NaN);
  return {
    count: sorted.length,
    mean: sorted.length ? sorted.reduce((sum, value) => sum + value, 0) / sorted.length : Number.NaN,
    p50: at(50),
    p95: at(95),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/** Counts camera frames (rVFC), page frames (rAF) and long tasks between start() and stop(). */
class SteadyMeter {
  loopFrames = 0;
  results = 0;
  posesFound = 0;
  readonly inference: number[] = [];
  readonly frameToResult: number[] = [];
  private rafFrames = 0;
  private longTaskMs = 0;
  private longTaskCount = 0;
  private running = false;
  private startedAt = 0;
  private observer: PerformanceObserver | null = null;

  start(): void {
    this.running = true;
    this.startedAt = performance.now();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        this.longTaskMs += entry.duration;
        this.longTaskCount += 1;
      }
    });
    this.observer.observe({ type: "longtask", buffered: false });
    const onRaf = () => {
      if (!this.running) return;
      this.rafFrames += 1;
      requestAnimationFrame(onRaf);
    };
    requestAnimationFrame(onRaf);
  }

  get active(): boolean {
    return this.running;
  }

  stop(): SteadyResult {
    const durationMs = performance.now() - this.startedAt;
    this.running = false;
    if (this.observer) {
      for (const entry of this.observer.takeRecords()) {
        this.longTaskMs += entry.duration;
        this.longTaskCount += 1;
      }
      this.observer.disconnect();
    }
    const perSecond = (count: number) => (count * 1000) / durationMs;
    return {
      durationMs,
      loopFps: perSecond(this.loopFrames),
      resultsPerSecond: perSecond(this.results),
      rafFps: perSecond(this.rafFrames),
      inferenceMs: stats(this.inference),
      frameToResultMs: stats(this.frameToResult),
      longTaskMs: this.longTaskMs,
      longTaskCount: this.longTaskCount,
      poseFoundShare: this.results ? this.posesFound / this.results : 0,
    };
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

/** Everything the timed part needs is in the HTTP cache (or memory) first: no network in the numbers. */
async function prefetch(config: RunConfig): Promise<ArrayBuffer> {
  const [model] = await Promise.all([
    fetchBytes(config.modelUrl),
    fetchBytes(config.runtime.loader),
    fetchBytes(config.runtime.binary),
    fetchBytes(config.workerUrl),
  ]);
  return model;
}

// ------------------------------------------------------------------------------------ main thread

async function runMain(config: RunConfig): Promise<RunResult> {
  const meter = new SteadyMeter();
  let task: PoseLandmarker;
  let createMs: number | null;
  let lobby: RunResult["lobby"];
  const model = await prefetch(config);
  if (config.start === "warm") {
    const report = await preloadVision({ assets: ["pose_lite"], baseUrl: "", warmupSource: () => video, onProgress: () => undefined });
    const metrics = report.assets.find((asset) => asset.key === "pose_lite");
    lobby = { timeToReadyMs: report.timeToReadyMs, longTaskMs: report.longTaskMs, createMs: metrics?.createMs ?? null, warmupMs: metrics?.warmupMs ?? null };
    task = getVisionTasks().pose!;
    await sleep(300);
  }

  let firstDetectionMs: number | null = null;
  const t0 = performance.now();
  if (config.start === "cold") {
    task = await PoseLandmarker.createFromOptions(
      { wasmLoaderPath: config.runtime.loader, wasmBinaryPath: config.runtime.binary },
      { baseOptions: { modelAssetBuffer: new Uint8Array(model), delegate: "CPU" }, runningMode: "VIDEO", numPoses: 1 },
    );
    createMs = performance.now() - t0;
  } else {
    createMs = lobby?.createMs ?? null;
  }
  const real = task!;
  let detectStartedAt = 0;
  const timed = {
    detectForVideo(source: HTMLVideoElement, timestamp: number): PoseLandmarkerResult {
      detectStartedAt = performance.now();
      const result = real.detectForVideo(source, timestamp);
      const ms = performance.now() - detectStartedAt;
      firstDetectionMs ??= ms;
      if (meter.active) {
        meter.inference.push(ms);
        if (result.landmarks.length > 0) meter.posesFound += 1;
      }
      return result;
    },
  } as unknown as PoseLandmarker;
  const tasks: VisionTasks = { pose: timed };

  let firstResultMs = 0;
  let loopRef: InferenceLoop | null = null;
  const first = new Promise<void>((resolve) => {
    const loop = new InferenceLoop(video, canvas, new MainThreadDetector("main-cpu", (kind) => tasks[kind]), () => {
      if (!firstResultMs) {
        firstResultMs = performance.now() - t0;
        resolve();
      }
      if (meter.active) {
        meter.results += 1;
        meter.frameToResult.push(performance.now() - detectStartedAt);
      }
    });
    loopRef = loop;
    loop.start();
  });
  await first;

  let steady: SteadyResult | null = null;
  if (config.steadyMs > 0) {
    await sleep(500);
    const counting = countCameraFrames(meter);
    meter.start();
    await sleep(config.steadyMs);
    steady = meter.stop();
    counting.stop();
  }
  (loopRef as InferenceLoop | null)?.stop();
  if (config.start === "cold") real.close();
  return {
    variant: "main",
    start: config.start,
    firstResultMs,
    createMs,
    firstDetectionMs: config.start === "warm" ? (lobby?.warmupMs ?? null) : firstDetectionMs,
    ...(lobby ? { lobby } : {}),
    steady,
    userAgent: navigator.userAgent,
  };
}

/** The main-thread loop's camera frames: a second rVFC chain on the same video sees the same callbacks. */
function countCameraFrames(meter: SteadyMeter): { stop(): void } {
  let running = true;
  const onFrame = () => {
    if (!running) return;
    if (meter.active) meter.loopFrames += 1;
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  return { stop: () => (running = false) };
}

// ------------------------------------------------------------------------------------ worker

function drawPoints(points: Float32Array): void {
  const width = video.videoWidth;
  const height = video.videoHeight;
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.clearRect(0, 0, width, height);
  if (points.length === 0) return;
  ctx.strokeStyle = "#34d6c4";
  ctx.lineWidth = 5;
  ctx.lineCap = "round";
  ctx.beginPath();
  for (const [a, b] of POSE_BONES) {
    ctx.moveTo(points[a * 2]! * width, points[a * 2 + 1]! * height);
    ctx.lineTo(points[b * 2]! * width, points[b * 2 + 1]! * height);
  }
  ctx.stroke();
}

async function runWorker(config: RunConfig): Promise<RunResult> {
  const meter = new SteadyMeter();
  const model = await prefetch(config);
  const frameKind = config.variant === "worker-videoframe" ? "videoframe" : "bitmap";
  let worker!: Worker;
  let createMs: number | null = null;
  let ready!: Promise<void>;
  let onResult: (message: Extract<FromWorker, { type: "result" }>) => void = () => undefined;
  let failure: ((error: Error) => void) | null = null;
  const failed = new Promise<never>((_, reject) => (failure = reject));
  failed.catch(() => undefined);

  const startWorker = () => {
    worker = new Worker(config.workerUrl);
    ready = new Promise<void>((resolve) => {
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data;
        if (message.type === "ready") {
          createMs = message.createMs;
          resolve();
        } else if (message.type === "result") onResult(message);
        else failure?.(new Error(`worker: ${message.message}`));
      };
    });
    worker.onerror = (event) => failure?.(new Error(`worker error: ${event.message}`));
    const init: ToWorker = { type: "init", loader: config.runtime.loader, binary: config.runtime.binary, model: model.slice(0) };
    worker.postMessage(init, [init.model]);
  };

  let frameId = 0;
  const grab = async (): Promise<ImageBitmap | VideoFrame> =>
    frameKind === "bitmap" ? createImageBitmap(video) : new VideoFrame(video, { timestamp: Math.round(performance.now() * 1000) });
  const sendFrame = async (): Promise<{ id: number; grabbedAt: number }> => {
    const grabbedAt = performance.now();
    const frame = await grab();
    const id = ++frameId;
    const message: ToWorker = { type: "frame", id, frame };
    worker.postMessage(message, [frame]);
    return { id, grabbedAt };
  };

  let firstDetectionMs: number | null = null;
  if (config.start === "warm") {
    startWorker();
    await Promise.race([ready, failed]);
    // The lobby's warm-up: one detection on a real frame before the game starts.
    const warmed = new Promise<number>((resolve) => (onResult = (message) => resolve(message.inferenceMs)));
    await sendFrame();
    firstDetectionMs = await Promise.race([warmed, failed]);
    await sleep(300);
  }

  // The loop: one frame in flight. A camera frame that arrives while the worker is busy is not
  // queued; it is remembered, and the newest frame goes out as soon as the result comes back,
  // so the worker never waits for the next camera frame when one is already there.
  let running = true;
  let inFlight: { id: number; grabbedAt: number } | null = null;
  let busy = false;
  let newFrameWaiting = false;
  let firstResultMs = 0;
  let resolveFirst!: () => void;
  const first = new Promise<void>((resolve) => (resolveFirst = resolve));
  const offer = () => {
    if (!running || inFlight || busy) return;
    busy = true;
    newFrameWaiting = false;
    sendFrame()
      .then((sent) => (inFlight = sent))
      .catch((error: unknown) => failure?.(error instanceof Error ? error : new Error(String(error))))
      .finally(() => (busy = false));
  };
  onResult = (message) => {
    drawPoints(message.landmarks);
    const now = performance.now();
    if (!firstResultMs) {
      firstResultMs = now - t0;
      if (config.start === "cold") firstDetectionMs = message.inferenceMs;
      resolveFirst();
    }
    if (meter.active) {
      meter.results += 1;
      meter.inference.push(message.inferenceMs);
      if (inFlight) meter.frameToResult.push(now - inFlight.grabbedAt);
      if (message.landmarks.length > 0) meter.posesFound += 1;
    }
    inFlight = null;
    if (newFrameWaiting) offer();
  };
  const onVideoFrame = () => {
    if (!running) return;
    if (meter.active) meter.loopFrames += 1;
    newFrameWaiting = true;
    offer();
    video.requestVideoFrameCallback(onVideoFrame);
  };

  const t0 = performance.now();
  if (config.start === "cold") startWorker();
  video.requestVideoFrameCallback(onVideoFrame);
  await Promise.race([first, failed]);

  let steady: SteadyResult | null = null;
  if (config.steadyMs > 0) {
    await sleep(500);
    meter.start();
    await Promise.race([sleep(config.steadyMs), failed]);
    steady = meter.stop();
  }
  running = false;
  worker.terminate();
  return {
    variant: config.variant,
    start: config.start,
    firstResultMs,
    createMs,
    firstDetectionMs,
    steady,
    userAgent: navigator.userAgent,
  };
}

const ready = startCamera();
window.__bench = {
  ready,
  async run(config: RunConfig): Promise<RunResult> {
    await ready;
    return config.variant === "main" ? runMain(config) : runWorker(config);
  },
  async inputs(config: RunConfig, rounds: number): Promise<InputBreakdown> {
    await ready;
    const model = await prefetch(config);
    return measureInputPaths(
      video,
      () =>
        PoseLandmarker.createFromOptions(
          { wasmLoaderPath: config.runtime.loader, wasmBinaryPath: config.runtime.binary },
          { baseOptions: { modelAssetBuffer: new Uint8Array(model), delegate: "CPU" }, runningMode: "VIDEO", numPoses: 1 },
        ),
      rounds,
    );
  },
};
