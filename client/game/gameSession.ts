"use client";
/**
 * One game on this page, outside React: the server clock and the 10 Hz tick that follows the
 * match timeline, the sounds of each stage, the screen wake lock, visibility reports, reloading
 * the models after a mid-game reload, and for players the inference loop and the live sender.
 * GameStage subscribes to its snapshot (useSyncExternalStore) and only draws it.
 *
 * Everything with a side effect comes in through `GameSessionDeps`, so the session runs in a
 * unit test without a browser; `browserGameDeps` wires the real modules.
 */
import type { LeaderPose } from "@/core/game/copyRound";
import { matchStageAt, type MatchStage, type MatchTimeline } from "@/core/game/match";
import { roundRole } from "@/core/game/roundTarget";
import type { CopyRoundSnapshot, RoomSnapshot } from "@/core/protocol";
import type { Award } from "@/core/scoring/points";
import type { Difficulty } from "@/core/scoring/types";
import { loadSounds, playEffect, startMusic, stopMusic, unlockAudioOnFirstTap, type EffectName } from "../audio/sound";
import { getCameraVideo } from "../media/camera";
import { createScreenWakeLock, type ScreenWakeLock } from "../media/wakeLock";
import { sendAlive, sendAward, sendLeaderPose, sendMeter, sendVisibility } from "../room/commands";
import { serverNow, syncClock } from "./clockSync";
import { InferenceLoop, type ActiveRound, type FrameReport } from "@/client/vision/inferenceLoop";
import { createLiveSender, type LiveSender } from "./liveSender";
import { hasGameVision, resumeGameVision, type GameVisionSettings } from "./resumeVision";
import { createVisibilityReporter, type VisibilityReporter } from "./visibilityReporter";
import { pageBestMoment } from "../moments/pageMoment";

/**
 * How often the stage and the meter are redrawn: smooth enough, and React is not re-rendered per
 * frame. Camera frames tick too: on a busy main thread the browser runs frame callbacks before
 * timers, so a timer alone would let the meter and the countdown lag.
 */
export const GAME_TICK_MS = 100;
/** The clock is sampled again now and then during the match (phones drift, networks change). */
export const CLOCK_RESYNC_MS = 15_000;
/** Well inside the server's SILENT_AFTER_MS, so a page that misses a beat or two still counts. */
export const ALIVE_INTERVAL_MS = 1_000;
/** After a refused leader pose (not yet steady enough for the server), the next try waits this long. */
const LEADER_POSE_RETRY_MS = 500;

export interface GameMeter {
  similarity: number;
  holdProgress: number;
  detectionsPerSecond: number;
  /** Whether the last detection vouched for what it scored (a leader's strike: the whole body in view). */
  confident: boolean;
}

export type GameVisionState = "ready" | "loading" | "failed";

export interface GameSessionSnapshot {
  /** Estimated server time at the last tick. */
  now: number;
  stage: MatchStage;
  /** This player's live meter, as of the last tick. */
  meter: GameMeter;
  /** Awards this page earned, by round index (a reload loses them; the server's scores keep them). */
  awards: Readonly<Record<number, Award>>;
  /** Copy rounds this page led whose pose the room took, by round index. */
  struck: Readonly<Record<number, true>>;
  /** Whether the models are loaded (a page reloaded mid-game loads them again). */
  vision: GameVisionState;
  /**
   * The last sound cue, muted or not: its visual twin shows it, so the game plays fully muted
   * (issue 25). `seq` counts cues, so the same cue twice (tick, tick) still shows as new.
   */
  cue: SoundCue | null;
}

export interface SoundCue {
  name: EffectName;
  seq: number;
}

/** What the session needs from a room snapshot. */
export interface GameView {
  timeline: MatchTimeline | null;
  isPlayer: boolean;
  /** What the server shows for this player; the visibility reporter corrects it if stale. */
  pausedOnServer: boolean;
  vision: GameVisionSettings | null;
  difficulty: Difficulty | null;
  selfId: string;
  /** Copy rounds: who leads and the pose to copy, as the room decided. */
  copies: readonly CopyRoundSnapshot[];
  /** Members' names (a leader's pose is named after them). */
  nicknames: Readonly<Record<string, string>>;
}

