"use client";
/**
 * A player's best moment on the podium (issue 24): the still it shared, or, when none came
 * (sharing off, camera off, nothing scored), the target figure of its best round.
 */
import type { PlannedRound } from "@/core/game/match";
import type { MatchTimelineSnapshot, PlayerScoreSnapshot } from "@/core/protocol";
import type { GameTarget } from "@/core/targets/pick";
import { bestRoundIndex } from "@/client/moments/bestRound";
import { useI18n } from "@/client/i18n";
import { TargetArt } from "./TargetFigure";

interface BestMomentProps {
  name: string;
  image: string | undefined;
  timeline: MatchTimelineSnapshot | null | undefined;
  score: PlayerScoreSnapshot | undefined;
  /** A round's target as it was played (a copy round: the leader's pose). */
  targetOf: (round: PlannedRound) => GameTarget | undefined;
}

export function BestMoment({ name, image, timeline, score, targetOf }: BestMomentProps) {
  const { t, locale } = useI18n();
  if (image) {
    // eslint-disable-next-line @next/next/no-img-element -- a data: URL from the room; next/image has nothing to optimise
    return <img className="best-moment" src={image} alt={t("bestMomentAlt").replace("{name}", name)} data-testid="best-moment" />;
  }
  const roundIndex = bestRoundIndex(score?.rounds ?? []);
  const round = timeline?.rounds.find((candidate) => candidate.index === roundIndex) ?? timeline?.rounds[0];
  const target = round ? targetOf(round) : undefined;
  if (!target) return <span className="best-moment best-moment-empty" aria-hidden data-testid="best-moment-none" />;
  const label = t("bestRoundFigure").replace("{name}", name).replace("{target}", target.name[locale]);
  return (
    <span className={`best-moment best-moment-figure target-${target.kind}`} data-testid="best-moment-figure" data-target={target.id}>
      <TargetArt target={target} label={label} />
    </span>
  );
}
