/**
 * The background loop: 12 bars of upbeat house-pop at ~128 BPM in C major (22.49 s), drums +
 * bass + pad + arpeggio + lead. Rendered circularly: a note whose tail runs past the end of
 * the loop wraps into its start, and the echo runs two laps (processLooped), so the rendered
 * buffer is exactly periodic and its end joins its start without a click.
 */
import { DcBlocker, Rng, SAMPLE_RATE, createEcho, mixInto, normalize, processLooped, softClip } from "./dsp";
import { clap, crash, hat, kick, snare, voice, type VoiceOptions } from "./instruments";

export const BARS = 12;
const STEPS_PER_BAR = 16;
/** Samples per MP3 frame (MPEG-1 Layer III). */
const MP3_FRAME_SAMPLES = 1152;
/**
 * 12 bars at ~128 BPM, rounded to a whole number of MP3 frames: 861 x 1152 = 991 872 samples
 * (22.49 s, so 128.05 BPM). With a period that is a multiple of the frame size, the encoder
 * sees the same input at the same frame phase in every lap, so the decoded file is periodic
 * too and the seam carries no coding mismatch.
 */
export const LOOP_SAMPLES = Math.round((BARS * STEPS_PER_BAR * (60 / 128 / 4) * SAMPLE_RATE) / MP3_FRAME_SAMPLES) * MP3_FRAME_SAMPLES;
const STEP_SECONDS = LOOP_SAMPLES / SAMPLE_RATE / (BARS * STEPS_PER_BAR);
const BEAT_SECONDS = STEP_SECONDS * 4;
export const BPM = 60 / BEAT_SECONDS;
export const MUSIC_PEAK = 0.85;

/** Sample index of a 16th-note step, counted from the loop start (wraps past the end). */
function stepAt(bar: number, step: number): number {
  return Math.round((bar * STEPS_PER_BAR + step) * STEP_SECONDS * SAMPLE_RATE) % LOOP_SAMPLES;
}

// Chords: C G Am F | C G Am F | Am F C G (roots for the bass, voicings for pad/arpeggio).
const C = { root: 36, tones: [60, 64, 67] };
const G = { root: 43, tones: [59, 62, 67] };
const Am = { root: 45, tones: [60, 64, 69] };
const F = { root: 41, tones: [60, 65, 69] };
const PROGRESSION = [C, G, Am, F, C, G, Am, F, Am, F, C, G];

/** Lead melody: [bar, step, length in steps, MIDI note]. */
type Note = readonly [number, number, number, number];
const PHRASE_A: Note[] = [
  [0, 0, 2, 76],
  [0, 2, 2, 79],
  [0, 4, 2, 76],
  [0, 6, 2, 72],
  [0, 8, 2, 74],
  [0, 10, 2, 76],
  [0, 12, 4, 79],
  [1, 0, 2, 74],
  [1, 2, 2, 71],
  [1, 4, 2, 74],
  [1, 6, 2, 79],
  [1, 8, 4, 74],
  [1, 12, 4, 71],
  [2, 0, 2, 72],
  [2, 2, 2, 76],
  [2, 4, 3, 81],
  [2, 7, 1, 79],
  [2, 8, 4, 76],
  [2, 12, 2, 72],
  [2, 14, 2, 74],
];
const MELODY: Note[] = [
  ...PHRASE_A,
  [3, 0, 2, 72],
  [3, 2, 2, 69],
  [3, 4, 2, 72],
  [3, 6, 2, 77],
  [3, 8, 4, 76],
  [3, 12, 2, 74],
  [3, 14, 2, 72],
  ...PHRASE_A.map(([bar, step, len, note]): Note => [bar + 4, step, len, note]),
  [7, 0, 2, 72],
  [7, 2, 2, 77],
  [7, 4, 2, 81],
  [7, 6, 2, 79],
  [7, 8, 2, 77],
  [7, 10, 2, 76],
  [7, 12, 2, 74],
  [7, 14, 2, 71],
  [8, 0, 3, 81],
  [8, 3, 3, 79],
  [8, 6, 2, 76],
  [8, 8, 3, 81],
  [8, 11, 3, 79],
  [8, 14, 2, 76],
  [9, 0, 3, 77],
  [9, 3, 3, 76],
  [9, 6, 2, 72],
  [9, 8, 3, 77],
  [9, 11, 3, 81],
  [9, 14, 2, 84],
  [10, 0, 3, 79],
  [10, 3, 3, 76],
  [10, 6, 2, 72],
  [10, 8, 3, 79],
  [10, 11, 3, 81],
  [10, 14, 2, 79],
  [11, 0, 4, 74],
  [11, 4, 4, 79],
  [11, 8, 2, 83],
  [11, 10, 2, 81],
  [11, 12, 2, 79],
  [11, 14, 2, 74],
];