export function gameViewOf(room: RoomSnapshot, selfId: string): GameView {
  const self = room.members.find((member) => member.id === selfId);
  const settings = room.game?.settings;
  return {
    timeline: room.game?.timeline ?? null,
    isPlayer: self?.role === "player",
    pausedOnServer: self?.paused ?? false,
    vision: settings ? { roundKinds: settings.roundKinds, poseQuality: settings.poseQuality } : null,
    difficulty: settings?.difficulty ?? null,
    selfId,
    copies: room.game?.copies ?? [],
    nicknames: Object.fromEntries(room.members.map((member) => [member.id, member.nickname])),
  };
}

/** What the session drives of the inference loop. */
export type GameInferenceLoop = Pick<InferenceLoop, "start" | "stop" | "setRound">;

/**
 * The one place the game's inference loop is built: detections run where the lobby's inference
 * plan says (client/vision/plans/activePlan.ts), at its rate.
 *
 * The plan's module is imported dynamically: it brings the detectors, the worker client and the
 * tasks-vision glue (modelKinds.ts), which must not ship with the room page (the chatting room
 * loads no vision code; e2e/lobby.spec.ts). By the time a loop is built the lobby or the model
 * reload has loaded it already, so the loop starts a microtask later; until then it stands in.
 */
export function createInferenceLoop(video: HTMLVideoElement, canvas: HTMLCanvasElement, onFrame: (report: FrameReport) => void): GameInferenceLoop {
  let loop: InferenceLoop | null = null;
  let running = false;
  let round: ActiveRound | null = null;
  import("../vision/plans/activePlan").then(
    ({ activePlanInfo, gameDetector }) => {
      loop = new InferenceLoop(video, canvas, gameDetector(), onFrame, activePlanInfo().plan.maxDetectionsPerSecond);
      loop.setRound(round);
      if (running) loop.start();
    },
    (error: unknown) => console.warn("[game] the inference plan could not be loaded; no detections this game:", error),
  );
  return {
    start: () => {
      running = true;
      loop?.start();
    },
    stop: () => {
      running = false;
      loop?.stop();
    },
    setRound: (next) => {
      round = next;
      loop?.setRound(next);
    },
  };
}

export interface GameSessionDeps {
  serverNow(): number;
  syncClock(): Promise<void>;
  unlockAudio(): void;
  loadSounds(): void;
  playEffect(name: EffectName): void;
  startMusic(): void;
  stopMusic(): void;
  createWakeLock(): ScreenWakeLock;
  createVisibilityReporter(): VisibilityReporter;
  createLiveSender(): LiveSender;
  /** A copy round's leader: sends the struck pose; the answer says whether the room took it. */
  sendLeaderPose(struck: { roundIndex: number; pose: LeaderPose }): Promise<{ ok: boolean }>;
  /** The page's heartbeat to the room, every ALIVE_INTERVAL_MS while the game runs. */
  sendAlive(): void;
  createInferenceLoop: typeof createInferenceLoop;
  getCameraVideo(): HTMLVideoElement | null;
  hasGameVision(settings: GameVisionSettings): boolean;
  resumeGameVision(settings: GameVisionSettings, baseUrl: string, signal: AbortSignal): Promise<boolean>;
  /** Every scored frame, for the best moment of the match (client/moments/); `matchKey` tells matches apart. */
  keepBestMoment(report: FrameReport, matchKey: number | null): void;
}

/**
 * What became of this page's awards, by the server's answer (`accepted`, or the refusal's code:
 * `outside_window` is one that arrived after its round closed). For the network tests and the
 * bench, as `window.__poseparty.awards`: a late link shows here before it shows in the points.
 */
const awardOutcomes: Record<string, number> = {};

async function sendCountedAward(update: Parameters<typeof sendAward>[0]): Promise<Awaited<ReturnType<typeof sendAward>>> {
  const answer = await sendAward(update);
  const outcome = answer.ok ? "accepted" : answer.code;
  awardOutcomes[outcome] = (awardOutcomes[outcome] ?? 0) + 1;
  window.__poseparty = { ...(window.__poseparty ?? {}), awards: { ...awardOutcomes } };
  return answer;
}

