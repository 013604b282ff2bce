/**
 * Encoding: float samples -> 16-bit PCM -> MP3 (lamejs, pure JS, CBR, no bit reservoir) or WAV
 * (debug dumps). Plus a small MP3 frame walker used to verify the output and measure its length.
 */
import { Mp3Encoder } from "@breezystack/lamejs";
import { SAMPLE_RATE } from "./dsp";

/**
 * Samples an MP3 decoder emits before the first input sample when the file carries no LAME
 * gapless tag (lamejs writes none): LAME's encoder delay (576) + the decoder's (529). Some
 * decoders trim part of it; the music file's margins cover either case.
 */
export const MP3_DELAY_SAMPLES = 1105;
const SAMPLES_PER_FRAME = 1152;

export function toInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] ?? 0;
    if (!Number.isFinite(v)) throw new Error(`toInt16: sample ${i} is ${v}`);
    out[i] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
  }
  return out;
}

export function encodeMp3(samples: Float32Array, kbps: number): Uint8Array {
  const pcm = toInt16(samples);
  const encoder = new Mp3Encoder(1, SAMPLE_RATE, kbps);
  const chunks: Uint8Array[] = [];
  const block = SAMPLES_PER_FRAME * 16;
  for (let i = 0; i < pcm.length; i += block) {
    const chunk = encoder.encodeBuffer(pcm.subarray(i, i + block));
    if (chunk.length > 0) chunks.push(Uint8Array.from(chunk));
  }
  chunks.push(Uint8Array.from(encoder.flush()));
  return concat(chunks);
}

export function encodeWav(samples: Float32Array): Uint8Array {
  const pcm = toInt16(samples);
  const out = new Uint8Array(44 + pcm.length * 2);
  const view = new DataView(out.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + pcm.length * 2, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, SAMPLE_RATE, true);
  view.setUint32(28, SAMPLE_RATE * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, pcm.length * 2, true);
  for (let i = 0; i < pcm.length; i++) view.setInt16(44 + i * 2, pcm[i] ?? 0, true);
  return out;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

export interface Mp3Info {
  frames: number;
  sampleRate: number;
  bitrateKbps: number;
  channels: number;
  /** Decoded length, seconds (frames x 1152 / rate). */
  duration: number;
}

const BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const SAMPLE_RATES_V1 = [44100, 48000, 32000];

/**
 * Walks an MPEG-1 Layer III stream frame by frame (skipping an ID3v2 tag) and throws unless
 * every byte belongs to a well-formed frame: a cheap proof that what we publish will decode.
 */
export function inspectMp3(bytes: Uint8Array): Mp3Info {
  let offset = 0;
  if (bytes.length >= 10 && bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) {
    const size = ((bytes[6]! & 0x7f) << 21) | ((bytes[7]! & 0x7f) << 14) | ((bytes[8]! & 0x7f) << 7) | (bytes[9]! & 0x7f);
    offset = 10 + size;
  }
  let frames = 0;
  let sampleRate = 0;
  let bitrateKbps = 0;
  let channels = 0;
  while (offset < bytes.length) {
    if (offset + 4 > bytes.length) throw new Error(`mp3: truncated header at byte ${offset}`);
    const b1 = bytes[offset + 1]!;
    const b2 = bytes[offset + 2]!;
    const b3 = bytes[offset + 3]!;
    if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) throw new Error(`mp3: lost frame sync at byte ${offset}`);
    if (((b1 >> 3) & 3) !== 3 || ((b1 >> 1) & 3) !== 1) throw new Error(`mp3: not MPEG-1 Layer III at byte ${offset}`);
    const bitrate = BITRATES_V1_L3[(b2 >> 4) & 15];
    const rate = SAMPLE_RATES_V1[(b2 >> 2) & 3];
    if (!bitrate || !rate) throw new Error(`mp3: bad bitrate/sample rate at byte ${offset}`);
    const padding = (b2 >> 1) & 1;
    const frameBytes = Math.floor((144 * bitrate * 1000) / rate) + padding;
    if (offset + frameBytes > bytes.length) throw new Error(`mp3: truncated frame at byte ${offset}`);
    sampleRate = rate;
    bitrateKbps = bitrate;
    channels = ((b3 >> 6) & 3) === 3 ? 1 : 2;
    frames++;
    offset += frameBytes;
  }
  if (frames === 0) throw new Error("mp3: no frames");
  return { frames, sampleRate, bitrateKbps, channels, duration: (frames * SAMPLES_PER_FRAME) / sampleRate };
}
