// What the build makes and from which npm files. The normalisation constants and bundle entry
// names are the ones measured to work with tasks-vision 1.1.0 (shared/notes/vision-models.md).
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { VisionAssetKind, VisionAssetName } from "../../core/visionManifest";
import { extractPackedFile, parsePackedAssetsLoader } from "./packedAssets";
import type { InputNormalization } from "./tfliteMetadataWriter";

/** Bump when the build's output format changes, so installed trees rebuild. */
export const BUILD_SCRIPT_VERSION = "1";

export const TASKS_VISION_PACKAGE = "@mediapipe/tasks-vision";

/** Packages whose versions decide whether a previous build is still current. */
export const INPUT_PACKAGES = [TASKS_VISION_PACKAGE, "@mediapipe/pose", "@mediapipe/hands", "@mediapipe/face_detection", "flatbuffers", "fflate"] as const;

/**
 * The runtime files FilesetResolver.forVisionTasks() picks from: the SIMD build, and the
 * nosimd build for browsers without wasm SIMD. The `module` variants are only used with
 * `forVisionTasks(url, true)`, which the app does not do.
 */
export const RUNTIME_FILE_NAMES = [
  "vision_wasm_internal.js",
  "vision_wasm_internal.wasm",
  "vision_wasm_nosimd_internal.js",
  "vision_wasm_nosimd_internal.wasm",
] as const;

export type ModelSource =
  { type: "file"; packageName: string; file: string } | { type: "packed"; packageName: string; loader: string; data: string; file: string };

export interface ModelRecipe {
  id: string;
  source: ModelSource;
  normalization: InputNormalization;
  description: string;
}

interface AssetRecipeBase {
  name: VisionAssetName;
  kind: VisionAssetKind;
  /** Output file name before the content hash, e.g. `pose_landmarker_lite`. */
  fileStem: string;
}
export type VisionAssetRecipe =
  | (AssetRecipeBase & { format: "task"; entries: readonly { entryName: string; model: ModelRecipe }[] })
  | (AssetRecipeBase & { format: "tflite"; model: ModelRecipe });

const POSE_DETECTOR: ModelRecipe = {
  id: "pose_detection",
  source: {
    type: "packed",
    packageName: "@mediapipe/pose",
    loader: "pose_solution_packed_assets_loader.js",
    data: "pose_solution_packed_assets.data",
    file: "pose_detection.tflite",
  },
  normalization: { mean: 127.5, std: 127.5 },
  description: "BlazePose person detector",
};

function poseLandmarks(variant: "lite" | "full" | "heavy"): ModelRecipe {
  return {
    id: `pose_landmark_${variant}`,
    source: { type: "file", packageName: "@mediapipe/pose", file: `pose_landmark_${variant}.tflite` },
    normalization: { mean: 0, std: 255 },
    description: `BlazePose GHUM 3D landmarks (${variant})`,
  };
}

const PALM_DETECTOR: ModelRecipe = {
  id: "palm_detection_lite",
  source: {
    type: "packed",
    packageName: "@mediapipe/hands",
    loader: "hands_solution_packed_assets_loader.js",
    data: "hands_solution_packed_assets.data",
    file: "palm_detection_lite.tflite",
  },
  normalization: { mean: 0, std: 255 },
  description: "Palm detector (lite)",
};

const HAND_LANDMARKS_LITE: ModelRecipe = {
  id: "hand_landmark_lite",
  source: { type: "file", packageName: "@mediapipe/hands", file: "hand_landmark_lite.tflite" },
  normalization: { mean: 0, std: 255 },
  description: "Hand landmarks (lite)",
};

const FACE_DETECTOR_SHORT: ModelRecipe = {
  id: "face_detection_short_range",
  source: { type: "file", packageName: "@mediapipe/face_detection", file: "face_detection_short_range.tflite" },
  normalization: { mean: 127.5, std: 127.5 },
  description: "BlazeFace short-range face detector",
};

function poseAsset(variant: "lite" | "full" | "heavy"): VisionAssetRecipe {
  return {
    name: `pose_${variant}`,
    kind: "pose",
    fileStem: `pose_landmarker_${variant}`,
    format: "task",
    entries: [
      { entryName: "pose_detector.tflite", model: POSE_DETECTOR },
      { entryName: "pose_landmarks_detector.tflite", model: poseLandmarks(variant) },
    ],
  };
}

export const VISION_ASSET_RECIPES: readonly VisionAssetRecipe[] = [
  poseAsset("lite"),
  poseAsset("full"),
  poseAsset("heavy"),
  {
    name: "hand_lite",
    kind: "hand",
    fileStem: "hand_landmarker_lite",
    format: "task",
    entries: [
      { entryName: "hand_detector.tflite", model: PALM_DETECTOR },
      { entryName: "hand_landmarks_detector.tflite", model: HAND_LANDMARKS_LITE },
    ],
  },
  { name: "face_short", kind: "face", fileStem: "face_detector_short_range", format: "tflite", model: FACE_DETECTOR_SHORT },
];

export function packageDir(projectRoot: string, packageName: string): string {
  return path.join(projectRoot, "node_modules", ...packageName.split("/"));
}

export async function readPackageVersion(projectRoot: string, packageName: string): Promise<string> {
  const manifestPath = path.join(packageDir(projectRoot, packageName), "package.json");
  const parsed: unknown = JSON.parse(await readFile(manifestPath, "utf8"));
  const version = typeof parsed === "object" && parsed !== null ? (parsed as { version?: unknown }).version : undefined;
  if (typeof version !== "string") throw new Error(`${manifestPath} has no version`);
  return version;
}

/** The original network bytes, straight from the npm package (no metadata yet). */
export async function readSourceModel(projectRoot: string, source: ModelSource): Promise<Uint8Array> {
  const dir = packageDir(projectRoot, source.packageName);
  if (source.type === "file") return new Uint8Array(await readFile(path.join(dir, source.file)));
  const [loaderSource, packageData] = await Promise.all([readFile(path.join(dir, source.loader), "utf8"), readFile(path.join(dir, source.data))]);
  return extractPackedFile(parsePackedAssetsLoader(loaderSource), new Uint8Array(packageData), source.file);
}
