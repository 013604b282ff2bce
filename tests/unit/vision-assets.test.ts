import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseVisionManifest, visionManifestSchema, type VisionManifest } from "../../core/visionManifest";
import { buildVisionAssets, type VisionBuildReport } from "../../scripts/vision-assets/build";
import { readSourceModel, VISION_ASSET_RECIPES } from "../../scripts/vision-assets/catalog";
import { sha256Hex } from "../../scripts/vision-assets/fileOutput";
import { extractPackedFile, parsePackedAssetsLoader } from "../../scripts/vision-assets/packedAssets";
import { createTaskBundle, locateBundleEntries, readTaskBundle } from "../../scripts/vision-assets/taskBundle";
import { readInputNormalization, summarizeModel } from "../../scripts/vision-assets/tfliteMetadataReader";
import { addNormalizationMetadata } from "../../scripts/vision-assets/tfliteMetadataWriter";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
const packageFile = (packageName: string, file: string): string => path.join(projectRoot, "node_modules", packageName, file);
const readPackageFile = async (packageName: string, file: string): Promise<Uint8Array> => new Uint8Array(await readFile(packageFile(packageName, file)));
const description = { name: "test", description: "test model" };

describe("packed assets loader", () => {
  it("reads the file ranges from the pose and hands loaders", async () => {
    const pose = parsePackedAssetsLoader(await readFile(packageFile("@mediapipe/pose", "pose_solution_packed_assets_loader.js"), "utf8"));
    expect(pose.files).toEqual([{ filename: "/third_party/mediapipe/modules/pose_detection/pose_detection.tflite", start: 0, end: 2962288 }]);
    const hands = parsePackedAssetsLoader(await readFile(packageFile("@mediapipe/hands", "hands_solution_packed_assets_loader.js"), "utf8"));
    expect(hands.files.map((file) => [path.posix.basename(file.filename), file.start, file.end])).toEqual([
      ["handedness.txt", 0, 11],
      ["palm_detection_full.tflite", 11, 2341291],
      ["palm_detection_lite.tflite", 2341291, 4326731],
    ]);
    const data = await readPackageFile("@mediapipe/hands", "hands_solution_packed_assets.data");
    const palm = extractPackedFile(hands, data, "palm_detection_lite.tflite");
    expect(palm.length).toBe(4326731 - 2341291);
    expect(new TextDecoder().decode(palm.subarray(4, 8))).toBe("TFL3");
  });

  it("handles braces inside strings and rejects loaders without the call", () => {
    const source = `var x = 1; loadPackage({"files": [{"filename": "/a/{weird}.tflite", "start": 0, "end": 4}], "remote_package_size": 4}); }`;
    expect(parsePackedAssetsLoader(source).files[0]?.filename).toBe("/a/{weird}.tflite");
    expect(() => parsePackedAssetsLoader("function loadPackage(metadata) {}")).toThrow(/no loadPackage/);
    expect(() => parsePackedAssetsLoader(`loadPackage({"files": [{"filename": "a", "start": 4, "end": 2}], "remote_package_size": 4})`)).toThrow(/bad range/);
  });
});

