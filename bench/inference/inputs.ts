/**
 * Where one detection's time goes, by input path (runs in the bench page, after the lobby's real
 * preload of pose lite). tasks-vision's CPU path uploads every input into a WebGL texture and reads
 * it back for XNNPACK (Chromium logs "GPU stall due to ReadPixels"), then resizes it to the
 * model's input, runs the detector/landmark models and copies the landmarks out. The model part
 * does not depend on the input's size; the upload and readback grow with its pixels. So detecting
 * the same camera frame at several sizes separates them: with conversion proportional to pixels,
 * t(size) = model + k * pixels, fitted by least squares over the sizes.
 *
 * Each round detects the current camera frame once through every variant (interleaved, so load
 * on the machine hits all alike), with strictly increasing timestamps per variant's own task.
 */
import type { PoseLandmarker } from "@mediapipe/tasks-vision";

export interface InputVariantResult {
  variant: string;
  width: number;
  height: number;
  /** detectForVideo alone. */
  detectMsP50: number;
  detectMsP95: number;
  /** Making the input from the video first (drawImage, getImageData, createImageBitmap); 0 for the video itself. */
  prepareMsP50: number;
  /** Copying the 33 landmarks into plain objects (what a worker posts back; the game reads them in place). */
  copyMsP50: number;
  /** Mean distance of the landmarks from the full-size video's, in shares of the frame's width/height. */
  landmarkShiftMean: number | null;
  posesFound: number;
}

export interface InputBreakdown {
  rounds: number;
  variants: InputVariantResult[];
  /** Least-squares fit over the canvas sizes: fixed part and per-megapixel part of a detection. */
  fit: { modelMs: number; conversionMsPerMegapixel: number; conversionMsAt640x480: number } | null;
}

type Prepared = { source: TexImageSource; prepareMs: number; close?: () => void };

