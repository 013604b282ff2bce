"use client";
/**
 * The visual twin of a sound cue (issue 25): whatever the speaker plays, this says, muted or not,
 * so the game plays fully muted. Keyed by the cue's count so each cue shows anew; it pops in once
 * (never blinks), and not at all with reduced motion. Hidden from screen readers: the game's
 * announcer says what matters there.
 */
import type { EffectName } from "@/client/audio/manifest";
import { useI18n } from "@/client/i18n";

export function SoundCueTwin({ cue }: { cue: { name: EffectName; seq: number } | null }) {
  const { t } = useI18n();
  if (!cue) return null;
  return (
    <p key={cue.seq} className={`sound-cue cue-${cue.name}`} aria-hidden data-testid="sound-cue" data-cue={cue.name} data-seq={cue.seq}>
      <span className="cue-icon">♪</span> {t(`cue_${cue.name}`)}
    </p>
  );
}