describe("TFLite metadata writer and reader", () => {
  it.each([
    ["@mediapipe/face_detection", "face_detection_short_range.tflite", 127.5, 127.5],
    ["@mediapipe/pose", "pose_landmark_lite.tflite", 0, 255],
  ])("adds NormalizationOptions to %s/%s and leaves the network intact", async (packageName, file, mean, std) => {
    const original = await readPackageFile(packageName, file);
    expect(() => readInputNormalization(original)).toThrow(/no TFLITE_METADATA/);

    const written = addNormalizationMetadata(original, { mean, std }, description);
    expect(readInputNormalization(written)).toEqual({ mean: [mean], std: [std], modelName: "test" });

    const before = summarizeModel(original);
    const after = summarizeModel(written);
    expect(after.bufferCount).toBe(before.bufferCount + 1);
    expect(after.tensorShapes).toEqual(before.tensorShapes);
    expect(after.inputs).toEqual(before.inputs);
    expect(after.outputs).toEqual(before.outputs);
    expect(after.version).toBe(before.version);
    expect(after.metadataNames).toEqual([...before.metadataNames, "TFLITE_METADATA"]);
    // Prefix approach: the original bytes follow a 16-byte multiple, unchanged.
    const prefixBytes = written.length - original.length;
    expect(prefixBytes % 16).toBe(0);
    expect(Buffer.compare(written.subarray(prefixBytes), original)).toBe(0);
  });

  it("replaces an existing TFLITE_METADATA entry instead of adding a second one", async () => {
    const original = await readPackageFile("@mediapipe/face_detection", "face_detection_short_range.tflite");
    const once = addNormalizationMetadata(original, { mean: 1, std: 2 }, description);
    const twice = addNormalizationMetadata(once, { mean: 127.5, std: 127.5 }, description);
    expect(summarizeModel(twice).metadataNames.filter((name) => name === "TFLITE_METADATA")).toHaveLength(1);
    expect(readInputNormalization(twice).mean).toEqual([127.5]);
  });

  it("is deterministic and rejects files that are not TFLite models", async () => {
    const original = await readPackageFile("@mediapipe/face_detection", "face_detection_short_range.tflite");
    const first = addNormalizationMetadata(original, { mean: 127.5, std: 127.5 }, description);
    const second = addNormalizationMetadata(original, { mean: 127.5, std: 127.5 }, description);
    expect(sha256Hex(first)).toBe(sha256Hex(second));
    expect(() => addNormalizationMetadata(new TextEncoder().encode("not a model at all"), { mean: 0, std: 1 }, description)).toThrow(/file identifier/);
    const truncated = first.subarray(0, 200);
    expect(() => readInputNormalization(truncated)).toThrow(/outside/);
  });
});

describe("task bundles", () => {
  it("stores entries byte for byte, 16-byte aligned, deterministically", () => {
    const entries = [
      { name: "pose_detector.tflite", bytes: new Uint8Array(1001).fill(7) },
      { name: "pose_landmarks_detector.tflite", bytes: new Uint8Array(333).fill(9) },
    ];
    const zip = createTaskBundle(entries);
    expect(sha256Hex(createTaskBundle(entries))).toBe(sha256Hex(zip));
    const read = readTaskBundle(zip);
    expect([...read.keys()]).toEqual(entries.map((entry) => entry.name));
    for (const entry of entries) expect(Buffer.compare(read.get(entry.name) ?? new Uint8Array(), entry.bytes)).toBe(0);
    for (const location of locateBundleEntries(zip)) {
      expect(location.compressionMethod).toBe(0);
      expect(location.dataOffset % 16).toBe(0);
    }
  });
});

describe("manifest schema", () => {
  const validManifest: VisionManifest = {
    tasksVisionVersion: "1.1.0",
    runtime: {
      name: "runtime",
      baseUrl: "/vision/wasm-0123abcd/",
      files: [{ name: "vision_wasm_internal.wasm", url: "/vision/wasm-0123abcd/vision_wasm_internal.wasm", bytes: 10, gzipBytes: 5, sha256: "a".repeat(64) }],
    },
    assets: [{ name: "face_short", kind: "face", url: "/vision/f.0123abcd.tflite", bytes: 10, gzipBytes: 9, sha256: "b".repeat(64) }],
  };
  it("accepts a valid manifest and rejects bad ones", () => {
    expect(parseVisionManifest(validManifest)).toEqual(validManifest);
    expect(visionManifestSchema.safeParse({ ...validManifest, assets: [{ ...validManifest.assets[0], sha256: "xyz" }] }).success).toBe(false);
    expect(visionManifestSchema.safeParse({ ...validManifest, assets: [{ ...validManifest.assets[0], url: "/vision/../x" }] }).success).toBe(false);
    const moved = { ...validManifest, runtime: { ...validManifest.runtime, baseUrl: "/vision/other/" } };
    expect(() => parseVisionManifest(moved)).toThrow(/baseUrl \+ name/);
  });
});

