"use client";
/**
 * The game: countdown, rounds and the live meter, following the server's
 * timeline on the estimated server clock. Players run the inference loop on
 * their own camera; spectators watch the call and the scoreboard. The game's
 * timers, devices and loop live in one GameSession (client/game/gameSession.ts);
 * this component draws its snapshot.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import type { MatchTimeline, PlannedRound } from "@/core/game/match";
import { copyOf, roundTarget } from "@/core/game/roundTarget";
import { rankStandings } from "@/core/game/ranking";
import { roundDisplay, type RoundDisplay } from "@/core/game/roundDisplay";
import type { CopyRoundSnapshot, MemberSnapshot, RoomSnapshot } from "@/core/protocol";
import type { Award } from "@/core/scoring/points";
import { useCall } from "@/client/call/useCall";
import { GameSession, gameViewOf } from "@/client/game/gameSession";
import { clockOffset } from "@/client/game/clockSync";
import { useI18n } from "@/client/i18n";
import type { MessageKey } from "@/client/messages";
import { selectScores, useRoomStore, type RoomStoreState } from "@/client/roomStore";
import { MuteButton } from "./MuteButton";
import { RelaxedNote } from "./RelaxedNote";
import { SoundCueTwin } from "./SoundCueTwin";
import { SelfView } from "./SelfView";
import { TargetFigure } from "./TargetFigure";

interface GameStageProps {
  room: RoomSnapshot;
  selfId: string;
  /** Where /vision/ files are served from: needed only when a reloaded page must load the models again. */
  modelBaseUrl: string;
}

