"use client";
/**
 * A finished match's history over the results, without leaving the room: navigating to the
 * history page unloaded the room's page, which dropped the player from the room (friends saw
 * "Reconnecting…"). Fetches /api/matches/<id> and renders what the history page renders.
 */
import { useEffect, useRef, useState } from "react";
import { matchDetailSchema, type MatchDetail } from "@/core/matchHistory";
import { useI18n } from "@/client/i18n";
import { messages } from "@/client/messages";
import { MatchDetailView } from "./MatchDetailView";

type Load = { kind: "loading" } | { kind: "failed" } | { kind: "ready"; match: MatchDetail };

export function MatchHistorySheet({ matchId, onClose }: { matchId: string; onClose: () => void }) {
  const { t, locale } = useI18n();
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const closeRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    setLoad({ kind: "loading" });
    void (async () => {
      try {
        const response = await fetch(`/api/matches/${encodeURIComponent(matchId)}`, { signal: controller.signal, cache: "no-store" });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const match = matchDetailSchema.parse(await response.json());
        setLoad({ kind: "ready", match });
      } catch {
        if (!controller.signal.aborted) setLoad({ kind: "failed" });
      }
    })();
    return () => controller.abort();
  }, [matchId]);

  useEffect(() => {
    closeRef.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  return (
    <div className="sheet-backdrop" onClick={onClose}>
      <section
        className="sheet"
        role="dialog"
        aria-modal="true"
        aria-labelledby="history-sheet-title"
        data-testid="history-sheet"
        data-state={load.kind}
        onClick={(event) => event.stopPropagation()}
      >
        <header className="sheet-head">
          <h2 id="history-sheet-title">
            {t("historySheetTitle")}
            {load.kind === "ready" && <span className="tag"> · {dateFormat.format(load.match.endedAt)}</span>}
          </h2>
          <button type="button" ref={closeRef} onClick={onClose} data-testid="history-sheet-close">
            {t("closeSheet")}
          </button>
        </header>
        {load.kind === "loading" && <p className="hint">{t("historyLoading")}</p>}
        {load.kind === "failed" && (
          <p className="banner banner-error" role="alert">
            {t("historyLoadFailed")}
          </p>
        )}
        {load.kind === "ready" && <MatchDetailView match={load.match} t={messages[locale]} locale={locale} />}
        <a className="sheet-page-link" href={`/history/${matchId}`} target="_blank" rel="noopener">
          {t("openAsPage")}
        </a>
      </section>
    </div>
  );
}
