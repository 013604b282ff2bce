"use client";
/**
 * The preload lobby: the one place where the vision runtime, the models and the game's sounds
 * are fetched, created, decoded and warmed up, so the game itself never stalls the call. Then
 * the framing check: does the camera see what the playlist needs? Shows this player's bars,
 * the framing preview while it fails, and every friend's overall progress. In between, the
 * inference plan: how this device runs detection during the game (client/vision/plans/), measured
 * here or remembered, shown on every row.
 *
 * The process itself (preload, camera, sounds, plan trial, framing check, retry, progress to the
 * server) is a LobbySession (client/lobby/lobbySession.ts): this component draws its state and
 * sends it the player's taps.
 */
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { flushSync } from "react-dom";
import { requiredVisionAssets, type RoundKind } from "@/core/playlist";
import type { InferenceReport, MemberSnapshot, RoomSnapshot } from "@/core/protocol";
import type { VisionAssetName } from "@/core/visionManifest";
import { unlockAudioInGesture } from "@/client/audio/sound";
import { serverNow } from "@/client/game/clockSync";
import { useI18n } from "@/client/i18n";
import type { MessageKey } from "@/client/messages";
import { LobbySession } from "@/client/lobby/lobbySession";
import { sendRoomIntent } from "@/client/room/commands";
import type { PlanOutcome } from "@/client/vision/plans/settlePlan";
import type { AssetProgress } from "@/client/vision/preloader";
import { CallGrid } from "./CallGrid";
import { LobbyFraming } from "./LobbyFraming";
import { RelaxedNote } from "./RelaxedNote";
import { SelfView } from "./SelfView";

interface LobbyProps {
  room: RoomSnapshot;
  selfId: string;
  modelBaseUrl: string;
}

export function Lobby({ room, selfId, modelBaseUrl }: LobbyProps) {
  const { t } = useI18n();
  const self = room.members.find((member) => member.id === selfId);
  const isSpectator = self?.role === "spectator";
  const settings = room.game?.settings;
  const assetsKey = settings ? requiredVisionAssets(settings).join(",") : "";
  const roundKindsKey = settings?.roundKinds.join(",") ?? "";
  // The lobby's whole process lives in the session (client/lobby/lobbySession.ts); a new one when what it loads changes.
  const session = useMemo(
    () =>
      new LobbySession({
        assets: assetsKey ? (assetsKey.split(",") as VisionAssetName[]) : [],
        roundKinds: roundKindsKey ? (roundKindsKey.split(",") as RoundKind[]) : [],
        isSpectator,
        modelBaseUrl,
      }),
    [assetsKey, roundKindsKey, isSpectator, modelBaseUrl],
  );
  useEffect(() => {
    session.start();
    return () => session.dispose();
  }, [session]);
  // A preload stage is committed at once (flushSync): the preloader yields for one frame and then
  // starts a long step, and a render still queued behind it would show the stage only after it is over.
  const subscribe = useCallback((onChange: () => void) => session.subscribe((immediate) => (immediate ? flushSync(onChange) : onChange())), [session]);
  const { bars, sound, failure, loaded, framing, plan, slowStep } = useSyncExternalStore(subscribe, session.getState, session.getState);
  const adjusting = loaded && framing.status === "adjusting";

  const players = room.members.filter((member) => member.role === "player");
  const readyCount = players.filter((member) => member.preload.status === "ready").length;
  const everyoneSettled = players.every((member) => member.preload.status === "ready" && member.preload.framing !== "adjusting");
  const isHost = room.hostId === selfId;
  const secondsLeft = useSecondsUntil(room.game?.preloadDeadline ?? null);
  const warming = !failure && bars.some((asset) => asset.stage === "creating" || asset.stage === "created" || asset.stage === "warming");
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

        {showFraming && framing.check && <LobbyFraming check={framing.check} onPlayAnyway={() => session.playAnyway()} />}
        {showFraming && !framing.check && (
          // No frame to check yet: the camera stays on screen (a detached <video> is paused and
          // would never give one), and the player is never left without a way on.
          <section className="card framing" data-testid="framing-waiting">
            <p className="framing-instruction" role="status">
              {t("cameraStarting")}
            </p>
            <SelfView size="large" />
            <button type="button" onClick={() => session.playAnyway()} data-testid="framing-play-anyway">
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
            <button type="button" className="link-button" onClick={() => session.recheckPlan()} data-testid="plan-recheck">
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
            <button type="button" className="primary" onClick={() => session.retry()} data-testid="preload-retry">
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
