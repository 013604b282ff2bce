/**
 * The lobby's bars: each asset's stage and bytes, and the one overall percent weighted by what
 * each step costs.
 */
import type { VisionAssetName } from "@/core/visionManifest";

/**
 * waiting: not started; downloading: bytes arriving; queued: every byte in, waiting its turn to be
 * created (creates run one at a time); creating; created: waiting its turn for the first
 * detection (they run after every create); warming: the first detection; ready; failed.
 */
export type AssetStage = "waiting" | "downloading" | "queued" | "creating" | "created" | "warming" | "ready" | "failed";
/** The vision runtime and models; "sounds" is the lobby's own bar for the game's sounds. */
export type AssetKey = "runtime" | VisionAssetName | "sounds";

export interface AssetProgress {
  key: AssetKey;
  stage: AssetStage;
  /** Decoded bytes received so far (stays at totalBytes once downloaded). */
  receivedBytes: number;
  /** Raw size from the manifest (the wire may carry fewer bytes: gzip/br). */
  totalBytes: number;
  error?: string;
}

/**
 * What each step costs, for the overall bar, in milliseconds. CPU steps: measured on the 2-core
 * test machine, one page, cold (docs/vision-preload.md, "Measured"; the runtime's compile from the
 * lobby report's runtime createMs), times CPU_SLOWDOWN for a phone. Downloads: DOWNLOAD_MS_PER_MB
 * per raw megabyte, all files together (they share the connection). The bar used to give every
 * create and warm-up an equal 30 % in all, and sat at 85-92 % for 20-28 s on a loaded machine
 * while the pose model warmed up: the pose model's create and first detection cost as much as
 * the hand's and face's together, and CPU steps can take longer than the downloads.
 */
const DOWNLOAD_MS_PER_MB = 250;
const CPU_SLOWDOWN = 3;
const STEP_COST_MS: Record<AssetKey, { create: number; warmup: number }> = {
  runtime: { create: 600, warmup: 0 }, // the compile (639 ms in an e2e lobby on this machine)
  pose_lite: { create: 650, warmup: 620 },
  // Not measured cold: scaled from lite by model size (full 2x, heavy 5x the weights).
  pose_full: { create: 1_000, warmup: 900 },
  pose_heavy: { create: 2_500, warmup: 2_200 },

  hand_lite: { create: 290, warmup: 220 },
  face_short: { create: 230, warmup: 60 },
  sounds: { create: 100, warmup: 0 }, // decoding 338 KB of MP3
};

/**
 * 0..100 (integer) for one bar over all assets, each step weighted by what it costs
 * (STEP_COST_MS): bytes for the downloads, then each asset's create and first detection, counted
 * when they end. Never decreases while stages only move forward; 100 only when every asset is
 * ready. A failed "sounds" bar counts as done: the game plays on without sound.
 */
export function overallPercent(assets: readonly AssetProgress[]): number {
  if (assets.length === 0) return 0;
  const settled = (asset: AssetProgress): boolean => asset.stage === "ready" || (asset.key === "sounds" && asset.stage === "failed");
  if (assets.every(settled)) return 100;
  let total = 0;
  let done = 0;
  for (const asset of assets) {
    const cost = STEP_COST_MS[asset.key];
    const downloadCost = (asset.totalBytes / 1_000_000) * DOWNLOAD_MS_PER_MB;
    const createCost = cost.create * CPU_SLOWDOWN;
    const warmupCost = cost.warmup * CPU_SLOWDOWN;
    total += downloadCost + createCost + warmupCost;
    if (settled(asset)) {
      done += downloadCost + createCost + warmupCost;
      continue;
    }
    const received = asset.totalBytes > 0 ? Math.min(asset.receivedBytes, asset.totalBytes) / asset.totalBytes : 0;
    done += downloadCost * received;
    if (asset.stage === "created" || asset.stage === "warming") done += createCost;
  }
  return total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : 0;
}

export class ProgressTracker {
  private readonly entries = new Map<AssetKey, AssetProgress>();

  constructor(
    private readonly onProgress: (assets: AssetProgress[]) => void,
    private readonly signal: AbortSignal | undefined,
  ) {}

  add(entry: AssetProgress): void {
    this.entries.set(entry.key, entry);
  }

  update(key: AssetKey, change: Partial<Omit<AssetProgress, "key">>): void {
    const current = this.entries.get(key);
    if (!current) return;
    this.entries.set(key, { ...current, ...change });
    this.emit();
  }

  get(key: AssetKey): AssetProgress | undefined {
    return this.entries.get(key);
  }

  emit(): void {
    // After an abort the lobby is gone (or restarting): a late "warming" would only confuse it.
    if (this.signal?.aborted) return;
    const snapshot = [...this.entries.values()].map((entry) => ({ ...entry }));
    try {
      this.onProgress(snapshot);
    } catch (error) {
      // A broken UI callback must not turn into a failed download: report it, carry on.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
