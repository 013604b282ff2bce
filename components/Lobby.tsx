"use client";
/**
 * The preload lobby: the one place where the vision runtime, the models and the game's sounds
 * are fetched, created, decoded and warmed up, so the game itself never stalls the call. Then
 * the framing check: does the camera see what the playlist needs? Shows this player's bars,
 * the framing preview while it fails, and every friend's overall progress. In between, the
 * inference plan: how this device runs detection during the game (client/vision/plans/), measured
 * here or remembered, shown on every row.
 */
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { flushSync } from "react-dom";
import { nextFramingStatus, type FramingStatus } from "@/core/framing";
import { requiredVisionAssets, type RoundKind } from "@/core/playlist";
import type { InferenceReport, MemberSnapshot, RoomSnapshot } from "@/core/protocol";
import { VISION_ASSET_KIND } from "@/core/visionManifest";
import { loadSounds, soundLoadState, subscribeSoundLoad, unlockAudioInGesture, type SoundLoadState } from "@/client/audio/sound";
import { serverNow, syncClock } from "@/client/game/clockSync";
import { useI18n } from "@/client/i18n";
import type { MessageKey } from "@/client/messages";
import { acquireCamera, getCameraVideo } from "@/client/media/camera";
import { checkFramingNow, framingFromWarmup, watchFraming, type FramingCheck } from "@/client/lobby/framingCheck";
import { createProgressReporter, type ProgressReporter } from "@/client/lobby/progressReporter";
import { sendPreloadProgress, sendRoomIntent } from "@/client/room/commands";
import type { PlanOutcome, SettlePlanOptions } from "@/client/vision/plans/settlePlan";
import type { AssetProgress, PreloadFailureKind } from "@/client/vision/preloader";
import { CallGrid } from "./CallGrid";
import { LobbyFraming } from "./LobbyFraming";
import { RelaxedNote } from "./RelaxedNote";
import { SelfView } from "./SelfView";

interface LobbyProps {
  room: RoomSnapshot;
  selfId: string;
  modelBaseUrl: string;
}

type Failure = { kind: PreloadFailureKind; detail: string };
type PlanAsset = SettlePlanOptions["assets"][number];

interface Framing {
  status: FramingStatus | null;
  check: FramingCheck | null;
}

/**
 * How long "ready" waits for the sounds once the models are in. They are 338 KB and usually
 * decoded long before; a sound server that hangs must not keep a player out of the game (it
 * then plays silently, or with the sounds that arrive later).
 */
const SOUND_WAIT_LIMIT_MS = 20_000;

