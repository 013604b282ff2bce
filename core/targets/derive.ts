/**
 * Turning a camera image's pose landmarks into a target "as drawn on screen". Used by
 * scripts/derive-test-targets.ts to write the test-only targets, and by the unit tests.
 *
 * The model sees the raw camera frame (not mirrored) and labels left/right anatomically; the
 * player sees the mirrored frame, and a target is a picture of what the player should see of
 * themselves. So the target is the image flipped horizontally (x -> 1 - x) with the labels kept:
 * Messi's left wrist (index 15) stays `leftWrist`, and moves to the screen side where a player's
 * own left wrist appears in their mirrored self view. Pixels then go into the square target
 * space (both axes one unit, the longer side spans 0..1, the shorter one centred) so the image's
 * aspect ratio survives.
 */
import { BODY_POINT_NAMES, BODY_POINTS, type BodyPointName } from "../scoring/bodyPoints";
import type { TargetPoint } from "../scoring/poseSimilarity";
import type { LandmarkList } from "../scoring/types";

const round4 = (value: number): number => Math.round(value * 1e4) / 1e4;

export function rawToScreenTargetPoints(landmarks: LandmarkList, frameWidth: number, frameHeight: number): Record<BodyPointName, TargetPoint> {
  const side = Math.max(frameWidth, frameHeight);
  const padX = (side - frameWidth) / 2;
  const padY = (side - frameHeight) / 2;
  const out = {} as Record<BodyPointName, TargetPoint>;
  for (const name of BODY_POINT_NAMES) {
    const landmark = landmarks[BODY_POINTS[name]];
    if (!landmark) throw new Error(`landmark ${name} (${BODY_POINTS[name]}) missing`);
    const x = round4(((1 - landmark.x) * frameWidth + padX) / side);
    const y = round4((landmark.y * frameHeight + padY) / side);
    out[name] = landmark.visibility === undefined ? { x, y } : { x, y, v: round4(landmark.visibility) };
  }
  return out;
}

/**
 * Serialises poses.json with one line per point, so a diff of a hand-edited pose stays
 * readable (JSON.stringify with indentation would spread every point over four lines).
 */
export function formatPosesJson(document: { targets: readonly { points: object }[] } & Record<string, unknown>): string {
  const lines: string[] = ["{"];
  const { targets, ...header } = document;
  for (const [key, value] of Object.entries(header)) lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)},`);
  lines.push('  "targets": [');
  targets.forEach((target, t) => {
    const { points, ...rest } = target as { points: Record<string, unknown> } & Record<string, unknown>;
    lines.push("    {");
    for (const [key, value] of Object.entries(rest)) lines.push(`      ${JSON.stringify(key)}: ${JSON.stringify(value)},`);
    lines.push('      "points": {');
    const entries = Object.entries(points);
    entries.forEach(([name, point], p) => {
      lines.push(`        ${JSON.stringify(name)}: ${JSON.stringify(point)}${p < entries.length - 1 ? "," : ""}`);
    });
    lines.push("      }");
    lines.push(`    }${t < targets.length - 1 ? "," : ""}`);
  });
  lines.push("  ]");
  lines.push("}");
  return lines.join("\n") + "\n";
}