/** What became of this page's leader poses (copy rounds), as `window.__poseparty.leaderPoses`, like awards. */
const leaderPoseOutcomes: Record<string, number> = {};

async function sendCountedLeaderPose(struck: Parameters<typeof sendLeaderPose>[0]): Promise<{ ok: boolean }> {
  const answer = await sendLeaderPose(struck);
  const outcome = answer.ok ? "accepted" : answer.code;
  leaderPoseOutcomes[outcome] = (leaderPoseOutcomes[outcome] ?? 0) + 1;
  window.__poseparty = { ...(window.__poseparty ?? {}), leaderPoses: { ...leaderPoseOutcomes } };
  // The leader's screen asks for stillness; the console says what the room answered, for a bug report.
  if (!answer.ok) console.info(`[game] leader pose refused: ${answer.code}: ${answer.message}`);
  return answer;
}

export const browserGameDeps: GameSessionDeps = {
  serverNow,
  syncClock,
  unlockAudio: unlockAudioOnFirstTap,
  loadSounds: () => void loadSounds(),
  playEffect,
  startMusic,
  stopMusic: () => stopMusic(),
  createWakeLock: () => createScreenWakeLock(),
  createVisibilityReporter: () => createVisibilityReporter(sendVisibility),
  createLiveSender: () => createLiveSender({ sendMeter, sendAward: sendCountedAward }),
  sendLeaderPose: sendCountedLeaderPose,
  sendAlive,
  createInferenceLoop,
  getCameraVideo,
  hasGameVision,
  resumeGameVision,
  keepBestMoment: (report, matchKey) => pageBestMoment.frame(report, matchKey),
};

/** The sound a stage opens with (also shown, as its visual twin). */
function stageCue(stage: MatchStage): EffectName | null {
  switch (stage.kind) {
    case "countdown":
      return "tick";
    case "round":
      return "go";
    case "strike":
      return "tick";
    case "gap":
    case "finished":
      return "round-end";
    default:
      return null;
  }
}

function stageKey(stage: MatchStage): string {
  switch (stage.kind) {
    case "countdown":
      return `countdown-${stage.secondsLeft}`;
    case "round":
      return `round-${stage.round.index}`;
    case "strike":
      return `strike-${stage.round.index}`;
    case "gap":
      return `gap-${stage.previous.index}`;
    default:
      return stage.kind;
  }
}

const visionKey = (settings: GameVisionSettings | null) => (settings ? `${settings.roundKinds.join(",")}:${settings.poseQuality}` : "");

export class GameSession {
  private view: GameView;
  private snapshot: GameSessionSnapshot;
  private readonly listeners = new Set<() => void>();
  private readonly meter: GameMeter = { similarity: 0, holdProgress: 0, detectionsPerSecond: 0, confident: false };
  private running = false;
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private clockTimer: ReturnType<typeof setInterval> | null = null;
  private aliveTimer: ReturnType<typeof setInterval> | null = null;
  private wakeLock: ScreenWakeLock | null = null;
  private visibility: VisibilityReporter | null = null;
  private resume: { key: string; controller: AbortController } | null = null;
  private canvas: HTMLCanvasElement | null = null;
  private loop: { loop: GameInferenceLoop; sender: LiveSender } | null = null;
  private lastStageKey: string | null = null;
  /** A leader's pose on its way or taken, by round: sent once, again only after a refusal. */
  private readonly leaderPoses = new Map<number, "sending" | "taken" | { refusedAt: number }>();
  private lastTickAt = Number.NEGATIVE_INFINITY;

  constructor(
    view: GameView,
    private readonly modelBaseUrl: string,
    private readonly deps: GameSessionDeps = browserGameDeps,
  ) {
    this.view = view;
    const now = deps.serverNow();
    this.snapshot = {
      now,
      stage: this.stageAt(now),
      meter: { ...this.meter },
      awards: {},
      struck: {},
      // A page reloaded mid-game has its seat back but not its models.
      vision: view.vision && view.isPlayer && !deps.hasGameVision(view.vision) ? "loading" : "ready",
      cue: null,
    };
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): GameSessionSnapshot => this.snapshot;

