"use client";
import { useEffect, useState } from "react";
import QRCode from "qrcode";
import { useI18n } from "@/client/i18n";
import { inviteOrigin } from "@/client/lanAccess";
import { useLanSettings } from "./SecureContextGate";

/** The room code, a QR code of the link and a copy button: how friends get in. */
export function InvitePanel({ roomCode }: { roomCode: string }) {
  const { t } = useI18n();
  const lan = useLanSettings();
  const [link, setLink] = useState("");
  const [qrDataUrl, setQrDataUrl] = useState<string | null>(null);
  const [copyState, setCopyState] = useState<"idle" | "copied" | "failed">("idle");

  useEffect(() => {
    // HTTPS=lan on the laptop itself: the LAN address, not localhost (client/lanAccess.ts).
    const roomLink = `${inviteOrigin(window.location, lan)}/r/${roomCode}`;
    setLink(roomLink);
    QRCode.toDataURL(roomLink, { margin: 1, width: 200, errorCorrectionLevel: "M" }).then(setQrDataUrl, () => setQrDataUrl(null));
  }, [roomCode, lan]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopyState("copied");
    } catch {
      setCopyState("failed");
    }
  };

  return (
    <section className="card invite" id="invite" aria-label={t("inviteFriends")} data-testid="invite">
      <div className="invite-top">
        {/* eslint-disable-next-line @next/next/no-img-element -- a generated data: URL; next/image has nothing to optimise */}
        {qrDataUrl ? <img className="qr" src={qrDataUrl} width={132} height={132} alt={link} data-testid="qr-code" /> : <span className="qr qr-placeholder" />}
        <div className="invite-text">
          <h2>{t("inviteFriends")}</h2>
          <p className="room-code" data-testid="room-code">
            {roomCode}
          </p>
          <p className="hint">{t("inviteHint")}</p>
        </div>
      </div>
      <div className="row">
        <input className="link-field" readOnly value={link} aria-label={t("inviteLinkLabel")} data-testid="room-link" onFocus={(e) => e.target.select()} />
        <button type="button" onClick={copy} data-testid="copy-link">
          {t("copyLink")}
        </button>
      </div>
      {copyState !== "idle" && (
        <p className="hint" role="status">
          {t(copyState === "copied" ? "linkCopied" : "copyFailed")}
        </p>
      )}
    </section>
  );
}
