/**
 * "More time ×1.5": said wherever a relaxed match is seen (lobby, game, results, history), so
 * nobody compares its scores with a standard match's without knowing. No hooks: server pages
 * pass their own text. Nothing at the standard pace.
 */
import { STANDARD_TIME_SCALE, type TimeScale } from "@/core/playlist";

export function RelaxedNote({ timeScale, label, className = "tag relaxed" }: { timeScale: TimeScale; label: string; className?: string }) {
  if (timeScale === STANDARD_TIME_SCALE) return null;
  return (
    <span className={className} data-testid="relaxed-note" data-time-scale={timeScale}>
      {label} ×{timeScale}
    </span>
  );
}
