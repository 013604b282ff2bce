/** The vision manifest: which hashed files exist, which the playlist needs, which runtime build runs here. */
import {
  findVisionAsset,
  parseVisionManifest,
  type VisionAsset,
  type VisionAssetKind,
  type VisionAssetName,
  type VisionFile,
  type VisionManifest,
} from "@/core/visionManifest";
import { describe, joinUrl, PreloadError } from "./errors";
import { isVisionAssetLoaded } from "./registry";
import type { AssetMetrics } from "./report";

/** One asset the playlist needs: already loaded in this page (reused), or to download and create. */
export interface AssetPlan {
  asset: VisionAsset;
  reused: boolean;
  metrics: AssetMetrics;
}

export const MANIFEST_PATH = "/vision/manifest.json";
/** The JS bundle this code imports; the manifest's runtime must come from the same version. */
export const TASKS_VISION_VERSION = "1.1.0";
const RUNTIME_FILE_NAMES = {
  simd: { loader: "vision_wasm_internal.js", binary: "vision_wasm_internal.wasm" },
  nosimd: { loader: "vision_wasm_nosimd_internal.js", binary: "vision_wasm_nosimd_internal.wasm" },
} as const;
/** The smallest module using a SIMD instruction (the same probe tasks-vision uses). */
const WASM_SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const MANIFEST_LIMIT_MS = 30_000;

export async function loadManifest(baseUrl: string, signal: AbortSignal | undefined): Promise<VisionManifest> {
  const url = joinUrl(baseUrl, MANIFEST_PATH);
  let json: unknown;
  const stopFetch = new AbortController();
  const onAbort = (): void => stopFetch.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const silence = setTimeout(
    () => stopFetch.abort(new PreloadError("stalled", `the vision manifest ${url} did not arrive within ${MANIFEST_LIMIT_MS / 1000} s`)),
    MANIFEST_LIMIT_MS,
  );
  try {
    // Revalidated every time (the server says no-cache): it names the current hashed files.
    const response = await fetch(url, { signal: stopFetch.signal, cache: "no-cache" });
    if (!response.ok) throw new PreloadError("network", `could not fetch the vision manifest ${url}: HTTP ${response.status}`);
    json = await response.json();
  } catch (error) {
    if (stopFetch.signal.reason instanceof PreloadError) throw stopFetch.signal.reason;
    if (error instanceof PreloadError || signal?.aborted) throw error;
    if (error instanceof SyntaxError) throw new PreloadError("other", `the vision manifest ${url} is not JSON`, { cause: error });
    throw new PreloadError("network", `could not fetch the vision manifest ${url}: ${describe(error)}`, { cause: error });
  } finally {
    clearTimeout(silence);
    signal?.removeEventListener("abort", onAbort);
  }
  let manifest: VisionManifest;
  try {
    manifest = parseVisionManifest(json);
  } catch (error) {
    throw new PreloadError("other", describe(error), { cause: error });
  }
  if (manifest.tasksVisionVersion !== TASKS_VISION_VERSION) {
    throw new PreloadError(
      "other",
      `the vision assets were built for tasks-vision ${manifest.tasksVisionVersion}, this page runs ${TASKS_VISION_VERSION} (run npm run vision:build)`,
    );
  }
  return manifest;
}

export function planAssets(manifest: VisionManifest, names: readonly VisionAssetName[]): AssetPlan[] {
  const kinds = new Map<VisionAssetKind, VisionAssetName>();
  const plans: AssetPlan[] = [];
  for (const name of new Set(names)) {
    const asset = findVisionAsset(manifest, name);
    if (!asset) throw new PreloadError("other", `the vision manifest has no asset ${name} (run npm run vision:build)`, { asset: name });
    const sameKind = kinds.get(asset.kind);
    if (sameKind) throw new PreloadError("other", `one ${asset.kind} model at a time: both ${sameKind} and ${name} were asked for`, { asset: name });
    kinds.set(asset.kind, name);
    const reused = isVisionAssetLoaded(asset.kind, name);
    plans.push({
      asset,
      reused,
      metrics: { key: name, bytes: asset.bytes, wireBytes: null, downloadMs: 0, createMs: null, warmupMs: null, reused, fromHttpCache: null },
    });
  }
  return plans;
}

export function supportsWasmSimd(): boolean {
  try {
    return WebAssembly.validate(WASM_SIMD_PROBE);
  } catch {
    return false;
  }
}

export function pickRuntimeFiles(manifest: VisionManifest, wasmSimd: boolean): { loader: VisionFile; binary: VisionFile } {
  const names = RUNTIME_FILE_NAMES[wasmSimd ? "simd" : "nosimd"];
  const find = (name: string): VisionFile => {
    const file = manifest.runtime.files.find((candidate) => candidate.name === name);
    if (!file) throw new PreloadError("other", `the vision manifest's runtime has no ${name}`, { asset: "runtime" });
    return file;
  };
  return { loader: find(names.loader), binary: find(names.binary) };
}
