/**
 * The lobby's plan choice, remembered per device (localStorage) with what it was measured on
 * (tasks-vision version, model, browser, core count): the next game skips the trial. The player's
 * re-check, or a remembered plan that no longer runs, forgets it.
 */
import { z } from "zod";
import { INFERENCE_PLAN_IDS, type InferencePlanId, type PlanMeasurement } from "@/core/inferencePlan";

const STORAGE_KEY = "poseparty.inferencePlan.v1";
/** Browsers and phones change (updates, battery savers): measure again after a month. */
const MAX_AGE_MS = 30 * 24 * 60 * 60_000;

const measurementSchema = z.object({
  plan: z.enum(INFERENCE_PLAN_IDS),
  pageFps: z.number(),
  resultsPerSecond: z.number(),
  detectMsP50: z.number(),
});
const storedSchema = z.object({
  deviceKey: z.string(),
  plan: z.enum(INFERENCE_PLAN_IDS),
  detectMsP50: z.number().nullable(),
  measuredAt: z.number(),
  measurements: z.array(measurementSchema).max(10),
});

export interface RememberedPlan {
  plan: InferencePlanId;
  detectMsP50: number | null;
  measurements: PlanMeasurement[];
}

export function readRememberedPlan(deviceKey: string, now = Date.now()): RememberedPlan | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = storedSchema.safeParse(JSON.parse(raw));
    if (!parsed.success || parsed.data.deviceKey !== deviceKey || now - parsed.data.measuredAt > MAX_AGE_MS) return null;
    return { plan: parsed.data.plan, detectMsP50: parsed.data.detectMsP50, measurements: parsed.data.measurements };
  } catch {
    // Storage blocked (private mode) or corrupt: measure again.
    return null;
  }
}

export function rememberPlan(deviceKey: string, choice: RememberedPlan, now = Date.now()): void {
  try {
    // NaN (no detection finished) does not survive JSON: such a measurement is left out.
    const measurements = choice.measurements.filter((m) => Number.isFinite(m.detectMsP50) && Number.isFinite(m.pageFps));
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ deviceKey, plan: choice.plan, detectMsP50: choice.detectMsP50, measuredAt: now, measurements }));
  } catch {
    // Storage full or blocked: the trial simply runs again next time.
  }
}

const FORCED_KEY = "poseparty.inferencePlan.force";

/**
 * A plan set by hand in localStorage (`poseparty.inferencePlan.force`), for the bench's fixed-plan
 * rows and for trying a plan on a phone: the lobby then skips the trial and uses it.
 */
export function readForcedPlan(): InferencePlanId | null {
  try {
    const parsed = z.enum(INFERENCE_PLAN_IDS).safeParse(localStorage.getItem(FORCED_KEY));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function forgetRememberedPlan(): void {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing to forget.
  }
}
