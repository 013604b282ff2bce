"use client";
import { useEffect, useState, type CSSProperties } from "react";
import type { RoomSnapshot } from "@/core/protocol";
import type { PlannedRound } from "@/core/game/match";
import { roundTarget } from "@/core/game/roundTarget";
import { resolveTarget } from "@/core/targets/pick";
import { playEffect } from "@/client/audio/sound";
import { useI18n } from "@/client/i18n";
import { sendRoomIntent } from "@/client/room/commands";
import { selectScores, useRoomStore } from "@/client/roomStore";
import { useSharedMoments } from "@/client/moments/momentStore";
import { useShareBestMoment } from "@/client/moments/useShareBestMoment";
import { BestMoment } from "./BestMoment";
import { MomentSharingToggle } from "./MomentSharingToggle";
import { MatchHistorySheet } from "./MatchHistorySheet";
import { RelaxedNote } from "./RelaxedNote";
import { SoundCueTwin } from "./SoundCueTwin";

const CONFETTI_COLORS = ["#ff4f9a", "#34d6c4", "#ffd34f", "#7a4dff", "#ffffff"];
/** Fixed pieces (no randomness in render): spread by a golden-ratio step, so no two line up. */
const CONFETTI = Array.from({ length: 28 }, (_, index) => ({
  left: ((index * 61.8) % 100).toFixed(1),
  delay: ((index * 0.37) % 1.6).toFixed(2),
  duration: (2.4 + ((index * 0.53) % 1.4)).toFixed(2),
  color: CONFETTI_COLORS[index % CONFETTI_COLORS.length]!,
  turn: (index * 47) % 360,
}));

/**
 * The podium, the per-round breakdown and what happens next. The ranking comes from the server,
 * ranked by core/game/ranking.ts (ties share a place, ordered by name), and is shown in that
 * order. The match is saved when this shows, or, if the database refused it, kept on the server
 * and being retried: "saving…" until a later snapshot says "saved" (results.save).
 */
