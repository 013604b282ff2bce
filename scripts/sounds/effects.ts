/**
 * One-shot game effects. Each renderer returns a peak-normalised mono buffer that starts and
 * ends on zero (short fades), so it can be played at any moment without a click.
 */
import type { EffectName } from "../../client/audio/manifest";
import { Rng, fadeEdges, mixInto, normalize, secondsToSamples } from "./dsp";
import { bell, crash, kick, noiseSweep, snare, voice, type VoiceOptions } from "./instruments";

/** Peak level of each effect (linear): the countdown tick sits below the celebrations. */
const EFFECT_PEAK: Record<EffectName, number> = {
  tick: 0.7,
  go: 0.85,
  perfect: 0.85,
  good: 0.78,
  "round-end": 0.82,
  winner: 0.85,
};

/** Durations the renders must land in (checked by the build and the unit tests), seconds. */
export const EFFECT_DURATION_RANGE: Record<EffectName, readonly [number, number]> = {
  tick: [0.08, 0.3],
  go: [0.4, 1.2],
  perfect: [0.6, 1.6],
  good: [0.3, 1.0],
  "round-end": [0.8, 2.0],
  winner: [2.0, 4.0],
};

function buffer(seconds: number): Float32Array {
  return new Float32Array(secondsToSamples(seconds));
}

function at(seconds: number): number {
  return secondsToSamples(seconds);
}

function beep(note: number, gate: number, release = 0.05): Float32Array {
  return voice({
    note,
    gate,
    layers: [
      { wave: "square", gain: 0.5, pulseWidth: 0.5 },
      { wave: "sine", semitones: 12, gain: 0.35 },
    ],
    amp: { attack: 0.002, decay: 0.05, sustain: 0.55, release },
    filter: { cutoff: 3000, q: 0.7 },
  });
}

function brass(note: number, gate: number): VoiceOptions {
  return {
    note,
    gate,
    layers: [
      { wave: "saw", detune: -6, gain: 0.5 },
      { wave: "saw", detune: 6, gain: 0.5 },
      { wave: "square", semitones: -12, gain: 0.15 },
    ],
    amp: { attack: 0.025, decay: 0.2, sustain: 0.75, release: 0.18 },
    filter: { cutoff: 900, envAmount: 3.4, env: { attack: 0.04, decay: 0.3, sustain: 0.45, release: 0.2 }, q: 0.9 },
    vibrato: { rate: 5.2, depthCents: 10, delay: 0.25 },
  };
}

function finish(name: EffectName, out: Float32Array): Float32Array {
  fadeEdges(out, 16, secondsToSamples(0.02));
  normalize(out, EFFECT_PEAK[name]);
  return out;
}

/** Countdown 3-2-1: a short bright beep. */
function tick(): Float32Array {
  const out = buffer(0.16);
  mixInto(out, beep(81, 0.07, 0.06), 0);
  mixInto(out, bell(93, 0.1, { ratio: 2, index: 1, decay: 0.03 }), 0, 0.25);
  return finish("tick", out);
}

/** Round start: a higher, longer beep over a major stab and an upward whoosh. */
function go(): Float32Array {
  const rng = new Rng(0x5eed_0002);
  const out = buffer(0.85);
  mixInto(out, beep(93, 0.3, 0.12), 0, 0.8);
  for (const note of [60, 64, 67, 72]) mixInto(out, voice(brass(note, 0.22)), 0, 0.22);
  mixInto(out, kick(0.3), 0, 0.7);
  mixInto(out, noiseSweep(rng, 0.45, 800, 9000, 1.5), 0, 0.35);
  return finish("go", out);
}

/** PERFECT: a fast sparkling bell arpeggio up two octaves with a shimmer on top. */
function perfect(): Float32Array {
  const out = buffer(1.15);
  const notes = [72, 76, 79, 84, 88, 91, 96];
  notes.forEach((note, i) => mixInto(out, bell(note, 0.75, { ratio: 3, index: 1.6, decay: 0.22 }), at(i * 0.05), 0.5));
  for (const note of [72, 76, 79]) {
    mixInto(out, voice({ ...brass(note, 0.35), amp: { attack: 0.01, decay: 0.2, sustain: 0.6, release: 0.3 } }), 0, 0.12);
  }
  mixInto(out, bell(100, 0.5, { ratio: 4.01, index: 1, decay: 0.12 }), at(0.38), 0.25);
  mixInto(out, bell(103, 0.45, { ratio: 4.01, index: 1, decay: 0.1 }), at(0.5), 0.2);
  return finish("perfect", out);
}

/** GOOD: a friendly two-note chime. */
function good(): Float32Array {
  const out = buffer(0.6);
  mixInto(out, bell(79, 0.45, { ratio: 2, index: 1.2, decay: 0.15 }), 0, 0.6);
  mixInto(out, bell(84, 0.5, { ratio: 2, index: 1.2, decay: 0.17 }), at(0.09), 0.7);
  return finish("good", out);
}

/** Round end: three descending notes resolving on a soft chord. */
function roundEnd(): Float32Array {
  const rng = new Rng(0x5eed_0003);
  const out = buffer(1.4);
  mixInto(out, beep(79, 0.1, 0.08), 0, 0.5);
  mixInto(out, beep(76, 0.1, 0.08), at(0.15), 0.5);
  mixInto(out, beep(72, 0.45, 0.35), at(0.3), 0.5);
  for (const note of [48, 55, 64]) mixInto(out, voice(brass(note, 0.5)), at(0.3), 0.2);
  mixInto(out, bell(84, 0.9, { ratio: 3.5, index: 1.4, decay: 0.3 }), at(0.3), 0.3);
  mixInto(out, snare(rng, 0.2), at(0.3), 0.25);
  return finish("round-end", out);
}

/** Winner: a brass fanfare (pickup, high note, held tonic chord) with drums and a crash. */
function winner(): Float32Array {
  const rng = new Rng(0x5eed_0004);
  const out = buffer(2.9);
  const line: Array<[number, number, number]> = [
    [0.0, 0.1, 67],
    [0.12, 0.1, 72],
    [0.24, 0.1, 76],
    [0.36, 0.4, 79],
    [0.84, 0.12, 76],
    [1.0, 1.3, 79],
  ];
  for (const [start, gate, note] of line) {
    mixInto(out, voice(brass(note, gate)), at(start), 0.5);
    mixInto(out, voice(brass(note - 12, gate)), at(start), 0.25);
  }
  for (const note of [48, 55, 60, 64, 67, 72]) mixInto(out, voice(brass(note, 1.3)), at(1.0), 0.16);
  mixInto(out, kick(), at(0.36), 0.8);
  mixInto(out, kick(), at(1.0), 0.9);
  for (let i = 0; i < 4; i++) mixInto(out, snare(rng, 0.15), at(0.84 + i * 0.04), 0.12 + i * 0.05);
  mixInto(out, crash(rng, 1.8), at(1.0), 0.35);
  [84, 88, 91, 96].forEach((note, i) => mixInto(out, bell(note, 0.7, { ratio: 3, index: 1.2, decay: 0.2 }), at(1.05 + i * 0.07), 0.18));
  return finish("winner", out);
}

export const EFFECT_RENDERERS: Record<EffectName, () => Float32Array> = {
  tick,
  go,
  perfect,
  good,
  "round-end": roundEnd,
  winner,
};