  /** Starts everything; stop() undoes it all, and the session may be started again. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const { deps } = this;
    void deps.syncClock();
    this.clockTimer = setInterval(() => void deps.syncClock(), CLOCK_RESYNC_MS);
    deps.sendAlive();
    this.aliveTimer = setInterval(() => deps.sendAlive(), ALIVE_INTERVAL_MS);
    deps.unlockAudio();
    deps.loadSounds();
    // The screen stays on while the game runs; the server hears when the page is hidden and back.
    this.wakeLock = deps.createWakeLock();
    this.visibility = deps.createVisibilityReporter();
    this.wakeLock.acquire();
    this.visibility.start();
    this.tickTimer = setInterval(() => this.tickIfDue(GAME_TICK_MS / 2), GAME_TICK_MS);
    this.tick();
    this.resumeVisionIfNeeded();
    this.startLoopIfReady();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    if (this.clockTimer !== null) clearInterval(this.clockTimer);
    if (this.aliveTimer !== null) clearInterval(this.aliveTimer);
    this.tickTimer = this.clockTimer = this.aliveTimer = null;
    this.deps.stopMusic();
    this.visibility?.stop();
    this.wakeLock?.release();
    this.visibility = this.wakeLock = null;
    this.resume?.controller.abort();
    this.resume = null;
    this.stopLoop();
  }

  /** Every room snapshot: the timeline, the role, and what the others see of this player. */
  setView(view: GameView): void {
    const previous = this.view;
    this.view = view;
    // Every snapshot (a rejoin after a drop, a reload) says what the others see: correct it if stale.
    this.visibility?.syncWith(view.pausedOnServer);
    if (visionKey(view.vision) !== visionKey(previous.vision)) this.resumeVisionIfNeeded();
    if (view.isPlayer !== previous.isPlayer) {
      if (view.isPlayer) this.startLoopIfReady();
      else this.stopLoop();
    }
    if (view.timeline !== previous.timeline && this.running) this.tick();
    else this.applyRound();
  }

  /** The canvas the skeleton is drawn on (null when it leaves the page). */
  setCanvas(canvas: HTMLCanvasElement | null): void {
    if (canvas === this.canvas) return;
    this.canvas = canvas;
    this.stopLoop();
    this.startLoopIfReady();
  }

  private stageAt(now: number): MatchStage {
    return this.view.timeline ? matchStageAt(this.view.timeline, now) : { kind: "waiting", startsInMs: 0 };
  }

  /**
   * A tick unless one ran less than `sinceMs` ago (the timer and the frames share the cadence).
   * Timed on the page's own clock: a clock resync may move the server estimate back.
   */
  private tickIfDue(sinceMs: number): void {
    if (Date.now() - this.lastTickAt >= sinceMs) this.tick();
  }

  private tick(): void {
    const now = this.deps.serverNow();
    this.lastTickAt = Date.now();
    const stage = this.stageAt(now);
    const key = stageKey(stage);
    const changed = key !== this.lastStageKey;
    this.lastStageKey = key;
    // The sound's visual twin goes out with the stage it belongs to: one redraw per tick.
    const cue = changed ? stageCue(stage) : null;
    this.publish({ now, stage, meter: { ...this.meter }, ...(cue ? { cue: this.nextCue(cue) } : {}) });
    if (!changed) return;
    this.applyRound();
    this.playStageSounds(stage);
  }

  /** Ticks on 3-2-1, a cue when a round opens and closes, music while playing. */
  private playStageSounds(stage: MatchStage): void {
    const { deps } = this;
    const cue = stageCue(stage);
    if (cue) deps.playEffect(cue);
    // No twin of its own: the go cue's caption says the music started.
    if (stage.kind === "round") deps.startMusic();
    if (stage.kind === "finished") deps.stopMusic();
  }

  private nextCue(name: EffectName): SoundCue {
    return { name, seq: (this.snapshot.cue?.seq ?? 0) + 1 };
  }

