/**
 * Whether the server can believe an award: the player's live meter, in that round, must have
 * shown what the hold rule asks of the client (core/scoring/hold.ts) — at least HOLD_MIN_FRAMES
 * samples in a row at or above the grade's threshold, spanning at least HOLD_MIN_MS by the
 * server's clock (arrival times, so a client cannot squeeze a "hold" into one burst).
 *
 * What it stops: an award out of nowhere (a scripted `{award: "perfect"}` the moment a round
 * opens, or a replayed one), and awards faster than a real hold could be. What it does not stop:
 * a client that fakes its meter too (sends high readings for 300 ms first); friends' games need
 * no more than that, and the camera frames never leave the phone, so the server cannot judge
 * the pose itself. Pure and allocation-light: one instance per player per round.
 */
import { HOLD_MIN_FRAMES, HOLD_MIN_MS, type Thresholds } from "../scoring/hold";
import type { Award } from "../scoring/points";

export interface EvidenceRule {
  /** Samples in a row at or above the threshold. */
  readonly minSamples: number;
  /** Server time from the first to the last sample of that run. */
  readonly minSpanMs: number;
}

export const AWARD_EVIDENCE_RULE: EvidenceRule = { minSamples: HOLD_MIN_FRAMES, minSpanMs: HOLD_MIN_MS };

/** One grade's run of samples at or above its threshold, and whether a run ever met the rule. */
interface Run {
  count: number;
  startAt: number;
  held: boolean;
}

export class RoundEvidence {
  private readonly good: Run = { count: 0, startAt: 0, held: false };
  private readonly perfect: Run = { count: 0, startAt: 0, held: false };
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly thresholds: Thresholds,
    private readonly rule: EvidenceRule = AWARD_EVIDENCE_RULE,
  ) {}

  /** One meter sample as it arrived (server clock). */
  record(similarity: number, at: number): void {
    // Arrival times only move forward; a clock step back must not stretch a run.
    const time = Math.max(at, this.lastAt);
    this.lastAt = time;
    this.extend(this.good, similarity >= this.thresholds.good, time);
    this.extend(this.perfect, similarity >= this.thresholds.perfect, time);
  }

  /** Did the meter show a hold worth this grade at some point of the round? */
  supports(grade: Award): boolean {
    return (grade === "perfect" ? this.perfect : this.good).held;
  }

  private extend(run: Run, reached: boolean, at: number): void {
    if (!reached) {
      run.count = 0;
      return;
    }
    if (run.count === 0) run.startAt = at;
    run.count += 1;
    if (run.count >= this.rule.minSamples && at - run.startAt >= this.rule.minSpanMs) run.held = true;
  }
}
