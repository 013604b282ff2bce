"use client";
/**
 * Every page sits inside this gate (app/layout.tsx). Browsers give the camera only to secure
 * contexts (https://, or http:// on localhost), so a page a phone opened over plain HTTP on the
 * LAN would show a camera that silently never starts: the gate shows why instead, with the
 * https:// link when this server serves one (HTTPS=lan). It also hands the LAN settings to the
 * invite panel (useLanSettings).
 */
import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";
import { useI18n } from "@/client/i18n";
import { secureAlternative, type LanPageSettings } from "@/client/lanAccess";
import { AppHeader } from "./Chrome";

const LanContext = createContext<LanPageSettings | null>(null);

export function useLanSettings(): LanPageSettings | null {
  return useContext(LanContext);
}

const neverChanges = () => () => {};

export function SecureContextGate({ lan, children }: { lan: LanPageSettings | null; children: ReactNode }) {
  // The server renders the page as secure; the browser's answer replaces it right after hydration.
  const secure = useSyncExternalStore(
    neverChanges,
    () => window.isSecureContext,
    () => true,
  );
  return <LanContext.Provider value={lan}>{secure ? children : <InsecureContextNotice lan={lan} />}</LanContext.Provider>;
}

function InsecureContextNotice({ lan }: { lan: LanPageSettings | null }) {
  const { t } = useI18n();
  const link = secureAlternative(window.location, lan);
  return (
    <main className="screen">
      <AppHeader />
      <section className="card" role="alert" data-testid="insecure-context-notice">
        <h1>{t("insecureTitle")}</h1>
        <p className="hint">{t("insecureWhy")}</p>
        {link ? (
          <>
            <a className="button primary" href={link} data-testid="secure-link">
              {t("insecureOpenSecure")}
            </a>
            <p className="small">{link}</p>
            <p className="hint">{t("insecureCertificateHint")}</p>
          </>
        ) : (
          <p className="hint">{t("insecureAskHost")}</p>
        )}
      </section>
    </main>
  );
}
