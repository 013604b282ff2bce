/**
 * "Share my best moment", remembered like mute (localStorage, every room and visit). On unless
 * the player turned it off: see docs/architecture.md ("Best moments") for why. Storage is looked up lazily
 * and every access guarded (server rendering, private modes that throw).
 */
import { useCallback, useSyncExternalStore } from "react";
import type { KeyValueStorage } from "../audio/mutePreference";

export const MOMENT_SHARING_STORAGE_KEY = "poseparty.shareMoments";

export interface SharingPreference {
  isSharing(): boolean;
  setSharing(sharing: boolean): void;
  /** Calls `listener` after every change (here or in another tab); returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Re-reads storage (after a `storage` event from another tab). */
  reload(): void;
}

export function createSharingPreference(getStorage: () => KeyValueStorage | null | undefined): SharingPreference {
  let sharing: boolean | null = null; // null: not read yet
  const listeners = new Set<() => void>();
  const read = (): boolean => {
    try {
      // Only an explicit "0" turns it off: no entry, or a damaged one, is the default.
      return getStorage()?.getItem(MOMENT_SHARING_STORAGE_KEY) !== "0";
    } catch {
      return true;
    }
  };
  const update = (next: boolean): void => {
    if (next === sharing) return;
    sharing = next;
    for (const listener of [...listeners]) listener();
  };
  return {
    isSharing() {
      if (sharing === null) sharing = read();
      return sharing;
    },
    setSharing(next) {
      try {
        getStorage()?.setItem(MOMENT_SHARING_STORAGE_KEY, next ? "1" : "0");
      } catch {
        // Not persisted (quota, private mode): still applies for this visit.
      }
      update(next);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    reload() {
      update(read());
    },
  };
}

/** This page's preference. */
export const momentSharing = createSharingPreference(() => (typeof window === "undefined" ? null : window.localStorage));

function subscribeWithOtherTabs(listener: () => void): () => void {
  const unsubscribe = momentSharing.subscribe(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key === MOMENT_SHARING_STORAGE_KEY) momentSharing.reload();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    unsubscribe();
    window.removeEventListener("storage", onStorage);
  };
}

/** The setting and its setter, for a settings switch. */
export function useMomentSharing(): [boolean, (sharing: boolean) => void] {
  const sharing = useSyncExternalStore(subscribeWithOtherTabs, momentSharing.isSharing, () => true);
  return [sharing, useCallback((next: boolean) => momentSharing.setSharing(next), [])];
}
