// Schema of /sounds/generated/manifest.json, written by scripts/sounds/synthesize.ts and read by
// client/audio/sound.ts. Pure (zod only, no side effects): both the build script and the
// browser import it.
import { z } from "zod";

export const EFFECT_NAMES = ["tick", "go", "perfect", "good", "round-end", "winner"] as const;
export type EffectName = (typeof EFFECT_NAMES)[number];
export const MUSIC_NAME = "music";
export const SOUND_NAMES = [...EFFECT_NAMES, MUSIC_NAME] as const;
export type SoundName = (typeof SOUND_NAMES)[number];

/** Where the build writes and the browser reads. */
export const SOUND_URL_PREFIX = "/sounds/generated/";
export const SOUND_MANIFEST_URL = `${SOUND_URL_PREFIX}manifest.json`;
export const SOUND_MANIFEST_VERSION = 1;

const rootRelativeUrlSchema = z.string().regex(/^\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$/, "expected a root-relative file URL");

export const soundFileSchema = z.object({
  url: rootRelativeUrlSchema,
  format: z.enum(["mp3"]),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type SoundFile = z.infer<typeof soundFileSchema>;

export const soundEntrySchema = z.object({
  /** Length of the encoded file, seconds. */
  duration: z.number().positive(),
  /** Preferred format first (Howler plays the first one the browser supports). */
  files: z.array(soundFileSchema).min(1),
  /**
   * Music only: the seamless loop window inside the decoded file, seconds. The file holds a
   * little of the loop's end before it and of its start after it, so the window may be off by
   * the MP3 decoder delay (which differs between browsers) and still join without a click.
   */
  loop: z.object({ start: z.number().nonnegative(), end: z.number().positive() }).optional(),
});
export type SoundEntry = z.infer<typeof soundEntrySchema>;

export const soundManifestSchema = z.object({
  version: z.literal(SOUND_MANIFEST_VERSION),
  /** Hash of everything the output depends on; the build skips work when it is unchanged. */
  buildKey: z.string().regex(/^[0-9a-f]{64}$/),
  sampleRate: z.number().int().positive(),
  sounds: z.object(Object.fromEntries(SOUND_NAMES.map((name) => [name, soundEntrySchema])) as Record<SoundName, typeof soundEntrySchema>),
});
export type SoundManifest = z.infer<typeof soundManifestSchema>;

export function parseSoundManifest(json: unknown): SoundManifest {
  return soundManifestSchema.parse(json);
}
