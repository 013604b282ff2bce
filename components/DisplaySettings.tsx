"use client";
/** Settings each player picks for their own phone (remembered like mute): reduced motion, sharing the best moment. */
import { useI18n } from "@/client/i18n";
import { useReducedMotion } from "@/client/motionPreference";
import { MomentSharingToggle } from "./MomentSharingToggle";

export function DisplaySettings() {
  const { t } = useI18n();
  const [reduced, setReduced] = useReducedMotion();
  return (
    <section className="card settings" data-testid="display-settings">
      <h2>{t("settingsTitle")}</h2>
      <label className="toggle">
        <input type="checkbox" checked={reduced} onChange={(event) => setReduced(event.target.checked)} data-testid="reduced-motion" />
        <span>
          {t("reducedMotionLabel")}
          <span className="hint small"> {t("reducedMotionHint")}</span>
        </span>
      </label>
      <MomentSharingToggle />
    </section>
  );
}
