/** `inference.plans`: the markdown summary of a run. */
import { type PlanMeasurement } from "../../../core/inferencePlan";
import type { PlanBenchData } from "./options";

// ---------------------------------------------------------------------------------------------
// Markdown

const fmt = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toLocaleString("en-US", { maximumFractionDigits: digits });
const profileName = (cpuThrottle: number) => (cpuThrottle === 1 ? "unthrottled" : `quota ÷${cpuThrottle}`);
const met = (value: boolean | null) => (value === null ? "not measured" : value ? "met" : "**not met**");

export function plansMarkdown(data: PlanBenchData): string[] {
  const out: string[] = ["### Inference plans in the game (`inference.plans`)", ""];
  out.push(
    `The real app, playlist \`${data.planPlaylist}\`: A (measured, messi5 camera) hosts, B (unthrottled) joins, A starts; ` +
      `${fmt(data.planWindowMs / 1000, 0)} s counted on A from the first round. Long tasks scaled to 15 s; remote fps = frames B decoded of A's tile.`,
    "",
  );
  for (const profile of data.planProfiles) {
    out.push(
      `- ${profileName(profile.cpuThrottle)}: ${profile.method}${profile.available ? "" : " — **unavailable**"}${profile.note ? ` (${profile.note})` : ""}`,
    );
  }
  out.push("");
  const rows = data.plans.map((row) => [
    profileName(row.cpuThrottle),
    (row.auto ? `auto → ${row.picked ?? "?"}` : row.plan) + (row.note ? " (fell back to main)" : ""),
    row.error || row.unavailable
      ? `${row.unavailable ? (row.ran?.plan ? `could not prepare, ran ${row.ran.plan}` : "unavailable") : "failed"}: ${(row.unavailable ?? row.error ?? "").slice(0, 90)}` +
        (row.pageFps !== null ? ` (${fmt(row.pageFps)})` : "")
      : fmt(row.pageFps),
    fmt(row.resultsPerSecond),
    `${fmt(row.detectMsP50, 0)} / ${fmt(row.detectMsP95, 0)}`,
    fmt(row.longTaskMs, 0),
    fmt(row.remoteFps),
    row.threads ? `${row.threads.main} / ${row.threads.worker}` : "–",
    row.auto ? `${fmt(row.trialMs, 0)} ms` : "",
    row.loadAverage ? row.loadAverage.map((value) => fmt(value, 1)).join(" → ") : "–",
  ]);
  for (const ceiling of data.planCeilings) {
    rows.push([
      profileName(ceiling.cpuThrottle),
      "_ceiling: camera + call, no inference_",
      ceiling.error ? `failed: ${ceiling.error.slice(0, 90)}` : fmt(ceiling.pageFps),
      "",
      "",
      fmt(ceiling.longTaskMs, 0),
      fmt(ceiling.remoteFps),
      "",
      "",
      "",
    ]);
  }
  out.push(
    "| profile | plan | page fps | results/s | detect p50 / p95 ms | long tasks ms/15 s | remote fps (B) | detections main / worker | trial | load avg |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((cells) => `| ${cells.join(" | ")} |`),
    "",
  );
  for (const goal of data.planGoals) {
    out.push(
      `- **Goals, ${profileName(goal.cpuThrottle)}** (reported, not asserted): best fixed plan by the rule ${goal.bestFixed ?? "–"}, auto picked ${goal.autoPicked ?? "–"}; ` +
        `auto page fps ×${fmt(goal.pageFpsRatio, 2)} of it (≥ 0.9: ${met(goal.pageFpsMet)}), results/s ×${fmt(goal.resultsRatio, 2)} (≥ 0.9: ${met(goal.resultsMet)})` +
        (goal.cpuThrottle === 1 ? `; auto page fps ×${fmt(goal.ceilingRatio, 2)} of the ceiling (≥ 0.9: ${met(goal.ceilingMet)})` : "") +
        ".",
    );
  }
  for (const row of data.plans.filter((candidate) => candidate.auto && candidate.trial)) {
    const trial = (row.trial as PlanMeasurement[]).map((m) => `${m.plan} ${fmt(m.pageFps)} fps / ${fmt(m.resultsPerSecond)} results/s`).join("; ");
    const phases = Object.entries(row.trialPhasesMs ?? {})
      .map(([phase, ms]) => `${phase} ${fmt(ms, 0)}`)
      .join(", ");
    out.push(
      `- **Auto's trial, ${profileName(row.cpuThrottle)}** (${fmt(row.trialMs, 0)} ms): measured ${trial || "nothing"}; ms per phase: ${phases || "–"}.`,
    );
  }
  out.push("");
  return out;
}
