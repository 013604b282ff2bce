// The preload lobby's session without React or a browser. Real: the progress reporter (its
// throttle on vitest's fake timers), the bars' overall percent, PreloadError, the framing rule
// (core/framing.ts). Stand-ins, for the browser-only parts: the preloader (MediaPipe), the plan
// trial (workers, detections), the camera, the sounds (howler) and the framing detections; each
// records what the session asked and is settled by the test. The real parts run in
// e2e/lobby.spec.ts and e2e/inference-plan.spec.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { checkFraming } from "@/core/framing";
import { INFERENCE_PLANS, type InferencePlanId } from "@/core/inferencePlan";
import type { SoundLoadState } from "@/client/audio/sound";
import { LobbySession, SLOW_STEP_NOTICE_MS, SOUND_WAIT_LIMIT_MS, type LobbyConfig, type LobbySessionDeps } from "@/client/lobby/lobbySession";
import type { FramingCheck } from "@/client/lobby/framingCheck";
import type { ProgressUpdate } from "@/client/lobby/progressReporter";
import type { CameraState } from "@/client/media/camera";
import { PreloadError } from "@/client/vision/errors";
import type { PlanOutcome, SettlePlanOptions } from "@/client/vision/plans/settlePlan";
import type { AssetProgress, PreloadOptions, PreloadReport } from "@/client/vision/preloader";
import { overallPercent } from "@/client/vision/progress";

