"use client";
/** The "Share my best moment" switch: in the room's settings before a game and on the results. */
import { useI18n } from "@/client/i18n";
import { useMomentSharing } from "@/client/moments/sharingPreference";

export function MomentSharingToggle() {
  const { t } = useI18n();
  const [sharing, setSharing] = useMomentSharing();
  return (
    <label className="toggle">
      <input type="checkbox" checked={sharing} onChange={(event) => setSharing(event.target.checked)} data-testid="share-moment" />
      <span>
        {t("shareMomentLabel")}
        <span className="hint small"> {t("shareMomentHint")}</span>
      </span>
    </label>
  );
}