export function Lobby({ room, selfId, modelBaseUrl }: LobbyProps) {
  const { t } = useI18n();
  const self = room.members.find((member) => member.id === selfId);
  const isSpectator = self?.role === "spectator";
  const settings = room.game?.settings;
  const assetsKey = settings ? requiredVisionAssets(settings).join(",") : "";
  const roundKindsKey = settings?.roundKinds.join(",") ?? "";
  const roundKinds = useMemo(() => (roundKindsKey ? (roundKindsKey.split(",") as RoundKind[]) : []), [roundKindsKey]);
  // Every bar shows from the first frame, waiting, before the loader code itself has arrived.
  const [progress, setProgress] = useState<AssetProgress[]>(() => waitingBars(assetsKey));
  const [failure, setFailure] = useState<Failure | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const [framing, setFraming] = useState<Framing>({ status: null, check: null });
  // The inference plan: measured (or remembered) after the preload, re-measured on request.
  const [plan, setPlan] = useState<{ measuring: boolean; outcome: PlanOutcome | null }>({ measuring: false, outcome: null });
  const [recheck, setRecheck] = useState(0);
  const inference = useMemo(() => inferenceReport(plan.outcome), [plan.outcome]);
  const reporterRef = useRef<ProgressReporter | null>(null);
  const lastPercent = useRef(0);
  const sound = useSyncExternalStore(subscribeSoundLoad, soundLoadState, soundLoadState);
  const soundRef = useRef(sound);
  soundRef.current = sound;
  const bars = useMemo(() => [...progress, soundBar(sound)], [progress, sound]);
  const slowStep = useSlowStep(bars, failure === null && !loaded);

  // The game's sounds load here, for players and spectators alike: decoded before the 3-2-1.
  useEffect(() => {
    void loadSounds();
  }, []);

  // Deadlines are shown on the server's clock, like the game's countdown.
  useEffect(() => {
    void syncClock();
  }, []);

  useEffect(() => {
    if (isSpectator || !assetsKey) return;
    const assets = assetsKey.split(",") as ReturnType<typeof requiredVisionAssets>;
    const controller = new AbortController();
    const reporter = createProgressReporter(sendPreloadProgress);
    reporterRef.current = reporter;
    setFailure(null);
    setLoaded(false);
    setFraming({ status: null, check: null });
    setPlan({ measuring: false, outcome: null });
    setProgress((current) => (current.every((asset) => asset.stage === "ready") && current.length > 0 ? current : waitingBars(assetsKey)));
    reporter.push({ percent: 0, status: "loading" });

    // Stages finished in this attempt (a bar's stage moving on, a plan measured): after the
    // downloads the percent sits at 99 through seconds of CPU work, and a later step tells the
    // server's deadline that this page is still working rather than stalled.
    let step = 0;
    let lastStages = "";
    // Ready is only claimed once the camera is known to work too (below).
    const reportLoading = () => reporter.push({ percent: Math.min(lastPercent.current, 99), status: "loading", step });
    const reportStep = () => {
      step += 1;
      reportLoading();
    };

    void (async () => {
      let vision: typeof import("@/client/vision/preloader");
      try {
        // Loaded only here: no other page ever fetches the vision code, runtime or models.
        vision = await import("@/client/vision/preloader");
      } catch (error) {
        setFailure({ kind: "network", detail: error instanceof Error ? error.message : String(error) });
        reporter.push({ percent: 0, status: "failed" });
        return;
      }
      const { preloadVision, overallPercent, PreloadError } = vision;
      try {
        const cameraReady = acquireCamera();
        const planAssets = planAssetsOf(assets);
        // The plan trial's code, and the inference worker's script, load while the models download.
        const plans = import("@/client/vision/plans/settlePlan");
        void plans.then(({ startWorkerScript }) => startWorkerScript(planAssets)).catch(() => undefined);
        const report = await preloadVision({
          assets,
          baseUrl: modelBaseUrl,
          warmupSource: () => getCameraVideo(),
          signal: controller.signal,
          // The inference worker's trial model is created alongside the main thread's warm-ups.
          onTasksCreated: () => void plans.then(({ startWorkerEarly }) => startWorkerEarly(planAssets, getCameraVideo)).catch(() => undefined),
          onProgress: (next) => {
            // Committed now: the preloader yields for one frame and then starts a long step, and a
            // render still queued behind it would show a stage only after it is over.
            flushSync(() => setProgress(next));
            lastPercent.current = overallPercent([...next, soundBar(soundRef.current)]);
            const stages = next.map((asset) => asset.stage).join(",");
            if (stages !== lastStages) step += 1;
            lastStages = stages;
            reportLoading();
          },
        });
        const camera = await cameraReady;
        if (camera.status !== "ready") throw new PreloadError("camera", `camera ${camera.status}`);
        await soundsSettled(SOUND_WAIT_LIMIT_MS);
        if (controller.signal.aborted) return;
        // Where detection runs in the game on this device: measured here, never during the game.
        setPlan({ measuring: true, outcome: null });
        const outcome = await settlePlanOrDefault(planAssets, controller.signal, false, reportStep);
        if (controller.signal.aborted) return;
        setPlan({ measuring: false, outcome });
        // The warm-up already looked at the camera: that detection is the first framing check.
        const kinds = roundKindsKey.split(",") as RoundKind[];
        const first = framingFromWarmup(kinds, report, getCameraVideo()) ?? (await checkFramingNow(kinds, getCameraVideo()));
        if (controller.signal.aborted) return;
        setFraming({ status: first?.result.ok ? "ok" : "adjusting", check: first });
        setLoaded(true);
      } catch (error) {
        if (controller.signal.aborted) return;
        const kind: PreloadFailureKind = error instanceof PreloadError ? error.kind : "other";
        setFailure({ kind, detail: error instanceof Error ? error.message : String(error) });
        reporter.push({ percent: Math.min(lastPercent.current, 99), status: "failed" });
      }
    })();

    return () => {
      controller.abort();
      reporterRef.current = null;
      // Let the final update out before the reporter goes quiet.
      setTimeout(() => reporter.dispose(), 1000);
    };
  }, [assetsKey, roundKindsKey, isSpectator, modelBaseUrl, attempt]);

  // Ready, with the framing check's outcome: the server waits for "adjusting" (not past its deadline).
  useEffect(() => {
    if (loaded && framing.status) reporterRef.current?.push({ percent: 100, status: "ready", framing: framing.status, ...(inference ? { inference } : {}) });
  }, [loaded, framing.status, inference]);

  // The player asked to measure again: the plan in use stays until the new one is chosen.
  useEffect(() => {
    if (recheck === 0 || !loaded || isSpectator || !assetsKey) return;
    const controller = new AbortController();
    const assets = assetsKey.split(",") as ReturnType<typeof requiredVisionAssets>;
    setPlan((current) => ({ ...current, measuring: true }));
    void (async () => {
      try {
        const outcome = await settlePlanOrDefault(planAssetsOf(assets), controller.signal, true);
        if (!controller.signal.aborted) setPlan({ measuring: false, outcome });
      } catch (error) {
        if (controller.signal.aborted) return;
        console.warn("[lobby] re-check failed:", error);
        setPlan((current) => ({ ...current, measuring: false }));
      }
    })();
    return () => controller.abort();
  }, [recheck]); // eslint-disable-line react-hooks/exhaustive-deps -- runs per tap, with that moment's state

  // Until the picture passes (or "play anyway"), check it again at a modest rate.
  const adjusting = loaded && framing.status === "adjusting";
  useEffect(() => {
    if (!adjusting) return;
    const controller = new AbortController();
    watchFraming(
      roundKinds,
      () => getCameraVideo(),
      (check) => setFraming((current) => ({ status: nextFramingStatus(current.status, check.result), check })),
      controller.signal,
    );
    return () => controller.abort();
  }, [adjusting, roundKinds]);

  const players = room.members.filter((member) => member.role === "player");
  const readyCount = players.filter((member) => member.preload.status === "ready").length;
  const everyoneSettled = players.every((member) => member.preload.status === "ready" && member.preload.framing !== "adjusting");
  const isHost = room.hostId === selfId;
  const secondsLeft = useSecondsUntil(room.game?.preloadDeadline ?? null);
  const warming = !failure && progress.some((asset) => asset.stage === "creating" || asset.stage === "created" || asset.stage === "warming");
  const showFraming = adjusting && !isSpectator;

  return (
    <>
      {/* The camera is in one place at a time: in the framing preview while it shows, else the call. */}
      <CallGrid layout={showFraming ? "game" : "grid"} showSelf={!showFraming} />
      <section className="lobby" data-testid="lobby" data-framing={framing.status ?? "unchecked"}>
        <header>
          <h1>{t("lobbyTitle")}</h1>
          <p className="hint">{t("lobbyHint")}</p>
          {room.game && <RelaxedNote timeScale={room.game.timeScale} label={t("playedRelaxed")} />}
        </header>

        {showFraming && framing.check && (
          <LobbyFraming check={framing.check} onPlayAnyway={() => setFraming((current) => ({ ...current, status: "skipped" }))} />
        )}
        {showFraming && !framing.check && (
          // No frame to check yet: the camera stays on screen (a detached <video> is paused and
          // would never give one), and the player is never left without a way on.
          <section className="card framing" data-testid="framing-waiting">
            <p className="framing-instruction" role="status">
              {t("cameraStarting")}
            </p>
            <SelfView size="large" />
            <button type="button" onClick={() => setFraming((current) => ({ ...current, status: "skipped" }))} data-testid="framing-play-anyway">
              {t("framingPlayAnyway")}
            </button>
          </section>
        )}
        {loaded && framing.status === "ok" && !isSpectator && (
          <p className="banner banner-info" role="status" data-testid="framing-passed">
            ✓ {t("framingPassed")}
          </p>
        )}

        {sound.stage === "ready" && sound.audio !== "running" && sound.audio !== "none" && (
          <button type="button" className="primary" onClick={unlockAudioInGesture} data-testid="sound-unlock">
            🔊 {t("soundTapToEnable")}
          </button>
        )}

        {plan.measuring && !isSpectator && (
          <p className="banner banner-info" role="status" data-testid="plan-measuring">
            {t("planMeasuring")}
          </p>
        )}
        {!plan.measuring && plan.outcome && loaded && !isSpectator && (
          <p className="hint small plan-note" data-testid="plan-chosen" data-plan={plan.outcome.plan.id} data-source={plan.outcome.source}>
            {t(planNoteKey(plan.outcome))}{" "}
            <button type="button" className="link-button" onClick={() => setRecheck((n) => n + 1)} data-testid="plan-recheck">
              {t("planRecheck")}
            </button>
          </p>
        )}

        {isSpectator ? (
          <p className="banner banner-info">{t("spectatorNotice")}</p>
        ) : (
          // Not a live region: the bars tick many times a second; the framing check and "ready" speak up.
          <ul className="card asset-list">
            {bars.map((asset) => (
              <AssetBar key={asset.key} asset={asset} />
            ))}
          </ul>
        )}

        {warming && !isSpectator && (
          <p className="hint small" data-testid="lobby-warming-note">
            {t("lobbyWarmingNote")}
          </p>
        )}

        {slowStep && !isSpectator && (
          <p className="banner banner-info" role="status" data-testid="preload-slow" data-asset={slowStep.key} data-stage={slowStep.stage}>
            {t(`asset_${slowStep.key}` as MessageKey)} · {t(`stage_${slowStep.stage}` as MessageKey)} — {t("lobbySlowStep")}
          </p>
        )}

        {failure && (
          <div className="card failure" role="alert" data-testid="preload-failure" data-kind={failure.kind}>
            <p className="form-error">{t(`failure_${failure.kind}` as MessageKey)}</p>
            <p className="hint small">{failure.detail}</p>
            <button type="button" className="primary" onClick={() => setAttempt((n) => n + 1)} data-testid="preload-retry">
              {t("retry")}
            </button>
          </div>
        )}

        <section className="card">
          <h2>
            {t("friendsTitle")}
            {secondsLeft !== null && (
              <span className="count" data-testid="lobby-deadline" data-seconds={secondsLeft}>
                {" "}
                · {secondsLeft}
                {t("secondsLeft")}
              </span>
            )}
          </h2>
          <ul className="friend-list">
            {room.members.map((member) => (
              <FriendRow key={member.id} member={member} measuring={member.id === selfId && plan.measuring} />
            ))}
          </ul>
          {isHost && readyCount > 0 && !everyoneSettled && (
            <button type="button" onClick={() => void sendRoomIntent("game:startEarly")} data-testid="start-early">
              {t("startNow")}
            </button>
          )}
        </section>
      </section>
    </>
  );
}

