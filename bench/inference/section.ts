/**
 * Inference: headless Chromium with the messi5 fake camera (640x480), pose lite on the CPU.
 * Variants: the game's main-thread loop, and the same model in a Web Worker fed transferred
 * ImageBitmaps or VideoFrames. Each measurement runs in a fresh browser context (own renderer,
 * empty HTTP cache), so nothing compiled by one run helps the next.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { chromium, type Page } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumExecutablePath } from "../../e2e/support/chromium";
import { fakeVideo } from "../../e2e/support/fakeVideo";
import { parseVisionManifest, findVisionAsset } from "../../core/visionManifest";
import { REPO_ROOT } from "../lib/proc";
import { round } from "../lib/stats";
import { startPageServer } from "./pageServer";
import type { InputBreakdown } from "./inputs";
import type { PlanBenchData } from "./plans/options";
import type { InferenceVariant, RunConfig, RunResult, SteadyResult } from "./types";

export interface InferenceOptions {
  smoke: boolean;
  variants: InferenceVariant[];
  /** Cold and warm first-result runs per variant (the median is reported). */
  repetitions: number;
  steadyMs: number;
  log: (line: string) => void;
}

export function inferenceOptions(smoke: boolean, log: (line: string) => void): InferenceOptions {
  return {
    smoke,
    variants: ["main", "worker-bitmap", "worker-videoframe"],
    repetitions: smoke ? 1 : 3,
    steadyMs: smoke ? 2_000 : 15_000,
    log,
  };
}

export interface VariantSummary {
  variant: InferenceVariant;
  /** Median first request -> first drawn result, cold (create + first detection). */
  coldFirstResultMs: number | null;
  coldRuns: number[];
  coldCreateMs: number | null;
  coldFirstDetectionMs: number | null;
  /** Median first request -> first drawn result with the task created and warmed up before (the lobby's way). */
  warmFirstResultMs: number | null;
  warmRuns: number[];
  steady: SteadyResult | null;
  lobby?: RunResult["lobby"];
  error?: string;
}

export interface InferenceSectionData extends Partial<PlanBenchData> {
  /** `--only inference.plans`: the variants below were not measured. */
  variantsSkipped?: boolean;
  /** The plans part (plans.ts) broke instead of measuring. */
  plansError?: string;
  camera: { video: string; width: number; height: number; fps: number };
  model: string;
  delegate: "CPU";
  steadyMs: number;
  repetitions: number;
  userAgent: string | null;
  variants: VariantSummary[];
  /** Where one detection's time goes, by input path (bench/inference/inputs.ts). */
  inputs?: InputBreakdown | { error: string };
  /** worker / main, for each worker variant. */
  ratios: Record<
    string,
    { loopFps: number | null; resultsPerSecond: number | null; inferenceMean: number | null; coldFirstResult: number | null; warmFirstResult: number | null }
  >;
  reference: typeof PUBLISHED;
}

/** The published experiment this product's design follows: MediaPipe pose on a MacBook. */
export const PUBLISHED = {
  source: "published experiment (MediaPipe pose, MacBook)",
  main: { fps: 49.4, inferenceMs: 20.57, firstRenderMs: 803 },
  worker: { fps: 18.97, inferenceMs: 53.47, firstRenderMs: 941 },
};

