/** Every download of one preload at once, with progress, integrity checks and a silence watchdog. */
import type { VisionAssetName, VisionFile } from "@/core/visionManifest";
import { joinUrl, PreloadError, toPreloadFailure } from "./errors";
import { fetchWithProgress, type FetchedFile } from "./fetchWithProgress";
import type { AssetPlan } from "./manifest";
import type { AssetKey, ProgressTracker } from "./progress";
import type { AssetMetrics } from "./report";
import { createSha256Hasher } from "./sha256Hasher";
import { inactivityWatchdog } from "./stallGuard";
const DOWNLOAD_SILENCE_LIMIT_MS = 30_000;

interface Downloads {
  runtimeLoader: Uint8Array<ArrayBuffer>;
  runtimeBinary: Uint8Array<ArrayBuffer>;
  models: Map<VisionAssetName, Uint8Array<ArrayBuffer>>;
  sha256Thread: "worker" | "main";
}

/**
 * All downloads at once (network-bound, they only cost the main thread a little per chunk).
 * The first failure stops the others so a broken lobby does not keep eating a phone's data.
 */
export async function downloadAll(
  baseUrl: string,
  runtimeFiles: { loader: VisionFile; binary: VisionFile },
  plans: readonly AssetPlan[],
  progress: ProgressTracker,
  runtimeMetrics: AssetMetrics,
  outerSignal: AbortSignal | undefined,
): Promise<Downloads> {
  const stopOthers = new AbortController();
  const onOuterAbort = (): void => stopOthers.abort(outerSignal?.reason);
  if (outerSignal?.aborted) onOuterAbort();
  outerSignal?.addEventListener("abort", onOuterAbort, { once: true });
  const signal = stopOthers.signal;
  const hasher = createSha256Hasher();

  const download = async (key: AssetKey, file: VisionFile, onReceived: (receivedBytes: number) => void): Promise<FetchedFile> => {
    const url = joinUrl(baseUrl, file.url);
    // A connection that stays open but sends nothing would otherwise hold the bar forever.
    const watchdog = inactivityWatchdog(DOWNLOAD_SILENCE_LIMIT_MS, () => {
      if (!signal.aborted) {
        stopOthers.abort(new PreloadError("stalled", `${key}: no data from ${url} for ${DOWNLOAD_SILENCE_LIMIT_MS / 1000} s`, { asset: key }));
      }
    });
    try {
      return await fetchWithProgress(url, {
        expectedBytes: file.bytes,
        expectedSha256: file.sha256,
        signal,
        sha256: (bytes) => hasher.digest(bytes),
        onProgress: ({ receivedBytes }) => {
          watchdog.touch();
          onReceived(receivedBytes);
        },
      });
    } catch (error) {
      if (signal.reason instanceof PreloadError) throw signal.reason;
      const failure = toPreloadFailure(error, outerSignal, key);
      // Only the first real failure stops the rest; the others then end with AbortError.
      if (!signal.aborted) stopOthers.abort(failure);
      throw failure;
    } finally {
      watchdog.stop();
    }
  };

  const runtimeReceived = { loader: 0, binary: 0 };
  const reportRuntime = (): void => progress.update("runtime", { stage: "downloading", receivedBytes: runtimeReceived.loader + runtimeReceived.binary });
  const runtimeDownload = Promise.all([
    download("runtime", runtimeFiles.loader, (received) => {
      runtimeReceived.loader = received;
      reportRuntime();
    }),
    download("runtime", runtimeFiles.binary, (received) => {
      runtimeReceived.binary = received;
      reportRuntime();
    }),
  ]).then(([loader, binary]) => {
    runtimeMetrics.downloadMs = Math.max(loader.downloadMs, binary.downloadMs);
    runtimeMetrics.wireBytes = loader.wireBytes !== null && binary.wireBytes !== null ? loader.wireBytes + binary.wireBytes : null;
    runtimeMetrics.fromHttpCache = loader.fromHttpCache !== null && binary.fromHttpCache !== null ? loader.fromHttpCache && binary.fromHttpCache : null;
    // Compiled once every model has arrived.
    progress.update("runtime", { stage: "queued", receivedBytes: runtimeFiles.loader.bytes + runtimeFiles.binary.bytes });
    return { loader: loader.bytes, binary: binary.bytes };
  });
  const modelDownloads = plans.map(async (plan) => {
    const name = plan.asset.name;
    const fetched = await download(name, plan.asset, (receivedBytes) => progress.update(name, { stage: "downloading", receivedBytes }));
    // Every byte is in and checked; creates run one at a time, so it may wait a while for its turn.
    progress.update(name, { stage: "queued", receivedBytes: plan.asset.bytes });
    plan.metrics.downloadMs = fetched.downloadMs;
    plan.metrics.wireBytes = fetched.wireBytes;
    plan.metrics.fromHttpCache = fetched.fromHttpCache;
    return [name, fetched.bytes] as const;
  });

  try {
    const [runtime, ...models] = await Promise.all([runtimeDownload, ...modelDownloads]);
    return { runtimeLoader: runtime.loader, runtimeBinary: runtime.binary, models: new Map(models), sha256Thread: hasher.where };
  } catch (error) {
    // Promise.all settles on the first rejection; make sure every other download has stopped.
    if (!signal.aborted) stopOthers.abort(error);
    throw stopOthers.signal.reason instanceof PreloadError ? stopOthers.signal.reason : error;
  } finally {
    outerSignal?.removeEventListener("abort", onOuterAbort);
    hasher.close();
  }
}

export function objectUrlFor(bytes: Uint8Array<ArrayBuffer>, type: string, objectUrls: string[]): string {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  objectUrls.push(url);
  return url;
}

export function revokeAll(objectUrls: string[]): void {
  for (const url of objectUrls.splice(0)) URL.revokeObjectURL(url);
}
