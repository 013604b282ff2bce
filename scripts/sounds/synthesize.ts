// Install-time synthesis of the game's music and effects (see docs/sounds.md).
// `npm run sounds:build` -> public/sounds/generated/{manifest.json, <name>.<hash8>.mp3}.
// Nothing is downloaded: every sample is computed here from oscillators, envelopes, filters and
// seeded noise, then encoded to MP3 with lamejs (pure JS). Deterministic and idempotent: the
// manifest records a key over the synthesiser's source and settings, and a run whose key
// matches an intact output does nothing.
// Flags: --force (rebuild anyway), --verify (re-hash outputs in the up-to-date check),
// --out DIR (default public/sounds/generated), --wav DIR (also dump WAVs there, for listening).
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { writeAtomically } from "../lib/writeAtomically";
import { fileURLToPath } from "node:url";
import {
  EFFECT_NAMES,
  MUSIC_NAME,
  SOUND_MANIFEST_VERSION,
  SOUND_NAMES,
  SOUND_URL_PREFIX,
  parseSoundManifest,
  type SoundEntry,
  type SoundManifest,
  type SoundName,
} from "../../client/audio/manifest";
import { SAMPLE_RATE } from "./dsp";
import { encodeMp3, encodeWav, inspectMp3 } from "./encode";
import { layoutMusicFile, renderAllSounds } from "./render";

/** Bump to force a rebuild when something the key does not cover changes. */
const SYNTH_VERSION = 1;
export const MUSIC_KBPS = 96;
export const EFFECT_KBPS = 80;
const MANIFEST_FILE = "manifest.json";
const OUTPUT_FILE_PATTERN = new RegExp(`^(?:${SOUND_NAMES.join("|")})\\.[0-9a-f]{8}\\.mp3$`);
const TEMPORARY_FILE_PATTERN = /^\..+\.tmp-\d+-[0-9a-f]+$/;

export interface SoundBuildOptions {
  projectRoot: string;
  outDir: string;
  force?: boolean;
  verifyContents?: boolean;
  wavDir?: string;
  log?: (line: string) => void;
}

export interface SoundBuildReport {
  status: "up-to-date" | "built";
  manifest: SoundManifest;
  written: string[];
  removed: string[];
  durationMs: number;
  timings?: { renderMs: number; encodeMs: number };
}

function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Key over everything the output depends on: this folder's source, the schema, the encoder. */
export async function computeBuildKey(projectRoot: string): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`synth-version:${SYNTH_VERSION};rate:${SAMPLE_RATE};music:${MUSIC_KBPS};effects:${EFFECT_KBPS}\n`);
  const scriptDir = path.join(projectRoot, "scripts/sounds");
  const sources = (await readdir(scriptDir)).filter((f) => f.endsWith(".ts")).sort();
  const inputs = [...sources.map((f) => path.join("scripts/sounds", f)), "client/audio/manifest.ts"];
  for (const relative of inputs) {
    hash.update(`${relative}\n`);
    hash.update(await readFile(path.join(projectRoot, relative)));
  }
  const lamePackage = JSON.parse(await readFile(path.join(projectRoot, "node_modules/@breezystack/lamejs/package.json"), "utf8")) as { version?: unknown };
  hash.update(`lamejs:${String(lamePackage.version)}\n`);
  return hash.digest("hex");
}

