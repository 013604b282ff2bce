/**
 * Voices for the synthesiser: a general subtractive synth voice, FM bells and drum sounds.
 * Each returns a fresh mono buffer holding one note that starts at sample 0.
 */
import { Rng, SAMPLE_RATE, Svf, adsr, midiToHz, oscSample, percussive, secondsToSamples, type Adsr, type Waveform } from "./dsp";

const TWO_PI = 2 * Math.PI;

export interface OscLayer {
  wave: Waveform;
  /** Detune in cents. */
  detune?: number;
  /** Shift in semitones (e.g. -12 for a sub oscillator). */
  semitones?: number;
  gain?: number;
  pulseWidth?: number;
}

export interface VoiceOptions {
  /** MIDI note number; fractional values allowed. */
  note: number;
  /** How long the key is held, seconds. */
  gate: number;
  layers: OscLayer[];
  amp: Adsr;
  filter?: {
    cutoff: number;
    /** Cutoff multiplier at the envelope's peak (1 = no sweep). */
    envAmount?: number;
    env?: Adsr;
    q?: number;
    mode?: "low" | "band" | "high";
  };
  /** Pitch glide from `note + glideFrom` semitones down/up to `note` over `glideTime`. */
  glideFrom?: number;
  glideTime?: number;
  vibrato?: { rate: number; depthCents: number; delay: number };
  /** Starting phase of every oscillator, cycles; fixed for determinism. */
  phase?: number;
}

/**
 * Renders of identical notes are shared (the loop repeats the same bass, pad and arpeggio
 * notes many times): callers must treat the returned buffer as read-only.
 */
const voiceCache = new Map<string, Float32Array>();

/** Forgets shared note renders (tests use it to prove a fresh render is identical). */
export function clearVoiceCache(): void {
  voiceCache.clear();
}

export function voice(opts: VoiceOptions): Float32Array {
  const key = JSON.stringify(opts);
  const cached = voiceCache.get(key);
  if (cached) return cached;
  const rendered = renderVoice(opts);
  if (voiceCache.size > 512) voiceCache.clear();
  voiceCache.set(key, rendered);
  return rendered;
}

function renderVoice(opts: VoiceOptions): Float32Array {
  const length = secondsToSamples(opts.gate + opts.amp.release) + 1;
  const out = new Float32Array(length);
  const baseHz = midiToHz(opts.note);
  const layerCount = opts.layers.length;
  const waves = opts.layers.map((l) => l.wave);
  const gains = Float64Array.from(opts.layers, (l) => l.gain ?? 1);
  const widths = Float64Array.from(opts.layers, (l) => l.pulseWidth ?? 0.5);
  const phases = Float64Array.from(opts.layers, (_, i) => ((opts.phase ?? 0) + i * 0.37) % 1);
  const ratios = Float64Array.from(opts.layers, (l) => 2 ** (((l.semitones ?? 0) * 100 + (l.detune ?? 0)) / 1200));
  const filterOpts = opts.filter;
  const filter = filterOpts ? new Svf(filterOpts.cutoff, filterOpts.q ?? 0.707) : null;
  const filterMode = filterOpts?.mode ?? "low";
  const filterEnv = filterOpts?.env;
  const envAmount = filterOpts?.envAmount ?? 1;
  const q = filterOpts?.q ?? 0.707;
  const glideFrom = opts.glideFrom ?? 0;
  const glideTime = opts.glideTime ?? 0;
  const vibrato = opts.vibrato;
  for (let i = 0; i < length; i++) {
    const t = i / SAMPLE_RATE;
    let hz = baseHz;
    if (glideFrom !== 0 || vibrato) {
      let pitch = 0;
      if (glideTime > 0 && t < glideTime) {
        const k = 1 - t / glideTime;
        pitch += glideFrom * k * k;
      }
      if (vibrato && t > vibrato.delay) {
        const ramp = Math.min(1, (t - vibrato.delay) / 0.15);
        pitch += (ramp * vibrato.depthCents * Math.sin(TWO_PI * vibrato.rate * t)) / 100;
      }
      hz = baseHz * 2 ** (pitch / 12);
    }
    let s = 0;
    for (let l = 0; l < layerCount; l++) {
      const dt = (hz * ratios[l]!) / SAMPLE_RATE;
      const ph = phases[l]!;
      s += oscSample(waves[l]!, ph, dt, widths[l]) * gains[l]!;
      const next = ph + dt;
      phases[l] = next >= 1 ? next - Math.floor(next) : next;
    }
    if (filter && filterOpts) {
      if (filterEnv && (i & 15) === 0) {
        filter.set(filterOpts.cutoff * (1 + (envAmount - 1) * adsr(filterEnv, t, opts.gate)), q);
      }
      filter.tick(s);
      s = filterMode === "low" ? filter.low : filterMode === "band" ? filter.band : filter.high;
    }
    out[i] = s * adsr(opts.amp, t, opts.gate);
  }
  return out;
}

