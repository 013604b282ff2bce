/** What one preload did: per-asset timings and the warm-up detections (the lobby report). */
import type { AssetKey } from "./progress";

export type WarmupFrameSource = HTMLVideoElement | HTMLImageElement | HTMLCanvasElement;

export interface AssetMetrics {
  key: AssetKey;
  /** Raw bytes (for the runtime: loader JS + WASM). */
  bytes: number;
  /** Bytes on the wire (Resource Timing encodedBodySize); null when unknown or reused. */
  wireBytes: number | null;
  /** Request to verified bytes; 0 when reused. */
  downloadMs: number;
  createMs: number | null;
  warmupMs: number | null;
  /** Already loaded by an earlier preload in this page: no download, no create. */
  reused: boolean;
  /** Resource Timing says the bytes came from the HTTP cache; null when unknown. */
  fromHttpCache: boolean | null;
}

export interface WarmupLandmark {
  x: number;
  y: number;
  z: number;
}

export interface PreloadReport {
  assets: AssetMetrics[];
  /** Start of this preload (after any earlier one settled) to resolution. */
  timeToReadyMs: number;
  /** Sum and number of long tasks (> 50 ms, any cause) seen while preloading. */
  longTaskMs: number;
  longTaskCount: number;
  /** False when the browser has no longtask entries (the two numbers above are then 0). */
  longTasksObserved: boolean;
  delegate: "CPU" | "GPU";
  /** Which runtime build ran: SIMD when WebAssembly.validate accepts a SIMD module. */
  wasmSimd: boolean;
  /** Where the downloads' sha256 ran (null: nothing downloaded). See sha256Hasher.ts. */
  sha256Thread: "worker" | "main" | null;
  warmupSource: "camera" | "still";
  warmup: {
    /** First pose's 33 landmarks, normalised to the warm-up frame. */
    pose?: (WarmupLandmark & { visibility?: number })[];
    /** First hand's 21 landmarks, normalised. */
    hand?: WarmupLandmark[];
    /** First face, in pixels of the warm-up frame. */
    face?: { originX: number; originY: number; width: number; height: number; score: number };
    frameWidth: number;
    frameHeight: number;
  };
}
