"use client";
/**
 * One preload lobby on this page, outside React: loading the vision preloader and the models,
 * the camera, the sounds, the inference plan trial (and a re-check on request), the framing
 * check and, while it fails, watching the framing; retry after a failure, "play anyway", and the
 * progress this page reports to the server. Lobby.tsx subscribes to its state
 * (useSyncExternalStore), draws it and calls its intents.
 *
 * Everything with a side effect comes in through `LobbySessionDeps`, so the session runs in a unit
 * test without a browser; `browserLobbyDeps` wires the real modules. The vision preloader and the
 * plan trial stay dynamic imports there: no other page may fetch the vision code.
 */
import { nextFramingStatus, type FramingStatus } from "@/core/framing";
import type { RoundKind } from "@/core/playlist";
import type { InferenceReport } from "@/core/protocol";
import { VISION_ASSET_KIND, type VisionAssetName } from "@/core/visionManifest";
import { loadSounds, soundLoadState, subscribeSoundLoad, type SoundLoadState } from "../audio/sound";
import { syncClock } from "../game/clockSync";
import { acquireCamera, getCameraVideo, type CameraState } from "../media/camera";
import { sendPreloadProgress } from "../room/commands";
import type { Clock, SendAnswer } from "../throttledSender";
import type { PlanOutcome, SettlePlanOptions } from "../vision/plans/settlePlan";
import type { AssetProgress, PreloadFailureKind } from "../vision/preloader";
import { checkFramingNow, framingFromWarmup, watchFraming, type FramingCheck } from "./framingCheck";
import { createProgressReporter, type ProgressReporter, type ProgressUpdate } from "./progressReporter";

/**
 * How long "ready" waits for the sounds once the models are in. They are 338 KB and usually
 * decoded long before; a sound server that hangs must not keep a player out of the game (it
 * then plays silently, or with the sounds that arrive later).
 */
export const SOUND_WAIT_LIMIT_MS = 20_000;
/** After this long with no bar moving, the lobby says it is still working (and on what). */
export const SLOW_STEP_NOTICE_MS = 15_000;
/** An attempt's reporter outlives it by this much, so its final update still goes out. */
export const REPORTER_LINGER_MS = 1_000;

export type LobbyFailure = { kind: PreloadFailureKind; detail: string };

export interface LobbyFraming {
  /** null until the first check after the preload. */
  status: FramingStatus | null;
  /** The last check, for the preview's marks; null while the camera has given no frame. */
  check: FramingCheck | null;
}

export interface LobbyPlan {
  measuring: boolean;
  /** null: the default plan (nothing measured or remembered to show). */
  outcome: PlanOutcome | null;
}

export interface LobbyState {
  /** The runtime's and the models' bars, then the sounds' bar; every bar shows from the first frame. */
  bars: readonly AssetProgress[];
  /** The sounds' loading and the AudioContext's state (the "tap to enable sound" button). */
  sound: SoundLoadState;
  failure: LobbyFailure | null;
  /** Models, camera, sounds (or their wait), plan and first framing check all done. */
  loaded: boolean;
  framing: LobbyFraming;
  plan: LobbyPlan;
  /** The step holding the lobby up, once no bar has moved for SLOW_STEP_NOTICE_MS; null otherwise. */
  slowStep: AssetProgress | null;
}

/** What the session needs from the room: fixed for its lifetime (Lobby.tsx makes a new one when they change). */
export interface LobbyConfig {
  /** The playlist's models; empty when there is no game to load for. */
  assets: readonly VisionAssetName[];
  roundKinds: readonly RoundKind[];
  /** Spectators load the sounds only. */
  isSpectator: boolean;
  modelBaseUrl: string;
}

type VisionPreloader = Pick<typeof import("@/client/vision/preloader"), "preloadVision" | "overallPercent" | "PreloadError">;
type PlanTrial = Pick<typeof import("@/client/vision/plans/settlePlan"), "settleInferencePlan" | "startWorkerScript" | "startWorkerEarly">;
type PlanAsset = SettlePlanOptions["assets"][number];

