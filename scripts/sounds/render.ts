/**
 * Renders every game sound to float samples and checks it (duration, level, no clipping), so
 * a broken voice fails the build instead of shipping silence. Encoding is separate
 * (encode.ts) so the unit tests can check the renders quickly.
 */
import { EFFECT_NAMES, MUSIC_NAME, type EffectName, type SoundName } from "../../client/audio/manifest";
import { SAMPLE_RATE, peak, rms, secondsToSamples } from "./dsp";
import { EFFECT_DURATION_RANGE, EFFECT_RENDERERS } from "./effects";
import { MP3_DELAY_SAMPLES } from "./encode";
import { renderMusic } from "./music";

export const MUSIC_DURATION_RANGE: readonly [number, number] = [16, 24];
/** Peak above this counts as clipping (full scale is 1). */
export const MAX_PEAK = 0.95;
/** RMS below this counts as silent. */
export const MIN_RMS = 0.02;
/**
 * Music file margins: this much of the loop's end is put before it and of its start after it,
 * so any loop window up to MUSIC_MARGIN_SAMPLES - MP3_DELAY_SAMPLES off still joins cleanly.
 */
export const MUSIC_MARGIN_SAMPLES = 4096;

export interface RenderedSounds {
  effects: Record<EffectName, Float32Array>;
  /** Exactly one period of the music loop. */
  musicLoop: Float32Array;
}

export function renderAllSounds(): RenderedSounds {
  const effects = Object.fromEntries(EFFECT_NAMES.map((name) => [name, EFFECT_RENDERERS[name]()])) as Record<EffectName, Float32Array>;
  const musicLoop = renderMusic().loop;
  for (const name of EFFECT_NAMES) checkRender(name, effects[name], EFFECT_DURATION_RANGE[name]);
  checkRender(MUSIC_NAME, musicLoop, MUSIC_DURATION_RANGE);
  return { effects, musicLoop };
}

export function checkRender(name: SoundName, samples: Float32Array, range: readonly [number, number]): void {
  const seconds = samples.length / SAMPLE_RATE;
  if (!(seconds >= range[0] && seconds <= range[1])) {
    throw new Error(`sound "${name}": ${seconds.toFixed(3)} s is outside ${range[0]}-${range[1]} s`);
  }
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i])) throw new Error(`sound "${name}": sample ${i} is not finite`);
  }
  const p = peak(samples);
  if (p > MAX_PEAK) throw new Error(`sound "${name}": peak ${p.toFixed(3)} would clip`);
  const r = rms(samples);
  if (r < MIN_RMS) throw new Error(`sound "${name}": RMS ${r.toFixed(4)} is too quiet`);
}

export interface MusicFileLayout {
  /** Samples to encode: [end margin][loop][start margin]. */
  samples: Float32Array;
  /** Loop window in the decoded file, seconds (assuming the usual MP3 decoder delay). */
  loopStart: number;
  loopEnd: number;
}

export function layoutMusicFile(loop: Float32Array): MusicFileLayout {
  const n = loop.length;
  const m = MUSIC_MARGIN_SAMPLES;
  const samples = new Float32Array(n + 2 * m);
  samples.set(loop.subarray(n - m), 0);
  samples.set(loop, m);
  samples.set(loop.subarray(0, m), m + n);
  // The file starts and ends mid-music: a short fade on the outermost samples keeps the
  // encoder's first/last frames free of a step (they are outside the loop window anyway).
  const fade = secondsToSamples(0.005);
  for (let i = 0; i < fade; i++) {
    const g = i / fade;
    samples[i] = samples[i]! * g;
    samples[samples.length - 1 - i] = samples[samples.length - 1 - i]! * g;
  }
  const start = m + MP3_DELAY_SAMPLES;
  return { samples, loopStart: start / SAMPLE_RATE, loopEnd: (start + n) / SAMPLE_RATE };
}