export function GameStage({ room, selfId, modelBaseUrl }: GameStageProps) {
  const { t, locale } = useI18n();
  const timeline = room.game?.timeline ?? null;
  const self = room.members.find((member) => member.id === selfId);
  const isPlayer = self?.role === "player";

  const [session] = useState(() => new GameSession(gameViewOf(room, selfId), modelBaseUrl));
  useEffect(() => {
    session.start();
    return () => session.stop();
  }, [session]);
  useEffect(() => {
    session.setView(gameViewOf(room, selfId));
  }, [session, room, selfId]);
  const { stage, meter, awards, vision, cue, struck } = useSyncExternalStore(session.subscribe, session.getSnapshot, session.getSnapshot);

  // Header, target and banner all follow one display: a round's result, then "next", then its countdown.
  const display = roundDisplay(stage, timeline);
  const shownRound = display.kind === "waiting" ? (timeline?.rounds[0] ?? null) : display.round;
  const copies = room.game?.copies;
  const nicknameOf = useCallback((playerId: string) => room.members.find((member) => member.id === playerId)?.nickname ?? "—", [room.members]);
  const shownCopy = shownRound && copies ? copyOf(copies, shownRound.index) : undefined;
  const shownTarget = useMemo(() => (shownRound ? roundTarget(shownRound, copies ?? [], nicknameOf) : undefined), [shownRound, copies, nicknameOf]);
  const copyPart = shownRound?.kind === "copy" ? copyPartOf(display, shownRound, shownCopy, selfId, Boolean(struck[shownRound.index]), meter.confident) : null;
  const leaderName = shownRound?.leaderId ? nicknameOf(shownRound.leaderId) : "";
  const leaderVideo = copyPart?.leaderVideo ?? null;
  // A copy round's target is a friend's pose: before it is struck, the round is named by its leader.
  const targetName = shownTarget?.name[locale] ?? (shownRound?.kind === "copy" ? `${t("roundKind_copy")}: ${leaderName}` : "");
  // The same element every render, so the camera view does not re-render with the clock.
  const overlay = useMemo(() => <canvas ref={(canvas) => session.setCanvas(canvas)} className="overlay" data-testid="skeleton-canvas" />, [session]);

  // After a reload the awards seen on this page are gone: the server's score has them. The
  // rounds keep their reference through the live meters, so those do not re-render the stage.
  const selfRounds = useRoomStore(useCallback((state: RoomStoreState) => state.scores[selfId]?.rounds, [selfId]));
  const awardFor = (roundIndex: number): Award | undefined => {
    const grade = awards[roundIndex] ?? selfRounds?.find((round) => round.roundIndex === roundIndex)?.grade;
    return grade === "miss" ? undefined : grade;
  };
  const award = display.kind === "round" || display.kind === "result" ? awardFor(display.round.index) : undefined;
  const held = meter.holdProgress >= 1;
  // Read once per result, not with every meter message: the announcer keys on the display.
  const selfTotal = useRoomStore(useCallback((state: RoomStoreState) => state.scores[selfId]?.total ?? 0, [selfId]));

  const clock = clockOffset();
  return (
    <section
      className="game"
      data-testid="game-stage"
      data-role={self?.role}
      data-stage={stage.kind}
      data-display={display.kind}
      // The page's estimate of the server clock, for a bug report or a test on a slow link to read.
      data-clock-offset-ms={Math.round(clock.offsetMs)}
      data-clock-round-trip-ms={clock.roundTripMs ?? undefined}
    >
      <header className="game-head">
        <span className="tag">{shownRound && timeline ? `${t("roundLabel")} ${shownRound.index + 1}/${timeline.rounds.length}` : t("getReady")}</span>
        {room.game && <RelaxedNote timeScale={room.game.timeScale} label={t("playedRelaxed")} />}
        <MuteButton labels={{ mute: t("mute"), unmute: t("unmute") }} size={40} />
      </header>

      <StageBanner display={display} award={award} targetName={targetName} copyNote={copyPart ? t(copyPart.note).replace("{name}", leaderName) : null} />
      <SoundCueTwin cue={cue} />
      {isPlayer && (
        <Announcer
          display={display}
          award={award}
          targetName={targetName}
          copyNote={copyPart ? t(copyPart.note).replace("{name}", leaderName) : null}
          total={selfTotal}
          rounds={timeline?.rounds.length ?? 0}
        />
      )}
      {isPlayer && vision !== "ready" && (
        <p className="banner banner-info" role="status" data-testid="vision-resume" data-state={vision}>
          {t(vision === "loading" ? "resumingModels" : "resumeModelsFailed")}
        </p>
      )}

      {isPlayer ? (
        <div className="game-main" data-copy-part={copyPart?.part}>
          {leaderVideo === "large" && shownRound?.leaderId && <LeaderVideo leaderId={shownRound.leaderId} name={leaderName} size="large" />}
          {/* Above the camera, never over it: the player must see all of themselves. */}
          {shownTarget &&
            copyPart?.part !== "strike-lead" &&
            copyPart?.part !== "strike-watch" &&
            (leaderVideo === "small" && shownRound?.leaderId ? (
              // The pose to copy, drawn like any target, beside the friend who struck it.
              <div className="copy-target-row">
                <TargetFigure target={shownTarget} />
                <LeaderVideo leaderId={shownRound.leaderId} name={leaderName} size="small" />
              </div>
            ) : (
              <TargetFigure target={shownTarget} />
            ))}
          <SelfView size="large" overlay={overlay} />
          <div className="meter" data-testid="similarity-meter" data-similarity={meter.similarity.toFixed(2)} data-level={held ? "done" : "live"}>
            <span className="bar">
              <span className={`bar-fill level-${held ? "done" : "live"}`} style={{ width: `${Math.round(meter.similarity * 100)}%` }} />
            </span>
            {/* "Held" is said in words and a mark, not only by the bar turning gold (colour independence). */}
            <span className="tag" data-testid="meter-label">
              {held && <strong className="meter-held">✓ {t("meterHeld")} · </strong>}
              {Math.round(meter.similarity * 100)}% · {meter.detectionsPerSecond} {t("detectionsPerSecond")}
            </span>
          </div>
        </div>
      ) : (
        <p className="banner banner-info">{t("spectatorNotice")}</p>
      )}

      <Scoreboard room={room} selfId={selfId} />
    </section>
  );
}

/** What a copy round shows this page now, and the line that says it. */
interface CopyPart {
  part: "strike-lead" | "strike-taken" | "strike-watch" | "leading" | "follow" | "waiting" | "fallback";
  note: MessageKey;
  /** The leader's camera: large while the strike is watched, small beside the pose to copy. */
  leaderVideo: "large" | "small" | null;
}

function copyPartOf(
  display: RoundDisplay,
  round: PlannedRound,
  copy: CopyRoundSnapshot | undefined,
  selfId: string,
  struck: boolean,
  framed: boolean,
): CopyPart | null {
  if (display.kind !== "strike" && display.kind !== "round") return null;
  if (copy?.source === "fallback") {
    return { part: "fallback", note: copy.fallbackReason === "solo" ? "copyFallbackSolo" : "copyFallbackNoPose", leaderVideo: null };
  }
  const leads = round.leaderId === selfId;
  if (display.kind === "strike") {
    if (leads && (struck || copy?.source === "leader")) return { part: "strike-taken", note: "strikeTaken", leaderVideo: null };
    // Until the whole body is in view, the leader hears how to get there.
    if (leads) return { part: "strike-lead", note: framed ? "strikeLead" : "strikeLeadFrame", leaderVideo: null };
    return { part: "strike-watch", note: "strikeWatch", leaderVideo: "large" };
  }
  if (leads) return { part: "leading", note: "copyLeading", leaderVideo: null };
  if (copy?.source === "leader") return { part: "follow", note: "copyFollow", leaderVideo: "small" };
  return { part: "waiting", note: "copyWaiting", leaderVideo: "large" };
}

