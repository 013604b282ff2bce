import Link from "next/link";
import { notFound } from "next/navigation";
import { messages } from "@/client/messages";
import { AppHeader } from "@/components/Chrome";
import { getAppServices } from "@/server/services";
import { serverLocale } from "../../serverLocale";

export const dynamic = "force-dynamic";

/** One finished match: final ranking and every round's result per player. */
export default async function MatchPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const match = await getAppServices().store.getMatch(id);
  if (!match) notFound();
  const locale = await serverLocale();
  const t = messages[locale];
  const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });

  return (
    <main className="screen">
      <AppHeader />
      <Link href="/history">← {t.historyTitle}</Link>
      <h1 data-testid="match-date">{dateFormat.format(match.endedAt)}</h1>
      <ol className="card podium-list" data-testid="match-ranking">
        {match.players.map((player) => (
          <li key={`${player.rank}-${player.nickname}`}>
            <span className="rank">{player.rank}</span> <span className="member-name">{player.nickname}</span>{" "}
            <span className="score">{player.finalScore}</span>
          </li>
        ))}
      </ol>
      {match.rounds.map((round) => (
        <section key={round.index} className="card" data-testid="match-round">
          <h2>
            #{round.index + 1} · {round.kind} · {round.targetId}
          </h2>
          <ul className="member-list">
            {round.results.map((result) => (
              <li key={result.nickname}>
                <span className="member-name">{result.nickname}</span> <span className="tag">{result.grade}</span>{" "}
                <span className="score">{result.points}</span>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </main>
  );
}
