/**
 * The game's inference loop. Detections run where the device's inference plan says
 * (core/inferencePlan.ts: the main thread by default, or a worker), through a FrameDetector; this
 * loop draws and scores the results on the main thread. At most one detection per new camera
 * frame (fewer under a capped plan), driven by requestVideoFrameCallback (requestAnimationFrame
 * where missing), never the same frame twice, one at a time (a slow worker skips frames instead
 * of queueing them), paused while the tab is hidden (a hold in progress ends there: time away
 * never counts as holding). On the main thread it allocates nothing of its own per frame: scorers
 * and the hold tracker reuse their buffers; only what tasks-vision returns is new.
 */
import { STRIKE_STEADY_MIN, type LeaderPose } from "@/core/game/copyRound";
import type { RoundKind } from "@/core/playlist";
import { StrikeTracker } from "@/core/scoring/strike";
import { POSE_BONES } from "@/core/scoring/bodyPoints";
import { HandScorer } from "@/core/scoring/handScore";
import { scoreHead } from "@/core/scoring/headScore";
import { HoldTracker, type HoldLevel } from "@/core/scoring/hold";
import type { Award } from "@/core/scoring/points";
import { PoseScorer } from "@/core/scoring/poseSimilarity";
import type { ScoreResult } from "@/core/scoring/types";
import type { Difficulty } from "@/core/scoring/types";
import type { GameTarget } from "@/core/targets/pick";
import type { KindDetection } from "./modelKinds";
import type { FrameDetector } from "./plans/detectors";

/**
 * What the loop does with this round's detections; null between rounds (the skeleton is still
 * drawn). A library target, a friend's pose (a copy round), or for a copy round's leader during
 * the strike: watch its own pose settle (core/scoring/strike.ts), scoring nothing.
 */
export type ActiveRound =
  { mode: "score"; index: number; kind: RoundKind; target: GameTarget; difficulty: Difficulty } | { mode: "strike"; index: number; kind: "copy" };

/** Changes exactly when the loop must start over: another round, phase or target. */
function activeRoundKey(round: ActiveRound | null): string {
  if (!round) return "";
  return round.mode === "strike" ? `${round.index}:strike` : `${round.index}:${round.kind}:${round.target.id}`;
}

/** Handed to the UI after every detection; the same object each time (copy what you keep). */
export interface FrameReport {
  roundIndex: number | null;
  similarity: number;
  confidence: number;
  level: HoldLevel;
  /** 0..1 towards completing the hold. */
  holdProgress: number;
  /** Set on the one frame an award is earned. */
  award: Award | null;
  /** Detections per second over the last second. */
  detectionsPerSecond: number;
  /** How long the last detection took (for a worker: request to result); null before the first. */
  detectMs: number | null;
  /** A leader's strike: the pose, once framed and still long enough (similarity is its steadiness). */
  struckPose: LeaderPose | null;
}

// MediaPipe hand skeleton: the wrist fans out to each finger's four joints.
const HAND_BONES: readonly (readonly [number, number])[] = [
  [0, 1],
  [1, 2],
  [2, 3],
  [3, 4],
  [0, 5],
  [5, 6],
  [6, 7],
  [7, 8],
  [5, 9],
  [9, 10],
  [10, 11],
  [11, 12],
  [9, 13],
  [13, 14],
  [14, 15],
  [15, 16],
  [13, 17],
  [0, 17],
  [17, 18],
  [18, 19],
  [19, 20],
];

