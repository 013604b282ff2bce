/**
 * Where and how often a player's device runs detection during the game: the inference plan, and
 * the one rule that picks it from the lobby's measurements (docs/vision-preload.md, "Inference
 * plans"). Pure: the lobby measures (client/vision/plans/), this decides.
 *
 * Main thread + CPU is the default and the first choice: it is what fast devices prefer (a worker
 * pays for every frame crossing the thread boundary). On slow devices a detection on the main
 * thread holds up every frame the page draws, the friends' video tiles included; there a worker,
 * or a capped detection rate, keeps the page smooth. Only measurement on the device can tell.
 */

/** The plans a device may run; in order of preference when two measure alike. */
export const INFERENCE_PLAN_IDS = ["main-cpu", "main-gpu", "worker-cpu", "main-cpu-capped", "worker-cpu-capped"] as const;
export type InferencePlanId = (typeof INFERENCE_PLAN_IDS)[number];

export interface InferencePlan {
  readonly id: InferencePlanId;
  /** Where detectForVideo runs: the page's own thread, or one dedicated worker. */
  readonly thread: "main" | "worker";
  readonly delegate: "CPU" | "GPU";
  /** At most this many detections a second; null: one per new camera frame. */
  readonly maxDetectionsPerSecond: number | null;
}

/**
 * A capped plan's rate: comfortably above MIN_RESULTS_PER_SECOND, so a hold still sees its five
 * samples (core/scoring/hold.ts) within a well-held pose, and a third of a 30 fps camera's work.
 */
export const CAPPED_DETECTIONS_PER_SECOND = 10;

export const INFERENCE_PLANS: Readonly<Record<InferencePlanId, InferencePlan>> = {
  "main-cpu": { id: "main-cpu", thread: "main", delegate: "CPU", maxDetectionsPerSecond: null },
  "main-gpu": { id: "main-gpu", thread: "main", delegate: "GPU", maxDetectionsPerSecond: null },
  "worker-cpu": { id: "worker-cpu", thread: "worker", delegate: "CPU", maxDetectionsPerSecond: null },
  "main-cpu-capped": { id: "main-cpu-capped", thread: "main", delegate: "CPU", maxDetectionsPerSecond: CAPPED_DETECTIONS_PER_SECOND },
  "worker-cpu-capped": { id: "worker-cpu-capped", thread: "worker", delegate: "CPU", maxDetectionsPerSecond: CAPPED_DETECTIONS_PER_SECOND },
};

export const DEFAULT_PLAN_ID: InferencePlanId = "main-cpu";

/** The page counts as smooth at this many frames a second or more. */
export const SMOOTH_PAGE_FPS = 50;
/**
 * Fewest results a second a plan may give and still be chosen when no plan is smooth: a hold needs
 * 5 samples spanning 300 ms (core/scoring/hold.ts), which 8 a second gives within 0.6 s.
 */
export const MIN_RESULTS_PER_SECOND = 8;
/**
 * Where no plan gives MIN_RESULTS_PER_SECOND, every plan scores poorly and the call still has to
 * stay smooth: the smoothest page among the plans giving at least this share of the most results.
 */
export const SCARCE_RESULTS_SHARE = 0.75;
/** Results a second within this fraction of the best count as equal (noise), preferring the earlier plan. */
export const RESULTS_TIE_FRACTION = 0.1;
/** Page frame rates within this many frames a second count as equal. */
export const PAGE_FPS_TIE = 3;

/** What the lobby measured for one plan, on the player's own camera, over the same window. */
export interface PlanMeasurement {
  readonly plan: InferencePlanId;
  /** Frames the page drew a second (requestAnimationFrame) while this plan detected. */
  readonly pageFps: number;
  /** Detections that finished a second. */
  readonly resultsPerSecond: number;
  /** Median time of one detection (for a worker: request to result, as the game sees it). */
  readonly detectMsP50: number;
}

export type PlanChoiceReason =
  /** The page stayed smooth; the most results among the smooth plans. */
  | "smooth"
  /** Nothing kept the page smooth; the smoothest page that still gives enough results. */
  | "smoothest"
  /**
   * Nothing gave enough results for a good hold: the smoothest page among the plans giving nearly
   * the most (SCARCE_RESULTS_SHARE), so the call is not frozen for a game that is slow anyway.
   */
  | "scarce"
  /** Nothing gave a result (or nothing was measured): the default. */
  | "default";

