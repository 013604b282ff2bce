// Install-time build of the self-hosted vision assets (see docs/vision-assets.md).
// `npm run vision:build` -> public/vision/{manifest.json, hashed models, wasm-<hash>/}.
// Flags: --force (ignore the up-to-date check), --verify (re-hash every output in that check),
// --no-brotli, --out DIR.
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseVisionManifest, type VisionManifest } from "../../core/visionManifest";
import { BUILD_STATE_FILE, MANIFEST_FILE, checkRecordedFiles, fileMtimeNs, nowNs, readBuildState, type BuildState, type RecordedFile } from "./buildState";
import { BUILD_SCRIPT_VERSION, INPUT_PACKAGES, readPackageVersion } from "./catalog";
import { readFileOrNull, sha256Hex, writeFileIfChanged } from "./fileOutput";
import { planVisionAssets, type BuildPlan, type PlannedFile } from "./plan";
import { VisionAssetBuildError, serializeManifest, verifyWrittenOutputs } from "./verify";

export interface VisionBuildOptions {
  /** Folder holding node_modules. */
  projectRoot: string;
  outDir: string;
  /** URL path the output folder is served under; default `/vision/`. */
  urlPrefix?: string;
  /** Publish `.br` siblings of the runtime files; default true. */
  brotli?: boolean;
  /** Rebuild even if the recorded build is current and intact. */
  force?: boolean;
  /** Re-hash every output in the up-to-date check instead of trusting unchanged size+mtime. */
  verifyContents?: boolean;
  log?: (line: string) => void;
}

export interface VisionBuildReport {
  status: "up-to-date" | "built";
  manifest: VisionManifest;
  /** Paths (relative to outDir) this run wrote. */
  written: string[];
  /** Stale entries (relative to outDir) this run removed. */
  removed: string[];
  durationMs: number;
}

// What earlier builds may have left behind; anything else in the folder is left alone.
const HASHED_FILE_PATTERN = /^[a-z0-9_]+\.[0-9a-f]{8}\.(?:task|tflite)(?:\.gz|\.br)?$/;
const RUNTIME_DIR_PATTERN = /^wasm-[0-9a-f]{8}$/;
const TEMPORARY_FILE_PATTERN = /^\..+\.tmp-\d+-[0-9a-f]+$/;
/** Temp files younger than this may belong to a build running right now. */
const TEMPORARY_FILE_MAX_AGE_MS = 60 * 60 * 1000;

export async function buildVisionAssets(options: VisionBuildOptions): Promise<VisionBuildReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const urlPrefix = options.urlPrefix ?? "/vision/";
  const brotli = options.brotli ?? true;
  const buildKey = await computeBuildKey(options.projectRoot, { urlPrefix, brotli });

  if (!options.force) {
    const state = await readBuildState(options.outDir);
    if (state?.buildKey === buildKey) {
      const problems = await checkRecordedFiles(options.outDir, state, { rehashAll: options.verifyContents ?? false });
      if (problems.length === 0) {
        const manifest = await readManifest(options.outDir);
        return { status: "up-to-date", manifest, written: [], removed: [], durationMs: performance.now() - started };
      }
      log(`vision assets: previous build damaged, rebuilding:\n  - ${problems.join("\n  - ")}`);
    } else if (state) {
      log("vision assets: inputs changed, rebuilding");
    }
  }

  const plan = await planVisionAssets({ projectRoot: options.projectRoot, urlPrefix, brotli });
  const written: string[] = [];
  const recorded: RecordedFile[] = [];
  const writeRecorded = async (relativePath: string, owner: string, bytes: Uint8Array, sha256: string): Promise<void> => {
    const filePath = path.join(options.outDir, ...relativePath.split("/"));
    if (await writeFileIfChanged(filePath, bytes, sha256)) written.push(relativePath);
    recorded.push({ path: relativePath, owner, bytes: bytes.length, sha256, mtimeNs: await fileMtimeNs(filePath) });
  };

  for (const file of plannedFiles(plan)) {
    await writeRecorded(file.relativePath, file.owner, file.bytes, file.sha256);
    await writeRecorded(`${file.relativePath}.gz`, file.owner, file.gzip, sha256Hex(file.gzip));
    if (file.brotli) await writeRecorded(`${file.relativePath}.br`, file.owner, file.brotli, sha256Hex(file.brotli));
  }
  const manifestBytes = new TextEncoder().encode(serializeManifest(plan.manifest));
  await writeRecorded(MANIFEST_FILE, "manifest", manifestBytes, sha256Hex(manifestBytes));

  const problems = await verifyWrittenOutputs(options.outDir, plan);
  if (problems.length > 0) {
    // Without a manifest the app reports "assets missing" instead of loading a bad model,
    // and without a state file the next install builds again.
    await rm(path.join(options.outDir, MANIFEST_FILE), { force: true });
    await rm(path.join(options.outDir, BUILD_STATE_FILE), { force: true });
    throw new VisionAssetBuildError(problems);
  }

  const state: BuildState = { buildKey, recordedAtNs: nowNs(), files: recorded };
  const stateBytes = new TextEncoder().encode(`${JSON.stringify(state, null, 2)}\n`);
  await writeFileIfChanged(path.join(options.outDir, BUILD_STATE_FILE), stateBytes, sha256Hex(stateBytes));
  const removed = await removeStaleOutputs(options.outDir, plan);
  return { status: "built", manifest: plan.manifest, written, removed, durationMs: performance.now() - started };
}

