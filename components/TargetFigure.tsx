"use client";
/** Draws a round's target: a stick figure for poses, a hand for hand signs, the circle on a face outline for head rounds. */
import { memo } from "react";
import { BODY_POINTS, POSE_BONES, type BodyPointName } from "@/core/scoring/bodyPoints";
import { handFigure, type HandFigure as HandFigureSpec } from "@/core/targets/handFigure";
import type { HandTarget } from "@/core/targets/handLibrary";
import type { HeadTarget } from "@/core/targets/headLibrary";
import type { GameTarget } from "@/core/targets/pick";
import type { PoseTarget } from "@/core/targets/poseLibrary";
import { useI18n } from "@/client/i18n";

const INDEX_TO_NAME = new Map<number, BodyPointName>((Object.entries(BODY_POINTS) as [BodyPointName, number][]).map(([name, index]) => [index, name]));

function PoseFigure({ target, label }: { target: PoseTarget; label: string }) {
  const point = (index: number) => {
    const name = INDEX_TO_NAME.get(index);
    return name ? target.points[name] : undefined;
  };
  const nose = target.points.nose;
  const shoulderWidth = Math.hypot(target.points.leftShoulder.x - target.points.rightShoulder.x, target.points.leftShoulder.y - target.points.rightShoulder.y);
  return (
    <svg viewBox="0 0 1 1" className="target-figure pose-figure" role="img" aria-label={label} data-testid="target-figure" data-figure="pose">
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

/** Where the four fingers stand on the palm (x of the base) and how long each is, index first. */
const FINGER_X = [36, 48, 60, 71] as const;
const FINGER_TIP_Y = [16, 9, 13, 24] as const;
const FINGER_BASE_Y = 58;
const FOLDED_TIP_Y = 47;

/** A hand seen from the palm side (as in a mirror), drawn from the same spec the scorer checks. */
function HandFigure({ target, label }: { target: HandTarget; label: string }) {
  const figure: HandFigureSpec = handFigure(target.sign);
  const tilt = (index: number) => (figure.spread ? (index === 0 ? -13 : index === 1 ? 10 : 0) : 0);
  if (figure.thumb === "up") return <ThumbUpFigure label={label} />;
  return (
    <svg viewBox="0 0 100 110" className="target-figure hand-figure" role="img" aria-label={label} data-testid="target-figure" data-figure="hand">
      <g stroke="currentColor" strokeWidth={11} strokeLinecap="round" fill="none">
        {figure.fingers.map((extended, index) => {
          const x = FINGER_X[index]!;
          const tipY = extended ? FINGER_TIP_Y[index]! : FOLDED_TIP_Y;
          if (figure.thumb === "ring" && index === 0) return null;
          return (
            <line
              key={index}
              x1={x}
              y1={FINGER_BASE_Y}
              x2={x}
              y2={tipY}
              transform={tilt(index) ? `rotate(${tilt(index)} ${x} ${FINGER_BASE_Y})` : undefined}
              data-finger={index + 1}
              data-extended={extended}
            />
          );
        })}
        {figure.thumb === "out" && <line x1={31} y1={80} x2={12} y2={52} data-finger={0} data-extended />}
        {figure.thumb === "ring" && <circle cx={31} cy={40} r={12} strokeWidth={8} data-finger={0} />}
      </g>
      <rect x={29} y={50} width={49} height={44} rx={13} fill="currentColor" />
      <rect x={38} y={90} width={31} height={18} rx={4} fill="currentColor" opacity={0.75} />
      {figure.thumb === "folded" && (
        // Across the palm: outlined, or it would vanish into it.
        <g strokeLinecap="round" data-finger={0} data-extended={false}>
          <line x1={27} y1={84} x2={55} y2={68} stroke="var(--bg-card)" strokeWidth={15} />
          <line x1={27} y1={84} x2={55} y2={68} stroke="currentColor" strokeWidth={10} />
        </g>
      )}
    </svg>
  );
}

/** A fist seen from the side, curled fingers stacked, the thumb straight up. */
function ThumbUpFigure({ label }: { label: string }) {
  return (
    <svg viewBox="0 0 100 110" className="target-figure hand-figure" role="img" aria-label={label} data-testid="target-figure" data-figure="hand">
      <line x1={43} y1={52} x2={43} y2={13} stroke="currentColor" strokeWidth={14} strokeLinecap="round" data-finger={0} data-extended />
      <rect x={33} y={44} width={44} height={50} rx={13} fill="currentColor" />
      <rect x={38} y={90} width={28} height={18} rx={4} fill="currentColor" opacity={0.75} />
      <g strokeLinecap="round">
        {[55, 66, 77, 88].map((y, index) => (
          <g key={y} data-finger={index + 1} data-extended={false}>
            <line x1={55} y1={y} x2={80} y2={y} stroke="var(--bg-card)" strokeWidth={13} />
            <line x1={55} y1={y} x2={80} y2={y} stroke="currentColor" strokeWidth={9} />
          </g>
        ))}
      </g>
    </svg>
  );
}

/**
 * The circle where the face must go, on the camera frame (4:3, as seen in the mirror) with a
 * face outline where a player stands at rest: "move your face there".
 */
function HeadFigure({ target, label }: { target: HeadTarget; label: string }) {
  const aspect = 0.75;
  const { x, y, radius } = target.circle;
  const restX = 0.5;
  const restY = 0.38 * aspect;
  return (
    <svg viewBox={`0 0 1 ${aspect}`} className="target-figure head-figure" role="img" aria-label={label} data-testid="target-figure" data-figure="head">
      <rect x={0.01} y={0.01} width={0.98} height={aspect - 0.02} rx={0.05} fill="none" stroke="currentColor" strokeWidth={0.012} opacity={0.35} />
      <g fill="none" stroke="currentColor" strokeWidth={0.02} opacity={0.7}>
        <ellipse cx={restX} cy={restY} rx={0.08} ry={0.1} />
        <path
          d={`M ${restX - 0.2} ${aspect} Q ${restX - 0.19} ${restY + 0.16} ${restX} ${restY + 0.15} Q ${restX + 0.19} ${restY + 0.16} ${restX + 0.2} ${aspect}`}
        />
      </g>
      <circle
        cx={x}
        cy={y * aspect}
        r={radius * aspect}
        fill="none"
        stroke="var(--accent-2)"
        strokeWidth={0.022}
        strokeDasharray="0.05 0.03"
        data-testid="head-circle"
      />
    </svg>
  );
}

/** The figure alone, without the name: the podium's stand-in for a best moment that was not shared. */
export function TargetArt({ target, label }: { target: GameTarget; label: string }) {
  if (target.kind === "pose") return <PoseFigure target={target} label={label} />;
  if (target.kind === "hand") return <HandFigure target={target} label={label} />;
  return <HeadFigure target={target} label={label} />;
}

/**
 * The round's target: its figure, name and what to do, in a card that sits above the camera.
 * Memoized: the game stage redraws ten times a second, the target changes once a round.
 */
export const TargetFigure = memo(function TargetFigure({ target, compact = false }: { target: GameTarget; compact?: boolean }) {
  const { locale, t } = useI18n();
  return (
    <div className={`target target-${target.kind}${compact ? " target-compact" : ""}`} data-testid="target" data-target={target.id}>
      <div className="target-art">
        {target.kind === "pose" && <PoseFigure target={target} label={target.name[locale]} />}
        {target.kind === "hand" && <HandFigure target={target} label={target.name[locale]} />}
        {target.kind === "head" && <HeadFigure target={target} label={target.name[locale]} />}
      </div>
      <div className="target-text">
        <p className="target-name">{target.name[locale]}</p>
        <p className="hint">{t(`kind_${target.kind}`)}</p>
      </div>
    </div>
  );
});
