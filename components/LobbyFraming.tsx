"use client";
/**
 * The framing check on screen, while it fails: the camera preview with the required joints
 * marked (green: seen, red: missing), one plain instruction, what is still missing, and
 * "Play anyway".
 */
import { useEffect, useRef } from "react";
import { FRAMING_BODY_JOINTS, isJointSeen, type FramingJointName } from "@/core/framing";
import { useI18n } from "@/client/i18n";
import type { MessageKey } from "@/client/messages";
import { getCameraVideo } from "@/client/media/camera";
import type { FramingCheck } from "@/client/lobby/framingCheck";
import { SelfView } from "./SelfView";

const JOINT_GROUPS: { key: "shoulders" | "hips" | "knees" | "feet"; joints: FramingJointName[] }[] = [
  { key: "shoulders", joints: ["leftShoulder", "rightShoulder"] },
  { key: "hips", joints: ["leftHip", "rightHip"] },
  { key: "knees", joints: ["leftKnee", "rightKnee"] },
  { key: "feet", joints: ["leftAnkle", "rightAnkle"] },
];

export function LobbyFraming({ check, onPlayAnyway }: { check: FramingCheck; onPlayAnyway: () => void }) {
  const { t } = useI18n();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const { result, pose } = check;

  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas) drawJoints(canvas, check);
  }, [check]);

  const missingParts: MessageKey[] = [
    ...JOINT_GROUPS.filter((group) => group.joints.some((joint) => result.missingJoints.includes(joint))).map(
      (group) => `framingPart_${group.key}` as MessageKey,
    ),
    ...(result.handMissing ? (["framingPart_hand"] as const) : []),
    ...(result.faceMissing ? (["framingPart_face"] as const) : []),
  ];

  return (
    <section className="card framing" data-testid="framing-check" data-instruction={result.instruction ?? "none"} aria-live="polite">
      <h2>{t("framingTitle")}</h2>
      <p className="framing-instruction" role="status" data-testid="framing-instruction">
        {result.instruction ? t(`framing_${result.instruction}` as MessageKey) : t("framingPassed")}
      </p>
      <SelfView size="large" overlay={<canvas ref={canvasRef} className="overlay" data-testid="framing-canvas" data-found={pose ? "pose" : "none"} />} />
      {missingParts.length > 0 && (
        <p className="framing-missing" data-testid="framing-missing">
          {t("framingMissing")}{" "}
          {missingParts.map((key) => (
            <span key={key} className="chip chip-missing">
              ✕ {t(key)}
            </span>
          ))}
        </p>
      )}
      <button type="button" onClick={onPlayAnyway} data-testid="framing-play-anyway">
        {t("framingPlayAnyway")}
      </button>
    </section>
  );
}

/** Camera coordinates (the canvas is mirrored by CSS exactly like the video under it). */
function drawJoints(canvas: HTMLCanvasElement, { result, pose }: FramingCheck): void {
  const video = getCameraVideo();
  const width = video?.videoWidth || 640;
  const height = video?.videoHeight || 480;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  if (!context) return;
  context.clearRect(0, 0, width, height);
  if (!pose) return;
  const radius = Math.max(6, Math.round(width / 60));
  for (const name of Object.keys(FRAMING_BODY_JOINTS) as FramingJointName[]) {
    const landmark = pose[FRAMING_BODY_JOINTS[name]];
    if (!landmark) continue;
    const missing = result.missingJoints.includes(name);
    if (!missing && !isJointSeen(landmark)) continue;
    // A missing joint is marked where the model guesses it, pulled inside the picture's edge.
    const x = clamp(landmark.x, 0.04, 0.96) * width;
    const y = clamp(landmark.y, 0.04, 0.96) * height;
    context.beginPath();
    context.arc(x, y, missing ? radius * 1.8 : radius, 0, Math.PI * 2);
    if (missing) {
      context.lineWidth = Math.max(3, radius / 2);
      context.strokeStyle = "#ff4d6d";
      context.stroke();
    } else {
      context.fillStyle = "#4dffb8";
      context.fill();
    }
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