export interface LobbySessionDeps {
  /** The preloader's module: loaded only here, so no other page fetches the vision code. */
  loadPreloader(): Promise<VisionPreloader>;
  loadPlanTrial(): Promise<PlanTrial>;
  acquireCamera(): Promise<CameraState>;
  getCameraVideo(): HTMLVideoElement | null;
  /** Resolves when the sounds are decoded or unavailable. */
  loadSounds(): Promise<unknown>;
  soundLoadState(): SoundLoadState;
  subscribeSoundLoad(listener: (state: SoundLoadState) => void): () => void;
  /** The lobby's deadline is shown on the server's clock. */
  syncClock(): Promise<void>;
  sendPreloadProgress(update: ProgressUpdate): Promise<SendAnswer>;
  framingFromWarmup: typeof framingFromWarmup;
  checkFramingNow: typeof checkFramingNow;
  watchFraming: typeof watchFraming;
  /** The session's timers and the reporter's throttle. */
  clock: Clock;
}

export const browserLobbyDeps: LobbySessionDeps = {
  loadPreloader: () => import("@/client/vision/preloader"),
  loadPlanTrial: () => import("@/client/vision/plans/settlePlan"),
  acquireCamera,
  getCameraVideo,
  loadSounds,
  soundLoadState,
  subscribeSoundLoad,
  syncClock,
  sendPreloadProgress,
  framingFromWarmup,
  checkFramingNow,
  watchFraming,
  clock: {
    now: () => performance.now(),
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  },
};

/**
 * Called on every change. `immediate`: a preload stage changed, and the view should commit it
 * now (flushSync): the preloader yields for one frame and then starts a long step, and a render
 * still queued behind it would show the stage only after it is over.
 */
export type LobbyListener = (immediate: boolean) => void;

interface Attempt {
  controller: AbortController;
  reporter: ProgressReporter;
}

export class LobbySession {
  private state: LobbyState;
  private readonly listeners = new Set<LobbyListener>();
  private running = false;
  /** The preload under way (or finished) and its reporter; null when none runs. */
  private attempt: Attempt | null = null;
  private recheck: AbortController | null = null;
  private framingWatch: AbortController | null = null;
  private unsubscribeSound: (() => void) | null = null;
  /** The models' bars as the preloader last gave them (the sounds' bar is added to them). */
  private modelBars: AssetProgress[];
  /** The overall percent at the last preload progress: what "loading" and "failed" report. */
  private lastPercent = 0;
  private slowTimer: unknown = null;
  private slow = false;
  private slowSignature = "";

  constructor(
    private readonly config: LobbyConfig,
    private readonly deps: LobbySessionDeps = browserLobbyDeps,
  ) {
    this.modelBars = waitingBars(config.assets);
    const sound = deps.soundLoadState();
    this.state = {
      bars: [...this.modelBars, soundBar(sound)],
      sound,
      failure: null,
      loaded: false,
      framing: { status: null, check: null },
      plan: { measuring: false, outcome: null },
      slowStep: null,
    };
  }