function FriendRow({ member, measuring }: { member: MemberSnapshot; measuring: boolean }) {
  const { t } = useI18n();
  const planText = measuring ? t("planMeasuringShort") : member.preload.inference ? planLabel(member.preload.inference, t) : null;
  const { preload } = member;
  const status = member.role === "spectator" ? "spectator" : preload.status === "ready" && preload.framing === "adjusting" ? "framing" : preload.status;
  const tag =
    status === "spectator"
      ? t("friendWatching")
      : status === "framing"
        ? `◎ ${t("friendFraming")}`
        : status === "ready"
          ? `✓ ${t("friendReady")}`
          : status === "failed"
            ? `✕ ${t("friendFailed")}`
            : `${preload.percent}%`;
  return (
    <li data-testid="friend-row" data-player={member.id} data-status={status} data-percent={preload.percent}>
      {/* The nickname alone in .member-name (tests and styles read it); the plan on a line of its own
          under the whole row, so "smooth mode · worker · 31 ms" is never cut on a phone. */}
      <span className="member-name">{member.nickname}</span>
      <span className="bar" aria-hidden>
        <span className="bar-fill" style={{ width: `${preload.percent}%` }} />
      </span>
      <span className="tag">{tag}</span>
      {planText && (
        <span className="friend-plan" data-testid="friend-plan" data-plan={member.preload.inference?.plan ?? "measuring"}>
          {planText}
        </span>
      )}
    </li>
  );
}