describe("vision asset build", () => {
  let outDir = "";
  let first: VisionBuildReport;
  const log: string[] = [];
  const build = (options: { force?: boolean } = {}): Promise<VisionBuildReport> =>
    buildVisionAssets({ projectRoot, outDir, brotli: false, log: (line) => log.push(line), ...options });

  const filePathOf = (url: string): string => path.join(outDir, ...url.replace(/^\/vision\//, "").split("/"));
  const mtimes = async (): Promise<Map<string, number>> => {
    const result = new Map<string, number>();
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else result.set(path.relative(outDir, full), (await stat(full)).mtimeMs);
      }
    };
    await walk(outDir);
    return result;
  };

  beforeAll(async () => {
    outDir = await mkdtemp(path.join(tmpdir(), "vision-assets-test-"));
    first = await build();
  }, 180_000);
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it("writes every asset and a manifest that matches the files", async () => {
    expect(first.status).toBe("built");
    const manifest = parseVisionManifest(JSON.parse(await readFile(path.join(outDir, "manifest.json"), "utf8")));
    expect(manifest.tasksVisionVersion).toBe("1.1.0");
    expect(manifest.assets.map((asset) => [asset.name, asset.kind])).toEqual([
      ["pose_lite", "pose"],
      ["pose_full", "pose"],
      ["pose_heavy", "pose"],
      ["hand_lite", "hand"],
      ["face_short", "face"],
    ]);
    expect(manifest.runtime.baseUrl).toMatch(/^\/vision\/wasm-[0-9a-f]{8}\/$/);
    expect(manifest.runtime.files.map((file) => file.name).sort()).toEqual([
      "vision_wasm_internal.js",
      "vision_wasm_internal.wasm",
      "vision_wasm_nosimd_internal.js",
      "vision_wasm_nosimd_internal.wasm",
    ]);
    for (const file of [...manifest.assets, ...manifest.runtime.files]) {
      const bytes = await readFile(filePathOf(file.url));
      expect(bytes.length, file.url).toBe(file.bytes);
      expect(sha256Hex(bytes), file.url).toBe(file.sha256);
      const gzip = await readFile(`${filePathOf(file.url)}.gz`);
      expect(gzip.length, file.url).toBe(file.gzipBytes);
      expect(Buffer.compare(gunzipSync(gzip), bytes), file.url).toBe(0);
    }
    for (const asset of manifest.assets) {
      expect(path.posix.basename(asset.url)).toContain(`.${asset.sha256.slice(0, 8)}.`);
    }
    for (const file of manifest.runtime.files) {
      const shipped = await readFile(packageFile("@mediapipe/tasks-vision", `wasm/${file.name}`));
      expect(sha256Hex(shipped)).toBe(file.sha256);
    }
  });

  it("bundles the right entries, each the expected model with metadata", async () => {
    const expectations: Record<string, Record<string, [number, number]>> = {
      pose_lite: { "pose_detector.tflite": [127.5, 127.5], "pose_landmarks_detector.tflite": [0, 255] },
      pose_full: { "pose_detector.tflite": [127.5, 127.5], "pose_landmarks_detector.tflite": [0, 255] },
      pose_heavy: { "pose_detector.tflite": [127.5, 127.5], "pose_landmarks_detector.tflite": [0, 255] },
      hand_lite: { "hand_detector.tflite": [0, 255], "hand_landmarks_detector.tflite": [0, 255] },
    };
    for (const recipe of VISION_ASSET_RECIPES) {
      const asset = first.manifest.assets.find((candidate) => candidate.name === recipe.name);
      if (!asset) throw new Error(`missing ${recipe.name}`);
      const bytes = new Uint8Array(await readFile(filePathOf(asset.url)));
      if (recipe.format === "tflite") {
        expect(asset.url).toMatch(/\/face_detector_short_range\.[0-9a-f]{8}\.tflite$/);
        expect(readInputNormalization(bytes)).toMatchObject({ mean: [127.5], std: [127.5] });
        continue;
      }
      expect(asset.url).toMatch(new RegExp(`/${recipe.fileStem}\\.[0-9a-f]{8}\\.task$`));
      const entries = readTaskBundle(bytes);
      const expected = expectations[recipe.name] ?? {};
      expect([...entries.keys()].sort()).toEqual(Object.keys(expected).sort());
      for (const { entryName, model } of recipe.entries) {
        const entry = entries.get(entryName) ?? new Uint8Array();
        const [mean, std] = expected[entryName] ?? [NaN, NaN];
        expect(readInputNormalization(entry), `${recipe.name}/${entryName}`).toMatchObject({ mean: [mean], std: [std] });
        const original = await readSourceModel(projectRoot, model.source);
        expect(Buffer.compare(entry, addNormalizationMetadata(original, model.normalization, { name: model.id, description: model.description }))).toBe(0);
      }
    }
  });

  it("does nothing on a second run, and rewrites nothing when forced", async () => {
    const before = await mtimes();
    const second = await build();
    expect(second.status).toBe("up-to-date");
    expect(second.written).toEqual([]);
    expect(await mtimes()).toEqual(before);

    // Forced: everything is rebuilt in memory, but identical files are not rewritten (only the
    // private build record gets a new timestamp).
    const forced = await build({ force: true });
    expect(forced.status).toBe("built");
    expect(forced.written).toEqual([]);
    const after = await mtimes();
    after.delete(".build-state.json");
    before.delete(".build-state.json");
    expect(after).toEqual(before);
  }, 120_000);

  it("detects a corrupted or missing output and rebuilds it", async () => {
    const asset = first.manifest.assets.find((candidate) => candidate.name === "pose_lite");
    if (!asset) throw new Error("missing pose_lite");
    const target = filePathOf(asset.url);
    const corrupted = await readFile(target);
    corrupted[corrupted.length - 100] = (corrupted[corrupted.length - 100] ?? 0) ^ 0xff; // same size
    await writeFile(target, corrupted);
    await rm(`${filePathOf(first.manifest.runtime.files[0]?.url ?? "")}.gz`);
    log.length = 0;

    const repaired = await build();
    expect(repaired.status).toBe("built");
    expect(log.join("\n")).toMatch(/pose_lite: pose_landmarker_lite\.[0-9a-f]{8}\.task sha256 differs/);
    expect(log.join("\n")).toMatch(/runtime: wasm-[0-9a-f]{8}\/vision_wasm_internal\.js\.gz is missing/);
    expect(repaired.written.sort()).toEqual([path.posix.basename(asset.url), `${first.manifest.runtime.files[0]?.url.replace(/^\/vision\//, "")}.gz`].sort());
    expect(sha256Hex(await readFile(target))).toBe(asset.sha256);
  }, 120_000);

  it("removes stale outputs of older builds but leaves unrelated files", async () => {
    await writeFile(path.join(outDir, "pose_landmarker_lite.deadbeef.task"), "old");
    await writeFile(path.join(outDir, "pose_landmarker_lite.deadbeef.task.gz"), "old");
    await mkdir(path.join(outDir, "wasm-00000000"));
    await writeFile(path.join(outDir, "wasm-00000000", "vision_wasm_internal.wasm"), "old");
    await writeFile(path.join(outDir, "README.txt"), "not ours");
    const report = await build({ force: true });
    expect(report.removed.sort()).toEqual(["pose_landmarker_lite.deadbeef.task", "pose_landmarker_lite.deadbeef.task.gz", "wasm-00000000"]);
    expect(await readFile(path.join(outDir, "README.txt"), "utf8")).toBe("not ours");
  }, 120_000);

  it("fails loudly, naming the asset, when what was written does not verify", async () => {
    const failingDir = await mkdtemp(path.join(tmpdir(), "vision-assets-fail-"));
    vi.resetModules();
    vi.doMock("../../scripts/vision-assets/fileOutput", async (importOriginal) => {
      const actual = await importOriginal<typeof import("../../scripts/vision-assets/fileOutput")>();
      return {
        ...actual,
        // Simulates a bad write: one byte of the hand bundle flips on its way to disk.
        writeFileIfChanged: async (filePath: string, bytes: Uint8Array, sha256: string) => {
          if (!/hand_landmarker_lite\.[0-9a-f]{8}\.task$/.test(filePath)) return actual.writeFileIfChanged(filePath, bytes, sha256);
          const damaged = bytes.slice();
          damaged[damaged.length - 5000] = (damaged[damaged.length - 5000] ?? 0) ^ 0x01;
          return actual.writeFileIfChanged(filePath, damaged, actual.sha256Hex(damaged));
        },
      };
    });
    try {
      const { buildVisionAssets: buildWithBadDisk } = await import("../../scripts/vision-assets/build");
      const failure = buildWithBadDisk({ projectRoot, outDir: failingDir, brotli: false });
      await expect(failure).rejects.toThrow(/hand_lite: hand_landmarker_lite\.[0-9a-f]{8}\.task sha256 differs from the manifest/);
      await expect(stat(path.join(failingDir, "manifest.json"))).rejects.toThrow(/ENOENT/);
      await expect(stat(path.join(failingDir, ".build-state.json"))).rejects.toThrow(/ENOENT/);
    } finally {
      vi.doUnmock("../../scripts/vision-assets/fileOutput");
      vi.resetModules();
      await rm(failingDir, { recursive: true, force: true });
    }
  }, 180_000);
});
