"use client";
/** Draws a round's target: a stick figure for poses, the sign for hands, the instruction for head rounds. */
import { BODY_POINTS, POSE_BONES, type BodyPointName } from "@/core/scoring/bodyPoints";
import type { GameTarget } from "@/core/targets/pick";
import type { PoseTarget } from "@/core/targets/poseLibrary";
import { useI18n } from "@/client/i18n";

const INDEX_TO_NAME = new Map<number, BodyPointName>(
  (Object.entries(BODY_POINTS) as [BodyPointName, number][]).map(([name, index]) => [index, name]),
);

function PoseFigure({ target }: { target: PoseTarget }) {
  const point = (index: number) => {
    const name = INDEX_TO_NAME.get(index);
    return name ? target.points[name] : undefined;
  };
  const nose = target.points.nose;
  const shoulderWidth = Math.hypot(
    target.points.leftShoulder.x - target.points.rightShoulder.x,
    target.points.leftShoulder.y - target.points.rightShoulder.y,
  );
  return (
    <svg viewBox="0 0 1 1" className="pose-figure" role="img" aria-label={target.name.en} data-testid="target-figure">
      <g stroke="currentColor" strokeWidth={0.035} strokeLinecap="round" fill="none">
        {POSE_BONES.map(([from, to]) => {
          const a = point(from);
          const b = point(to);
          return a && b ? <line key={`${from}-${to}`} x1={a.x} y1={a.y} x2={b.x} y2={b.y} /> : null;
        })}
      </g>
      <circle cx={nose.x} cy={nose.y} r={Math.max(0.04, shoulderWidth * 0.4)} fill="currentColor" />
    </svg>
  );
}

export function TargetFigure({ target }: { target: GameTarget }) {
  const { locale, t } = useI18n();
  return (
    <div className={`target target-${target.kind}`} data-testid="target" data-target={target.id}>
      {target.kind === "pose" && <PoseFigure target={target} />}
      {target.kind === "hand" && (
        <span className="hand-sign" aria-hidden>
          {target.emoji}
        </span>
      )}
      {target.kind === "head" && (
        <span className="hand-sign" aria-hidden>
          ⭕
        </span>
      )}
      <p className="target-name">{target.name[locale]}</p>
      <p className="hint">{t(`kind_${target.kind}`)}</p>
    </div>
  );
}