  /**
   * The loop scores the round being played, and nothing between rounds; a copy round's leader
   * strikes its pose during the strike and is not scored while the others copy it.
   */
  private applyRound(): void {
    if (!this.loop) return;
    this.loop.loop.setRound(this.activeRound());
  }

  private activeRound(): ActiveRound | null {
    const { stage } = this.snapshot;
    const { view } = this;
    if (stage.kind !== "round" && stage.kind !== "strike") return null;
    const round = stage.round;
    const role = roundRole(round, view.copies, view.selfId, (playerId) => view.nicknames[playerId] ?? "");
    if (stage.kind === "strike") {
      const struck = this.leaderPoses.get(round.index) === "taken";
      return role.kind === "lead" && !struck ? { mode: "strike", index: round.index, kind: "copy" } : null;
    }
    if (role.kind !== "play" || !role.target || !view.difficulty) return null;
    return { mode: "score", index: round.index, kind: round.kind, target: role.target, difficulty: view.difficulty };
  }

  /** The leader's pose settled: to the room, once (again a moment after a refusal, while the strike lasts). */
  private offerLeaderPose(roundIndex: number, pose: LeaderPose): void {
    const previous = this.leaderPoses.get(roundIndex);
    if (previous === "sending" || previous === "taken") return;
    if (previous && performance.now() - previous.refusedAt < LEADER_POSE_RETRY_MS) return;
    this.leaderPoses.set(roundIndex, "sending");
    void this.deps.sendLeaderPose({ roundIndex, pose }).then(
      (answer) => {
        this.leaderPoses.set(roundIndex, answer.ok ? "taken" : { refusedAt: performance.now() });
        if (answer.ok) {
          this.publish({ struck: { ...this.snapshot.struck, [roundIndex]: true } });
          this.applyRound();
        }
      },
      () => this.leaderPoses.set(roundIndex, { refusedAt: performance.now() }),
    );
  }

  private resumeVisionIfNeeded(): void {
    const settings = this.view.vision;
    if (!this.running || this.snapshot.vision !== "loading" || !settings) return;
    const key = visionKey(settings);
    if (this.resume?.key === key) return;
    this.resume?.controller.abort();
    const controller = new AbortController();
    this.resume = { key, controller };
    void this.deps.resumeGameVision(settings, this.modelBaseUrl, controller.signal).then((ok) => {
      if (controller.signal.aborted) return;
      this.resume = null;
      this.publish({ vision: ok ? "ready" : "failed" });
      this.startLoopIfReady();
    });
  }

  /** Created once per game for players, when the models, the camera and the canvas are there. */
  private startLoopIfReady(): void {
    const { canvas, deps } = this;
    if (!this.running || this.loop || !this.view.isPlayer || this.snapshot.vision !== "ready" || !canvas) return;
    const video = deps.getCameraVideo();
    if (!video) return;
    const sender = deps.createLiveSender();
    const loop = deps.createInferenceLoop(video, canvas, (report) => this.onFrame(report, sender));
    this.loop = { loop, sender };
    this.applyRound();
    loop.start();
  }

  private stopLoop(): void {
    if (!this.loop) return;
    this.loop.loop.stop();
    this.loop.sender.dispose();
    this.loop = null;
  }

  private onFrame(report: FrameReport, sender: LiveSender): void {
    sender.frame(report);
    if (report.struckPose && report.roundIndex !== null) this.offerLeaderPose(report.roundIndex, report.struckPose);
    this.deps.keepBestMoment(report, this.view.timeline?.countdownStartsAt ?? null);
    this.meter.similarity = report.similarity;
    this.meter.holdProgress = report.holdProgress;
    this.meter.detectionsPerSecond = report.detectionsPerSecond;
    this.meter.confident = report.confidence > 0;
    if (report.award) {
      const award = report.award;
      this.publish({ awards: { ...this.snapshot.awards, [report.roundIndex ?? -1]: award }, cue: this.nextCue(award) });
      this.deps.playEffect(award);
    }
    // After the loop's frame callback returns: a tick may hand the loop its next round.
    queueMicrotask(() => {
      if (this.running) this.tickIfDue(GAME_TICK_MS);
    });
  }

  private publish(patch: Partial<GameSessionSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }
}