async function readManifest(outDir: string): Promise<SoundManifest | null> {
  let text: string;
  try {
    text = await readFile(path.join(outDir, MANIFEST_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  try {
    return parseSoundManifest(JSON.parse(text));
  } catch {
    return null; // unreadable or from an older schema: rebuild
  }
}

function fileNameOf(url: string): string {
  return url.slice(url.lastIndexOf("/") + 1);
}

/** True when every file the manifest names exists with the recorded size (and hash, if asked). */
async function outputsIntact(outDir: string, manifest: SoundManifest, verifyContents: boolean): Promise<boolean> {
  for (const name of SOUND_NAMES) {
    for (const file of manifest.sounds[name].files) {
      let bytes: Buffer;
      try {
        bytes = await readFile(path.join(outDir, fileNameOf(file.url)));
      } catch {
        return false;
      }
      if (bytes.length !== file.bytes) return false;
      if (verifyContents && sha256Hex(bytes) !== file.sha256) return false;
    }
  }
  return true;
}

export async function buildSounds(options: SoundBuildOptions): Promise<SoundBuildReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const outDir = path.resolve(options.outDir);
  const buildKey = await computeBuildKey(options.projectRoot);

  const existing = await readManifest(outDir);
  if (
    !options.force &&
    !options.wavDir &&
    existing &&
    existing.buildKey === buildKey &&
    (await outputsIntact(outDir, existing, options.verifyContents ?? false))
  ) {
    return { status: "up-to-date", manifest: existing, written: [], removed: [], durationMs: performance.now() - started };
  }

  const renderStarted = performance.now();
  const rendered = renderAllSounds();
  const music = layoutMusicFile(rendered.musicLoop);
  const renderMs = performance.now() - renderStarted;

  const encodeStarted = performance.now();
  const pcm: Record<SoundName, Float32Array> = { ...rendered.effects, [MUSIC_NAME]: music.samples };
  const encoded = new Map<SoundName, Uint8Array>();
  for (const name of SOUND_NAMES) {
    const bytes = encodeMp3(pcm[name], name === MUSIC_NAME ? MUSIC_KBPS : EFFECT_KBPS);
    encoded.set(name, bytes);
  }
  const encodeMs = performance.now() - encodeStarted;

  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  const sounds = {} as Record<SoundName, SoundEntry>;
  for (const name of SOUND_NAMES) {
    const bytes = encoded.get(name)!;
    const info = inspectMp3(bytes); // throws on a malformed stream
    if (info.sampleRate !== SAMPLE_RATE || info.channels !== 1) {
      throw new Error(`sound "${name}": encoded as ${info.sampleRate} Hz, ${info.channels} ch`);
    }
    const sha256 = sha256Hex(bytes);
    const fileName = `${name}.${sha256.slice(0, 8)}.mp3`;
    const filePath = path.join(outDir, fileName);
    const current = await readFile(filePath).catch(() => null);
    if (!current || sha256Hex(current) !== sha256) {
      await writeAtomically(filePath, bytes);
      written.push(fileName);
    }
    const entry: SoundEntry = {
      duration: round(info.duration, 4),
      files: [{ url: `${SOUND_URL_PREFIX}${fileName}`, format: "mp3", bytes: bytes.length, sha256 }],
    };
    if (name === MUSIC_NAME) {
      if (music.loopEnd > info.duration) throw new Error("music: loop window runs past the end of the file");
      entry.loop = { start: round(music.loopStart, 6), end: round(music.loopEnd, 6) };
    }
    sounds[name] = entry;
    log(`  ${fileName.padEnd(28)} ${(bytes.length / 1024).toFixed(1).padStart(6)} KiB  ${info.duration.toFixed(2)} s`);
  }

  if (options.wavDir) {
    const wavDir = path.resolve(options.wavDir);
    await mkdir(wavDir, { recursive: true });
    for (const name of SOUND_NAMES) await writeFile(path.join(wavDir, `${name}.wav`), encodeWav(pcm[name]));
    await writeFile(path.join(wavDir, "music-loop.wav"), encodeWav(rendered.musicLoop));
    log(`  WAV copies in ${wavDir}`);
  }

  const manifest: SoundManifest = parseSoundManifest({
    version: SOUND_MANIFEST_VERSION,
    buildKey,
    sampleRate: SAMPLE_RATE,
    sounds,
  });
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  const currentManifest = await readFile(path.join(outDir, MANIFEST_FILE), "utf8").catch(() => null);
  if (currentManifest !== manifestText) {
    await writeAtomically(path.join(outDir, MANIFEST_FILE), manifestText);
    written.push(MANIFEST_FILE);
  }

  // Remove what earlier builds left behind; anything else in the folder is left alone.
  const keep = new Set(SOUND_NAMES.flatMap((name) => sounds[name].files.map((f) => fileNameOf(f.url))));
  const removed: string[] = [];
  for (const entry of await readdir(outDir)) {
    if ((OUTPUT_FILE_PATTERN.test(entry) && !keep.has(entry)) || TEMPORARY_FILE_PATTERN.test(entry)) {
      await rm(path.join(outDir, entry), { force: true });
      removed.push(entry);
    }
  }

  return {
    status: "built",
    manifest,
    written,
    removed,
    durationMs: performance.now() - started,
    timings: { renderMs, encodeMs },
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

async function main(): Promise<void> {
  const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  const args = process.argv.slice(2);
  const valueOf = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const value = args[i + 1];
    if (!value || value.startsWith("--")) throw new Error(`${flag} needs a value`);
    return value;
  };
  const known = new Set(["--force", "--verify", "--out", "--wav"]);
  for (const [i, arg] of args.entries()) {
    if (arg.startsWith("--") && !known.has(arg)) throw new Error(`unknown flag ${arg}`);
    if (!arg.startsWith("--") && !["--out", "--wav"].includes(args[i - 1] ?? "")) throw new Error(`unexpected argument ${arg}`);
  }
  const outDir = valueOf("--out") ?? path.join(projectRoot, "public/sounds/generated");
  const report = await buildSounds({
    projectRoot,
    outDir,
    force: args.includes("--force"),
    verifyContents: args.includes("--verify"),
    wavDir: valueOf("--wav"),
    log: (line) => console.log(line),
  });
  const total = SOUND_NAMES.reduce((n, name) => n + report.manifest.sounds[name].files[0]!.bytes, 0);
  const effects = EFFECT_NAMES.reduce((n, name) => n + report.manifest.sounds[name].files[0]!.bytes, 0);
  const detail = report.timings ? ` (render ${Math.round(report.timings.renderMs)} ms, encode ${Math.round(report.timings.encodeMs)} ms)` : "";
  console.log(
    `sounds: ${report.status} in ${Math.round(report.durationMs)} ms${detail}; ` +
      `${(total / 1024).toFixed(0)} KiB total (music ${(report.manifest.sounds.music.files[0]!.bytes / 1024).toFixed(0)} KiB, ` +
      `effects ${(effects / 1024).toFixed(0)} KiB) in ${path.relative(projectRoot, outDir) || "."}` +
      (report.removed.length ? `; removed ${report.removed.length} stale file(s)` : ""),
  );
}

const invokedPath = process.argv[1];
if (invokedPath && path.resolve(invokedPath) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error("sounds:build failed:", error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