function plannedFiles(plan: BuildPlan): PlannedFile[] {
  return [...plan.assets.map((asset) => asset.file), ...plan.runtime.map((runtimeFile) => runtimeFile.file)];
}

async function computeBuildKey(projectRoot: string, settings: { urlPrefix: string; brotli: boolean }): Promise<string> {
  const versions = await Promise.all(INPUT_PACKAGES.map(async (name) => [name, await readPackageVersion(projectRoot, name)] as const));
  return sha256Hex(JSON.stringify({ buildScript: BUILD_SCRIPT_VERSION, versions, ...settings }));
}

async function readManifest(outDir: string): Promise<VisionManifest> {
  const bytes = await readFileOrNull(path.join(outDir, MANIFEST_FILE));
  if (!bytes) throw new Error(`${MANIFEST_FILE} missing in ${outDir}`);
  return parseVisionManifest(JSON.parse(new TextDecoder().decode(bytes)));
}

async function removeStaleOutputs(outDir: string, plan: BuildPlan): Promise<string[]> {
  const keepTopLevel = new Set<string>([MANIFEST_FILE, BUILD_STATE_FILE, plan.runtimeDir]);
  const keepInRuntimeDir = new Set<string>();
  for (const file of plannedFiles(plan)) {
    const [first, second] = file.relativePath.split("/");
    if (second === undefined && first !== undefined) {
      for (const suffix of ["", ".gz", ".br"]) keepTopLevel.add(`${first}${suffix}`);
    } else if (second !== undefined) {
      for (const suffix of ["", ".gz", ".br"]) keepInRuntimeDir.add(`${second}${suffix}`);
    }
  }

  const removed: string[] = [];
  const removeIfStale = async (dir: string, prefix: string, name: string, keep: Set<string>, ownedDir: boolean): Promise<void> => {
    if (keep.has(name)) return;
    const fullPath = path.join(dir, name);
    if (TEMPORARY_FILE_PATTERN.test(name)) {
      const info = await stat(fullPath);
      if (Date.now() - info.mtimeMs < TEMPORARY_FILE_MAX_AGE_MS) return;
    } else if (!ownedDir && !HASHED_FILE_PATTERN.test(name) && !RUNTIME_DIR_PATTERN.test(name)) {
      return;
    }
    await rm(fullPath, { recursive: true, force: true });
    removed.push(`${prefix}${name}`);
  };

  for (const name of await readdir(outDir)) await removeIfStale(outDir, "", name, keepTopLevel, false);
  const runtimeDir = path.join(outDir, plan.runtimeDir);
  for (const name of await readdir(runtimeDir)) {
    await removeIfStale(runtimeDir, `${plan.runtimeDir}/`, name, keepInRuntimeDir, true);
  }
  return removed;
}

function formatMegabytes(bytes: number | undefined): string {
  return bytes === undefined ? "-" : `${(bytes / 1_000_000).toFixed(2)} MB`;
}

async function main(): Promise<void> {
  const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  const args = process.argv.slice(2);
  const outIndex = args.indexOf("--out");
  const outArgument = outIndex >= 0 ? args[outIndex + 1] : undefined;
  const outDir = outArgument ? path.resolve(outArgument) : path.join(projectRoot, "public", "vision");
  const report = await buildVisionAssets({
    projectRoot,
    outDir,
    force: args.includes("--force"),
    verifyContents: args.includes("--verify"),
    brotli: !args.includes("--no-brotli"),
    log: (line) => console.log(line),
  });
  const seconds = (report.durationMs / 1000).toFixed(2);
  if (report.status === "up-to-date") {
    console.log(`vision assets: up to date in ${path.relative(projectRoot, outDir)} (checked in ${seconds} s)`);
    return;
  }
  console.log(`vision assets: built and verified in ${seconds} s -> ${path.relative(projectRoot, outDir)}`);
  for (const file of [...report.manifest.assets, ...report.manifest.runtime.files]) {
    console.log(
      `  ${file.url.padEnd(58)} ${formatMegabytes(file.bytes).padStart(9)}  gzip ${formatMegabytes(file.gzipBytes).padStart(9)}  br ${formatMegabytes(file.brotliBytes).padStart(9)}`,
    );
  }
  console.log(`  wrote ${report.written.length} files, removed ${report.removed.length} stale entries`);
}

const invokedPath = process.argv[1];
if (invokedPath && path.resolve(invokedPath) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`\nvision assets: BUILD FAILED\n${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
