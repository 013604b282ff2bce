/** `inference.plans`: the goals judged from the measured rows (bench/README.md). */
import { choosePlan, type InferencePlanId, type PlanMeasurement } from "../../../core/inferencePlan";
import { round } from "../../lib/stats";
import type { PlanCeiling, PlanGoals, PlanRow } from "./options";

/**
 * The goals, per profile: auto's page fps and results/s at least 0.9x those of the fixed
 * plan the rule picks from the fixed rows; unthrottled, auto's page within 10 % of the ceiling.
 * Reported, never asserted.
 */
export function evaluateGoals(rows: PlanRow[], ceilings: PlanCeiling[]): PlanGoals[] {
  const throttles = [...new Set(rows.map((row) => row.cpuThrottle))];
  return throttles.map((cpuThrottle) => {
    const ok = (row: PlanRow) => row.cpuThrottle === cpuThrottle && !row.error && !row.unavailable && row.pageFps !== null && row.resultsPerSecond !== null;
    const fixed = rows.filter((row) => ok(row) && !row.auto);
    const auto = rows.find((row) => ok(row) && row.auto);
    const measurements: PlanMeasurement[] = fixed.map((row) => ({
      plan: row.plan as InferencePlanId,
      pageFps: row.pageFps!,
      resultsPerSecond: row.resultsPerSecond!,
      detectMsP50: row.detectMsP50 ?? NaN,
    }));
    const bestFixed = measurements.length > 0 ? choosePlan(measurements).plan : null;
    const best = fixed.find((row) => row.plan === bestFixed);
    const ratio = (a: number | null | undefined, b: number | null | undefined) => (a !== null && a !== undefined && b ? round(a / b, 2) : null);
    const pageFpsRatio = ratio(auto?.pageFps, best?.pageFps);
    const resultsRatio = ratio(auto?.resultsPerSecond, best?.resultsPerSecond);
    const ceiling = ceilings.find((entry) => entry.cpuThrottle === cpuThrottle)?.pageFps;
    const ceilingRatio = cpuThrottle === 1 ? ratio(auto?.pageFps, ceiling) : null;
    return {
      cpuThrottle,
      bestFixed,
      autoPicked: auto?.picked ?? null,
      pageFpsRatio,
      pageFpsMet: pageFpsRatio === null ? null : pageFpsRatio >= 0.9,
      resultsRatio,
      resultsMet: resultsRatio === null ? null : resultsRatio >= 0.9,
      ceilingRatio,
      ceilingMet: ceilingRatio === null ? null : ceilingRatio >= 0.9,
    };
  });
}