/** The playlist's models as the plan trial takes them: each with its kind. */
function planAssetsOf(assets: ReturnType<typeof requiredVisionAssets>): PlanAsset[] {
  return assets.map((name) => ({ name, kind: VISION_ASSET_KIND[name] }));
}

/**
 * The lobby's plan choice; never what keeps a player out: anything but an abort leaves the default
 * plan (main-CPU with the tasks the preload made) and no outcome to show.
 */
async function settlePlanOrDefault(assets: PlanAsset[], signal: AbortSignal, recheck = false, onPhase?: () => void): Promise<PlanOutcome | null> {
  try {
    const { settleInferencePlan } = await import("@/client/vision/plans/settlePlan");
    return await settleInferencePlan({ assets, video: getCameraVideo, signal, recheck, ...(onPhase ? { onPhase } : {}) });
  } catch (error) {
    if (signal.aborted) throw error;
    console.warn("[lobby] choosing the inference plan failed; playing on the main thread:", error);
    return null;
  }
}

/** What the server hears about this device's plan (rounded: rows show whole milliseconds). */
function inferenceReport(outcome: PlanOutcome | null): InferenceReport | null {
  if (!outcome) return null;
  const ms = outcome.detectMsP50;
  return { plan: outcome.plan.id, ...(ms !== null && Number.isFinite(ms) ? { detectMs: Math.min(10_000, Math.max(0, Math.round(ms))) } : {}) };
}

