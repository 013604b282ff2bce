import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EFFECT_NAMES, SOUND_NAMES, parseSoundManifest } from "../../client/audio/manifest";
import { MUTED_STORAGE_KEY, createMutePreference, type KeyValueStorage } from "../../client/audio/mutePreference";
import { SAMPLE_RATE, peak, rms } from "../../scripts/sounds/dsp";
import { EFFECT_DURATION_RANGE } from "../../scripts/sounds/effects";
import { MP3_DELAY_SAMPLES, encodeMp3, inspectMp3 } from "../../scripts/sounds/encode";
import { clearVoiceCache } from "../../scripts/sounds/instruments";
import { LOOP_SAMPLES } from "../../scripts/sounds/music";
import {
  MAX_PEAK,
  MIN_RMS,
  MUSIC_DURATION_RANGE,
  MUSIC_MARGIN_SAMPLES,
  layoutMusicFile,
  renderAllSounds,
  type RenderedSounds,
} from "../../scripts/sounds/render";
import { buildSounds } from "../../scripts/sounds/synthesize";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

let sounds: RenderedSounds;
beforeAll(() => {
  sounds = renderAllSounds();
});

function sortedAbs(values: Float64Array): Float64Array {
  return values.map(Math.abs).sort();
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

describe("synthesised sounds", () => {
  it("renders every effect within its expected duration", () => {
    expect(Object.keys(sounds.effects).sort()).toEqual([...EFFECT_NAMES].sort());
    for (const name of EFFECT_NAMES) {
      const seconds = sounds.effects[name].length / SAMPLE_RATE;
      const [min, max] = EFFECT_DURATION_RANGE[name];
      expect(seconds, name).toBeGreaterThanOrEqual(min);
      expect(seconds, name).toBeLessThanOrEqual(max);
    }
    expect(EFFECT_DURATION_RANGE.tick[1]).toBeLessThanOrEqual(0.3); // a countdown tick must be short
    expect(EFFECT_DURATION_RANGE.winner[0]).toBeGreaterThanOrEqual(2);
  });

  it("renders a 16-24 s music loop of a whole number of bars", () => {
    const seconds = sounds.musicLoop.length / SAMPLE_RATE;
    expect(seconds).toBeGreaterThanOrEqual(MUSIC_DURATION_RANGE[0]);
    expect(seconds).toBeLessThanOrEqual(MUSIC_DURATION_RANGE[1]);
    expect(sounds.musicLoop.length).toBe(LOOP_SAMPLES);
    expect(sounds.musicLoop.length % 1152).toBe(0); // whole MP3 frames: see music.ts
    expect(seconds).toBeCloseTo(22.49, 2); // 12 bars at ~128 BPM
  });

  it("is audible but never clips", () => {
    for (const [name, samples] of [...Object.entries(sounds.effects), ["music", sounds.musicLoop] as const]) {
      expect(rms(samples), `${name} RMS`).toBeGreaterThan(MIN_RMS);
      expect(peak(samples), `${name} peak`).toBeLessThan(MAX_PEAK);
      expect(samples.every(Number.isFinite), `${name} finite`).toBe(true);
    }
  });

  it("starts and ends effects on silence, so they never click", () => {
    for (const name of EFFECT_NAMES) {
      const samples = sounds.effects[name];
      expect(Math.abs(samples[0]!), `${name} first sample`).toBeLessThan(1e-3);
      expect(Math.abs(samples[samples.length - 1]!), `${name} last sample`).toBeLessThan(1e-3);
    }
  });

  it("joins the music loop's end to its start without a click", () => {
    const x = sounds.musicLoop;
    const n = x.length;
    // First and second differences everywhere inside the loop: the seam must look like any other spot.
    const first = new Float64Array(n - 1);
    const second = new Float64Array(n - 2);
    for (let i = 1; i < n; i++) first[i - 1] = x[i]! - x[i - 1]!;
    for (let i = 1; i < n - 1; i++) second[i - 1] = x[i + 1]! - 2 * x[i]! + x[i - 1]!;
    const firstSorted = sortedAbs(first);
    const secondSorted = sortedAbs(second);

    const seamStep = Math.abs(x[0]! - x[n - 1]!);
    const seamCurvature = Math.max(Math.abs(x[0]! - 2 * x[n - 1]! + x[n - 2]!), Math.abs(x[1]! - 2 * x[0]! + x[n - 1]!));
    expect(seamStep).toBeLessThanOrEqual(quantile(firstSorted, 0.999));
    expect(seamCurvature).toBeLessThanOrEqual(quantile(secondSorted, 0.999));
    // And the step across the seam is about as big as its neighbours' steps.
    const neighbours = Math.max(Math.abs(x[1]! - x[0]!), Math.abs(x[n - 1]! - x[n - 2]!), 1e-4);
    expect(seamStep).toBeLessThan(4 * neighbours);
  });

  it("lays the music file out so any window near the nominal loop start is periodic", () => {
    const loop = sounds.musicLoop;
    const layout = layoutMusicFile(loop);
    const m = MUSIC_MARGIN_SAMPLES;
    expect(layout.samples.length).toBe(loop.length + 2 * m);
    // Away from the short outer fades, sample k and k + loop length are the same sample.
    for (const k of [400, 1000, m - 1, m, m + 1000, 2 * m - 400]) {
      expect(layout.samples[k + loop.length]).toBe(layout.samples[k]);
    }
    // The window is placed assuming the decoder emits MP3_DELAY_SAMPLES first; it still fits
    // inside the periodic part if a decoder trims all of that delay.
    const start = Math.round(layout.loopStart * SAMPLE_RATE);
    expect(start).toBe(m + MP3_DELAY_SAMPLES);
    expect(Math.round(layout.loopEnd * SAMPLE_RATE) - start).toBe(loop.length);
    expect(start + loop.length).toBeLessThan(layout.samples.length - 400);
    expect(start - MP3_DELAY_SAMPLES).toBeGreaterThan(400);
  });

  it("renders identically every time (seeded noise, no clocks)", () => {
    clearVoiceCache();
    const again = renderAllSounds();
    for (const name of EFFECT_NAMES) expect(Buffer.from(again.effects[name].buffer).equals(Buffer.from(sounds.effects[name].buffer)), name).toBe(true);
    expect(Buffer.from(again.musicLoop.buffer).equals(Buffer.from(sounds.musicLoop.buffer))).toBe(true);
  });

  it("encodes well-formed, deterministic mono MP3", () => {
    for (const name of ["tick", "good"] as const) {
      const a = encodeMp3(sounds.effects[name], 80);
      const b = encodeMp3(sounds.effects[name], 80);
      expect(Buffer.from(a).equals(Buffer.from(b)), name).toBe(true);
      const info = inspectMp3(a);
      expect(info).toMatchObject({ sampleRate: SAMPLE_RATE, channels: 1, bitrateKbps: 80 });
      const seconds = sounds.effects[name].length / SAMPLE_RATE;
      expect(info.duration).toBeGreaterThanOrEqual(seconds);
      expect(info.duration).toBeLessThan(seconds + 0.1);
    }
    expect(() => inspectMp3(new Uint8Array([0xff, 0xfb, 0x50]))).toThrow(/truncated/);
    expect(() => inspectMp3(new Uint8Array(1000))).toThrow(/sync/);
  });
});

describe("sounds:build", () => {
  let outDir: string;
  beforeAll(async () => {
    outDir = await mkdtemp(path.join(tmpdir(), "poseparty-sounds-"));
  });
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it("writes hashed MP3s and a manifest, then skips when up to date", { timeout: 120_000 }, async () => {
    await writeFile(path.join(outDir, "music.0123abcd.mp3"), "stale");
    await writeFile(path.join(outDir, "keep-me.txt"), "not ours");
    const first = await buildSounds({ projectRoot, outDir });
    expect(first.status).toBe("built");
    expect(first.removed).toEqual(["music.0123abcd.mp3"]);

    const manifest = parseSoundManifest(JSON.parse(await readFile(path.join(outDir, "manifest.json"), "utf8")));
    expect(Object.keys(manifest.sounds).sort()).toEqual([...SOUND_NAMES].sort());
    for (const name of SOUND_NAMES) {
      const [file] = manifest.sounds[name].files;
      expect(file!.url).toMatch(new RegExp(`^/sounds/generated/${name}\\.[0-9a-f]{8}\\.mp3$`));
      const bytes = await readFile(path.join(outDir, path.basename(file!.url)));
      expect(bytes.length).toBe(file!.bytes);
      expect(inspectMp3(bytes).duration).toBeCloseTo(manifest.sounds[name].duration, 3);
    }
    const music = manifest.sounds.music;
    expect(music.loop).toBeDefined();
    expect(music.loop!.end - music.loop!.start).toBeCloseTo(LOOP_SAMPLES / SAMPLE_RATE, 5);
    expect(music.loop!.end).toBeLessThanOrEqual(music.duration);
    // Compact: the whole set stays well under half a megabyte.
    const total = SOUND_NAMES.reduce((n, name) => n + manifest.sounds[name].files[0]!.bytes, 0);
    expect(total).toBeLessThan(450 * 1024);

    const second = await buildSounds({ projectRoot, outDir, verifyContents: true });
    expect(second.status).toBe("up-to-date");
    expect(second.manifest).toEqual(manifest);

    // A missing output triggers a rebuild that reproduces the same bytes.
    const tickFile = path.basename(manifest.sounds.tick.files[0]!.url);
    await rm(path.join(outDir, tickFile));
    const third = await buildSounds({ projectRoot, outDir });
    expect(third.status).toBe("built");
    expect(third.written).toEqual([tickFile]);
    expect(third.manifest).toEqual(manifest);
    expect((await readdir(outDir)).sort()).toEqual(
      ["keep-me.txt", "manifest.json", ...SOUND_NAMES.map((name) => path.basename(manifest.sounds[name].files[0]!.url))].sort(),
    );
  });
});

describe("mute preference", () => {
  class FakeStorage implements KeyValueStorage {
    readonly data = new Map<string, string>();
    writes = 0;
    getItem(key: string): string | null {
      return this.data.get(key) ?? null;
    }
    setItem(key: string, value: string): void {
      this.writes++;
      this.data.set(key, value);
    }
  }

  it("defaults to unmuted and remembers the choice across visits", () => {
    const storage = new FakeStorage();
    const first = createMutePreference(() => storage);
    expect(first.isMuted()).toBe(false);
    first.setMuted(true);
    expect(first.isMuted()).toBe(true);
    expect(storage.data.get(MUTED_STORAGE_KEY)).toBe("1");
    expect(MUTED_STORAGE_KEY).toBe("poseparty.muted");

    const nextVisit = createMutePreference(() => storage);
    expect(nextVisit.isMuted()).toBe(true);
    nextVisit.setMuted(false);
    expect(storage.data.get(MUTED_STORAGE_KEY)).toBe("0");
    expect(createMutePreference(() => storage).isMuted()).toBe(false);
  });

  it("reads storage lazily, not when created", () => {
    let lookups = 0;
    const preference = createMutePreference(() => {
      lookups++;
      return new FakeStorage();
    });
    expect(lookups).toBe(0);
    preference.isMuted();
    preference.isMuted();
    expect(lookups).toBe(1);
  });

  it("treats unknown stored values as unmuted", () => {
    const storage = new FakeStorage();
    storage.data.set(MUTED_STORAGE_KEY, "yes");
    expect(createMutePreference(() => storage).isMuted()).toBe(false);
  });

  it("notifies subscribers on changes only, until they unsubscribe", () => {
    const preference = createMutePreference(() => new FakeStorage());
    const seen: boolean[] = [];
    const unsubscribe = preference.subscribe((muted) => seen.push(muted));
    preference.setMuted(true);
    preference.setMuted(true);
    preference.setMuted(false);
    unsubscribe();
    preference.setMuted(true);
    expect(seen).toEqual([true, false]);
  });

  it("picks up a change made elsewhere (another tab) on reload", () => {
    const storage = new FakeStorage();
    const preference = createMutePreference(() => storage);
    const seen: boolean[] = [];
    preference.subscribe((muted) => seen.push(muted));
    expect(preference.isMuted()).toBe(false);
    storage.data.set(MUTED_STORAGE_KEY, "1");
    preference.reload();
    expect(preference.isMuted()).toBe(true);
    expect(seen).toEqual([true]);
  });

  it("still works for the visit when storage is missing or throws", () => {
    for (const getStorage of [
      () => null,
      () => {
        throw new Error("SecurityError");
      },
      () => ({
        getItem: () => {
          throw new Error("denied");
        },
        setItem: () => {
          throw new Error("QuotaExceededError");
        },
      }),
    ]) {
      const preference = createMutePreference(getStorage);
      expect(preference.isMuted()).toBe(false);
      preference.setMuted(true);
      expect(preference.isMuted()).toBe(true);
    }
  });
});
