/**
 * Tiny, dependency-free DSP toolkit for the sound synthesiser (scripts/sounds/synthesize.ts).
 * Everything is mono Float32 at SAMPLE_RATE and deterministic: noise comes from a seeded PRNG,
 * never Math.random, so the same source renders the same samples on every run.
 */

export const SAMPLE_RATE = 44_100;
const TWO_PI = 2 * Math.PI;

export function secondsToSamples(seconds: number): number {
  return Math.round(seconds * SAMPLE_RATE);
}

export function midiToHz(midi: number): number {
  return 440 * 2 ** ((midi - 69) / 12);
}

export function dbToGain(db: number): number {
  return 10 ** (db / 20);
}

/** mulberry32: a small, fast, seedable PRNG; `next()` is uniform in [0, 1). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform in [-1, 1). */
  bipolar(): number {
    return this.next() * 2 - 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Oscillators. `phase` is in cycles [0, 1); `dt` is the phase increment per sample (hz / rate).

/** PolyBLEP residual: smooths the discontinuity of saw/square waves (cheap band-limiting). */
function polyBlep(phase: number, dt: number): number {
  if (phase < dt) {
    const t = phase / dt;
    return t + t - t * t - 1;
  }
  if (phase > 1 - dt) {
    const t = (phase - 1) / dt;
    return t * t + t + t + 1;
  }
  return 0;
}

export type Waveform = "sine" | "saw" | "square" | "triangle";

export function oscSample(wave: Waveform, phase: number, dt: number, pulseWidth = 0.5): number {
  switch (wave) {
    case "sine":
      return Math.sin(TWO_PI * phase);
    case "saw":
      return 2 * phase - 1 - polyBlep(phase, dt);
    case "square": {
      let v = phase < pulseWidth ? 1 : -1;
      v += polyBlep(phase, dt);
      let shifted = phase - pulseWidth;
      if (shifted < 0) shifted += 1;
      v -= polyBlep(shifted, dt);
      return v;
    }
    case "triangle":
      return phase < 0.5 ? 4 * phase - 1 : 3 - 4 * phase;
  }
}

// ---------------------------------------------------------------------------------------------
// Envelopes (functions of time since note-on, in seconds).

export interface Adsr {
  attack: number;
  decay: number;
  /** Level held after the decay, 0..1. */
  sustain: number;
  release: number;
}

/** Level of a held key `time` seconds after note-on. */
function heldLevel(env: Adsr, time: number): number {
  if (time < env.attack) return time / env.attack;
  const d = time - env.attack;
  if (d < env.decay) {
    const k = 1 - d / env.decay;
    return env.sustain + (1 - env.sustain) * k * k;
  }
  return env.sustain;
}

/**
 * Linear-attack, quadratic decay/release ADSR; `gate` is how long the note is held.
 * (No closures in here: it runs per sample, and tsx's keep-names wrapper makes closures slow.)
 */
export function adsr(env: Adsr, t: number, gate: number): number {
  if (t < 0) return 0;
  if (t < gate) return heldLevel(env, t);
  const r = t - gate;
  if (r >= env.release) return 0;
  const k = 1 - r / env.release;
  return heldLevel(env, gate) * k * k;
}

/** Exponential decay with a short linear attack; reaches exactly zero at `length`. */
export function percussive(t: number, attack: number, decayTime: number, length: number): number {
  if (t < 0 || t >= length) return 0;
  const a = t < attack ? t / attack : 1;
  const tail = 1 - t / length; // forces a clean zero at the end
  return a * Math.exp(-t / decayTime) * tail;
}

// ---------------------------------------------------------------------------------------------
// Filters.

/** Topology-preserving-transform state-variable filter (Zavalishin); stable under modulation. */
export class Svf {
  private ic1 = 0;
  private ic2 = 0;
  private g = 0;
  private k = 0;
  private a1 = 0;
  private a2 = 0;
  private a3 = 0;
  low = 0;
  band = 0;
  high = 0;

  constructor(cutoffHz: number, q = 0.707) {
    this.set(cutoffHz, q);
  }

  set(cutoffHz: number, q = 0.707): void {
    const fc = Math.min(Math.max(cutoffHz, 10), SAMPLE_RATE * 0.49);
    this.g = Math.tan((Math.PI * fc) / SAMPLE_RATE);
    this.k = 1 / q;
    this.a1 = 1 / (1 + this.g * (this.g + this.k));
    this.a2 = this.g * this.a1;
    this.a3 = this.g * this.a2;
  }

  /** Processes one sample; read `.low`, `.band`, `.high` afterwards. */
  tick(x: number): void {
    const v3 = x - this.ic2;
    const v1 = this.a1 * this.ic1 + this.a2 * v3;
    const v2 = this.ic2 + this.a2 * this.ic1 + this.a3 * v3;
    this.ic1 = 2 * v1 - this.ic1;
    this.ic2 = 2 * v2 - this.ic2;
    this.low = v2;
    this.band = v1;
    this.high = x - this.k * v1 - v2;
  }
}

/** One-pole DC blocker / gentle high-pass. */
export class DcBlocker {
  private x1 = 0;
  private y1 = 0;
  constructor(private readonly r = 0.995) {}
  tick(x: number): number {
    const y = x - this.x1 + this.r * this.y1;
    this.x1 = x;
    this.y1 = y;
    return y;
  }
}

// ---------------------------------------------------------------------------------------------
// Buffers.

/** Adds `src * gain` into `dst` starting at `offset`; samples past the end are dropped, or wrap around when `wrap`. */
export function mixInto(dst: Float32Array, src: Float32Array, offset: number, gain = 1, wrap = false): void {
  const n = dst.length;
  for (let i = 0; i < src.length; i++) {
    let j = offset + i;
    if (j >= n) {
      if (!wrap) break;
      j %= n;
    }
    if (j < 0) continue;
    dst[j] = (dst[j] ?? 0) + (src[i] ?? 0) * gain;
  }
}

export function peak(buffer: Float32Array): number {
  let p = 0;
  for (let i = 0; i < buffer.length; i++) {
    const v = Math.abs(buffer[i] ?? 0);
    if (v > p) p = v;
  }
  return p;
}

export function rms(buffer: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < buffer.length; i++) {
    const v = buffer[i] ?? 0;
    sum += v * v;
  }
  return buffer.length === 0 ? 0 : Math.sqrt(sum / buffer.length);
}