const median = (values: number[]) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export async function runInferenceSection(options: InferenceOptions): Promise<InferenceSectionData> {
  const manifest = parseVisionManifest(JSON.parse(readFileSync(path.join(REPO_ROOT, "public/vision/manifest.json"), "utf8")));
  const loader = manifest.runtime.files.find((file) => file.name === "vision_wasm_internal.js");
  const binary = manifest.runtime.files.find((file) => file.name === "vision_wasm_internal.wasm");
  const pose = findVisionAsset(manifest, "pose_lite");
  if (!loader || !binary || !pose) throw new Error("public/vision/manifest.json lacks the SIMD runtime or pose_lite (run npm run vision:build)");
  const video = fakeVideo("messi5");
  const server = await startPageServer();
  const browser = await chromium.launch({
    executablePath: chromiumExecutablePath(),
    headless: true,
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${video.path}`],
  });
  const abs = (url: string) => new URL(url, server.url).toString();
  const base = { runtime: { loader: abs(loader.url), binary: abs(binary.url) }, modelUrl: abs(pose.url), workerUrl: abs("/bench/worker.js") };
  let userAgent: string | null = null;

  const once = async <Result = RunResult>(
    config: RunConfig,
    measure: (page: Page, config: RunConfig) => Promise<Result> = (page, runConfig) =>
      page.evaluate((c) => window.__bench!.run(c), runConfig) as Promise<Result>,
  ): Promise<Result> => {
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    try {
      await context.grantPermissions(["camera"], { origin: server.url });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(server.url);
      await page.waitForFunction(() => window.__bench !== undefined);
      await page.evaluate(() => window.__bench!.ready);
      const timeoutMs = 60_000 + config.steadyMs;
      const result = await Promise.race([
        measure(page, config),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`run timed out after ${timeoutMs} ms ${errors.join("; ")}`)), timeoutMs)),
      ]);
      if (typeof result === "object" && result !== null && "userAgent" in result) userAgent ??= String(result.userAgent);
      return result;
    } finally {
      await context.close();
    }
  };

  const variants: VariantSummary[] = [];
  let inputs: InferenceSectionData["inputs"];
  try {
    for (const variant of options.variants) {
      const summary: VariantSummary = {
        variant,
        coldFirstResultMs: null,
        coldRuns: [],
        coldCreateMs: null,
        coldFirstDetectionMs: null,
        warmFirstResultMs: null,
        warmRuns: [],
        steady: null,
      };
      try {
        const colds: RunResult[] = [];
        for (let rep = 0; rep < options.repetitions; rep++) {
          colds.push(await once({ ...base, variant, start: "cold", steadyMs: 0 }));
        }
        const warms: RunResult[] = [];
        for (let rep = 0; rep < options.repetitions; rep++) {
          // The steady-state window runs once, in the last warm run (as in a game after the lobby).
          const last = rep === options.repetitions - 1;
          warms.push(await once({ ...base, variant, start: "warm", steadyMs: last ? options.steadyMs : 0 }));
        }
        summary.coldRuns = colds.map((run) => round(run.firstResultMs, 0)!);
        summary.coldFirstResultMs = round(median(colds.map((run) => run.firstResultMs)), 0);
        summary.coldCreateMs = round(median(colds.flatMap((run) => (run.createMs === null ? [] : [run.createMs]))), 0);
        summary.coldFirstDetectionMs = round(median(colds.flatMap((run) => (run.firstDetectionMs === null ? [] : [run.firstDetectionMs]))), 0);
        summary.warmRuns = warms.map((run) => round(run.firstResultMs, 0)!);
        summary.warmFirstResultMs = round(median(warms.map((run) => run.firstResultMs)), 0);
        summary.steady = roundSteady(warms.at(-1)?.steady ?? null);
        const lobby = warms.at(-1)?.lobby;
        if (lobby) summary.lobby = lobby;
        options.log(
          `inference ${variant}: cold ${summary.coldFirstResultMs} ms, warm ${summary.warmFirstResultMs} ms, ` +
            `${round(summary.steady?.resultsPerSecond)} results/s, inference mean ${round(summary.steady?.inferenceMs.mean)} ms, long tasks ${round(summary.steady?.longTaskMs, 0)} ms`,
        );
      } catch (error) {
        summary.error = error instanceof Error ? error.message : String(error);
        options.log(`inference ${variant}: FAILED ${summary.error}`);
      }
      variants.push(summary);
    }
    inputs = await once({ ...base, variant: "main", start: "warm", steadyMs: 0 }, (page, config) =>
      page.evaluate(([runConfig, rounds]) => window.__bench!.inputs(runConfig, rounds), [config, options.smoke ? 6 : 40] as const),
    ).catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
    if ("fit" in inputs) options.log(`inference inputs: ${JSON.stringify(inputs.fit)}`);
  } finally {
    await browser.close();
    await server.close();
  }
  if (variants.every((variant) => variant.error)) throw new Error(`every variant failed: ${variants.map((variant) => variant.error).join("; ")}`);

  const main = variants.find((variant) => variant.variant === "main" && !variant.error);
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? round(a / b, 2) : null);
  const ratios: InferenceSectionData["ratios"] = {};
  for (const variant of variants) {
    if (variant.variant === "main" || variant.error || !main) continue;
    ratios[variant.variant] = {
      loopFps: ratio(variant.steady?.loopFps, main.steady?.loopFps),
      resultsPerSecond: ratio(variant.steady?.resultsPerSecond, main.steady?.resultsPerSecond),
      inferenceMean: ratio(variant.steady?.inferenceMs.mean, main.steady?.inferenceMs.mean),
      coldFirstResult: ratio(variant.coldFirstResultMs, main.coldFirstResultMs),
      warmFirstResult: ratio(variant.warmFirstResultMs, main.warmFirstResultMs),
    };
  }
  return {
    camera: { video: "messi5 (e2e/support/fakeVideo.ts)", width: video.width, height: video.height, fps: 30 },
    model: `pose_lite (${pose.url})`,
    delegate: "CPU",
    steadyMs: options.steadyMs,
    repetitions: options.repetitions,
    userAgent,
    variants,
    ...(inputs ? { inputs } : {}),
    ratios,
    reference: PUBLISHED,
  };
}

/** The section's frame when only the plans part runs (`--only inference.plans`). */
export function variantsSkipped(options: InferenceOptions): InferenceSectionData {
  return {
    variantsSkipped: true,
    camera: { video: "messi5 (e2e/support/fakeVideo.ts)", width: 640, height: 480, fps: 30 },
    model: "pose_lite",
    delegate: "CPU",
    steadyMs: options.steadyMs,
    repetitions: 0,
    userAgent: null,
    variants: [],
    ratios: {},
    reference: PUBLISHED,
  };
}

function roundSteady(steady: SteadyResult | null): SteadyResult | null {
  if (!steady) return null;
  const stat = (s: SteadyResult["inferenceMs"]) => ({
    count: s.count,
    mean: round(s.mean, 2)!,
    p50: round(s.p50, 2)!,
    p95: round(s.p95, 2)!,
    max: round(s.max, 2)!,
  });
  return {
    durationMs: round(steady.durationMs, 0)!,
    loopFps: round(steady.loopFps, 2)!,
    resultsPerSecond: round(steady.resultsPerSecond, 2)!,
    rafFps: round(steady.rafFps, 2)!,
    inferenceMs: stat(steady.inferenceMs),
    frameToResultMs: stat(steady.frameToResultMs),
    longTaskMs: round(steady.longTaskMs, 0)!,
    longTaskCount: steady.longTaskCount,
    poseFoundShare: round(steady.poseFoundShare, 3)!,
  };
}