function leadVoice(note: number, gate: number): VoiceOptions {
  return {
    note,
    gate,
    layers: [
      { wave: "saw", detune: -9, gain: 0.45 },
      { wave: "saw", detune: 9, gain: 0.45 },
      { wave: "square", semitones: -12, gain: 0.25, pulseWidth: 0.35 },
    ],
    amp: { attack: 0.006, decay: 0.16, sustain: 0.62, release: 0.09 },
    filter: { cutoff: 1700, envAmount: 2.4, env: { attack: 0.004, decay: 0.22, sustain: 0.2, release: 0.1 }, q: 1.1 },
    vibrato: { rate: 5.6, depthCents: 14, delay: 0.2 },
  };
}

export interface RenderedMusic {
  /** Exactly one period of the loop, peak-normalised to MUSIC_PEAK. */
  loop: Float32Array;
  bpm: number;
  bars: number;
}

export function renderMusic(): RenderedMusic {
  const drums = new Float32Array(LOOP_SAMPLES);
  const bass = new Float32Array(LOOP_SAMPLES);
  const pad = new Float32Array(LOOP_SAMPLES);
  const arp = new Float32Array(LOOP_SAMPLES);
  const lead = new Float32Array(LOOP_SAMPLES);
  const rng = new Rng(0x5eed_0001);

  // Drum sounds are rendered once and reused (hats get a few noise variants so they don't buzz).
  const kickHit = kick();
  const clapHit = clap(rng);
  const snareHits = Array.from({ length: 4 }, () => snare(rng));
  const closedHats = Array.from({ length: 4 }, () => hat(rng, false));
  const openHat = hat(rng, true);
  const crashHit = crash(rng);

  for (let bar = 0; bar < BARS; bar++) {
    for (let step = 0; step < STEPS_PER_BAR; step++) {
      const at = stepAt(bar, step);
      if (step % 4 === 0) mixInto(drums, kickHit, at, 1.0, true);
      if (step === 4 || step === 12) {
        mixInto(drums, clapHit, at, 0.55, true);
        mixInto(drums, snareHits[step === 4 ? 0 : 1]!, at, 0.3, true);
      }
      if (step % 4 === 2) mixInto(drums, openHat, at, 0.22, true);
      else mixInto(drums, closedHats[step % 4]!, at, step % 2 === 1 ? 0.16 : 0.1, true);
    }
  }
  // Crashes on the section starts; a snare roll in the last bar leads back to the top.
  mixInto(drums, crashHit, stepAt(0, 0), 0.28, true);
  mixInto(drums, crashHit, stepAt(8, 0), 0.28, true);
  for (let step = 8; step < 16; step++) {
    mixInto(drums, snareHits[step % 4]!, stepAt(11, step), 0.18 + 0.05 * (step - 8), true);
  }

  // Bass: octave-bouncing eighths, ducked by the kick below.
  for (let bar = 0; bar < BARS; bar++) {
    const chord = PROGRESSION[bar]!;
    for (let eighth = 0; eighth < 8; eighth++) {
      const note = chord.root + (eighth % 2 === 1 ? 12 : 0);
      const tone = voice({
        note,
        gate: STEP_SECONDS * 1.5,
        layers: [
          { wave: "saw", gain: 0.6 },
          { wave: "sine", semitones: -12, gain: 0.7 },
        ],
        amp: { attack: 0.003, decay: 0.1, sustain: 0.7, release: 0.04 },
        filter: { cutoff: 320, envAmount: 3.2, env: { attack: 0.002, decay: 0.12, sustain: 0.1, release: 0.05 }, q: 1.3 },
      });
      mixInto(bass, tone, stepAt(bar, eighth * 2), 1, true);
    }
  }

  // Pad: one soft chord per bar.
  for (let bar = 0; bar < BARS; bar++) {
    for (const [i, note] of PROGRESSION[bar]!.tones.entries()) {
      const tone = voice({
        note,
        gate: STEPS_PER_BAR * STEP_SECONDS - 0.12,
        layers: [
          { wave: "saw", detune: -11, gain: 0.4 },
          { wave: "saw", detune: 11, gain: 0.4 },
        ],
        amp: { attack: 0.09, decay: 0.5, sustain: 0.75, release: 0.3 },
        filter: { cutoff: 1300, q: 0.8 },
        phase: i * 0.21,
      });
      mixInto(pad, tone, stepAt(bar, 0), 1, true);
    }
  }

  // Arpeggio from bar 5: chord tones an octave up, sixteenths.
  const ARP_ORDER = [0, 1, 2, 1];
  for (let bar = 4; bar < BARS; bar++) {
    const tones = PROGRESSION[bar]!.tones;
    for (let step = 0; step < STEPS_PER_BAR; step++) {
      const note = tones[ARP_ORDER[step % 4]!]! + 12 + (step >= 8 && bar >= 8 ? 12 : 0);
      const tone = voice({
        note,
        gate: STEP_SECONDS * 0.5,
        layers: [{ wave: "square", gain: 0.5, pulseWidth: 0.25 }],
        amp: { attack: 0.002, decay: 0.08, sustain: 0.2, release: 0.06 },
        filter: { cutoff: 2600, q: 0.9 },
      });
      mixInto(arp, tone, stepAt(bar, step), step % 4 === 0 ? 1 : 0.7, true);
    }
  }

  // Lead melody.
  for (const [bar, step, len, note] of MELODY) {
    mixInto(lead, voice(leadVoice(note, len * STEP_SECONDS * 0.85)), stepAt(bar, step), 1, true);
  }
  // Dotted-eighth echo on the lead, run over two laps so it is periodic too.
  const leadWet = processLooped(lead, createEcho(Math.round(STEP_SECONDS * 3 * SAMPLE_RATE), 0.32, 0.3));

  // Side-chain style ducking keyed to the four-on-the-floor kick (a function of the beat phase,
  // so it is periodic by construction). A 5 ms ramp keeps the dip itself click-free.
  const duck = (i: number, depth: number): number => {
    const inBeat = (i / SAMPLE_RATE) % BEAT_SECONDS;
    return 1 - depth * Math.min(1, inBeat / 0.005) * Math.exp(-inBeat / 0.11);
  };

  const mix = new Float32Array(LOOP_SAMPLES);
  for (let i = 0; i < LOOP_SAMPLES; i++) {
    mix[i] = drums[i]! * 0.8 + bass[i]! * 0.42 * duck(i, 0.55) + pad[i]! * 0.13 * duck(i, 0.6) + arp[i]! * 0.1 * duck(i, 0.35) + leadWet[i]! * 0.26;
  }
  const dc = new DcBlocker(0.9995);
  const master = processLooped(mix, (x) => dc.tick(x));
  normalize(master, 1);
  softClip(master, 1.6);
  normalize(master, MUSIC_PEAK);
  return { loop: master, bpm: BPM, bars: BARS };
}