/**
 * The leader's call video, in the game: large while the others watch the strike, small beside the
 * pose while they copy it. The same track the call's tile plays (no second download).
 */
function LeaderVideo({ leaderId, name, size }: { leaderId: string; name: string; size: "large" | "small" }) {
  const { t } = useI18n();
  const call = useCall();
  const video = useRef<HTMLVideoElement>(null);
  const track = call?.state.peers[leaderId]?.stream?.getVideoTracks()[0] ?? null;
  // Until a frame is decoded (or with no video from the leader) the name stands in, not a blank box.
  const [hasFrame, setHasFrame] = useState(false);
  useEffect(() => {
    const element = video.current;
    if (!element) return;
    setHasFrame(false);
    element.srcObject = track ? new MediaStream([track]) : null;
    if (track) void element.play().catch(() => undefined);
  }, [track]);
  const label = t("copyLeaderVideo").replace("{name}", name);
  return (
    <figure className={`leader-video leader-video-${size}`} data-testid="leader-video" data-size={size} data-has-video={Boolean(track) && hasFrame}>
      <video
        ref={video}
        className={hasFrame ? undefined : "call-hidden"}
        autoPlay
        playsInline
        muted
        aria-label={label}
        onLoadedData={() => setHasFrame(true)}
      />
      {!hasFrame && <span className="leader-video-name">{name}</span>}
      <figcaption className="visually-hidden">{label}</figcaption>
    </figure>
  );
}

function StageBanner({
  display,
  award,
  targetName,
  copyNote,
}: {
  display: RoundDisplay;
  award: Award | undefined;
  targetName: string;
  copyNote: string | null;
}) {
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
      note = copyNote;
      break;
    case "strike":
      text = String(display.secondsLeft);
      note = copyNote;
      break;
    case "result":
      text = award ? t(award) : t("miss");
      if (display.last) note = t("finishing");
      break;
  }
  return (
    // Not a live region: it ticks every second; the Announcer says what matters, politely.
    <div className={`stage-banner stage-${display.kind} ${award ? `award-${award}` : ""}`} aria-hidden>
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

/**
 * What a screen reader hears, politely: the 3-2-1 before each round, the round starting with its
 * target, an award when it is earned, and each result with the player's own score. Never the
 * seconds of a round or the meter: the text changes only when one of those does.
 */
function Announcer({
  display,
  award,
  targetName,
  copyNote,
  total,
  rounds,
}: {
  display: RoundDisplay;
  award: Award | undefined;
  targetName: string;
  copyNote: string | null;
  total: number;
  rounds: number;
}) {
  const { t } = useI18n();
  const roundName = display.kind === "waiting" ? "" : `${t("roundLabel")} ${display.round.index + 1}/${rounds}`;
  // The total as it stood when the result first showed: a late score message does not repeat it.
  const [resultTotal, setResultTotal] = useState<{ key: string; total: number } | null>(null);
  const resultKey = display.kind === "result" ? `${display.round.index}` : null;
  useEffect(() => {
    if (resultKey !== null) setResultTotal((current) => (current?.key === resultKey ? current : { key: resultKey, total }));
  }, [resultKey, total]);
  let text: string;
  switch (display.kind) {
    case "waiting":
      text = t("getReady");
      break;
    case "next":
      text = `${roundName}. ${t("nextUp")}: ${targetName}. ${display.secondsLeft}`;
      break;
    case "round":
      text = award ? `${t(award)}!` : `${roundName}. ${copyNote ?? `${t("goNow")}: ${targetName}`}`;
      break;
    case "strike":
      text = `${roundName}. ${copyNote ?? ""}`;
      break;
    case "result": {
      const shownTotal = resultTotal?.key === resultKey ? resultTotal.total : total;
      text = `${roundName}: ${award ? t(award) : t("miss")}. ${t("yourScore")}: ${shownTotal} ${t("points")}`;
      break;
    }
  }
  return (
    <p className="visually-hidden" role="status" aria-live="polite" data-testid="game-announcer">
      {text}
    </p>
  );
}

/** The one part of the stage that follows every scoreboard and meter message. */
const Scoreboard = memo(function Scoreboard({ room, selfId }: { room: RoomSnapshot; selfId: string }) {
  const { t } = useI18n();
  const scores = useRoomStore(selectScores);
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
});

/** Reconnecting wins over paused: a dropped page cannot say whether it is hidden. */
function memberStatus(member: MemberSnapshot): "reconnecting" | "paused" | "playing" {
  if (!member.connected) return "reconnecting";
  return member.paused ? "paused" : "playing";
}

export type { MatchTimeline };