export interface PlanChoice {
  readonly plan: InferencePlanId;
  readonly reason: PlanChoiceReason;
}

/**
 * The rule: among the plans that kept the page at SMOOTH_PAGE_FPS or more (with at least
 * MIN_RESULTS_PER_SECOND), the one with the most results a second; where none did, the one with
 * the highest page frame rate that still gave MIN_RESULTS_PER_SECOND; where none did either, the
 * highest page frame rate among the plans that gave SCARCE_RESULTS_SHARE of the most results; with
 * no result at all, main-CPU. Near-equal numbers (RESULTS_TIE_FRACTION,
 * PAGE_FPS_TIE) go to the plan earlier in INFERENCE_PLAN_IDS, so a fast device keeps the main thread.
 */
export function choosePlan(measurements: readonly PlanMeasurement[]): PlanChoice {
  const usable = measurements.filter((m) => Number.isFinite(m.pageFps) && Number.isFinite(m.resultsPerSecond) && m.resultsPerSecond > 0);
  // A smooth page with too few results for a hold is no game: both conditions, always.
  const smooth = usable.filter((m) => m.pageFps >= SMOOTH_PAGE_FPS && m.resultsPerSecond >= MIN_RESULTS_PER_SECOND);
  if (smooth.length > 0) {
    const best = Math.max(...smooth.map((m) => m.resultsPerSecond));
    const near = smooth.filter((m) => m.resultsPerSecond >= best * (1 - RESULTS_TIE_FRACTION));
    return { plan: firstByPreference(near), reason: "smooth" };
  }
  const enough = usable.filter((m) => m.resultsPerSecond >= MIN_RESULTS_PER_SECOND);
  if (enough.length > 0) {
    const best = Math.max(...enough.map((m) => m.pageFps));
    const near = enough.filter((m) => m.pageFps >= best - PAGE_FPS_TIE);
    return { plan: firstByPreference(near), reason: "smoothest" };
  }
  if (usable.length > 0) {
    const mostResults = Math.max(...usable.map((m) => m.resultsPerSecond));
    const nearMost = usable.filter((m) => m.resultsPerSecond >= mostResults * SCARCE_RESULTS_SHARE);
    const best = Math.max(...nearMost.map((m) => m.pageFps));
    return { plan: firstByPreference(nearMost.filter((m) => m.pageFps >= best - PAGE_FPS_TIE)), reason: "scarce" };
  }
  return { plan: DEFAULT_PLAN_ID, reason: "default" };
}

/**
 * Which capped plan is worth one more trial: when no measured plan kept the page smooth, the capped
 * form of the smoothest plan that gave more results than the cap allows (a capped detection rate
 * frees frames for drawing; below the cap it changes nothing and the trial would be time lost).
 * Null when a plan was smooth, nothing ran above the cap, or the capped form was measured already
 * or cannot run.
 */
export function cappedPlanToTry(measurements: readonly PlanMeasurement[], available: readonly InferencePlanId[]): InferencePlanId | null {
  if (measurements.some((m) => m.pageFps >= SMOOTH_PAGE_FPS && m.resultsPerSecond >= MIN_RESULTS_PER_SECOND)) return null;
  const aboveCap = CAPPED_DETECTIONS_PER_SECOND * (1 + RESULTS_TIE_FRACTION);
  const full = measurements.filter((m) => INFERENCE_PLANS[m.plan].maxDetectionsPerSecond === null && m.resultsPerSecond > aboveCap);
  if (full.length === 0) return null;
  const smoothest = full.reduce((best, m) => (m.pageFps > best.pageFps ? m : best));
  const capped: InferencePlanId = INFERENCE_PLANS[smoothest.plan].thread === "worker" ? "worker-cpu-capped" : "main-cpu-capped";
  if (!available.includes(capped) || measurements.some((m) => m.plan === capped)) return null;
  return capped;
}

function firstByPreference(candidates: readonly PlanMeasurement[]): InferencePlanId {
  let best = candidates[0]!.plan;
  for (const candidate of candidates) {
    if (INFERENCE_PLAN_IDS.indexOf(candidate.plan) < INFERENCE_PLAN_IDS.indexOf(best)) best = candidate.plan;
  }
  return best;
}
