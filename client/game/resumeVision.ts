/**
 * A player who reloads the page mid-game comes back to the same seat, but the page's vision
 * tasks are gone with the old page. This loads the playlist's models again (the HTTP cache
 * usually has them) so the player can carry on in the running match. Normally the lobby has
 * loaded everything and this does nothing.
 */
import { requiredVisionAssets, type PlaylistSettings } from "@/core/playlist";
import { VISION_ASSET_KIND } from "@/core/visionManifest";
import { getCameraVideo } from "../media/camera";
import { isVisionAssetLoaded } from "../vision/registry";

export type GameVisionSettings = Pick<PlaylistSettings, "roundKinds" | "poseQuality">;

/** True when every model the playlist needs is created and warmed up in this page. */
export function hasGameVision(settings: GameVisionSettings): boolean {
  return requiredVisionAssets(settings).every((asset) => isVisionAssetLoaded(VISION_ASSET_KIND[asset], asset));
}

/** Loads what is missing; resolves false when it could not (the player then watches). */
export async function resumeGameVision(settings: GameVisionSettings, baseUrl: string, signal: AbortSignal): Promise<boolean> {
  if (hasGameVision(settings)) return true;
  try {
    const { preloadVision } = await import("../vision/preloader");
    await preloadVision({
      assets: requiredVisionAssets(settings),
      baseUrl,
      warmupSource: () => getCameraVideo(),
      onProgress: () => undefined,
      signal,
    });
    return hasGameVision(settings);
  } catch {
    return false;
  }
}