export async function measureInputPaths(video: HTMLVideoElement, createTask: () => Promise<PoseLandmarker>, rounds: number): Promise<InputBreakdown> {
  const width = video.videoWidth;
  const height = video.videoHeight;
  const canvasOf = (w: number, h: number) => {
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    return canvas;
  };
  const drawScaled = (w: number, h: number) => {
    const canvas = canvasOf(w, h);
    const context = canvas.getContext("2d")!;
    return (): Prepared => {
      const began = performance.now();
      context.drawImage(video, 0, 0, w, h);
      return { source: canvas, prepareMs: performance.now() - began };
    };
  };
  const imageData = (() => {
    const canvas = canvasOf(width, height);
    const context = canvas.getContext("2d", { willReadFrequently: true })!;
    return (): Prepared => {
      const began = performance.now();
      context.drawImage(video, 0, 0);
      const data = context.getImageData(0, 0, width, height);
      return { source: data, prepareMs: performance.now() - began };
    };
  })();
  const variants: { name: string; w: number; h: number; prepare: () => Prepared | Promise<Prepared>; canvasSize: boolean }[] = [
    { name: "video element (the game)", w: width, h: height, prepare: () => ({ source: video, prepareMs: 0 }), canvasSize: false },
    { name: "canvas 640x480", w: 640, h: 480, prepare: drawScaled(640, 480), canvasSize: true },
    { name: "canvas 480x360", w: 480, h: 360, prepare: drawScaled(480, 360), canvasSize: true },
    { name: "canvas 320x240", w: 320, h: 240, prepare: drawScaled(320, 240), canvasSize: true },
    { name: "canvas 256x192", w: 256, h: 192, prepare: drawScaled(256, 192), canvasSize: true },
    { name: "ImageData 640x480", w: width, h: height, prepare: imageData, canvasSize: false },
    {
      name: "ImageBitmap 640x480",
      w: width,
      h: height,
      prepare: async () => {
        const began = performance.now();
        const bitmap = await createImageBitmap(video);
        return { source: bitmap, prepareMs: performance.now() - began, close: () => bitmap.close() };
      },
      canvasSize: false,
    },
    {
      name: "ImageBitmap 320x240 (resized)",
      w: 320,
      h: 240,
      prepare: async () => {
        const began = performance.now();
        const bitmap = await createImageBitmap(video, { resizeWidth: 320, resizeHeight: 240, resizeQuality: "low" });
        return { source: bitmap, prepareMs: performance.now() - began, close: () => bitmap.close() };
      },
      canvasSize: false,
    },
  ];
  // One task per variant: VIDEO mode tracks the previous frame's pose, so variants must not share one.
  const tasks: PoseLandmarker[] = [];
  for (let i = 0; i < variants.length; i++) tasks.push(await createTask());
  const samples = variants.map(() => ({ detect: [] as number[], prepare: [] as number[], copy: [] as number[], shift: [] as number[], found: 0 }));
  const timestamps = variants.map(() => 0);
  try {
    for (let round = 0; round < rounds; round++) {
      await new Promise<void>((resolve) => video.requestVideoFrameCallback(() => resolve()));
      let reference: { x: number; y: number }[] | null = null;
      for (let v = 0; v < variants.length; v++) {
        const prepared = await variants[v]!.prepare();
        timestamps[v] = Math.max(performance.now(), timestamps[v]! + 1);
        const began = performance.now();
        const result = tasks[v]!.detectForVideo(prepared.source, timestamps[v]!);
        const detectMs = performance.now() - began;
        prepared.close?.();
        const landmarks = result.landmarks[0];
        const copyBegan = performance.now();
        const copied = landmarks ? landmarks.map(({ x, y, z, visibility }) => ({ x, y, z, visibility })) : null;
        const copyMs = performance.now() - copyBegan;
        // The first rounds include each task's own warm-up: not counted.
        if (round < 3) continue;
        const sample = samples[v]!;
        sample.detect.push(detectMs);
        sample.prepare.push(prepared.prepareMs);
        sample.copy.push(copyMs);
        if (copied) {
          sample.found += 1;
          if (v === 0) reference = copied;
          else if (reference) {
            let sum = 0;
            for (let i = 0; i < copied.length; i++) sum += Math.hypot(copied[i]!.x - reference[i]!.x, copied[i]!.y - reference[i]!.y);
            sample.shift.push(sum / copied.length);
          }
        }
      }
    }
  } finally {
    for (const task of tasks) task.close();
  }
  const results: InputVariantResult[] = variants.map((variant, v) => {
    const sample = samples[v]!;
    return {
      variant: variant.name,
      width: variant.w,
      height: variant.h,
      detectMsP50: round2(percentile(sample.detect, 50)),
      detectMsP95: round2(percentile(sample.detect, 95)),
      prepareMsP50: round2(percentile(sample.prepare, 50)),
      copyMsP50: round2(percentile(sample.copy, 50)),
      landmarkShiftMean: v === 0 ? 0 : sample.shift.length ? round2(sample.shift.reduce((a, b) => a + b, 0) / sample.shift.length, 4) : null,
      posesFound: sample.found,
    };
  });
  const points = variants.flatMap((variant, v) => (variant.canvasSize ? [{ pixels: (variant.w * variant.h) / 1e6, ms: results[v]!.detectMsP50 }] : []));
  return { rounds, variants: results, fit: fitLine(points) };
}

function fitLine(points: { pixels: number; ms: number }[]): InputBreakdown["fit"] {
  const usable = points.filter((p) => Number.isFinite(p.ms));
  if (usable.length < 2) return null;
  const n = usable.length;
  const meanX = usable.reduce((s, p) => s + p.pixels, 0) / n;
  const meanY = usable.reduce((s, p) => s + p.ms, 0) / n;
  const sxx = usable.reduce((s, p) => s + (p.pixels - meanX) ** 2, 0);
  const sxy = usable.reduce((s, p) => s + (p.pixels - meanX) * (p.ms - meanY), 0);
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = meanY - slope * meanX;
  return { modelMs: round2(intercept), conversionMsPerMegapixel: round2(slope), conversionMsAt640x480: round2(slope * 0.3072) };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function round2(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
