/** `inference.plans`: what a run measures (profiles, rows, windows) and the shapes of its results. See ./measure.ts. */
import os from "node:os";
import type { InferencePlanId } from "../../../core/inferencePlan";
import type { TestPlaylistId } from "../../../core/playlist";
import { type FakeVideoName } from "../../../e2e/support/fakeVideo";

/** What the lobby stores in localStorage to force a plan (client/vision/plans/rememberedPlan.ts). */
export const FORCED_PLAN_KEY = "poseparty.inferencePlan.force";
export const PLAYLIST: TestPlaylistId = "messi-long";
export const CGROUP_CPU_ROOT = "/sys/fs/cgroup/cpu";

export type PlanRowId = InferencePlanId | "auto";

export interface CpuProfile {
  /** 1: unthrottled; else the slowdown the profile aims at (4: a quarter of the machine). */
  cpuThrottle: number;
  /** cgroup v1 CPU quota for the measured browser; null: none. */
  quota: { periodUs: number; quotaUs: number } | null;
  /** Only probe that the quota can be set up (and remove it); measure no row. */
  probeOnly?: boolean;
}

export interface PlanBenchOptions {
  smoke: boolean;
  profiles: CpuProfile[];
  /** Rows per profile, in order. Auto first: its trial tells whether main-gpu can run here. */
  rows: PlanRowId[];
  windowMs: number;
  measuredVideo: FakeVideoName;
  friendVideo: FakeVideoName;
  /** Start -> A in a round. */
  gameTimeoutMs: number;
  log: (line: string) => void;
}

export function planBenchOptions(smoke: boolean, log: (line: string) => void): PlanBenchOptions {
  const machineCores = os.cpus().length;
  // Half a core: a quarter of this 2-core machine (the slow phone).
  const quarter: CpuProfile = { cpuThrottle: 4, quota: { periodUs: 100_000, quotaUs: Math.round((100_000 * machineCores) / 4) } };
  return smoke
    ? {
        smoke,
        profiles: [
          { cpuThrottle: 1, quota: null },
          { ...quarter, probeOnly: true },
        ],
        rows: ["auto", "main-cpu"],
        windowMs: 2_000,
        measuredVideo: "messi5",
        friendVideo: "astronaut",
        gameTimeoutMs: 240_000,
        log,
      }
    : {
        smoke,
        profiles: [{ cpuThrottle: 1, quota: null }, quarter],
        rows: ["auto", "main-cpu", "main-gpu", "worker-cpu", "main-cpu-capped", "worker-cpu-capped"],
        windowMs: 15_000,
        measuredVideo: "messi5",
        friendVideo: "astronaut",
        gameTimeoutMs: 300_000,
        log,
      };
}

export interface PlanRow {
  plan: PlanRowId;
  cpuThrottle: number;
  pageFps: number | null;
  resultsPerSecond: number | null;
  detectMsP50: number | null;
  detectMsP95: number | null;
  /** Main-thread long tasks, scaled to 15 s. */
  longTaskMs: number | null;
  /** Frames B decoded of A's tile, a second. */
  remoteFps: number | null;
  auto?: true;
  /** Auto rows: the plan the lobby chose. */
  picked?: InferencePlanId | null;
  /** Auto rows: wall time the lobby's trial took. */
  trialMs?: number | null;
  /** Auto rows: where the trial's time went (camera, worker, each plan, prepare), from the page. */
  trialPhasesMs?: Record<string, number>;
  /** What A's page said it ran (`window.__poseparty.inferencePlan`): plan, source, reason. */
  ran?: { plan: string | null; source: string | null; reason: string | null };
  /** Auto rows: the trial's own measurements, and the plans it could not run here (and why). */
  trial?: unknown[];
  trialUnavailable?: Partial<Record<InferencePlanId, string>>;
  /** Detections started on each thread during the window. */
  threads?: { main: number; worker: number };
  longTaskCount?: number | null;
  windowMs?: number;
  /** Something to know when reading the row (a worker plan that fell back to the main thread). */
  note?: string;
  /** A's "[vision]" console warnings during the row (why a plan fell back), the first few. */
  visionLog?: string[];
  /** The plan cannot run here (and why); the numbers are null. */
  unavailable?: string;
  error?: string;
  /** 1-minute load average before and after the row. */
  loadAverage?: [number, number];
}

export interface PlanCeiling {
  cpuThrottle: number;
  /** A's page frames a second with the camera playing and B in the call, no inference (chatting, before Start). */
  pageFps: number | null;
  remoteFps: number | null;
  longTaskMs: number | null;
  error?: string;
}

export interface PlanProfileInfo {
  cpuThrottle: number;
  method: string;
  available: boolean;
  measured: boolean;
  note?: string;
}

export interface PlanGoals {
  cpuThrottle: number;
  /** The fixed plan the rule (core/inferencePlan.ts choosePlan) picks from the fixed rows' numbers. */
  bestFixed: InferencePlanId | null;
  autoPicked: InferencePlanId | null;
  /** auto / best fixed plan, and whether >= 0.9. */
  pageFpsRatio: number | null;
  pageFpsMet: boolean | null;
  resultsRatio: number | null;
  resultsMet: boolean | null;
  /** Unthrottled only: auto / ceiling, and whether >= 0.9. */
  ceilingRatio: number | null;
  ceilingMet: boolean | null;
}

export interface PlanBenchData {
  plans: PlanRow[];
  planCeilings: PlanCeiling[];
  planProfiles: PlanProfileInfo[];
  planGoals: PlanGoals[];
  planWindowMs: number;
  planPlaylist: TestPlaylistId;
}
