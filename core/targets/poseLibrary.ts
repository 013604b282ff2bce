/**
 * The target poses: core/targets/poses.json, validated with zod when this module loads (a bad
 * edit fails every test and the build, not a round in front of players), each target's segment
 * directions prepared once for the per-frame scorer.
 *
 * Coordinates are AS DRAWN ON SCREEN: a square space ((0,0) top-left, (1,1) bottom-right, one
 * unit on both axes), the figure being the player's mirrored self view. `leftWrist` is the
 * player's own left wrist (MediaPipe 15) and is drawn on the screen's left. The full convention
 * and its reasons are in docs/scoring.md.
 */
import { z } from "zod";
import { BODY_POINT_NAMES, BODY_POINTS, POSE_BONES, type BodyPointName } from "../scoring/bodyPoints";
import { preparePoseTarget, type PoseTargetPoints, type PreparedPoseTarget } from "../scoring/poseSimilarity";
import type { Difficulty } from "../scoring/types";
import posesJson from "./poses.json";

export { BODY_POINTS, BODY_POINT_NAMES, POSE_BONES, type BodyPointName };

const coordinateSchema = z.number().min(-0.5).max(1.5);
const targetPointSchema = z.strictObject({
  x: coordinateSchema,
  y: coordinateSchema,
  /** Visibility of a measured point (derived targets); hand-made points are fully visible. */
  v: z.number().min(0).max(1).optional(),
});

const pointsSchema = z.strictObject(
  Object.fromEntries(BODY_POINT_NAMES.map((name) => [name, targetPointSchema])) as Record<BodyPointName, typeof targetPointSchema>,
);

export const localizedNameSchema = z.strictObject({ ko: z.string().min(1), en: z.string().min(1) });
export type LocalizedName = z.infer<typeof localizedNameSchema>;
export const difficultySchema = z.enum(["easy", "normal", "hard"]);

const targetIdSchema = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "ids are kebab-case");

const poseTargetSchema = z.strictObject({
  id: targetIdSchema,
  name: localizedNameSchema,
  difficulty: difficultySchema,
  /** Only for automated tests (e.g. derived from a fixture image); never in a real match. */
  testOnly: z.boolean().optional(),
  /** Where a derived target came from (image, model, runtime, mode). */
  source: z.record(z.string(), z.string()).optional(),
  points: pointsSchema,
});

export const posesFileSchema = z
  .object({
    $comment: z.string().optional(),
    version: z.literal(1),
    targets: z.array(poseTargetSchema).min(1),
  })
  .refine((file) => new Set(file.targets.map((target) => target.id)).size === file.targets.length, "target ids must be unique");

export interface PoseTarget {
  readonly kind: "pose";
  readonly id: string;
  readonly name: LocalizedName;
  readonly difficulty: Difficulty;
  readonly testOnly: boolean;
  readonly source: Readonly<Record<string, string>> | null;
  /** As drawn on screen (see the module comment). */
  readonly points: PoseTargetPoints;
  /** Segment directions for `PoseScorer.score`. */
  readonly prepared: PreparedPoseTarget;
}

function load(): readonly PoseTarget[] {
  const file = posesFileSchema.parse(posesJson);
  return file.targets.map((target) =>
    Object.freeze({
      kind: "pose" as const,
      id: target.id,
      name: target.name,
      difficulty: target.difficulty,
      testOnly: target.testOnly ?? false,
      source: target.source ?? null,
      points: target.points,
      prepared: preparePoseTarget(target.points),
    }),
  );
}

/** Every pose target, test-only ones included (filter on `testOnly`). */
export const ALL_POSE_TARGETS: readonly PoseTarget[] = load();
/** The targets real matches use. */
export const POSE_TARGETS: readonly PoseTarget[] = ALL_POSE_TARGETS.filter((target) => !target.testOnly);

const byId = new Map(ALL_POSE_TARGETS.map((target) => [target.id, target]));

export function getPoseTarget(id: string): PoseTarget | undefined {
  return byId.get(id);
}
