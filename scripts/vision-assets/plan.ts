// Produces every output in memory (models with metadata, bundles, runtime copies, compressed
// siblings, manifest) before anything is written, so names and hashes are known up front.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { VisionAsset, VisionFile, VisionManifest } from "../../core/visionManifest";
import {
  RUNTIME_FILE_NAMES,
  TASKS_VISION_PACKAGE,
  VISION_ASSET_RECIPES,
  packageDir,
  readPackageVersion,
  readSourceModel,
  type ModelRecipe,
  type VisionAssetRecipe,
} from "./catalog";
import { brotliBytes, gzipBytes, hashedFileName, sha256Hex, CONTENT_HASH_LENGTH } from "./fileOutput";
import { createTaskBundle } from "./taskBundle";
import { addNormalizationMetadata } from "./tfliteMetadataWriter";

export interface PlanOptions {
  projectRoot: string;
  /** URL path the output folder is served under, with both slashes: `/vision/`. */
  urlPrefix: string;
  /** Also publish `.br` siblings for the runtime files. */
  brotli: boolean;
}

export interface BuiltModel {
  recipe: ModelRecipe;
  original: Uint8Array;
  withMetadata: Uint8Array;
}

export interface PlannedFile {
  /** Relative to the output folder, `/`-separated. */
  relativePath: string;
  url: string;
  /** Asset name, or `runtime`: used to name the culprit when verification fails. */
  owner: string;
  bytes: Uint8Array;
  sha256: string;
  gzip: Uint8Array;
  brotli: Uint8Array | null;
}

export interface PlannedAsset {
  recipe: VisionAssetRecipe;
  file: PlannedFile;
  /** For `.task`: the bundle entries; for `.tflite`: the single model under its file name. */
  models: { entryName: string; model: BuiltModel }[];
}

export interface PlannedRuntimeFile {
  file: PlannedFile;
  /** The file as shipped in node_modules/@mediapipe/tasks-vision/wasm. */
  source: Uint8Array;
}

export interface BuildPlan {
  runtimeDir: string;
  runtime: PlannedRuntimeFile[];
  assets: PlannedAsset[];
  manifest: VisionManifest;
}

export async function planVisionAssets(options: PlanOptions): Promise<BuildPlan> {
  const tasksVisionVersion = await readPackageVersion(options.projectRoot, TASKS_VISION_PACKAGE);

  // The pose detector is shared by three bundles: build each model once.
  const builtModels = new Map<string, Promise<BuiltModel>>();
  const buildModel = (recipe: ModelRecipe): Promise<BuiltModel> => {
    let built = builtModels.get(recipe.id);
    if (!built) {
      built = readSourceModel(options.projectRoot, recipe.source).then((original) => ({
        recipe,
        original,
        withMetadata: addNormalizationMetadata(original, recipe.normalization, {
          name: recipe.id,
          description: recipe.description,
        }),
      }));
      builtModels.set(recipe.id, built);
    }
    return built;
  };

  const assetsPromise = Promise.all(
    VISION_ASSET_RECIPES.map(async (recipe): Promise<PlannedAsset> => {
      if (recipe.format === "tflite") {
        const model = await buildModel(recipe.model);
        const file = await planFile(options, recipe.name, recipe.fileStem, "tflite", model.withMetadata, false);
        return { recipe, file, models: [{ entryName: path.posix.basename(file.relativePath), model }] };
      }
      const models = await Promise.all(recipe.entries.map(async (entry) => ({ entryName: entry.entryName, model: await buildModel(entry.model) })));
      const bundle = createTaskBundle(models.map(({ entryName, model }) => ({ name: entryName, bytes: model.withMetadata })));
      const file = await planFile(options, recipe.name, recipe.fileStem, "task", bundle, false);
      return { recipe, file, models };
    }),
  );

  const runtimeSourceDir = path.join(packageDir(options.projectRoot, TASKS_VISION_PACKAGE), "wasm");
  const runtimeSources = await Promise.all(
    RUNTIME_FILE_NAMES.map(async (name) => ({ name, source: new Uint8Array(await readFile(path.join(runtimeSourceDir, name))) })),
  );
  // The folder name carries the hash of its contents, since the files keep their own names.
  const runtimeDir = `wasm-${sha256Hex(runtimeSources.map(({ name, source }) => `${name}\n${sha256Hex(source)}\n`).join("")).slice(0, CONTENT_HASH_LENGTH)}`;
  const runtime = await Promise.all(
    runtimeSources.map(async ({ name, source }) => ({
      source,
      file: await planPlainFile(options, "runtime", `${runtimeDir}/${name}`, source, options.brotli),
    })),
  );
  const assets = await assetsPromise;

  const manifest: VisionManifest = {
    tasksVisionVersion,
    runtime: {
      name: "runtime",
      baseUrl: `${options.urlPrefix}${runtimeDir}/`,
      files: runtime.map(({ file }) => manifestFile(path.posix.basename(file.relativePath), file)),
    },
    assets: assets.map(({ recipe, file }): VisionAsset => ({ ...manifestFile(recipe.name, file), name: recipe.name, kind: recipe.kind })),
  };
  return { runtimeDir, runtime, assets, manifest };
}

function manifestFile(name: string, file: PlannedFile): VisionFile {
  return {
    name,
    url: file.url,
    bytes: file.bytes.length,
    gzipBytes: file.gzip.length,
    ...(file.brotli ? { brotliBytes: file.brotli.length } : {}),
    sha256: file.sha256,
  };
}

async function planFile(options: PlanOptions, owner: string, stem: string, extension: string, bytes: Uint8Array, withBrotli: boolean): Promise<PlannedFile> {
  const sha256 = sha256Hex(bytes);
  return planPlainFile(options, owner, hashedFileName(stem, sha256, extension), bytes, withBrotli, sha256);
}

async function planPlainFile(
  options: PlanOptions,
  owner: string,
  relativePath: string,
  bytes: Uint8Array,
  withBrotli: boolean,
  knownSha256?: string,
): Promise<PlannedFile> {
  // Brotli only for the runtime: on the networks it saved under 1% over gzip (float weights).
  const [gzip, brotli] = await Promise.all([gzipBytes(bytes), withBrotli ? brotliBytes(bytes) : Promise.resolve(null)]);
  return {
    relativePath,
    url: `${options.urlPrefix}${relativePath}`,
    owner,
    bytes,
    sha256: knownSha256 ?? sha256Hex(bytes),
    gzip,
    brotli,
  };
}
