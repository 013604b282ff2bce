"use client";
import Link from "next/link";
import { useEffect } from "react";
import type { RoomSnapshot } from "@/core/protocol";
import { resolveTarget } from "@/core/targets/pick";
import { playEffect } from "@/client/audio/sound";
import { useI18n } from "@/client/i18n";
import { sendRoomIntent, useRoomStore } from "@/client/roomStore";

/**
 * The podium and the per-round breakdown. The match is saved when this shows, or, if the
 * database refused it, kept on the server and being retried: "saving…" until a later snapshot
 * says "saved" (results.save, from the server).
 */
export function Results({ room, selfId }: { room: RoomSnapshot; selfId: string }) {
  const { t, locale } = useI18n();
  const { scores } = useRoomStore();
  const results = room.game?.results;
  const timeline = room.game?.timeline;
  const nickname = (playerId: string) => room.members.find((member) => member.id === playerId)?.nickname ?? "—";

  useEffect(() => {
    if (results?.ranking.some((entry) => entry.playerId === selfId && entry.rank === 1)) playEffect("winner");
  }, [results, selfId]);

  if (!results) return null;
  return (
    <section className="results" data-testid="results">
      <h1>{t("resultsTitle")}</h1>
      <ol className="podium" data-testid="ranking">
        {results.ranking.map((entry) => (
          <li key={entry.playerId} className={`podium-place place-${entry.rank}`} data-testid="ranking-row" data-rank={entry.rank} data-total={entry.total}>
            <span className="rank">{entry.rank}</span>
            <span className="member-name">{nickname(entry.playerId)}</span>
            <span className="score">
              {entry.total} {t("points")}
            </span>
          </li>
        ))}
      </ol>

      {timeline && (
        <section className="card">
          <h2>{t("roundByRound")}</h2>
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
                    {round.index + 1}. {resolveTarget(round)?.name[locale] ?? round.targetId}
                  </td>
                  {results.ranking.map((entry) => {
                    const result = scores[entry.playerId]?.rounds.find((r) => r.roundIndex === round.index);
                    return <td key={entry.playerId}>{result && result.grade !== "miss" ? `${t(result.grade)} ${result.points}` : "–"}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      {results.save === "saved" ? (
        <p className="match-save" data-testid="match-save" data-save="saved">
          <span role="status">{t("matchSaved")}</span>{" "}
          <Link href={`/history/${results.matchId}`} data-testid="match-link">
            {t("seeInHistory")}
          </Link>
        </p>
      ) : (
        <p className="banner banner-info" role="status" data-testid="match-save" data-save="saving">
          {t("matchSaving")}
        </p>
      )}
      {room.hostId === selfId && (
        <button type="button" className="primary" onClick={() => void sendRoomIntent("game:returnToChat")} data-testid="back-to-chat">
          {t("backToChat")}
        </button>
      )}
    </section>
  );
}
