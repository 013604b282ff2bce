import Link from "next/link";
import { messages } from "@/client/messages";
import { rankStandings } from "@/core/game/ranking";
import { AppHeader } from "@/components/Chrome";
import { RelaxedNote } from "@/components/RelaxedNote";
import { getAppServices } from "@/server/services";
import type { MatchSummary } from "@/server/storage/matchStore";
import { serverLocale } from "../serverLocale";

// Always read the database at request time; never prerendered at build.
export const dynamic = "force-dynamic";

/** Finished matches, newest first. Plain server-rendered HTML: no game code, no models. */
export default async function HistoryPage() {
  const locale = await serverLocale();
  const t = messages[locale];
  let matches: MatchSummary[] | null;
  try {
    matches = await getAppServices().store.listRecentMatches(50);
  } catch {
    matches = null;
  }
  const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });

  return (
    <main className="screen">
      <AppHeader />
      <h1>{t.historyTitle}</h1>
      {matches === null && (
        <p className="banner banner-error" role="alert">
          {t.historyUnavailable}
        </p>
      )}
      {matches?.length === 0 && (
        <p className="card hint" data-testid="history-empty">
          {t.historyEmpty}
        </p>
      )}
      {matches && matches.length > 0 && (
        <ul className="match-list" data-testid="match-list">
          {matches.map((match) => (
            <li key={match.id} className="card" data-testid="match">
              <Link href={`/history/${match.id}`}>
                <span className="match-date">{dateFormat.format(match.endedAt)}</span>
                <span className="tag">
                  {match.roundCount} {t.rounds}
                </span>
                <RelaxedNote timeScale={match.timeScale} label={t.playedRelaxed} />
              </Link>
              <ol className="podium-list">
                {/* The results' order for ties (core/game/ranking.ts), not the database's collation. */}
                {rankStandings(
                  match.players.filter((player) => !player.wasSpectator).map((player) => ({ ...player, name: player.nickname, total: player.finalScore })),
                ).map((player) => (
                  <li key={`${player.rank}-${player.nickname}`}>
                    <span className="rank">{player.rank}</span> <span className="member-name">{player.nickname}</span>{" "}
                    <span className="score">{player.finalScore}</span>
                  </li>
                ))}
              </ol>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
