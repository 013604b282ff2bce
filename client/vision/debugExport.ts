/**
 * `window.__poseparty`: what the page did, for end-to-end tests and benchmarks to read with
 * `page.evaluate(() => window.__poseparty?.lobby)`. Plain data only (no tasks, no frames). Other
 * parts of the app may add their own keys; each writer keeps the others'.
 */
import type { PreloadReport } from "./preloader";

export interface PosePartyDebug {
  /** The last successful lobby preload (see client/vision/preloader.ts PreloadReport). */
  lobby?: PreloadReport;
  [key: string]: unknown;
}

declare global {
  interface Window {
    __poseparty?: PosePartyDebug;
  }
}

export function exportLobbyReport(report: PreloadReport): void {
  if (typeof window === "undefined") return;
  window.__poseparty = { ...(window.__poseparty ?? {}), lobby: report };
}
