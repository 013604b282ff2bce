/** Every download of one preload at once, with progress, integrity checks and resuming. */
import type { VisionAssetName, VisionFile } from "@/core/visionManifest";
import { joinUrl, PreloadError, toPreloadFailure } from "./errors";
import { fetchWithProgress, type FetchedFile, type PartialDownload, type ResumeOptions } from "./fetchWithProgress";
import type { AssetPlan } from "./manifest";
import type { AssetKey, ProgressTracker } from "./progress";
import type { AssetMetrics } from "./report";
import { createSha256Hasher } from "./sha256Hasher";

/**
 * A download that sends nothing this long is given up and asked for again from the bytes kept
 * (fetchWithProgress's `resume`). A dead connection (a phone that lost its link) stays open for
 * minutes, and after a dropout of D seconds TCP itself retransmits only after its backed-off
 * timer, up to about 2 x D later (measured: an 8 s dropout, 6 s more before bytes came again); a
 * new request gets through one round trip after the link is back. Giving up early is cheap now.
 */
export const DOWNLOAD_SILENCE_MS = 10_000;
/**
 * Attempts in a row without a byte before the lobby says it failed: with the silence limit and
 * this backoff, about 1.5 minutes of a link that does not come back (the lobby's deadline moves
 * on only while a bar moves, so longer would not help).
 */
export const DOWNLOAD_RETRIES = 5;
export const DOWNLOAD_BACKOFF_MS = [1_000, 2_000, 4_000, 8_000] as const;

/** What broken-off downloads kept, by URL: the lobby's Retry goes on from there. Dropped once a file is in. */
const keptBytes = new Map<string, PartialDownload>();

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
    const resume: ResumeOptions = {
      retries: DOWNLOAD_RETRIES,
      backoffMs: DOWNLOAD_BACKOFF_MS,
      silenceMs: DOWNLOAD_SILENCE_MS,
      encodedBytes: { gzip: file.gzipBytes, ...(file.brotliBytes === undefined ? {} : { br: file.brotliBytes }) },
      ...(keptBytes.has(url) ? { from: keptBytes.get(url) } : {}),
      // Also when another file's failure stopped this one: a Retry goes on from here.
      keep: (partial) => keptBytes.set(url, partial),
      onRetry: ({ attempt, reason, receivedBytes, mode, delayMs }) =>
        console.info(
          `[vision] ${key} ${file.url}: attempt ${attempt} ended (${reason}); ${mode === "range" ? `resuming from byte ${receivedBytes}` : "the whole file again, compressed"} in ${delayMs} ms`,
        ),
    };
    try {
      const fetched = await fetchWithProgress(url, {
        expectedBytes: file.bytes,
        expectedSha256: file.sha256,
        signal,
        sha256: (bytes) => hasher.digest(bytes),
        onProgress: ({ receivedBytes }) => onReceived(receivedBytes),
        resume,
      });
      keptBytes.delete(url);
      return fetched;
    } catch (error) {
      if (signal.reason instanceof PreloadError) throw signal.reason;
      const failure = toPreloadFailure(error, outerSignal, key);
      // Only the first real failure stops the rest; the others then end with AbortError.
      if (!signal.aborted) stopOthers.abort(failure);
      throw failure;
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