type VideoFrameCallbackVideo = HTMLVideoElement & {
  requestVideoFrameCallback?: (callback: (now: number, metadata: { mediaTime: number; presentedFrames: number }) => void) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

export class InferenceLoop {
  private readonly video: VideoFrameCallbackVideo;
  private readonly context: CanvasRenderingContext2D | null;
  private readonly poseScorer = new PoseScorer();
  private readonly handScorer = new HandScorer();
  private readonly headResult: ScoreResult = { similarity: 0, confidence: 0 };
  private readonly report: FrameReport = {
    roundIndex: null,
    similarity: 0,
    confidence: 0,
    level: "none",
    holdProgress: 0,
    award: null,
    detectionsPerSecond: 0,
    detectMs: null,
    struckPose: null,
  };
  private hold: HoldTracker | null = null;
  private strike: StrikeTracker | null = null;
  private round: ActiveRound | null = null;
  private running = false;
  private frameHandle: number | null = null;
  private usesVideoFrameCallback: boolean;
  private lastMediaTime = -1;
  private lastTimestamp = 0;
  /** The hold's clock: results can arrive after breakHold() has pushed a later time. */
  private lastHoldTimestamp = 0;
  private lastSubmitAt = -Infinity;
  private readonly minSubmitGapMs: number;
  private windowStart = 0;
  private windowCount = 0;

  constructor(
    video: HTMLVideoElement,
    private readonly canvas: HTMLCanvasElement,
    private readonly detector: FrameDetector,
    private readonly onFrame: (report: FrameReport) => void,
    /** A capped plan's rate (core/inferencePlan.ts); null: every new camera frame. */
    maxDetectionsPerSecond: number | null = null,
  ) {
    this.video = video;
    this.context = canvas.getContext("2d");
    this.usesVideoFrameCallback = typeof this.video.requestVideoFrameCallback === "function";
    // A few ms of slack: camera frames do not arrive exactly on the cap's period.
    this.minSubmitGapMs = maxDetectionsPerSecond ? 1000 / maxDetectionsPerSecond - 4 : 0;
  }

  setRound(round: ActiveRound | null): void {
    if (activeRoundKey(round) === activeRoundKey(this.round)) return;
    // A GOOD still waiting to become PERFECT when the bell rings counts as GOOD (the server allows a short grace).
    const pending = this.hold?.finish() ?? null;
    if (pending && this.round) {
      this.report.award = pending;
      this.onFrame(this.report);
      this.report.award = null;
    }
    this.round = round;
    this.hold = round?.mode === "score" ? new HoldTracker(round.difficulty) : null;
    this.strike = round?.mode === "strike" ? new StrikeTracker() : null;
    this.report.struckPose = null;
    this.report.roundIndex = round?.index ?? null;
    this.report.similarity = 0;
    this.report.confidence = 0;
    this.report.level = "none";
    this.report.holdProgress = 0;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    document.addEventListener("visibilitychange", this.onVisibilityChange);
    if (!document.hidden) this.schedule();
  }

  stop(): void {
    this.running = false;
    document.removeEventListener("visibilitychange", this.onVisibilityChange);
    this.cancel();
  }

  private readonly onVisibilityChange = () => {
    // A hidden tab must not burn the battery; the camera frames it would see are stale anyway.
    if (document.hidden) {
      this.cancel();
      this.breakHold();
    } else if (this.running) this.schedule();
  };

  /**
   * Time away must not count as holding the pose: one empty frame ends any run in progress (a
   * GOOD that was only waiting for a PERFECT is awarded now, as at the bell). The live meter
   * reads 0 until the next detection.
   */
  private breakHold(): void {
    this.strike?.reset();
    if (!this.hold) return;
    const timestamp = Math.max(performance.now(), this.lastHoldTimestamp + 1);
    this.lastHoldTimestamp = timestamp;
    const report = this.report;
    report.award = this.hold.push(0, 0, timestamp);
    report.similarity = 0;
    report.confidence = 0;
    report.level = this.hold.level;
    report.holdProgress = this.hold.progress;
    this.onFrame(report);
    report.award = null;
  }

  private schedule(): void {
    if (this.frameHandle !== null) return;
    this.frameHandle = this.usesVideoFrameCallback ? this.video.requestVideoFrameCallback(this.onVideoFrame) : requestAnimationFrame(this.onAnimationFrame);
  }

  private cancel(): void {
    if (this.frameHandle === null) return;
    if (this.usesVideoFrameCallback) this.video.cancelVideoFrameCallback?.(this.frameHandle);
    else cancelAnimationFrame(this.frameHandle);
    this.frameHandle = null;
  }

  private readonly onVideoFrame = (_now: number, metadata: { mediaTime: number }) => {
    this.frameHandle = null;
    this.processFrame(metadata.mediaTime);
    if (this.running && !document.hidden) this.schedule();
  };

  private readonly onAnimationFrame = () => {
    this.frameHandle = null;
    this.processFrame(this.video.currentTime);
    if (this.running && !document.hidden) this.schedule();
  };

  private processFrame(mediaTime: number): void {
    const video = this.video;
    // rAF fires without a new frame; rVFC can repeat after a seek: never detect the same frame twice.
    if (mediaTime === this.lastMediaTime || video.readyState < 2 || video.videoWidth === 0) return;
    const now = performance.now();
    if (now - this.lastSubmitAt < this.minSubmitGapMs) return;
    const round = this.round;
    const tasks = this.detector;
    const kind: RoundKind = round?.kind ?? (tasks.has("pose") ? "pose" : tasks.has("hand") ? "hand" : "head");
    const modelKind = kind === "head" ? "face" : kind === "copy" ? "pose" : kind;
    // detectForVideo needs strictly increasing timestamps.
    const timestamp = Math.max(now, this.lastTimestamp + 1);
    const roundIndex = round?.index ?? null;
    const submitted = this.detector.submit(modelKind, video, timestamp, (detection, detectMs) => this.onDetection(detection, detectMs, timestamp, roundIndex));
    if (!submitted) return; // a detection is still running: this frame is skipped, the next one tried
    this.lastMediaTime = mediaTime;
    this.lastTimestamp = timestamp;
    this.lastSubmitAt = now;
  }

  /** A detection's result: drawn, scored against the round it was taken in, pushed to the hold. */
  private onDetection(detection: KindDetection | null, detectMs: number, timestamp: number, roundIndex: number | null): void {
    // A worker's answer can arrive after the loop stopped or the page was hidden: drop it.
    if (!this.running || document.hidden) return;
    this.countDetection(timestamp);
    const width = this.video.videoWidth;
    const height = this.video.videoHeight;
    this.prepareCanvas(width, height);
    // A result from the round before (a worker's, in flight at the bell) is drawn, not scored.
    const round = this.round !== null && this.round.index === roundIndex ? this.round : null;
    const aspect = width / height;
    let result: ScoreResult | null = null;
    const scored = round?.mode === "score" ? round : null;
    this.report.struckPose = null;

    if (detection?.kind === "pose") {
      const landmarks = detection.pose;
      if (landmarks) this.drawBones(landmarks, POSE_BONES, width, height, "#34d6c4");
      if (landmarks && scored?.target.kind === "pose") result = this.poseScorer.score(landmarks, scored.target.prepared, aspect);
      if (this.strike && round?.mode === "strike") {
        const reading = this.strike.push(landmarks ?? null, width, height, timestamp);
        this.headResult.similarity = reading.steadiness;
        this.headResult.confidence = reading.framed ? 1 : 0;
        result = this.headResult;
        this.report.struckPose = reading.settled;
      }
    } else if (detection?.kind === "hand") {
      let best = 0;
      let bestConfidence = 0;
      for (let h = 0; h < detection.hands.length; h++) {
        const landmarks = detection.hands[h]!;
        this.drawBones(landmarks, HAND_BONES, width, height, "#ffd34f");
        if (scored?.target.kind === "hand") {
          const hand = this.handScorer.score(landmarks, scored.target.sign, aspect);
          if (hand.similarity >= best) {
            best = hand.similarity;
            bestConfidence = hand.confidence;
          }
        }
      }
      if (scored?.target.kind === "hand") {
        this.headResult.similarity = best;
        this.headResult.confidence = bestConfidence;
        result = this.headResult;
      }
    } else if (detection?.kind === "face") {
      const face = detection.face;
      // The box is in pixels of the frame the model saw; the canvas is in the video's.
      const scaleX = width / detection.frameWidth;
      const scaleY = height / detection.frameHeight;
      const box = face ? { originX: face.originX * scaleX, originY: face.originY * scaleY, width: face.width * scaleX, height: face.height * scaleY } : null;
      if (box) this.drawBox(box.originX, box.originY, box.width, box.height);
      if (scored?.target.kind === "head") {
        this.drawTargetCircle(scored.target.circle.x, scored.target.circle.y, scored.target.circle.radius, width, height);
        result = scoreHead(box, width, height, scored.target.circle, face?.score ?? 0, this.headResult);
      }
    }

    const report = this.report;
    report.award = null;
    report.detectMs = detectMs;
    report.similarity = result?.similarity ?? 0;
    report.confidence = result?.confidence ?? 0;
    // A leader's steady pose shows as "good" on its meter: the live sender then sends every
    // frame, as during a hold, so the server sees the stillness it asks for.
    if (this.strike && round?.mode === "strike") report.level = report.similarity >= STRIKE_STEADY_MIN ? "good" : "none";
    if (this.hold && round) {
      const holdTimestamp = Math.max(timestamp, this.lastHoldTimestamp + 1);
      this.lastHoldTimestamp = holdTimestamp;
      report.award = this.hold.push(report.similarity, report.confidence, holdTimestamp);
      report.level = this.hold.level;
      report.holdProgress = this.hold.progress;
    }
    this.onFrame(report);
  }

  private countDetection(timestamp: number): void {
    if (timestamp - this.windowStart >= 1000) {
      this.report.detectionsPerSecond = this.windowCount;
      this.windowStart = timestamp;
      this.windowCount = 0;
    }
    this.windowCount++;
  }

  private prepareCanvas(width: number, height: number): void {
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
    this.context?.clearRect(0, 0, width, height);
  }

  /** Draws in camera coordinates: the canvas is mirrored by CSS exactly like the video under it. */
  private drawBones(
    landmarks: readonly { x: number; y: number }[],
    bones: readonly (readonly [number, number])[],
    width: number,
    height: number,
    color: string,
  ): void {
    const ctx = this.context;
    if (!ctx) return;
    ctx.strokeStyle = color;
    ctx.lineWidth = 5;
    ctx.lineCap = "round";
    ctx.beginPath();
    // Index loops: no iterator or destructuring garbage per frame.
    for (let i = 0; i < bones.length; i++) {
      const bone = bones[i]!;
      const a = landmarks[bone[0]];
      const b = landmarks[bone[1]];
      if (!a || !b) continue;
      ctx.moveTo(a.x * width, a.y * height);
      ctx.lineTo(b.x * width, b.y * height);
    }
    ctx.stroke();
  }

  private drawBox(x: number, y: number, width: number, height: number): void {
    const ctx = this.context;
    if (!ctx) return;
    ctx.strokeStyle = "#ffd34f";
    ctx.lineWidth = 4;
    ctx.strokeRect(x, y, width, height);
  }

  /** The circle is defined as seen on the mirrored screen; the canvas is in camera coordinates. */
  private drawTargetCircle(x: number, y: number, radius: number, width: number, height: number): void {
    const ctx = this.context;
    if (!ctx) return;
    ctx.strokeStyle = "#ff4f9a";
    ctx.lineWidth = 6;
    ctx.beginPath();
    ctx.arc((1 - x) * width, y * height, radius * Math.min(width, height), 0, Math.PI * 2);
    ctx.stroke();
  }
}