export function Results({ room, selfId }: { room: RoomSnapshot; selfId: string }) {
  const { t, locale } = useI18n();
  const scores = useRoomStore(selectScores);
  const results = room.game?.results;
  const timeline = room.game?.timeline;
  const matchId = results?.matchId;
  const [historyOpen, setHistoryOpen] = useState(false);
  const nickname = (playerId: string) => room.members.find((member) => member.id === playerId)?.nickname ?? "—";
  const moments = useSharedMoments(matchId);
  const isPlayer = results?.ranking.some((entry) => entry.playerId === selfId) ?? false;
  useShareBestMoment({ matchKey: timeline?.countdownStartsAt ?? null, isPlayer, sharedImage: moments[selfId] });
  // A copy round's target is the pose its leader set (the library's when it fell back).
  const targetOf = (round: PlannedRound) => roundTarget(round, room.game?.copies ?? [], nickname) ?? resolveTarget(round);
  const bestMoment = (playerId: string) => (
    <BestMoment name={nickname(playerId)} image={moments[playerId]} timeline={timeline} score={scores[playerId]} targetOf={targetOf} />
  );

  // The fanfare, once per match, for everyone: the winner is celebrated by the whole room.
  const [fanfare, setFanfare] = useState<{ name: "winner"; seq: number } | null>(null);
  useEffect(() => {
    if (!matchId) return;
    playEffect("winner");
    setFanfare({ name: "winner", seq: 1 });
  }, [matchId]);

  if (!results) return null;
  const isHost = room.hostId === selfId;
  const tied = (rank: number) => results.ranking.filter((entry) => entry.rank === rank).length > 1;
  const onPodium = results.ranking.filter((entry) => entry.rank <= 3);
  const rest = results.ranking.filter((entry) => entry.rank > 3);

  return (
    <section className="results" data-testid="results">
      <div className="celebration" aria-hidden data-testid="celebration">
        {CONFETTI.map((piece, index) => (
          <span
            key={index}
            className="confetti"
            style={
              {
                left: `${piece.left}%`,
                background: piece.color,
                animationDelay: `${piece.delay}s`,
                animationDuration: `${piece.duration}s`,
                "--turn": `${piece.turn}deg`,
              } as CSSProperties
            }
          />
        ))}
      </div>
      <h1>{t("resultsTitle")}</h1>
      <SoundCueTwin cue={fanfare} />
      {room.game && <RelaxedNote timeScale={room.game.timeScale} label={t("playedRelaxed")} className="banner banner-info relaxed" />}
      {/* In rank order for reading; the CSS stands second left and third right of the winner. */}
      <ol className="podium" data-testid="ranking" data-size={onPodium.length}>
        {onPodium.map((entry) => (
          <li
            key={entry.playerId}
            className={`podium-place place-${entry.rank}${entry.playerId === selfId ? " self" : ""}`}
            data-testid="ranking-row"
            data-rank={entry.rank}
            data-total={entry.total}
            data-tied={tied(entry.rank)}
          >
            {entry.rank === 1 && (
              <span className="crown" aria-hidden>
                👑
              </span>
            )}
            {bestMoment(entry.playerId)}
            <span className="member-name">{nickname(entry.playerId)}</span>
            <span className="score">
              {entry.total} {t("points")}
            </span>
            <span className="podium-step">
              <span className="rank">{entry.rank}</span>
              {tied(entry.rank) && <span className="tie">{t("tie")}</span>}
            </span>
          </li>
        ))}
      </ol>
      {rest.length > 0 && (
        <ol className="rest-ranking">
          {rest.map((entry) => (
            <li
              key={entry.playerId}
              className={entry.playerId === selfId ? "self" : ""}
              data-testid="ranking-row"
              data-rank={entry.rank}
              data-total={entry.total}
              data-tied={tied(entry.rank)}
            >
              <span className="rank">{entry.rank}</span>
              {bestMoment(entry.playerId)}
              <span className="member-name">{nickname(entry.playerId)}</span>
              {tied(entry.rank) && <span className="tag">{t("tie")}</span>}
              <span className="score">
                {entry.total} {t("points")}
              </span>
            </li>
          ))}
        </ol>
      )}

      {isPlayer && (
        <div className="settings moment-setting">
          <MomentSharingToggle />
        </div>
      )}

      {isHost ? (
        <button type="button" className="primary" onClick={() => void sendRoomIntent("game:returnToChat")} data-testid="back-to-chat">
          {t("backToChat")}
        </button>
      ) : (
        <p className="hint waiting-host" role="status" data-testid="waiting-for-host">
          {t("resultsWaitingForHost")}
        </p>
      )}

      {timeline && (
        <section className="card">
          <h2 id="round-by-round">{t("roundByRound")}</h2>
          {/* A data table may scroll sideways with large text (WCAG 1.4.10's exception); the page never does. */}
          <div className="table-scroll" role="region" aria-labelledby="round-by-round" tabIndex={0}>
            <table className="breakdown" data-testid="round-breakdown">
              <thead>
                <tr>
                  <th>#</th>
                  {results.ranking.map((entry) => (
                    <th key={entry.playerId}>{nickname(entry.playerId)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {timeline.rounds.map((round) => (
                  <tr key={round.index}>
                    <td>
                      {round.index + 1}. {targetOf(round)?.name[locale] ?? round.targetId}
                    </td>
                    {results.ranking.map((entry) => {
                      const result = scores[entry.playerId]?.rounds.find((r) => r.roundIndex === round.index);
                      return <td key={entry.playerId}>{result && result.grade !== "miss" ? `${t(result.grade)} ${result.points}` : "–"}</td>;
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      {results.save === "saved" ? (
        <p className="match-save" data-testid="match-save" data-save="saved">
          <span role="status">{t("matchSaved")}</span> {/* Opens over the results: following the link would leave the room. */}
          <a
            href={`/history/${results.matchId}`}
            data-testid="match-link"
            onClick={(event) => {
              if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return; // a new tab keeps the room
              event.preventDefault();
              setHistoryOpen(true);
            }}
          >
            {t("seeInHistory")}
          </a>
        </p>
      ) : (
        <p className="banner banner-info" role="status" data-testid="match-save" data-save="saving">
          {t("matchSaving")}
        </p>
      )}
      {historyOpen && <MatchHistorySheet matchId={results.matchId} onClose={() => setHistoryOpen(false)} />}
    </section>
  );
}