interface Pending<T, O> {
  options: O;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A framing check on a head-rounds playlist: the face seen or not. */
const framing = (ok: boolean): FramingCheck => ({ result: checkFraming(["head"], { face: ok }), pose: null });

function outcome(id: InferencePlanId, detectMsP50: number | null): PlanOutcome {
  return { plan: INFERENCE_PLANS[id], detectMsP50, source: "measured", reason: "smooth", measurements: [], unavailable: {}, trialMs: 900, phasesMs: {} };
}

const report = { warmupSource: "camera", warmup: { frameWidth: 640, frameHeight: 480 } } as PreloadReport;

const bar = (key: AssetProgress["key"], stage: AssetProgress["stage"], receivedBytes = 0, totalBytes = 0): AssetProgress => ({
  key,
  stage,
  receivedBytes,
  totalBytes,
});
const allReady = [bar("runtime", "ready", 9e6, 9e6), bar("face_short", "ready", 2e5, 2e5)];

function fakeLobby() {
  const sent: ProgressUpdate[] = [];
  const preloads: Pending<PreloadReport, PreloadOptions>[] = [];
  const trials: Pending<PlanOutcome, SettlePlanOptions>[] = [];
  const watches: { onCheck: (check: FramingCheck) => void; signal: AbortSignal }[] = [];
  const calls = { loadSounds: 0, syncClock: 0, workerScript: 0, workerEarly: 0 };
  const devices = {
    camera: { status: "ready", stream: {} as MediaStream } as CameraState,
    /** What the warm-up's detection says of the framing (null: it ran on the still image). */
    warmupFraming: framing(true) as FramingCheck | null,
    nowFraming: null as FramingCheck | null,
  };
  // The sounds: loading until the test settles them.
  const sound = {
    state: { stage: "loading", loadedBytes: 0, totalBytes: 338_000, audio: "none" } as SoundLoadState,
    listeners: new Set<(state: SoundLoadState) => void>(),
    waiting: [] as (() => void)[],
    settle(stage: "ready" | "unavailable") {
      sound.state = { ...sound.state, stage, loadedBytes: stage === "ready" ? sound.state.totalBytes : sound.state.loadedBytes };
      for (const listener of sound.listeners) listener(sound.state);
      for (const resolve of sound.waiting.splice(0)) resolve();
    },
  };
  const video = {} as HTMLVideoElement;
  const deps: LobbySessionDeps = {
    loadPreloader: async () => ({
      overallPercent,
      PreloadError,
      preloadVision: (options) =>
        new Promise<PreloadReport>((resolve, reject) => {
          // Like the real preloader: an abort rejects with the signal's AbortError.
          const abort = () => reject(new DOMException("aborted", "AbortError"));
          if (options.signal?.aborted) abort();
          options.signal?.addEventListener("abort", abort);
          preloads.push({ options, resolve, reject });
        }),
    }),
    loadPlanTrial: async () => ({
      startWorkerScript: () => void calls.workerScript++,
      startWorkerEarly: () => void calls.workerEarly++,
      settleInferencePlan: (options) =>
        new Promise<PlanOutcome>((resolve, reject) => {
          options.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
          trials.push({ options, resolve, reject });
        }),
    }),
    acquireCamera: async () => devices.camera,
    getCameraVideo: () => video,
    loadSounds: () => {
      calls.loadSounds++;
      return sound.state.stage === "loading" ? new Promise<void>((resolve) => sound.waiting.push(resolve)) : Promise.resolve();
    },
    soundLoadState: () => sound.state,
    subscribeSoundLoad: (listener) => {
      sound.listeners.add(listener);
      return () => void sound.listeners.delete(listener);
    },
    syncClock: async () => void calls.syncClock++,
    sendPreloadProgress: async (update) => {
      sent.push(update);
      return { ok: true };
    },
    framingFromWarmup: () => devices.warmupFraming,
    checkFramingNow: async () => devices.nowFraming,
    watchFraming: (_kinds, _video, onCheck, signal) => void watches.push({ onCheck, signal }),
    clock: {
      now: () => Date.now(),
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
  };
  return { deps, sent, preloads, trials, watches, calls, devices, sound };
}

type FakeLobby = ReturnType<typeof fakeLobby>;

const playerConfig: LobbyConfig = { assets: ["face_short"], roundKinds: ["head"], isSpectator: false, modelBaseUrl: "" };

/** Lets promises settle and the reporter's throttle (250 ms) send what it holds. */
const settle = () => vi.advanceTimersByTimeAsync(300);

/** Runs a started session's preload to the end: bars full, camera and sounds in, plan measured. */
async function loadAll(lobby: FakeLobby, planOutcome: PlanOutcome | null = outcome("worker-cpu", 31.4)): Promise<void> {
  await settle();
  const preload = lobby.preloads.at(-1)!;
  preload.options.onProgress(allReady);
  preload.resolve(report);
  lobby.sound.settle("ready");
  await settle();
  // No trial when the camera failed.
  const trial = lobby.trials.at(-1);
  if (planOutcome) trial?.resolve(planOutcome);
  else trial?.reject(new Error("worker crashed"));
  await settle();
}

describe("lobby session", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    // The session warns about a failed plan trial; the tests expect it.
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("fills the bars as the preload goes, counts finished stages in `step`, then reports ready with the framing and the plan", async () => {
    const lobby = fakeLobby();
    const session = new LobbySession(playerConfig, lobby.deps);
    // Every bar shows, waiting, before the loader code has arrived.
    expect(session.getState().bars.map((asset) => `${asset.key}:${asset.stage}`)).toEqual(["runtime:waiting", "face_short:waiting", "sounds:downloading"]);
    const immediate: boolean[] = [];
    session.subscribe((now) => void immediate.push(now));
    session.start();
    await settle();
    expect(lobby.calls).toMatchObject({ loadSounds: 1, syncClock: 1, workerScript: 1 });
    expect(lobby.sent).toEqual([{ percent: 0, status: "loading" }]);

    const preload = lobby.preloads[0]!;
    expect(preload.options.assets).toEqual(["face_short"]);
    preload.options.onProgress([bar("runtime", "downloading", 3e6, 9e6), bar("face_short", "downloading", 1e5, 2e5)]);
    // A stage change is committed at once (the view flushes it).
    expect(immediate.at(-1)).toBe(true);
    expect(session.getState().bars[0]).toMatchObject({ key: "runtime", stage: "downloading", receivedBytes: 3e6 });
    await settle();
    preload.options.onProgress([bar("runtime", "ready", 9e6, 9e6), bar("face_short", "warming", 2e5, 2e5)]);
    await settle();
    const loading = lobby.sent.filter((update) => update.status === "loading").slice(1);
    expect(loading.map((update) => update.step)).toEqual([1, 2]);
    expect(loading[1]!.percent).toBeGreaterThan(loading[0]!.percent);
    expect(session.getState().failure).toBeNull();

    preload.options.onTasksCreated?.();
    preload.options.onProgress(allReady);
    preload.resolve(report);
    lobby.sound.settle("ready");
    await settle();
    expect(lobby.calls.workerEarly).toBe(1);
    // Models, camera and sounds in: the plan is measured, and each trial phase is a step (at most 99 %).
    expect(session.getState().plan).toEqual({ measuring: true, outcome: null });
    const trial = lobby.trials[0]!;
    expect(trial.options.recheck).toBe(false);
    trial.options.onPhase?.("worker");
    await settle();
    const lastLoading = lobby.sent.at(-1)!;
    expect(lastLoading).toMatchObject({ status: "loading", step: 4 });
    expect(lastLoading.percent).toBeLessThanOrEqual(99);

    trial.resolve(outcome("worker-cpu", 31.4));
    await settle();
    expect(session.getState()).toMatchObject({ loaded: true, framing: { status: "ok" }, plan: { measuring: false, outcome: { plan: { id: "worker-cpu" } } } });
    expect(session.getState().bars.every((asset) => asset.stage === "ready")).toBe(true);
    expect(lobby.sent.at(-1)).toEqual({ percent: 100, status: "ready", framing: "ok", inference: { plan: "worker-cpu", detectMs: 31 } });
    // The picture passed: nothing watches it.
    expect(lobby.watches).toEqual([]);
  });

  it("gives a camera failure with a failed report; retry starts over and can succeed", async () => {
    const lobby = fakeLobby();
    lobby.devices.camera = { status: "failed", reason: "denied" };
    const session = new LobbySession(playerConfig, lobby.deps);
    session.start();
    await loadAll(lobby);
    expect(session.getState().failure).toEqual({ kind: "camera", detail: "camera failed" });
    expect(session.getState().loaded).toBe(false);
    expect(lobby.sent.at(-1)).toMatchObject({ status: "failed" });
    expect(lobby.trials).toEqual([]);

    lobby.devices.camera = { status: "ready", stream: {} as MediaStream };
    session.retry();
    expect(session.getState().failure).toBeNull();
    // The bars that were full stay full: nothing is loaded twice.
    expect(session.getState().bars.every((asset) => asset.stage === "ready")).toBe(true);
    await settle();
    expect(lobby.preloads).toHaveLength(2);
    expect(lobby.preloads[0]!.options.signal?.aborted).toBe(true);
    expect(lobby.sent.at(-1)).toEqual({ percent: 0, status: "loading" });
    await loadAll(lobby);
    expect(session.getState()).toMatchObject({ loaded: true, failure: null });
    expect(lobby.sent.at(-1)).toMatchObject({ percent: 100, status: "ready", framing: "ok" });
  });

  it("a preload failure names its kind", async () => {
    const lobby = fakeLobby();
    const session = new LobbySession(playerConfig, lobby.deps);
    session.start();
    await settle();
    lobby.preloads[0]!.reject(new PreloadError("stalled", "face_short: no progress for 60 s"));
    await settle();
    expect(session.getState().failure).toEqual({ kind: "stalled", detail: "face_short: no progress for 60 s" });
    expect(lobby.sent.at(-1)).toEqual({ percent: 0, status: "failed" });
  });

  it("a plan trial that fails leaves the default plan (no outcome) and the lobby still gets ready", async () => {
    const lobby = fakeLobby();
    const session = new LobbySession(playerConfig, lobby.deps);
    session.start();
    await loadAll(lobby, null);
    expect(session.getState()).toMatchObject({ loaded: true, failure: null, plan: { measuring: false, outcome: null } });
    expect(lobby.sent.at(-1)).toEqual({ percent: 100, status: "ready", framing: "ok" });
  });

  it("waits for the sounds at most SOUND_WAIT_LIMIT_MS before the plan trial", async () => {
    const lobby = fakeLobby();
    const session = new LobbySession(playerConfig, lobby.deps);
    session.start();
    await settle();
    lobby.preloads[0]!.options.onProgress(allReady);
    lobby.preloads[0]!.resolve(report);
    await vi.advanceTimersByTimeAsync(SOUND_WAIT_LIMIT_MS - 1_000);
    expect(lobby.trials).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lobby.trials).toHaveLength(1);
    expect(session.getState().bars.at(-1)).toMatchObject({ key: "sounds", stage: "downloading" });
  });

  it("watches the framing while it needs adjusting; play anyway skips it and reports ready with 'skipped'", async () => {
    const lobby = fakeLobby();
    lobby.devices.warmupFraming = null; // the warm-up ran on the still image
    lobby.devices.nowFraming = framing(false);
    const session = new LobbySession(playerConfig, lobby.deps);
    session.start();
    await loadAll(lobby);
    expect(session.getState()).toMatchObject({ loaded: true, framing: { status: "adjusting", check: { result: { ok: false, faceMissing: true } } } });
    expect(lobby.sent.at(-1)).toEqual({ percent: 100, status: "ready", framing: "adjusting", inference: { plan: "worker-cpu", detectMs: 31 } });
    expect(lobby.watches).toHaveLength(1);
    const watch = lobby.watches[0]!;

    // A check that still fails keeps the player adjusting, with the new marks.
    const again = framing(false);
    watch.onCheck(again);
    expect(session.getState().framing).toEqual({ status: "adjusting", check: again });

    session.playAnyway();
    expect(session.getState().framing.status).toBe("skipped");
    expect(watch.signal.aborted).toBe(true);
    await settle();
    expect(lobby.sent.at(-1)).toEqual({ percent: 100, status: "ready", framing: "skipped", inference: { plan: "worker-cpu", detectMs: 31 } });
  });

  it("stops watching once a check passes", async () => {
    const lobby = fakeLobby();
    lobby.devices.warmupFraming = framing(false);
    const session = new LobbySession(playerConfig, lobby.deps);
    session.start();
    await loadAll(lobby);
    lobby.watches[0]!.onCheck(framing(true));
    expect(session.getState().framing.status).toBe("ok");
    expect(lobby.watches[0]!.signal.aborted).toBe(true);
    await settle();
    expect(lobby.sent.at(-1)).toMatchObject({ status: "ready", framing: "ok" });
  });

  it("a re-check keeps the current plan while it measures, then reports the new one", async () => {
    const lobby = fakeLobby();
    const session = new LobbySession(playerConfig, lobby.deps);
    session.start();
    await loadAll(lobby, outcome("main-cpu", 24));
    session.recheckPlan();
    expect(session.getState().plan).toMatchObject({ measuring: true, outcome: { plan: { id: "main-cpu" } } });
    await settle();
    expect(lobby.trials).toHaveLength(2);
    expect(lobby.trials[1]!.options.recheck).toBe(true);
    // Still ready with the plan in use while measuring.
    expect(lobby.sent.at(-1)).toEqual({ percent: 100, status: "ready", framing: "ok", inference: { plan: "main-cpu", detectMs: 24 } });

    lobby.trials[1]!.resolve(outcome("worker-cpu-capped", 40));
    await settle();
    expect(session.getState().plan).toMatchObject({ measuring: false, outcome: { plan: { id: "worker-cpu-capped" } } });
    expect(lobby.sent.at(-1)).toEqual({ percent: 100, status: "ready", framing: "ok", inference: { plan: "worker-cpu-capped", detectMs: 40 } });
  });

  it("dispose aborts everything: the last queued update goes out, nothing after it", async () => {
    const lobby = fakeLobby();
    const session = new LobbySession(playerConfig, lobby.deps);
    session.start();
    await settle();
    const preload = lobby.preloads[0]!;
    preload.options.onProgress([bar("runtime", "downloading", 3e6, 9e6), bar("face_short", "waiting")]);
    await settle();
    preload.options.onProgress([bar("runtime", "downloading", 6e6, 9e6), bar("face_short", "waiting")]);
    // Queued behind the reporter's throttle when the lobby goes.
    session.dispose();
    expect(preload.options.signal?.aborted).toBe(true);
    await settle();
    const final = lobby.sent.at(-1);
    expect(final).toMatchObject({ status: "loading", percent: overallPercent([...session.getState().bars]) });

    // What the aborted preload and camera do later reaches neither the state nor the server.
    preload.options.onProgress(allReady);
    lobby.sound.settle("ready");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lobby.sent.at(-1)).toBe(final);
    expect(lobby.trials).toEqual([]);
    expect(session.getState().bars[0]).toMatchObject({ stage: "downloading" });
    expect(session.getState().failure).toBeNull();
  });

