"use client";
/**
 * The game: countdown, rounds and the live meter, following the server's
 * timeline on the estimated server clock. Players run the inference loop on
 * their own camera; spectators watch the call and the scoreboard.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import type { RoundKind } from "@/core/playlist";
import { matchStageAt, type MatchStage, type MatchTimeline } from "@/core/game/match";
import { rankStandings } from "@/core/game/ranking";
import { roundDisplay, type RoundDisplay } from "@/core/game/roundDisplay";
import type { MemberSnapshot, PlayerScoreSnapshot, RoomSnapshot } from "@/core/protocol";
import type { Award } from "@/core/scoring/points";
import { resolveTarget } from "@/core/targets/pick";
import { loadSounds, playEffect, startMusic, stopMusic, unlockAudioOnFirstTap } from "@/client/audio/sound";
import { serverNow, syncClock } from "@/client/game/clockSync";
import { InferenceLoop, type FrameReport } from "@/client/game/inferenceLoop";
import { hasGameVision, resumeGameVision } from "@/client/game/resumeVision";
import { createLiveSender } from "@/client/game/liveSender";
import { createVisibilityReporter, type VisibilityReporter } from "@/client/game/visibilityReporter";
import { useI18n } from "@/client/i18n";
import { getCameraVideo } from "@/client/media/camera";
import { createScreenWakeLock } from "@/client/media/wakeLock";
import { sendAward, sendMeter, sendVisibility, useRoomStore } from "@/client/roomStore";
import { activePlanInfo, gameDetector } from "@/client/vision/plans/activePlan";
import { MuteButton } from "./MuteButton";
import { SelfView } from "./SelfView";
import { TargetFigure } from "./TargetFigure";

interface GameStageProps {
  room: RoomSnapshot;
  selfId: string;
  /** Where /vision/ files are served from: needed only when a reloaded page must load the models again. */
  modelBaseUrl: string;
}

interface Meter {
  similarity: number;
  holdProgress: number;
  detectionsPerSecond: number;
}

