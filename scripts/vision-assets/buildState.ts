// A private record (dot-file: the asset handler never serves it) of what the last successful,
// verified build wrote. A later install compares the build key and checks the files against it,
// which is how "nothing changed" is decided in well under a second.
//
// The check compares size and mtime (nanoseconds) and re-hashes a file only when they differ
// or the file is "racy": written so shortly before the record that a later change might not
// have moved its timestamp (git's index does the same). The window is the timestamp
// granularity: 50 ms covers the kernel's coarse clock on ns-timestamp filesystems; whole-second
// mtimes (FAT, some network mounts) get 2 s. Hashing all ~140 MB on every install took
// 0.5-1.5 s on a loaded 2-core machine; `--verify` forces the full re-hash.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { readFileOrNull, sha256Hex } from "./fileOutput";

export const BUILD_STATE_FILE = ".build-state.json";
export const MANIFEST_FILE = "manifest.json";
const RACY_WINDOW_FINE_NS = 50_000_000n;
const RACY_WINDOW_COARSE_NS = 2_000_000_000n;
const NS_PER_SECOND = 1_000_000_000n;

const recordedFileSchema = z.object({
  path: z.string().min(1),
  owner: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** File mtime in nanoseconds, as a decimal string (beyond Number precision). */
  mtimeNs: z.string().regex(/^\d+$/),
});
const buildStateSchema = z.object({
  buildKey: z.string().min(1),
  recordedAtNs: z.string().regex(/^\d+$/),
  files: z.array(recordedFileSchema).min(1),
});

export type RecordedFile = z.infer<typeof recordedFileSchema>;
export type BuildState = z.infer<typeof buildStateSchema>;

/** The recorded state, or null when there is none or it is unreadable (then we rebuild). */
export async function readBuildState(outDir: string): Promise<BuildState | null> {
  let text: string;
  try {
    text = await readFile(path.join(outDir, BUILD_STATE_FILE), "utf8");
  } catch {
    return null;
  }
  try {
    const parsed = buildStateSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function fileMtimeNs(filePath: string): Promise<string> {
  return (await stat(filePath, { bigint: true })).mtimeNs.toString();
}

export function nowNs(): string {
  return (BigInt(Date.now()) * 1_000_000n).toString();
}

/** Problems found checking the recorded files; empty when every file is as recorded. */
export async function checkRecordedFiles(outDir: string, state: BuildState, options: { rehashAll: boolean }): Promise<string[]> {
  const problems: string[] = [];
  const coarseTimestamps = state.files.every((recorded) => BigInt(recorded.mtimeNs) % NS_PER_SECOND === 0n);
  const racyAfterNs = BigInt(state.recordedAtNs) - (coarseTimestamps ? RACY_WINDOW_COARSE_NS : RACY_WINDOW_FINE_NS);
  for (const recorded of state.files) {
    const filePath = path.join(outDir, ...recorded.path.split("/"));
    let info;
    try {
      info = await stat(filePath, { bigint: true });
    } catch {
      problems.push(`${recorded.owner}: ${recorded.path} is missing`);
      continue;
    }
    if (!info.isFile() || info.size !== BigInt(recorded.bytes)) {
      problems.push(`${recorded.owner}: ${recorded.path} has ${info.size} bytes, expected ${recorded.bytes}`);
      continue;
    }
    const unchangedStat = info.mtimeNs.toString() === recorded.mtimeNs && info.mtimeNs < racyAfterNs;
    if (unchangedStat && !options.rehashAll) continue;
    const bytes = await readFileOrNull(filePath);
    if (!bytes || sha256Hex(bytes) !== recorded.sha256) problems.push(`${recorded.owner}: ${recorded.path} sha256 differs`);
  }
  return problems;
}