  it("dispose aborts a re-check and the framing watch", async () => {
    const lobby = fakeLobby();
    lobby.devices.warmupFraming = framing(false);
    const session = new LobbySession(playerConfig, lobby.deps);
    session.start();
    await loadAll(lobby);
    session.recheckPlan();
    await settle();
    const sentBefore = lobby.sent.length;
    session.dispose();
    expect(lobby.trials[1]!.options.signal.aborted).toBe(true);
    expect(lobby.watches[0]!.signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lobby.sent).toHaveLength(sentBefore);
  });

  it("starts again after dispose (React's development double effects), with a fresh report", async () => {
    const lobby = fakeLobby();
    const session = new LobbySession(playerConfig, lobby.deps);
    session.start();
    session.dispose();
    session.start();
    await loadAll(lobby);
    expect(lobby.preloads).toHaveLength(2);
    expect(lobby.preloads[0]!.options.signal?.aborted).toBe(true);
    expect(session.getState().loaded).toBe(true);
    expect(lobby.sent.at(-1)).toMatchObject({ status: "ready" });
  });

  it("says which step holds the lobby up after SLOW_STEP_NOTICE_MS without a bar moving", async () => {
    const lobby = fakeLobby();
    lobby.sound.settle("ready");
    const session = new LobbySession(playerConfig, lobby.deps);
    session.start();
    await settle();
    const preload = lobby.preloads[0]!;
    // The runtime fully downloaded and queued: the model still downloading is what holds it up.
    preload.options.onProgress([bar("runtime", "queued", 9e6, 9e6), bar("face_short", "downloading", 1e5, 2e5)]);
    await vi.advanceTimersByTimeAsync(SLOW_STEP_NOTICE_MS - 1_000);
    expect(session.getState().slowStep).toBeNull();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(session.getState().slowStep).toMatchObject({ key: "face_short", stage: "downloading" });
    // A bar moving clears it.
    preload.options.onProgress([bar("runtime", "queued", 9e6, 9e6), bar("face_short", "downloading", 1.5e5, 2e5)]);
    expect(session.getState().slowStep).toBeNull();
  });

  it("a spectator loads the sounds but preloads and reports nothing", async () => {
    const lobby = fakeLobby();
    const session = new LobbySession({ ...playerConfig, isSpectator: true }, lobby.deps);
    session.start();
    session.retry();
    session.recheckPlan();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lobby.calls).toMatchObject({ loadSounds: 1, syncClock: 1 });
    expect(lobby.preloads).toEqual([]);
    expect(lobby.sent).toEqual([]);
    session.dispose();
  });
});