/** Re-renders every `intervalMs` with the estimated server time. */
function useServerTime(intervalMs: number): number {
  const [now, setNow] = useState(() => serverNow());
  useEffect(() => {
    const timer = setInterval(() => setNow(serverNow()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function stageKey(stage: MatchStage): string {
  switch (stage.kind) {
    case "countdown":
      return `countdown-${stage.secondsLeft}`;
    case "round":
      return `round-${stage.round.index}`;
    case "gap":
      return `gap-${stage.previous.index}`;
    default:
      return stage.kind;
  }
}

export function GameStage({ room, selfId, modelBaseUrl }: GameStageProps) {
  const { t, locale } = useI18n();
  const { scores } = useRoomStore();
  const timeline = room.game?.timeline ?? null;
  const self = room.members.find((member) => member.id === selfId);
  const isPlayer = self?.role === "player";
  const now = useServerTime(100);
  const stage: MatchStage = timeline ? matchStageAt(timeline, now) : { kind: "waiting", startsInMs: 0 };
  const key = stageKey(stage);
  const activeRound = stage.kind === "round" ? stage.round : null;
  // Header, target and banner all follow one display: a round's result, then "next", then its countdown.
  const display = roundDisplay(stage, timeline);
  const shownRound = display.kind === "waiting" ? (timeline?.rounds[0] ?? null) : display.round;
  const shownTarget = useMemo(() => (shownRound ? resolveTarget(shownRound) : undefined), [shownRound]);

  const canvasRef = useRef<HTMLCanvasElement>(null);
  const loopRef = useRef<InferenceLoop | null>(null);
  const [meter, setMeter] = useState<Meter>({ similarity: 0, holdProgress: 0, detectionsPerSecond: 0 });
  const [awards, setAwards] = useState<Record<number, Award>>({});

  // Clock: sampled now and again during the match (phones drift, networks change).
  useEffect(() => {
    void syncClock();
    const timer = setInterval(() => void syncClock(), 15_000);
    unlockAudioOnFirstTap();
    void loadSounds();
    return () => {
      clearInterval(timer);
      stopMusic();
    };
  }, []);

  // The screen stays on while the game runs; the server hears when the page is hidden and back.
  const visibilityRef = useRef<VisibilityReporter | null>(null);
  useEffect(() => {
    const wakeLock = createScreenWakeLock();
    const reporter = createVisibilityReporter(sendVisibility);
    visibilityRef.current = reporter;
    wakeLock.acquire();
    reporter.start();
    return () => {
      reporter.stop();
      wakeLock.release();
      visibilityRef.current = null;
    };
  }, []);
  // Every snapshot (a rejoin after a drop, a reload) says what the others see: correct it if stale.
  const pausedOnServer = self?.paused ?? false;
  useEffect(() => {
    visibilityRef.current?.syncWith(pausedOnServer);
  }, [room, pausedOnServer]);

  // Sound follows the stage: ticks on 3-2-1, a cue when a round opens and closes, music while playing.
  useEffect(() => {
    if (stage.kind === "countdown") playEffect("tick");
    if (stage.kind === "round") {
      playEffect("go");
      startMusic();
    }
    if (stage.kind === "gap") playEffect("round-end");
    if (stage.kind === "finished") {
      playEffect("round-end");
      stopMusic();
    }
    // Only on stage changes, not every clock tick.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  // A page reloaded mid-game has its seat back but not its models: load them again, then play on.
  const roundKinds = room.game?.settings.roundKinds.join(",") ?? "";
  const poseQuality = room.game?.settings.poseQuality ?? "lite";
  // Keyed by value: every snapshot brings a new settings object, which must not restart a load.
  const settings = useMemo(() => (roundKinds ? { roundKinds: roundKinds.split(",") as RoundKind[], poseQuality } : null), [roundKinds, poseQuality]);
  const [vision, setVision] = useState<"ready" | "loading" | "failed">(() => (settings && isPlayer && !hasGameVision(settings) ? "loading" : "ready"));
  useEffect(() => {
    if (vision !== "loading" || !settings) return;
    const controller = new AbortController();
    void resumeGameVision(settings, modelBaseUrl, controller.signal).then((ok) => {
      if (!controller.signal.aborted) setVision(ok ? "ready" : "failed");
    });
    return () => controller.abort();
  }, [vision, settings, modelBaseUrl]);

  // The inference loop: created once per game for players, fed the round as it changes.
  useEffect(() => {
    const video = getCameraVideo();
    const canvas = canvasRef.current;
    if (!isPlayer || vision !== "ready" || !video || !canvas) return;
    const sender = createLiveSender({ sendMeter, sendAward });
    let lastMeterAt = 0;
    const loop = new InferenceLoop(
      video,
      canvas,
      gameDetector(),
      (report: FrameReport) => {
        sender.frame(report);
        if (report.award) {
          const roundIndex = report.roundIndex ?? -1;
          const award = report.award;
          setAwards((previous) => ({ ...previous, [roundIndex]: award }));
          playEffect(award);
        }
        // The meter redraws ten times a second: smooth enough, and React is not re-rendered per frame.
        const at = performance.now();
        if (at - lastMeterAt > 100) {
          lastMeterAt = at;
          setMeter({ similarity: report.similarity, holdProgress: report.holdProgress, detectionsPerSecond: report.detectionsPerSecond });
        }
      },
      activePlanInfo().plan.maxDetectionsPerSecond,
    );
    loopRef.current = loop;
    loop.start();
    return () => {
      loop.stop();
      sender.dispose();
      loopRef.current = null;
    };
  }, [isPlayer, vision]);

  useEffect(() => {
    const target = activeRound ? resolveTarget(activeRound) : undefined;
    loopRef.current?.setRound(
      activeRound && target && room.game ? { index: activeRound.index, kind: activeRound.kind, target, difficulty: room.game.settings.difficulty } : null,
    );
  }, [activeRound, room.game]);

  // After a reload the awards seen on this page are gone: the server's score has them.
  const selfRounds = scores[selfId]?.rounds;
  const awardFor = (roundIndex: number): Award | undefined => {
    const grade = awards[roundIndex] ?? selfRounds?.find((round) => round.roundIndex === roundIndex)?.grade;
    return grade === "miss" ? undefined : grade;
  };
  const award = display.kind === "round" || display.kind === "result" ? awardFor(display.round.index) : undefined;

  return (
    <section className="game" data-testid="game-stage" data-role={self?.role} data-stage={stage.kind} data-display={display.kind}>
      <header className="game-head">
        <span className="tag">{shownRound && timeline ? `${t("roundLabel")} ${shownRound.index + 1}/${timeline.rounds.length}` : t("getReady")}</span>
        <MuteButton labels={{ mute: t("mute"), unmute: t("unmute") }} size={40} />
      </header>

      <StageBanner display={display} award={award} targetName={shownTarget?.name[locale] ?? ""} />
      {isPlayer && vision !== "ready" && (
        <p className="banner banner-info" role="status" data-testid="vision-resume" data-state={vision}>
          {t(vision === "loading" ? "resumingModels" : "resumeModelsFailed")}
        </p>
      )}

      {isPlayer ? (
        <div className="game-main">
          {/* Above the camera, never over it: the player must see all of themselves. */}
          {shownTarget && <TargetFigure target={shownTarget} />}
          <SelfView size="large" overlay={<canvas ref={canvasRef} className="overlay" data-testid="skeleton-canvas" />} />
          <div className="meter" data-testid="similarity-meter" data-similarity={meter.similarity.toFixed(2)}>
            <span className="bar">
              <span className={`bar-fill level-${meter.holdProgress >= 1 ? "done" : "live"}`} style={{ width: `${Math.round(meter.similarity * 100)}%` }} />
            </span>
            <span className="tag">
              {Math.round(meter.similarity * 100)}% · {meter.detectionsPerSecond} {t("detectionsPerSecond")}
            </span>
          </div>
        </div>
      ) : (
        <p className="banner banner-info">{t("spectatorNotice")}</p>
      )}

      <Scoreboard room={room} scores={scores} selfId={selfId} />
    </section>
  );
}

function StageBanner({ display, award, targetName }: { display: RoundDisplay; award: Award | undefined; targetName: string }) {
  const { t } = useI18n();
  let text: string;
  let note: string | null = null;
  switch (display.kind) {
    case "waiting":
      text = t("getReady");
      break;
    case "next":
      note = `${t("nextUp")}: ${targetName}`;
      text = String(display.secondsLeft);
      break;
    case "round":
      text = award ? t(award) : String(display.secondsLeft);
      break;
    case "result":
      text = award ? t(award) : t("miss");
      if (display.last) note = t("finishing");
      break;
  }
  return (
    <div className={`stage-banner stage-${display.kind} ${award ? `award-${award}` : ""}`} aria-live="assertive">
      {note && (
        <p className="stage-note" data-testid="stage-note">
          {note}
        </p>
      )}
      <p className="stage-text" data-testid="stage-banner">
        {text}
      </p>
    </div>
  );
}

export function Scoreboard({ room, scores, selfId }: { room: RoomSnapshot; scores: Readonly<Record<string, PlayerScoreSnapshot>>; selfId: string }) {
  const { t } = useI18n();
  // Spectators (no score) after everyone who plays; ties as in the results (core/game/ranking.ts).
  const rows = rankStandings(
    room.members.map((member) => ({ id: member.id, name: member.nickname, total: scores[member.id]?.total ?? -1, member, score: scores[member.id] })),
  );
  return (
    <section className="card scoreboard" data-testid="scoreboard">
      <h2>{t("scoreboard")}</h2>
      <ol className="score-list">
        {rows.map(({ member, score }) => (
          <li
            key={member.id}
            data-testid="score-row"
            data-player={member.id}
            data-total={score?.total ?? 0}
            data-status={memberStatus(member)}
            className={memberStatus(member) === "playing" ? "" : "away"}
          >
            <span className="member-name">
              {member.nickname}
              {member.id === selfId && <span className="tag"> ({t("you")})</span>}
              {!member.connected && <span className="tag muted"> {t("away")}</span>}
              {member.connected && member.paused && <span className="tag muted"> {t("paused")}</span>}
            </span>
            {score ? (
              <span className="bar" aria-hidden>
                <span className="bar-fill" style={{ width: `${Math.round(score.similarity * 100)}%` }} />
              </span>
            ) : (
              <span className="tag">{t("friendWatching")}</span>
            )}
            <span className="score">
              {score?.total ?? 0} {t("points")}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** Reconnecting wins over paused: a dropped page cannot say whether it is hidden. */
function memberStatus(member: MemberSnapshot): "reconnecting" | "paused" | "playing" {
  if (!member.connected) return "reconnecting";
  return member.paused ? "paused" : "playing";
}

export type { MatchTimeline };
