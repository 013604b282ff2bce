"use client";
/**
 * The preload lobby: the one place where the vision runtime and models are
 * fetched, created and warmed up, so the game itself never stalls the call.
 * Shows this player's per-asset bars and every friend's overall progress.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { flushSync } from "react-dom";
import { requiredVisionAssets } from "@/core/playlist";
import type { RoomSnapshot } from "@/core/protocol";
import { useI18n } from "@/client/i18n";
import type { MessageKey } from "@/client/messages";
import { acquireCamera, getCameraVideo } from "@/client/media/camera";
import { createProgressReporter } from "@/client/lobby/progressReporter";
import { sendPreloadProgress, sendRoomIntent } from "@/client/roomStore";
import type { AssetProgress, PreloadFailureKind } from "@/client/vision/preloader";

interface LobbyProps {
  room: RoomSnapshot;
  selfId: string;
  modelBaseUrl: string;
}

type Failure = { kind: PreloadFailureKind; detail: string };

export function Lobby({ room, selfId, modelBaseUrl }: LobbyProps) {
  const { t } = useI18n();
  const self = room.members.find((member) => member.id === selfId);
  const isSpectator = self?.role === "spectator";
  const settings = room.game?.settings;
  const assetsKey = settings ? requiredVisionAssets(settings).join(",") : "";
  // Every bar shows from the first frame, waiting, before the loader code itself has arrived.
  const [progress, setProgress] = useState<AssetProgress[]>(() => waitingBars(assetsKey));
  const [failure, setFailure] = useState<Failure | null>(null);
  const [attempt, setAttempt] = useState(0);
  const lastPercent = useRef(0);
  const slowStep = useSlowStep(progress, failure === null);

  useEffect(() => {
    if (isSpectator || !assetsKey) return;
    const assets = assetsKey.split(",") as ReturnType<typeof requiredVisionAssets>;
    const controller = new AbortController();
    const reporter = createProgressReporter(sendPreloadProgress);
    setFailure(null);
    setProgress((current) => (current.every((asset) => asset.stage === "ready") && current.length > 0 ? current : waitingBars(assetsKey)));
    reporter.push({ percent: 0, status: "loading" });

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
        await preloadVision({
          assets,
          baseUrl: modelBaseUrl,
          warmupSource: () => getCameraVideo(),
          signal: controller.signal,
          onProgress: (next) => {
            // Committed now: the preloader yields for one frame and then starts a long step, and a
            // render still queued behind it would show a stage only after it is over.
            flushSync(() => setProgress(next));
            lastPercent.current = overallPercent(next);
            // Ready is only claimed once the camera is known to work too (below).
            reporter.push({ percent: Math.min(lastPercent.current, 99), status: "loading" });
          },
        });
        const camera = await cameraReady;
        if (camera.status !== "ready") throw new PreloadError("camera", `camera ${camera.status}`);
        if (!controller.signal.aborted) reporter.push({ percent: 100, status: "ready" });
      } catch (error) {
        if (controller.signal.aborted) return;
        const kind: PreloadFailureKind = error instanceof PreloadError ? error.kind : "other";
        setFailure({ kind, detail: error instanceof Error ? error.message : String(error) });
        reporter.push({ percent: Math.min(lastPercent.current, 99), status: "failed" });
      }
    })();

    return () => {
      controller.abort();
      // Let the final update out before the reporter goes quiet.
      setTimeout(() => reporter.dispose(), 1000);
    };
  }, [assetsKey, isSpectator, modelBaseUrl, attempt]);

  const readyCount = room.members.filter((member) => member.preload.status === "ready").length;
  const isHost = room.hostId === selfId;
  const secondsLeft = useSecondsUntil(room.game?.preloadDeadline ?? null);

  return (
    <section className="lobby" data-testid="lobby">
      <header>
        <h1>{t("lobbyTitle")}</h1>
        <p className="hint">{t("lobbyHint")}</p>
      </header>

      {isSpectator ? (
        <p className="banner banner-info">{t("spectatorNotice")}</p>
      ) : (
        <ul className="card asset-list" aria-live="polite">
          {progress.map((asset) => (
            <AssetBar key={asset.key} asset={asset} />
          ))}
        </ul>
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
            <span className="count" data-testid="lobby-deadline">
              {" "}
              · {secondsLeft}
              {t("secondsLeft")}
            </span>
          )}
        </h2>
        <ul className="friend-list">
          {room.members.map((member) => (
            <li
              key={member.id}
              data-testid="friend-row"
              data-player={member.id}
              data-status={member.role === "spectator" ? "spectator" : member.preload.status}
              data-percent={member.preload.percent}
            >
              <span className="member-name">{member.nickname}</span>
              <span className="bar" aria-hidden>
                <span className="bar-fill" style={{ width: `${member.preload.percent}%` }} />
              </span>
              <span className="tag">
                {member.role === "spectator"
                  ? t("friendWatching")
                  : member.preload.status === "ready"
                    ? `✓ ${t("friendReady")}`
                    : member.preload.status === "failed"
                      ? `✕ ${t("friendFailed")}`
                      : `${member.preload.percent}%`}
              </span>
            </li>
          ))}
        </ul>
        {isHost && readyCount > 0 && readyCount < room.members.length && (
          <button type="button" onClick={() => void sendRoomIntent("game:startEarly")} data-testid="start-early">
            {t("startNow")}
          </button>
        )}
      </section>
    </section>
  );
}

function waitingBars(assetsKey: string): AssetProgress[] {
  if (!assetsKey) return [];
  const keys: AssetProgress["key"][] = ["runtime", ...(assetsKey.split(",") as ReturnType<typeof requiredVisionAssets>)];
  return keys.map((key) => ({ key, stage: "waiting", receivedBytes: 0, totalBytes: 0 }));
}

function AssetBar({ asset }: { asset: AssetProgress }) {
  const { t } = useI18n();
  const percent = asset.totalBytes > 0 ? Math.round((asset.receivedBytes / asset.totalBytes) * 100) : 0;
  const barPercent = asset.stage === "downloading" || asset.stage === "waiting" ? percent : asset.stage === "failed" ? percent : 100;
  const megabytes = (bytes: number) => (bytes / 1_000_000).toFixed(1);
  return (
    <li className={`asset stage-${asset.stage}`} data-testid="asset-bar" data-asset={asset.key} data-stage={asset.stage}>
      <div className="asset-head">
        <span className="asset-name">{t(`asset_${asset.key}` as MessageKey)}</span>
        <span className="tag">
          {t(`stage_${asset.stage}` as MessageKey)}
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
    (asset) => !((asset.stage === "downloading" || asset.stage === "waiting") && asset.totalBytes > 0 && asset.receivedBytes >= asset.totalBytes),
  );
  return holdingUp ?? unfinished[0] ?? null;
}

/** Whole seconds until a server deadline (ms), ticking; null without one. */
function useSecondsUntil(deadline: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (deadline === null) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [deadline]);
  return useMemo(() => (deadline === null ? null : Math.max(0, Math.ceil((deadline - now) / 1000))), [deadline, now]);
}