  readonly subscribe = (listener: LobbyListener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getState = (): LobbyState => this.state;

  /** Whether this page loads anything: players do, when the playlist needs models. */
  private get preloads(): boolean {
    return !this.config.isSpectator && this.config.assets.length > 0;
  }

  /** Starts the lobby; dispose() undoes it, and a later start() begins again (React runs effects twice in development). */
  start(): void {
    if (this.running) return;
    this.running = true;
    const { deps } = this;
    this.restartSlowStepTimer(this.state);
    this.unsubscribeSound = deps.subscribeSoundLoad((sound) => this.update({ sound, bars: [...this.modelBars, soundBar(sound)] }));
    const sound = deps.soundLoadState();
    this.update({ sound, bars: [...this.modelBars, soundBar(sound)] });
    // The game's sounds load here, for players and spectators alike: decoded before the 3-2-1.
    void deps.loadSounds();
    void deps.syncClock();
    if (this.preloads) this.beginAttempt();
  }

  /** Aborts whatever runs; the last progress update still reaches the server (REPORTER_LINGER_MS). */
  dispose(): void {
    if (!this.running) return;
    this.running = false;
    this.endAttempt();
    this.unsubscribeSound?.();
    this.unsubscribeSound = null;
    if (this.slowTimer !== null) this.deps.clock.clearTimeout(this.slowTimer);
    this.slowTimer = null;
  }

  /** The player tapped Retry: everything starts over (downloads resume from the bytes kept). */
  retry(): void {
    if (!this.running || !this.preloads) return;
    this.endAttempt();
    this.beginAttempt();
  }

  /** The player asked to measure again: the plan in use stays until the new one is chosen. */
  recheckPlan(): void {
    if (!this.running || !this.preloads || !this.state.loaded) return;
    this.recheck?.abort();
    const controller = new AbortController();
    this.recheck = controller;
    this.update({ plan: { ...this.state.plan, measuring: true } });
    void (async () => {
      try {
        const outcome = await this.settlePlanOrDefault(controller.signal, true);
        if (!controller.signal.aborted) this.update({ plan: { measuring: false, outcome } });
      } catch (error) {
        if (controller.signal.aborted) return;
        console.warn("[lobby] re-check failed:", error);
        this.update({ plan: { ...this.state.plan, measuring: false } });
      }
    })();
  }

  /** The player plays with the framing as it is ("Play anyway"). */
  playAnyway(): void {
    if (this.state.framing.status !== "adjusting") return;
    this.update({ framing: { ...this.state.framing, status: "skipped" } });
  }

  private beginAttempt(): void {
    const controller = new AbortController();
    const reporter = createProgressReporter(this.deps.sendPreloadProgress, undefined, this.deps.clock);
    this.attempt = { controller, reporter };
    // Bars already full stay full (nothing is loaded twice); otherwise every bar waits again.
    const keepBars = this.modelBars.length > 0 && this.modelBars.every((asset) => asset.stage === "ready");
    if (!keepBars) this.modelBars = waitingBars(this.config.assets);
    this.update({
      bars: [...this.modelBars, soundBar(this.state.sound)],
      failure: null,
      loaded: false,
      framing: { status: null, check: null },
      plan: { measuring: false, outcome: null },
    });
    reporter.push({ percent: 0, status: "loading" });
    void this.runAttempt(controller.signal, reporter);
  }

  private endAttempt(): void {
    this.recheck?.abort();
    this.recheck = null;
    this.stopFramingWatch();
    const attempt = this.attempt;
    if (!attempt) return;
    this.attempt = null;
    attempt.controller.abort();
    // Let the final update out before the reporter goes quiet.
    this.deps.clock.setTimeout(() => attempt.reporter.dispose(), REPORTER_LINGER_MS);
  }

  /** Preload, camera, sounds, plan, first framing check: then "loaded" (and "ready" goes out, see update). */
  private async runAttempt(signal: AbortSignal, reporter: ProgressReporter): Promise<void> {
    const { deps, config } = this;
    // Stages finished in this attempt (a bar's stage moving on, a plan measured): after the
    // downloads the percent sits at 99 through seconds of CPU work, and a later step tells the
    // server's deadline that this page is still working rather than stalled.
    let step = 0;
    let lastStages = "";
    // Ready is only claimed once the camera is known to work too (below).
    const reportLoading = () => reporter.push({ percent: Math.min(this.lastPercent, 99), status: "loading", step });
    const reportStep = () => {
      step += 1;
      reportLoading();
    };

    let vision: VisionPreloader;
    try {
      vision = await deps.loadPreloader();
    } catch (error) {
      if (signal.aborted) return;
      this.update({ failure: { kind: "network", detail: messageOf(error) } });
      reporter.push({ percent: 0, status: "failed" });
      return;
    }
    const { preloadVision, overallPercent, PreloadError } = vision;
    try {
      const cameraReady = deps.acquireCamera();
      const planAssets = planAssetsOf(config.assets);
      // The plan trial's code, and the inference worker's script, load while the models download.
      const plans = deps.loadPlanTrial();
      void plans.then(({ startWorkerScript }) => startWorkerScript(planAssets)).catch(() => undefined);
      const report = await preloadVision({
        assets: [...config.assets],
        baseUrl: config.modelBaseUrl,
        warmupSource: () => deps.getCameraVideo(),
        signal,
        // The inference worker's trial model is created alongside the main thread's warm-ups.
        onTasksCreated: () => void plans.then(({ startWorkerEarly }) => startWorkerEarly(planAssets, deps.getCameraVideo)).catch(() => undefined),
        onProgress: (next) => {
          if (signal.aborted) return;
          this.modelBars = next;
          this.update({ bars: [...next, soundBar(this.state.sound)] }, true);
          this.lastPercent = overallPercent(this.state.bars);
          const stages = next.map((asset) => asset.stage).join(",");
          if (stages !== lastStages) step += 1;
          lastStages = stages;
          reportLoading();
        },
      });
      const camera = await cameraReady;
      if (camera.status !== "ready") throw new PreloadError("camera", `camera ${camera.status}`);
      await this.soundsSettled(SOUND_WAIT_LIMIT_MS);
      if (signal.aborted) return;
      // Where detection runs in the game on this device: measured here, never during the game.
      this.update({ plan: { measuring: true, outcome: null } });
      const outcome = await this.settlePlanOrDefault(signal, false, reportStep);
      if (signal.aborted) return;
      this.update({ plan: { measuring: false, outcome } });
      // The warm-up already looked at the camera: that detection is the first framing check.
      const kinds = config.roundKinds;
      const first = deps.framingFromWarmup(kinds, report, deps.getCameraVideo()) ?? (await deps.checkFramingNow(kinds, deps.getCameraVideo()));
      if (signal.aborted) return;
      this.update({ framing: { status: first?.result.ok ? "ok" : "adjusting", check: first }, loaded: true });
    } catch (error) {
      if (signal.aborted) return;
      const kind: PreloadFailureKind = error instanceof PreloadError ? error.kind : "other";
      this.update({ failure: { kind, detail: messageOf(error) } });
      reporter.push({ percent: Math.min(this.lastPercent, 99), status: "failed" });
    }
  }

  /**
   * The lobby's plan choice; never what keeps a player out: anything but an abort leaves the default
   * plan (main-CPU with the tasks the preload made) and no outcome to show.
   */
  private async settlePlanOrDefault(signal: AbortSignal, recheck: boolean, onPhase?: () => void): Promise<PlanOutcome | null> {
    try {
      const { settleInferencePlan } = await this.deps.loadPlanTrial();
      const assets = planAssetsOf(this.config.assets);
      return await settleInferencePlan({ assets, video: this.deps.getCameraVideo, signal, recheck, ...(onPhase ? { onPhase } : {}) });
    } catch (error) {
      if (signal.aborted) throw error;
      console.warn("[lobby] choosing the inference plan failed; playing on the main thread:", error);
      return null;
    }
  }

  /** Resolves when the sounds are decoded or unavailable, or after `limitMs`, whichever is first. */
  private soundsSettled(limitMs: number): Promise<void> {
    const { clock } = this.deps;
    return new Promise((resolve) => {
      const timer = clock.setTimeout(resolve, limitMs);
      void this.deps.loadSounds().then(() => {
        clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Until the picture passes (or "play anyway"), check it again at a modest rate. */
  private syncFramingWatch(): void {
    const adjusting = this.running && this.state.loaded && this.state.framing.status === "adjusting";
    if (!adjusting) {
      this.stopFramingWatch();
      return;
    }
    if (this.framingWatch) return;
    const controller = new AbortController();
    this.framingWatch = controller;
    this.deps.watchFraming(
      this.config.roundKinds,
      () => this.deps.getCameraVideo(),
      (check) => this.update({ framing: { status: nextFramingStatus(this.state.framing.status, check.result), check } }),
      controller.signal,
    );
  }

  private stopFramingWatch(): void {
    this.framingWatch?.abort();
    this.framingWatch = null;
  }

  /**
   * A new slow-step wait: whenever a bar moves, or the lobby starts or stops loading. A step that
   * never ends fails on its own (the preloader's stall limits); this only covers the wait.
   */
  private restartSlowStepTimer(state: LobbyState): void {
    const { clock } = this.deps;
    if (this.slowTimer !== null) clock.clearTimeout(this.slowTimer);
    this.slowTimer = null;
    this.slow = false;
    if (!this.running || !slowStepWatched(state)) return;
    this.slowTimer = clock.setTimeout(() => {
      this.slowTimer = null;
      this.slow = true;
      this.update({});
    }, SLOW_STEP_NOTICE_MS);
  }

  /** The one way state changes: derived parts, the reactions to the change, then the listeners. */
  private update(patch: Partial<LobbyState>, immediate = false): void {
    const previous = this.state;
    const next = { ...previous, ...patch };
    const signature = `${slowStepWatched(next)}|${next.bars.map((asset) => `${asset.key}:${asset.stage}:${asset.receivedBytes}`).join("|")}`;
    const moved = signature !== this.slowSignature;
    this.slowSignature = signature;
    if (moved) this.restartSlowStepTimer(next);
    next.slowStep = this.slow && slowStepWatched(next) ? holdingUp(next.bars) : null;
    this.state = next;

    // Ready, with the framing check's outcome: the server waits for "adjusting" (not past its deadline).
    const { loaded, framing, plan } = next;
    if (loaded && framing.status && (loaded !== previous.loaded || framing.status !== previous.framing.status || plan.outcome !== previous.plan.outcome)) {
      const inference = inferenceReport(plan.outcome);
      this.attempt?.reporter.push({ percent: 100, status: "ready", framing: framing.status, ...(inference ? { inference } : {}) });
    }
    this.syncFramingWatch();
    for (const listener of this.listeners) listener(immediate);
  }
}

/** The slow-step notice is for a lobby still loading: not after a failure, not once loaded. */
function slowStepWatched(state: LobbyState): boolean {
  return state.failure === null && !state.loaded;
}

/** The first unfinished bar; a fully downloaded file waiting for the others is not what holds the lobby up. */
function holdingUp(bars: readonly AssetProgress[]): AssetProgress | null {
  const unfinished = bars.filter((asset) => asset.stage !== "ready" && asset.stage !== "failed");
  const busy = unfinished.find(
    (asset) =>
      asset.stage !== "queued" &&
      asset.stage !== "created" &&
      !((asset.stage === "downloading" || asset.stage === "waiting") && asset.totalBytes > 0 && asset.receivedBytes >= asset.totalBytes),
  );
  return busy ?? unfinished[0] ?? null;
}

/** The playlist's models as the plan trial takes them: each with its kind. */
function planAssetsOf(assets: readonly VisionAssetName[]): PlanAsset[] {
  return assets.map((name) => ({ name, kind: VISION_ASSET_KIND[name] }));
}

/** What the server hears about this device's plan (rounded: rows show whole milliseconds). */
export function inferenceReport(outcome: PlanOutcome | null): InferenceReport | null {
  if (!outcome) return null;
  const ms = outcome.detectMsP50;
  return { plan: outcome.plan.id, ...(ms !== null && Number.isFinite(ms) ? { detectMs: Math.min(10_000, Math.max(0, Math.round(ms))) } : {}) };
}

/** The sounds' own bar, shown like the models' (bytes of the files decoded so far). */
function soundBar(sound: SoundLoadState): AssetProgress {
  const stage: AssetProgress["stage"] =
    sound.stage === "ready" ? "ready" : sound.stage === "unavailable" ? "failed" : sound.totalBytes > 0 ? "downloading" : "waiting";
  return { key: "sounds", stage, receivedBytes: sound.loadedBytes, totalBytes: sound.totalBytes };
}

function waitingBars(assets: readonly VisionAssetName[]): AssetProgress[] {
  if (assets.length === 0) return [];
  const keys: AssetProgress["key"][] = ["runtime", ...assets];
  return keys.map((key) => ({ key, stage: "waiting", receivedBytes: 0, totalBytes: 0 }));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
