// Verification of a freshly written build, reading everything back from disk: the manifest
// (schema + sizes + sha256), every compressed sibling (decompresses to the file), every model's
// metadata (read back with the independent reader), every bundle's entries (names, stored,
// aligned, bytes) and the runtime copies. Returns problems prefixed with the asset name.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseVisionManifest, type VisionFile, type VisionManifest } from "../../core/visionManifest";
import type { ModelRecipe } from "./catalog";
import { MANIFEST_FILE } from "./buildState";
import { bytesEqual, endsWith, gunzipBytes, readFileOrNull, sha256Hex, unbrotliBytes } from "./fileOutput";
import type { BuildPlan, PlannedFile } from "./plan";
import { BUNDLE_DATA_ALIGNMENT, locateBundleEntries, readTaskBundle } from "./taskBundle";
import { readInputNormalization } from "./tfliteMetadataReader";

export class VisionAssetBuildError extends Error {
  override name = "VisionAssetBuildError";
  constructor(readonly problems: readonly string[]) {
    super(`vision asset build failed verification:\n  - ${problems.join("\n  - ")}`);
  }
}

export async function verifyWrittenOutputs(outDir: string, plan: BuildPlan): Promise<string[]> {
  const problems: string[] = [];
  const report = (owner: string, message: string): void => {
    problems.push(`${owner}: ${message}`);
  };

  let manifest: VisionManifest | null = null;
  try {
    const manifestText = await readFile(path.join(outDir, MANIFEST_FILE), "utf8");
    manifest = parseVisionManifest(JSON.parse(manifestText));
    if (manifestText !== serializeManifest(plan.manifest)) report("manifest", `${MANIFEST_FILE} differs from the build's`);
  } catch (error) {
    report("manifest", `${MANIFEST_FILE} unreadable: ${(error as Error).message}`);
  }
  const manifestEntries = new Map<string, VisionFile>(manifest ? [...manifest.runtime.files, ...manifest.assets].map((file) => [file.url, file]) : []);

  const checkFile = async (file: PlannedFile): Promise<Uint8Array | null> => {
    const diskPath = path.join(outDir, ...file.relativePath.split("/"));
    const bytes = await readFileOrNull(diskPath);
    if (!bytes) {
      report(file.owner, `${file.relativePath} is missing`);
      return null;
    }
    const entry = manifestEntries.get(file.url);
    if (!entry) report(file.owner, `${file.url} is not in the manifest`);
    else {
      if (entry.bytes !== bytes.length) report(file.owner, `${file.relativePath} is ${bytes.length} bytes, manifest says ${entry.bytes}`);
      if (entry.sha256 !== sha256Hex(bytes)) report(file.owner, `${file.relativePath} sha256 differs from the manifest`);
    }
    const gzip = await readFileOrNull(`${diskPath}.gz`);
    if (!gzip) report(file.owner, `${file.relativePath}.gz is missing`);
    else {
      if (entry && entry.gzipBytes !== gzip.length) report(file.owner, `${file.relativePath}.gz size differs from the manifest`);
      if (!bytesEqual(await gunzipBytes(gzip), bytes)) report(file.owner, `${file.relativePath}.gz does not decompress to the file`);
    }
    if (file.brotli) {
      const brotli = await readFileOrNull(`${diskPath}.br`);
      if (!brotli) report(file.owner, `${file.relativePath}.br is missing`);
      else {
        if (entry && entry.brotliBytes !== brotli.length) report(file.owner, `${file.relativePath}.br size differs from the manifest`);
        if (!bytesEqual(await unbrotliBytes(brotli), bytes)) report(file.owner, `${file.relativePath}.br does not decompress to the file`);
      }
    }
    return bytes;
  };

  const checkModel = (owner: string, label: string, bytes: Uint8Array, recipe: ModelRecipe, original: Uint8Array): void => {
    try {
      const readBack = readInputNormalization(bytes);
      const expectedMean = Math.fround(recipe.normalization.mean);
      const expectedStd = Math.fround(recipe.normalization.std);
      if (readBack.mean.length !== 1 || readBack.mean[0] !== expectedMean || readBack.std.length !== 1 || readBack.std[0] !== expectedStd) {
        report(
          owner,
          `${label} reads back mean ${JSON.stringify(readBack.mean)} std ${JSON.stringify(readBack.std)}, expected [${expectedMean}] [${expectedStd}]`,
        );
      }
    } catch (error) {
      report(owner, `${label} metadata unreadable: ${(error as Error).message}`);
    }
    // The prefix writer leaves the network bytes untouched at the end of the file.
    if (!endsWith(bytes, original)) report(owner, `${label} does not end with the original ${recipe.id} network`);
  };

  for (const asset of plan.assets) {
    const owner = asset.recipe.name;
    const bytes = await checkFile(asset.file);
    if (!bytes) continue;
    if (!bytesEqual(bytes, asset.file.bytes)) report(owner, `${asset.file.relativePath} differs from the bytes built`);
    if (asset.recipe.format === "tflite") {
      const [only] = asset.models;
      if (only) checkModel(owner, asset.file.relativePath, bytes, only.model.recipe, only.model.original);
      continue;
    }
    try {
      const locations = locateBundleEntries(bytes);
      const entries = readTaskBundle(bytes);
      const expectedNames = asset.models.map(({ entryName }) => entryName).sort();
      const actualNames = [...entries.keys()].sort();
      if (JSON.stringify(actualNames) !== JSON.stringify(expectedNames)) {
        report(owner, `bundle holds ${JSON.stringify(actualNames)}, expected ${JSON.stringify(expectedNames)}`);
      }
      for (const location of locations) {
        if (location.compressionMethod !== 0) report(owner, `bundle entry ${location.name} is compressed (method ${location.compressionMethod})`);
        if (location.dataOffset % BUNDLE_DATA_ALIGNMENT !== 0) report(owner, `bundle entry ${location.name} data is not ${BUNDLE_DATA_ALIGNMENT}-byte aligned`);
      }
      for (const { entryName, model } of asset.models) {
        const entry = entries.get(entryName);
        if (!entry) continue;
        if (!bytesEqual(entry, model.withMetadata)) report(owner, `bundle entry ${entryName} differs from ${model.recipe.id} with metadata`);
        checkModel(owner, `bundle entry ${entryName}`, entry, model.recipe, model.original);
      }
    } catch (error) {
      report(owner, `bundle unreadable: ${(error as Error).message}`);
    }
  }

  for (const { file, source } of plan.runtime) {
    const bytes = await checkFile(file);
    if (bytes && !bytesEqual(bytes, source)) report("runtime", `${file.relativePath} differs from the tasks-vision package`);
  }
  return problems;
}

/** The exact manifest text written to disk (stable, so unchanged builds leave it untouched). */
export function serializeManifest(manifest: VisionManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
