/**
 * The host's "More time" choice, remembered like mute (localStorage, every room and visit): a
 * host whose friends need relaxed timing should not have to pick it again for each party.
 * Guarded like the mute switch: storage may be missing or throw (private mode).
 */
import { STANDARD_TIME_SCALE, timeScaleSchema, type TimeScale } from "@/core/playlist";

export const TIME_SCALE_STORAGE_KEY = "poseparty.timeScale";

export function rememberedTimeScale(): TimeScale {
  try {
    const parsed = timeScaleSchema.safeParse(Number(window.localStorage.getItem(TIME_SCALE_STORAGE_KEY)));
    return parsed.success ? parsed.data : STANDARD_TIME_SCALE;
  } catch {
    return STANDARD_TIME_SCALE;
  }
}

export function rememberTimeScale(scale: TimeScale): void {
  try {
    window.localStorage.setItem(TIME_SCALE_STORAGE_KEY, String(scale));
  } catch {
    // Not persisted: the choice lasts as long as this screen.
  }
}
