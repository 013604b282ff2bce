/**
 * This page's best moment of the match (issue 24): while the player plays, a small still of
 * its own camera at its best-scoring frame so far, kept in memory only. The results screen
 * shares it (ShareBestMoment in components/Results.tsx) when the player allows it. Nothing is
 * captured while sharing is off or while the player's camera is off in the call: its friends
 * would not have seen that picture.
 */
import { MAX_MOMENT_IMAGE_CHARS } from "@/core/protocol";
import { MOMENT_RULE, shouldCaptureMoment, type MomentFrame, type MomentRule } from "./captureRule";

export interface KeptMoment {
  /** The match it belongs to (its countdown's server time): a later match's results never show it. */
  matchKey: number;
  roundIndex: number;
  similarity: number;
  /** A JPEG data URL of at most MAX_MOMENT_IMAGE_CHARS. */
  image: string;
}

export interface BestMomentDeps {
  now(): number;
  /** Whether a still may be taken now: sharing on, camera on in the call. */
  mayCapture(): boolean;
  /** A still of the camera as the player sees it (mirrored); null when there is no picture. */
  capture(): string | null;
}

export class BestMomentKeeper {
  private kept: KeptMoment | null = null;
  private matchKey: number | null = null;
  private bestSimilarity: number | null = null;
  private lastCaptureAt: number | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly deps: BestMomentDeps,
    private readonly rule: MomentRule = MOMENT_RULE,
  ) {}

  /** Every scored frame of the match `matchKey`; cheap unless the rule says capture. */
  frame(frame: Omit<MomentFrame, "at">, matchKey: number | null): void {
    if (matchKey === null) return;
    if (matchKey !== this.matchKey) this.reset(matchKey);
    const at = this.deps.now();
    if (!shouldCaptureMoment({ bestSimilarity: this.bestSimilarity, lastCaptureAt: this.lastCaptureAt }, { ...frame, at }, this.rule)) return;
    if (!this.deps.mayCapture() || frame.roundIndex === null) return;
    this.lastCaptureAt = at;
    const image = this.deps.capture();
    if (!image) return;
    this.bestSimilarity = frame.similarity;
    this.kept = { matchKey, roundIndex: frame.roundIndex, similarity: frame.similarity, image };
    for (const listener of [...this.listeners]) listener();
  }

  /** The best moment kept for that match, if any. */
  keptFor(matchKey: number | null): KeptMoment | null {
    return this.kept && this.kept.matchKey === matchKey ? this.kept : null;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private reset(matchKey: number): void {
    this.matchKey = matchKey;
    this.kept = null;
    this.bestSimilarity = null;
    this.lastCaptureAt = null;
  }
}

/** The longest side of a still: 192x144 from a 4:3 camera, about 5-9 KB as JPEG. */
export const MOMENT_MAX_SIDE = 192;
const QUALITIES = [0.7, 0.55, 0.4, 0.25];
let stillCanvas: HTMLCanvasElement | null = null;

/** Draws the video small and mirrored (as the self-view shows it), then JPEG, lowered until it fits. */
export function captureStill(video: HTMLVideoElement | null): string | null {
  if (!video || video.videoWidth === 0 || video.videoHeight === 0) return null;
  const scale = Math.min(1, MOMENT_MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
  const width = Math.max(1, Math.round(video.videoWidth * scale));
  const height = Math.max(1, Math.round(video.videoHeight * scale));
  stillCanvas ??= document.createElement("canvas");
  stillCanvas.width = width;
  stillCanvas.height = height;
  const context = stillCanvas.getContext("2d");
  if (!context) return null;
  context.setTransform(-1, 0, 0, 1, width, 0);
  context.drawImage(video, 0, 0, width, height);
  for (const quality of QUALITIES) {
    const image = stillCanvas.toDataURL("image/jpeg", quality);
    if (!image.startsWith("data:image/jpeg")) return null; // no JPEG encoder: share nothing
    if (image.length <= MAX_MOMENT_IMAGE_CHARS) return image;
  }
  return null;
}
