"use client";
/**
 * Who is speaking: one WebAudio analyser per audio track, read ten times a second (an RMS over
 * 1024 samples, a few microseconds each), with a short hold so the ring does not flicker between
 * words. No audio is played through WebAudio; the analysers only listen.
 */

const CHECK_INTERVAL_MS = 100;
/** RMS of the waveform (full scale 1.0) above which a track counts as speaking: about -34 dBFS. */
const SPEAKING_RMS = 0.02;
/** Keeps the indicator on across short pauses between words. */
const HOLD_MS = 400;

interface Watched {
  track: MediaStreamTrack;
  source: MediaStreamAudioSourceNode;
  analyser: AnalyserNode;
  samples: Float32Array<ArrayBuffer>;
  lastLoud: number;
}

export class SpeakingMonitor {
  private context: AudioContext | null = null;
  private readonly watched = new Map<string, Watched>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private speaking: Record<string, boolean> = {};
  private readonly resumeOnGesture = () => void this.context?.resume().catch(() => undefined);

  constructor(private readonly onChange: (speaking: Record<string, boolean>) => void) {}

  /** Watch this track for this id (null stops watching). Same track again: nothing to do. */
  watch(id: string, track: MediaStreamTrack | null): void {
    const current = this.watched.get(id);
    if (current?.track === track) return;
    if (current) this.unwatch(id, current);
    if (!track || track.readyState !== "live") return this.publish();
    const context = this.audioContext();
    if (!context) return;
    const source = context.createMediaStreamSource(new MediaStream([track]));
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    this.watched.set(id, { track, source, analyser, samples: new Float32Array(analyser.fftSize), lastLoud: 0 });
    this.timer ??= setInterval(() => this.check(), CHECK_INTERVAL_MS);
  }

  /** Stop watching every id not in the list. */
  keepOnly(ids: ReadonlySet<string>): void {
    for (const [id, entry] of this.watched) if (!ids.has(id)) this.unwatch(id, entry);
    this.publish();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const [id, entry] of this.watched) this.unwatch(id, entry);
    document.removeEventListener("pointerdown", this.resumeOnGesture);
    document.removeEventListener("keydown", this.resumeOnGesture);
    void this.context?.close().catch(() => undefined);
    this.context = null;
  }

  private audioContext(): AudioContext | null {
    if (this.context) return this.context;
    if (typeof AudioContext === "undefined") return null;
    this.context = new AudioContext();
    // Mobile browsers start audio contexts suspended until the page is touched.
    if (this.context.state === "suspended") {
      document.addEventListener("pointerdown", this.resumeOnGesture);
      document.addEventListener("keydown", this.resumeOnGesture);
      void this.context.resume().catch(() => undefined);
    }
    return this.context;
  }

  private unwatch(id: string, entry: Watched): void {
    entry.source.disconnect();
    this.watched.delete(id);
  }

  private check(): void {
    const now = performance.now();
    for (const entry of this.watched.values()) {
      entry.analyser.getFloatTimeDomainData(entry.samples);
      let sum = 0;
      for (const sample of entry.samples) sum += sample * sample;
      const rms = Math.sqrt(sum / entry.samples.length);
      // A disabled or muted track reads as silence on its own.
      if (rms > SPEAKING_RMS && entry.track.enabled) entry.lastLoud = now;
    }
    this.publish(now);
  }

  private publish(now: number = performance.now()): void {
    const next: Record<string, boolean> = {};
    for (const [id, entry] of this.watched) if (now - entry.lastLoud < HOLD_MS && entry.lastLoud > 0) next[id] = true;
    const changed = Object.keys(next).length !== Object.keys(this.speaking).length || Object.keys(next).some((id) => !this.speaking[id]);
    if (!changed) return;
    this.speaking = next;
    this.onChange(next);
  }
}
