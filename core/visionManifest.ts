// Schema of /vision/manifest.json, written by scripts/vision-assets/build.ts and read by the
// browser loader. Pure (zod only): the browser imports it. URLs are root-relative; the browser
// prefixes MODEL_BASE_URL when the deployer serves the files from another host.
import { z } from "zod";

export const VISION_ASSET_NAMES = ["pose_lite", "pose_full", "pose_heavy", "hand_lite", "face_short"] as const;
export const VISION_ASSET_KINDS = ["pose", "hand", "face"] as const;

export const visionAssetNameSchema = z.enum(VISION_ASSET_NAMES);
export const visionAssetKindSchema = z.enum(VISION_ASSET_KINDS);
export type VisionAssetName = z.infer<typeof visionAssetNameSchema>;
export type VisionAssetKind = z.infer<typeof visionAssetKindSchema>;

/** The registry slot each model fills (pose_lite/full/heavy share one); complete by type. */
export const VISION_ASSET_KIND: Readonly<Record<VisionAssetName, VisionAssetKind>> = {
  pose_lite: "pose",
  pose_full: "pose",
  pose_heavy: "pose",
  hand_lite: "hand",
  face_short: "face",
};

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, "expected a lowercase hex sha256");
/** Root-relative, no `..`, no query: a path the asset handler (or a static host) serves as is. */
const rootRelativeUrlSchema = z.string().regex(/^\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$/, "expected a root-relative file URL");
const byteCountSchema = z.number().int().positive();

export const visionFileSchema = z.object({
  name: z.string().min(1),
  url: rootRelativeUrlSchema,
  /** Size of the file itself. */
  bytes: byteCountSchema,
  /** Size on the wire when served gzip-encoded (what fetch progress sees as Content-Length). */
  gzipBytes: byteCountSchema,
  /** Size when served brotli-encoded; absent when no .br sibling is published. */
  brotliBytes: byteCountSchema.optional(),
  sha256: sha256Schema,
});
export type VisionFile = z.infer<typeof visionFileSchema>;

export const visionAssetSchema = visionFileSchema.extend({
  name: visionAssetNameSchema,
  kind: visionAssetKindSchema,
});
export type VisionAsset = z.infer<typeof visionAssetSchema>;

export const visionRuntimeSchema = z.object({
  name: z.literal("runtime"),
  /** Folder URL for FilesetResolver.forVisionTasks(); ends with `/`. */
  baseUrl: z.string().regex(/^\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)+$/, "expected a root-relative folder URL"),
  files: z.array(visionFileSchema).min(1),
});
export type VisionRuntime = z.infer<typeof visionRuntimeSchema>;

export const visionManifestSchema = z
  .object({
    tasksVisionVersion: z.string().min(1),
    runtime: visionRuntimeSchema,
    assets: z.array(visionAssetSchema),
  })
  .superRefine((manifest, context) => {
    const seen = new Set<string>();
    manifest.assets.forEach((asset, index) => {
      if (seen.has(asset.name)) {
        context.addIssue({ code: "custom", message: `duplicate asset ${asset.name}`, path: ["assets", index, "name"] });
      }
      seen.add(asset.name);
    });
    manifest.runtime.files.forEach((file, index) => {
      if (file.url !== `${manifest.runtime.baseUrl}${file.name}`) {
        context.addIssue({
          code: "custom",
          message: "runtime file URL must be baseUrl + name (FilesetResolver looks files up by name)",
          path: ["runtime", "files", index, "url"],
        });
      }
    });
  });
export type VisionManifest = z.infer<typeof visionManifestSchema>;

/** Validates parsed manifest JSON; throws a readable error when it does not match. */
export function parseVisionManifest(json: unknown): VisionManifest {
  const result = visionManifestSchema.safeParse(json);
  if (!result.success) throw new Error(`invalid vision manifest: ${z.prettifyError(result.error)}`);
  return result.data;
}

export function findVisionAsset(manifest: VisionManifest, name: VisionAssetName): VisionAsset | undefined {
  return manifest.assets.find((asset) => asset.name === name);
}