/** Scales in place so the peak is `target` (linear); throws on silence (a broken voice should fail loudly). */
export function normalize(buffer: Float32Array, target: number): void {
  const p = peak(buffer);
  if (!(p > 1e-6)) throw new Error("normalize: buffer is silent");
  const g = target / p;
  for (let i = 0; i < buffer.length; i++) buffer[i] = (buffer[i] ?? 0) * g;
}

/** Gentle saturation that is linear near zero; used on the music bus before normalising. */
export function softClip(buffer: Float32Array, drive: number): void {
  const norm = Math.tanh(drive);
  for (let i = 0; i < buffer.length; i++) buffer[i] = Math.tanh((buffer[i] ?? 0) * drive) / norm;
}

/** Short raised-cosine fades at both ends so a one-shot starts and ends on zero. */
export function fadeEdges(buffer: Float32Array, fadeInSamples: number, fadeOutSamples: number): void {
  const n = buffer.length;
  for (let i = 0; i < fadeInSamples && i < n; i++) {
    buffer[i] = (buffer[i] ?? 0) * 0.5 * (1 - Math.cos((Math.PI * i) / fadeInSamples));
  }
  for (let i = 0; i < fadeOutSamples && i < n; i++) {
    const j = n - 1 - i;
    buffer[j] = (buffer[j] ?? 0) * 0.5 * (1 - Math.cos((Math.PI * i) / fadeOutSamples));
  }
}

/**
 * Runs a stateful per-sample processor over a periodic signal so that its output is periodic
 * too: one warm-up lap (output discarded) lets feedback state settle to its steady state, and
 * the second lap is kept. Used for the music's echo so the loop seam stays seamless.
 */
export function processLooped(signal: Float32Array, processor: (x: number) => number): Float32Array {
  for (let i = 0; i < signal.length; i++) processor(signal[i] ?? 0);
  const out = new Float32Array(signal.length);
  for (let i = 0; i < signal.length; i++) out[i] = processor(signal[i] ?? 0);
  return out;
}

/** A feedback delay line (echo) with a low-pass in the loop so repeats darken. */
export function createEcho(delaySamples: number, feedback: number, mix: number, dampHz = 3500): (x: number) => number {
  const line = new Float32Array(delaySamples);
  const damp = new Svf(dampHz, 0.6);
  let pos = 0;
  return (x) => {
    const delayed = line[pos] ?? 0;
    damp.tick(delayed);
    line[pos] = x + damp.low * feedback;
    pos = pos + 1 === delaySamples ? 0 : pos + 1;
    return x + delayed * mix;
  };
}