/** "24 ms · main thread", "smooth mode · worker · 31 ms": a row's plan, in the player's language. */
function planLabel(report: InferenceReport, t: (key: MessageKey) => string): string {
  const ms = report.detectMs === undefined ? null : `${report.detectMs} ms`;
  switch (report.plan) {
    case "main-cpu":
      return [ms, t("planMainThread")].filter(Boolean).join(" · ");
    case "main-gpu":
      return [ms, t("planGpu")].filter(Boolean).join(" · ");
    case "worker-cpu":
      return [t("planWorker"), ms].filter(Boolean).join(" · ");
    case "main-cpu-capped":
      return [t("planCappedMain"), ms].filter(Boolean).join(" · ");
    case "worker-cpu-capped":
      return [t("planCappedWorker"), ms].filter(Boolean).join(" · ");
  }
}

function planNoteKey(outcome: PlanOutcome): MessageKey {
  const plan = outcome.plan.id;
  // Measured, and nothing gave a hold enough results: say so rather than "keeps up".
  const busy = outcome.reason === "scarce" || (outcome.reason === "default" && outcome.measurements.length > 0);
  if (busy) return outcome.plan.thread === "worker" ? "planChosenBusyWorker" : "planChosenBusy";
  if (plan === "worker-cpu") return "planChosenSmooth";
  if (plan === "main-cpu-capped" || plan === "worker-cpu-capped") return "planChosenCalm";
  return "planChosenMain";
}

/** Resolves when the sounds are decoded or unavailable, or after `limitMs`, whichever is first. */
function soundsSettled(limitMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, limitMs);
    void loadSounds().then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The sounds' own bar, shown like the models' (bytes of the files decoded so far). */
