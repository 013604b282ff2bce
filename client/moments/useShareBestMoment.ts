"use client";
/**
 * The results screen shares this player's best moment when sharing is on, and withdraws it when
 * the player turns sharing off there. Driven by what the room has (the shared moments store):
 * each change of the setting, the kept still or the room's copy sends at most one message.
 */
import { useEffect, useSyncExternalStore } from "react";
import { sendMoment } from "../room/commands";
import { pageBestMoment } from "./pageMoment";
import { useMomentSharing } from "./sharingPreference";

export function useShareBestMoment({ matchKey, isPlayer, sharedImage }: { matchKey: number | null; isPlayer: boolean; sharedImage: string | undefined }): void {
  const [sharing] = useMomentSharing();
  const kept = useSyncExternalStore(
    (listener) => pageBestMoment.subscribe(listener),
    () => pageBestMoment.keptFor(matchKey),
    () => null,
  );
  useEffect(() => {
    if (!isPlayer) return;
    if (sharing && kept && sharedImage !== kept.image) void sendMoment({ image: kept.image });
    else if (!sharing && sharedImage !== undefined) void sendMoment({ image: null });
  }, [isPlayer, sharing, kept, sharedImage]);
}
