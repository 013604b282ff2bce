import Link from "next/link";
import { notFound } from "next/navigation";
import { messages } from "@/client/messages";
import { AppHeader } from "@/components/Chrome";
import { MatchDetailView } from "@/components/MatchDetailView";
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
      <MatchDetailView match={match} t={t} locale={locale} />
    </main>
  );
}