function soundBar(sound: SoundLoadState): AssetProgress {
  const stage: AssetProgress["stage"] =
    sound.stage === "ready" ? "ready" : sound.stage === "unavailable" ? "failed" : sound.totalBytes > 0 ? "downloading" : "waiting";
  return { key: "sounds", stage, receivedBytes: sound.loadedBytes, totalBytes: sound.totalBytes };
}

function waitingBars(assetsKey: string): AssetProgress[] {
  if (!assetsKey) return [];
  const keys: AssetProgress["key"][] = ["runtime", ...(assetsKey.split(",") as ReturnType<typeof requiredVisionAssets>)];
  return keys.map((key) => ({ key, stage: "waiting", receivedBytes: 0, totalBytes: 0 }));
}

function AssetBar({ asset }: { asset: AssetProgress }) {
  const { t } = useI18n();
  const percent = asset.totalBytes > 0 ? Math.round((asset.receivedBytes / asset.totalBytes) * 100) : 0;
  const barPercent = asset.stage === "downloading" || asset.stage === "waiting" || asset.stage === "failed" ? percent : 100;
  const megabytes = (bytes: number) => (bytes / 1_000_000).toFixed(1);
  // The sounds failing is not the game failing: it plays on without them.
  const label = asset.key === "sounds" && asset.stage === "failed" ? t("soundsUnavailable") : t(`stage_${asset.stage}` as MessageKey);
  return (
    <li
      className={`asset stage-${asset.stage}`}
      data-testid="asset-bar"
      data-asset={asset.key}
      data-stage={asset.stage}
      data-received={asset.receivedBytes}
      data-total={asset.totalBytes}
    >
      <div className="asset-head">
        <span className="asset-name">{t(`asset_${asset.key}` as MessageKey)}</span>
        <span className="tag">
          {label}
          {asset.stage === "downloading" && ` ${megabytes(asset.receivedBytes)} / ${megabytes(asset.totalBytes)} MB (${percent}%)`}
        </span>
      </div>
      <span className="bar" aria-hidden>
        <span className="bar-fill" style={{ width: `${barPercent}%` }} />
      </span>
    </li>
  );
}

/** After this long with no bar moving, the lobby says it is still working (and on what). */
const SLOW_STEP_NOTICE_MS = 15_000;

/**
 * The first unfinished bar, once nothing has changed for SLOW_STEP_NOTICE_MS; null otherwise.
 * A step that never ends fails on its own (the preloader's stall limits); this covers the wait.
 */
function useSlowStep(progress: readonly AssetProgress[], active: boolean): AssetProgress | null {
  const signature = progress.map((asset) => `${asset.key}:${asset.stage}:${asset.receivedBytes}`).join("|");
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    setSlow(false);
    if (!active) return;
    const timer = setTimeout(() => setSlow(true), SLOW_STEP_NOTICE_MS);
    return () => clearTimeout(timer);
  }, [signature, active]);
  if (!slow || !active) return null;
  const unfinished = progress.filter((asset) => asset.stage !== "ready" && asset.stage !== "failed");
  // A fully downloaded file waiting for the others is not what holds the lobby up.
  const holdingUp = unfinished.find(
    (asset) =>
      asset.stage !== "queued" &&
      asset.stage !== "created" &&
      !((asset.stage === "downloading" || asset.stage === "waiting") && asset.totalBytes > 0 && asset.receivedBytes >= asset.totalBytes),
  );
  return holdingUp ?? unfinished[0] ?? null;
}

/** Whole seconds until a server deadline (ms) on the estimated server clock, ticking; null without one. */
function useSecondsUntil(deadline: number | null): number | null {
  const [now, setNow] = useState(() => serverNow());
  useEffect(() => {
    if (deadline === null) return;
    setNow(serverNow());
    const timer = setInterval(() => setNow(serverNow()), 500);
    return () => clearInterval(timer);
  }, [deadline]);
  return deadline === null ? null : Math.max(0, Math.ceil((deadline - now) / 1000));
}
