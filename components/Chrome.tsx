"use client";
/** Page frame pieces shared by every screen: header with language switch, connection banner. */
import Link from "next/link";
import type { ReactNode } from "react";
import { useI18n } from "@/client/i18n";
import { selectConnection, useRoomStore } from "@/client/roomStore";

export function AppHeader({ children }: { children?: ReactNode }) {
  const { t, locale, setLocale } = useI18n();
  return (
    <header className="app-header">
      <Link href="/" className="brand">
        {t("appName")}
      </Link>
      <div className="header-actions">
        {children}
        <button type="button" className="link-button" data-testid="language-switch" onClick={() => setLocale(locale === "ko" ? "en" : "ko")}>
          {t("switchLanguage")}
        </button>
      </div>
    </header>
  );
}

/** Says plainly when the server cannot be reached instead of leaving buttons that do nothing. */
export function ConnectionBanner() {
  const { t } = useI18n();
  const connection = useRoomStore(selectConnection);
  if (connection === "unreachable") {
    return (
      <p className="banner banner-error" role="alert" data-testid="connection-banner">
        {t("serverUnreachable")}
      </p>
    );
  }
  if (connection === "restarting") {
    return (
      <p className="banner banner-info" role="status" data-testid="connection-banner">
        {t("serverRestarting")}
      </p>
    );
  }
  return null;
}