/** Two-operator FM bell: bright attack, glassy decay. */
export function bell(note: number, length: number, opts: { ratio?: number; index?: number; decay?: number } = {}): Float32Array {
  const n = secondsToSamples(length);
  const out = new Float32Array(n);
  const hz = midiToHz(note);
  const ratio = opts.ratio ?? 3.5;
  const index = opts.index ?? 2.2;
  const decay = opts.decay ?? length / 3;
  for (let i = 0; i < n; i++) {
    const t = i / SAMPLE_RATE;
    const env = percussive(t, 0.002, decay, length);
    const modEnv = Math.exp(-t / (decay * 0.5));
    const mod = Math.sin(TWO_PI * hz * ratio * t) * index * modEnv;
    out[i] = Math.sin(TWO_PI * hz * t + mod) * env;
  }
  return out;
}

/** Kick: a sine swept from ~160 Hz down to ~48 Hz plus a short click. */
export function kick(length = 0.32): Float32Array {
  const n = secondsToSamples(length);
  const out = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / SAMPLE_RATE;
    const hz = 48 + 115 * Math.exp(-t / 0.035);
    phase += hz / SAMPLE_RATE;
    const body = Math.sin(TWO_PI * phase) * percussive(t, 0.001, 0.16, length);
    const click = Math.sin(TWO_PI * 1400 * t) * Math.exp(-t / 0.003) * 0.25;
    out[i] = Math.tanh((body + click) * 1.4);
  }
  return out;
}

/** Snare: a pitched body plus band-passed noise. */
export function snare(rng: Rng, length = 0.22): Float32Array {
  const n = secondsToSamples(length);
  const out = new Float32Array(n);
  const bp = new Svf(3200, 0.8);
  for (let i = 0; i < n; i++) {
    const t = i / SAMPLE_RATE;
    const body = Math.sin(TWO_PI * (185 + 40 * Math.exp(-t / 0.02)) * t) * percussive(t, 0.001, 0.045, length);
    bp.tick(rng.bipolar());
    const noise = (bp.band * 1.6 + bp.high * 0.5) * percussive(t, 0.001, 0.07, length);
    out[i] = body * 0.55 + noise * 0.8;
  }
  return out;
}

/** Clap: a few noise bursts 10 ms apart, then a short tail. */
export function clap(rng: Rng, length = 0.25): Float32Array {
  const n = secondsToSamples(length);
  const out = new Float32Array(n);
  const bp = new Svf(1500, 1.4);
  for (let i = 0; i < n; i++) {
    const t = i / SAMPLE_RATE;
    bp.tick(rng.bipolar());
    let env = percussive(t - 0.03, 0.001, 0.06, length - 0.03);
    for (const start of [0, 0.01, 0.02]) {
      const local = t - start;
      if (local >= 0 && local < 0.012) env = Math.max(env, Math.exp(-local / 0.004));
    }
    out[i] = bp.band * env * 2.2;
  }
  return out;
}

/** Hi-hat: high-passed noise; `open` rings longer. */
export function hat(rng: Rng, open = false): Float32Array {
  const length = open ? 0.2 : 0.06;
  const n = secondsToSamples(length);
  const out = new Float32Array(n);
  const hp = new Svf(7500, 0.9);
  for (let i = 0; i < n; i++) {
    const t = i / SAMPLE_RATE;
    hp.tick(rng.bipolar());
    out[i] = hp.high * percussive(t, 0.0005, open ? 0.07 : 0.018, length);
  }
  return out;
}

/** Crash cymbal: bright noise with a long tail. */
export function crash(rng: Rng, length = 1.6): Float32Array {
  const n = secondsToSamples(length);
  const out = new Float32Array(n);
  const hp = new Svf(5000, 0.7);
  const lp = new Svf(12000, 0.7);
  for (let i = 0; i < n; i++) {
    const t = i / SAMPLE_RATE;
    hp.tick(rng.bipolar());
    lp.tick(hp.high);
    out[i] = lp.low * percussive(t, 0.002, 0.45, length);
  }
  return out;
}

/** A rising (or falling) filtered-noise sweep, for whooshes. */
export function noiseSweep(rng: Rng, length: number, fromHz: number, toHz: number, q = 2): Float32Array {
  const n = secondsToSamples(length);
  const out = new Float32Array(n);
  const bp = new Svf(fromHz, q);
  for (let i = 0; i < n; i++) {
    const k = i / n;
    if ((i & 15) === 0) bp.set(fromHz * (toHz / fromHz) ** k, q);
    bp.tick(rng.bipolar());
    out[i] = bp.band * Math.sin(Math.PI * k);
  }
  return out;
}
